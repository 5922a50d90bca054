"""The one job-level results fetch (``fetch_job_results``) against the sandbox, and the background loop the
submitter, the poller and the results fetcher share (start, wake, stop, guarded callbacks)."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from jobs_helpers import connect, wait_until

from gui.core.cancel import CancelToken
from gui.core.engine import FETCH_FAILED_PREFIX, JobEngine, ResultsFetcher, fetch_job_results, resolve_scope
from gui.core.errors import KnownError
from gui.core.jobstates import JobStatus
from gui.core.jobstore import JobStore, Scope, new_job
from gui.core.loop import BackgroundLoop
from gui.core.results_store import ResultsStore
from gui.core.types import JobSettings

DEMO = ("demo-videos", "city/city-traffic.mp4")
SCOPE = Scope("111122223333", "us-east-1", "")


def _raw_label_detection(client, job_id):
    """Distinct label names and the duration, from a plain boto3 NextToken loop (the reference)."""
    names: set[str] = set()
    duration = None
    kwargs = {"JobId": job_id, "MaxResults": 1000}
    while True:
        page = client.get_label_detection(**kwargs)
        names.update(d["Label"]["Name"] for d in page.get("Labels", []))
        duration = page["VideoMetadata"]["DurationMillis"]
        if not page.get("NextToken"):
            return names, duration
        kwargs["NextToken"] = page["NextToken"]


def _succeeded_job(sandbox, store, scope):
    client = connect(sandbox).client("rekognition")
    [record] = store.add_jobs([new_job(*DEMO, JobSettings(), scope)])
    [claimed] = store.claim(scope, owner="test", max_active=5, limit=1, lease_seconds=60,
                            is_abandoned=lambda *a: False)
    job_id = client.start_label_detection(**claimed.request)["JobId"]
    store.mark_started(record.id, job_id)
    wait_until(lambda: client.get_label_detection(JobId=job_id, MaxResults=1)["JobStatus"] != "IN_PROGRESS")
    assert store.mark_finished(record.id, JobStatus.SUCCEEDED)
    return store.get(record.id), client


def test_fetch_job_results_records_failure_then_labels_and_duration_on_the_job(sandbox, tmp_path):
    conn = connect(sandbox)
    scope = resolve_scope(conn.client, "us-east-1", sandbox.endpoint_url)
    with JobStore(tmp_path / "jobs.sqlite3") as store, ResultsStore(tmp_path / "results.sqlite3") as results:
        record, client = _succeeded_job(sandbox, store, scope)
        names, duration = _raw_label_detection(client, record.job_id)
        assert names and duration

        with pytest.raises(KnownError):  # cancelled before the first page: the job stays as it was
            cancelled = CancelToken()
            cancelled.cancel()
            fetch_job_results(store, results, client, record, cancel=cancelled)
        assert store.get(record.id).status_message is None and not store.get(record.id).results_fetched

        unknown = replace(record, job_id="f" * 64)  # AWS refuses a JobId it does not know (no retries)
        with pytest.raises(ClientError):
            fetch_job_results(store, results, client, unknown)
        failed = store.get(record.id)
        assert failed.status_message.startswith(f"{FETCH_FAILED_PREFIX} results no longer available: the service "
                                                "no longer knows this job")
        assert not failed.results_fetched

        summary = fetch_job_results(store, results, client, failed)
        done = store.get(record.id)
    assert summary.label_count == len(names)
    assert done.results_fetched and done.label_count == len(names) and done.duration_ms == duration
    assert done.status_message is None  # the earlier failure is no longer true


def test_fetch_job_results_refuses_a_job_without_jobid(tmp_path):
    with JobStore(tmp_path / "jobs.sqlite3") as store, ResultsStore(tmp_path / "results.sqlite3") as results:
        [record] = store.add_jobs([new_job(*DEMO, JobSettings(), SCOPE)])
        with pytest.raises(KnownError, match="no AWS job"):
            fetch_job_results(store, results, None, record)


# ----------------------------------------------------------------------------------------------------------
# The loop
# ----------------------------------------------------------------------------------------------------------


class Counting(BackgroundLoop):
    thread_name = "test-loop"

    def __init__(self, wait, **kw):
        super().__init__(**kw)
        self.wait = wait
        self.steps = 0
        self.stepped = threading.Event()

    def step(self):
        self.steps += 1
        self.stepped.set()
        self._changed()
        self._report(None)
        if self.steps == 2:
            raise RuntimeError("a bug in one round")  # logged; the loop goes on
        return self.wait


def _boom(*args):
    raise RuntimeError("callback bug")


def test_the_loop_survives_failing_callbacks_and_a_failing_step(caplog):
    loop = Counting(0.0, on_change=_boom, on_problem=_boom)
    loop.error_wait = 0.0
    loop.start()
    try:
        wait_until(lambda: loop.steps >= 5, timeout=10)
    finally:
        assert loop.stop(timeout=5)
    assert "callback bug" in caplog.text and "a bug in one round" in caplog.text


def test_wake_cuts_a_wait_short_and_request_stop_returns_at_once():
    loop = Counting(60.0)
    loop.start()
    try:
        assert loop.stepped.wait(5)
        loop.stepped.clear()
        loop.wake()
        assert loop.stepped.wait(5)  # not 60 s later
        started = time.monotonic()
        loop.request_stop()
        assert time.monotonic() - started < 0.5 and loop.stopping
    finally:
        assert loop.stop(timeout=5)


def test_the_results_fetcher_guards_on_change_like_the_other_loops(tmp_path):
    with JobStore(tmp_path / "jobs.sqlite3") as store:
        [record] = store.add_jobs([new_job(*DEMO, JobSettings(), SCOPE)])  # no JobId: the fetch fails
        fetcher = ResultsFetcher(store, lambda service, region=None: None, tmp_path / "results.sqlite3",
                                 on_change=_boom, on_fetched=_boom)
        assert fetcher.fetch_now(record) is None  # the failing callback did not escape
        assert record.id in fetcher.errors
        assert store.get(record.id).status_message.startswith(FETCH_FAILED_PREFIX)
        assert fetcher.stop(timeout=1)


def test_engine_request_stop_stops_every_loop_and_paused_is_public(tmp_path):
    client = boto3.client("rekognition", region_name="us-east-1", endpoint_url="http://127.0.0.1:9")
    stubber = Stubber(client)
    stubber.add_client_error("start_label_detection", service_error_code="ExpiredTokenException",
                             service_message="The security token included in the request is expired",
                             http_status_code=400)
    with JobStore(tmp_path / "jobs.sqlite3") as store, stubber:
        engine = JobEngine(store, lambda service, region=None: client, SCOPE,
                           results_path=tmp_path / "results.sqlite3")
        store.add_jobs([new_job(*DEMO, JobSettings(), SCOPE)])
        engine.submitter.step()
        assert engine.paused is not None and engine.paused.title == "Credentials expired"
        engine.resume()
        assert engine.paused is None
        engine.start()
        engine.request_stop()
        assert engine.submitter.stopping and engine.poller.stopping and engine.fetcher.stopping
        assert engine.stop(timeout=5)
