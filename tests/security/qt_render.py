"""What Qt displays for a string: the way Qt decides it for labels, message boxes and tooltips."""

from __future__ import annotations

from PySide6 import QtGui
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocument

from gui.core.safetext import visible


def rendered(text: str, fmt: Qt.TextFormat = Qt.TextFormat.AutoText) -> str:
    """What Qt displays for ``text`` in a label, message box or tooltip of this text format (AutoText:
    rich text whenever ``Qt.mightBeRichText`` says so; tooltips always decide that way)."""
    if fmt == Qt.TextFormat.PlainText or (fmt == Qt.TextFormat.AutoText and not QtGui.Qt.mightBeRichText(text)):
        return text
    doc = QTextDocument()
    doc.setHtml(text)
    return doc.toPlainText()


def shows(text: str, name: str, fmt: Qt.TextFormat = Qt.TextFormat.AutoText) -> bool:
    """``name`` is displayed literally (with visible markers for its control and bidi characters)."""
    seen = rendered(text, fmt)
    return visible(name) in seen and "\u202e" not in seen and "\x1b" not in seen
