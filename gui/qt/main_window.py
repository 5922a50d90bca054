"""The main window: connection + browser | filters + settings | jobs. It only wires the panels together."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, Qt, QTimer, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from gui import APP_NAME, __version__
from gui.core.channel_check import WHY_NO_MESSAGES, Finding, Level, check_channel
from gui.core.connection import Connection
from gui.core.errors import UserMessage
from gui.core.paths import AppPaths
from gui.core.wording import plural
from gui.options import AppOptions
from gui.qt import shortcuts
from gui.qt.accessibility import name_inputs
from gui.qt.browser_panel import BrowserPanel
from gui.qt.connection_panel import ConnectionPanel
from gui.qt.focus import chain, tab_stops
from gui.qt.library_view import LibraryTab
from gui.qt.theme import banner_style
from gui.qt.workers import TaskRegistry

log = logging.getLogger(__name__)

SANDBOX_NOTE = (
    "Local sandbox: you are connected to a simulated AWS on this computer. "
    "Its labels are simulated, not produced by Amazon Rekognition."
)


DEMO_BUCKET = "demo-videos"
PANE_STRETCH = (2, 2, 3)  # browser | filters | jobs: extra width goes mostly to the job list
# A results cache from before the Library is indexed this long after the panes are built (once, on a
# low-priority worker), so start-up and the first connection go first.
LIBRARY_INDEX_DELAY_MS = 1500


def _check_channel_task(cancel: Any, progress: Any, conn: Connection, topic_arn: str, role_arn: str) -> list[Finding]:
    return check_channel(conn.client, topic_arn, role_arn, conn.region)


def channel_summary(findings: list[Finding]) -> tuple[str, str]:
    """The check's findings as the lines shown under the ARNs, and their level."""
    problems = [f for f in findings if f.level is Level.PROBLEM]
    unknown = [f for f in findings if f.level is Level.UNKNOWN]
    if not problems and not unknown:
        return "The channel looks right: topic, region, role, trust and permission checked.", "ok"
    lines = [f"✗ {f.message}" for f in problems] + [f"? {f.message}" for f in unknown]
    if problems:
        lines.append(WHY_NO_MESSAGES)
    else:
        lines.append("Not everything could be checked with these credentials; you can still submit.")
    return "\n".join(lines), "error" if problems else "warning"


def _start_demo_sandbox(cancel: Any, progress: Any) -> Any:
    from gui.sandbox import Sandbox  # the sandbox (and moto behind it) loads only for --demo

    sandbox = Sandbox(port=0, seed_demo=True)
    sandbox.start()
    return sandbox


class MainWindow(QMainWindow):
    def __init__(self, options: AppOptions, paths: AppPaths) -> None:
        super().__init__()
        self.setObjectName("MainWindow")
        self.setWindowTitle(APP_NAME + (" — demo (local sandbox)" if options.demo else ""))
        self.options = options
        self.paths = paths
        self.sandbox: Any = None
        self.tasks = TaskRegistry(self, max_threads=1, name="windowTasks")
        self._closing = False

        central = QWidget(self)
        outer = QVBoxLayout(central)
        outer.setContentsMargins(4, 4, 4, 4)
        self.sandboxBanner = QLabel(SANDBOX_NOTE, central)
        self.sandboxBanner.setObjectName("sandboxBanner")
        self.sandboxBanner.setWordWrap(True)
        self.sandboxBanner.setStyleSheet(banner_style("warning", padding="4px 8px"))
        self.sandboxBanner.setVisible(bool(options.demo))
        outer.addWidget(self.sandboxBanner)

        self.connectionPanel = ConnectionPanel(paths, options, central)
        self.browserPanel = BrowserPanel(central)

        left = QWidget(central)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.connectionPanel)
        left_layout.addWidget(self.browserPanel, 1)

        # The filter and jobs panes are built on the first event-loop turn after the window is shown
        # (or at once when something asks for them): the window appears sooner, with its layout in place.
        self._filter_panel: Any = None
        self._jobs_panel: Any = None
        self.splitter = QSplitter(central)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(left)
        self.splitter.addWidget(self._placeholder("Loading label filters…"))
        self.splitter.addWidget(self._placeholder("Loading jobs…"))
        for index, stretch in enumerate(PANE_STRETCH):
            self.splitter.setStretchFactor(index, stretch)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setSizes([400, 470, 630])
        # The Library (search across every analysed video) is a second tab, built when first shown.
        self.tabs = QTabWidget(central)
        self.tabs.setObjectName("mainTabs")
        self.tabs.addTab(self.splitter, "&Analyse")
        self.libraryTab = LibraryTab(paths, self.tabs)
        self.tabs.addTab(self.libraryTab, "&Library")
        outer.addWidget(self.tabs, 1)
        self.setCentralWidget(central)
        self.resize(1500, 900)
        self._build_menu()

        self.connectionPanel.connectionChanged.connect(self._on_connection_changed)
        self.browserPanel.selectionChanged.connect(self._on_selection_changed)
        self.browserPanel.regionSwitchRequested.connect(self.connectionPanel.set_region)
        self.libraryTab.indexProgress.connect(self._on_library_index_progress)
        self.libraryTab.indexFinished.connect(self._on_library_indexed)
        self.libraryTab.problemFound.connect(self._on_results_cache_problem)
        self.statusBar().showMessage("Ready")

        self._demo_pending = bool(options.demo)
        self._open_demo_bucket = bool(options.demo)
        if options.demo:
            self.statusBar().showMessage("Starting the local sandbox…")

    def _placeholder(self, text: str) -> QLabel:
        label = QLabel(text, self)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setStyleSheet("color: palette(mid);")
        return label

    @property
    def filterPanel(self) -> Any:
        self._ensure_panels()
        return self._filter_panel

    @property
    def jobsPanel(self) -> Any:
        self._ensure_panels()
        return self._jobs_panel

    @Slot()
    def _ensure_panels(self, apply_current: bool = True) -> None:
        if self._jobs_panel is not None:
            return
        from gui.qt.filter_panel import FilterPanel  # built after the first paint: the window shows sooner
        from gui.qt.jobs_panel import JobsPanel  # built after the first paint: the window shows sooner

        self._filter_panel = FilterPanel(self.paths, self)
        self._jobs_panel = JobsPanel(self.paths, self)
        sizes = self.splitter.sizes()
        for index, panel in ((1, self._filter_panel), (2, self._jobs_panel)):
            old = self.splitter.replaceWidget(index, panel)
            if old is not None:
                old.deleteLater()
        for index, stretch in enumerate(PANE_STRETCH):  # a replaced widget loses the stretch set for it
            self.splitter.setStretchFactor(index, stretch)
        self.splitter.setSizes(sizes)
        name_inputs(self)
        self._filter_panel.job_settings.checkRequested.connect(self.check_channel)
        self._bind_shortcuts()
        self._order_tabs()
        self._jobs_panel.set_sources(
            self.browserPanel.selected_videos,
            self._filter_panel.current_settings,
            self._filter_panel.current_preset_name,
            self._filter_panel.validation_errors,
            self._filter_panel.presets_bar.is_modified,
        )
        if apply_current and not self.options.demo:
            current = self.connectionPanel.current_connection()
            if current is not None:
                self._on_connection_changed(current)
        QTimer.singleShot(LIBRARY_INDEX_DELAY_MS, self._index_library)

    @Slot()
    def _index_library(self) -> None:
        if not self._closing:
            self.libraryTab.index_in_background()

    @Slot(int, int)
    def _on_library_index_progress(self, done: int, total: int) -> None:
        self.statusBar().showMessage(f"Indexing stored results for the Library: {done:,} of {total:,} jobs (once)…")

    @Slot(str)
    def _on_results_cache_problem(self, problem: str) -> None:
        self.statusBar().showMessage(f"Results cache: {problem}")  # stays until the next message

    @Slot(int)
    def _on_library_indexed(self, count: int) -> None:
        if count:
            self.statusBar().showMessage(f"Library ready: {plural(count, 'stored job')} indexed for search.", 10_000)

    def _order_tabs(self) -> None:
        """Tab follows the panes: connection, buckets, browser, filter search, tree, settings, Start, jobs."""
        jobs = tab_stops(self._jobs_panel)
        submit = self._jobs_panel.submitButton
        chain([
            *tab_stops(self.connectionPanel),
            *tab_stops(self.browserPanel),
            *tab_stops(self._filter_panel),
            submit,
            *[w for w in jobs if w is not submit],
        ])

    def _bind_shortcuts(self) -> None:
        def bind(shortcut: shortcuts.Shortcut, slot: Callable[[], object]) -> None:
            for keys in shortcuts.sequences(shortcut):
                QShortcut(QKeySequence(keys), self, activated=slot)

        bind(shortcuts.SUBMIT, self.submit_selected)
        bind(shortcuts.REFRESH, self.refresh_all)
        bind(shortcuts.FIND_LABEL, self.focus_label_search)
        bind(shortcuts.FIND_IN_LIBRARY, self.show_library)

    @Slot()
    def submit_selected(self) -> None:
        """Ctrl+Enter: what the Start button does, when it is enabled."""
        button = self._jobs_panel.submitButton if self._jobs_panel is not None else None
        if button is not None and button.isEnabled():
            button.click()

    @Slot()
    def refresh_all(self) -> None:
        """F5: the job list and the open folder (the Library's search when it is the tab shown)."""
        if self.tabs.currentWidget() is self.libraryTab:
            self.libraryTab.view.refresh()
            return
        if self._jobs_panel is not None:
            self._jobs_panel.refresh_now()
        if self.browserPanel.refreshButton.isEnabled():
            self.browserPanel.refresh()

    @Slot()
    def focus_label_search(self) -> None:
        if self.tabs.currentWidget() is self.libraryTab:
            self.libraryTab.view.focus_search()
            return
        if self._filter_panel is not None:
            edit = self._filter_panel.filter_tree.search_edit
            edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
            edit.selectAll()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._jobs_panel is None:
            # Normally built right after the first paint (see event()); this is the fallback.
            QTimer.singleShot(250, self._ensure_panels)
        if self._demo_pending:
            # Start the sandbox (moto, boto3: heavy imports) only once the window is up, so the first
            # paint does not compete with them for the GIL.
            self._demo_pending = False
            QTimer.singleShot(0, self._start_sandbox)

    def event(self, event: QEvent) -> bool:
        handled = super().event(event)
        if event.type() == QEvent.Type.Paint and self._jobs_panel is None:
            QTimer.singleShot(0, self._ensure_panels)
        return handled

    @Slot()
    def _start_sandbox(self) -> None:
        if self._closing:
            return
        # Not cancellable once started: at close it comes up, then _on_sandbox_ready stops it.
        self.tasks.run(_start_demo_sandbox, on_result=self._on_sandbox_ready, on_error=self._on_sandbox_error,
                       keep_on_close=True)

    def _build_menu(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        for text, name, slot in (  # bound methods, not lambdas over self: a lambda would keep the window alive
            ("&Import preset…", "importPresetAction", self.import_preset),
            ("&Export current preset…", "exportPresetAction", self.export_preset),
            ("Job &preferences…", "preferencesAction", self.show_job_preferences),
            ("&Find in Library…", "findInLibraryAction", self.show_library),
        ):
            action = QAction(text, self)
            action.setObjectName(name)
            action.triggered.connect(slot)
            file_menu.addAction(action)
        file_menu.addSeparator()
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        help_menu = self.menuBar().addMenu("&Help")
        keys = QAction("&Keyboard shortcuts", self)
        keys.setObjectName("shortcutsAction")
        keys.triggered.connect(self.show_shortcuts)
        help_menu.addAction(keys)
        about = QAction("&About", self)
        about.triggered.connect(self._about)
        help_menu.addAction(about)

    @Slot(str, str)
    def check_channel(self, topic_arn: str, role_arn: str) -> None:
        """The Check button by the SNS and role fields: IAM/SNS look-ups on a task, the findings shown there."""
        settings = self._filter_panel.job_settings
        conn = self.connectionPanel.current_connection()
        if conn is None:
            settings.show_channel_result("Connect first: the check asks IAM and SNS with your credentials.",
                                         "warning")
            return
        self.tasks.run(_check_channel_task, conn, topic_arn, role_arn, on_result=self._on_channel_checked,
                       on_error=self._on_channel_check_error)

    @Slot(object)
    def _on_channel_checked(self, findings: list[Finding]) -> None:
        settings = self._filter_panel.job_settings
        text, level = channel_summary(findings)
        settings.show_channel_result(text, level)

    @Slot(object)
    def _on_channel_check_error(self, message: UserMessage) -> None:
        self._filter_panel.job_settings.show_channel_result(f"The check failed: {message}", "error")

    @Slot()
    def import_preset(self) -> None:
        self.filterPanel.presets_bar.import_preset()

    @Slot()
    def export_preset(self) -> None:
        self.filterPanel.presets_bar.export_current()

    @Slot()
    def show_job_preferences(self) -> None:
        self.jobsPanel.show_preferences()

    @Slot()
    def show_shortcuts(self) -> None:
        dialog = shortcuts.ShortcutsDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    @Slot()
    def show_library(self) -> None:
        """Ctrl+L: the Library tab."""
        self.tabs.setCurrentWidget(self.libraryTab)

    @Slot()
    def _about(self) -> None:
        QMessageBox.about(
            self,
            APP_NAME,
            f"{APP_NAME} {__version__}\n\nAmazon Rekognition Video label detection for videos in S3.\n"
            f"Data: {self.paths.data_dir}\nSettings: {self.paths.config_dir}\nLog: {self.paths.log_file}",
        )

    @Slot(object)
    def _on_connection_changed(self, conn: Connection) -> None:
        self._ensure_panels(apply_current=False)
        spec = conn.spec
        self.sandboxBanner.setVisible(bool(self.options.demo or spec.is_sandbox_like))
        self.browserPanel.set_connection(conn)
        if self._open_demo_bucket and spec.endpoint_url and self.sandbox is not None:
            # A first-time demo user lands in the seeded bucket rather than an empty list.
            self._open_demo_bucket = False
            self.browserPanel.navigate(DEMO_BUCKET)
        self.jobsPanel.set_connection(conn)
        self.filterPanel.set_connection_hint(spec.region, spec.endpoint_url, spec.profile)
        self.statusBar().showMessage(f"Connected: {spec.describe()}")

    @Slot(list)
    def _on_selection_changed(self, videos: list) -> None:
        self.filterPanel.set_preview_videos(videos)
        self.statusBar().showMessage(f"{plural(len(videos), 'video')} selected")

    @Slot(object)
    def _on_sandbox_ready(self, sandbox: Any) -> None:
        if self._closing:
            sandbox.stop()
            return
        self.sandbox = sandbox
        log.info("Demo sandbox at %s", sandbox.endpoint_url)
        self.connectionPanel.use_sandbox(sandbox.endpoint_url)
        self.statusBar().showMessage(f"Local sandbox running at {sandbox.endpoint_url}")

    @Slot(object)
    def _on_sandbox_error(self, message: UserMessage) -> None:
        self.statusBar().showMessage(f"The local sandbox failed to start: {message}")

    def shutdown(self) -> None:
        """Stop background work and the sandbox; idempotent."""
        if self._closing and self.sandbox is None:
            return
        self._closing = True
        self.connectionPanel.shutdown()
        self.browserPanel.shutdown()
        self.libraryTab.shutdown()
        if self._jobs_panel is not None:
            self._jobs_panel.shutdown()
            self._filter_panel.save_state()
        self.tasks.close(10.0)
        if self.sandbox is not None:
            self.sandbox.stop()
            self.sandbox = None

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)
