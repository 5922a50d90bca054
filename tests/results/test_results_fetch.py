"""fetch_and_store against the sandbox over real HTTP: every page, both aggregations, retries, cancel."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pytest
from botocore.exceptions import ClientError
from results_support import (
    DEMO_BUCKET,
    DEMO_VIDEO,
    SCRIPT_SIZE,
    SCRIPTED_VIDEO,
    detection_key,
    expected_summary,
    raw_pages,
    rekognition,
    script,
    start_and_wait,
    stored_key,
)

from gui.core.errors import KnownError
from gui.core.results_fetch import FetchCancelled, FetchProgress, RetryPolicy, fetch_and_store
from gui.core.results_store import SEGMENTS, TIMESTAMPS

FAST_RETRY = RetryPolicy(max_attempts=12, base_delay=0.01, max_delay=0.05)


class Token:
    def __init__(self) -> None:
        self.cancelled = False


def _all_labels(pages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [item for page in pages for item in page["Labels"]]


def test_demo_job_matches_a_raw_boto3_loop(sandbox, store):
    client = rekognition(sandbox.endpoint_url)
    job_id = start_and_wait(client, DEMO_BUCKET, DEMO_VIDEO)
    summary = fetch_and_store(client, job_id, store)

    for aggregation in (TIMESTAMPS, SEGMENTS):
        reference = _all_labels(raw_pages(client, job_id, aggregation))
        assert reference, "the demo video should produce detections"
        stored = store.detections(job_id, aggregation)
        assert [stored_key(d) for d in stored] == [detection_key(item) for item in reference]
    timestamps = _all_labels(raw_pages(client, job_id))
    assert summary.detection_count == len(timestamps)
    assert summary.label_count == len({item["Label"]["Name"] for item in timestamps})
    assert summary.segment_count == len(_all_labels(raw_pages(client, job_id, SEGMENTS)))
    assert summary.video_metadata["DurationMillis"] == 10_000
    assert summary.video_uri == f"s3://{DEMO_BUCKET}/{DEMO_VIDEO}"
    assert summary.aggregations == (TIMESTAMPS, SEGMENTS)


def test_multi_page_script_is_stored_exactly(scripted, scripted_job, store):
    job_id = scripted_job["job_id"]
    seen: list[FetchProgress] = []
    summary = fetch_and_store(scripted_job["client"], job_id, store, progress=seen.append)

    assert len(scripted_job["timestamps"]) == 3  # 1000 + 1000 + 500
    assert summary.page_count == 3
    assert summary.detection_count == SCRIPT_SIZE
    assert [(p.aggregation, p.pages, p.detections) for p in seen if p.aggregation == TIMESTAMPS] == [
        (TIMESTAMPS, 1, 1000),
        (TIMESTAMPS, 2, 2000),
        (TIMESTAMPS, 3, 2500),
    ]
    assert seen[-1].fraction == 1.0

    expected = expected_summary(script())
    assert summary.label_count == len(expected)
    rows = store.label_summary(job_id)
    assert {r.label for r in rows} == set(expected)
    for r in rows:
        e = expected[r.label]
        assert r.occurrences == e["n"]
        assert r.max_confidence == pytest.approx(e["max"])
        assert r.mean_confidence == pytest.approx(e["mean"])
        assert (r.first_ms, r.last_ms) == (e["first"], e["last"])
        assert r.categories, "the sandbox fills categories from the taxonomy"
    # most frequent first
    assert [r.occurrences for r in rows] == sorted((r.occurrences for r in rows), reverse=True)
    # instances kept as JSON: every Car and Person has exactly the scripted box
    cars = store.detections(job_id, search="Car")
    assert cars and all(d.instance_count == 1 for d in cars if d.label == "Car")
    assert cars[0].instances[0]["BoundingBox"] == {"Width": 0.25, "Height": 0.5, "Left": 0.125, "Top": 0.25}


def test_segments_are_stored_and_queryable(scripted_job, store):
    job_id = scripted_job["job_id"]
    fetch_and_store(scripted_job["client"], job_id, store)
    reference = _all_labels(scripted_job["segments"])
    stored = store.detections(job_id, SEGMENTS)
    assert [stored_key(d) for d in stored] == [detection_key(i) for i in reference]
    assert all(d.end_ms is not None and d.end_ms >= d.start_ms for d in stored)
    seg_summary = {r.label: r for r in store.label_summary(job_id, SEGMENTS)}
    for name, count in Counter(i["Label"]["Name"] for i in reference).items():
        assert seg_summary[name].occurrences == count
        assert seg_summary[name].last_ms == max(i["EndTimestampMillis"] for i in reference if i["Label"]["Name"] == name)
    assert store.summary(job_id).segment_count == len(reference)


def test_segments_can_be_left_for_later(scripted_job, store):
    job_id = scripted_job["job_id"]
    summary = fetch_and_store(scripted_job["client"], job_id, store, aggregations=(TIMESTAMPS,))
    assert summary.aggregations == (TIMESTAMPS,) and summary.segment_count is None
    assert not store.has_results(job_id, SEGMENTS)
    summary = fetch_and_store(scripted_job["client"], job_id, store, aggregations=(SEGMENTS,))
    assert summary.aggregations == (TIMESTAMPS, SEGMENTS)
    assert summary.detection_count == SCRIPT_SIZE  # the timestamps stayed


def test_cancel_between_pages_keeps_nothing_partial(scripted, scripted_job, store):
    token = Token()
    calls = []

    def progress(p: FetchProgress) -> None:
        calls.append(p.pages)
        token.cancelled = True  # the user pressed Cancel while page 1 was stored

    before = scripted.get_requests
    with pytest.raises(FetchCancelled):
        fetch_and_store(scripted_job["client"], scripted_job["job_id"], store, cancel=token, progress=progress)
    assert calls == [1]
    assert scripted.get_requests - before == 1  # no further page was asked for
    assert store.summary(scripted_job["job_id"]) is None
    assert store._db().execute("SELECT COUNT(*) FROM detections").fetchone()[0] == 0


def test_a_failed_refetch_keeps_the_stored_results(scripted_job, store):
    job_id = scripted_job["job_id"]
    fetch_and_store(scripted_job["client"], job_id, store, aggregations=(TIMESTAMPS,))
    token = Token()

    def progress(p: FetchProgress) -> None:
        if p.pages == 2:
            token.cancelled = True

    with pytest.raises(FetchCancelled):
        fetch_and_store(scripted_job["client"], job_id, store, cancel=token, progress=progress)
    assert store.summary(job_id).detection_count == SCRIPT_SIZE
    assert store.count_detections(job_id) == SCRIPT_SIZE


def test_throttling_and_5xx_are_retried(make_sandbox, store):
    sb = make_sandbox(seed_demo=True, job_seconds=0.3, fault_seed=7)
    sb.set_detection_script(DEMO_BUCKET, SCRIPTED_VIDEO, script())
    # botocore's own retries off: only ours may save the day
    client = rekognition(sb.endpoint_url, retries={"total_max_attempts": 1, "mode": "standard"})
    job_id = start_and_wait(client, DEMO_BUCKET, SCRIPTED_VIDEO)
    sb.fault_rate = 0.3
    summary = fetch_and_store(client, job_id, store, retry=FAST_RETRY)
    sb.fault_rate = 0.0
    assert sb.faults_injected > 0
    assert summary.detection_count == SCRIPT_SIZE
    assert summary.segment_count == len(_all_labels(raw_pages(client, job_id, SEGMENTS)))


def test_errors_that_are_not_transient_are_raised(sandbox, store):
    client = rekognition(sandbox.endpoint_url, retries={"total_max_attempts": 1, "mode": "standard"})
    with pytest.raises(ClientError) as info:
        fetch_and_store(client, "no-such-job-0123456789", store, retry=FAST_RETRY)
    assert info.value.response["Error"]["Code"] in {"ResourceNotFoundException", "InvalidParameterException"}
    assert store.job_ids() == []


def test_jobs_that_did_not_succeed_are_explained(sandbox, store):
    client = rekognition(sandbox.endpoint_url)
    failed = start_and_wait(client, DEMO_BUCKET, "incoming/not-really-a-video.mp4")
    with pytest.raises(KnownError) as info:
        fetch_and_store(client, failed, store)
    assert info.value.message.title == "Job failed"
    running = client.start_label_detection(Video={"S3Object": {"Bucket": DEMO_BUCKET, "Name": DEMO_VIDEO}})["JobId"]
    with pytest.raises(KnownError) as info:
        fetch_and_store(client, running, store)
    assert info.value.message.title == "Results not ready"
    assert store.job_ids() == []


def test_stored_pages_are_the_pages_boto3_returns(scripted_job, store):
    job_id = scripted_job["job_id"]
    fetch_and_store(scripted_job["client"], job_id, store)
    assert store.pages(job_id) == scripted_job["timestamps"]
    assert store.pages(job_id, SEGMENTS) == scripted_job["segments"]


def test_a_client_shared_with_another_thread_keeps_pages_apart(scripted_job, store):
    """The raw-body capture listens on the client: another thread's calls must not leak in."""
    client = scripted_job["client"]
    job_id = scripted_job["job_id"]
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            client.get_label_detection(JobId=job_id, MaxResults=1)

    poller = threading.Thread(target=poll)
    poller.start()
    try:
        fetch_and_store(client, job_id, store, aggregations=(TIMESTAMPS,))
    finally:
        stop.set()
        poller.join()
    assert store.pages(job_id) == scripted_job["timestamps"]


def test_an_error_after_some_pages_discards_the_partial_result(make_sandbox, store):
    sb = make_sandbox(seed_demo=True, job_seconds=0.3, fault_seed=3)
    sb.set_detection_script(DEMO_BUCKET, SCRIPTED_VIDEO, script())
    client = rekognition(sb.endpoint_url, retries={"total_max_attempts": 1, "mode": "standard"})
    job_id = start_and_wait(client, DEMO_BUCKET, SCRIPTED_VIDEO)

    def progress(p: FetchProgress) -> None:
        sb.fault_rate = 1.0  # AWS keeps failing from page 2 on

    with pytest.raises(ClientError) as info:
        fetch_and_store(client, job_id, store, progress=progress, retry=RetryPolicy(3, 0.01, 0.02))
    sb.fault_rate = 0.0
    assert info.value.response["Error"]["Code"] in {
        "ThrottlingException",
        "ProvisionedThroughputExceededException",
        "InternalServerError",
    }
    db = store._db()
    assert db.execute("SELECT COUNT(*) FROM results").fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM pages").fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM detections").fetchone()[0] == 0
