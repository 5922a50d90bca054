"""Screenshots of the demo window for the README (docs/screenshot.png, and docs/results.png).

Run under a display: ``xvfb-run -a .venv/bin/python docs/window_screenshot.py [WIDTHxHEIGHT] [docs]``. It starts
the demo (local sandbox), selects the family videos, applies the "People and vehicles" preset, runs the
jobs, then grabs the window and one job's results window.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


def main() -> int:
    size = sys.argv[1] if len(sys.argv) > 1 else "1280x800"
    out = Path(sys.argv[2] if len(sys.argv) > 2 else "docs")
    width, height = (int(v) for v in size.split("x"))
    from PySide6.QtWidgets import QApplication

    from gui.app import create_window
    from gui.core.jobstates import JobStatus

    app = QApplication.instance() or QApplication([])

    def wait(condition: Callable[[], object], seconds: float = 60.0) -> None:
        end = time.monotonic() + seconds
        while not condition():
            if time.monotonic() > end:
                raise TimeoutError("the demo did not get there in time")
            app.processEvents()
            time.sleep(0.02)

    with tempfile.TemporaryDirectory() as data:
        window = create_window(["--demo", "--data-dir", data])
        window.resize(width, height)
        window.show()
        wait(lambda: window.jobsPanel is not None and window.jobsPanel.engine is not None)
        browser = window.browserPanel
        browser.navigate("demo-videos", "family/")
        wait(lambda: browser.proxy.rowCount() > 0)
        browser.select_all_videos_recursive()
        wait(lambda: len(browser.selected_videos()) > 0)
        window.filterPanel.presets_bar.apply("People and vehicles")
        jobs = window.jobsPanel
        jobs.submit_videos(browser.selected_videos(), window.filterPanel.current_settings(), "People and vehicles")
        wait(lambda: jobs.model.rowCount() > 0 and all(
            not jobs.model.record(i).status.is_active for i in range(jobs.model.rowCount())), 120)
        done = [jobs.model.record(i) for i in range(jobs.model.rowCount())
                if jobs.model.record(i).status is JobStatus.SUCCEEDED]
        wait(lambda: all(jobs.store.get(r.id).results_fetched for r in done), 60)
        jobs.table.selectRow(0)
        window.filterPanel.filter_tree.search_edit.setText("car")
        for _ in range(50):
            app.processEvents()
            time.sleep(0.02)
        window.grab().save(str(out / "screenshot.png"))
        best = max(done, key=lambda r: jobs.store.get(r.id).label_count or 0)
        jobs.open_results(best)
        wait(lambda: bool(jobs.results.windows))
        results = jobs.results.windows[-1]
        results.resize(width, height)
        wait(lambda: results.view.detectionsModel.rowCount() > 0)
        results.view.summaryTable.selectRow(0)  # its best detection in the frame view, with the boxes
        for _ in range(150):
            app.processEvents()
            time.sleep(0.02)
        results.grab().save(str(out / "results.png"))
        results.close()
        window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
