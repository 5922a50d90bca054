"""An inline message with a dismiss button: limits reached, preset problems, notices."""

from __future__ import annotations

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

from gui.qt.theme import banner_style


class _Styles(dict[str, str]):
    """``MESSAGE_STYLE[level]``: computed from the palette when first asked (after the app exists)."""

    def __missing__(self, level: str) -> str:
        style = banner_style(level)
        self[level] = style
        return style

    def get(self, level: str, default: str | None = None) -> str | None:  # type: ignore[override]
        return self[level] if level in ("warning", "info", "error", "ok") else default


MESSAGE_STYLE = _Styles()


class MessageBar(QWidget):
    """Hidden until :meth:`show_message`; ``label`` carries the objectName tests and users see."""

    def __init__(self, object_name: str, default_level: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.default_level = default_level
        self.label = QLabel(self)
        self.label.setObjectName(object_name)
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.PlainText)  # messages name presets, labels, files
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.dismiss_button = QToolButton(self)
        self.dismiss_button.setText("✕")
        self.dismiss_button.setAutoRaise(True)
        self.dismiss_button.setToolTip("Dismiss")
        self.dismiss_button.setAccessibleName("Dismiss message")
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
