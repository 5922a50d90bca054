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
def wait_pool() -> Iterator[Callable[[], None]]:
    """Waits for the results views' thread pool; also at the end of the test, so none is left running."""
    from gui.qt.results_view import results_pool

    def wait() -> None:
        assert results_pool().waitForDone(20_000), "background work still running"

    yield wait
    wait()
