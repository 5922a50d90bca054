"""Demo jobs survive a restart: the local sandbox is one scope whatever its port, earlier jobs stay listed,
their stored results open offline, and a job the new sandbox no longer knows says its results are gone."""

from __future__ import annotations

import pytest

from gui.app import create_window
from gui.core.jobstates import JobStatus
from gui.core.jobstore import JobStore, new_job
from gui.core.paths import resolve_paths
from gui.core.results_store import ResultsStore
from gui.core.types import SANDBOX_SCOPE, JobSettings, S3Object

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")
VIDEO = S3Object("demo-videos", "city/city-traffic.mp4")


def _demo(qtbot, data_dir):
    window = create_window(["--demo", "--data-dir", str(data_dir)])
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.jobsPanel is not None and window.jobsPanel.engine is not None, timeout=30_000)
    return window


def test_demo_jobs_stay_listed_and_open_offline_after_a_restart(qtbot, data_dir):
    first = _demo(qtbot, data_dir)
    jobs = first.jobsPanel
    assert jobs.scope.endpoint == SANDBOX_SCOPE
    jobs.submit_videos([VIDEO], JobSettings())
    qtbot.waitUntil(lambda: jobs.model.rowCount() == 1 and jobs.model.record(0).results_fetched, timeout=60_000)
    done = jobs.model.record(0)
    first.close()

    paths = resolve_paths(str(data_dir))
    with JobStore(paths.jobs_db) as store:  # a job the next sandbox will not know, its results not fetched
        (gone,) = store.add_jobs([new_job("demo-videos", "family/pets/dog-park.mov", JobSettings(), done.scope)])
        store.mark_started(gone.id, "job-of-an-earlier-sandbox")
        store.mark_finished(gone.id, JobStatus.SUCCEEDED)

    second = _demo(qtbot, data_dir)
    jobs = second.jobsPanel
    qtbot.waitUntil(lambda: jobs.model.rowCount() == 2, timeout=20_000)
    qtbot.wait(2_000)  # the list used to empty itself about a second after loading
    assert jobs.model.rowCount() == 2

    def gone_message():
        record = next(jobs.model.record(i) for i in range(jobs.model.rowCount())
                      if jobs.model.record(i).id == gone.id)
        return record.status_message or ""

    qtbot.waitUntil(lambda: "results no longer available" in gone_message(), timeout=30_000)
    with ResultsStore(paths.results_db) as results:  # the first job's results still open, without AWS
        assert results.has_results(done.job_id)
    second.close()
