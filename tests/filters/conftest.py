"""Fixtures for the filter/preset tests: app paths in a tmp dir, scripted dialogs."""

from __future__ import annotations

from pathlib import Path

import pytest

from gui.core.paths import AppPaths


@pytest.fixture
def filter_paths(tmp_path: Path) -> AppPaths:
    root = tmp_path / "app"
    return AppPaths(root / "data", root / "config", root / "cache", root / "logs")


class ScriptedDialogs:
    """Answers the presets bar's questions from queues, and records what was asked."""

    def __init__(self) -> None:
        self.confirms: list[bool] = []
        self.texts: list[str | None] = []
        self.open_paths: list[Path | None] = []
        self.save_paths: list[Path | None] = []
        self.asked: list[tuple[str, str]] = []

    def confirm(self, parent, title: str, text: str) -> bool:
        self.asked.append(("confirm", text))
        return self.confirms.pop(0)

    def ask_text(self, parent, title: str, prompt: str, default: str = "") -> str | None:
        self.asked.append(("text", default))
        return self.texts.pop(0)

    def open_path(self, parent) -> Path | None:
        return self.open_paths.pop(0)

    def save_path(self, parent, suggested: str) -> Path | None:
        self.asked.append(("save", suggested))
        return self.save_paths.pop(0)


@pytest.fixture
def dialogs() -> ScriptedDialogs:
    return ScriptedDialogs()


@pytest.fixture
def model(qapp):
    """The label tree model (Qt is imported here, inside the fixture, as the core tests need no Qt)."""
    from gui.qt.filter_model import LabelTreeModel

    return LabelTreeModel()


@pytest.fixture
def proxy(model):
    from gui.qt.filter_model import LabelFilterProxy

    p = LabelFilterProxy()
    p.setSourceModel(model)
    return p
