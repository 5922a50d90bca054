"""The queue, poller and fetcher against a private sandbox over real HTTP: limits, retries, restart,
refused videos, connection problems, SQS completions. Counts come from the sandbox's side."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from dataclasses import replace

from jobs_helpers import FAST_POLL, FAST_SUBMIT, connect, max_overlap, wait_until

from gui.core.engine import JobEngine, resolve_scope
from gui.core.jobstates import JobStatus
from gui.core.jobstore import JobStore, Scope, host_name
from gui.core.poller import Poller, PollPolicy, parse_completion, setup_completion_queue
from gui.core.submitter import Submitter
from gui.core.types import ConnectionSpec, JobSettings, NotificationChannel, S3Object


def _engine(store, conn, scope, *, results=None, **kw):
    kw.setdefault("submit_policy", FAST_SUBMIT)
    kw.setdefault("poll_policy", FAST_POLL)
    return JobEngine(store, conn.client, scope, results_path=results, **kw)


def _fill(sb, n, prefix="batch/"):
    """n small but real, decodable videos (the sandbox pads a real clip), as listed by S3."""
    sb.fill_prefix("jobs-bucket", prefix, n, size=40_000)
    listing = connect(sb).client("s3").list_objects_v2(Bucket="jobs-bucket", Prefix=prefix)["Contents"]
    videos = [S3Object("jobs-bucket", o["Key"], o["Size"]) for o in listing]
    assert len(videos) == n
    return videos


def _all_ended(store):
    return lambda: all(j.status.is_terminal for j in store.jobs())


def _one_job_per_video(sb, n):
    seen = Counter((j["Video"]["S3Object"]["Bucket"], j["Video"]["S3Object"]["Name"]) for j in sb.jobs())
    assert len(seen) == n, seen
    assert set(seen.values()) == {1}, [k for k, v in seen.items() if v > 1]


def test_queue_keeps_at_most_k_in_progress_and_all_succeed(make_sandbox, tmp_path):
    sb = make_sandbox(job_seconds=0.3, max_concurrent_jobs=2)
    videos = _fill(sb, 10)
    conn = connect(sb)
    scope = resolve_scope(conn.client, "us-east-1", sb.endpoint_url)
    with JobStore(tmp_path / "jobs.sqlite3") as store:
        engine = _engine(store, conn, scope, submit_policy=replace(FAST_SUBMIT, max_active=2))
        engine.start()
        try:
            assert len(engine.submit(videos, JobSettings())) == 10
            wait_until(_all_ended(store), 60)
        finally:
            assert engine.stop(5)
        assert [j.status for j in store.jobs()] == [JobStatus.SUCCEEDED] * 10
    assert max_overlap(sb.jobs()) <= 2
    assert sb.start_requests == 10  # the client-side queue never hit LimitExceededException
    _one_job_per_video(sb, 10)


def test_limit_exceeded_keeps_jobs_queued_until_a_slot_frees(make_sandbox, tmp_path):
    # jobs long enough that starts paced at the Start quota (5 per second) still meet the limit of 2
    sb = make_sandbox(job_seconds=1.0, max_concurrent_jobs=2)
    videos = _fill(sb, 6)
    conn = connect(sb)
    scope = resolve_scope(conn.client, "us-east-1", sb.endpoint_url)
    with JobStore(tmp_path / "jobs.sqlite3") as store:
        engine = _engine(store, conn, scope, submit_policy=replace(FAST_SUBMIT, max_active=5))  # more than AWS allows
        engine.start()
        try:
            engine.submit(videos, JobSettings())
            wait_until(_all_ended(store), 60)
        finally:
            engine.stop(5)
        assert all(j.status is JobStatus.SUCCEEDED for j in store.jobs())
    assert sb.start_requests > 6  # some starts were refused with LimitExceededException ...
    _one_job_per_video(sb, 6)  # ... and retried without doubling anything


def test_retries_with_faults_all_succeed_without_duplicates(make_sandbox, tmp_path):
    sb = make_sandbox(job_seconds=0.3, fault_rate=0.3, fault_seed=7)
    videos = _fill(sb, 8)
    conn = connect(sb)
    scope = resolve_scope(conn.client, "us-east-1", sb.endpoint_url)
    with JobStore(tmp_path / "jobs.sqlite3") as store:
        # botocore's own retries off: every fault reaches our backoff (and the test stays quick)
        engine = JobEngine(store, lambda service, region=None: conn.client(service, region, max_attempts=1), scope,
                           submit_policy=FAST_SUBMIT, poll_policy=FAST_POLL, results_path=tmp_path / "results.sqlite3")
        engine.start()
        try:
            engine.submit(videos, JobSettings())
            wait_until(lambda: all(j.status.is_terminal and j.results_fetched for j in store.jobs()), 90)
        finally:
            engine.stop(5)
        jobs = store.jobs()
        assert all(j.status is JobStatus.SUCCEEDED for j in jobs)
        assert all(j.label_count is not None for j in jobs)
        assert {j.job_id for j in jobs} == {j["JobId"] for j in sb.jobs()}
    assert sb.faults_injected > 0
    _one_job_per_video(sb, 8)


def test_restart_with_queued_in_progress_and_half_submitted_jobs(make_sandbox, tmp_path):
    """Quit with jobs queued, in progress and one whose start reached AWS but whose answer was lost:
    reopening resumes all of them; the sandbox sees each video exactly once."""
    sb = make_sandbox(job_seconds=1.0)
    videos = _fill(sb, 8)
    conn = connect(sb)
    scope = resolve_scope(conn.client, "us-east-1", sb.endpoint_url)
    path = tmp_path / "jobs.sqlite3"
    store = JobStore(path)
    engine = _engine(store, conn, scope, submit_policy=replace(FAST_SUBMIT, max_active=3))
    engine.start()
    engine.submit(videos, JobSettings())
    wait_until(lambda: store.counts(scope)[JobStatus.IN_PROGRESS] == 3, 20)
    assert engine.stop(5)
    # A crash while sending: claimed by a process that is gone, and AWS did start it.
    dead_owner = f"{host_name()}:{_dead_pid()}:crashed"
    [half] = store.claim(scope, owner=dead_owner, max_active=20, limit=1, lease_seconds=600,
                         is_abandoned=lambda *a: False)
    conn.client("rekognition").start_label_detection(**half.request)
    store.close()
    before = {j["ClientRequestToken"] for j in sb.jobs()}
    assert len(before) == 4 and half.client_token in before

    with JobStore(path) as reopened:
        counts = reopened.counts(scope)
        assert counts[JobStatus.IN_PROGRESS] == 3 and counts[JobStatus.SUBMITTING] == 1
        assert counts[JobStatus.QUEUED] == 4
        engine2 = _engine(reopened, conn, scope, submit_policy=replace(FAST_SUBMIT, max_active=3))
        engine2.start()
        try:
            wait_until(_all_ended(reopened), 60)
        finally:
            engine2.stop(5)
        jobs = reopened.jobs()
        assert len(jobs) == 8 and all(j.status is JobStatus.SUCCEEDED for j in jobs)
        resumed = reopened.get(half.id)
        assert resumed is not None and resumed.client_token == half.client_token
    _one_job_per_video(sb, 8)
    assert len(sb.jobs()) == 8


def _dead_pid() -> int:
    """The pid of a process that has ended (and was reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_refused_videos_fail_with_aws_message_and_others_go_on(make_sandbox, tmp_path):
    sb = make_sandbox(job_seconds=0.2, max_video_bytes=50_000)
    good = _fill(sb, 1)
    sb.put_object("jobs-bucket", "big.mp4", b"x" * 60_000)
    videos = good + [S3Object("jobs-bucket", "missing.mp4", 10), S3Object("jobs-bucket", "big.mp4", 60_000)]
    conn = connect(sb)
    scope = resolve_scope(conn.client, "us-east-1", sb.endpoint_url)
    with JobStore(tmp_path / "jobs.sqlite3") as store:
        engine = _engine(store, conn, scope)
        engine.start()
        try:
            engine.submit(videos, JobSettings())
            wait_until(_all_ended(store), 30)
        finally:
            engine.stop(5)
        by_key = {j.key: j for j in store.jobs()}
    assert by_key[good[0].key].status is JobStatus.SUCCEEDED
    missing, big = by_key["missing.mp4"], by_key["big.mp4"]
    assert missing.status is JobStatus.FAILED and missing.error_code == "InvalidS3ObjectException"
    assert missing.status_message.startswith("Unable to get object metadata from S3")
    assert big.status is JobStatus.FAILED and big.error_code == "VideoTooLargeException"
    assert "more than the maximum limit of: 50000 bytes" in big.status_message
    assert missing.job_id is None and missing.attempts == 1  # not retried


def test_unreachable_endpoint_keeps_jobs_queued_and_reports(tmp_path):
    from gui.core.connection import Connection
    from gui.core.jobstore import new_job

    conn = Connection(ConnectionSpec(source="env", region="us-east-1", endpoint_url="http://127.0.0.1:9"))
    scope = Scope("123456789012", "us-east-1", "http://127.0.0.1:9")
    problems = []
    with JobStore(tmp_path / "jobs.sqlite3") as store:
        sub = Submitter(store, lambda service: conn.client(service, max_attempts=1), scope, policy=FAST_SUBMIT,
                        on_problem=problems.append)
        store.add_jobs([new_job("videos", "a.mp4", JobSettings(), scope)])
        result = sub.step()
        assert result.submitted == 0
        [job] = store.jobs()
        assert job.status is JobStatus.QUEUED and job.error_code == "EndpointConnectionError"
        assert sub.blocked_until > time.time()
        assert problems and problems[-1].title == "Endpoint unreachable"
        assert sub.step().submitted == 0  # blocked: no second call before the backoff ends
        sub.close()


def test_missing_credentials_pause_instead_of_failing_jobs(make_sandbox, tmp_path, monkeypatch):
    from gui.core.connection import Connection
    from gui.core.jobstore import new_job

    sb = make_sandbox()
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    conn = Connection(ConnectionSpec(source="default", region="us-east-1", endpoint_url=sb.endpoint_url))
    scope = Scope("123456789012", "us-east-1", sb.endpoint_url)
    with JobStore(tmp_path / "jobs.sqlite3") as store:
        sub = Submitter(store, conn.client, scope, policy=FAST_SUBMIT)
        store.add_jobs([new_job("videos", "a.mp4", JobSettings(), scope)])
        sub.step()
        assert sub.paused is not None and sub.paused.title == "No AWS credentials found"
        [job] = store.jobs()
        assert job.status is JobStatus.QUEUED and job.attempts == 0
        assert sub.step().submitted == 0
        sub.close()
    assert sb.start_requests == 0


def test_poller_backs_off_per_job_up_to_the_maximum(make_sandbox, tmp_path):
    sb = make_sandbox(job_seconds=30.0)
    [video] = _fill(sb, 1)
    conn = connect(sb)
    scope = resolve_scope(conn.client, "us-east-1", sb.endpoint_url)
    with JobStore(tmp_path / "jobs.sqlite3") as store:
        sub = Submitter(store, conn.client, scope, policy=FAST_SUBMIT, clock=lambda: 1000.0)
        from gui.core.duplicates import plan_jobs

        store.add_jobs(plan_jobs(store, scope, [video], JobSettings()).new)
        assert sub.step(now=1000.0).submitted == 1
        now = [1000.0]
        poller = Poller(store, conn.client, scope, clock=lambda: now[0],
                        policy=PollPolicy(first_delay=5.0, factor=1.5, max_interval=60.0, min_gap=0.0))
        assert poller.step(1000.0) > 0 and poller.calls == 0  # not before first_delay
        intervals = []
        for _ in range(9):
            entry = next(iter(poller._schedule.values()))
            now[0] = entry.due
            poller.step(now[0])
            intervals.append(next(iter(poller._schedule.values())).interval)
        assert poller.calls == 9
        assert intervals[:3] == [7.5, 11.25, 16.875]
        assert intervals[-1] == 60.0 and max(intervals) == 60.0
        sub.close()


def test_completions_arrive_through_sqs_with_polling_only_as_fallback(make_sandbox, tmp_path):
    sb = make_sandbox(job_seconds=0.3)
    videos = _fill(sb, 2)
    conn = connect(sb)
    scope = resolve_scope(conn.client, "us-east-1", sb.endpoint_url)
    topic = conn.client("sns").create_topic(Name="AmazonRekognitionJobs")["TopicArn"]
    url = setup_completion_queue(conn.client, topic)
    attrs = conn.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]
    assert json.loads(attrs["Policy"])["Statement"][0]["Condition"]["ArnEquals"]["aws:SourceArn"] == topic
    # a role Rekognition may publish through (the sandbox, like AWS, sends nothing through a missing one)
    settings = JobSettings(notification=NotificationChannel(topic, sb.create_notification_role()))
    with JobStore(tmp_path / "jobs.sqlite3") as store:
        from gui.core.engine import JobPreferences

        prefs = JobPreferences(completion_queues={topic: url}, auto_fetch=False)
        engine = _engine(store, conn, scope, preferences=prefs,
                         poll_policy=replace(FAST_POLL, notified_interval=120.0))
        engine.start()
        try:
            engine.submit(videos, settings)
            wait_until(_all_ended(store), 30)
        finally:
            engine.stop(5)
        assert all(j.status is JobStatus.SUCCEEDED for j in store.jobs())
    assert engine.poller.calls == 0  # no GetLabelDetection: the queue said it


def test_parse_completion_accepts_sns_envelope_and_raw_messages():
    inner = {"JobId": "J1", "Status": "SUCCEEDED", "API": "StartLabelDetection", "Timestamp": 1}
    assert parse_completion(json.dumps({"Type": "Notification", "Message": json.dumps(inner)})) == (
        "J1", "SUCCEEDED", None)
    assert parse_completion(json.dumps(inner)) == ("J1", "SUCCEEDED", None)
    assert parse_completion("not json") is None
    assert parse_completion(json.dumps({"Type": "SubscriptionConfirmation", "Message": "hello"})) is None
