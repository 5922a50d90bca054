"""SQS mode when completion messages never come (issue 11, item 9): with a channel whose role cannot
publish, or a topic in another region, the sandbox (like AWS, per the developer guide's
``video-troubleshooting`` page) runs the jobs and sends nothing.  The app must still finish every job by
its slow safety-net poll and say that notifications are not arriving, and why that usually happens."""

from __future__ import annotations

import time
from typing import Any

from gui.core.engine import JobEngine, JobPreferences, resolve_scope
from gui.core.jobstates import JobStatus
from gui.core.jobstore import JobStore
from gui.core.poller import PollPolicy, setup_completion_queue
from gui.core.submitter import SubmitPolicy
from gui.core.types import ConnectionSpec, JobSettings, NotificationChannel, S3Object

POLL = PollPolicy(first_delay=0.1, factor=1.5, max_interval=0.3, min_gap=0.0, idle_wait=0.1, backoff_base=0.05,
                  backoff_max=0.4, queue_interval=0.1, notified_interval=1.0)
SUBMIT = SubmitPolicy(max_active=20, backoff_base=0.05, backoff_max=0.4, limit_wait=0.2, idle_wait=0.1)


def _wait(predicate: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def _run(sb: Any, tmp_path: Any, role: str, topic_region: str = "us-east-1", n: int = 4) -> tuple[Any, list]:
    from gui.core.connection import Connection

    conn = Connection(ConnectionSpec(source="env", region="us-east-1", endpoint_url=sb.endpoint_url))
    sb.fill_prefix("net-bucket", "v/", n, size=40_000)
    listing = conn.client("s3").list_objects_v2(Bucket="net-bucket", Prefix="v/")["Contents"]
    videos = [S3Object("net-bucket", o["Key"], o["Size"]) for o in listing]
    topic = conn.client("sns", topic_region).create_topic(Name="AmazonRekognitionSafetyNet")["TopicArn"]
    queue = setup_completion_queue(lambda service, region=None: conn.client(service, region or topic_region), topic)
    scope = resolve_scope(conn.client, "us-east-1", sb.endpoint_url)
    problems: list = []
    with JobStore(tmp_path / "jobs.sqlite3") as store:
        engine = JobEngine(store, conn.client, scope, preferences=JobPreferences(
            completion_queues={topic: queue}, auto_fetch=False), submit_policy=SUBMIT, poll_policy=POLL,
            on_problem=problems.append)
        if topic_region != "us-east-1":  # the poller reads the queue where it lives
            engine.poller.client_factory = lambda service, region=None: conn.client(
                service, topic_region if service == "sqs" else region)
        engine.start()
        try:
            engine.submit(videos, JobSettings(notification=NotificationChannel(topic, role)))
            _wait(lambda: all(j.status.is_terminal for j in store.jobs()) and len(store.jobs()) == n)
        finally:
            engine.stop(5)
        assert {j.status for j in store.jobs()} == {JobStatus.SUCCEEDED}
    return engine.poller, problems


def test_without_messages_every_job_still_finishes_and_the_user_is_told_why(make_sandbox, tmp_path):
    sb = make_sandbox(job_seconds=0.2)
    missing_role = f"arn:aws:iam::{sb.account_id}:role/NoSuchRekognitionRole"
    poller, problems = _run(sb, tmp_path, missing_role)
    assert poller.calls > 0  # the safety-net poll did it
    message = poller.notifications_missing
    assert message is not None and message.title == "Notifications are not arriving"
    assert "no completion message came through the SQS queue" in message.text
    assert all(word in message.hint for word in ("role", "rekognition.amazonaws.com", "region", "topic's access policy"))
    assert message in problems
    assert all(not j["NotificationPublished"] for j in sb.job_listing())


def test_a_topic_in_another_region_is_noticed_too(make_sandbox, tmp_path):
    sb = make_sandbox(job_seconds=0.2)
    poller, _ = _run(sb, tmp_path, sb.create_notification_role(), topic_region="us-west-2", n=2)
    assert poller.notifications_missing is not None
    assert {j["NotificationProblem"] for j in sb.job_listing()} == {
        "the SNS topic is in us-west-2, the Rekognition endpoint in us-east-1"}


def test_with_a_working_channel_nothing_is_polled_and_nothing_is_said(make_sandbox, tmp_path):
    sb = make_sandbox(job_seconds=0.2)
    poller, problems = _run(sb, tmp_path, sb.create_notification_role())
    assert poller.calls == 0 and poller.notifications_missing is None and problems == []
    assert all(j["NotificationPublished"] for j in sb.job_listing())
