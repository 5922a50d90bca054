"""Untrusted text (S3 keys, folder and preset names, AWS messages) on screen: never read as HTML.

Qt renders a label, a message box or a tooltip as rich text whenever ``Qt.mightBeRichText`` says the
string looks like HTML, so a key named ``<img src="file:///...">`` would display a local image. Every
untrusted string goes through one of these:

- :func:`shown` for plain-text places (table cells, window titles, the status bar, plain labels):
  control and bidi characters as visible markers, right-to-left runs isolated.
- :func:`rich` for a fragment placed inside our own rich text (``<b>…</b>``): the same, HTML-escaped.
- :func:`plain_tooltip` for a whole tooltip: shown literally, line breaks kept.
- :func:`plain_message_box` for a question or warning box whose text is plain.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from gui.core.safetext import isolate


def shown(text: str) -> str:
    """Untrusted text for a plain-text place."""
    return isolate(text)


def rich(text: str) -> str:
    """Untrusted text as a fragment of rich text."""
    return html.escape(isolate(text), quote=False)


def plain_tooltip(text: str) -> str:
    """A tooltip that Qt shows exactly as ``text`` reads (ordinary text is returned unchanged)."""
    if "<" not in text and "&" not in text:
        return text
    body = html.escape(text, quote=False).replace("\n", "<br>")
    return f"<p style='white-space:pre-wrap'>{body}</p>"


def plain_message_box(
    icon: QMessageBox.Icon,
    title: str,
    text: str,
    buttons: QMessageBox.StandardButton,
    parent: QWidget | None = None,
) -> QMessageBox:
    """A message box whose text is plain text, whatever it contains."""
    box = QMessageBox(icon, title, text, buttons, parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    return box
