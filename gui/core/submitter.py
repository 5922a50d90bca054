"""The client-side queue that starts label-detection jobs, and the engine the window and the CLI share.

Order of events for one video, chosen so that a crash or a quit can never lose or double a job:

1. :meth:`JobEngine.enqueue` writes the job to the store as ``QUEUED`` with its own
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
import os
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from gui.core.cancel import CancelToken
from gui.core.errors import UserMessage, aws_message, error_code, explain, is_retryable
from gui.core.jobstates import JobStatus
from gui.core.jobstore import AddResult, JobRecord, JobStore, NewJob, Scope, host_name, new_job
from gui.core.types import JobSettings, S3Object

log = logging.getLogger(__name__)

# StartLabelDetection errors that mean "this video/request will never work as is": fail the job.
FAIL_CODES = frozenset(
    {
        "InvalidParameterException",
        "InvalidS3ObjectException",
        "VideoTooLargeException",
        "AccessDeniedException",
        "IdempotentParameterMismatchException",
    }
)
LIMIT_CODE = "LimitExceededException"
THROTTLE_CODES = frozenset({"ThrottlingException", "ProvisionedThroughputExceededException"})
# Problems with the credentials themselves: every job would fail alike, so pause instead.
AUTH_CODES = frozenset(
    {
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "IncompleteSignature",
    }
)
AUTH_EXCEPTIONS = frozenset(
    {
        "NoCredentialsError",
        "PartialCredentialsError",
        "UnauthorizedSSOTokenError",
        "SSOTokenLoadError",
        "TokenRetrievalError",
        "ProfileNotFound",
        "NoRegionError",
    }
)
CONNECTION_EXCEPTIONS = frozenset(
    {"EndpointConnectionError", "ConnectionClosedError", "ReadTimeoutError", "ConnectTimeoutError", "ConnectionError"}
)

ClientFactory = Callable[..., Any]  # factory(service, region=None) -> boto3 client
RESULTS_RETENTION_SECONDS = 7 * 24 * 3600  # AWS keeps label-detection results for 7 days
FETCH_FAILED_PREFIX = "Results not fetched:"


# ----------------------------------------------------------------------------------------------------------
# Small building blocks
# ----------------------------------------------------------------------------------------------------------


StopToken = CancelToken  # the engine's name for the shared cooperative flag


class Reporting:
    """``on_change`` / ``on_problem`` callbacks of the submitter and the poller; a failing callback is logged,
    never allowed to stop the engine's thread."""

    on_change: Callable[[], None] | None = None
    on_problem: Callable[[UserMessage | None], None] | None = None
    problem: UserMessage | None = None

    def _report(self, message: UserMessage | None) -> None:
        self.problem = message
        if self.on_problem is not None:
            try:
                self.on_problem(message)
            except Exception:
                log.exception("on_problem callback failed")

    def _changed(self) -> None:
        if self.on_change is not None:
            try:
                self.on_change()
            except Exception:
                log.exception("on_change callback failed")


def backoff_delay(attempt: int, base: float, maximum: float, rng: random.Random) -> float:
    """Exponential backoff with "equal jitter": half fixed, half random, capped at ``maximum``."""
    ceiling = min(maximum, base * (2 ** max(0, attempt - 1)))
    return ceiling / 2 + rng.uniform(0, ceiling / 2)


_LIVE_OWNERS: set[str] = set()
_LIVE_LOCK = threading.Lock()


def _pid_alive(pid: int) -> bool:
    if os.name != "posix":
        return True  # no cheap check: rely on the lease expiring
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a killed child not yet reaped by its parent is a zombie: gone for our purpose
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            return fh.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:
        return True


def claim_is_abandoned(claimed_by: str | None, lease_until: float | None, now: float) -> bool:
    """Whether a SUBMITTING job's claim can be taken over: its lease ran out, or its process (on this
    computer) is gone, or it belonged to an engine of this process that has stopped."""
    if not claimed_by:
        return True
    if lease_until is not None and lease_until < now:
        return True
    try:
        host, pid_text, _tag = claimed_by.rsplit(":", 2)
        pid = int(pid_text)
    except ValueError:
        return True
    if host != host_name():
        return False
    if pid == os.getpid():
        with _LIVE_LOCK:
            return claimed_by not in _LIVE_OWNERS
    return not _pid_alive(pid)


# ----------------------------------------------------------------------------------------------------------
# Policy and preferences
# ----------------------------------------------------------------------------------------------------------


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


@dataclass
class JobPreferences:
    """User preferences for jobs, kept in the shared settings file, section ``"jobs"``."""

    max_active: int = 20
    price_per_minute: float = 0.10
    auto_fetch: bool = True
    poll_first: float = 5.0  # seconds before the first status check
    poll_max: float = 60.0  # the longest wait between two checks of one job
    completion_queues: dict[str, str] = field(default_factory=dict)  # SNS topic ARN -> SQS queue URL

    SECTION = "jobs"

    @classmethod
    def load(cls, paths: Any) -> JobPreferences:
        from gui.core.settings import load_section

        data = load_section(paths, cls.SECTION)
        prefs = cls()
        try:
            prefs.max_active = max(1, int(data.get("max_active", prefs.max_active)))
            prefs.price_per_minute = max(0.0, float(data.get("price_per_minute", prefs.price_per_minute)))
            prefs.auto_fetch = bool(data.get("auto_fetch", prefs.auto_fetch))
            prefs.poll_first = max(0.05, float(data.get("poll_first", prefs.poll_first)))
            prefs.poll_max = max(prefs.poll_first, float(data.get("poll_max", prefs.poll_max)))
            queues = data.get("completion_queues") or {}
            if isinstance(queues, dict):
                prefs.completion_queues = {str(k): str(v) for k, v in queues.items()}
        except (TypeError, ValueError) as exc:
            log.warning("Job preferences unusable (%s); using defaults", exc)
            return cls()
        return prefs

    def save(self, paths: Any) -> None:
        from gui.core.settings import save_app_settings

        save_app_settings(
            paths,
            self.SECTION,
            {
                "max_active": self.max_active,
                "price_per_minute": self.price_per_minute,
                "auto_fetch": self.auto_fetch,
                "poll_first": self.poll_first,
                "poll_max": self.poll_max,
                "completion_queues": dict(self.completion_queues),
            },
        )


# botocore's "standard" retry mode retries LimitExceededException and throttling by itself, up to 5 attempts
# with waits of up to 1, 2, 4 and 8 s: ~15 s per call in which the submitter (or the poller) sends nothing
# else, before its own handling (keep the job queued, back off) even starts. Both have their own backoff,
# so their clients leave botocore a single retry (which still absorbs one dropped connection at once).
CALL_MAX_ATTEMPTS = 2


def rekognition_client(client_factory: ClientFactory) -> Any:
    """The Rekognition client for the submitter and the poller (few botocore retries; see above)."""
    try:
        return client_factory("rekognition", max_attempts=CALL_MAX_ATTEMPTS)
    except TypeError:  # a plain ClientFactory(service, region=None)
        return client_factory("rekognition")


def resolve_scope(client_factory: ClientFactory, region: str, endpoint_url: str | None) -> Scope:
    """The account behind the credentials (STS GetCallerIdentity), the region and the endpoint.

    Raises what boto3 raises (no credentials, unreachable endpoint): callers report it. Asks for a client
    with few retries when the factory allows it, so a wrong endpoint answers in seconds.
    """
    try:
        sts = client_factory("sts", max_attempts=2)
    except TypeError:  # a plain ClientFactory(service, region=None)
        sts = client_factory("sts")
    identity = sts.get_caller_identity()
    return Scope(str(identity.get("Account", "")), region, endpoint_url or "")


# ----------------------------------------------------------------------------------------------------------
# The submitter
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StepResult:
    submitted: int  # StartLabelDetection calls that returned a JobId
    wait: float  # seconds until there may be something to do


class Submitter(Reporting):
    """Starts queued jobs of one scope. Drive it with :meth:`step` (tests) or :meth:`start` (a thread)."""

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
        self.store = store
        self.client_factory = client_factory
        self.scope = scope
        self.policy = policy or SubmitPolicy()
        self.clock = clock
        self.rng = rng or random.Random()
        self.on_change = on_change
        self.on_problem = on_problem
        self.owner = f"{host_name()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
        self.paused: UserMessage | None = None  # credentials problem: nothing is sent until resume()
        self.problem: UserMessage | None = None  # the last transient problem (connection), None when fine
        self.blocked_until = 0.0
        self._connection_failures = 0
        self._client: Any = None
        self._stop = StopToken()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        with _LIVE_LOCK:
            _LIVE_OWNERS.add(self.owner)

    # -- control ------------------------------------------------------------------------------------------

    def set_policy(self, policy: SubmitPolicy) -> None:
        self.policy = policy
        self.wake()

    def wake(self) -> None:
        self._wake.set()

    def resume(self) -> None:
        """Leave the paused state (e.g. after the user fixed the credentials)."""
        self.paused = None
        self._client = None
        self._report(None)
        self.wake()

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="job-submitter", daemon=True)
        self._thread.start()

    def request_stop(self) -> None:
        """Ask the thread to stop after the call in flight, without waiting."""
        self._stop.cancel()
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> bool:
        """Ask the thread to stop after the call in flight; True when it has ended within ``timeout``."""
        self.request_stop()
        ended = True
        if self._thread is not None:
            self._thread.join(timeout)
            ended = not self._thread.is_alive()
        if ended:
            self.close()
        return ended

    def close(self) -> None:
        """Forget this engine as a live owner: its unfinished claims may be taken over at once."""
        with _LIVE_LOCK:
            _LIVE_OWNERS.discard(self.owner)

    @property
    def stopping(self) -> bool:
        return self._stop.cancelled

    def _run(self) -> None:
        while not self._stop.cancelled:
            try:
                result = self.step()
                wait = result.wait
            except Exception:  # the loop must survive a bug; it is logged
                log.exception("Submitter step failed")
                wait = self.policy.idle_wait
            if wait > 0:
                self._wake.wait(wait)
            self._wake.clear()

    # -- one round --------------------------------------------------------------------------------------

    def step(self, now: float | None = None) -> StepResult:
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
            if self._stop.cancelled or self.paused is not None or self.clock() < self.blocked_until:
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
            response = self._client_for_calls().start_label_detection(**job.request)
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
        code = error_code(exc)
        name = type(exc).__name__
        p = self.policy
        if code == LIMIT_CODE:
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
        elif code in FAIL_CODES:
            self.store.mark_failed(job.id, aws_message(exc), error_code=code)
            log.info("%s refused by AWS: %s: %s", job.video_uri, code, aws_message(exc))
        elif code in AUTH_CODES or name in AUTH_EXCEPTIONS:
            self._pause(job, exc)
        elif is_retryable(exc):
            delay = backoff_delay(job.attempts, p.backoff_base, p.backoff_max, self.rng)
            what = code or name
            if name in CONNECTION_EXCEPTIONS or code is None:
                self._connection_failures += 1
                engine_delay = backoff_delay(self._connection_failures, p.backoff_base, p.backoff_max, self.rng)
                self.blocked_until = max(self.blocked_until, now + engine_delay)
                delay = max(delay, engine_delay)
                self._report(explain(exc))
            elif code in THROTTLE_CODES:
                self.blocked_until = max(self.blocked_until, now + delay / 2)
            self.store.requeue(
                job.id,
                next_attempt_at=now + delay,
                message=f"Will retry in {delay:.0f} s ({what}, attempt {job.attempts}).",
                error_code=what,
            )
            log.info("Start of %s failed (%s); retry in %.2fs", job.video_uri, what, delay)
        elif name == "ParamValidationError" or code is not None:
            self.store.mark_failed(job.id, aws_message(exc) if code else str(exc), error_code=code or name)
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
        self.paused = message
        self._client = None
        self.store.requeue(job.id, next_attempt_at=0, message=f"Paused: {message.title}.", error_code=error_code(exc),
                           count_attempt=False)
        log.warning("Submission paused: %s", message)
        self._report(message)



# ----------------------------------------------------------------------------------------------------------
# The engine: submitter + poller (+ results fetcher), for the window and the CLI alike
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Duplicate:
    video: S3Object
    existing: JobRecord


@dataclass(frozen=True)
class EnqueuePlan:
    """What submitting these videos would do: new jobs, and videos already submitted alike."""

    new: tuple[NewJob, ...]
    duplicates: tuple[Duplicate, ...]


def plan_jobs(
    store: JobStore,
    scope: Scope,
    videos: Iterable[S3Object],
    settings: JobSettings,
    *,
    preset: str | None = None,
) -> EnqueuePlan:
    """Build a job per video and find those the store already has with the same request."""
    jobs: list[NewJob] = []
    objs: list[S3Object] = []
    seen: set[str] = set()
    for obj in videos:
        job = new_job(obj.bucket, obj.key, settings, scope, preset=preset, version_id=obj.version_id,
                      size=obj.size or None)
        if job.dedupe_key in seen:  # the same video twice in one batch
            continue
        seen.add(job.dedupe_key)
        jobs.append(job)
        objs.append(obj)
    existing = store.find_by_dedupe_keys([j.dedupe_key for j in jobs])
    new: list[NewJob] = []
    dups: list[Duplicate] = []
    for job, obj in zip(jobs, objs, strict=True):
        if job.dedupe_key in existing:
            dups.append(Duplicate(obj, existing[job.dedupe_key]))
        else:
            new.append(job)
    return EnqueuePlan(tuple(new), tuple(dups))


class JobEngine(Reporting):
    """One object that runs the queue, the status poller and the results fetcher for one scope.

    ``client_factory(service)`` makes boto3 clients (a :class:`gui.core.connection.Connection` works).
    Callbacks run on the engine's threads: ``on_change()`` after any store write, ``on_finished(record)``
    when a job ends (once, in the process that saw it end), ``on_problem(UserMessage | None)`` for a
    problem that stops progress (None when it cleared).
    """

    def __init__(
        self,
        store: JobStore,
        client_factory: ClientFactory,
        scope: Scope,
        *,
        preferences: JobPreferences | None = None,
        submit_policy: SubmitPolicy | None = None,
        poll_policy: Any = None,
        results_path: Path | None = None,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        on_change: Callable[[], None] | None = None,
        on_finished: Callable[[JobRecord], None] | None = None,
        on_problem: Callable[[UserMessage | None], None] | None = None,
        on_fetched: Callable[[JobRecord], None] | None = None,
    ) -> None:
        from gui.core.poller import Poller, PollPolicy, ResultsFetcher

        prefs = preferences or JobPreferences()
        self.preferences = prefs
        self.store = store
        self.scope = scope
        self._on_finished = on_finished
        self.on_change = on_change
        self.on_problem = on_problem
        self.problems: dict[str, UserMessage] = {}
        self._problem_lock = threading.Lock()
        policy = submit_policy or SubmitPolicy(max_active=prefs.max_active)
        self.submitter = Submitter(
            store, client_factory, scope, policy=policy, clock=clock, rng=rng,
            on_change=on_change, on_problem=lambda m: self._problem("submit", m),
        )
        self.fetcher: ResultsFetcher | None = None
        if results_path is not None:
            self.fetcher = ResultsFetcher(store, client_factory, results_path, on_change=on_change,
                                          on_fetched=on_fetched)
        poll = poll_policy or PollPolicy(first_delay=prefs.poll_first, max_interval=prefs.poll_max)
        self.poller = Poller(
            store, client_factory, scope, policy=poll, clock=clock, rng=rng,
            on_change=on_change, on_finished=self._finished,
            on_problem=lambda m: self._problem("poll", m),
            fetcher=self.fetcher if prefs.auto_fetch else None,
            completion_queues=prefs.completion_queues,
        )
        self._started = False

    # -- lifecycle --------------------------------------------------------------------------------------

    def start(self) -> None:
        if self._started:
            return
        self._started = True
        if self.fetcher is not None:
            self.fetcher.start()
            if self.preferences.auto_fetch:
                for record in self.unfetched():
                    self.fetcher.submit(record)
        self.poller.start()
        self.submitter.start()

    def stop(self, timeout: float = 5.0) -> bool:
        """Stop all threads cooperatively; True when they ended within ``timeout`` (an HTTP call in flight
        may hold one a little longer; threads are daemons and never block the process from exiting)."""
        deadline = time.monotonic() + timeout
        self.request_stop()
        ok = self.submitter.stop(max(0.0, deadline - time.monotonic()))
        ok = self.poller.stop(max(0.0, deadline - time.monotonic())) and ok
        if self.fetcher is not None:
            ok = self.fetcher.stop(max(0.0, deadline - time.monotonic())) and ok
        return ok

    def request_stop(self) -> None:
        """Ask every thread to stop, without waiting (see :meth:`stop`)."""
        self.submitter.request_stop()
        self.poller.request_stop()
        if self.fetcher is not None:
            self.fetcher.request_stop()

    @property
    def paused(self) -> UserMessage | None:
        """Why submission is paused (credentials), or None; safe to read from any thread."""
        return self.submitter.paused

    def wake(self) -> None:
        self.submitter.wake()
        self.poller.wake()

    def apply_preferences(self, prefs: JobPreferences) -> None:
        self.preferences = prefs
        self.submitter.set_policy(replace(self.submitter.policy, max_active=prefs.max_active))
        self.poller.set_policy(replace(self.poller.policy, first_delay=prefs.poll_first, max_interval=prefs.poll_max))
        self.poller.fetcher = self.fetcher if prefs.auto_fetch else None
        self.poller.completion_queues = dict(prefs.completion_queues)

    def resume(self) -> None:
        self.submitter.resume()
        self.poller.wake()

    # -- jobs ---------------------------------------------------------------------------------------------

    def plan(self, videos: Iterable[S3Object], settings: JobSettings, *, preset: str | None = None) -> EnqueuePlan:
        return plan_jobs(self.store, self.scope, videos, settings, preset=preset)

    def enqueue(self, jobs: Sequence[NewJob]) -> list[JobRecord]:
        """Write the jobs (QUEUED), duplicates or not ("submit again anyway"), and wake the submitter."""
        records = self.store.add_jobs(jobs)
        self._queued()
        return records

    def enqueue_unique(self, jobs: Sequence[NewJob]) -> AddResult:
        """Write the jobs (QUEUED) except those already submitted alike, checked in the same store
        transaction as the insert (a plan is only a preview: another window or CLI may have queued the
        same video since). Report ``result.skipped`` like :attr:`EnqueuePlan.duplicates`."""
        result = self.store.add_unique_jobs(jobs)
        if result.added:
            self._queued()
        return result

    def _queued(self) -> None:
        self.submitter.wake()
        self._changed()

    def submit(self, videos: Iterable[S3Object], settings: JobSettings, *, preset: str | None = None,
               include_duplicates: bool = False) -> list[JobRecord]:
        """Plan and enqueue; videos already submitted alike are skipped unless ``include_duplicates``."""
        plan = self.plan(videos, settings, preset=preset)
        if not include_duplicates:
            return list(self.enqueue_unique(plan.new).added)
        jobs = list(plan.new)
        jobs += [new_job(d.video.bucket, d.video.key, settings, self.scope, preset=preset,
                         version_id=d.video.version_id, size=d.video.size or None) for d in plan.duplicates]
        return self.enqueue(jobs)

    def cancel(self, row_id: int) -> bool:
        ok = self.store.cancel(row_id)
        self._changed()
        return ok

    def retry(self, row_id: int) -> JobRecord | None:
        record = self.store.retry(row_id)
        self.submitter.wake()
        self._changed()
        return record

    def remove(self, row_id: int) -> bool:
        ok = self.store.remove(row_id)
        self._changed()
        return ok

    def unfetched(self, max_age_seconds: float = RESULTS_RETENTION_SECONDS) -> list[JobRecord]:
        """Succeeded jobs of this scope whose results are not stored yet and that AWS still keeps
        (auto-fetch resumes them after a restart; a fetch that failed before is left to the user)."""
        now = time.time()
        return [
            j for j in self.store.jobs(self.scope, statuses=[JobStatus.SUCCEEDED])
            if not j.results_fetched and not (j.status_message or "").startswith(FETCH_FAILED_PREFIX)
            and (j.finished_at or now) > now - max_age_seconds
        ]

    def fetch(self, record: JobRecord) -> None:
        """Queue a results fetch (the fetcher thread stores them and updates the job)."""
        if self.fetcher is None:
            raise RuntimeError("this engine has no results store")
        self.fetcher.submit(record)

    # -- callbacks ----------------------------------------------------------------------------------------

    def _finished(self, record: JobRecord) -> None:
        self.submitter.wake()  # a slot is free
        if self._on_finished is not None:
            try:
                self._on_finished(record)
            except Exception:
                log.exception("on_finished callback failed")

    def _problem(self, source: str, message: UserMessage | None) -> None:
        with self._problem_lock:
            if message is None:
                self.problems.pop(source, None)
            else:
                self.problems[source] = message
        self._report(message)
