"""At 1024x700 and up the window fits, the job list shows Status and its summary whole, and the browser's
names have the room."""

from __future__ import annotations

import pytest

from gui.app import create_window
from gui.qt.browser_model import NAME
from gui.qt.job_model import STATUS


@pytest.fixture
def window(qtbot, data_dir):
    w = create_window(["--demo", "--data-dir", str(data_dir)])
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.jobsPanel is not None, timeout=10_000)
    qtbot.waitUntil(lambda: w.browserPanel.proxy.rowCount() > 3, timeout=30_000)
    yield w
    w.close()


@pytest.mark.parametrize("size", [(1024, 700), (1280, 800), (1600, 1000)])
def test_status_summary_and_names_stay_visible(qtbot, window, size):
    window.resize(*size)
    qtbot.wait(100)
    assert window.minimumSizeHint().width() <= 1024
    assert (window.width(), window.height()) == size
    jobs = window.jobsPanel
    table = jobs.table
    status_x = table.horizontalHeader().sectionViewportPosition(STATUS)
    status_w = table.horizontalHeader().sectionSize(STATUS)
    assert 0 <= status_x and status_x + status_w <= table.viewport().width()
    summary = jobs.summaryLabel
    assert summary.fontMetrics().horizontalAdvance(summary.text()) <= summary.width()
    names = window.browserPanel.videoBrowser.horizontalHeader().sectionSize(NAME)
    assert names >= 150


def test_extra_width_goes_to_the_job_list(qtbot, window):
    window.resize(1280, 800)
    qtbot.wait(100)
    before = window.splitter.sizes()
    window.resize(1600, 800)
    qtbot.wait(100)
    after = window.splitter.sizes()
    grown = [a - b for a, b in zip(after, before, strict=True)]
    assert grown[2] == max(grown) and grown[2] > 0
