"""Hostile preset and settings files: nested 1,000 levels deep, or far too large, they are treated like
any undecodable file -- kept aside as ``.corrupt`` and reported -- and never raise; the CLI says so
plainly (exit 2) instead of printing a traceback."""

from __future__ import annotations

import io
import json

import pytest

from gui import cli
from gui.core.errors import KnownError
from gui.core.paths import AppPaths
from gui.core.presets import PresetStore
from gui.core.settings import load_job_state, read_app_settings

ONE_MB = 1024 * 1024  # the documented cap for a preset or settings file
DEEP = '{"schema_version": 2, "name": "deep", "settings": ' + "[" * 1000 + "]" * 1000 + "}"


def _huge() -> str:
    doc = {"schema_version": 2, "name": "huge", "settings": {"JobTag": "x"}, "padding": "p" * ONE_MB}
    return json.dumps(doc)


@pytest.fixture
def paths(tmp_path) -> AppPaths:
    root = tmp_path / "app"
    return AppPaths(root, root / "config", root / "cache", root / "logs").ensure()


@pytest.mark.parametrize(("text", "reason"), [(DEEP, "nested too deeply"), (_huge(), "larger than 1 MB")])
def test_a_hostile_preset_is_kept_aside_and_reported(paths, text, reason):
    paths.presets_dir.mkdir(parents=True)
    (paths.presets_dir / "bad.json").write_text(text, encoding="utf-8")
    (paths.presets_dir / "good.json").write_text(json.dumps(
        {"schema_version": 2, "name": "Good", "settings": {"MinConfidence": 70}}), encoding="utf-8")
    store = PresetStore(paths)
    report = store.load()
    assert "Good" in store.names()
    assert len(report.problems) == 1 and reason in report.problems[0] and "bad.json.corrupt" in report.problems[0]
    assert (paths.presets_dir / "bad.json.corrupt").exists() and not (paths.presets_dir / "bad.json").exists()


@pytest.mark.parametrize(("text", "reason"), [(DEEP, "nested too deeply"), (_huge(), "larger than 1 MB")])
def test_a_hostile_settings_file_is_kept_aside_and_defaults_used(paths, text, reason):
    paths.settings_file.write_text(text.replace('"schema_version": 2', '"schema_version": 1'), encoding="utf-8")
    state = load_job_state(paths)
    assert state.settings is None and len(state.notices) == 1 and reason in state.notices[0]
    assert paths.settings_file.with_name("settings.json.corrupt").exists()
    assert read_app_settings(paths).problem is None  # the next start is clean


@pytest.mark.parametrize(("text", "reason"), [(DEEP, "nested too deeply"), (_huge(), "larger than 1 MB")])
def test_importing_a_hostile_preset_is_refused_with_a_message(paths, tmp_path, text, reason):
    path = tmp_path / "shared.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(KnownError, match=reason):
        PresetStore(paths).read_file(path)
    assert path.read_text(encoding="utf-8") == text  # someone else's file: never renamed


def test_cli_refuses_a_deep_preset_file_plainly(paths, tmp_path, restore_logging):
    path = tmp_path / "deep.json"
    path.write_text(DEEP, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["submit", "--data-dir", str(paths.data_dir), "--preset-file", str(path), "s3://b/a.mp4"],
                    stdout=out, stderr=err)
    assert code == cli.EXIT_USAGE, err.getvalue()
    assert "nested too deeply" in err.getvalue() and "Traceback" not in err.getvalue()


# ---- the window: hostile files are read off the GUI thread and never stop the panes ------------------


def test_the_window_reads_presets_and_settings_off_the_gui_thread(qtbot, tmp_path, monkeypatch):
    import threading

    from PySide6.QtCore import QThread
    from PySide6.QtWidgets import QApplication

    from gui.app import create_window
    from gui.core import jsonstore

    data = tmp_path / "app"
    (data / "config" / "presets").mkdir(parents=True)
    (data / "config" / "presets" / "deep.json").write_text(DEEP, encoding="utf-8")
    (data / "config" / "settings.json").write_text(DEEP.replace('"schema_version": 2', '"schema_version": 1'),
                                                    encoding="utf-8")
    readers: list[str] = []
    real = jsonstore.read_json

    def recording(path, **kwargs):
        on_gui = QThread.currentThread() is QApplication.instance().thread()
        readers.append(f"{path.name}:{'gui' if on_gui else threading.current_thread().name}")
        return real(path, **kwargs)

    monkeypatch.setattr(jsonstore, "read_json", recording)
    window = create_window(["--data-dir", str(data)])
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window._filter_panel is not None and window._filter_panel.is_loaded(), timeout=20_000)
    qtbot.waitUntil(lambda: window.connectionPanel.keyring_status() is not None, timeout=20_000)
    message = window.filterPanel.message_text()
    assert "deep.json.corrupt" in message and "nested too deeply" in message
    assert (data / "config" / "settings.json.corrupt").exists() and not (data / "config" / "settings.json").exists()
    assert {r.split(":")[0] for r in readers} >= {"deep.json", "settings.json"}
    assert not [r for r in readers if r.endswith(":gui")], readers  # every file read off the GUI thread
    window.close()
