"""Help > Keyboard shortcuts lists the keys; the main window's keys do what the list says."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from gui.app import create_window
from gui.qt import shortcuts
from gui.qt.shortcuts import ShortcutsDialog


def _window(qtbot, data_dir):
    window = create_window(["--data-dir", str(data_dir)])
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.jobsPanel is not None, timeout=10_000)
    return window


def test_the_dialog_lists_every_shortcut(qtbot):
    dialog = ShortcutsDialog()
    qtbot.addWidget(dialog)
    table = dialog.table
    assert table.rowCount() == len(shortcuts.ALL)
    rows = {(table.item(r, 1).text(), table.item(r, 2).text()) for r in range(table.rowCount())}
    assert ("Ctrl+Return or Ctrl+Enter", "Start label detection on the selected videos") in rows
    assert ("Shift+Space or X", "Exclude the focused label or category") in rows
    assert ("Esc or Ctrl+W", "Close the results window") in rows


def test_help_menu_opens_the_list(qtbot, data_dir):
    window = _window(qtbot, data_dir)
    action = next(a for a in window.menuBar().actions() if a.text() == "&Help").menu().actions()[0]
    assert action.objectName() == "shortcutsAction"
    action.trigger()
    qtbot.waitUntil(lambda: window.findChild(ShortcutsDialog) is not None)
    window.findChild(ShortcutsDialog).reject()


def test_ctrl_f_focuses_the_label_search(qtbot, data_dir):
    window = _window(qtbot, data_dir)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window.browserPanel, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.focusWidget() is window.filterPanel.filter_tree.search_edit


def test_ctrl_enter_presses_start_only_when_it_is_enabled(qtbot, data_dir):
    window = _window(qtbot, data_dir)
    clicks = []
    button = window.jobsPanel.submitButton
    button.clicked.connect(lambda: clicks.append(1))
    button.setEnabled(False)
    window.submit_selected()
    assert clicks == []
    button.setEnabled(True)
    window.submit_selected()
    assert clicks == [1]


def test_file_menu_offers_presets_and_preferences(qtbot, data_dir, monkeypatch):
    window = _window(qtbot, data_dir)
    file_menu = next(a for a in window.menuBar().actions() if a.text() == "&File").menu()
    names = [a.objectName() for a in file_menu.actions() if a.objectName()]
    assert names[:3] == ["importPresetAction", "exportPresetAction", "preferencesAction"]
    called = []
    monkeypatch.setattr(window.jobsPanel, "show_preferences", lambda: called.append("prefs"))
    monkeypatch.setattr(window.filterPanel.presets_bar, "import_preset", lambda: called.append("import"))
    for action in file_menu.actions()[:3]:
        if action.objectName() != "exportPresetAction":
            action.trigger()
    assert called == ["import", "prefs"]
