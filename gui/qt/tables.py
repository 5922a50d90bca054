"""What the app's read-only tables and file prompts share: the results window, the Library view and the
marker export dialog set them up through here, so they look and behave alike."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

# (parent, caption, suggested path, name filter) -> chosen path, or "" when the user cancels
SaveDialog = Callable[[QWidget, str, str, str], str]


def default_save_dialog(parent: QWidget, caption: str, suggested: str, name_filter: str) -> str:
    path, _ = QFileDialog.getSaveFileName(parent, caption, suggested, name_filter)
    return path


def setup_read_only_table(table: QTableView) -> None:
    """Whole rows selected one at a time, no editing, no row numbers, rows one line high."""
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 6)
    table.horizontalHeader().setHighlightSections(False)
    table.horizontalHeader().setStretchLastSection(True)


def titled(parent: QWidget, widget: QWidget, caption: QLabel | str) -> QWidget:
    """``widget`` under a bold caption (a label of the caller's, or a new one with this text)."""
    box = QWidget(parent)
    v = QVBoxLayout(box)
    v.setContentsMargins(0, 4, 0, 0)
    v.setSpacing(2)
    label = caption if isinstance(caption, QLabel) else QLabel(caption, box)
    label.setStyleSheet("font-weight: bold;")
    v.addWidget(label)
    v.addWidget(widget, 1)
    return box
