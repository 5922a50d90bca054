"""The whole flow with the keyboard alone, in the demo window: open a folder, select videos, include a label,
start (Ctrl+Enter, Enter), open the results (Enter) and close them (Esc)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from gui.app import create_window
from gui.core.jobstates import JobStatus

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


def _focused():
    return QApplication.focusWidget()


def _type(qtbot, text):
    for ch in text:
        qtbot.keyClicks(_focused(), ch)


def test_connect_browse_filter_submit_and_open_results_with_keys_only(qtbot, data_dir):
    window = create_window(["--demo", "--data-dir", str(data_dir)])
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    browser = window.browserPanel
    qtbot.waitUntil(lambda: browser.proxy.rowCount() > 3, timeout=30_000)  # demo: connected, bucket open

    # Go to a folder by typing its address (Tab reaches the location field; Enter opens it).
    browser.locationEdit.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.keyClicks(browser.locationEdit, "s3://demo-videos/city/")
    with qtbot.waitSignal(browser.listingFinished, timeout=20_000):
        qtbot.keyClick(browser.locationEdit, Qt.Key.Key_Return)

    # Select every video in the table: Tab to it, Ctrl+A.
    table = browser.videoBrowser
    table.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.keyClick(table, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: len(browser.selected_videos()) >= 1, timeout=5_000)
    chosen = {v.key for v in browser.selected_videos()}

    # Ctrl+F, type a label, Down to its row, Space includes it.
    qtbot.keyClick(table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    tree = window.filterPanel.filter_tree
    assert _focused() is tree.search_edit
    qtbot.keyClicks(tree.search_edit, "Car")
    tree.view.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.keyClick(tree.view, Qt.Key.Key_Home)  # the best group comes first
    qtbot.keyClick(tree.view, Qt.Key.Key_Down)  # its first label: the best match
    qtbot.keyClick(tree.view, Qt.Key.Key_Space)
    assert tree.filters().label_inclusions == ("Car",)

    # Ctrl+Enter asks; Enter accepts.
    qtbot.waitUntil(lambda: window.jobsPanel.submitButton.isEnabled(), timeout=10_000)
    qtbot.keyClick(tree.view, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.jobsPanel.findChild(QMessageBox, "submitConfirmation") is not None,
                    timeout=10_000)
    box = window.jobsPanel.findChild(QMessageBox, "submitConfirmation")
    qtbot.waitUntil(box.isVisible, timeout=5_000)
    qtbot.keyClick(box, Qt.Key.Key_Return)
    jobs = window.jobsPanel
    qtbot.waitUntil(lambda: jobs.model.rowCount() == len(chosen), timeout=20_000)
    qtbot.waitUntil(lambda: all(jobs.model.record(i).status is JobStatus.SUCCEEDED
                                for i in range(jobs.model.rowCount())), timeout=60_000)

    # Enter on a job opens its results; Esc closes them.
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    jobs.table.setFocus(Qt.FocusReason.TabFocusReason)
    jobs.table.selectRow(0)
    qtbot.keyClick(jobs.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(jobs.results.windows), timeout=20_000)
    results = jobs.results.windows[-1]
    qtbot.waitUntil(results.isVisible, timeout=10_000)
    results.activateWindow()
    qtbot.waitUntil(results.isActiveWindow)
    qtbot.keyClick(results, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not results.isVisible(), timeout=10_000)
    window.close()
