"""The job list's context menu offers "Export markers…" for the selected jobs whose results are stored,
and opens the marker export dialog for all of them (one file per video into a folder)."""

from __future__ import annotations

import pytest
from jobs_helpers import FAST_POLL, FAST_SUBMIT, connect, demo_videos
from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QMenu

from gui.core.jobstates import JobStatus
from gui.core.paths import resolve_paths
from gui.core.types import JobSettings
from gui.qt.export_dialog import MarkerExportDialog
from gui.qt.jobs_panel import JobsPanel

# the offscreen platform cannot raise or grab for the popped-up context menu; harmless here
pytestmark = pytest.mark.qt_log_ignore(
    r"This plugin does not support propagateSizeHints", r"This plugin does not support raise\(\)",
    r"This plugin does not support grabbing the keyboard",
)


def test_context_menu_exports_markers_of_the_selected_jobs(qtbot, make_sandbox, tmp_path):
    sb = make_sandbox(seed_demo=True, job_seconds=0.3)
    panel = JobsPanel(resolve_paths(tmp_path / "app").ensure(), submit_policy=FAST_SUBMIT, poll_policy=FAST_POLL)
    qtbot.addWidget(panel)
    try:
        conn = connect(sb)
        panel.set_connection(conn)
        qtbot.waitUntil(lambda: panel.engine is not None, timeout=15_000)
        videos = demo_videos(conn)[:2]
        panel.submit_videos(videos, JobSettings(min_confidence=50))
        qtbot.waitUntil(lambda: panel.model.rowCount() == 2, timeout=10_000)

        def fetched():
            records = [panel.model.record(i) for i in range(panel.model.rowCount())]
            return all(r.status is JobStatus.SUCCEEDED and r.results_fetched for r in records)

        qtbot.waitUntil(fetched, timeout=30_000)
        panel.show()
        panel.table.selectAll()
        panel._on_context_menu(QPoint(5, 5))
        menu = panel.findChild(QMenu, "jobContextMenu")
        action = next(a for a in menu.actions() if a.objectName() == "exportMarkersAction")
        assert action.text() == "Export markers…"
        action.trigger()
        dialog = panel.findChild(MarkerExportDialog, "markerExportDialog")
        assert dialog is not None and dialog.isVisible()
        assert sorted(uri for _, uri in dialog.jobs) == sorted(v.uri for v in videos)
        assert dialog.windowTitle() == "Export markers of 2 videos"
        qtbot.waitUntil(lambda: dialog.count is not None, timeout=10_000)
        assert dialog.count > 0
        menu.close()
        dialog.outputEdit.setText(str(tmp_path / "edit"))
        dialog.set_format("otio")
        with qtbot.waitSignal(dialog.exported, timeout=20_000) as blocker:
            dialog.exportButton.click()
        assert sorted(p.name for p in (tmp_path / "edit").iterdir()) == sorted(
            v.key.rsplit("/", 1)[-1].rsplit(".", 1)[0] + ".otio" for v in videos
        )
        assert blocker.args[0].marker_count == dialog.count
    finally:
        panel.shutdown()
