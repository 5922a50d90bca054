"""The results of one job: a summary per label, the detections, a timeline, search and export.

Everything that touches the results cache or AWS runs as a task of the view's
:class:`~gui.qt.workers.TaskRegistry`; the GUI thread only swaps in what the tasks return. Fetching goes
through :func:`fetch_job_results`, the one job-level fetch (it stores every page and updates the job's
record). The models live in :mod:`gui.qt.results_models`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelection, QModelIndex, Qt, QThreadPool, QTimer, Signal, Slot
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from gui.core.engine import fetch_job_results
from gui.core.errors import UserMessage
from gui.core.export import FORMAT_NAMES, FORMAT_SUFFIXES, FORMATS, export_job, format_for_path
from gui.core.jobstore import JobRecord, JobStore
from gui.core.moments import moment_ms
from gui.core.palette import label_color
from gui.core.results_fetch import FetchProgress
from gui.core.results_store import SEGMENTS, TIMESTAMPS, LabelSummary, ResultsStore, ResultSummary
from gui.core.safetext import safe_file_name
from gui.core.types import ClientFactory
from gui.qt import text as ui_text
from gui.qt.frame_view import FrameView
from gui.qt.label_thumbnails import EXTRA_WIDTH, attach_thumbnails
from gui.qt.results_models import DetectionsModel, LabelFilterProxy, LabelSummaryModel
from gui.qt.shortcuts import CLOSE_RESULTS, sequences
from gui.qt.tables import SaveDialog, default_save_dialog, setup_read_only_table, titled
from gui.qt.timeline import DEFAULT_BINS, TimelineData, TimelineWidget, format_ms, timeline_from_runs
from gui.qt.workers import Task, TaskRegistry

log = logging.getLogger(__name__)

CLOSE_POLL_MS = 20  # a closed window with tasks still running looks again this often



def suggested_file_name(video_uri: str, job_id: str, fmt: str) -> str:
    stem = Path(video_uri.rstrip("/").rsplit("/", 1)[-1] or "results").stem or "results"
    return safe_file_name(f"{stem}-labels-{job_id[:8]}", FORMAT_SUFFIXES[fmt], default="results")


@dataclass(frozen=True)
class LoadedResult:
    aggregation: str
    summary: ResultSummary | None  # None: not in the cache
    labels: tuple[LabelSummary, ...] = ()
    timeline: TimelineData | None = None


def load_result(cancel: Any, progress: Any, store: ResultsStore, job_id: str, aggregation: str) -> LoadedResult:
    """Everything the view shows for one aggregation, except the detection rows (windowed)."""
    summary = store.summary(job_id)
    if summary is None or aggregation not in summary.aggregations:
        return LoadedResult(aggregation, summary)
    labels = tuple(store.label_summary(job_id, aggregation))
    duration = summary.duration_ms or max((item.last_ms for item in labels), default=0) + 1
    runs = store.timeline_runs(job_id, aggregation, bins=DEFAULT_BINS, duration_ms=duration)
    timeline = timeline_from_runs(runs, duration, [item.label for item in labels], bins=DEFAULT_BINS)
    return LoadedResult(aggregation, summary, labels, timeline)


def _fetch_task(
    cancel: Any,
    progress: Callable[[object], None],
    client_factory: ClientFactory,
    job_store: JobStore,
    store: ResultsStore,
    record: JobRecord,
) -> ResultSummary:
    summary: ResultSummary = fetch_job_results(job_store, store, client_factory("rekognition"), record,
                                               cancel=cancel, progress=progress)
    return summary


def _matching_detection(cancel: Any, progress: Any, store: ResultsStore, job_id: str, aggregation: str, label: str,
                        ms: int | None) -> int | None:
    """The id of ``label``'s detection nearest ``ms`` (None: its highest-confidence one), for selecting it."""
    found = [d for d in store.detections(job_id, aggregation, search=label) if d.label == label]
    if not found:
        return None
    if ms is None:
        return max(found, key=lambda d: d.confidence).id
    return min(found, key=lambda d: abs(moment_ms(d, aggregation) - ms)).id


def _export_task(
    cancel: Any, progress: Any, store: ResultsStore, job_id: str, fmt: str, path: str, aggregation: str,
    search: str = "",
) -> tuple[str, int, int | None]:
    """(path, rows written, rows in all when only the matching ones were written)."""
    count = export_job(store, job_id, fmt, Path(path), aggregation=aggregation, search=search)
    total = store.count_detections(job_id, aggregation) if search else None
    return path, count, total


# ----------------------------------------------------------------------------------------------------------
# The view
# ----------------------------------------------------------------------------------------------------------


class ResultsView(QWidget):
    """Results of one job (objectName ``resultsView``). Call :meth:`start` after construction."""

    loaded = Signal(str)  # the aggregation now shown
    fetchFinished = Signal(object)  # ResultSummary
    fetchFailed = Signal(object)  # UserMessage
    exported = Signal(str, int)  # path, pages/rows/cues written
    exportFailed = Signal(object)  # UserMessage

    def __init__(
        self,
        store: ResultsStore,
        job_id: str,
        *,
        video_uri: str = "",
        client_factory: ClientFactory | None = None,
        job_store: JobStore | None = None,
        record: JobRecord | None = None,
        save_dialog: SaveDialog | None = None,
        pool: QThreadPool | None = None,
        parent: QWidget | None = None,
    ) -> None:
        """Fetching needs ``client_factory`` and the job's ``record`` in ``job_store`` (the fetch updates
        it); ``pool``: threads shared with other views (None: two of its own)."""
        super().__init__(parent)
        self.setObjectName("resultsView")
        self.store = store
        self.job_id = job_id
        self.video_uri = video_uri
        self.client_factory = client_factory
        self.job_store = job_store
        self.record = record
        self.save_dialog: SaveDialog = save_dialog or default_save_dialog
        self.tasks = TaskRegistry(self, pool=pool, low_priority=True, name="resultsTasks")
        self.aggregation = TIMESTAMPS
        self.summary: ResultSummary | None = None
        self.last_message: UserMessage | None = None
        self._fetch: Task | None = None
        self._pending_export: tuple[str, str] | None = None
        self._export_dir = Path.home()
        self._sized = False
        self._build()

    # -- layout -----------------------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)

        self.titleLabel = QLabel(self)
        self.titleLabel.setObjectName("resultsTitle")
        self.titleLabel.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.titleLabel.setWordWrap(True)
        layout.addWidget(self.titleLabel)

        bar = QHBoxLayout()
        self.timestampsButton = QPushButton("Timestamps", self)
        self.timestampsButton.setObjectName("timestampsButton")
        self.timestampsButton.setToolTip("Each moment a label was detected (AggregateBy TIMESTAMPS)")
        self.segmentsButton = QPushButton("Segments", self)
        self.segmentsButton.setObjectName("segmentsButton")
        self.segmentsButton.setToolTip("Stretches of time a label was seen (AggregateBy SEGMENTS)")
        self.aggregationGroup = QButtonGroup(self)
        for button in (self.timestampsButton, self.segmentsButton):
            button.setCheckable(True)
            self.aggregationGroup.addButton(button)
            bar.addWidget(button)
        self.timestampsButton.setChecked(True)
        self.timestampsButton.toggled.connect(self._on_aggregation_toggled)
        bar.addSpacing(12)

        self.searchEdit = QLineEdit(self)
        self.searchEdit.setObjectName("resultsSearch")
        self.searchEdit.setPlaceholderText("Search labels, categories, aliases…")
        self.searchEdit.setClearButtonEnabled(True)
        self.searchEdit.setMinimumWidth(240)
        self.searchEdit.textChanged.connect(self._on_search_typed)
        bar.addWidget(self.searchEdit, 1)
        bar.addSpacing(12)

        self.exportFormat = QComboBox(self)
        self.exportFormat.setObjectName("exportFormat")
        for fmt in FORMATS:
            self.exportFormat.addItem(FORMAT_NAMES[fmt], fmt)
        self.exportFormat.setToolTip(
            "JSON: the GetLabelDetection pages exactly as AWS returned them.\n"
            "CSV: one row per detection of the aggregation shown.\n"
            "WebVTT: one subtitle cue per segment."
        )
        bar.addWidget(self.exportFormat)
        self.exportMatchingCheck = QCheckBox("Matching only", self)
        self.exportMatchingCheck.setObjectName("exportMatchingCheck")
        self.exportMatchingCheck.setToolTip("With a search: export only the rows it keeps (CSV, WebVTT); "
                                            "otherwise every row. JSON is always AWS's pages, whole.")
        self.exportMatchingCheck.setChecked(True)
        bar.addWidget(self.exportMatchingCheck)
        self.exportButton = QPushButton("Export…", self)
        self.exportButton.setObjectName("exportButton")
        self.exportButton.clicked.connect(self._on_export_clicked)
        bar.addWidget(self.exportButton)
        self.exportMarkersButton = QPushButton("Export markers…", self)
        self.exportMarkersButton.setObjectName("exportMarkersButton")
        self.exportMarkersButton.setToolTip("Label spans as markers for DaVinci Resolve, Premiere Pro, Final Cut Pro…")
        self.exportMarkersButton.clicked.connect(self.export_markers)
        bar.addWidget(self.exportMarkersButton)
        layout.addLayout(bar)

        progress_row = QHBoxLayout()
        self.fetchProgress = QProgressBar(self)
        self.fetchProgress.setObjectName("fetchProgress")
        self.fetchProgress.setRange(0, 1000)
        self.fetchProgress.setTextVisible(True)
        progress_row.addWidget(self.fetchProgress, 1)
        self.cancelFetchButton = QPushButton("Cancel", self)
        self.cancelFetchButton.setObjectName("cancelFetchButton")
        self.cancelFetchButton.clicked.connect(self.cancel_fetch)
        progress_row.addWidget(self.cancelFetchButton)
        layout.addLayout(progress_row)
        self._show_progress(False)

        self.timeline = TimelineWidget(self)
        self.timeline.timeClicked.connect(self._on_timeline_clicked)

        self.summaryModel = LabelSummaryModel(self)
        self.summaryProxy = LabelFilterProxy(self)
        self.summaryProxy.setSourceModel(self.summaryModel)
        self.summaryTable = QTableView(self)
        self.summaryTable.setObjectName("summaryTable")
        self.summaryTable.setModel(self.summaryProxy)
        setup_read_only_table(self.summaryTable)
        self.summaryTable.setSortingEnabled(True)
        self.summaryTable.sortByColumn(1, Qt.SortOrder.DescendingOrder)
        self.summaryTable.doubleClicked.connect(self._on_summary_double_clicked)
        self.summaryTable.selectionModel().selectionChanged.connect(self._on_summary_selected)

        self.detectionsModel = DetectionsModel(self.store, self.tasks.pool, self)
        self.detectionsModel.queryFinished.connect(self._on_detections_counted)
        self.detectionsModel.failed.connect(self._on_background_error)
        self.detectionsTable = QTableView(self)
        self.detectionsTable.setObjectName("detectionsTable")
        self.detectionsTable.setModel(self.detectionsModel)
        setup_read_only_table(self.detectionsTable)
        self.detectionsTable.horizontalHeader().setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        self.detectionsTable.setSortingEnabled(True)
        self.detectionsTable.selectionModel().currentRowChanged.connect(self._on_detection_current)

        self.summaryBox = titled(self, self.summaryTable, "Labels")
        self.detectionsBox = titled(self, self.detectionsTable, "Detections")
        self.summaryCaption = self.summaryBox.findChild(QLabel)
        self.detectionsCaption = self.detectionsBox.findChild(QLabel)

        tables = QSplitter(Qt.Orientation.Horizontal, self)
        tables.addWidget(self.summaryBox)
        tables.addWidget(self.detectionsBox)
        tables.setStretchFactor(0, 3)
        tables.setStretchFactor(1, 2)
        self.tablesSplitter = tables
        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.setObjectName("resultsSplitter")
        self.splitter.addWidget(titled(self, self.timeline, "Timeline (most frequent labels first)"))
        self.splitter.addWidget(tables)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        self.frameView = FrameView(self.store, self.job_id, video_uri=self.video_uri, record=self.record,
                                   client_factory=self.client_factory, parent=self)
        self.frameView.install_shortcuts(self)
        self.frameView.frameShown.connect(self.timeline.set_cursor)
        self.timeline.seekRequested.connect(self.frameView.show_at)
        self.thumbnailDelegate = attach_thumbnails(self.summaryTable, self.frameView)
        self.frameSplitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.frameSplitter.setObjectName("frameSplitter")
        self.frameSplitter.addWidget(self.splitter)
        self.frameSplitter.addWidget(self.frameView)
        self.frameSplitter.setStretchFactor(0, 3)
        self.frameSplitter.setStretchFactor(1, 2)
        layout.addWidget(self.frameSplitter, 1)

        self.statusLabel = QLabel(self)
        self.statusLabel.setObjectName("resultsStatus")
        self.statusLabel.setWordWrap(True)
        layout.addWidget(self.statusLabel)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(200)
        self._search_timer.timeout.connect(self._apply_search)
        QShortcut(QKeySequence.StandardKey.Find, self, activated=self.searchEdit.setFocus)
        self._update_title()
        self._set_columns()

    def _set_columns(self) -> None:
        """Sensible fixed widths from the font (resizing to contents would read every row)."""
        fm = self.fontMetrics()

        def w(sample: str) -> int:
            return fm.horizontalAdvance(sample) + 18

        summary = self.summaryTable.horizontalHeader()
        for col, sample in enumerate(
            ("Shipping Container", "Occurrences", "Max conf.", "Mean conf.", "00:00:00.000", "00:00:00.000")
        ):
            summary.resizeSection(col, w(sample) + (EXTRA_WIDTH if col == 0 else 0))
        detections = self.detectionsTable.horizontalHeader()
        samples = {
            "timestamp": "00:00:00.000",
            "start": "00:00:00.000",
            "end": "00:00:00.000",
            "duration": "Duration",
            "label": "Shipping Container",
            "confidence": "Confidence",
            "instances": "Instances",
        }
        for col, column in enumerate(self.detectionsModel.columns):
            detections.resizeSection(col, w(samples[column.sort]))

    # -- public API -------------------------------------------------------------------------------------

    def start(self) -> None:
        """Show the job from the cache, or fetch it in the background when it isn't there yet."""
        self._load(self.aggregation)

    def set_aggregation(self, aggregation: str) -> None:
        if aggregation not in (TIMESTAMPS, SEGMENTS):
            raise ValueError(aggregation)
        button = self.segmentsButton if aggregation == SEGMENTS else self.timestampsButton
        if not button.isChecked():
            button.setChecked(True)  # -> _on_aggregation_toggled
        elif aggregation != self.aggregation:
            self._switch(aggregation)

    def set_search(self, text: str) -> None:
        """Filter the summary, the detections and the timeline now (the search box waits for typing)."""
        if self.searchEdit.text() != text:
            self.searchEdit.blockSignals(True)
            self.searchEdit.setText(text)
            self.searchEdit.blockSignals(False)
        self._apply_search()

    def show_moment(self, ms: int, label: str | None = None) -> None:
        """Point at one moment (the Library opens a job here): the label's rows, a timeline marker."""
        if label:
            self.set_search(label)
        self.timeline.set_marker(label or "", int(ms))
        self._set_status(f"{label or 'Moment'} at {format_ms(int(ms))}")

    def fetch(self) -> bool:
        """Fetch (again) from AWS in the background, both aggregations, updating the job's record.

        False when it cannot (no client factory or no job record) or is already fetching."""
        if self.client_factory is None or self.job_store is None or self.record is None or self._fetch is not None:
            return False
        self._fetch = self.tasks.run(
            _fetch_task, self.client_factory, self.job_store, self.store, self.record,
            on_progress=self._on_fetch_progress, on_result=self._on_fetch_result, on_error=self._on_fetch_error,
            on_finished=self._on_fetch_finished,
        )
        self._show_progress(True, f"Fetching {TIMESTAMPS.lower()} from Amazon Rekognition…")
        self.fetchProgress.setRange(0, 0)
        return True

    @property
    def fetching(self) -> bool:
        return self._fetch is not None

    @Slot()
    def cancel_fetch(self) -> None:
        if self._fetch is not None:
            self._fetch.cancel()
            self._set_status("Cancelling…")

    def export(self, fmt: str | None = None, path: str | None = None) -> bool:
        """Export in ``fmt`` (default: the format box) to ``path`` (default: ask with the save dialog)."""
        fmt = fmt or str(self.exportFormat.currentData())
        if path is None:
            suggested = str(self._export_dir / suggested_file_name(self.video_uri, self.job_id, fmt))
            name_filter = f"{FORMAT_NAMES[fmt]} (*{FORMAT_SUFFIXES[fmt]});;All files (*)"
            path = self.save_dialog(self, "Export results", suggested, name_filter)
            if not path:
                return False
        target, fmt = format_for_path(Path(path), fmt)  # "x.vtt" is WebVTT, whatever the box says
        path = str(target)
        self._export_dir = target.parent
        aggregation = SEGMENTS if fmt == "vtt" else self.aggregation
        search = self.searchEdit.text().strip() if self.exportMatchingCheck.isChecked() and fmt != "json" else ""
        if self.summary is not None and aggregation not in self.summary.aggregations:
            if self.fetching or self.fetch():
                self._pending_export = (fmt, path)
                self._set_status("The segments are being fetched; the export follows.")
                return True
        self.exportButton.setEnabled(False)
        self._set_status(f"Exporting {FORMAT_NAMES[fmt]} to {path}…")
        self.tasks.run(_export_task, self.store, self.job_id, fmt, path, aggregation, search,
                       on_result=self._on_exported,
                       on_error=self._on_export_error, on_finished=self._on_export_finished)
        return True

    @Slot()
    def export_markers(self) -> QWidget:
        """The marker export dialog for this job (gui.qt.export_dialog); its tasks share this view's pool."""
        from gui.qt.export_dialog import open_marker_export  # built when asked for: keeps start-up lean

        return open_marker_export(self, self.store, [(self.job_id, self.video_uri)], pool=self.tasks.pool,
                                  start_folder=self._export_dir)

    def shutdown(self, timeout: float = 5.0) -> bool:
        """Cancel the view's tasks and wait for them (bounded): none reads the store after this.

        True when none is left running."""
        self.cancel_fetch()
        ended = self.detectionsModel.tasks.close(timeout)
        frames_ended = self.frameView.shutdown(timeout)
        return self.tasks.close(timeout) and ended and frames_ended

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)

    # -- tasks ------------------------------------------------------------------------------------------

    def _load(self, aggregation: str) -> None:
        self.tasks.run(load_result, self.store, self.job_id, aggregation, on_result=self._on_loaded,
                       on_error=self._on_background_error)

    @Slot(object)
    def _on_loaded(self, loaded: LoadedResult) -> None:
        if loaded.aggregation != self.aggregation:
            return  # the user switched meanwhile
        if loaded.summary is not None:
            self.summary = loaded.summary
            self._update_title()
        if loaded.timeline is None:
            if self.fetching:
                self._set_status(f"The {loaded.aggregation.lower()} results are being fetched…")
            elif not self.fetch():
                self._set_status(f"The {loaded.aggregation.lower()} results of this job are not in the local cache.")
            return
        segments = loaded.aggregation == SEGMENTS
        header = self.summaryTable.horizontalHeader()
        self.summaryModel.set_rows(
            loaded.labels, segments=segments, sort=(header.sortIndicatorSection(), header.sortIndicatorOrder())
        )
        self.timeline.set_data(loaded.timeline, segments=segments)
        self.timeline.set_colors({item.label: label_color(item.label, item.categories) for item in loaded.labels})
        self.frameView.set_aggregation(loaded.aggregation)
        self.frameView.make_thumbnails([item.label for item in loaded.labels])
        self.summaryProxy.set_text(self.searchEdit.text())
        self.timeline.set_filter(self.searchEdit.text(), self.summaryModel.matching_labels(self.searchEdit.text()))
        self.detectionsModel.set_query(self.job_id, loaded.aggregation, search=self.searchEdit.text())
        self._set_columns()
        self._update_captions()
        self._fit_timeline()
        self.loaded.emit(loaded.aggregation)

    def _fit_timeline(self) -> None:
        """Once: give the timeline the height its rows need, up to 45% of the space (the rest, tables)."""
        total = sum(self.splitter.sizes())
        if self._sized or total <= 0:
            return
        self._sized = True
        wanted = self.timeline.content_height() + 24  # + its caption
        top = max(self.timeline.minimumHeight() + 24, min(wanted, int(total * 0.45)))
        self.splitter.setSizes([top, total - top])
        width = sum(self.tablesSplitter.sizes())
        self.tablesSplitter.setSizes([width * 3 // 5, width - width * 3 // 5])

    @Slot(object)
    def _on_background_error(self, message: UserMessage) -> None:
        self.last_message = message
        self._set_status(str(message), error=True)

    @Slot(object)
    def _on_fetch_progress(self, payload: object) -> None:
        if not isinstance(payload, FetchProgress):
            return
        what = "timestamps" if payload.aggregation == TIMESTAMPS else "segments"
        text = f"Fetching {what}: page {payload.pages:,}, {payload.detections:,} detections"
        if payload.fraction is None:
            self.fetchProgress.setRange(0, 0)
        else:
            self.fetchProgress.setRange(0, 1000)
            self.fetchProgress.setValue(int(payload.fraction * 1000))
        self.fetchProgress.setFormat(text + (" (%p%)" if payload.fraction is not None else ""))
        self.fetchProgress.setToolTip(text)

    @Slot(object)
    def _on_fetch_result(self, summary: ResultSummary) -> None:
        self.summary = summary
        self._update_title()
        self.fetchFinished.emit(summary)
        self._set_status(
            f"Fetched {summary.detection_count:,} detections of {summary.label_count:,} labels"
            + (f" and {summary.segment_count:,} segments" if summary.segment_count is not None else "")
            + "; kept in the local cache."
        )

    @Slot(object)
    def _on_fetch_error(self, message: UserMessage) -> None:
        self._pending_export = None
        self.last_message = message
        self._set_status(str(message), error=message.title != "Fetch cancelled")
        self.fetchFailed.emit(message)

    @Slot()
    def _on_fetch_finished(self) -> None:
        self._fetch = None
        self._show_progress(False)
        if self.summary is not None and self.aggregation in self.summary.aggregations:
            self._load(self.aggregation)
        if self._pending_export is not None:
            fmt, path = self._pending_export
            self._pending_export = None
            self.export(fmt, path)

    @Slot(object)
    def _on_exported(self, value: tuple[str, int, int | None]) -> None:
        path, count, total = value
        what = (f"{count:,} matching rows of {total:,}" if total is not None
                else f"all {count:,} {'pages' if path.lower().endswith('.json') else 'rows'}")
        self._set_status(f"Exported {what} to {path}.")
        self.exported.emit(path, count)

    @Slot(object)
    def _on_export_error(self, message: UserMessage) -> None:
        self.last_message = message
        self._set_status(str(message), error=True)
        self.exportFailed.emit(message)

    @Slot()
    def _on_export_finished(self) -> None:
        self.exportButton.setEnabled(True)

    # -- interaction ------------------------------------------------------------------------------------

    @Slot(bool)
    def _on_aggregation_toggled(self, timestamps_checked: bool) -> None:
        self._switch(TIMESTAMPS if timestamps_checked else SEGMENTS)

    def _switch(self, aggregation: str) -> None:
        if aggregation == self.aggregation:
            return
        self.aggregation = aggregation
        self.timeline.set_marker(None, None)
        self._load(aggregation)

    @Slot(str)
    def _on_search_typed(self, _text: str) -> None:
        self._search_timer.start()

    @Slot()
    def _apply_search(self) -> None:
        self._search_timer.stop()
        text = self.searchEdit.text()
        self.summaryProxy.set_text(text)
        self.timeline.set_filter(text, self.summaryModel.matching_labels(text))
        self.detectionsModel.set_search(text)
        self._update_captions()

    @Slot()
    def _on_export_clicked(self) -> None:
        self.export()

    @Slot(QModelIndex)
    def _on_summary_double_clicked(self, index: QModelIndex) -> None:
        item = self.summaryModel.row_item(self.summaryProxy.mapToSource(index).row())
        if item is not None:
            self.set_search(item.label)

    @Slot(QItemSelection, QItemSelection)
    def _on_summary_selected(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        rows = selected.indexes()
        if rows:
            item = self.summaryModel.row_item(self.summaryProxy.mapToSource(rows[0]).row())
            if item is not None:
                self.timeline.set_marker(item.label, item.first_ms)
                self.frameView.show_best(item.label)
                self.select_detection(item.label)

    @Slot(QModelIndex, QModelIndex)
    def _on_detection_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        d = self.detectionsModel.detection(current.row()) if current.isValid() else None
        if d is not None:
            self.timeline.set_marker(d.label, d.timestamp_ms)
            self.frameView.show_at(moment_ms(d, self.aggregation), d.label)

    @Slot(str, int)
    def _on_timeline_clicked(self, label: str, ms: int) -> None:
        self.timeline.set_marker(label, ms)
        self._set_status(f"{label} at {format_ms(ms)}")
        self.frameView.show_at(ms, label)
        self.select_detection(label, ms)

    def select_detection(self, label: str, ms: int | None = None) -> None:
        """Select (and show) ``label``'s detection nearest ``ms`` in the detections table — its
        highest-confidence one when ``ms`` is None. The look-up runs on a task."""
        self.tasks.run(_matching_detection, self.store, self.job_id, self.aggregation, label, ms,
                       on_result=self._on_matching_detection, on_error=self._on_background_error)

    @Slot(object)
    def _on_matching_detection(self, detection_id: int | None) -> None:
        row = self.detectionsModel.row_of(detection_id) if detection_id is not None else None
        if row is None:
            return
        index = self.detectionsModel.index(row, 0)
        selection = self.detectionsTable.selectionModel()
        selection.blockSignals(True)  # the frame view and the marker already show this moment
        self.detectionsTable.setCurrentIndex(index)
        self.detectionsTable.selectRow(row)
        selection.blockSignals(False)
        self.detectionsTable.viewport().update()
        self.detectionsTable.scrollTo(index)

    @Slot(int)
    def _on_detections_counted(self, rows: int) -> None:
        self._update_captions()

    # -- text -------------------------------------------------------------------------------------------

    def _update_title(self) -> None:
        s = self.summary
        video = self.video_uri or (s.video_uri if s else "")
        parts = [f"<b>{ui_text.rich(video or 'Video')}</b>", f"job {ui_text.rich(self.job_id)}"]
        if s is not None:
            meta = s.video_metadata
            if meta.get("DurationMillis"):
                parts.append(f"duration {format_ms(int(meta['DurationMillis']))}")
            if meta.get("FrameWidth") and meta.get("FrameHeight"):
                parts.append(f"{meta['FrameWidth']}×{meta['FrameHeight']}")
            if meta.get("FrameRate"):
                parts.append(f"{float(meta['FrameRate']):.3g} fps")
            parts.append(f"{_count(s.label_count, 'label')}, {_count(s.detection_count, 'detection')}")
            if s.segment_count is not None:
                parts.append(_count(s.segment_count, "segment"))
            if s.label_model_version:
                parts.append(f"label model {_html(s.label_model_version)}")
        self.titleLabel.setText(" · ".join(parts))
        if video:
            self.setWindowTitle(f"Labels — {ui_text.shown(video)}")

    def _update_captions(self) -> None:
        shown, total = self.summaryProxy.rowCount(), self.summaryModel.rowCount()
        self.summaryCaption.setText(f"Labels ({shown:,} of {total:,})" if shown != total else f"Labels ({total:,})")
        what = "Segments" if self.aggregation == SEGMENTS else "Detections"
        rows = self.detectionsModel.rowCount()
        suffix = " matching the search" if self.searchEdit.text().strip() else ""
        self.detectionsCaption.setText(f"{what} ({rows:,}{suffix})")

    def _show_progress(self, visible: bool, text: str = "") -> None:
        self.fetchProgress.setVisible(visible)
        self.cancelFetchButton.setVisible(visible)
        if visible:
            self.fetchProgress.setFormat(text)
            self.fetchProgress.setValue(0)

    def _set_status(self, text: str, *, error: bool = False) -> None:
        self.statusLabel.setStyleSheet("color: #b00020;" if error else "")
        self.statusLabel.setText(text)


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class ResultsWindow(QWidget):
    """A top-level window around one :class:`ResultsView` (objectName ``resultsWindow``)."""

    def __init__(self, view: ResultsView, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("resultsWindow")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.view = view
        view.setParent(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(view)
        self.setWindowTitle(view.windowTitle() or f"Labels — job {view.job_id}")
        self.resize(1280, 820)
        for keys in sequences(CLOSE_RESULTS):  # Esc, Ctrl+W
            QShortcut(QKeySequence(keys), self, activated=self.close)

    def closeEvent(self, event: QCloseEvent) -> None:
        # Never wait on the GUI thread: the window hides at once and goes when its last task has ended.
        if self.view.shutdown(0.0):
            super().closeEvent(event)
            return
        event.ignore()
        self.hide()
        QTimer.singleShot(CLOSE_POLL_MS, self, self.close)


def open_results(
    parent: QWidget | None,
    *,
    record: JobRecord,
    store: ResultsStore,
    job_store: JobStore | None,
    client_factory: ClientFactory | None,
    save_dialog: SaveDialog | None = None,
    pool: QThreadPool | None = None,
) -> ResultsWindow:
    """Open (and show) a results window for the job of ``record``: from the cache at once when stored,
    else fetched in the background with progress (``client_factory("rekognition")`` gives the boto3
    client; the fetch updates the record in ``job_store``)."""
    view = ResultsView(
        store, record.job_id or "", video_uri=record.video_uri, client_factory=client_factory, job_store=job_store,
        record=record, save_dialog=save_dialog, pool=pool,
    )
    window = ResultsWindow(view, parent)
    window.show()
    view.start()
    return window


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"
