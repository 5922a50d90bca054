"""The keyboard shortcuts, listed once: Help > Keyboard shortcuts shows this table, and the widgets that
bind the keys take their sequences from it so the list cannot drift from what the keys do."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)


@dataclass(frozen=True)
class Shortcut:
    keys: str  # as QKeySequence reads it ("Ctrl+Return"); several alternatives separated by ", "
    what: str
    where: str


SUBMIT = Shortcut("Ctrl+Return, Ctrl+Enter", "Start label detection on the selected videos", "Main window")
REFRESH = Shortcut("F5", "Refresh the job list and the open folder (in the Library: search again)", "Main window")
OPEN_RESULTS = Shortcut("Return, Enter", "Open the selected job's results", "Job list")
REMOVE_JOBS = Shortcut("Delete", "Remove the selected jobs from the list (asks first)", "Job list")
CLOSE_RESULTS = Shortcut("Esc, Ctrl+W", "Close the results window", "Results window")
FIND_LABEL = Shortcut("Ctrl+F", "Search the label filters (in the Library: its search)", "Main window")
FIND_IN_LIBRARY = Shortcut("Ctrl+L", "Find across every analysed video (the Library tab)", "Main window")
QUIT = Shortcut("Ctrl+Q", "Quit", "Main window")
INCLUDE = Shortcut("Space", "Include the focused label or category", "Label filters")
EXCLUDE = Shortcut("Shift+Space, X", "Exclude the focused label or category", "Label filters")
NEXT_DETECTION = Shortcut("Right", "Next detection of the selected label", "Frame view")
PREVIOUS_DETECTION = Shortcut("Left", "Previous detection of the selected label", "Frame view")
NEXT_FRAME = Shortcut("Shift+Right", "One frame forward", "Frame view")
PREVIOUS_FRAME = Shortcut("Shift+Left", "One frame back", "Frame view")
PLAY = Shortcut("Space", "Play or pause", "Frame view")
BOXES = Shortcut("B", "Show or hide the label boxes", "Frame view")

ALL = (SUBMIT, REFRESH, FIND_LABEL, FIND_IN_LIBRARY, QUIT, INCLUDE, EXCLUDE, OPEN_RESULTS, REMOVE_JOBS,
       CLOSE_RESULTS, PREVIOUS_DETECTION, NEXT_DETECTION, PREVIOUS_FRAME, NEXT_FRAME, PLAY, BOXES)


def sequences(shortcut: Shortcut) -> list[str]:
    """The QKeySequence strings of ``shortcut`` (one per alternative)."""
    return [k.strip() for k in shortcut.keys.split(",")]


class ShortcutsDialog(QDialog):
    """Help > Keyboard shortcuts: where, keys, what they do."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("shortcutsDialog")
        self.setWindowTitle("Keyboard shortcuts")
        table = QTableWidget(len(ALL), 3, self)
        table.setObjectName("shortcutsTable")
        table.setAccessibleName("Keyboard shortcuts")
        table.setHorizontalHeaderLabels(["Where", "Keys", "What"])
        table.verticalHeader().setVisible(False)
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for row, s in enumerate(ALL):
            for col, text in enumerate((s.where, " or ".join(sequences(s)), s.what)):
                item = QTableWidgetItem(text)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                table.setItem(row, col, item)
        table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        table.resizeColumnsToContents()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(table)
        layout.addWidget(buttons)
        self.table = table
        self.resize(640, 420)
