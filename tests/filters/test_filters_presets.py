"""Presets on disk: round trips across restarts, migration, newer schema, corrupt files, custom labels."""

from __future__ import annotations

import json

import pytest

from gui.core.errors import KnownError
from gui.core.presets import PRESET_SCHEMA_VERSION, PresetExists, PresetStore, builtin_presets
from gui.core.taxonomy import load_taxonomy
from gui.core.types import JobSettings, LabelFilters, NotificationChannel

SETTINGS = JobSettings(
    LabelFilters(("Dog", "Cat"), ("Car",), ("Vehicles and Automotive",), ("Text and Documents",)),
    min_confidence=72.5,
    job_tag="pets-run_1",
    notification=NotificationChannel(
        "arn:aws:sns:us-east-1:123456789012:AmazonRekognitionPets", "arn:aws:iam::123456789012:role/RekSNS"
    ),
)


def _write(path, doc) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc) if not isinstance(doc, str) else doc, encoding="utf-8")


def test_save_and_load_across_restarts(filter_paths):
    store = PresetStore(filter_paths)
    store.load()
    saved = store.save("Pets", SETTINGS)
    assert saved.path is not None and saved.path.parent == filter_paths.presets_dir
    doc = json.loads(saved.path.read_text(encoding="utf-8"))
    assert doc["schema_version"] == PRESET_SCHEMA_VERSION
    assert doc["settings"]["GeneralLabels"]["LabelInclusionFilters"] == ["Dog", "Cat"]

    again = PresetStore(filter_paths)  # a new app start: new objects, same folder
    report = again.load()
    assert report.problems == [] and report.notices == []
    assert again.get("Pets").settings == SETTINGS
    assert "Pets" in again.names() and again.names()[: len(builtin_presets())] == [
        p.name for p in builtin_presets()
    ]


def test_overwrite_needs_consent_and_builtins_are_read_only(filter_paths):
    store = PresetStore(filter_paths)
    store.save("Mine", JobSettings())
    with pytest.raises(PresetExists):
        store.save("mine", SETTINGS)  # names are unique regardless of case
    store.save("Mine", SETTINGS, overwrite=True)
    assert store.get("Mine").settings == SETTINGS
    for action in (
        lambda: store.save("People and vehicles", SETTINGS, overwrite=True),
        lambda: store.rename("People and vehicles", "X"),
        lambda: store.delete("People and vehicles"),
    ):
        with pytest.raises(KnownError) as info:
            action()
        assert "built-in" in str(info.value)


def test_rename_duplicate_delete(filter_paths):
    store = PresetStore(filter_paths)
    first = store.save("Alpha", SETTINGS)
    renamed = store.rename("Alpha", "Beta")
    assert not first.path.exists() or first.path == renamed.path
    copy = store.duplicate("Beta")
    assert copy.name == "Beta (copy)" and copy.settings == SETTINGS
    builtin_copy = store.duplicate("People and vehicles")
    assert not builtin_copy.builtin and builtin_copy.name == "People and vehicles (copy)"
    store.delete("Beta")
    fresh = PresetStore(filter_paths)
    fresh.load()
    assert "Beta" not in fresh and "Alpha" not in fresh
    assert "Beta (copy)" in fresh and "People and vehicles (copy)" in fresh
    with pytest.raises(KnownError):
        store.rename("Beta (copy)", "  ")


def test_export_then_import_in_another_profile(filter_paths, tmp_path):
    from gui.core.paths import AppPaths

    store = PresetStore(filter_paths)
    store.save("Shared", SETTINGS)
    exported = store.export("Shared", tmp_path / "for-a-colleague")
    assert exported.name == "for-a-colleague.json"

    root = tmp_path / "colleague"
    theirs = PresetStore(AppPaths(root / "d", root / "c", root / "ca", root / "l"))
    theirs.load()
    imported = theirs.import_file(exported)
    assert imported.name == "Shared" and imported.settings == SETTINGS
    with pytest.raises(PresetExists):
        theirs.import_file(exported)
    assert theirs.import_file(exported, name="Shared 2").settings == SETTINGS
    assert exported.exists()  # never moved or renamed by an import


def test_import_of_a_bad_file_names_it_and_leaves_it_alone(filter_paths, tmp_path):
    bad = tmp_path / "broken.json"
    _write(bad, "{not json")
    store = PresetStore(filter_paths)
    with pytest.raises(KnownError) as info:
        store.import_file(bad)
    assert "broken.json" in str(info.value) and bad.exists()
    newer = tmp_path / "newer.json"
    _write(newer, {"schema_version": PRESET_SCHEMA_VERSION + 1, "name": "N", "settings": {}})
    with pytest.raises(KnownError) as info:
        store.import_file(newer)
    assert "newer" in str(info.value).lower()


def test_migration_from_schema_1(filter_paths):
    path = filter_paths.presets_dir / "old.json"
    v1 = {
        "schema_version": 1,
        "name": "Old style",
        "min_confidence": 65,
        "job_tag": "legacy",
        "include_labels": ["Dog"],
        "exclude_categories": ["Text and Documents"],
    }
    _write(path, v1)
    store = PresetStore(filter_paths)
    report = store.load()
    assert report.problems == []
    preset = store.get("Old style")
    assert preset.settings == JobSettings(
        LabelFilters(label_inclusions=("Dog",), category_exclusions=("Text and Documents",)), 65.0, "legacy"
    )
    assert any("upgraded from schema 1" in n for n in report.notices)
    rewritten = json.loads(path.read_text(encoding="utf-8"))
    assert rewritten["schema_version"] == PRESET_SCHEMA_VERSION
    assert json.loads((path.parent / "old.json.v1.bak").read_text(encoding="utf-8")) == v1
    # and the next start reads the new file without migrating again
    second = PresetStore(filter_paths).load()
    assert second.problems == [] and second.notices == []


def test_newer_schema_is_refused_and_left_untouched(filter_paths):
    path = filter_paths.presets_dir / "future.json"
    body = {"schema_version": PRESET_SCHEMA_VERSION + 1, "name": "Future", "settings": {"Shiny": True}}
    _write(path, body)
    _write(filter_paths.presets_dir / "ok.json", {"schema_version": 2, "name": "Fine", "settings": {}})
    store = PresetStore(filter_paths)
    report = store.load()
    assert "Future" not in store and "Fine" in store
    assert len(report.problems) == 1
    assert (
        "future.json" in report.problems[0]
        and f"schema_version {PRESET_SCHEMA_VERSION + 1}" in report.problems[0]
    )
    assert json.loads(path.read_text(encoding="utf-8")) == body


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{ this is not json", "Expecting"),
        ('["a list"]', "not a JSON object"),
        ('{"name": "No version", "settings": {}}', "schema_version"),
        ('{"schema_version": 2, "settings": {}}', "'name'"),
        ('{"schema_version": 2, "name": "X", "settings": {"MinConfidence": "high"}}', "MinConfidence"),
        ('{"schema_version": 2, "name": "X", "settings": {"MinConfidence": 150}}', "from 0 to 100"),
        (
            '{"schema_version": 2, "name": "X", "settings": {"GeneralLabels": {"LabelInclusionFilters": "Dog"}}}',
            "list of names",
        ),
        (
            '{"schema_version": 2, "name": "X", "settings": {"GeneralLabels": {"LabelInclusionFilter": ["Dog"]}}}',
            "unknown key",
        ),
        (
            '{"schema_version": 2, "name": "X", "settings": {"GeneralLabels": {"LabelExclusionFilters": ["Ca$h"]}}}',
            "'$'",
        ),
    ],
)
def test_corrupt_file_is_kept_aside_with_a_message_and_the_others_load(filter_paths, content, problem):
    bad = filter_paths.presets_dir / "hand-edited.json"
    _write(bad, content)
    good = PresetStore(filter_paths)
    good.save("Good one", SETTINGS)
    store = PresetStore(filter_paths)
    report = store.load()
    assert store.get("Good one").settings == SETTINGS
    assert len(report.problems) == 1
    message = report.problems[0]
    assert str(bad) in message and problem in message
    assert not bad.exists() and (bad.parent / "hand-edited.json.corrupt").exists()
    assert "hand-edited.json.corrupt" in message
    assert PresetStore(filter_paths).load().problems == []  # the .corrupt file is not read again


def test_unknown_labels_load_as_custom_labels_with_a_notice(filter_paths):
    doc = {
        "schema_version": 2,
        "name": "Future labels",
        "settings": {"GeneralLabels": {"LabelInclusionFilters": ["Dog", "Robot Vacuum"]}},
    }
    _write(filter_paths.presets_dir / "future-labels.json", doc)
    store = PresetStore(filter_paths)
    report = store.load()
    assert report.problems == []
    assert any("'Robot Vacuum'" in n and "custom label" in n and "Future labels" in n for n in report.notices)
    assert store.get("Future labels").settings.filters.label_inclusions == ("Dog", "Robot Vacuum")


def test_two_files_with_one_name(filter_paths):
    _write(filter_paths.presets_dir / "a.json", {"schema_version": 2, "name": "Same", "settings": {}})
    _write(filter_paths.presets_dir / "b.json", {"schema_version": 2, "name": "same", "settings": {}})
    _write(
        filter_paths.presets_dir / "c.json",
        {"schema_version": 2, "name": "People and vehicles", "settings": {}},
    )
    store = PresetStore(filter_paths)
    report = store.load()
    assert [n for n in store.names() if n.lower() == "same"] == ["Same"]
    assert len(report.problems) == 2 and any("b.json" in p for p in report.problems)
    assert any("c.json" in p and "built-in" in p for p in report.problems)


def test_builtin_presets_use_catalogue_names_only():
    tax = load_taxonomy()
    for preset in builtin_presets():
        f = preset.settings.filters
        assert all(n in tax.labels for n in (*f.label_inclusions, *f.label_exclusions)), preset.name
        assert all(c in tax.categories for c in (*f.category_inclusions, *f.category_exclusions)), preset.name
    names = [p.name for p in builtin_presets()]
    assert "People and vehicles" in names and "Everything except text and symbols" in names
