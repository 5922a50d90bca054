"""The shared last-state file: sections, atomic saves, corrupt and newer files; the filter panel's state."""

from __future__ import annotations

import json

import pytest

from gui.core.errors import KnownError
from gui.core.settings import (
    SETTINGS_SCHEMA_VERSION,
    load_app_settings,
    load_job_state,
    load_section,
    read_app_settings,
    save_app_settings,
    save_job_state,
)
from gui.core.types import JobSettings, LabelFilters


def test_sections_are_independent(filter_paths):
    assert load_app_settings(filter_paths) == {}
    save_app_settings(filter_paths, "connection", {"profile": "dev", "region": "eu-west-1", "endpoint": None})
    save_app_settings(filter_paths, "browser", {"last_bucket": "demo-videos"})
    save_app_settings(
        filter_paths, "connection", {"profile": "prod", "region": "us-east-1", "endpoint": None}
    )
    assert load_section(filter_paths, "connection") == {
        "profile": "prod",
        "region": "us-east-1",
        "endpoint": None,
    }
    assert load_section(filter_paths, "browser") == {"last_bucket": "demo-videos"}
    assert load_section(filter_paths, "nothing") == {}
    doc = json.loads(filter_paths.settings_file.read_text(encoding="utf-8"))
    assert doc["schema_version"] == SETTINGS_SCHEMA_VERSION
    leftovers = [p.name for p in filter_paths.settings_file.parent.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_corrupt_file_is_kept_aside_and_defaults_are_used(filter_paths):
    filter_paths.config_dir.mkdir(parents=True)
    filter_paths.settings_file.write_text("{garbage", encoding="utf-8")
    loaded = read_app_settings(filter_paths)
    assert loaded.sections == {} and "settings.json" in loaded.problem
    assert (filter_paths.config_dir / "settings.json.corrupt").exists()
    save_app_settings(filter_paths, "connection", {"region": "us-east-1"})
    assert load_section(filter_paths, "connection") == {"region": "us-east-1"}


def test_newer_file_is_neither_read_nor_overwritten(filter_paths):
    filter_paths.config_dir.mkdir(parents=True)
    body = {"schema_version": SETTINGS_SCHEMA_VERSION + 1, "connection": {"region": "x"}}
    filter_paths.settings_file.write_text(json.dumps(body), encoding="utf-8")
    assert load_app_settings(filter_paths) == {}
    with pytest.raises(KnownError):
        save_app_settings(filter_paths, "connection", {"region": "y"})
    assert json.loads(filter_paths.settings_file.read_text(encoding="utf-8")) == body


def test_job_state_round_trip_and_bad_values(filter_paths):
    assert load_job_state(filter_paths).settings is None
    settings = JobSettings(LabelFilters(label_inclusions=("Dog", "Hoverboard")), 61.0, "tag")
    save_job_state(filter_paths, "Pets", settings)
    save_app_settings(filter_paths, "connection", {"region": "us-east-1"})  # does not disturb the section
    state = load_job_state(filter_paths)
    assert state.preset_name == "Pets" and state.settings == settings
    assert any("Hoverboard" in n for n in state.notices)
    save_app_settings(filter_paths, "filters", {"last_preset": None, "settings": {"MinConfidence": "lots"}})
    state = load_job_state(filter_paths)
    assert state.settings == JobSettings() and any("MinConfidence" in n for n in state.notices)


def test_one_invalid_field_costs_only_that_field(filter_paths):
    saved = {
        "MinConfidence": 72,
        "JobTag": "bad tag!",
        "GeneralLabels": {"LabelInclusionFilters": ["Dog"], "LabelCategoryExclusionFilters": ["Weapons"]},
    }
    save_app_settings(filter_paths, "filters", {"last_preset": "Pets", "settings": saved})
    state = load_job_state(filter_paths)
    assert state.settings == JobSettings(
        LabelFilters(label_inclusions=("Dog",), category_exclusions=("Weapons",)), 72.0, None
    )
    assert state.preset_name == "Pets"
    dropped = [n for n in state.notices if "JobTag" in n]
    assert len(dropped) == 1 and "'bad tag!'" in dropped[0] and "other settings were kept" in dropped[0]


def test_a_label_both_included_and_excluded_drops_the_label_lists_only(filter_paths):
    saved = {"MinConfidence": 80, "GeneralLabels": {"LabelInclusionFilters": ["Dog"], "LabelExclusionFilters": ["Dog"]}}
    save_app_settings(filter_paths, "filters", {"last_preset": None, "settings": saved})
    state = load_job_state(filter_paths)
    assert state.settings == JobSettings(LabelFilters(), 80.0, None)
    assert any("GeneralLabels dropped" in n for n in state.notices)


def test_an_invalid_value_is_never_saved(filter_paths):
    settings = JobSettings(LabelFilters(label_inclusions=("Dog",)), 65.0, "bad tag!")
    dropped = save_job_state(filter_paths, None, settings)
    assert len(dropped) == 1 and dropped[0].startswith("JobTag 'bad tag!' dropped")
    on_disk = json.loads(filter_paths.settings_file.read_text())["filters"]["settings"]
    assert "JobTag" not in on_disk
    assert on_disk["MinConfidence"] == 65.0
    assert on_disk["GeneralLabels"] == {"LabelInclusionFilters": ["Dog"]}
