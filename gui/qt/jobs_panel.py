"""The Jobs panel: "Start label detection", the live job list, actions per job, preferences.

Threads: the :class:`gui.core.submitter.JobEngine` (queue, poller, results fetcher) runs on its own
Python threads and only writes to the job store; its callbacks reach this panel through
:class:`EngineBridge` signals (queued to the GUI thread). Every store read or write from the panel runs
on a :class:`gui.qt.workers.Worker`; the panel folds what changed into the model row by row
(``JobStore.changed_since``), also picking up jobs written by the CLI in another process.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QObject, QPoint, Qt, QThreadPool, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QStyle,
    QSystemTrayIcon,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gui.core.cost import PRICE_SOURCE, estimate
from gui.core.errors import UserMessage
from gui.core.jobstates import ACTION_TEXT, Action, JobStatus, allowed_actions
from gui.core.jobstore import Changes, JobRecord, JobStore, Scope
from gui.core.paths import AppPaths
from gui.core.submitter import EnqueuePlan, JobEngine, JobPreferences, SubmitPolicy
from gui.core.types import JobSettings, S3Object
from gui.qt.job_model import COLUMNS, ELAPSED, LABELS, STATUS, SUBMITTED, VIDEO, JobFilterProxy, JobTableModel
from gui.qt.workers import Worker, start

log = logging.getLogger(__name__)

STATUS_FILTERS: tuple[tuple[str, frozenset[JobStatus] | None], ...] = (
    ("All jobs", None),
    ("Active", frozenset(s for s in JobStatus if s.is_active)),
    ("Queued", frozenset({JobStatus.QUEUED})),
    ("Submitting", frozenset({JobStatus.SUBMITTING})),
    ("In progress", frozenset({JobStatus.IN_PROGRESS})),
    ("Succeeded", frozenset({JobStatus.SUCCEEDED})),
    ("Failed", frozenset({JobStatus.FAILED})),
    ("Cancelled", frozenset({JobStatus.CANCELLED})),
)
ACTION_OBJECT_NAMES = {
    Action.CANCEL: "cancelJobAction",
    Action.RETRY: "retryJobAction",
    Action.FETCH_RESULTS: "fetchResultsAction",
    Action.OPEN_RESULTS: "openResultsAction",
    Action.COPY_JOB_ID: "copyJobIdAction",
    Action.REMOVE: "removeJobAction",
}
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
# Background functions (run on Workers; no Qt)
# ----------------------------------------------------------------------------------------------------------


def _open_store(cancel: Any, progress: Any, paths: AppPaths) -> JobStore:
    return JobStore(paths.jobs_db)


def _load_all(cancel: Any, progress: Any, store: JobStore) -> Changes:
    return store.changed_since(0)


def _changes(cancel: Any, progress: Any, store: JobStore, version: int) -> Changes:
    return store.changed_since(version)


def _resolve(cancel: Any, progress: Any, conn: Any) -> tuple[Any, Scope]:
    from gui.core.submitter import resolve_scope

    return conn, resolve_scope(conn.client, conn.spec.region, conn.spec.endpoint_url)


def _plan(cancel: Any, progress: Any, engine: JobEngine, videos: list[S3Object], settings: JobSettings,
          preset: str | None) -> tuple[EnqueuePlan, list[float | None]]:
    plan = engine.plan(videos, settings, preset=preset)
    durations = []
    for v in videos:
        ms = engine.store.known_duration_ms(v.uri)
        durations.append(ms / 1000.0 if ms else None)
    return plan, durations


def _enqueue(cancel: Any, progress: Any, engine: JobEngine, plan: EnqueuePlan, include_duplicates: bool,
             settings: JobSettings, preset: str | None) -> tuple[int, int]:
    """Queue the planned jobs; returns (queued, skipped because already submitted alike in the meantime)."""
    from gui.core.jobstore import new_job

    if not include_duplicates:
        # The plan is a preview (the dialog may stay open while the CLI queues the same videos): the store
        # checks for duplicates again in the insert's transaction.
        result = engine.enqueue_unique(plan.new)
        return len(result.added), len(result.skipped)
    jobs = list(plan.new)
    jobs += [
        new_job(d.video.bucket, d.video.key, settings, engine.scope, preset=preset,
                version_id=d.video.version_id, size=d.video.size or None)
        for d in plan.duplicates
    ]
    return len(engine.enqueue(jobs)), 0


def _apply_action(cancel: Any, progress: Any, engine: JobEngine, action: Action, ids: list[int]) -> int:
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
                done += engine.fetcher.submit(record)
    return done


def _record_summary(cancel: Any, progress: Any, store: JobStore, job_id: str, label_count: int,
                    duration_ms: int | None) -> bool:
    record = store.by_job_id(job_id)
    return bool(record and store.set_results(record.id, label_count=label_count, duration_ms=duration_ms))


def _stop_engine(cancel: Any, progress: Any, engine: JobEngine) -> bool:
    return engine.stop(timeout=10.0)


def _setup_queue(cancel: Any, progress: Any, conn: Any, topic_arn: str) -> tuple[str, str]:
    from gui.core.poller import setup_completion_queue

    return topic_arn, setup_completion_queue(conn.client, topic_arn)


# ----------------------------------------------------------------------------------------------------------
# Preferences dialog
# ----------------------------------------------------------------------------------------------------------


class JobPreferencesDialog(QDialog):
    def __init__(self, prefs: JobPreferences, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("jobPreferencesDialog")
        self.setWindowTitle("Job preferences")
        form = QFormLayout(self)
        self.maxActive = QSpinBox(self)
        self.maxActive.setObjectName("maxActiveSpin")
        self.maxActive.setRange(1, 1000)
        self.maxActive.setValue(prefs.max_active)
        self.maxActive.setToolTip("AWS allows 20 concurrent label-detection jobs per account and region by "
                                  "default; jobs beyond this wait in the local queue.")
        form.addRow("Jobs in progress at once:", self.maxActive)
        self.price = QDoubleSpinBox(self)
        self.price.setObjectName("pricePerMinuteSpin")
        self.price.setRange(0.0, 100.0)
        self.price.setDecimals(3)
        self.price.setSingleStep(0.01)
        self.price.setPrefix("$ ")
        self.price.setValue(prefs.price_per_minute)
        self.price.setToolTip(f"Used for the cost estimate only. Default $0.10 from {PRICE_SOURCE}.")
        form.addRow("Price per minute of video:", self.price)
        self.autoFetch = QCheckBox("Fetch results as soon as a job succeeds", self)
        self.autoFetch.setObjectName("autoFetchCheck")
        self.autoFetch.setChecked(prefs.auto_fetch)
        form.addRow("", self.autoFetch)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self._prefs = prefs

    def preferences(self) -> JobPreferences:
        return replace(
            self._prefs,
            max_active=self.maxActive.value(),
            price_per_minute=self.price.value(),
            auto_fetch=self.autoFetch.isChecked(),
            completion_queues=dict(self._prefs.completion_queues),
        )


# ----------------------------------------------------------------------------------------------------------
# The panel
# ----------------------------------------------------------------------------------------------------------


class JobsPanel(QWidget):
    """See the module docstring. Wiring: ``set_connection(conn)``, ``set_sources(...)``, ``shutdown()``."""

    statusMessage = Signal(str)  # also shown in the window's status bar when the parent is a QMainWindow
    jobEnded = Signal(object)  # JobRecord, when a job reaches SUCCEEDED/FAILED (seen in this window)
    storeProblem = Signal(str)  # the job database could not be opened or was kept aside

    def __init__(
        self,
        paths: AppPaths,
        parent: QWidget | None = None,
        *,
        submit_policy: SubmitPolicy | None = None,
        poll_policy: Any = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("jobsPanel")
        self.paths = paths
        self.clock = clock
        self.submit_policy = submit_policy
        self.poll_policy = poll_policy
        self.preferences = JobPreferences.load(paths)
        self.store: JobStore | None = None
        self.engines: dict[Scope, JobEngine] = {}  # the scope on view, and others of the account with active jobs
        self._other_active: dict[int, Scope] = {}  # active jobs of other regions (same account and endpoint)
        self.connection: Any = None
        self.scope: Scope | None = None
        self._videos_fn: Callable[[], list[S3Object]] = list
        self._settings_fn: Callable[[], JobSettings] = JobSettings
        self._preset_fn: Callable[[], str | None] = lambda: None
        self._valid_fn: Callable[[], list[str]] = list
        self._version = 0
        self._loaded = False
        self._loaded_at = float("inf")  # when the list was first loaded (jobs ending after it are announced)
        self._refreshing = False
        self._refresh_again = False
        self._closing = False
        self._pending_plan: tuple[EnqueuePlan, JobSettings, str | None] | None = None
        self._results_store: Any = None
        self._results_windows: list[QWidget] = []
        self._pending_settings: tuple[JobSettings, str | None, int] = (JobSettings(), None, 0)
        self._confirm_box: QMessageBox | None = None
        self._prefs_dialog: JobPreferencesDialog | None = None
        self._sqs_box: tuple[QMessageBox, str] | None = None
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(3)
        self.bridge = EngineBridge(self)
        self.bridge.changed.connect(self._on_engine_changed)
        self.bridge.problem.connect(self._on_problem)
        self.tray: QSystemTrayIcon | None = None

        self.model = JobTableModel(self, clock=clock)
        self.proxy = JobFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self._build_ui()

        self._refresh_timer = QTimer(self)
        self._refresh_timer.setInterval(REFRESH_MS)
        self._refresh_timer.timeout.connect(self._on_tick)
        self._coalesce = QTimer(self)
        self._coalesce.setSingleShot(True)
        self._coalesce.setInterval(COALESCE_MS)
        self._coalesce.timeout.connect(self._request_refresh)

        worker = Worker(_open_store, paths)
        worker.signals.result.connect(self._on_store_opened)
        worker.signals.error.connect(self._on_store_error)
        start(worker, self.pool)

    # -- UI -----------------------------------------------------------------------------------------------

    def _build_ui(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        self.submitButton = QPushButton("Start label detection…", self)
        self.submitButton.setObjectName("submitButton")
        self.submitButton.setToolTip("Queue one job per selected video with the current settings")
        self.submitButton.clicked.connect(self._on_submit_clicked)
        top.addWidget(self.submitButton)
        self.statusFilter = QComboBox(self)
        self.statusFilter.setObjectName("statusFilter")
        self.statusFilter.setAccessibleName("Show jobs")
        for text, _statuses in STATUS_FILTERS:
            self.statusFilter.addItem(text)
        self.statusFilter.currentIndexChanged.connect(self._on_status_filter)
        top.addWidget(self.statusFilter)
        self.textFilter = QLineEdit(self)
        self.textFilter.setObjectName("jobTextFilter")
        self.textFilter.setPlaceholderText("Filter by video, JobId, tag…")
        self.textFilter.setClearButtonEnabled(True)
        self.textFilter.textChanged.connect(self.proxy.set_text)
        top.addWidget(self.textFilter, 1)
        self.moreButton = QToolButton(self)
        self.moreButton.setObjectName("jobsMoreButton")
        self.moreButton.setText("Options")
        self.moreButton.setToolTip("Job preferences and notifications")
        self.moreButton.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        more = QMenu(self.moreButton)
        self.prefsAction = more.addAction("Preferences…")
        self.prefsAction.setObjectName("jobPreferencesAction")
        self.prefsAction.triggered.connect(self.show_preferences)
        self.sqsAction = more.addAction("Read completions from SQS…")
        self.sqsAction.setObjectName("setupSqsAction")
        self.sqsAction.triggered.connect(self._on_setup_sqs)
        self.moreButton.setMenu(more)
        top.addWidget(self.moreButton)
        layout.addLayout(top)

        self.problemBar = QWidget(self)
        self.problemBar.setObjectName("jobsProblemBar")
        bar = QHBoxLayout(self.problemBar)
        bar.setContentsMargins(6, 3, 6, 3)
        self.problemLabel = QLabel(self.problemBar)
        self.problemLabel.setObjectName("jobsProblem")
        self.problemLabel.setWordWrap(True)
        bar.addWidget(self.problemLabel, 1)
        self.resumeButton = QPushButton("Resume", self.problemBar)
        self.resumeButton.setObjectName("resumeJobsButton")
        self.resumeButton.clicked.connect(self._on_resume)
        bar.addWidget(self.resumeButton)
        self.problemBar.setStyleSheet("#jobsProblemBar { background: #fde7e9; border: 1px solid #e8a3aa; }")
        self.problemBar.hide()
        layout.addWidget(self.problemBar)

        self.table = QTableView(self)
        self.table.setObjectName("jobTable")
        self.table.setTabKeyNavigation(False)  # Tab leaves the table; arrows move inside it
        self.table.setAccessibleName("Jobs")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(SUBMITTED, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # keep bucket and file name visible
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(22)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        widths = {VIDEO: 300, STATUS: 110, SUBMITTED: 140, ELAPSED: 70, LABELS: 60}
        for col in range(len(COLUMNS)):
            header.resizeSection(col, widths.get(col, 120))
        header.setSectionResizeMode(VIDEO, QHeaderView.ResizeMode.Stretch)  # no dead space on the right
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._on_context_menu)
        self.table.doubleClicked.connect(self._on_double_clicked)
        self.table.selectionModel().selectionChanged.connect(self._update_actions)
        layout.addWidget(self.table, 1)

        self.actions: dict[Action, QAction] = {}
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 4, 0)
        for action in (Action.OPEN_RESULTS, Action.FETCH_RESULTS, Action.CANCEL, Action.RETRY,
                       Action.COPY_JOB_ID, Action.REMOVE):
            qa = QAction(ACTION_TEXT[action], self)
            qa.setObjectName(ACTION_OBJECT_NAMES[action])
            qa.setEnabled(False)
            qa.setData(action.value)
            qa.triggered.connect(self._on_action_triggered)
            self.actions[action] = qa
            self.addAction(qa)
            button = QToolButton(self)
            button.setDefaultAction(qa)
            button.setObjectName(ACTION_OBJECT_NAMES[action].replace("Action", "Button"))
            row.addWidget(button)
        self.summaryLabel = QLabel("Loading the job list…", self)
        self.summaryLabel.setObjectName("jobsSummary")
        # Its text changes all the time: it must not change the window's minimum size.
        self.summaryLabel.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.summaryLabel.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        row.addWidget(self.summaryLabel, 1)
        layout.addLayout(row)

    # -- wiring from the main window ------------------------------------------------------------------

    def set_sources(
        self,
        videos_fn: Callable[[], list[S3Object]],
        settings_fn: Callable[[], JobSettings],
        preset_fn: Callable[[], str | None],
        valid_fn: Callable[[], list[str]],
    ) -> None:
        self._videos_fn, self._settings_fn, self._preset_fn, self._valid_fn = videos_fn, settings_fn, preset_fn, valid_fn

    @property
    def engine(self) -> JobEngine | None:
        """The engine of the account/region on view (None until connected)."""
        return self.engines.get(self.scope) if self.scope is not None else None

    def set_connection(self, conn: Any) -> None:
        """Watch and run the jobs of ``conn``'s account/region/endpoint (None: disconnect).

        Jobs of the same account in other regions keep running too (their engines start when the job
        list shows active ones), so looking at another region never stalls a queue."""
        self.connection = conn
        self._stop_engines()
        if conn is None:
            self.scope = None
            self._show_problem(None)
            self._update_summary()
            return
        self.summaryLabel.setText(f"Checking the account of {conn.spec.describe()}…")
        worker = Worker(_resolve, conn)
        worker.signals.result.connect(self._on_scope_resolved)
        worker.signals.error.connect(self._on_scope_error)
        start(worker, self.pool)

    def shutdown(self) -> None:
        """Stop the engine and background work cooperatively; quick (threads are daemons)."""
        if self._closing:
            return
        self._closing = True
        self._refresh_timer.stop()
        self._coalesce.stop()
        engines, self.engines = list(self.engines.values()), {}
        for engine in engines:
            engine.submitter._stop.cancel()
            engine.poller.request_stop()
        deadline = time.monotonic() + 2.0
        stopped = all([engine.stop(timeout=max(0.1, deadline - time.monotonic())) for engine in engines])
        self.pool.waitForDone(3000)
        for window in list(self._results_windows):
            window.close()
        # Results windows query the store on their own pool: let those queries end before the store's
        # connections are closed under them (closing mid-query crashes sqlite3).
        from gui.qt.results_view import results_pool

        results_pool().waitForDone(5000)
        if self.tray is not None:
            self.tray.hide()
        if self.store is not None and stopped:
            self.store.close()
        if self._results_store is not None and stopped:
            try:
                self._results_store.close()
            except Exception:
                log.exception("Closing the results store failed")

    # -- store and engine -------------------------------------------------------------------------------

    @Slot(object)
    def _on_store_opened(self, store: JobStore) -> None:
        if self._closing:
            store.close()
            return
        self.store = store
        if store.problem:
            self._notify(store.problem, tray=False)
            self.storeProblem.emit(store.problem)
            box = QMessageBox(QMessageBox.Icon.Warning, "Job list", store.problem, QMessageBox.StandardButton.Ok,
                              self)
            box.setObjectName("jobStoreProblem")
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.open()
        worker = Worker(_load_all, store)
        worker.signals.result.connect(self._on_loaded)
        worker.signals.error.connect(self._on_refresh_error)
        self._refreshing = True
        start(worker, self.pool)
        self._refresh_timer.start()
        if self.scope is not None and self.engine is None and self.connection is not None:
            self._start_engine(self.scope)

    @Slot(object)
    def _on_store_error(self, message: UserMessage) -> None:
        text = f"{message.title}: {message.text} {message.hint}".strip()
        self.summaryLabel.setText("The job list is unavailable.")
        self._show_problem(text, resumable=False)
        self.submitButton.setEnabled(False)
        self.storeProblem.emit(text)

    @Slot(object)
    def _on_loaded(self, changes: Changes) -> None:
        self._refreshing = False
        self._version = changes.version
        self.model.reset(changes.rows, self.scope)
        self._other_active.clear()
        self._track_other_scopes(changes.rows)
        if not self._loaded:
            self._loaded_at = self.clock()
        self._loaded = True
        self._update_summary()
        self._update_actions()
        if self._refresh_again:
            self._refresh_again = False
            self._request_refresh()

    @Slot(object)
    def _on_scope_resolved(self, result: tuple[Any, Scope]) -> None:
        conn, scope = result
        if self._closing or conn is not self.connection:
            return
        self.scope = scope
        self._show_problem(None)
        if self.store is not None:
            self._reload()
            self._start_engine(scope)

    @Slot(object)
    def _on_scope_error(self, message: UserMessage) -> None:
        self._show_problem(f"Jobs are not being watched: {message}", resumable=False)
        self._update_summary()

    def _reload(self) -> None:
        if self.store is None:
            return
        worker = Worker(_load_all, self.store)
        worker.signals.result.connect(self._on_loaded)
        worker.signals.error.connect(self._on_refresh_error)
        self._refreshing = True
        start(worker, self.pool)

    def _start_engine(self, scope: Scope) -> None:
        if self.store is None or self.connection is None or self._closing or scope in self.engines:
            return
        prefs = self.preferences
        policy = self.submit_policy or SubmitPolicy(max_active=prefs.max_active)
        clients = self.connection.client if scope == self.scope else _RegionClients(self.connection, scope.region)
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
        self._update_summary()

    def _stop_engines(self) -> None:
        engines, self.engines = list(self.engines.values()), {}
        for engine in engines:
            engine.submitter._stop.cancel()
            engine.poller.request_stop()
            start(Worker(_stop_engine, engine), self.pool)

    def _track_other_scopes(self, rows: Any) -> None:
        """Remember active jobs of the account's other regions and run an engine for each such region."""
        current = self.scope
        if current is None:
            return
        for r in rows:
            other = r.scope != current and r.account == current.account and r.endpoint == current.endpoint
            if other and r.status.is_active and not r.removed:
                self._other_active[r.id] = r.scope
            else:
                self._other_active.pop(r.id, None)
        for scope in set(self._other_active.values()):
            self._start_engine(scope)

    # -- refreshing ---------------------------------------------------------------------------------------

    @Slot()
    def _on_engine_changed(self) -> None:
        if not self._coalesce.isActive():
            self._coalesce.start()

    @Slot()
    def _on_tick(self) -> None:
        self.model.tick()
        self._request_refresh()

    @Slot()
    def _request_refresh(self) -> None:
        if self.store is None or self._closing:
            return
        if self._refreshing:
            self._refresh_again = True
            return
        self._refreshing = True
        worker = Worker(_changes, self.store, self._version)
        worker.signals.result.connect(self._on_refreshed)
        worker.signals.error.connect(self._on_refresh_error)
        start(worker, self.pool)

    @Slot(object)
    def _on_refreshed(self, changes: Changes) -> None:
        self._refreshing = False
        if self._closing:
            return
        if changes.rows:
            self._version = changes.version
            transitions = self.model.apply(changes.rows)
            self._track_other_scopes(changes.rows)
            # Ended now: seen active before, or first seen already ended (a quick job of another process)
            # but finished after this list was loaded — never a job of an earlier session.
            ended = [
                r for old, r in transitions
                if r.status.is_terminal and r.status is not JobStatus.CANCELLED
                and ((old is not None and old.is_active)
                     or (old is None and (r.finished_at or 0) >= self._loaded_at))
            ]
            if ended:
                self._announce(ended)
            self._update_summary()
            self._update_actions()
        if self._refresh_again:
            self._refresh_again = False
            self._request_refresh()

    @Slot(object)
    def _on_refresh_error(self, message: UserMessage) -> None:
        self._refreshing = False
        log.warning("Refreshing the job list failed: %s", message)

    def refresh_now(self) -> None:
        """Ask for a refresh at once (tests and the lead may call it)."""
        self._request_refresh()

    # -- notifications --------------------------------------------------------------------------------

    def _announce(self, ended: list[JobRecord]) -> None:
        for record in ended:
            self.jobEnded.emit(record)
        ok = sum(1 for r in ended if r.status is JobStatus.SUCCEEDED)
        failed = sum(1 for r in ended if r.status is JobStatus.FAILED)
        if len(ended) == 1:
            r = ended[0]
            text = f"Job {r.status.label.lower()}: {r.video_uri}"
            if r.status is JobStatus.FAILED and r.status_message:
                text += f" — {r.status_message}"
        else:
            text = f"{len(ended)} jobs ended: {ok} succeeded, {failed} failed"
        self._notify(text, tray=True, failed=bool(failed))

    def _notify(self, text: str, *, tray: bool, failed: bool = False) -> None:
        self.statusMessage.emit(text)
        window = self.window()
        if isinstance(window, QMainWindow):
            window.statusBar().showMessage(text, 15_000)
        if tray and QSystemTrayIcon.isSystemTrayAvailable():
            if self.tray is None:
                self.tray = QSystemTrayIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_ComputerIcon), self)
                self.tray.setObjectName("jobsTrayIcon")
                self.tray.setToolTip("Rekognition Video Labeler — jobs")
                self.tray.show()
            icon = QSystemTrayIcon.MessageIcon.Warning if failed else QSystemTrayIcon.MessageIcon.Information
            self.tray.showMessage("Label detection", text, icon, 10_000)

    @Slot(object)
    def _on_problem(self, message: UserMessage | None) -> None:
        if message is None:
            if not any(e.problems for e in self.engines.values()):
                self._show_problem(None)
            return
        paused = any(e.submitter.paused is not None for e in self.engines.values())
        prefix = "Submission paused" if paused else "Connection problem (retrying)"
        self._show_problem(f"{prefix}: {message}", resumable=paused)

    def _show_problem(self, text: str | None, *, resumable: bool = False) -> None:
        if not text:
            self.problemBar.hide()
            return
        self.problemLabel.setText(text)
        self.resumeButton.setVisible(resumable)
        self.problemBar.show()

    @Slot()
    def _on_resume(self) -> None:
        for engine in self.engines.values():
            engine.resume()
        self._show_problem(None)

    def _update_summary(self) -> None:
        if not self._loaded:
            return
        counts: dict[JobStatus, int] = {s: 0 for s in JobStatus}
        for r in self.model.records():
            counts[r.status] += 1
        parts = [f"{n} {s.label.lower()}" for s, n in counts.items() if n]
        text = " · ".join(parts) if parts else "No jobs yet"
        if self._other_active:
            regions = sorted({s.region for s in self._other_active.values()})
            text += f" · {len(self._other_active)} active in {', '.join(regions)}"
        if self.scope is not None:
            text += f"  —  {self.scope.region}"
        elif self.connection is None:
            text += "  —  not connected"
        self.summaryLabel.setText(text)

    # -- submitting -----------------------------------------------------------------------------------

    @Slot()
    def _on_submit_clicked(self) -> None:
        if self.engine is None:
            self._refuse("Not connected", "Connect to AWS (or the local sandbox) before starting jobs.")
            return
        problems = [p for p in self._valid_fn() if p]
        if problems:
            self._refuse("Settings need fixing", "\n".join(problems))
            return
        videos = list(self._videos_fn())
        eligible = [v for v in videos if v.ineligible_reason is None]
        if not eligible:
            why = "Select one or more videos (MP4 or MOV) in the browser first."
            if videos:
                why = f"None of the {len(videos)} selected objects is a video Rekognition accepts: " + (
                    videos[0].ineligible_reason or ""
                )
            self._refuse("No videos selected", why)
            return
        settings = self._settings_fn()
        preset = self._preset_fn()
        self.submitButton.setEnabled(False)
        worker = Worker(_plan, self.engine, eligible, settings, preset)
        worker.signals.result.connect(self._on_planned)
        worker.signals.error.connect(self._on_submit_error)
        self._pending_plan = None
        self._pending_settings = (settings, preset, len(videos) - len(eligible))
        start(worker, self.pool)

    def _refuse(self, title: str, text: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self)
        box.setObjectName("submitRefused")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    @Slot(object)
    def _on_planned(self, result: tuple[EnqueuePlan, list[float | None]]) -> None:
        self.submitButton.setEnabled(True)
        plan, durations = result
        settings, preset, skipped = self._pending_settings
        self._pending_plan = (plan, settings, preset)
        cost = estimate(durations, self.preferences.price_per_minute)
        n_new, n_dup = len(plan.new), len(plan.duplicates)
        lines = [f"<b>Start label detection on {n_new + n_dup} video(s)?</b>"]
        if cost.known_videos:
            lines.append(cost.describe())
        else:
            lines.append(
                f"Durations are not known yet. Cost: ${cost.price_per_minute:.2f} per minute of video "
                "(set the price in Job preferences)."
            )
        lines.append(_settings_line(settings, preset))
        if skipped:
            lines.append(f"{skipped} selected object(s) are not videos Rekognition accepts and are left out.")
        if n_dup:
            lines.append(f"{n_dup} of these video(s) were already submitted with the same settings and will be "
                         "skipped unless you tick the box below.")
        active = sum(1 for r in self.model.records() if r.status.is_active)
        lines.append(f"At most {self.preferences.max_active} jobs run at once"
                     + (f"; {active} job(s) are already queued or running." if active else "."))
        box = QMessageBox(self)
        box.setObjectName("submitConfirmation")
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Start label detection")
        box.setText("<br><br>".join(lines))
        go = box.addButton(f"Start {n_new} job(s)" if n_new else "Start", QMessageBox.ButtonRole.AcceptRole)
        go.setObjectName("confirmSubmitButton")
        box.addButton(QMessageBox.StandardButton.Cancel)
        if n_dup:
            check = QCheckBox(f"Also submit the {n_dup} already submitted again", box)
            check.setObjectName("resubmitDuplicatesCheck")
            box.setCheckBox(check)
            if not n_new:
                check.setChecked(True)
        box.setDefaultButton(go)
        box.finished.connect(self._on_confirmation_finished)
        self._confirm_box = box
        box.open()

    @Slot(int)
    def _on_confirmation_finished(self, _result: int) -> None:
        box = self._confirm_box
        self._confirm_box = None
        if box is None:
            return
        clicked = box.clickedButton()
        accepted = clicked is not None and box.buttonRole(clicked) == QMessageBox.ButtonRole.AcceptRole
        include = bool(box.checkBox() and box.checkBox().isChecked())
        box.deleteLater()
        if not accepted or self._pending_plan is None or self.engine is None:
            self._pending_plan = None
            return
        plan, settings, preset = self._pending_plan
        self._pending_plan = None
        worker = Worker(_enqueue, self.engine, plan, include, settings, preset)
        worker.signals.result.connect(self._on_enqueued)
        worker.signals.error.connect(self._on_submit_error)
        start(worker, self.pool)

    @Slot(object)
    def _on_enqueued(self, counts: tuple[int, int]) -> None:
        count, skipped = counts
        text = f"Queued {count} job(s)."
        if skipped:
            text += f" {skipped} video(s) were already submitted with the same settings and were skipped."
        self._notify(text, tray=False)
        self._request_refresh()

    @Slot(object)
    def _on_submit_error(self, message: UserMessage) -> None:
        self.submitButton.setEnabled(True)
        self._refuse(message.title, f"{message.text} {message.hint}".strip())

    def submit_videos(self, videos: list[S3Object], settings: JobSettings, preset: str | None = None) -> None:
        """Queue jobs without the confirmation (for scripted use by the main window; the button asks)."""
        if self.engine is None:
            raise RuntimeError("not connected")
        plan = self.engine.plan(videos, settings, preset=preset)
        start(Worker(_enqueue, self.engine, plan, False, settings, preset), self.pool)

    # -- actions ------------------------------------------------------------------------------------------

    def selected_records(self) -> list[JobRecord]:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        records = [self.proxy.record_at(i) for i in rows]
        return [r for r in records if r is not None]

    @Slot()
    def _update_actions(self, *args: Any) -> None:
        records = self.selected_records()
        allowed: set[Action] = set()
        for r in records:
            allowed |= allowed_actions(r.status, r.results_fetched, has_job_id=bool(r.job_id))
        connected = self.engine is not None
        for action, qa in self.actions.items():
            enabled = action in allowed
            if action is Action.OPEN_RESULTS:
                enabled = enabled and len(records) == 1
            if action in (Action.RETRY, Action.FETCH_RESULTS, Action.CANCEL, Action.REMOVE):
                enabled = enabled and connected
            qa.setEnabled(enabled)

    @Slot(QPoint)
    def _on_context_menu(self, pos: QPoint) -> None:
        self._update_actions()
        menu = QMenu(self)
        menu.setObjectName("jobContextMenu")
        for action in (Action.OPEN_RESULTS, Action.FETCH_RESULTS, Action.COPY_JOB_ID, Action.CANCEL,
                       Action.RETRY, Action.REMOVE):
            if self.actions[action].isEnabled():
                menu.addAction(self.actions[action])
        if not menu.isEmpty():
            menu.popup(self.table.viewport().mapToGlobal(pos))

    @Slot()
    def _on_action_triggered(self) -> None:
        sender = self.sender()
        if isinstance(sender, QAction):
            self.trigger(Action(sender.data()))

    def trigger(self, action: Action, records: list[JobRecord] | None = None) -> None:
        """Run ``action`` on ``records`` (default: the selection), where each job's state allows it."""
        records = self.selected_records() if records is None else records
        targets = [r for r in records if action in allowed_actions(r.status, r.results_fetched,
                                                                    has_job_id=bool(r.job_id))]
        if not targets:
            return
        if action is Action.COPY_JOB_ID:
            QGuiApplication.clipboard().setText("\n".join(r.job_id or "" for r in targets))
            self._notify(f"Copied {len(targets)} JobId(s).", tray=False)
            return
        if action is Action.OPEN_RESULTS:
            self.open_results(targets[0])
            return
        if self.engine is None:
            return
        worker = Worker(_apply_action, self.engine, action, [r.id for r in targets])
        worker.signals.result.connect(self._on_action_done)
        worker.signals.error.connect(self._on_submit_error)
        start(worker, self.pool)

    @Slot(object)
    def _on_action_done(self, _count: object) -> None:
        self._request_refresh()

    @Slot(object)
    def _on_double_clicked(self, index: Any) -> None:
        record = self.proxy.record_at(index)
        if record is not None and record.status is JobStatus.SUCCEEDED:
            self.open_results(record)

    def open_results(self, record: JobRecord) -> QWidget | None:
        """Open the results engineer's view for ``record`` (fetching first when not stored)."""
        try:
            from gui.core.results import ResultsStore
            from gui.qt.results_view import open_results
        except ImportError:
            self._refuse("Results unavailable", "The results viewer is not part of this build.")
            return None
        if self._results_store is None:
            self._results_store = ResultsStore(self.paths.results_db)
        factory = self.connection.client if self.connection is not None else None
        window = open_results(self, job_id=record.job_id or "", video_uri=record.video_uri,
                              store=self._results_store, client_factory=factory)
        view = getattr(window, "view", None)
        if view is not None and hasattr(view, "fetchFinished"):
            view.fetchFinished.connect(self._on_view_fetched)
        self._results_windows.append(window)
        window.destroyed.connect(self._forget_windows)
        return window

    @Slot(object)
    def _on_view_fetched(self, summary: Any) -> None:
        if self.store is None:
            return
        duration = getattr(summary, "duration_ms", None)
        worker = Worker(_record_summary, self.store, summary.job_id, int(summary.label_count),
                        int(duration) if duration else None)
        worker.signals.result.connect(self._on_action_done)
        start(worker, self.pool)

    @Slot()
    def _forget_windows(self) -> None:
        alive = []
        for w in self._results_windows:
            try:
                w.objectName()
                alive.append(w)
            except RuntimeError:  # already deleted
                pass
        self._results_windows = alive

    @Slot(int)
    def _on_status_filter(self, index: int) -> None:
        self.proxy.set_statuses(STATUS_FILTERS[index][1] if 0 <= index < len(STATUS_FILTERS) else None)

    # -- preferences and SQS ----------------------------------------------------------------------------

    @Slot()
    def show_preferences(self) -> None:
        dialog = JobPreferencesDialog(self.preferences, self)
        dialog.finished.connect(self._on_preferences_finished)
        self._prefs_dialog = dialog
        dialog.open()

    @Slot(int)
    def _on_preferences_finished(self, result: int) -> None:
        dialog = self._prefs_dialog
        self._prefs_dialog = None
        if dialog is None:
            return
        if result == QDialog.DialogCode.Accepted:
            self.apply_preferences(dialog.preferences())
        dialog.deleteLater()

    def apply_preferences(self, prefs: JobPreferences) -> None:
        """Use and save new preferences (gui.core.settings, section "jobs" of settings.json)."""
        self.preferences = prefs
        for engine in self.engines.values():
            engine.apply_preferences(prefs)
        try:
            prefs.save(self.paths)
        except Exception as exc:  # a settings file we may not write must not crash the panel
            from gui.core.errors import explain

            self._notify(f"Preferences not saved: {explain(exc)}", tray=False)

    @Slot()
    def _on_setup_sqs(self) -> None:
        settings = self._settings_fn()
        channel = settings.notification
        if channel is None or self.connection is None:
            self._refuse("No notification topic",
                         "Set an SNS topic and role in the job settings (and connect) to have completions "
                         "delivered through an SQS queue; until then the app polls for status.")
            return
        topic = channel.sns_topic_arn
        if topic in self.preferences.completion_queues:
            self._notify(f"Completions of {topic} are already read from SQS.", tray=False)
            return
        box = QMessageBox(QMessageBox.Icon.Question, "Read completions from SQS",
                          f"Create an SQS queue subscribed to\n{topic}\nand read job completions from it? "
                          "(AWS recommends this over polling; the app still polls now and then as a fallback.)",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, self)
        box.setObjectName("setupSqsConfirmation")
        box.finished.connect(self._on_sqs_confirmed)
        self._sqs_box = (box, topic)
        box.open()

    @Slot(int)
    def _on_sqs_confirmed(self, result: int) -> None:
        if self._sqs_box is None:
            return
        box, topic = self._sqs_box
        self._sqs_box = None
        accepted = box.clickedButton() is box.button(QMessageBox.StandardButton.Yes)
        box.deleteLater()
        if not accepted or self.connection is None:
            return
        worker = Worker(_setup_queue, self.connection, topic)
        worker.signals.result.connect(self._on_sqs_ready)
        worker.signals.error.connect(self._on_submit_error)
        start(worker, self.pool)

    @Slot(object)
    def _on_sqs_ready(self, result: tuple[str, str]) -> None:
        topic, url = result
        prefs = replace(self.preferences, completion_queues={**self.preferences.completion_queues, topic: url})
        self.apply_preferences(prefs)
        self._notify(f"Job completions for {topic} now arrive through {url}.", tray=False)


class _RegionClients:
    """The connection's clients in another region (for the engines of the account's other regions)."""

    def __init__(self, conn: Any, region: str) -> None:
        self.conn = conn
        self.region = region

    def __call__(self, service: str, region: str | None = None, **kwargs: Any) -> Any:
        return self.conn.client(service, region or self.region, **kwargs)


def _settings_line(settings: JobSettings, preset: str | None) -> str:
    f = settings.filters
    n = len(f.label_inclusions) + len(f.label_exclusions) + len(f.category_inclusions) + len(f.category_exclusions)
    parts = [f"preset “{preset}”" if preset else "custom settings", f"MinConfidence {settings.min_confidence:g}"]
    parts.append(f"{n} filter(s)" if n else "no filters")
    if settings.job_tag:
        parts.append(f"JobTag {settings.job_tag}")
    if settings.notification is not None:
        parts.append("SNS notification")
    return "Settings: " + ", ".join(parts) + "."
