"""An inline message with a dismiss button: limits reached, preset problems, notices."""

from __future__ import annotations

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

MESSAGE_STYLE = {
    "warning": "QLabel { background: #fff4ce; color: #5c4400; border: 1px solid #e0c36a; padding: 3px 6px; }",
    "info": "QLabel { background: #e8f1fb; color: #1d3f63; border: 1px solid #a9c6e8; padding: 3px 6px; }",
}


class MessageBar(QWidget):
    """Hidden until :meth:`show_message`; ``label`` carries the objectName tests and users see."""

    def __init__(self, object_name: str, default_level: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.default_level = default_level
        self.label = QLabel(self)
        self.label.setObjectName(object_name)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.dismiss_button = QToolButton(self)
        self.dismiss_button.setText("✕")
        self.dismiss_button.setAutoRaise(True)
        self.dismiss_button.setToolTip("Dismiss")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(2)
        row.addWidget(self.label, 1)
        row.addWidget(self.dismiss_button, 0, Qt.AlignmentFlag.AlignTop)
        self.dismiss_button.clicked.connect(self.clear_message)
        self.setVisible(False)

    def show_message(self, text: str, level: str | None = None) -> None:
        level = level or self.default_level
        self.label.setStyleSheet(MESSAGE_STYLE.get(level, MESSAGE_STYLE[self.default_level]))
        self.label.setText(text)
        self.setVisible(True)

    @Slot()
    def clear_message(self) -> None:
        self.label.clear()
        self.setVisible(False)

    def text(self) -> str:
        return self.label.text() if not self.isHidden() else ""

    def level_style(self) -> str:
        return self.label.styleSheet()
