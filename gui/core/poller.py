"""Watching jobs in progress: ONE poller for all of them, completions from SQS when set up, and fetching.

Polling: GetLabelDetection with ``MaxResults=1`` (just the status, not the labels), first a few
seconds after the job started, then less and less often (×1.5 each time) up to once a minute per job;
never more than one call per ``min_gap`` seconds in all; throttling makes the whole poller back off.

Notifications: AWS recommends reading completions from an SQS queue subscribed to the job's SNS topic
rather than polling. :func:`setup_completion_queue` creates the queue, its access policy and the
subscription; with a queue configured for a topic, the poller reads it and polls the jobs started with
that topic only rarely, as a fallback.

Results: on SUCCEEDED, when auto-fetch is on, :class:`ResultsFetcher` (one background thread) calls the
results engineer's ``gui.core.results.fetch_and_store`` and records the label count on the job.
"""

from __future__ import annotations

import json
import logging
import queue
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gui.core.errors import KnownError, UserMessage, aws_message, error_code, explain, is_retryable
from gui.core.jobstates import JobStatus
from gui.core.jobstore import JobRecord, JobStore, Scope
from gui.core.submitter import (
    AUTH_CODES,
    AUTH_EXCEPTIONS,
    CONNECTION_EXCEPTIONS,
    FETCH_FAILED_PREFIX,
    THROTTLE_CODES,
    ClientFactory,
    Reporting,
    StopToken,
    backoff_delay,
    rekognition_client,
)

log = logging.getLogger(__name__)

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


class Poller(Reporting):
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
        fetcher: ResultsFetcher | None = None,
        completion_queues: Mapping[str, str] | None = None,
    ) -> None:
        self.store = store
        self.client_factory = client_factory
        self.scope = scope
        self.policy = policy or PollPolicy()
        self.clock = clock
        self.rng = rng or random.Random()
        self.on_change = on_change
        self.on_finished = on_finished
        self.on_problem = on_problem
        self.fetcher = fetcher
        self.completion_queues: dict[str, str] = dict(completion_queues or {})
        self.calls = 0  # GetLabelDetection calls made (for tests and the benchmark)
        self.problem: UserMessage | None = None
        self._schedule: dict[int, _Schedule] = {}
        self._blocked_until = 0.0
        self._failures = 0
        self._last_call = float("-inf")
        self._next_queue_read = 0.0
        self._client: Any = None
        self._sqs: Any = None
        self._stop = StopToken()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    # -- control ------------------------------------------------------------------------------------------

    def set_policy(self, policy: PollPolicy) -> None:
        self.policy = policy
        for entry in self._schedule.values():
            entry.interval = min(entry.interval, policy.max_interval)
        self.wake()

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="job-poller", daemon=True)
            self._thread.start()

    def request_stop(self) -> None:
        self._stop.cancel()
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> bool:
        self.request_stop()
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return True

    def _run(self) -> None:
        while not self._stop.cancelled:
            try:
                wait = self.step()
            except Exception:  # keep watching; the bug is logged
                log.exception("Poller step failed")
                wait = self.policy.idle_wait
            if wait > 0:
                self._wake.wait(wait)
            self._wake.clear()

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
        if not job.notification_json or not self.completion_queues:
            return False
        try:
            topic = json.loads(job.notification_json).get("sns_topic_arn")
        except ValueError:
            return False
        return topic in self.completion_queues

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
            response = self._rekognition().get_label_detection(JobId=job.job_id, MaxResults=1)
        except Exception as exc:  # classified below
            self._poll_error(job, entry, exc, now)
            return
        if self._failures or self.problem is not None:
            self._failures = 0
            self._report(None)
        status = response.get("JobStatus")
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
        code = error_code(exc)
        name = type(exc).__name__
        if code in GONE_CODES:
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
        if code in AUTH_CODES or name in AUTH_EXCEPTIONS or code in {"AccessDeniedException"}:
            self._client = None
            self._blocked_until = now + max(delay, p.idle_wait)
            self._report(explain(exc))
        elif code in THROTTLE_CODES or is_retryable(exc):
            self._blocked_until = now + delay
            entry.interval = min(p.max_interval, entry.interval * p.factor)
            if name in CONNECTION_EXCEPTIONS or code is None:
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
        if self.on_finished is not None:
            try:
                self.on_finished(record)
            except Exception:
                log.exception("on_finished callback failed")
        if status is JobStatus.SUCCEEDED and self.fetcher is not None:
            self.fetcher.submit(record)

    # -- SQS completions --------------------------------------------------------------------------------

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
                        handled += 1
                try:
                    self._sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                except Exception as exc:
                    log.warning("Could not delete a completion message: %s", explain(exc))
        return handled

    # -- helpers ------------------------------------------------------------------------------------------



# ----------------------------------------------------------------------------------------------------------
# Completion notifications (SNS -> SQS)
# ----------------------------------------------------------------------------------------------------------


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


# ----------------------------------------------------------------------------------------------------------
# Results
# ----------------------------------------------------------------------------------------------------------


def results_available() -> bool:
    try:
        from gui.core import results_store  # noqa: F401
    except ImportError:
        return False
    return True


def open_results_store(path: Path) -> Any:
    try:
        from gui.core.results_store import ResultsStore
    except ImportError as exc:
        raise KnownError("Results unavailable", "This build cannot store results (gui.core.results missing).") from exc
    return ResultsStore(path)


def fetch_job_results(
    job_store: JobStore,
    results_store: Any,
    client: Any,
    record: JobRecord,
    *,
    cancel: Any = None,
    progress: Callable[[Any], Any] | None = None,
) -> Any:
    """Fetch every page of ``record``'s results into ``results_store`` and note the label count on the job."""
    from gui.core.results_fetch import fetch_and_store

    if not record.job_id:
        raise KnownError("No JobId", f"{record.video_uri} has no AWS job to fetch results from.")
    summary = fetch_and_store(client, record.job_id, results_store, cancel=cancel, progress=progress)
    duration = getattr(summary, "duration_ms", None)
    job_store.set_results(record.id, label_count=int(summary.label_count),
                          duration_ms=int(duration) if duration else None)
    return summary


class ResultsFetcher:
    """One background thread fetching results, one job at a time, in the order asked."""

    def __init__(
        self,
        job_store: JobStore,
        client_factory: ClientFactory,
        results_path: Path,
        *,
        on_change: Callable[[], None] | None = None,
        on_fetched: Callable[[JobRecord], None] | None = None,
    ) -> None:
        self.job_store = job_store
        self.client_factory = client_factory
        self.results_path = Path(results_path)
        self.on_change = on_change
        self.on_fetched = on_fetched
        self.errors: dict[int, UserMessage] = {}
        self._queue: queue.Queue[JobRecord | None] = queue.Queue()
        self._pending: set[int] = set()
        self._lock = threading.Lock()
        self._stop = StopToken()
        self._thread: threading.Thread | None = None
        self._store: Any = None

    def submit(self, record: JobRecord) -> bool:
        with self._lock:
            if record.id in self._pending:
                return False
            self._pending.add(record.id)
        self._queue.put(record)
        return True

    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="results-fetcher", daemon=True)
            self._thread.start()

    def request_stop(self) -> None:
        self._stop.cancel()
        self._queue.put(None)

    def stop(self, timeout: float = 5.0) -> bool:
        self.request_stop()
        ended = True
        if self._thread is not None:
            self._thread.join(timeout)
            ended = not self._thread.is_alive()
        if ended and self._store is not None:
            try:
                self._store.close()
            except Exception:
                log.exception("Closing the results store failed")
        return ended

    def _run(self) -> None:
        while not self._stop.cancelled:
            record = self._queue.get()
            if record is None or self._stop.cancelled:
                break
            try:
                self.fetch_now(record)
            finally:
                with self._lock:
                    self._pending.discard(record.id)

    def fetch_now(self, record: JobRecord) -> Any:
        """Fetch on the calling thread; errors are logged and kept in :attr:`errors` (never raised)."""
        try:
            if self._store is None:
                self._store = open_results_store(self.results_path)
            summary = fetch_job_results(self.job_store, self._store, self.client_factory("rekognition"), record,
                                        cancel=self._stop)
        except Exception as exc:  # a failed fetch must not stop the others
            if self._stop.cancelled:  # shutting down: the job stays unfetched and is resumed next time
                log.info("Fetch of %s interrupted by shutdown", record.job_id)
                return None
            message = explain(exc)
            self.errors[record.id] = message
            if message.expected:
                log.warning("Fetching results of %s failed: %s", record.job_id, message)
            else:
                log.exception("Fetching results of %s failed", record.job_id)
            try:
                self.job_store.set_message(record.id, f"{FETCH_FAILED_PREFIX} {message}")
            except Exception:
                log.exception("Could not record the fetch failure")
            if self.on_change is not None:
                self.on_change()
            return None
        self.errors.pop(record.id, None)
        if self.on_change is not None:
            self.on_change()
        if self.on_fetched is not None:
            updated = self.job_store.get(record.id) or record
            try:
                self.on_fetched(updated)
            except Exception:
                log.exception("on_fetched callback failed")
        return summary
