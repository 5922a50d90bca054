"""The job engine the window and the CLI share: queue (submitter), status poller and results fetcher.

One :class:`JobEngine` runs for one scope (account, region, endpoint). Its three parts are
:class:`gui.core.loop.BackgroundLoop` threads; they share nothing but the job store, so several
engines (windows, CLIs) on the same store cooperate: whichever runs next starts a queued job, and a job
is never started twice (see :mod:`gui.core.submitter` and :mod:`gui.core.leases`).

Results: :func:`fetch_job_results` is the one job-level fetch (every page, stored, and the job record
updated); the engine's :class:`ResultsFetcher`, the results window and the CLI all call it.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from gui.core.clients import client_with_attempts
from gui.core.duplicates import EnqueuePlan, plan_jobs, resubmission_jobs, split_existing
from gui.core.errors import ErrorKind, KnownError, UserMessage, classify, error_code, explain
from gui.core.jobstates import JobStatus
from gui.core.jobstore import AddResult, JobRecord, JobStore, NewJob, Scope
from gui.core.loop import BackgroundLoop
from gui.core.paths import AppPaths
from gui.core.poller import GONE_CODES, Poller, PollPolicy
from gui.core.results_fetch import Cancellable, FetchProgress, fetch_and_store
from gui.core.results_store import ResultsStore, ResultSummary
from gui.core.settings import load_section, save_app_settings
from gui.core.submitter import SubmitPolicy, Submitter
from gui.core.types import SANDBOX_HEADER, SANDBOX_SCOPE, ClientFactory, JobSettings, S3Object

log = logging.getLogger(__name__)

RESULTS_RETENTION_SECONDS = 7 * 24 * 3600  # AWS keeps label-detection results for 7 days
FETCH_FAILED_PREFIX = "Results not fetched:"


# ----------------------------------------------------------------------------------------------------------
# Preferences
# ----------------------------------------------------------------------------------------------------------


@dataclass
class JobPreferences:
    """User preferences for jobs, kept in the shared settings file (versioned JSON, atomic writes, a
    corrupt file kept aside: :mod:`gui.core.settings`), section ``"jobs"``."""

    max_active: int = 20
    price_per_minute: float = 0.10
    auto_fetch: bool = True
    poll_first: float = 5.0  # seconds before the first status check
    poll_max: float = 60.0  # the longest wait between two checks of one job
    completion_queues: dict[str, str] = field(default_factory=dict)  # SNS topic ARN -> SQS queue URL

    SECTION = "jobs"

    @classmethod
    def load(cls, paths: AppPaths) -> JobPreferences:
        """The saved preferences; defaults (logged) for values that are unusable."""
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

    def save(self, paths: AppPaths) -> None:
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


def resolve_scope(client_factory: ClientFactory, region: str, endpoint_url: str | None) -> Scope:
    """The account behind the credentials (STS GetCallerIdentity), the region and the endpoint.

    Raises what boto3 raises (no credentials, unreachable endpoint): callers report it. Asks for a client
    with few retries when the factory allows it, so a wrong endpoint answers in seconds.
    """
    identity = client_with_attempts(client_factory, "sts", 2).get_caller_identity()
    headers = identity.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    # The local sandbox takes a new port each run: its jobs stay one scope ("local sandbox") across runs.
    endpoint = SANDBOX_SCOPE if headers.get(SANDBOX_HEADER) else (endpoint_url or "")
    return Scope(str(identity.get("Account", "")), region, endpoint)


# ----------------------------------------------------------------------------------------------------------
# Results
# ----------------------------------------------------------------------------------------------------------


def _fetch_failure(exc: Exception) -> str:
    """What the job record says after a failed fetch; a job the service no longer knows says so plainly."""
    if classify(exc) is ErrorKind.REFUSED and error_code(exc) in GONE_CODES:
        return ("results no longer available: the service no longer knows this job (AWS keeps results for "
                "7 days; a local sandbox forgets its jobs when it stops).")
    return str(explain(exc))


def fetch_job_results(
    job_store: JobStore,
    results_store: ResultsStore,
    client: Any,
    record: JobRecord,
    *,
    cancel: Cancellable | None = None,
    progress: Callable[[FetchProgress], Any] | None = None,
) -> ResultSummary:
    """Fetch every page of ``record``'s results into ``results_store`` and update the job record.

    On success the job gets its label count and the video's duration (and loses an earlier
    "Results not fetched" message); on failure it gets that message (the engine's auto-fetch then leaves
    it to the user) and the exception propagates. A cancelled fetch leaves the job as it was.
    """
    try:
        if not record.job_id:
            raise KnownError("No JobId", f"{record.video_uri} has no AWS job to fetch results from.")
        summary = fetch_and_store(client, record.job_id, results_store, cancel=cancel, progress=progress)
    except Exception as exc:
        if cancel is not None and cancel.cancelled:
            raise
        job_store.set_message(record.id, f"{FETCH_FAILED_PREFIX} {_fetch_failure(exc)}")
        raise
    job_store.set_results(record.id, label_count=summary.label_count, duration_ms=summary.duration_ms or None)
    current = job_store.get(record.id)
    if current is not None and (current.status_message or "").startswith(FETCH_FAILED_PREFIX):
        job_store.set_message(record.id, None)
    return summary


class ResultsFetcher(BackgroundLoop):
    """One background thread fetching results, one job at a time, in the order asked."""

    thread_name = "results-fetcher"
    IDLE_WAIT = 3600.0  # nothing queued: sleep until :meth:`submit` wakes the thread

    def __init__(
        self,
        job_store: JobStore,
        client_factory: ClientFactory,
        results_path: Path,
        *,
        on_change: Callable[[], None] | None = None,
        on_fetched: Callable[[JobRecord], None] | None = None,
    ) -> None:
        super().__init__(on_change=on_change)
        self.job_store = job_store
        self.client_factory = client_factory
        self.results_path = Path(results_path)
        self.on_fetched = on_fetched
        self.errors: dict[int, UserMessage] = {}
        self._queue: list[JobRecord] = []
        self._pending: set[int] = set()
        self._lock = threading.Lock()
        self._store: ResultsStore | None = None

    def submit(self, record: JobRecord) -> bool:
        """Queue ``record`` for fetching; False when it is queued already."""
        with self._lock:
            if record.id in self._pending:
                return False
            self._pending.add(record.id)
            self._queue.append(record)
        self.wake()
        return True

    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def step(self) -> float:
        with self._lock:
            if not self._queue:
                return self.IDLE_WAIT
            record = self._queue.pop(0)
        try:
            self.fetch_now(record)
        finally:
            with self._lock:
                self._pending.discard(record.id)
        return 0.0

    def _closed(self) -> None:
        if self._store is not None:
            try:
                self._store.close()
            except Exception:
                log.exception("Closing the results store failed")

    def fetch_now(self, record: JobRecord) -> ResultSummary | None:
        """Fetch on the calling thread; errors are logged and kept in :attr:`errors` (never raised)."""
        try:
            if self._store is None:
                self._store = ResultsStore(self.results_path)
            summary = fetch_job_results(self.job_store, self._store, self.client_factory("rekognition"), record,
                                        cancel=self.cancel_token)
        except Exception as exc:  # a failed fetch must not stop the others
            if self.stopping:  # shutting down: the job stays unfetched and is resumed next time
                log.info("Fetch of %s interrupted by shutdown", record.job_id)
                return None
            message = explain(exc)
            self.errors[record.id] = message
            if message.expected:
                log.warning("Fetching results of %s failed: %s", record.job_id, message)
            else:
                log.exception("Fetching results of %s failed", record.job_id)
            self._changed()
            return None
        self.errors.pop(record.id, None)
        self._changed()
        if self.on_fetched is not None:
            self._callback(self.on_fetched, self.job_store.get(record.id) or record)
        return summary


# ----------------------------------------------------------------------------------------------------------
# The engine
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EnqueueOutcome:
    """What :meth:`JobEngine.submit_plan` did with each video of the plan."""

    added: tuple[JobRecord, ...]  # new jobs, QUEUED
    retried: tuple[JobRecord, ...]  # failed or cancelled jobs queued again in place (``retry_ended``)
    skipped: tuple[JobRecord, ...]  # jobs already submitted alike, left as they are
    late: tuple[JobRecord, ...] = ()  # of those, the ones queued elsewhere after the plan was made


class JobEngine:
    """One object that runs the queue, the status poller and the results fetcher for one scope.

    ``client_factory(service)`` makes boto3 clients (a :class:`gui.core.connection.Connection` works).
    Callbacks run on the engine's threads: ``on_change()`` after any store write, ``on_finished(record)``
    when a job ends (once, in the process that saw it end), ``on_problem(UserMessage | None)`` for a
    problem that stops progress (None when it cleared), ``on_fetched(record)`` when results are stored.
    """

    def __init__(
        self,
        store: JobStore,
        client_factory: ClientFactory,
        scope: Scope,
        *,
        preferences: JobPreferences | None = None,
        submit_policy: SubmitPolicy | None = None,
        poll_policy: PollPolicy | None = None,
        results_path: Path | None = None,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        on_change: Callable[[], None] | None = None,
        on_finished: Callable[[JobRecord], None] | None = None,
        on_problem: Callable[[UserMessage | None], None] | None = None,
        on_fetched: Callable[[JobRecord], None] | None = None,
    ) -> None:
        prefs = preferences or JobPreferences()
        self.preferences = prefs
        self.store = store
        self.scope = scope
        self.clock = clock
        self.on_change = on_change
        self.on_finished = on_finished
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
            completion_queues=prefs.completion_queues,
        )
        self._started = False

    # -- lifecycle --------------------------------------------------------------------------------------

    @property
    def paused(self) -> UserMessage | None:
        """Why submission is paused (a credentials problem), or None; safe to read from any thread."""
        return self.submitter.paused

    def _loops(self) -> list[BackgroundLoop]:
        loops: list[BackgroundLoop] = [self.submitter, self.poller]
        if self.fetcher is not None:
            loops.append(self.fetcher)
        return loops

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

    def request_stop(self) -> None:
        """Ask every thread to stop after the call in flight; returns at once (see :meth:`stop`)."""
        for loop in self._loops():
            loop.request_stop()

    def stop(self, timeout: float = 5.0) -> bool:
        """Stop all threads cooperatively; True when they ended within ``timeout`` (an HTTP call in flight
        may hold one a little longer; threads are daemons and never block the process from exiting)."""
        deadline = time.monotonic() + timeout
        self.request_stop()
        ok = True
        for loop in self._loops():
            ok = loop.stop(max(0.0, deadline - time.monotonic())) and ok
        return ok

    def wake(self) -> None:
        self.submitter.wake()
        self.poller.wake()

    def apply_preferences(self, prefs: JobPreferences) -> None:
        self.preferences = prefs
        self.submitter.set_policy(replace(self.submitter.policy, max_active=prefs.max_active))
        self.poller.set_policy(replace(self.poller.policy, first_delay=prefs.poll_first, max_interval=prefs.poll_max))
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

    def submit_plan(self, plan: EnqueuePlan, settings: JobSettings, *, preset: str | None = None,
                    include_duplicates: bool = False, retry_ended: bool = False) -> EnqueueOutcome:
        """Queue ``plan`` by the rule of :mod:`gui.core.duplicates` (the window and the CLI both call this)."""
        if include_duplicates:
            jobs = list(plan.new) + resubmission_jobs(plan, settings, self.scope, preset=preset)
            return EnqueueOutcome(tuple(self.enqueue(jobs)), (), ())
        added = self.enqueue_unique(plan.new)
        existing = [d.existing for d in plan.duplicates] + [s.existing for s in added.skipped]
        to_retry, skipped = split_existing(existing, retry_ended=retry_ended)
        retried = [r for r in (self.retry(e.id) for e in to_retry) if r is not None]
        late = {s.existing.id for s in added.skipped}
        return EnqueueOutcome(added.added, tuple(retried), tuple(skipped),
                              tuple(r for r in skipped if r.id in late))

    def submit(self, videos: Iterable[S3Object], settings: JobSettings, *, preset: str | None = None,
               include_duplicates: bool = False) -> list[JobRecord]:
        """Plan and queue; videos already submitted alike are skipped unless ``include_duplicates``."""
        plan = self.plan(videos, settings, preset=preset)
        return list(self.submit_plan(plan, settings, preset=preset, include_duplicates=include_duplicates).added)

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
        now = self.clock()
        return [
            j for j in self.store.jobs(self.scope, statuses=[JobStatus.SUCCEEDED])
            if not j.results_fetched and not (j.status_message or "").startswith(FETCH_FAILED_PREFIX)
            and (j.finished_at or now) > now - max_age_seconds
        ]

    def fetch(self, record: JobRecord) -> bool:
        """Queue a results fetch (the fetcher thread stores them and updates the job); False when that
        job is queued already."""
        if self.fetcher is None:
            raise RuntimeError("this engine has no results store")
        return self.fetcher.submit(record)

    # -- callbacks ----------------------------------------------------------------------------------------

    def _changed(self) -> None:
        BackgroundLoop._callback(self.on_change)

    def _finished(self, record: JobRecord) -> None:
        self.submitter.wake()  # a slot is free
        BackgroundLoop._callback(self.on_finished, record)
        if record.status is JobStatus.SUCCEEDED and self.fetcher is not None and self.preferences.auto_fetch:
            self.fetcher.submit(record)

    def _problem(self, source: str, message: UserMessage | None) -> None:
        with self._problem_lock:
            if message is None:
                self.problems.pop(source, None)
            else:
                self.problems[source] = message
        BackgroundLoop._callback(self.on_problem, message)

