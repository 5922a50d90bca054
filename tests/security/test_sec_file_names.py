"""Suggested export file names never climb out of the chosen folder (a preset named ``../../x``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gui.core.paths import AppPaths
from gui.core.presets import PresetStore
from gui.core.types import JobSettings
from gui.qt.presets_bar import PresetsBar

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


class RecordingDialogs:
    def __init__(self) -> None:
        self.suggested: list[str] = []

    def save_path(self, parent, suggested: str) -> Path | None:
        self.suggested.append(suggested)
        return None  # the user cancels


def test_preset_export_suggests_a_plain_name(qtbot, tmp_path):
    root = tmp_path / "app"
    store = PresetStore(AppPaths(root, root / "config", root / "cache", root / "logs"))
    store.save("../../x", JobSettings())
    dialogs = RecordingDialogs()
    bar = PresetsBar(store, JobSettings, dialogs=dialogs)  # type: ignore[arg-type]
    qtbot.addWidget(bar)
    bar.select("../../x")
    assert bar.export_current() is None
    assert dialogs.suggested == ["x.json"]


def test_results_export_suggests_a_plain_name():
    from gui.qt.results_window import suggested_file_name

    name = suggested_file_name("s3://b/../../..", "../../etc/job", "csv")
    assert "/" not in name and not name.startswith(".") and name.endswith(".csv")


def test_marker_file_names_use_the_same_rule():
    from gui.core.editorial import _safe_stem

    assert _safe_stem("s3://b/../.hidden clip.mp4") == "hidden_clip"
    assert _safe_stem("..") == "markers"
