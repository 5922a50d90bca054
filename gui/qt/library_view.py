"""The Library: every analysed video, searched as you type, with the moments that match.

The view only adapts :mod:`gui.core.library`: opening the cache (and indexing a cache from before the
index, with progress), every search and every export run on workers; the GUI thread swaps in what they
send. A search streams: its first rows arrive in a first batch, the rest in batches behind them. Each
keystroke starts a new search and cancels the one before; results of an older search are dropped
(latest wins). A bad query leaves the list as it was and says what is wrong and where.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QDate,
    QDateTime,
    QItemSelectionModel,
    QModelIndex,
    Qt,
    QThreadPool,
    QTime,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from gui.core.errors import KnownError, UserMessage
from gui.core.jobstore import JobStore
from gui.core.library import BackfillProgress, Library, Moment, VideoMatch, prepare_library
from gui.core.library_export import export_moments_csv
from gui.core.library_query import QueryError
from gui.core.paths import AppPaths
from gui.core.results_store import ResultsStore
from gui.qt.library_models import ItemRole, MomentsModel, VideosModel
from gui.qt.message_bar import MessageBar
from gui.qt.tables import SaveDialog, default_save_dialog, setup_read_only_table, titled
from gui.qt.workers import Task, TaskRegistry

log = logging.getLogger(__name__)

FIRST_BATCH_ROWS = 1  # the first row goes out at once: the list fills while the rest is read
BATCH_ROWS = 1000
BATCH_SECONDS = 0.25  # at most four list updates (and repaints) a second while a search streams
SEARCH_DELAY_MS = 120  # typing pause before a search starts

GRAMMAR_TIP = (
    "<b>Search every analysed video</b><br>"
    "<code>Dog</code> a label (aliases too: <code>Human</code> finds Person)<br>"
    "<code>\"Soccer Ball\"</code> quotes for names with spaces<br>"
    "<code>Dog&gt;=90</code> a minimum confidence<br>"
    "<code>category:\"Animals and Pets\"</code> any label of a category<br>"
    "<code>bucket:my-videos</code>, <code>prefix:family/2024/</code> where the videos are<br>"
    "<code>Dog Beach</code> both; <code>Dog OR Cat</code>; <code>NOT Cat</code>; <code>( )</code> to group"
)


def bad_query_html(error: QueryError) -> str:
    """The query with the problem marked, for the message bar."""
    text = error.query
    pos = min(error.position, len(text))
    mark = _html(text[pos]) if pos < len(text) else "&nbsp;"
    shown = f"{_html(text[:pos])}<span style='background:#f6c2c2;text-decoration:underline'>{mark}</span>"
    shown += _html(text[pos + 1 :])
    return (f"<b>Not a valid search:</b> {_html(error.message)} (at character {error.position + 1}).<br>"
            f"<code>{shown}</code> — the list shows the last valid search.")


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# ----------------------------------------------------------------------------------------------------------
# Work done on workers
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Opened:
    store: Any
    library: Any
    jobs: Any
    buckets: list[str]
    videos: int
    warnings: list[str]


@dataclass(frozen=True)
class SearchDone:
    serial: int
    count: int
    error: QueryError | None = None
    videos: int = 0
    buckets: tuple[str, ...] = ()


def _open_task(cancel: Any, progress: Callable[[object], None], paths: AppPaths) -> Opened:
    store = ResultsStore(paths.results_db)
    library = Library.for_store(store)
    jobs = None
    warnings = [store.problem] if store.problem else []
    if paths.jobs_db.exists():
        try:
            jobs = JobStore(paths.jobs_db)
        except KnownError as exc:
            warnings.append(f"The job list could not be read, so removed jobs may still show: {exc.message}")
    warnings += prepare_library(library, jobs, progress=progress, cancel=cancel)
    return Opened(store, library, jobs, library.buckets(), library.video_count(), warnings)


def _index_task(cancel: Any, progress: Callable[[object], None], paths: AppPaths) -> tuple[int, str | None]:
    """Index what a results cache from before the Library holds (the upgrade's one-time work), resumable;
    returns how many jobs were indexed (0: nothing to do, or no cache yet) and what opening the cache
    found wrong (a corrupt file kept aside), which the window must tell since it opened it first."""
    if not paths.results_db.exists():
        return 0, None
    store = ResultsStore(paths.results_db)
    library = Library.for_store(store)
    try:
        # backfill finds what is pending itself (nothing: 0, and its progress says 0 of 0, which is not shown)
        return library.backfill(progress=progress, cancel=cancel), store.problem
    finally:
        library.close()
        store.close()


def _search_task(
    cancel: Any, progress: Callable[[object], None], library: Any, jobs: Any, serial: int, query: str,
    filters: dict[str, Any],
) -> SearchDone:
    if jobs is not None:
        library.sync_jobs(jobs)  # jobs removed from the list leave before they could show
    try:
        stream = library.search(query, cancel=cancel, **filters)
    except QueryError as exc:
        return SearchDone(serial, 0, exc)
    batch: list[VideoMatch] = []
    count = 0
    sent = time.monotonic()
    limit = FIRST_BATCH_ROWS
    for match in stream:
        batch.append(match)
        count += 1
        if len(batch) >= limit or time.monotonic() - sent >= BATCH_SECONDS:
            progress((serial, batch))
            batch, sent, limit = [], time.monotonic(), BATCH_ROWS
    if batch:
        progress((serial, batch))
    return SearchDone(serial, count, None, library.video_count(), tuple(library.buckets()))


def _export_task(cancel: Any, progress: Any, matches: list[VideoMatch], path: str) -> tuple[str, int]:
    return path, export_moments_csv(matches, Path(path))


# ----------------------------------------------------------------------------------------------------------
# The view
# ----------------------------------------------------------------------------------------------------------


class LibraryView(QWidget):
    """objectNames: ``libraryView``, ``librarySearchEdit``, ``libraryResults`` (videos), ``libraryMoments``,
    ``libraryBucket``, ``libraryPrefix``, ``librarySince``/``libraryUntil`` (with their check boxes),
    ``libraryMessage``, ``libraryCaption``, ``libraryProgress``, ``libraryExportButton``,
    ``libraryMarkersButton``."""

    ready = Signal()  # the cache is open (and indexed)
    searchFinished = Signal(int)  # matches of the latest search (-1: it was not a valid query)
    momentOpened = Signal(str, int)  # job id, ms
    exported = Signal(str, int)  # path, moment rows

    def __init__(
        self,
        paths: AppPaths,
        parent: QWidget | None = None,
        *,
        pool: QThreadPool | None = None,
        save_dialog: SaveDialog | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("libraryView")
        self.paths = paths
        # low priority: the GUI thread wins the CPU over a search; the results windows get their own pool
        self.tasks = TaskRegistry(self, pool=pool, low_priority=True, name="libraryTasks")
        self.resultsPool = QThreadPool(self)
        self.resultsPool.setObjectName("libraryResultsPool")
        self.resultsPool.setMaxThreadCount(2)
        self.save_dialog: SaveDialog = save_dialog or default_save_dialog
        self.opened: Opened | None = None
        self.last_error: QueryError | None = None
        self.last_message: UserMessage | None = None
        self.searching = False
        self._serial = 0
        self._search_worker: Task | None = None
        self._windows: dict[str, Any] = {}
        self._closing = False
        self._fresh = False  # the next batch starts a new list
        self._reselect_job: str | None = None
        self._library_size: int | None = None
        self._export_dir = Path.home()
        self._warnings: list[str] = []  # shown beside the opening's own warnings
        self._build()

    # -- layout -----------------------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)

        row = QHBoxLayout()
        caption = QLabel("&Find:", self)
        self.searchEdit = QLineEdit(self)
        self.searchEdit.setObjectName("librarySearchEdit")
        self.searchEdit.setPlaceholderText('e.g.  Dog>=90 Beach NOT Cat   ·   category:"Animals and Pets"   ·   '
                                           "bucket:my-videos prefix:family/")
        self.searchEdit.setClearButtonEnabled(True)
        self.searchEdit.setToolTip(GRAMMAR_TIP)
        self.searchEdit.textChanged.connect(self._on_typed)
        caption.setBuddy(self.searchEdit)
        row.addWidget(caption)
        row.addWidget(self.searchEdit, 1)
        layout.addLayout(row)

        filters = QHBoxLayout()
        bucket_caption = QLabel("&Bucket:", self)
        self.bucketCombo = QComboBox(self)
        self.bucketCombo.setObjectName("libraryBucket")
        self.bucketCombo.addItem("All buckets", "")
        self.bucketCombo.setMinimumContentsLength(14)
        self.bucketCombo.currentIndexChanged.connect(self._on_filter_changed)
        bucket_caption.setBuddy(self.bucketCombo)
        prefix_caption = QLabel("&Prefix:", self)
        self.prefixEdit = QLineEdit(self)
        self.prefixEdit.setObjectName("libraryPrefix")
        self.prefixEdit.setPlaceholderText("folder/")
        self.prefixEdit.setClearButtonEnabled(True)
        self.prefixEdit.textChanged.connect(self._on_typed)
        prefix_caption.setBuddy(self.prefixEdit)
        self.sinceCheck = QCheckBox("Analysed &from", self)
        self.sinceCheck.setObjectName("librarySinceCheck")
        self.sinceEdit = QDateEdit(QDate.currentDate().addMonths(-1), self)
        self.sinceEdit.setObjectName("librarySince")
        self.untilCheck = QCheckBox("&to", self)
        self.untilCheck.setObjectName("libraryUntilCheck")
        self.untilEdit = QDateEdit(QDate.currentDate(), self)
        self.untilEdit.setObjectName("libraryUntil")
        for edit, check in ((self.sinceEdit, self.sinceCheck), (self.untilEdit, self.untilCheck)):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setEnabled(False)
            check.toggled.connect(edit.setEnabled)
            check.toggled.connect(self._on_filter_changed)
            edit.dateChanged.connect(self._on_filter_changed)
        for widget in (bucket_caption, self.bucketCombo, prefix_caption):
            filters.addWidget(widget)
        filters.addWidget(self.prefixEdit, 1)
        for widget in (self.sinceCheck, self.sinceEdit, self.untilCheck, self.untilEdit):
            filters.addWidget(widget)
        layout.addLayout(filters)

        self.messageBar = MessageBar("libraryMessage", "warning", self)
        self.messageBar.label.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.messageBar)
        self.progressBar = QProgressBar(self)
        self.progressBar.setObjectName("libraryProgress")
        self.progressBar.setVisible(False)
        layout.addWidget(self.progressBar)

        self.videosModel = VideosModel(self)
        self.resultsTable = QTableView(self)
        self.resultsTable.setObjectName("libraryResults")
        self.resultsTable.setModel(self.videosModel)
        setup_read_only_table(self.resultsTable)
        self.resultsTable.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.resultsTable.setSortingEnabled(True)
        self.resultsTable.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.resultsTable.selectionModel().currentRowChanged.connect(self._on_video_current)
        self.resultsTable.selectionModel().selectionChanged.connect(self._update_buttons)
        self.resultsTable.activated.connect(self._on_video_activated)

        self.momentsModel = MomentsModel(self)
        self.momentsTable = QTableView(self)
        self.momentsTable.setObjectName("libraryMoments")
        self.momentsTable.setModel(self.momentsModel)
        setup_read_only_table(self.momentsTable)
        self.momentsTable.activated.connect(self._on_moment_activated)
        self.momentsTable.selectionModel().currentRowChanged.connect(self._on_moment_current)

        self.caption = QLabel("Opening the library…", self)
        self.caption.setObjectName("libraryCaption")
        self.caption.setWordWrap(True)
        self.momentsCaption = QLabel("Moments", self)
        self.momentsCaption.setObjectName("libraryMomentsCaption")
        self.momentsCaption.setWordWrap(True)

        left = titled(self, self.resultsTable, self.caption)
        right = titled(self, self.momentsTable, self.momentsCaption)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("librarySplitter")
        self.splitter.addWidget(left)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([640, 360])
        layout.addWidget(self.splitter, 1)

        buttons = QHBoxLayout()
        self.statusLabel = QLabel(self)
        self.statusLabel.setObjectName("libraryStatus")
        buttons.addWidget(self.statusLabel, 1)
        self.openButton = QPushButton("&Open at moment", self)
        self.openButton.setObjectName("libraryOpenButton")
        self.openButton.setToolTip("Open the job's results at the chosen moment (Enter on a moment)")
        self.openButton.clicked.connect(self._on_open_clicked)
        self.exportButton = QPushButton("&Export moments (CSV)…", self)
        self.exportButton.setObjectName("libraryExportButton")
        self.exportButton.setToolTip("The moments of the selected videos, one CSV row per moment")
        self.exportButton.clicked.connect(self._on_export_clicked)
        self.markersButton = QPushButton("Export as &markers…", self)
        self.markersButton.setObjectName("libraryMarkersButton")
        self.markersButton.setToolTip("The moments of the selected videos as markers for an editor (EDL, Resolve, "
                                      "Premiere, Final Cut Pro, OpenTimelineIO, WebVTT): one file per video")
        self.markersButton.clicked.connect(self._on_markers_clicked)
        buttons.addWidget(self.openButton)
        buttons.addWidget(self.exportButton)
        buttons.addWidget(self.markersButton)
        layout.addLayout(buttons)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SEARCH_DELAY_MS)
        self._timer.timeout.connect(self._start_search)
        self.searchEdit.returnPressed.connect(self.resultsTable.setFocus)
        self._set_columns()
        self._update_buttons()

    def _set_columns(self) -> None:
        """The name columns take the room left; the others are as wide as their contents can be."""
        fm = self.fontMetrics()
        for table, samples in (
            (self.resultsTable, ("", "00:00:00.000", "2026-12-31 23:59", "MinConfidence 50", "Labels",
                                 "Moments")),
            (self.momentsTable, ("", "00:00:00.000", "00:00:00.000", "Confidence", "00:00:00.000")),
        ):
            header = table.horizontalHeader()
            header.setStretchLastSection(False)
            header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
            if table is self.momentsTable:  # a label name stays readable; the table scrolls instead
                header.setMinimumSectionSize(fm.horizontalAdvance("Soccer Ball") + 18)
            for col, sample in enumerate(samples[1:], start=1):
                header.resizeSection(col, fm.horizontalAdvance(sample) + 18)
            table.setTextElideMode(Qt.TextElideMode.ElideMiddle)

    # -- public API -------------------------------------------------------------------------------------

    def start(self) -> None:
        """Open the results cache (indexing an old one first, with progress) and list every video."""
        if self.opened is not None or self._closing:
            return
        self.progressBar.setVisible(True)
        self.progressBar.setRange(0, 0)
        self.progressBar.setFormat("Opening the library…")
        self._run(_open_task, self.paths, on_progress=self._on_open_progress, on_result=self._on_opened,
                  on_error=self._on_open_error)

    def set_query(self, text: str) -> None:
        """Search now (typing waits for a pause)."""
        if self.searchEdit.text() != text:
            self.searchEdit.blockSignals(True)
            self.searchEdit.setText(text)
            self.searchEdit.blockSignals(False)
        self._start_search()

    @Slot()
    def refresh(self) -> None:
        """Search again (results fetched meanwhile show up). The main window's F5 and Ctrl+F reach the
        Library when its tab is shown (one binding per key: no ambiguous shortcuts)."""
        if self.opened is not None:
            self._start_search()

    @Slot()
    def focus_search(self) -> None:
        self.searchEdit.setFocus()
        self.searchEdit.selectAll()

    def matches(self) -> list[VideoMatch]:
        """The videos listed, in the view's order."""
        return self.videosModel.items()

    def selected_matches(self) -> list[VideoMatch]:
        rows = sorted({i.row() for i in self.resultsTable.selectionModel().selectedRows()})
        return [m for m in (self.videosModel.item(r) for r in rows) if m is not None]

    def select_rows(self, rows: Sequence[int]) -> None:
        selection = self.resultsTable.selectionModel()
        selection.clearSelection()
        for r in rows:
            selection.select(self.videosModel.index(r, 0),
                             QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows)
        if rows:
            selection.setCurrentIndex(self.videosModel.index(rows[0], 0), QItemSelectionModel.SelectionFlag.NoUpdate)
            self._on_video_current(self.videosModel.index(rows[0], 0), QModelIndex())

    def export_moments(self, path: str | None = None) -> bool:
        """The selected videos' moments as CSV (asks where unless ``path``); False when nothing selected."""
        matches = self.selected_matches()
        if not matches:
            self._set_status("Select one or more videos first.")
            return False
        if path is None:
            suggested = str(self._export_dir / "library-moments.csv")
            path = self.save_dialog(self, "Export moments", suggested, "CSV (*.csv);;All files (*)")
            if not path:
                return False
        self._export_dir = Path(path).parent
        self.exportButton.setEnabled(False)
        self._run(_export_task, matches, path, on_result=self._on_exported, on_error=self._on_background_error,
                  on_finished=self._update_buttons)
        return True

    def export_markers(self) -> QWidget | None:
        """The selected videos' moments as editor markers: the marker export dialog, given those moments
        (one marker each); returns the dialog, or None when nothing is selected."""
        matches = [m for m in self.selected_matches() if m.moments]
        if not matches:
            self._set_status("Select one or more videos with matching moments first.")
            return None
        from gui.qt.export_dialog import open_marker_export  # built when first asked for: lean start-up

        dialog = open_marker_export(
            self.window(), self.paths, [(m.job_id, m.uri) for m in matches],
            pool=self.resultsPool, start_folder=self._export_dir,
            moments={m.job_id: (m.moments, m.aggregation) for m in matches},
        )
        dialog.exported.connect(self._on_markers_exported)
        return dialog

    def open_moment(self, video: VideoMatch, moment: Moment | None) -> QWidget | None:
        """Open (or raise) the job's results window, pointed at ``moment``."""
        if self.opened is None:
            return None
        from gui.qt.results_window import (  # built when first asked for: lean start-up
            ResultsView,
            ResultsWindow,
        )

        window = self._windows.get(video.job_id)
        try:
            alive = window is not None and window.isVisible()
        except RuntimeError:  # deleted when closed
            alive = False
        if not alive:
            # Indexed means stored: the window reads the cache and needs no job record to fetch with.
            view = ResultsView(self.opened.store, video.job_id, video_uri=video.uri, pool=self.resultsPool)
            window = ResultsWindow(view, self.window())
            window.show()
            view.start()
            self._windows[video.job_id] = window
        else:
            window.raise_()
            window.activateWindow()
        assert window is not None
        window.view.set_aggregation(video.aggregation)  # the moments' own aggregation
        ms = moment.start_ms if moment is not None else 0
        window.view.show_moment(ms, moment.label if moment is not None else None)
        self.momentOpened.emit(video.job_id, ms)
        return window

    def shutdown(self) -> None:
        """Stop the searches, close the results windows it opened, then the cache."""
        if self._closing:
            return
        self._closing = True
        self._timer.stop()
        self.tasks.close(10.0)
        for window in list(self._windows.values()):
            try:
                window.view.shutdown(5.0)  # at exit the wait is fine: the store is closed next
                window.close()
            except RuntimeError:  # closed by the user and deleted already
                pass
        self._windows.clear()
        self.resultsPool.waitForDone(5000)
        if self.opened is not None:
            self.opened.library.close()
            if self.opened.jobs is not None:
                self.opened.jobs.close()
            self.opened.store.close()

    # -- workers ----------------------------------------------------------------------------------------

    def _run(
        self,
        fn: Callable[..., Any],
        *args: Any,
        on_result: Callable[..., Any],
        on_error: Callable[..., Any],
        on_progress: Callable[..., Any] | None = None,
        on_finished: Callable[..., Any] | None = None,
    ) -> Task:
        """Start ``fn(cancel, progress, *args)`` on the view's registry; the slots are methods of this view."""
        return self.tasks.run(fn, *args, on_result=on_result, on_error=on_error, on_progress=on_progress,
                              on_finished=on_finished)

    @Slot(object)
    def _on_open_progress(self, payload: object) -> None:
        if isinstance(payload, BackfillProgress) and payload.total:
            self.progressBar.setRange(0, payload.total)
            self.progressBar.setValue(payload.done)
            self.progressBar.setFormat(f"Indexing stored results for the library: {payload.done:,} of "
                                       f"{payload.total:,} jobs (once)")

    @Slot(object)
    def _on_opened(self, opened: Opened) -> None:
        if self._closing:
            opened.library.close()
            opened.store.close()
            if opened.jobs is not None:
                opened.jobs.close()
            return
        self.opened = opened
        self.progressBar.setVisible(False)
        self._set_buckets(opened.buckets)
        warnings = [*self._warnings, *opened.warnings]
        if warnings:
            self.messageBar.show_message(_html(" ".join(warnings)))
        self.ready.emit()
        self._start_search()

    def show_warning(self, text: str) -> None:
        """A warning found outside the view (the window's background indexing), shown with the view's own."""
        if text not in self._warnings:
            self._warnings.append(text)
        self.messageBar.show_message(_html(" ".join(self._warnings)))

    @Slot(object)
    def _on_open_error(self, message: UserMessage) -> None:
        self.progressBar.setVisible(False)
        self.last_message = message
        self.caption.setText("The library is not available")
        self.messageBar.show_message(_html(str(message)))

    @Slot(str)
    def _on_typed(self, _text: str) -> None:
        self._timer.start()

    @Slot()
    def _on_filter_changed(self) -> None:
        self._timer.start()

    def _filters(self) -> dict[str, Any]:
        filters: dict[str, Any] = {}
        bucket = self.bucketCombo.currentData()
        if bucket:
            filters["bucket"] = bucket
        if self.prefixEdit.text():
            filters["prefix"] = self.prefixEdit.text()
        if self.sinceCheck.isChecked():
            filters["since"] = QDateTime(self.sinceEdit.date(), QTime(0, 0)).toSecsSinceEpoch()
        if self.untilCheck.isChecked():
            filters["until"] = QDateTime(self.untilEdit.date().addDays(1), QTime(0, 0)).toSecsSinceEpoch()
        return filters

    @Slot()
    def _start_search(self) -> None:
        self._timer.stop()
        if self.opened is None or self._closing:
            return
        if self._search_worker is not None:
            self._search_worker.cancel()  # latest wins
        self._serial += 1
        self.searching = True
        self._fresh = True  # the first batch of this search replaces the list
        self._set_status("Searching…")
        self._search_worker = self._run(
            _search_task, self.opened.library, self.opened.jobs, self._serial, self.searchEdit.text(),
            self._filters(), on_progress=self._on_batch, on_result=self._on_search_done,
            on_error=self._on_search_error,
        )

    @Slot(object)
    def _on_batch(self, payload: object) -> None:
        serial, rows = payload  # type: ignore[misc]
        if serial != self._serial:
            return  # an older search
        if self._fresh:
            self._fresh = False
            self._replace_rows(rows)
        else:
            self.videosModel.append(rows)
            self._reselect()
        self._update_caption(done=False)

    def _replace_rows(self, rows: Sequence[VideoMatch]) -> None:
        if self.momentsModel.video is not None:  # the video to select again once the new search has it
            self._reselect_job = self.momentsModel.video.job_id
        self.videosModel.clear()
        self.videosModel.append(rows)
        self.momentsModel.set_video(None)
        self._reselect()
        self.last_error = None
        self.messageBar.clear_message()

    def _reselect(self) -> None:
        row = self.videosModel.row_of(self._reselect_job) if self._reselect_job is not None else None
        if row is not None:
            self._reselect_job = None
            self.select_rows([row])

    @Slot(object)
    def _on_search_done(self, done: SearchDone) -> None:
        if done.serial != self._serial:
            return
        self.searching = False
        self._search_worker = None
        if done.error is not None:
            self.last_error = done.error
            self.messageBar.show_message(bad_query_html(done.error))
            self._set_status("")
            self.searchFinished.emit(-1)
            return
        if self._fresh:  # no batch came: nothing matched
            self._fresh = False
            self._replace_rows([])
        self._reselect_job = None  # not among this search's matches
        self._library_size = done.videos
        self._set_buckets(list(done.buckets))
        self._update_caption(done=True)
        self._set_status("")
        self.searchFinished.emit(done.count)

    @Slot(object)
    def _on_search_error(self, message: UserMessage) -> None:
        self.searching = False
        self._search_worker = None
        self._on_background_error(message)
        self.searchFinished.emit(-1)

    @Slot(object)
    def _on_background_error(self, message: UserMessage) -> None:
        self.last_message = message
        self.messageBar.show_message(_html(str(message)))

    def _update_caption(self, *, done: bool) -> None:
        n = self.videosModel.rowCount()
        query = self.searchEdit.text().strip()
        total = self._library_size
        if not done:
            self.caption.setText(f"{n:,} video{'s' if n != 1 else ''} so far…")
        elif total == 0:
            self.caption.setText("No analysed videos yet: a job's results appear here once they are fetched.")
        elif n == 0:
            what = f"“{query}”" if query else "the filters"
            self.caption.setText(f"No video matches {what} (of {total:,} in the library).")
        elif query or self._filters():
            self.caption.setText(f"{n:,} of {total:,} video{'s' if total != 1 else ''} match")
        else:
            self.caption.setText(f"All {n:,} analysed video{'s' if n != 1 else ''}")

    def _set_buckets(self, buckets: list[str]) -> None:
        current = self.bucketCombo.currentData()
        known = [self.bucketCombo.itemData(i) for i in range(1, self.bucketCombo.count())]
        if known == buckets:
            return
        self.bucketCombo.blockSignals(True)
        self.bucketCombo.clear()
        self.bucketCombo.addItem("All buckets", "")
        for name in buckets:
            self.bucketCombo.addItem(name, name)
        index = self.bucketCombo.findData(current)
        self.bucketCombo.setCurrentIndex(max(0, index))
        self.bucketCombo.blockSignals(False)

    # -- interaction ------------------------------------------------------------------------------------

    @Slot(QModelIndex, QModelIndex)
    def _on_video_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        video = current.data(ItemRole) if current.isValid() else None
        self.momentsModel.set_video(video)
        if video is None:
            self.momentsCaption.setText("Moments")
        else:
            n = len(video.moments)
            self.momentsCaption.setText(f"Moments in {video.key.rsplit('/', 1)[-1]} ({n:,})" if n else
                                        f"{video.key.rsplit('/', 1)[-1]}: no moments (the query names no label)")
            if n:
                self.momentsTable.selectRow(0)
        self._update_buttons()

    @Slot(QModelIndex)
    def _on_video_activated(self, index: QModelIndex) -> None:
        if self.momentsModel.rowCount():
            self.momentsTable.setFocus()
        else:
            video = index.data(ItemRole)
            if video is not None:
                self.open_moment(video, None)

    @Slot(QModelIndex)
    def _on_moment_activated(self, index: QModelIndex) -> None:
        video = self.momentsModel.video
        moment = self.momentsModel.item(index.row())
        if video is not None:
            self.open_moment(video, moment)

    @Slot(QModelIndex, QModelIndex)
    def _on_moment_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        """A results window already open on this job follows the moment chosen in the list."""
        video, moment = self.momentsModel.video, self.momentsModel.item(current.row())
        if video is None or moment is None or video.job_id not in self._windows:
            return
        try:
            if self._windows[video.job_id].isVisible():
                self._windows[video.job_id].view.show_moment(moment.start_ms, moment.label)
        except RuntimeError:  # closed and deleted
            self._windows.pop(video.job_id, None)

    @Slot()
    def _on_open_clicked(self) -> None:
        video = self.momentsModel.video
        if video is None:
            return
        current = self.momentsTable.currentIndex()
        self.open_moment(video, self.momentsModel.item(current.row()) if current.isValid() else None)

    @Slot()
    def _on_export_clicked(self) -> None:
        self.export_moments()

    @Slot()
    def _on_markers_clicked(self) -> None:
        self.export_markers()

    @Slot(object)
    def _on_markers_exported(self, result: Any) -> None:
        files = len(result.written)
        if result.written:
            self._export_dir = result.written[0][0].parent
        self._set_status(f"Exported {result.marker_count:,} marker{'s' if result.marker_count != 1 else ''} "
                         f"to {files} file{'s' if files != 1 else ''} in {self._export_dir}.")

    @Slot(object)
    def _on_exported(self, value: tuple[str, int]) -> None:
        path, count = value
        self._set_status(f"Exported {count:,} moment{'s' if count != 1 else ''} to {path}.")
        self.exported.emit(path, count)

    @Slot()
    def _update_buttons(self, *_args: object) -> None:
        has_selection = bool(self.resultsTable.selectionModel().selectedRows())
        self.exportButton.setEnabled(has_selection)
        self.markersButton.setEnabled(has_selection)
        self.openButton.setEnabled(self.momentsModel.video is not None)

    def _set_status(self, text: str) -> None:
        self.statusLabel.setText(text)


class LibraryTab(QWidget):
    """The main window's Library tab: builds its :class:`LibraryView` the first time it is shown, so the
    window's first paint does not wait for it. :meth:`index_in_background` indexes a results cache from
    before the Library (once, after an upgrade) without waiting for the tab to be opened."""

    indexProgress = Signal(int, int)  # jobs indexed so far, jobs to index (the upgrade's one-time indexing)
    indexFinished = Signal(int)  # jobs indexed (0: there was nothing to do)
    problemFound = Signal(str)  # what opening the results cache found wrong (a corrupt file kept aside)

    def __init__(self, paths: AppPaths, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("libraryTab")
        self.paths = paths
        self._view: LibraryView | None = None
        self.problem: str | None = None  # found by the background indexing; the view shows it too
        # one low-priority thread: the indexing yields the CPU to the window and to the other panes' tasks
        self.tasks = TaskRegistry(self, max_threads=1, low_priority=True, name="libraryIndexTasks")
        QVBoxLayout(self).setContentsMargins(0, 0, 0, 0)

    def index_in_background(self) -> None:
        """Index the stored results the Library lacks (an older cache) on a worker; progress by signals.
        Safe beside the view's own opening: each job is indexed in its own transaction, once."""
        self.tasks.run(_index_task, self.paths, on_progress=self._on_index_progress, on_result=self._on_indexed,
                       on_error=self._on_index_error)

    @Slot(object)
    def _on_index_progress(self, payload: object) -> None:
        if isinstance(payload, BackfillProgress) and payload.total:
            self.indexProgress.emit(payload.done, payload.total)

    @Slot(object)
    def _on_indexed(self, value: tuple[int, str | None]) -> None:
        count, problem = value
        if problem:
            self.problem = problem
            if self._view is not None:
                self._view.show_warning(problem)
            self.problemFound.emit(problem)
        self.indexFinished.emit(int(count))

    @Slot(object)
    def _on_index_error(self, message: UserMessage) -> None:
        log.warning("Library: indexing the stored results failed: %s", message)  # the view retries on opening
        self.indexFinished.emit(0)

    @property
    def view(self) -> LibraryView:
        if self._view is None:
            self._view = LibraryView(self.paths, self)
            self.layout().addWidget(self._view)
            self._view.start()
            if self.problem:
                self._view.show_warning(self.problem)
        return self._view

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        fresh = self._view is None
        self.view.focus_search()
        if not fresh:
            self.view.refresh()

    def shutdown(self) -> None:
        self.tasks.close(5.0)
        if self._view is not None:
            self._view.shutdown()
