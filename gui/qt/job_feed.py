"""What feeds the Jobs panel: the job store, the engines per scope and the refresh of the job list.

Threads: each :class:`gui.core.engine.JobEngine` (queue, poller, results fetcher) runs on its own
Python threads and only writes to the job store; its callbacks reach the GUI thread through
:class:`EngineBridge` signals. Every store read or write of the feed runs as a task of the panel's
:class:`~gui.qt.workers.TaskRegistry`; the feed hands what changed (``JobStore.changed_since``) to the
panel row by row, also picking up jobs written by the CLI in another process.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from gui.core.connection import Connection
from gui.core.duplicates import EnqueuePlan
from gui.core.engine import JobEngine, JobPreferences, resolve_scope
from gui.core.errors import UserMessage
from gui.core.jobstates import Action, JobStatus
from gui.core.jobstore import Changes, JobRecord, JobStore, Scope
from gui.core.paths import AppPaths
from gui.core.poller import setup_completion_queue
from gui.core.results_store import ResultsStore
from gui.core.submitter import SubmitPolicy
from gui.core.types import JobSettings, S3Object
from gui.qt.workers import TaskRegistry

log = logging.getLogger(__name__)

REFRESH_MS = 1000  # look for changes by other processes (the CLI) and tick "Elapsed"
COALESCE_MS = 100  # engine changes are folded in at most this often


class EngineBridge(QObject):
    """Engine callbacks (any thread) → queued signals on the GUI thread."""

    changed = Signal()
    problem = Signal(object)  # UserMessage | None

    def on_change(self) -> None:
        self.changed.emit()

    def on_problem(self, message: UserMessage | None) -> None:
        self.problem.emit(message)


# ----------------------------------------------------------------------------------------------------------
# Background functions (run as tasks; no Qt)
# ----------------------------------------------------------------------------------------------------------


def open_job_store(cancel: Any, progress: Any, paths: AppPaths) -> JobStore:
    return JobStore(paths.jobs_db)


def open_results_cache(cancel: Any, progress: Any, paths: AppPaths) -> ResultsStore:
    return ResultsStore(paths.results_db)


def load_changes(cancel: Any, progress: Any, store: JobStore, version: int) -> Changes:
    return store.changed_since(version)


def resolve_connection_scope(cancel: Any, progress: Any, conn: Connection) -> tuple[Connection, Scope]:
    return conn, resolve_scope(conn.client, conn.spec.region, conn.spec.endpoint_url)


def plan_submission(cancel: Any, progress: Any, engine: JobEngine, videos: list[S3Object], settings: JobSettings,
                    preset: str | None) -> tuple[EnqueuePlan, list[float | None]]:
    plan = engine.plan(videos, settings, preset=preset)
    durations = []
    for v in videos:
        ms = engine.store.known_duration_ms(v.uri)
        durations.append(ms / 1000.0 if ms else None)
    return plan, durations


def enqueue_planned(cancel: Any, progress: Any, engine: JobEngine, plan: EnqueuePlan, include_duplicates: bool,
                    settings: JobSettings, preset: str | None) -> tuple[int, int]:
    """Queue the planned jobs by the engine's one duplicate rule; returns (queued, skipped because already
    submitted alike in the meantime: the plan is a preview, the store checks again in its transaction)."""
    outcome = engine.submit_plan(plan, settings, preset=preset, include_duplicates=include_duplicates)
    return len(outcome.added), len(outcome.late)


def submit_unconfirmed(cancel: Any, progress: Any, engine: JobEngine, videos: list[S3Object], settings: JobSettings,
                       preset: str | None) -> tuple[int, int]:
    """Plan and queue in one task (no confirmation): videos already submitted alike are skipped."""
    plan = engine.plan(videos, settings, preset=preset)
    return enqueue_planned(cancel, progress, engine, plan, False, settings, preset)


def apply_action(cancel: Any, progress: Any, engine: JobEngine, action: Action, ids: list[int]) -> int:
    done = 0
    for row_id in ids:
        if action is Action.CANCEL:
            done += engine.cancel(row_id)
        elif action is Action.RETRY:
            done += engine.retry(row_id) is not None
        elif action is Action.REMOVE:
            done += engine.remove(row_id)
        elif action is Action.FETCH_RESULTS:
            record = engine.store.get(row_id)
            if record is not None and engine.fetcher is not None:
                done += engine.fetch(record)
    return done


def stop_engine(cancel: Any, progress: Any, engine: JobEngine) -> bool:
    return engine.stop(timeout=10.0)


def setup_queue(cancel: Any, progress: Any, conn: Connection, topic_arn: str) -> tuple[str, str]:
    return topic_arn, setup_completion_queue(conn.client, topic_arn)


def ended_now(transitions: Iterable[tuple[JobStatus | None, JobRecord]], loaded_at: float) -> list[JobRecord]:
    """The jobs that ended just now, to announce: seen active before, or first seen already ended (a quick
    job of another process) but finished after the list was loaded — never a job of an earlier session."""
    return [
        r for old, r in transitions
        if r.status.is_terminal and r.status is not JobStatus.CANCELLED
        and ((old is not None and old.is_active) or (old is None and (r.finished_at or 0) >= loaded_at))
    ]


def ended_notice(ended: Sequence[JobRecord]) -> str:
    """The notice for jobs that ended (one line; the failure's message for a single failed job)."""
    if len(ended) == 1:
        r = ended[0]
        text = f"Job {r.status.label.lower()}: {r.video_uri}"
        if r.status is JobStatus.FAILED and r.status_message:
            text += f" — {r.status_message}"
        return text
    ok = sum(1 for r in ended if r.status is JobStatus.SUCCEEDED)
    failed = sum(1 for r in ended if r.status is JobStatus.FAILED)
    return f"{len(ended)} jobs ended: {ok} succeeded, {failed} failed"


def summary_text(records: Iterable[JobRecord], other_active: dict[int, Scope], scope: Scope | None,
                 connected: bool) -> str:
    """The line under the job list: counts per status, active jobs of other regions, the region on view."""
    counts: dict[JobStatus, int] = {s: 0 for s in JobStatus}
    for r in records:
        counts[r.status] += 1
    parts = [f"{n} {s.label.lower()}" for s, n in counts.items() if n]
    text = " · ".join(parts) if parts else "No jobs yet"
    if other_active:
        regions = sorted({s.region for s in other_active.values()})
        text += f" · {len(other_active)} active in {', '.join(regions)}"
    if scope is not None:
        text += f"  —  {scope.region}"
    elif not connected:
        text += "  —  not connected"
    return text


class RegionClients:
    """The connection's clients in another region (for the engines of the account's other regions)."""

    def __init__(self, conn: Connection, region: str) -> None:
        self.conn = conn
        self.region = region

    def __call__(self, service: str, region: str | None = None, **kwargs: Any) -> Any:
        return self.conn.client(service, region or self.region, **kwargs)


# ----------------------------------------------------------------------------------------------------------
# The feed
# ----------------------------------------------------------------------------------------------------------


class JobFeed(QObject):
    """Opens the job store, runs one engine per scope, and reports the job list and its changes.

    Signals: ``storeOpened(JobStore)``, ``storeFailed(UserMessage)``, ``loaded(Changes)`` (the whole list
    of the scope on view), ``changed(Changes)`` (rows changed since the last report), ``ticked`` (every
    :data:`REFRESH_MS`), ``scopeResolved(Scope)``, ``scopeFailed(UserMessage)``, ``problem`` (an engine's
    UserMessage or None) and ``enginesChanged``.
    """

    storeOpened = Signal(object)
    storeFailed = Signal(object)
    loaded = Signal(object)
    changed = Signal(object)
    ticked = Signal()
    scopeResolved = Signal(object)
    scopeFailed = Signal(object)
    problem = Signal(object)
    enginesChanged = Signal()

    def __init__(
        self,
        paths: AppPaths,
        tasks: TaskRegistry,
        parent: QObject | None = None,
        *,
        preferences: JobPreferences,
        submit_policy: SubmitPolicy | None = None,
        poll_policy: Any = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(parent)
        self.paths = paths
        self.tasks = tasks
        self.preferences = preferences
        self.submit_policy = submit_policy
        self.poll_policy = poll_policy
        self.clock = clock
        self.store: JobStore | None = None
        self.engines: dict[Scope, JobEngine] = {}  # the scope on view, and others of the account with active jobs
        self.other_active: dict[int, Scope] = {}  # active jobs of other regions (same account and endpoint)
        self.connection: Connection | None = None
        self.scope: Scope | None = None
        self.closing = False
        self._version = 0
        self._refreshing = False
        self._refresh_again = False
        self.bridge = EngineBridge(self)
        self.bridge.changed.connect(self._on_engine_changed)
        self.bridge.problem.connect(self.problem)
        self._tick = QTimer(self)
        self._tick.setInterval(REFRESH_MS)
        self._tick.timeout.connect(self._on_tick)
        self._coalesce = QTimer(self)
        self._coalesce.setSingleShot(True)
        self._coalesce.setInterval(COALESCE_MS)
        self._coalesce.timeout.connect(self.refresh)

    @property
    def engine(self) -> JobEngine | None:
        """The engine of the account/region on view (None until connected)."""
        return self.engines.get(self.scope) if self.scope is not None else None

    def open(self) -> None:
        self.tasks.run(open_job_store, self.paths, on_result=self._on_store_opened, on_error=self._on_store_error)

    # -- connection and engines -------------------------------------------------------------------------

    def set_connection(self, conn: Connection | None) -> None:
        self.connection = conn
        self.stop_engines()
        if conn is None:
            self.scope = None
            return
        self.tasks.run(resolve_connection_scope, conn, on_result=self._on_scope_resolved,
                       on_error=self._on_scope_error)

    def apply_preferences(self, prefs: JobPreferences) -> None:
        self.preferences = prefs
        for engine in self.engines.values():
            engine.apply_preferences(prefs)

    @Slot(object)
    def _on_scope_resolved(self, result: tuple[Connection, Scope]) -> None:
        conn, scope = result
        if self.closing or conn is not self.connection:
            return
        self.scope = scope
        self.scopeResolved.emit(scope)
        if self.store is not None:
            self.reload()
            self._start_engine(scope)

    @Slot(object)
    def _on_scope_error(self, message: UserMessage) -> None:
        self.scopeFailed.emit(message)

    def _start_engine(self, scope: Scope) -> None:
        if self.store is None or self.connection is None or self.closing or scope in self.engines:
            return
        prefs = self.preferences
        policy = self.submit_policy or SubmitPolicy(max_active=prefs.max_active)
        clients = self.connection.client if scope == self.scope else RegionClients(self.connection, scope.region)
        engine = self.engines[scope] = JobEngine(
            self.store,
            clients,
            scope,
            preferences=prefs,
            submit_policy=replace(policy, max_active=prefs.max_active) if self.submit_policy is None else policy,
            poll_policy=self.poll_policy,
            results_path=self.paths.results_db,
            clock=self.clock,
            on_change=self.bridge.on_change,
            on_problem=self.bridge.on_problem,
        )
        engine.start()
        log.info("Watching jobs of %s", scope.describe())
        self.enginesChanged.emit()

    def stop_engines(self) -> None:
        """Stop every engine in the background (switching connection)."""
        engines, self.engines = list(self.engines.values()), {}
        for engine in engines:
            engine.request_stop()
            self.tasks.run(stop_engine, engine, keep_on_close=True)

    def track_other_scopes(self, rows: Iterable[JobRecord]) -> None:
        """Remember active jobs of the account's other regions and run an engine for each such region."""
        current = self.scope
        if current is None:
            return
        for r in rows:
            other = r.scope != current and r.account == current.account and r.endpoint == current.endpoint
            if other and r.status.is_active and not r.removed:
                self.other_active[r.id] = r.scope
            else:
                self.other_active.pop(r.id, None)
        for scope in set(self.other_active.values()):
            self._start_engine(scope)

    # -- store and refreshing ---------------------------------------------------------------------------

    @Slot(object)
    def _on_store_opened(self, store: JobStore) -> None:
        if self.closing:
            store.close()
            return
        self.store = store
        self.storeOpened.emit(store)
        self.reload()
        self._tick.start()
        if self.scope is not None and self.engine is None and self.connection is not None:
            self._start_engine(self.scope)

    @Slot(object)
    def _on_store_error(self, message: UserMessage) -> None:
        self.storeFailed.emit(message)

    def reload(self) -> None:
        """Load the whole list again (after the store opened or the scope changed)."""
        if self.store is None:
            return
        self._refreshing = True
        self.tasks.run(load_changes, self.store, 0, on_result=self._on_loaded, on_error=self._on_refresh_error)

    @Slot(object)
    def _on_loaded(self, changes: Changes) -> None:
        self._refreshing = False
        self._version = changes.version
        self.other_active.clear()
        self.track_other_scopes(changes.rows)
        self.loaded.emit(changes)
        self._again()

    @Slot()
    def _on_engine_changed(self) -> None:
        if not self._coalesce.isActive():
            self._coalesce.start()

    @Slot()
    def _on_tick(self) -> None:
        self.ticked.emit()
        self.refresh()

    @Slot()
    def refresh(self) -> None:
        """Look for changed rows now (one query at a time; a request meanwhile runs right after it)."""
        if self.store is None or self.closing:
            return
        if self._refreshing:
            self._refresh_again = True
            return
        self._refreshing = True
        self.tasks.run(load_changes, self.store, self._version, on_result=self._on_refreshed,
                       on_error=self._on_refresh_error)

    @Slot(object)
    def _on_refreshed(self, changes: Changes) -> None:
        self._refreshing = False
        if self.closing:
            return
        if changes.rows:
            self._version = changes.version
            self.changed.emit(changes)
            self.track_other_scopes(changes.rows)
        self._again()

    def _again(self) -> None:
        if self._refresh_again:
            self._refresh_again = False
            self.refresh()

    @Slot(object)
    def _on_refresh_error(self, message: UserMessage) -> None:
        self._refreshing = False
        log.warning("Refreshing the job list failed: %s", message)

    def close(self) -> bool:
        """Stop the timers and every engine (bounded); True when all engines ended."""
        self.closing = True
        self._tick.stop()
        self._coalesce.stop()
        engines, self.engines = list(self.engines.values()), {}
        for engine in engines:
            engine.request_stop()
        deadline = time.monotonic() + 2.0
        return all([engine.stop(timeout=max(0.1, deadline - time.monotonic())) for engine in engines])
