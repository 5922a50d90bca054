"""Every input of the main window has an accessible name; every form label is its field's buddy."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from gui.app import create_window
from gui.qt.accessibility import INPUT_TYPES, name_inputs


def _window(qtbot, data_dir):
    window = create_window(["--data-dir", str(data_dir)])
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.jobsPanel is not None and window.filterPanel is not None, timeout=10_000)
    return window


def test_every_input_of_the_window_has_a_name(qtbot, data_dir):
    window = _window(qtbot, data_dir)
    inputs = [w for w in window.findChildren(QWidget) if isinstance(w, INPUT_TYPES)]
    assert len(inputs) > 50
    assert name_inputs(window) == []  # nothing left unnamed (the window already named them all)
    edits = [w for w in inputs if isinstance(w, QLineEdit) and w.isVisibleTo(window)
             and not isinstance(w.parent(), (QComboBox, QAbstractSpinBox))]  # those are named by their owner
    assert len(edits) >= 3 and all(w.accessibleName() for w in edits), [w.objectName() for w in edits]


def test_form_labels_are_buddies(qtbot, data_dir):
    window = _window(qtbot, data_dir)
    forms = window.findChildren(QFormLayout)
    assert forms
    for form in forms:
        for row in range(form.rowCount()):
            label = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            if label is not None and isinstance(label.widget(), QLabel):
                assert label.widget().buddy() is not None, label.widget().text()


def test_names_come_from_form_labels_and_tooltips(qtbot):
    root = QWidget()
    qtbot.addWidget(root)
    form = QFormLayout(root)
    edit = QLineEdit()
    form.addRow(QLabel("&Region:"), edit)
    icon_button = QPushButton("✕", root)
    icon_button.setToolTip("Dismiss the message")
    explicit = QLineEdit(root)
    explicit.setAccessibleName("Kept as set")
    bare = QLineEdit(root)
    assert name_inputs(root) == [bare]
    assert edit.accessibleName() == "Region"
    assert form.itemAt(0, QFormLayout.ItemRole.LabelRole).widget().buddy() is edit
    assert icon_button.accessibleName() == "Dismiss the message"
    assert explicit.accessibleName() == "Kept as set"
