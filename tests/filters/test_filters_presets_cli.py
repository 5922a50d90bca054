"""``rekognition-labeler presets``: list, show and export, and a help text that documents the file format."""

from __future__ import annotations

import json
import subprocess
import sys

from gui.core.presets import PRESET_SCHEMA_VERSION, PresetStore
from gui.core.types import JobSettings, LabelFilters, NotificationChannel

TOPIC = "arn:aws:sns:us-east-1:123456789012:AmazonRekognitionDone"
ROLE = "arn:aws:iam::123456789012:role/RekognitionSNS"


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gui", *args], capture_output=True, text=True, timeout=60)


def _save(data_dir):
    from gui.core.paths import resolve_paths

    paths = resolve_paths(str(data_dir)).ensure()
    store = PresetStore(paths)
    store.load()
    settings = JobSettings(LabelFilters(label_inclusions=("Dog",)), 81.0, "pets", NotificationChannel(TOPIC, ROLE))
    store.save("My pets", settings)
    return settings


def test_list_marks_builtins_and_shows_saved_ones(tmp_path):
    _save(tmp_path)
    done = run_cli("presets", "--data-dir", str(tmp_path), "list")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "My pets" in lines
    assert any(line.endswith("(built-in)") for line in lines)
    as_json = json.loads(run_cli("presets", "--data-dir", str(tmp_path), "list", "--json").stdout)
    assert {"name": "My pets", "builtin": False} in as_json


def test_show_prints_a_preset_file_that_submit_can_read_back(tmp_path):
    _save(tmp_path)
    done = run_cli("presets", "--data-dir", str(tmp_path), "show", "My pets")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["schema_version"] == PRESET_SCHEMA_VERSION
    assert doc["settings"] == {
        "MinConfidence": 81.0, "JobTag": "pets",
        "NotificationChannel": {"SNSTopicArn": TOPIC, "RoleArn": ROLE},
        "GeneralLabels": {"LabelInclusionFilters": ["Dog"]},
    }


def test_export_writes_a_file_the_store_imports(tmp_path):
    settings = _save(tmp_path)
    target = tmp_path / "out" / "pets.json"
    target.parent.mkdir()
    done = run_cli("presets", "--data-dir", str(tmp_path), "export", "My pets", "-o", str(target))
    assert done.returncode == 0, done.stderr
    from gui.core.paths import resolve_paths

    other = PresetStore(resolve_paths(str(tmp_path / "other")).ensure())
    assert other.read_file(target).settings == settings


def test_an_unknown_preset_is_a_usage_error_naming_the_available_ones(tmp_path):
    _save(tmp_path)
    done = run_cli("presets", "--data-dir", str(tmp_path), "show", "Nope")
    assert done.returncode == 2
    assert "no preset named 'Nope'" in done.stderr and "My pets" in done.stderr


def test_help_documents_the_preset_file_format():
    done = run_cli("presets", "--help")
    assert done.returncode == 0
    assert '"schema_version"' in done.stdout and '"GeneralLabels"' in done.stdout
    assert "NotificationChannel" in done.stdout and "--preset-file" in done.stdout
