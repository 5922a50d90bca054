"""The Jobs panel: "Start label detection", the live job list, actions per job, preferences.

The job store, the engines and the list's refresh live in :class:`gui.qt.job_feed.JobFeed`; the dialogs in
:mod:`gui.qt.job_dialogs`. Every store read or write and every AWS call runs as a task of the panel's
:class:`~gui.qt.workers.TaskRegistry`; the GUI thread only folds the results into the model row by row.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPoint, Qt, Signal, Slot
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QStyle,
    QSystemTrayIcon,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gui.core.connection import Connection
from gui.core.engine import JobEngine, JobPreferences
from gui.core.errors import UserMessage, explain
from gui.core.jobstates import ACTION_TEXT, Action, JobStatus, allowed_actions
from gui.core.jobstore import Changes, JobRecord, JobStore, Scope
from gui.core.paths import AppPaths
from gui.core.submitter import SubmitPolicy
from gui.core.types import JobSettings, S3Object
from gui.core.wording import plural
from gui.qt.job_dialogs import JobOptions
from gui.qt.job_feed import JobFeed, apply_action, ended_notice, ended_now, summary_text
from gui.qt.job_model import (
    STATUS_FILTERS,
    JobFilterProxy,
    JobTableModel,
    enabled_actions,
    job_details,
    job_table,
)
from gui.qt.job_results import ResultsWindows
from gui.qt.job_submit import SubmitFlow, submission_refusal
from gui.qt.text import shown
from gui.qt.workers import TaskRegistry

if TYPE_CHECKING:
    from gui.qt.results_window import ResultsWindow

log = logging.getLogger(__name__)

BUTTON_ACTIONS = (Action.OPEN_RESULTS, Action.CANCEL, Action.RETRY)  # the rest are in "More" and the context menu

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
        self._modified_fn: Callable[[], bool] = lambda: False
        self._loaded = False
        self._loaded_at = float("inf")  # when the list was first loaded (jobs ending after it are announced)
        self._closing = False
        self.tasks = TaskRegistry(self, max_threads=3, name="jobsTasks")
        self.results = ResultsWindows(paths, self.tasks, self)
        self.results.failed.connect(self._on_results_store_error)
        self.results.notice.connect(self._on_notice)
        self.results.fetched.connect(self.refresh_now)  # the job's label count changed
        self.submitFlow = SubmitFlow(self, self.tasks, engine=lambda: self.engine, preferences=lambda: self.preferences,
                                     active_jobs=self._active_jobs)
        self.submitFlow.planning.connect(self._on_planning)
        self.submitFlow.queued.connect(self._on_queued)
        self.submitFlow.failed.connect(self._on_submit_error)
        self.options = JobOptions(self, self.tasks, preferences=lambda: self.preferences,
                                  settings=lambda: self._settings_fn(), connection=lambda: self.connection)
        self.options.chosen.connect(self.apply_preferences)
        self.options.notice.connect(self._on_notice)
        self.options.refused.connect(self._refuse)
        self.options.failed.connect(self._on_submit_error)
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
    def connection(self) -> Connection | None:
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
        self.statusFilter.setAccessibleName("Show jobs")
        for text, _statuses in STATUS_FILTERS:
            self.statusFilter.addItem(text)
        self.statusFilter.currentIndexChanged.connect(self._on_status_filter)
        top.addWidget(self.statusFilter)
        self.textFilter = QLineEdit(self)
        self.textFilter.setObjectName("jobTextFilter")
        self.textFilter.setPlaceholderText("Filter by video, JobId, tag…")
        self.textFilter.setMinimumWidth(64)
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
        self.sqsAction.triggered.connect(self.options.setup_sqs)
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
        self.problemLabel.setTextFormat(Qt.TextFormat.PlainText)  # AWS messages, keys
        bar.addWidget(self.problemLabel, 1)
        self.resumeButton = QPushButton("Resume", self.problemBar)
        self.resumeButton.setObjectName("resumeJobsButton")
        self.resumeButton.clicked.connect(self._on_resume)
        bar.addWidget(self.resumeButton)
        self.problemBar.setStyleSheet("#jobsProblemBar { background: #fde7e9; border: 1px solid #e8a3aa; }")
        self.problemBar.hide()
        layout.addWidget(self.problemBar)

        self.table = job_table(self.proxy, self)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._on_context_menu)
        self.table.doubleClicked.connect(self._on_double_clicked)
        self.table.selectionModel().selectionChanged.connect(self._update_actions)
        for signal in (self.model.rowsInserted, self.model.rowsRemoved, self.model.modelReset):
            signal.connect(self._update_empty_hint)
        self.model.dataChanged.connect(self._update_actions)  # a selected job's message changes
        self.emptyHint = QLabel(
            "No jobs yet. Pick videos on the left (or a whole folder with 'Select all videos under this "
            "prefix'), set the filters in the middle, then press 'Start label detection…' (Ctrl+Enter).", self)
        self.emptyHint.setObjectName("jobsEmptyHint")
        self.emptyHint.setWordWrap(True)
        self.emptyHint.setTextFormat(Qt.TextFormat.PlainText)
        self.emptyHint.setStyleSheet("color: palette(mid); padding: 12px;")
        self.emptyHint.hide()
        layout.addWidget(self.emptyHint)
        layout.addWidget(self.table, 1)
        self.details = QLabel(self)
        self.details.setObjectName("jobDetails")
        self.details.setWordWrap(True)
        self.details.setTextFormat(Qt.TextFormat.PlainText)  # keys and AWS messages are never markup
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                             | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.details.setAccessibleName("Selected job")
        layout.addWidget(self.details)

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
            if action in BUTTON_ACTIONS:
                button = QToolButton(self)
                button.setDefaultAction(qa)
                button.setObjectName(ACTION_OBJECT_NAMES[action].replace("Action", "Button"))
                row.addWidget(button)
        self.copyErrorAction = QAction("Copy error", self)
        self.copyErrorAction.setObjectName("copyErrorAction")
        self.copyErrorAction.setEnabled(False)
        self.copyErrorAction.triggered.connect(self.copy_error)
        self.jobMoreButton = QToolButton(self)
        self.jobMoreButton.setObjectName("jobMoreButton")
        self.jobMoreButton.setText("More")
        self.jobMoreButton.setToolTip("Fetch results again, copy the JobId or the error, remove from the list")
        self.jobMoreButton.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        more_jobs = QMenu(self.jobMoreButton)
        for action in (Action.FETCH_RESULTS, Action.COPY_JOB_ID):
            more_jobs.addAction(self.actions[action])
        more_jobs.addAction(self.copyErrorAction)
        more_jobs.addSeparator()
        more_jobs.addAction(self.actions[Action.REMOVE])
        self.jobMoreButton.setMenu(more_jobs)
        row.addWidget(self.jobMoreButton)
        self.actions[Action.REMOVE].setText("Remove from list…")
        for keys, slot in ((("Return", "Enter"), self.open_selected), (("Delete",), self.remove_selected)):
            for key in keys:
                shortcut = QShortcut(QKeySequence(key), self.table, activated=slot)
                shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
        self.summaryLabel = QLabel("Loading the job list…", self)
        self.summaryLabel.setObjectName("jobsSummary")
        # Its text changes all the time: it must not change the window's minimum size.
        self.summaryLabel.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.summaryLabel.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addWidget(self.summaryLabel)  # a line of its own: never cut short by the buttons

    # -- wiring from the main window ------------------------------------------------------------------

    def set_sources(
        self,
        videos_fn: Callable[[], list[S3Object]],
        settings_fn: Callable[[], JobSettings],
        preset_fn: Callable[[], str | None],
        valid_fn: Callable[[], list[str]],
        modified_fn: Callable[[], bool] | None = None,
    ) -> None:
        """Where a submission's videos, settings and preset come from (``modified_fn``: the settings differ
        from the preset, said in the confirmation)."""
        self._videos_fn, self._settings_fn, self._preset_fn, self._valid_fn = videos_fn, settings_fn, preset_fn, valid_fn
        self._modified_fn = modified_fn or (lambda: False)

    def set_connection(self, conn: Connection | None) -> None:
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
        self.results.close(close_store=stopped)
        if self.tray is not None:
            self.tray.hide()
        if self.store is not None and stopped:
            self.store.close()

    # -- what the feed reports --------------------------------------------------------------------------

    @Slot(object)
    def _on_store_opened(self, store: JobStore) -> None:
        if store.problem:
            self._notify(store.problem, tray=False)
            self.storeProblem.emit(store.problem)
            box = QMessageBox(QMessageBox.Icon.Warning, "Job list", store.problem, QMessageBox.StandardButton.Ok,
                              self)
            box.setObjectName("jobStoreProblem")
            box.setTextFormat(Qt.TextFormat.PlainText)
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.open()

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
        ended = ended_now(self.model.apply(changes.rows), self._loaded_at)
        if ended:
            self._announce(ended)
        self._update_summary()
        self._update_actions()

    @Slot()
    def refresh_now(self, *_args: Any) -> None:
        """Look for changes at once (after an action, a submission or a fetch; signal arguments ignored)."""
        self.feed.refresh()

    # -- notifications --------------------------------------------------------------------------------

    def _announce(self, ended: list[JobRecord]) -> None:
        for record in ended:
            self.jobEnded.emit(record)
        self._notify(ended_notice(ended), tray=True, failed=any(r.status is JobStatus.FAILED for r in ended))

    def _notify(self, text: str, *, tray: bool, failed: bool = False) -> None:
        text = shown(text)  # keys and AWS messages: control and bidi characters visible
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
        if self._loaded:
            self.summaryLabel.setText(summary_text(self.model.records(), self.feed.other_active, self.scope,
                                                   self.connection is not None))

    # -- submitting -----------------------------------------------------------------------------------

    @Slot()
    def _on_submit_clicked(self) -> None:
        videos = list(self._videos_fn())
        refusal = submission_refusal(self.engine is not None, self._valid_fn(), videos)
        if refusal is not None:
            self._refuse(*refusal)
            return
        self.submitFlow.start(videos, self._settings_fn(), self._preset_fn(), preset_modified=self._modified_fn())

    @Slot(str, str)
    def _refuse(self, title: str, text: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self)
        box.setObjectName("submitRefused")
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def _active_jobs(self) -> int:
        return sum(1 for r in self.model.records() if r.status.is_active)

    @Slot(bool)
    def _on_planning(self, busy: bool) -> None:
        self.submitButton.setEnabled(not busy)

    @Slot(str)
    def _on_queued(self, text: str) -> None:
        self._notify(text, tray=False)
        self.refresh_now()

    @Slot(object)
    def _on_submit_error(self, message: UserMessage) -> None:
        self.submitButton.setEnabled(True)
        self._refuse(message.title, f"{message.text} {message.hint}".strip())

    def submit_videos(self, videos: list[S3Object], settings: JobSettings, preset: str | None = None) -> None:
        """Queue jobs without the confirmation (for scripted use by the main window; the button asks).

        Planning and queueing run in one background task; videos already submitted alike are skipped."""
        self.submitFlow.submit_now(videos, settings, preset)

    # -- actions ------------------------------------------------------------------------------------------

    def selected_records(self) -> list[JobRecord]:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        records = [self.proxy.record_at(i) for i in rows]
        return [r for r in records if r is not None]

    @Slot()
    def _update_actions(self, *args: Any) -> None:
        records = self.selected_records()
        enabled = enabled_actions(records, connected=self.engine is not None)
        for action, qa in self.actions.items():
            qa.setEnabled(action in enabled)
        self.copyErrorAction.setEnabled(any(r.status_message for r in records))
        self.details.setText(job_details(records[0] if len(records) == 1 else None, len(records)))
        self.details.setVisible(bool(records))
        self._update_empty_hint()

    @Slot()
    def _update_empty_hint(self) -> None:
        self.emptyHint.setVisible(self._loaded and self.model.rowCount() == 0)

    @Slot()
    def copy_error(self) -> None:
        """Copy the messages of the selected jobs (why they failed), one line per job."""
        lines = [f"{r.video_uri}: {r.status_message}" for r in self.selected_records() if r.status_message]
        if lines:
            QGuiApplication.clipboard().setText("\n".join(lines))
            self._notify(f"Copied {plural(len(lines), 'message')}.", tray=False)

    @Slot()
    def open_selected(self) -> None:
        """Enter: the selected job's results, when it succeeded."""
        records = [r for r in self.selected_records() if r.status is JobStatus.SUCCEEDED]
        if records:
            self.open_results(records[0])

    @Slot()
    def remove_selected(self) -> None:
        """Delete: remove the selected jobs from the list, after asking."""
        self.trigger(Action.REMOVE)

    def confirm_removal(self, records: list[JobRecord]) -> bool:
        """Ask before removing; True to go on. Removing forgets the jobs here (AWS keeps them 7 days)."""
        box = QMessageBox(QMessageBox.Icon.Question, "Remove from list",
                          f"Remove {plural(len(records), 'job')} from the list? Their stored results are "
                          "forgotten too; the jobs on AWS are not affected.",
                          QMessageBox.StandardButton.Cancel, self)
        box.setObjectName("removeJobsConfirmation")
        remove = box.addButton("Remove", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        return box.clickedButton() is remove

    @Slot(QPoint)
    def _on_context_menu(self, pos: QPoint) -> None:
        self._update_actions()
        menu = QMenu(self)
        menu.setObjectName("jobContextMenu")
        for action in (Action.OPEN_RESULTS, Action.FETCH_RESULTS, Action.COPY_JOB_ID, Action.CANCEL,
                       Action.RETRY, Action.REMOVE):
            if self.actions[action].isEnabled():
                menu.addAction(self.actions[action])
                if action is Action.COPY_JOB_ID and self.copyErrorAction.isEnabled():
                    menu.addAction(self.copyErrorAction)
        fetched = [r for r in self.selected_records() if r.results_fetched and r.job_id]
        if fetched:
            menu.addAction("Export markers…", self.export_markers).setObjectName("exportMarkersAction")
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
            self._notify(f"Copied {plural(len(targets), 'JobId')}.", tray=False)
            return
        if action is Action.OPEN_RESULTS:
            self.open_results(targets[0])
            return
        if self.engine is None:
            return
        if action is Action.REMOVE and not self.confirm_removal(targets):
            return
        self.tasks.run(apply_action, self.engine, action, [r.id for r in targets], on_result=self.refresh_now,
                       on_error=self._on_submit_error)

    @Slot(object)
    def _on_double_clicked(self, index: Any) -> None:
        record = self.proxy.record_at(index)
        if record is not None and record.status is JobStatus.SUCCEEDED:
            self.open_results(record)

    # -- results windows ----------------------------------------------------------------------------------

    def open_results(self, record: JobRecord) -> ResultsWindow | None:
        """Open the results window of ``record`` (fetching first when not stored); None when the results
        store is still being opened (the window opens as soon as it is)."""
        factory = self.connection.client if self.connection is not None else None
        return self.results.open(record, self.store, factory)

    @Slot()
    def export_markers(self) -> QWidget | None:
        """The marker export dialog for the selected jobs whose results are stored (one file per video);
        it opens the results cache on its own worker threads."""
        from gui.qt.export_dialog import open_marker_export  # built when asked for: keeps start-up lean

        jobs = [(r.job_id, r.video_uri) for r in self.selected_records() if r.results_fetched and r.job_id]
        return open_marker_export(self, self.paths, jobs, pool=self.results.pool) if jobs else None

    @Slot(object)
    def _on_results_store_error(self, message: UserMessage) -> None:
        self._refuse(message.title, f"{message.text} {message.hint}".strip())

    @Slot(int)
    def _on_status_filter(self, index: int) -> None:
        self.proxy.set_statuses(STATUS_FILTERS[index][1] if 0 <= index < len(STATUS_FILTERS) else None)

    # -- preferences ------------------------------------------------------------------------------------

    @Slot()
    def show_preferences(self) -> None:
        self.options.show_preferences()

    @Slot(object)
    def apply_preferences(self, prefs: JobPreferences) -> None:
        """Use and save new preferences (gui.core.settings, section "jobs" of settings.json)."""
        self.preferences = prefs
        self.feed.apply_preferences(prefs)
        try:
            prefs.save(self.paths)
        except Exception as exc:  # a settings file we may not write must not crash the panel
            self._notify(f"Preferences not saved: {explain(exc)}", tray=False)

    @Slot(str)
    def _on_notice(self, text: str) -> None:
        self._notify(text, tray=False)
