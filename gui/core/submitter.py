"""The client-side queue that starts label-detection jobs (the submitter of :mod:`gui.core.engine`).

Order of events for one video, chosen so that a crash or a quit can never lose or double a job:

1. :meth:`gui.core.engine.JobEngine.enqueue` writes the job to the store as ``QUEUED`` with its own
   ``ClientRequestToken`` (and the exact request parameters) — nothing is sent yet.
2. The submitter claims it (``SUBMITTING``, leased to this process) only while fewer than K jobs of the
   same account/region/endpoint are submitting or in progress (jobs of other processes included),
3. then calls StartLabelDetection with the stored parameters and records the JobId (``IN_PROGRESS``).

After a crash, a ``SUBMITTING`` job whose process is gone is claimed again and sent with the *same*
token: AWS (and the sandbox) answer with the same JobId instead of starting a second job.

Errors: ``LimitExceededException`` keeps the job queued and waits; throttling, 5xx and dropped
connections retry with exponential backoff and jitter; a refused video (invalid parameter or S3 object,
too large, access denied) fails with AWS's own message; missing or expired credentials pause the engine
(nothing is failed) and report the problem.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gui.core import pacing
from gui.core.backoff import backoff_delay
from gui.core.clients import rekognition_client
from gui.core.errors import ErrorKind, UserMessage, aws_message, classify, error_code, explain
from gui.core.jobstore import JobRecord, JobStore, Scope
from gui.core.leases import claim_is_abandoned, new_owner, release_owner
from gui.core.loop import BackgroundLoop
from gui.core.types import ClientFactory

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SubmitPolicy:
    max_active: int = 20  # K: jobs submitting or in progress per account/region/endpoint
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    limit_wait: float = 15.0  # after LimitExceededException (AWS counts jobs we cannot see)
    idle_wait: float = 2.0  # look for new work this often (another process may queue jobs)
    lease_seconds: float = 120.0  # a SUBMITTING claim older than this is taken over
    batch: int = 10  # jobs claimed per store transaction
    max_unexpected: int = 5  # unexpected errors (bugs) before a job is failed


@dataclass(frozen=True)
class StepResult:
    submitted: int  # StartLabelDetection calls that returned a JobId
    wait: float  # seconds until there may be something to do


class Submitter(BackgroundLoop):
    """Starts queued jobs of one scope. Drive it with :meth:`step` (tests) or :meth:`start` (a thread)."""

    thread_name = "job-submitter"

    def __init__(
        self,
        store: JobStore,
        client_factory: ClientFactory,
        scope: Scope,
        *,
        policy: SubmitPolicy | None = None,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        on_change: Callable[[], None] | None = None,
        on_problem: Callable[[UserMessage | None], None] | None = None,
    ) -> None:
        super().__init__(on_change=on_change, on_problem=on_problem)
        self.store = store
        self.client_factory = client_factory
        self.scope = scope
        self.policy = policy or SubmitPolicy()
        self.clock = clock
        self.rng = rng or random.Random()
        self.blocked_until = 0.0
        self._paused: UserMessage | None = None  # credentials problem: nothing is sent until resume()
        self._paused_lock = threading.Lock()
        self._connection_failures = 0
        self._client: Any = None
        self.owner = new_owner()

    # -- control ------------------------------------------------------------------------------------------

    @property
    def paused(self) -> UserMessage | None:
        """Why submission is paused (a credentials problem), or None; safe to read from any thread."""
        with self._paused_lock:
            return self._paused

    @property
    def error_wait(self) -> float:  # type: ignore[override]
        return self.policy.idle_wait

    def set_policy(self, policy: SubmitPolicy) -> None:
        self.policy = policy
        self.wake()

    def resume(self) -> None:
        """Leave the paused state (e.g. after the user fixed the credentials)."""
        with self._paused_lock:
            self._paused = None
        self._client = None
        self._report(None)
        self.wake()

    def close(self) -> None:
        """Forget this engine as a live owner: its unfinished claims may be taken over at once."""
        release_owner(self.owner)

    def _closed(self) -> None:
        self.close()

    def _wait_after_step(self) -> float:
        return self.step().wait

    # -- one round --------------------------------------------------------------------------------------

    def step(self, now: float | None = None) -> StepResult:  # type: ignore[override]
        """Claim what may be sent now and send it. Returns how long to wait before the next step."""
        now = self.clock() if now is None else now
        if self.paused is not None:
            return StepResult(0, self.policy.idle_wait)
        if now < self.blocked_until:
            return StepResult(0, min(self.blocked_until - now, self.policy.idle_wait))
        claimed = self.store.claim(
            self.scope,
            owner=self.owner,
            max_active=self.policy.max_active,
            limit=self.policy.batch,
            lease_seconds=self.policy.lease_seconds,
            is_abandoned=claim_is_abandoned,
            now=now,
        )
        if not claimed:
            due = self.store.next_due(self.scope)
            wait = self.policy.idle_wait if due is None else min(self.policy.idle_wait, max(0.0, due - now))
            if due is not None and due <= now:
                wait = self.policy.idle_wait  # due but no free slot: a finished job wakes us
            return StepResult(0, wait)
        self._changed()
        submitted = 0
        for i, job in enumerate(claimed):
            if self.stopping or self.paused is not None or self.clock() < self.blocked_until:
                for rest in claimed[i:]:
                    self.store.requeue(rest.id, next_attempt_at=rest.next_attempt_at, message=rest.status_message,
                                       error_code=rest.error_code, count_attempt=False)
                self._changed()
                break
            if self.submit_one(job):
                submitted += 1
        return StepResult(submitted, 0.0)

    def _client_for_calls(self) -> Any:
        if self._client is None:
            self._client = rekognition_client(self.client_factory)
        return self._client

    def submit_one(self, job: JobRecord) -> bool:
        """Send one claimed job. True when AWS returned a JobId."""
        try:
            rek = self._client_for_calls()
            pacing.pace(pacing.START, rek)  # stay inside the Start quota instead of retrying
            response = rek.start_label_detection(**job.request)
        except Exception as exc:  # every failure is classified below
            self._handle_error(job, exc)
            self._changed()
            return False
        job_id = response["JobId"]
        self.store.mark_started(job.id, job_id, started_at=self.clock())
        if self._connection_failures or self.problem is not None:
            self._connection_failures = 0
            self._report(None)
        log.info("Started %s for %s (token %s)", job_id, job.video_uri, job.client_token)
        self._changed()
        return True

    def _handle_error(self, job: JobRecord, exc: Exception) -> None:
        now = self.clock()
        kind = classify(exc)
        code = error_code(exc)
        name = type(exc).__name__
        p = self.policy
        if kind is ErrorKind.LIMIT:
            delay = p.limit_wait / 2 + self.rng.uniform(0, p.limit_wait / 2)
            self.blocked_until = max(self.blocked_until, now + delay)
            self.store.requeue(
                job.id,
                next_attempt_at=now + delay,
                message="Waiting: AWS's limit of concurrent jobs was reached (LimitExceededException).",
                error_code=code,
                count_attempt=False,
            )
            log.info("LimitExceeded for %s; waiting %.1fs", job.video_uri, delay)
        elif kind is ErrorKind.REFUSED:
            message = aws_message(exc) if code else str(exc)
            self.store.mark_failed(job.id, message, error_code=code or name)
            log.info("%s refused by AWS: %s: %s", job.video_uri, code or name, message)
        elif kind is ErrorKind.AUTH:
            self._pause(job, exc)
        elif kind in (ErrorKind.CONNECTION, ErrorKind.THROTTLE):
            delay = backoff_delay(job.attempts, p.backoff_base, p.backoff_max, self.rng)
            what = code or name
            if kind is ErrorKind.CONNECTION:
                self._connection_failures += 1
                engine_delay = backoff_delay(self._connection_failures, p.backoff_base, p.backoff_max, self.rng)
                self.blocked_until = max(self.blocked_until, now + engine_delay)
                delay = max(delay, engine_delay)
                self._report(explain(exc))
            else:
                self.blocked_until = max(self.blocked_until, now + delay / 2)
            self.store.requeue(
                job.id,
                next_attempt_at=now + delay,
                message=f"Will retry in {delay:.0f} s ({what}, attempt {job.attempts}).",
                error_code=what,
            )
            log.info("Start of %s failed (%s); retry in %.2fs", job.video_uri, what, delay)
        else:
            log.error("Unexpected error starting %s", job.video_uri, exc_info=exc)
            if job.attempts >= p.max_unexpected:
                self.store.mark_failed(job.id, f"Unexpected error: {name}: {exc}", error_code=name)
            else:
                delay = backoff_delay(job.attempts, p.backoff_base, p.backoff_max, self.rng)
                self.store.requeue(job.id, next_attempt_at=now + delay, message=f"Unexpected error ({name}); "
                                   f"will retry in {delay:.0f} s.", error_code=name)

    def _pause(self, job: JobRecord, exc: Exception) -> None:
        message = explain(exc)
        with self._paused_lock:
            self._paused = message
        self._client = None
        self.store.requeue(job.id, next_attempt_at=0, message=f"Paused: {message.title}.", error_code=error_code(exc),
                           count_attempt=False)
        log.warning("Submission paused: %s", message)
        self._report(message)
