"""Fixtures for the results tests; the helpers live in results_support.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from results_support import DEMO_BUCKET, SCRIPTED_VIDEO, raw_pages, rekognition, script, start_and_wait


@pytest.fixture(scope="module")
def scripted() -> Iterator[Any]:
    """A private sandbox (short jobs) whose dog-park video returns exactly :func:`script`."""
    from gui.sandbox import Sandbox

    sb = Sandbox(port=0, seed_demo=True, job_seconds=0.3)
    sb.start()
    sb.set_detection_script(DEMO_BUCKET, SCRIPTED_VIDEO, script())
    try:
        yield sb
    finally:
        sb.stop()


@pytest.fixture(scope="module")
def scripted_job(scripted: Any) -> dict[str, Any]:
    """One finished scripted job and its raw pages (both aggregations), shared by a module's tests."""
    client = rekognition(scripted.endpoint_url)
    job_id = start_and_wait(client, DEMO_BUCKET, SCRIPTED_VIDEO)
    return {
        "job_id": job_id,
        "client": client,
        "timestamps": raw_pages(client, job_id),
        "segments": raw_pages(client, job_id, "SEGMENTS"),
    }


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Any]:
    from gui.core.results_store import ResultsStore

    s = ResultsStore(tmp_path / "results.sqlite3")
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def results_pool(qapp: Any) -> Iterator[Any]:
    """Two threads the views and models of a test share (as the results windows of the Jobs panel do)."""
    from PySide6.QtCore import QThreadPool

    pool = QThreadPool()
    pool.setMaxThreadCount(2)
    yield pool
    assert pool.waitForDone(20_000), "background work still running"


@pytest.fixture
def wait_pool(results_pool: Any) -> Iterator[Callable[[], None]]:
    """Waits for :func:`results_pool`; also at the end of the test, so none is left running."""

    def wait() -> None:
        assert results_pool.waitForDone(20_000), "background work still running"

    yield wait
    wait()


@pytest.fixture
def job_store(tmp_path: Path) -> Iterator[Any]:
    from gui.core.jobstore import JobStore

    s = JobStore(tmp_path / "jobs.sqlite3")
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def job_record(job_store: Any, scripted: Any, scripted_job: dict[str, Any]) -> Any:
    """The scripted job as the job list knows it: succeeded, results not fetched yet."""
    from gui.core.jobstates import JobStatus
    from gui.core.jobstore import Scope, new_job
    from gui.core.types import JobSettings

    scope = Scope("123456789012", "us-east-1", scripted.endpoint_url)
    (record,) = job_store.add_jobs([new_job(DEMO_BUCKET, SCRIPTED_VIDEO, JobSettings(), scope)])
    assert job_store.mark_started(record.id, scripted_job["job_id"])
    assert job_store.mark_finished(record.id, JobStatus.SUCCEEDED)
    done = job_store.get(record.id)
    assert done is not None and done.label_count is None
    return done
