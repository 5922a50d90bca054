"""The Jobs panel: "Start label detection", the live job list, actions per job, preferences.

The job store, the engines and the list's refresh live in :class:`gui.qt.job_feed.JobFeed`; the dialogs in
:mod:`gui.qt.job_dialogs`. Every store read or write and every AWS call runs as a task of the panel's
:class:`~gui.qt.workers.TaskRegistry`; the GUI thread only folds the results into the model row by row.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPoint, Qt, QThreadPool, Signal, Slot
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QStyle,
    QSystemTrayIcon,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gui.core.cost import estimate
from gui.core.errors import UserMessage, explain
from gui.core.jobstates import ACTION_TEXT, Action, JobStatus, allowed_actions
from gui.core.jobstore import Changes, JobRecord, JobStore, Scope
from gui.core.paths import AppPaths
from gui.core.submitter import EnqueuePlan, JobEngine, JobPreferences, SubmitPolicy
from gui.core.types import JobSettings, S3Object
from gui.qt.job_dialogs import (
    JobPreferencesDialog,
    confirmation_answer,
    confirmation_text,
    sqs_setup_box,
    submit_confirmation_box,
)
from gui.qt.job_feed import (
    JobFeed,
    apply_action,
    enqueue_planned,
    open_results_cache,
    plan_submission,
    setup_queue,
    submit_unconfirmed,
)
from gui.qt.job_model import COLUMNS, ELAPSED, LABELS, STATUS, SUBMITTED, VIDEO, JobFilterProxy, JobTableModel
from gui.qt.workers import TaskRegistry

if TYPE_CHECKING:
    from gui.qt.results_window import ResultsWindow

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
        self.preferences = JobPreferences.load(paths)
        self._videos_fn: Callable[[], list[S3Object]] = list
        self._settings_fn: Callable[[], JobSettings] = JobSettings
        self._preset_fn: Callable[[], str | None] = lambda: None
        self._valid_fn: Callable[[], list[str]] = list
        self._loaded = False
        self._loaded_at = float("inf")  # when the list was first loaded (jobs ending after it are announced)
        self._closing = False
        self._pending_plan: tuple[EnqueuePlan, JobSettings, str | None] | None = None
        self._results_store: Any = None
        self._results_opening = False
        self._results_wanted: list[JobRecord] = []  # asked to open before the results store was open
        self._results_windows: list[ResultsWindow] = []
        # The results windows share two background threads (their own tasks, this pool).
        self._results_pool = QThreadPool(self)
        self._results_pool.setObjectName("resultsPool")
        self._results_pool.setMaxThreadCount(2)
        self._pending_settings: tuple[JobSettings, str | None, int] = (JobSettings(), None, 0)
        self._confirm_box: QMessageBox | None = None
        self._prefs_dialog: JobPreferencesDialog | None = None
        self._sqs_box: tuple[QMessageBox, str] | None = None
        self.tasks = TaskRegistry(self, max_threads=3, name="jobsTasks")
        self.tray: QSystemTrayIcon | None = None

        self.model = JobTableModel(self, clock=clock)
        self.proxy = JobFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self._build_ui()

        self.feed = JobFeed(paths, self.tasks, self, preferences=self.preferences, submit_policy=submit_policy,
                            poll_policy=poll_policy, clock=clock)
        self.feed.storeOpened.connect(self._on_store_opened)
        self.feed.storeFailed.connect(self._on_store_error)
        self.feed.loaded.connect(self._on_loaded)
        self.feed.changed.connect(self._on_changed)
        self.feed.ticked.connect(self.model.tick)
        self.feed.scopeResolved.connect(self._on_scope_resolved)
        self.feed.scopeFailed.connect(self._on_scope_error)
        self.feed.problem.connect(self._on_problem)
        self.feed.enginesChanged.connect(self._update_summary)
        self.feed.open()

    # -- what the feed holds ------------------------------------------------------------------------------

    @property
    def store(self) -> JobStore | None:
        return self.feed.store

    @property
    def engines(self) -> dict[Scope, JobEngine]:
        """The engine of the scope on view, and those of the account's other regions with active jobs."""
        return self.feed.engines

    @property
    def engine(self) -> JobEngine | None:
        """The engine of the account/region on view (None until connected)."""
        return self.feed.engine

    @property
    def connection(self) -> Any:
        return self.feed.connection

    @property
    def scope(self) -> Scope | None:
        return self.feed.scope

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

    def set_connection(self, conn: Any) -> None:
        """Watch and run the jobs of ``conn``'s account/region/endpoint (None: disconnect).

        Jobs of the same account in other regions keep running too (their engines start when the job
        list shows active ones), so looking at another region never stalls a queue."""
        self.feed.set_connection(conn)
        if conn is None:
            self._show_problem(None)
            self._update_summary()
            return
        self.summaryLabel.setText(f"Checking the account of {conn.spec.describe()}…")

    def shutdown(self) -> None:
        """Stop the engines and background work cooperatively; quick (threads are daemons)."""
        if self._closing:
            return
        self._closing = True
        stopped = self.feed.close()
        self.tasks.close(3.0)
        for window in list(self._results_windows):
            window.close()  # each window waits for its own tasks: none reads the results store any more
        self._results_pool.waitForDone(5000)
        if self.tray is not None:
            self.tray.hide()
        if self.store is not None and stopped:
            self.store.close()
        if self._results_store is not None and stopped:
            try:
                self._results_store.close()
            except Exception:
                log.exception("Closing the results store failed")

    # -- what the feed reports --------------------------------------------------------------------------

    @Slot(object)
    def _on_store_opened(self, store: JobStore) -> None:
        if store.problem:
            self._notify(store.problem, tray=False)
            self.storeProblem.emit(store.problem)
            box = QMessageBox(QMessageBox.Icon.Warning, "Job list", store.problem, QMessageBox.StandardButton.Ok,
                              self)
            box.setObjectName("jobStoreProblem")
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.open()
        self._open_results_store()  # in the background now, so "Open results" needs no store I/O later

    @Slot(object)
    def _on_store_error(self, message: UserMessage) -> None:
        text = f"{message.title}: {message.text} {message.hint}".strip()
        self.summaryLabel.setText("The job list is unavailable.")
        self._show_problem(text, resumable=False)
        self.submitButton.setEnabled(False)
        self.storeProblem.emit(text)

    @Slot(object)
    def _on_loaded(self, changes: Changes) -> None:
        self.model.reset(changes.rows, self.scope)
        if not self._loaded:
            self._loaded_at = self.clock()
        self._loaded = True
        self._update_summary()
        self._update_actions()

    @Slot(object)
    def _on_scope_resolved(self, _scope: Scope) -> None:
        self._show_problem(None)

    @Slot(object)
    def _on_scope_error(self, message: UserMessage) -> None:
        self._show_problem(f"Jobs are not being watched: {message}", resumable=False)
        self._update_summary()

    @Slot(object)
    def _on_changed(self, changes: Changes) -> None:
        transitions = self.model.apply(changes.rows)
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

    @Slot()
    def _request_refresh(self, *_args: Any) -> None:
        self.feed.refresh()

    def refresh_now(self) -> None:
        """Ask for a refresh at once."""
        self.feed.refresh()

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
        paused = any(e.paused is not None for e in self.engines.values())
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

    @Slot()
    def _update_summary(self) -> None:
        if not self._loaded:
            return
        counts: dict[JobStatus, int] = {s: 0 for s in JobStatus}
        for r in self.model.records():
            counts[r.status] += 1
        parts = [f"{n} {s.label.lower()}" for s, n in counts.items() if n]
        text = " · ".join(parts) if parts else "No jobs yet"
        other = self.feed.other_active
        if other:
            regions = sorted({s.region for s in other.values()})
            text += f" · {len(other)} active in {', '.join(regions)}"
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
        self._pending_plan = None
        self._pending_settings = (settings, preset, len(videos) - len(eligible))
        self.tasks.run(plan_submission, self.engine, eligible, settings, preset, on_result=self._on_planned,
                       on_error=self._on_submit_error)

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
        n_new, n_dup = len(plan.new), len(plan.duplicates)
        text = confirmation_text(
            n_new=n_new, n_duplicates=n_dup, cost=estimate(durations, self.preferences.price_per_minute),
            settings=settings, preset=preset, skipped=skipped, max_active=self.preferences.max_active,
            active=sum(1 for r in self.model.records() if r.status.is_active),
        )
        box = submit_confirmation_box(text, n_new, n_dup, self)
        box.finished.connect(self._on_confirmation_finished)
        self._confirm_box = box
        box.open()

    @Slot(int)
    def _on_confirmation_finished(self, _result: int) -> None:
        box = self._confirm_box
        self._confirm_box = None
        if box is None:
            return
        accepted, include = confirmation_answer(box)
        box.deleteLater()
        if not accepted or self._pending_plan is None or self.engine is None:
            self._pending_plan = None
            return
        plan, settings, preset = self._pending_plan
        self._pending_plan = None
        self.tasks.run(enqueue_planned, self.engine, plan, include, settings, preset, on_result=self._on_enqueued,
                       on_error=self._on_submit_error)

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
        """Queue jobs without the confirmation (for scripted use by the main window; the button asks).

        Planning and queueing run in one background task; videos already submitted alike are skipped."""
        if self.engine is None:
            raise RuntimeError("not connected")
        self.tasks.run(submit_unconfirmed, self.engine, list(videos), settings, preset, on_result=self._on_enqueued,
                       on_error=self._on_submit_error)

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
        self.tasks.run(apply_action, self.engine, action, [r.id for r in targets], on_result=self._request_refresh,
                       on_error=self._on_submit_error)

    @Slot(object)
    def _on_double_clicked(self, index: Any) -> None:
        record = self.proxy.record_at(index)
        if record is not None and record.status is JobStatus.SUCCEEDED:
            self.open_results(record)

    # -- results windows ----------------------------------------------------------------------------------

    def _open_results_store(self) -> None:
        if self._results_store is not None or self._results_opening or self._closing:
            return
        self._results_opening = True
        self.tasks.run(open_results_cache, self.paths, on_result=self._on_results_store,
                       on_error=self._on_results_store_error)

    @Slot(object)
    def _on_results_store(self, store: Any) -> None:
        self._results_opening = False
        if self._closing:
            store.close()
            return
        self._results_store = store
        wanted, self._results_wanted = self._results_wanted, []
        for record in wanted:
            self.open_results(record)

    @Slot(object)
    def _on_results_store_error(self, message: UserMessage) -> None:
        self._results_opening = False
        self._results_wanted = []
        self._refuse(message.title, f"{message.text} {message.hint}".strip())

    def open_results(self, record: JobRecord) -> ResultsWindow | None:
        """Open the results window of ``record`` (fetching first when not stored).

        The results store is opened in the background; asked before it is open, the window opens as soon
        as it is (None is returned then)."""
        if self._results_store is None:
            self._results_wanted.append(record)
            self._open_results_store()
            return None
        # Imported on first use: the results window's modules are not needed for the first paint.
        from gui.qt.results_window import open_results

        factory = self.connection.client if self.connection is not None else None
        window = open_results(self, record=record, store=self._results_store, job_store=self.store,
                              client_factory=factory, pool=self._results_pool)
        window.view.fetchFinished.connect(self._request_refresh)  # the job's label count changed
        self._results_windows.append(window)
        window.destroyed.connect(self._forget_windows)
        return window

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
        self.feed.apply_preferences(prefs)
        try:
            prefs.save(self.paths)
        except Exception as exc:  # a settings file we may not write must not crash the panel
            self._notify(f"Preferences not saved: {explain(exc)}", tray=False)

    @Slot()
    def _on_setup_sqs(self) -> None:
        channel = self._settings_fn().notification
        if channel is None or self.connection is None:
            self._refuse("No notification topic",
                         "Set an SNS topic and role in the job settings (and connect) to have completions "
                         "delivered through an SQS queue; until then the app polls for status.")
            return
        topic = channel.sns_topic_arn
        if topic in self.preferences.completion_queues:
            self._notify(f"Completions of {topic} are already read from SQS.", tray=False)
            return
        box = sqs_setup_box(topic, self)
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
        self.tasks.run(setup_queue, self.connection, topic, on_result=self._on_sqs_ready,
                       on_error=self._on_submit_error)

    @Slot(object)
    def _on_sqs_ready(self, result: tuple[str, str]) -> None:
        topic, url = result
        prefs = replace(self.preferences, completion_queues={**self.preferences.completion_queues, topic: url})
        self.apply_preferences(prefs)
        self._notify(f"Job completions for {topic} now arrive through {url}.", tray=False)
