"""Tab walks the window pane by pane: connection, buckets, browser, filter search, tree, settings, Start, jobs."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from gui.app import create_window


def _owner(window, widget) -> str:
    panes = [("connection", window.connectionPanel), ("browser", window.browserPanel),
             ("filters", window.filterPanel)]
    if widget is window.jobsPanel.submitButton:
        return "submit"
    for name, pane in panes:
        if pane.isAncestorOf(widget):
            return name
    if window.jobsPanel.isAncestorOf(widget):
        return "jobs"
    return "other"


def test_tab_visits_the_panes_in_screen_order(qtbot, data_dir):
    window = create_window(["--demo", "--data-dir", str(data_dir)])  # a bucket open, rows in the table
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    qtbot.waitUntil(lambda: window.jobsPanel is not None, timeout=10_000)
    qtbot.waitUntil(lambda: window.browserPanel.proxy.rowCount() > 3, timeout=30_000)
    window.connectionPanel.unfold()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    window.connectionPanel.sourceCombo.setFocus(Qt.FocusReason.TabFocusReason)
    seen = []
    for _ in range(120):
        widget = QApplication.focusWidget()
        seen.append((_owner(window, widget), widget.objectName()))
        if widget is window.jobsPanel.table:
            break
        qtbot.keyClick(widget, Qt.Key.Key_Tab)
    owners = [o for o, _ in seen]
    assert owners[-1] == "jobs" and seen[-1][1] == "jobTable", seen
    order = ["connection", "browser", "filters", "submit", "jobs"]
    firsts = [owners.index(o) for o in order]
    assert firsts == sorted(firsts), seen
    runs = [o for i, o in enumerate(owners) if i == 0 or owners[i - 1] != o]
    assert runs == order, runs  # each pane visited in one run, never returned to
    names = [n for _, n in seen]
    assert names.count("videoBrowser") == 1  # Tab leaves the object table at once
    assert names.index("bucketList") < names.index("videoBrowser")
    assert names.index("filterSearchEdit") < names.index("filterTree") < names.index("submitButton")
    window.close()
