"""Watching jobs in progress: ONE poller for all of them, completions from SQS when set up, and fetching.

Polling: GetLabelDetection with ``MaxResults=1`` (just the status, not the labels), first a few
seconds after the job started, then less and less often (×1.5 each time) up to once a minute per job;
never more than one call per ``min_gap`` seconds in all; throttling makes the whole poller back off.

Notifications: AWS recommends reading completions from an SQS queue subscribed to the job's SNS topic
rather than polling. :func:`setup_completion_queue` creates the queue, its access policy and the
subscription; with a queue configured for a topic, the poller reads it and polls the jobs started with
that topic only rarely, as a safety net (``notified_interval``). When that safety-net poll finds a job
ended whose message never came, the poller reports "Notifications are not arriving" (with the usual causes)
and polls that topic's jobs at the normal pace until messages arrive again.

Results: the poller reports each job's end through ``on_finished``; the engine
(:class:`gui.core.engine.JobEngine`) hands succeeded jobs to its results fetcher.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from gui.core import pacing
from gui.core.backoff import backoff_delay
from gui.core.channel_check import WHY_NO_MESSAGES
from gui.core.clients import rekognition_client
from gui.core.errors import ErrorKind, UserMessage, aws_message, classify, error_code, explain
from gui.core.jobstates import JobStatus
from gui.core.jobstore import JobRecord, JobStore, Scope
from gui.core.loop import BackgroundLoop
from gui.core.types import ClientFactory

log = logging.getLogger(__name__)

# GetLabelDetection refusals that mean AWS no longer has the job (it keeps jobs for 7 days).
GONE_CODES = frozenset({"ResourceNotFoundException", "InvalidParameterException"})


@dataclass(frozen=True)
class PollPolicy:
    first_delay: float = 5.0  # first check this long after the job started
    factor: float = 1.5
    max_interval: float = 60.0
    min_gap: float = 0.2  # between two GetLabelDetection calls, all jobs together
    idle_wait: float = 2.0  # look for newly started jobs (also other processes') this often
    backoff_base: float = 2.0
    backoff_max: float = 60.0
    queue_interval: float = 2.0  # read the SQS completion queues this often
    notified_interval: float = 300.0  # poll a job whose completion SQS will report only this often


@dataclass
class _Schedule:
    due: float
    interval: float


class Poller(BackgroundLoop):
    thread_name = "job-poller"

    def __init__(
        self,
        store: JobStore,
        client_factory: ClientFactory,
        scope: Scope,
        *,
        policy: PollPolicy | None = None,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        on_change: Callable[[], None] | None = None,
        on_finished: Callable[[JobRecord], None] | None = None,
        on_problem: Callable[[UserMessage | None], None] | None = None,
        completion_queues: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(on_change=on_change, on_problem=on_problem)
        self.store = store
        self.client_factory = client_factory
        self.scope = scope
        self.policy = policy or PollPolicy()
        self.clock = clock
        self.rng = rng or random.Random()
        self.on_finished = on_finished
        self.completion_queues: dict[str, str] = dict(completion_queues or {})
        self.calls = 0  # GetLabelDetection calls made (for tests and the benchmark)
        self._schedule: dict[int, _Schedule] = {}
        self._blocked_until = 0.0
        self._failures = 0
        self._last_call = float("-inf")
        self._next_queue_read = 0.0
        self._silent_topics: set[str] = set()  # topics whose completion messages are not arriving
        self.notifications_missing: UserMessage | None = None
        self._client: Any = None
        self._sqs: Any = None

    # -- control ------------------------------------------------------------------------------------------

    @property
    def error_wait(self) -> float:  # type: ignore[override]
        return self.policy.idle_wait

    def set_policy(self, policy: PollPolicy) -> None:
        self.policy = policy
        for entry in self._schedule.values():
            entry.interval = min(entry.interval, policy.max_interval)
        self.wake()

    # -- one round --------------------------------------------------------------------------------------

    def step(self, now: float | None = None) -> float:
        """Do at most one status call (and maybe read the completion queues); return seconds to wait."""
        now = self.clock() if now is None else now
        p = self.policy
        active = {j.id: j for j in self.store.jobs(self.scope, statuses=[JobStatus.IN_PROGRESS]) if j.job_id}
        for row_id in list(self._schedule):
            if row_id not in active:
                del self._schedule[row_id]
        for row_id, job in active.items():
            if row_id not in self._schedule:
                interval = self._first_interval(job)
                started = job.started_at or now
                self._schedule[row_id] = _Schedule(max(now, started + interval), interval)
        if self.completion_queues and now >= self._next_queue_read and now >= self._blocked_until:
            self._next_queue_read = now + p.queue_interval
            self.read_completion_queues(active)
            return 0.0
        if not self._schedule:
            return p.idle_wait
        if now < self._blocked_until:
            return min(p.idle_wait, self._blocked_until - now)
        row_id, entry = min(self._schedule.items(), key=lambda kv: kv[1].due)
        gap_left = self._last_call + p.min_gap - now
        wait = max(entry.due - now, gap_left)
        if wait > 0:
            wait = min(wait, p.idle_wait)
            if self.completion_queues:
                wait = min(wait, max(0.0, self._next_queue_read - now))
            return wait
        self.poll(active[row_id], now)
        return 0.0

    def _first_interval(self, job: JobRecord) -> float:
        if self._notified(job):
            return self.policy.notified_interval
        return self.policy.first_delay

    def _notified(self, job: JobRecord) -> bool:
        topic = _topic_of(job)
        return topic is not None and topic in self.completion_queues and topic not in self._silent_topics

    def _rekognition(self) -> Any:
        if self._client is None:
            self._client = rekognition_client(self.client_factory)
        return self._client

    def poll(self, job: JobRecord, now: float) -> None:
        """One GetLabelDetection(MaxResults=1) for ``job`` and what follows from its answer."""
        p = self.policy
        entry = self._schedule.get(job.id) or _Schedule(now, p.first_delay)
        self._last_call = now
        self.calls += 1
        try:
            rek = self._rekognition()
            pacing.pace(pacing.GET, rek)  # the Get quota is shared with the results fetch
            response = rek.get_label_detection(JobId=job.job_id, MaxResults=1)
        except Exception as exc:  # classified below
            self._poll_error(job, entry, exc, now)
            return
        if self._failures or (self.problem is not None and self.problem is not self.notifications_missing):
            self._failures = 0
            self._report(None)
        status = response.get("JobStatus")
        if status in ("SUCCEEDED", "FAILED") and self._notified(job) and self._message_missing(job):
            return  # the queue had it after all
        if status == "IN_PROGRESS":
            entry.interval = min(p.max_interval, entry.interval * p.factor)
            entry.due = now + entry.interval * (0.9 + 0.2 * self.rng.random())
            self._schedule[job.id] = entry
            return
        duration = (response.get("VideoMetadata") or {}).get("DurationMillis")
        if status == "SUCCEEDED":
            self._finish(job, JobStatus.SUCCEEDED, None, duration)
        elif status == "FAILED":
            self._finish(job, JobStatus.FAILED, response.get("StatusMessage") or "AWS reports the job failed.",
                         duration)
        else:
            log.warning("Unknown JobStatus %r for %s", status, job.job_id)
            entry.due = now + entry.interval
            self._schedule[job.id] = entry

    def _poll_error(self, job: JobRecord, entry: _Schedule, exc: Exception, now: float) -> None:
        p = self.policy
        kind = classify(exc)
        code = error_code(exc)
        if kind is ErrorKind.REFUSED and code in GONE_CODES:
            self._schedule.pop(job.id, None)
            if self.store.mark_failed(
                job.id,
                f"AWS no longer knows this job ({code}: {aws_message(exc)}). AWS keeps label-detection jobs for 7 days.",
                error_code=code,
            ):
                self._changed()
            return
        self._failures += 1
        delay = backoff_delay(self._failures, p.backoff_base, p.backoff_max, self.rng)
        if kind in (ErrorKind.AUTH, ErrorKind.REFUSED):
            # Credentials or permissions (AccessDenied): every job's check fails alike until it is fixed.
            self._client = None
            self._blocked_until = now + max(delay, p.idle_wait)
            self._report(explain(exc))
        elif kind in (ErrorKind.THROTTLE, ErrorKind.CONNECTION, ErrorKind.LIMIT):
            self._blocked_until = now + delay
            entry.interval = min(p.max_interval, entry.interval * p.factor)
            if kind is ErrorKind.CONNECTION:
                self._report(explain(exc))
        else:
            log.error("Unexpected error polling %s", job.job_id, exc_info=exc)
            entry.interval = min(p.max_interval, entry.interval * p.factor)
        entry.due = now + max(delay, entry.interval)
        self._schedule[job.id] = entry

    def _finish(self, job: JobRecord, status: JobStatus, message: str | None, duration_ms: Any) -> None:
        self._schedule.pop(job.id, None)
        duration = int(duration_ms) if isinstance(duration_ms, int | float) and duration_ms > 0 else None
        if not self.store.mark_finished(job.id, status, message=message, duration_ms=duration,
                                        finished_at=self.clock()):
            return  # another process recorded the end first
        record = self.store.get(job.id) or job
        log.info("Job %s (%s) ended: %s", job.job_id, job.video_uri, status)
        self._changed()
        self._callback(self.on_finished, record)

    # -- SQS completions --------------------------------------------------------------------------------

    def _message_missing(self, job: JobRecord) -> bool:
        """The safety-net poll found *job* ended before its completion message came.  Read the queues once
        more (the message may be on its way); if it is still missing, say notifications are not arriving
        for its topic and poll that topic's jobs at the normal pace from now on.  True when the queue
        reported the job after all."""
        self.read_completion_queues()
        current = self.store.get(job.id)
        if current is not None and current.status.is_terminal:
            return True
        topic = _topic_of(job) or ""
        self._silent_topics.add(topic)
        message = UserMessage(
            "Notifications are not arriving",
            f"{job.video_uri} ended, but no completion message came through the SQS queue subscribed to "
            f"{topic}. Jobs are being checked by polling instead, which is slower.",
            WHY_NO_MESSAGES + " Check the channel with the notification settings' check.")
        self.notifications_missing = message
        log.warning("%s", message)
        now = self.clock()
        for row_id, entry in self._schedule.items():  # jobs waiting on the silent topic: poll them normally
            if entry.interval >= self.policy.notified_interval:
                entry.interval = self.policy.first_delay
                entry.due = min(entry.due, now + self.policy.first_delay)
                self._schedule[row_id] = entry
        self._report(message)
        return False

    def _messages_arrive(self, job: JobRecord) -> None:
        topic = _topic_of(job)
        if topic in self._silent_topics:
            self._silent_topics.discard(topic)
            if not self._silent_topics and self.notifications_missing is not None:
                if self.problem is self.notifications_missing:
                    self._report(None)
                self.notifications_missing = None

    def read_completion_queues(self, active: Mapping[int, JobRecord] | None = None) -> int:
        """Read every configured queue once (no long poll); handle completion messages. Returns how many."""
        if active is None:
            active = {j.id: j for j in self.store.jobs(self.scope, statuses=[JobStatus.IN_PROGRESS]) if j.job_id}
        by_job_id = {j.job_id: j for j in active.values()}
        handled = 0
        for url in dict.fromkeys(self.completion_queues.values()):
            try:
                if self._sqs is None:
                    self._sqs = self.client_factory("sqs")
                response = self._sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
            except Exception as exc:  # polling remains the fallback
                log.warning("Reading the completion queue %s failed: %s", url, explain(exc))
                continue
            for message in response.get("Messages", []):
                completion = parse_completion(message.get("Body", ""))
                if completion is not None:
                    job_id, status, text = completion
                    job = by_job_id.get(job_id)
                    if job is not None and status in ("SUCCEEDED", "FAILED"):
                        self._finish(job, JobStatus(status), text if status == "FAILED" else None, None)
                        self._messages_arrive(job)
                        handled += 1
                try:
                    self._sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                except Exception as exc:
                    log.warning("Could not delete a completion message: %s", explain(exc))
        return handled


# ----------------------------------------------------------------------------------------------------------
# Completion notifications (SNS -> SQS)
# ----------------------------------------------------------------------------------------------------------


def _topic_of(job: JobRecord) -> str | None:
    """The SNS topic of a job's notification channel, None without one."""
    if not job.notification_json:
        return None
    try:
        topic = json.loads(job.notification_json).get("sns_topic_arn")
    except (ValueError, AttributeError):
        return None
    return str(topic) if topic else None


def parse_completion(body: str) -> tuple[str, str, str | None] | None:
    """(JobId, Status, message) from an SQS message body: the SNS envelope around Rekognition's
    completion notification, or the notification itself (raw message delivery). None if it is not one."""
    try:
        doc = json.loads(body)
        if isinstance(doc, dict) and "Message" in doc and "JobId" not in doc:
            doc = json.loads(doc["Message"])
    except (ValueError, TypeError):
        return None
    if not isinstance(doc, dict) or "JobId" not in doc or "Status" not in doc:
        return None
    return str(doc["JobId"]), str(doc["Status"]), doc.get("Message") or doc.get("StatusMessage")


def setup_completion_queue(client_factory: ClientFactory, topic_arn: str, queue_name: str | None = None) -> str:
    """Create an SQS queue that receives ``topic_arn``'s notifications; return its URL.

    Creates (or reuses) the queue, sets a policy that lets only that topic send to it, and subscribes
    the queue to the topic. Raises what boto3 raises (the caller explains it).
    """
    sns = client_factory("sns")
    sqs = client_factory("sqs")
    name = queue_name or "RekognitionLabeler-" + topic_arn.rsplit(":", 1)[-1][:50]
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowRekognitionTopic",
                "Effect": "Allow",
                "Principal": {"Service": "sns.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}},
            }
        ],
    }
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn)
    return str(url)
