"""Accessible names for every input, and buddies for every form label, given once per window.

Screen readers announce a widget by its accessible name. Widgets built by hand rarely get one, so
:func:`name_inputs` walks a widget tree after it is built: a form row's label becomes the field's buddy
(Alt+letter then focuses the field) and its name; other inputs are named from their own text, placeholder
or tooltip. A name set explicitly is never replaced.
"""

from __future__ import annotations

import re

from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QComboBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QLayout,
    QLineEdit,
    QPlainTextEdit,
    QScrollBar,
    QTextEdit,
    QWidget,
)

INPUT_TYPES = (QAbstractButton, QLineEdit, QAbstractSpinBox, QComboBox, QAbstractSlider, QAbstractItemView,
               QPlainTextEdit, QTextEdit)
_TAGS = re.compile(r"<[^>]+>")


def _plain(text: str) -> str:
    text = _TAGS.sub("", text).replace("&&", "\x00").replace("&", "").replace("\x00", "&")
    return " ".join(text.split()).rstrip(":").strip()


def _first_field(item_widget: QWidget | None, layout: QLayout | None) -> QWidget | None:
    if item_widget is not None:
        if isinstance(item_widget, INPUT_TYPES):
            return item_widget
        inner = item_widget.findChildren(QWidget)
        return next((w for w in inner if isinstance(w, INPUT_TYPES)), None)
    if layout is not None:
        for i in range(layout.count()):
            item = layout.itemAt(i)
            found = _first_field(item.widget(), item.layout())
            if found is not None:
                return found
    return None


def _name_form(form: QFormLayout) -> None:
    for row in range(form.rowCount()):
        label_item = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
        field_item = form.itemAt(row, QFormLayout.ItemRole.FieldRole)
        if label_item is None or field_item is None:
            continue
        label = label_item.widget()
        if not isinstance(label, QLabel):
            continue
        field = _first_field(field_item.widget(), field_item.layout())
        if field is None:
            continue
        if label.buddy() is None:
            label.setBuddy(field)
        if not field.accessibleName():
            field.setAccessibleName(_plain(label.text()))


def _own_name(widget: QWidget) -> str:
    if isinstance(widget, QAbstractButton):
        text = _plain(widget.text())
        if text and not all(not c.isalnum() for c in text):  # "✕", "…": not a name
            return text
    if isinstance(widget, QLineEdit) and widget.placeholderText():
        return _plain(widget.placeholderText())
    return _plain(widget.toolTip())


def name_inputs(root: QWidget) -> list[QWidget]:
    """Give buddies and accessible names below ``root``; returns the inputs still without a name."""
    for form in root.findChildren(QFormLayout):
        _name_form(form)
    for label in root.findChildren(QLabel):
        buddy = label.buddy()
        if buddy is not None and not buddy.accessibleName():
            buddy.setAccessibleName(_plain(label.text()))
    unnamed: list[QWidget] = []
    for widget in root.findChildren(QWidget):
        if not isinstance(widget, INPUT_TYPES) or widget.accessibleName():
            continue
        if isinstance(widget, (QHeaderView, QScrollBar)) or widget.objectName().startswith("qt_"):
            continue  # parts of a view, named by the view
        if isinstance(widget.parent(), (QComboBox, QAbstractSpinBox, QLineEdit)):
            continue  # inner line edits, clear buttons: named by their owner
        if widget.window() is not root.window():
            continue  # a combo box's popup list: a window of its own
        name = _own_name(widget)
        if name:
            widget.setAccessibleName(name)
        else:
            unnamed.append(widget)
    return unnamed
