"""The results of one job: a summary per label, the detections, a timeline, search and export.

Everything that touches the results cache runs on a :class:`~gui.qt.workers.Worker`; the GUI thread only
swaps in what the workers return. The detections table is *windowed*: a worker computes the ordered ids
of the matching detections (one SQL query, sorted and filtered by SQLite), and the rows themselves are
loaded in blocks of :attr:`DetectionsModel.BLOCK` as the view asks for them, so 100,000 detections sort
and filter without loading them all or blocking the GUI.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import threading
from array import array
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QItemSelection,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    QThreadPool,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QFileDialog,
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

from gui.core.errors import UserMessage
from gui.core.export import FORMAT_NAMES, FORMAT_SUFFIXES, FORMATS, export_job
from gui.core.results_fetch import FetchProgress, fetch_and_store
from gui.core.results_store import SEGMENTS, TIMESTAMPS, Detection, LabelSummary, ResultsStore, ResultSummary
from gui.qt.timeline import DEFAULT_BINS, TimelineData, TimelineWidget, format_ms, timeline_from_runs
from gui.qt.workers import Worker

log = logging.getLogger(__name__)

ModelIndex = QModelIndex | QPersistentModelIndex
SortRole = Qt.ItemDataRole.UserRole + 1
# (parent, caption, suggested path, name filter) -> chosen path, or "" when the user cancels
SaveDialog = Callable[[QWidget, str, str, str], str]
ClientFactory = Callable[..., Any]

_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_LEFT = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)


_POOL: QThreadPool | None = None
_background = threading.local()


def results_pool() -> QThreadPool:
    """The pool the results views use by default: two threads that run at a lower OS priority (see
    :func:`lower_thread_priority`), apart from the application's global pool."""
    global _POOL
    if _POOL is None:
        _POOL = QThreadPool()
        _POOL.setObjectName("resultsPool")
        _POOL.setMaxThreadCount(2)
    return _POOL


def lower_thread_priority(nice: int = 10) -> None:
    """Let the GUI thread win the CPU over this (worker) thread, once per thread.

    Sorting 100,000 rows or binning a timeline is CPU work; on a busy machine with few cores the OS
    would otherwise share a core evenly between it and the GUI thread, and the GUI stutters. Linux
    applies ``nice`` per thread; elsewhere this does nothing.
    """
    if getattr(_background, "lowered", False):
        return
    _background.lowered = True
    if sys.platform.startswith("linux"):
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)
        except OSError:  # pragma: no cover - not permitted: keep the normal priority
            pass


def default_save_dialog(parent: QWidget, caption: str, suggested: str, name_filter: str) -> str:
    path, _ = QFileDialog.getSaveFileName(parent, caption, suggested, name_filter)
    return path


def label_matches(item: LabelSummary, text: str) -> bool:
    """The summary filter: a case-insensitive substring of the label or one of its categories."""
    needle = text.strip().lower()
    return not needle or needle in item.label.lower() or any(needle in c.lower() for c in item.categories)


def suggested_file_name(video_uri: str, job_id: str, fmt: str) -> str:
    stem = Path(video_uri.rstrip("/").rsplit("/", 1)[-1] or "results").stem or "results"
    stem = re.sub(r"[^\w.-]+", "_", stem)
    return f"{stem}-labels-{job_id[:8]}{FORMAT_SUFFIXES[fmt]}"


# ----------------------------------------------------------------------------------------------------------
# Models
# ----------------------------------------------------------------------------------------------------------


class LabelSummaryModel(QAbstractTableModel):
    """One row per label: occurrences, max/mean confidence, first/last seen, categories."""

    HEADERS = ("Label", "Occurrences", "Max conf.", "Mean conf.", "First seen", "Last seen", "Categories")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[LabelSummary] = []
        self._segments = False

    def set_rows(
        self, rows: Sequence[LabelSummary], *, segments: bool = False, sort: tuple[int, Qt.SortOrder] | None = None
    ) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        if sort is not None and 0 <= sort[0] < len(self.HEADERS):
            self._rows.sort(key=lambda item: _summary_key(item, sort[0]), reverse=sort[1] == Qt.SortOrder.DescendingOrder)
        self._segments = segments
        self.endResetModel()

    def row_item(self, row: int) -> LabelSummary | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not (0 <= column < len(self.HEADERS)):
            return
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        before = [self._rows[i.row()] for i in persistent]
        self._rows.sort(key=lambda item: _summary_key(item, column), reverse=order == Qt.SortOrder.DescendingOrder)
        where = {id(item): row for row, item in enumerate(self._rows)}
        self.changePersistentIndexList(
            persistent, [self.index(where[id(item)], i.column()) for item, i in zip(before, persistent, strict=True)]
        )
        self.layoutChanged.emit()

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            if section == 1 and self._segments:
                return "Segments"
            return self.HEADERS[section] if 0 <= section < len(self.HEADERS) else None
        return None

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._rows)):
            return None
        item = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                item.label,
                f"{item.occurrences:,}",
                f"{item.max_confidence:.1f}%",
                f"{item.mean_confidence:.1f}%",
                format_ms(item.first_ms),
                format_ms(item.last_ms),
                ", ".join(item.categories),
            )[col]
        if role == SortRole:
            return _summary_key(item, col)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _RIGHT if 1 <= col <= 5 else _LEFT
        if role == Qt.ItemDataRole.ToolTipRole and col in (0, 6):
            return f"{item.label}\nCategories: {', '.join(item.categories) or '—'}"
        return None


def _summary_key(item: LabelSummary, column: int) -> Any:
    key: tuple[Any, ...] = (
        item.label.lower(),
        item.occurrences,
        item.max_confidence,
        item.mean_confidence,
        item.first_ms,
        item.last_ms,
        ", ".join(item.categories).lower(),
    )
    return key[column]


class LabelFilterProxy(QSortFilterProxyModel):
    """Filters the label summary by the search text; sorting is passed to the source model, which sorts
    its Python list at once instead of letting the proxy call ``data()`` for every comparison."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._text = ""
        self.setSortRole(SortRole)
        self.setDynamicSortFilter(False)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        source = self.sourceModel()
        if source is not None:
            source.sort(column, order)

    def set_text(self, text: str) -> None:
        self.beginFilterChange()
        self._text = text
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: ModelIndex) -> bool:
        model = self.sourceModel()
        item = model.row_item(source_row) if isinstance(model, LabelSummaryModel) else None
        return item is None or label_matches(item, self._text)


@dataclass(frozen=True)
class _Column:
    title: str
    sort: str  # a gui.core.results.SORT_COLUMNS key


_TIMESTAMP_COLUMNS = (
    _Column("Timestamp", "timestamp"),
    _Column("Label", "label"),
    _Column("Confidence", "confidence"),
    _Column("Instances", "instances"),
)
_SEGMENT_COLUMNS = (
    _Column("Start", "start"),
    _Column("End", "end"),
    _Column("Duration", "duration"),
    _Column("Label", "label"),
    _Column("Confidence", "confidence"),
)


def _query_ids(
    cancel: Any, progress: Any, store: ResultsStore, key: tuple[Any, ...], generation: int
) -> tuple[int, array[int]]:
    lower_thread_priority()
    job_id, aggregation, sort, descending, search = key
    ids = store.detection_ids(job_id, aggregation, sort=sort, descending=descending, search=search)
    return generation, ids


def _load_block(
    cancel: Any, progress: Any, store: ResultsStore, ids: Sequence[int], generation: int, block: int
) -> tuple[int, int, list[Detection]]:
    lower_thread_priority()
    return generation, block, store.detections_by_id(ids)


class DetectionsModel(QAbstractTableModel):
    """A windowed view of a job's detections: sorted and filtered by SQLite on a worker.

    ``rowCount`` is the number of matching detections; rows arrive in blocks on demand (a row not loaded
    yet shows "…" until its block arrives, usually within a frame). Sorting (``sort``) and searching
    (``set_search``) start a query and swap the result in when it arrives.
    """

    BLOCK = 256
    MAX_BLOCKS = 64  # blocks kept in memory (LRU)

    queryFinished = Signal(int)  # matching rows
    blockLoaded = Signal(int)
    failed = Signal(object)  # UserMessage

    def __init__(self, store: ResultsStore, pool: QThreadPool | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.pool = pool or results_pool()
        self._job_id = ""
        self._aggregation = TIMESTAMPS
        self._sort = "timestamp"
        self._descending = False
        self._search = ""
        self._ids: array[int] = array("q")
        self._blocks: OrderedDict[int, list[Detection]] = OrderedDict()
        self._pending: set[int] = set()
        self._generation = 0
        self._queries = 0
        self._workers: dict[int, Worker] = {}

    # -- queries ----------------------------------------------------------------------------------------

    @property
    def columns(self) -> tuple[_Column, ...]:
        return _SEGMENT_COLUMNS if self._aggregation == SEGMENTS else _TIMESTAMP_COLUMNS

    @property
    def aggregation(self) -> str:
        return self._aggregation

    @property
    def busy(self) -> bool:
        return self._queries > 0 or bool(self._pending)

    def sort_key(self) -> tuple[str, bool]:
        return self._sort, self._descending

    def set_query(
        self,
        job_id: str,
        aggregation: str | None = None,
        *,
        sort: str | None = None,
        descending: bool | None = None,
        search: str | None = None,
    ) -> None:
        self._job_id = job_id
        if aggregation is not None:
            self._aggregation = aggregation
        if sort is not None:
            self._sort = sort
        if descending is not None:
            self._descending = descending
        if search is not None:
            self._search = search
        if self._sort not in {c.sort for c in self.columns}:
            self._sort = self.columns[0].sort
        self._generation += 1
        self._queries += 1
        key = (self._job_id, self._aggregation, self._sort, self._descending, self._search)
        worker = Worker(_query_ids, self.store, key, self._generation)
        worker.signals.result.connect(self._on_ids)
        self._run(worker, self._on_query_done)

    def set_search(self, text: str) -> None:
        if text != self._search and self._job_id:
            self.set_query(self._job_id, search=text)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not (0 <= column < len(self.columns)) or not self._job_id:
            return
        self.set_query(
            self._job_id, sort=self.columns[column].sort, descending=order == Qt.SortOrder.DescendingOrder
        )

    def _run(self, worker: Worker, done: Callable[[], None]) -> None:
        worker.signals.error.connect(self._on_error)
        worker.signals.finished.connect(done)
        self._workers[id(worker.signals)] = worker  # keep the Python wrapper (and its signals) alive
        self.pool.start(worker)

    def _forget(self) -> None:
        sender = self.sender()
        if sender is not None:
            self._workers.pop(id(sender), None)

    @Slot(object)
    def _on_ids(self, value: tuple[int, array[int]]) -> None:
        generation, ids = value
        if generation != self._generation:
            return
        self.beginResetModel()
        self._ids = ids
        self._blocks.clear()
        self._pending.clear()
        self.endResetModel()
        self.queryFinished.emit(len(ids))

    @Slot()
    def _on_query_done(self) -> None:
        self._queries -= 1
        self._forget()

    @Slot()
    def _on_block_done(self) -> None:
        self._forget()

    @Slot(object)
    def _on_error(self, message: UserMessage) -> None:
        self.failed.emit(message)

    def _request_block(self, block: int) -> None:
        if block in self._pending:
            return
        self._pending.add(block)
        start = block * self.BLOCK
        ids = self._ids[start : start + self.BLOCK].tolist()
        worker = Worker(_load_block, self.store, ids, self._generation, block)
        worker.signals.result.connect(self._on_block)
        self._run(worker, self._on_block_done)

    @Slot(object)
    def _on_block(self, value: tuple[int, int, list[Detection]]) -> None:
        generation, block, rows = value
        if generation != self._generation:
            return
        self._pending.discard(block)
        self._blocks[block] = rows
        while len(self._blocks) > self.MAX_BLOCKS:
            self._blocks.popitem(last=False)
        first = block * self.BLOCK
        last = min(len(self._ids), first + len(rows)) - 1
        if last >= first:
            self.dataChanged.emit(self.index(first, 0), self.index(last, self.columnCount() - 1))
        self.blockLoaded.emit(block)

    def detection(self, row: int) -> Detection | None:
        """The detection at ``row`` if its block is loaded (else None, and the block is requested)."""
        if not (0 <= row < len(self._ids)):
            return None
        block, offset = divmod(row, self.BLOCK)
        rows = self._blocks.get(block)
        if rows is None:
            self._request_block(block)
            return None
        self._blocks.move_to_end(block)
        return rows[offset] if offset < len(rows) else None

    # -- QAbstractTableModel ----------------------------------------------------------------------------

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self.columns[section].title if 0 <= section < len(self.columns) else None
        return str(section + 1)

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._ids)):
            return None
        column = self.columns[index.column()].sort
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _LEFT if column == "label" else _RIGHT
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, SortRole):
            return None
        d = self.detection(index.row())
        if d is None:
            return "…" if role == Qt.ItemDataRole.DisplayRole and column == "label" else None
        if role == SortRole:
            return _sort_value(d, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tooltip(d)
        return _display(d, column)


def _sort_value(d: Detection, column: str) -> Any:
    return {
        "timestamp": d.timestamp_ms,
        "label": d.label,
        "confidence": d.confidence,
        "instances": d.instance_count,
        "start": d.start_ms,
        "end": d.end_ms,
        "duration": d.duration_ms,
    }[column]


def _display(d: Detection, column: str) -> str:
    if column == "timestamp":
        return format_ms(d.timestamp_ms)
    if column == "label":
        return d.label
    if column == "confidence":
        return f"{d.confidence:.1f}%"
    if column == "instances":
        return str(d.instance_count) if d.instance_count else "—"
    if column == "start":
        return format_ms(d.start_ms if d.start_ms is not None else d.timestamp_ms)
    if column == "end":
        return format_ms(d.end_ms or 0)
    if column == "duration":
        return f"{(d.duration_ms or 0) / 1000:.3f} s"
    return ""


def _tooltip(d: Detection) -> str:
    lines = [f"{d.label} at {format_ms(d.timestamp_ms)} ({d.confidence:.1f}%)"]
    if d.categories:
        lines.append("Categories: " + ", ".join(d.categories))
    if d.parents:
        lines.append("Parents: " + ", ".join(d.parents))
    if d.aliases:
        lines.append("Aliases: " + ", ".join(d.aliases))
    for n, inst in enumerate(d.instances[:10], start=1):
        box = inst.get("BoundingBox") or {}
        lines.append(
            f"Instance {n}: {inst.get('Confidence', 0):.1f}% at left {box.get('Left', 0):.2f},"
            f" top {box.get('Top', 0):.2f}, {box.get('Width', 0):.2f}×{box.get('Height', 0):.2f}"
        )
    if len(d.instances) > 10:
        lines.append(f"… and {len(d.instances) - 10} more instances")
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------------------------
# Background tasks
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadedResult:
    aggregation: str
    summary: ResultSummary | None  # None: not in the cache
    labels: tuple[LabelSummary, ...] = ()
    timeline: TimelineData | None = None


def load_result(cancel: Any, progress: Any, store: ResultsStore, job_id: str, aggregation: str) -> LoadedResult:
    """Everything the view shows for one aggregation, except the detection rows (windowed)."""
    lower_thread_priority()
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
    job_id: str,
    store: ResultsStore,
    aggregations: tuple[str, ...],
) -> ResultSummary:
    lower_thread_priority()
    client = client_factory("rekognition")
    return fetch_and_store(client, job_id, store, cancel=cancel, progress=progress, aggregations=aggregations)


def _export_task(
    cancel: Any, progress: Any, store: ResultsStore, job_id: str, fmt: str, path: str, aggregation: str
) -> tuple[str, int]:
    lower_thread_priority()
    count = export_job(store, job_id, fmt, Path(path), aggregation=aggregation)
    return path, count


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
        save_dialog: SaveDialog | None = None,
        pool: QThreadPool | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("resultsView")
        self.store = store
        self.job_id = job_id
        self.video_uri = video_uri
        self.client_factory = client_factory
        self.save_dialog: SaveDialog = save_dialog or default_save_dialog
        self.pool = pool or results_pool()
        self.aggregation = TIMESTAMPS
        self.summary: ResultSummary | None = None
        self.last_message: UserMessage | None = None
        self._workers: dict[int, Worker] = {}
        self._fetching: tuple[str, ...] = ()
        self._fetch_worker: Worker | None = None
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
        self.exportButton = QPushButton("Export…", self)
        self.exportButton.setObjectName("exportButton")
        self.exportButton.clicked.connect(self._on_export_clicked)
        bar.addWidget(self.exportButton)
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
        self._setup_table(self.summaryTable)
        self.summaryTable.setSortingEnabled(True)
        self.summaryTable.sortByColumn(1, Qt.SortOrder.DescendingOrder)
        self.summaryTable.doubleClicked.connect(self._on_summary_double_clicked)
        self.summaryTable.selectionModel().selectionChanged.connect(self._on_summary_selected)

        self.detectionsModel = DetectionsModel(self.store, self.pool, self)
        self.detectionsModel.queryFinished.connect(self._on_detections_counted)
        self.detectionsModel.failed.connect(self._on_background_error)
        self.detectionsTable = QTableView(self)
        self.detectionsTable.setObjectName("detectionsTable")
        self.detectionsTable.setModel(self.detectionsModel)
        self._setup_table(self.detectionsTable)
        self.detectionsTable.horizontalHeader().setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        self.detectionsTable.setSortingEnabled(True)
        self.detectionsTable.selectionModel().currentRowChanged.connect(self._on_detection_current)

        self.summaryBox = self._titled(self.summaryTable, "Labels")
        self.detectionsBox = self._titled(self.detectionsTable, "Detections")
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
        self.splitter.addWidget(self._titled(self.timeline, "Timeline (most frequent labels first)"))
        self.splitter.addWidget(tables)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        layout.addWidget(self.splitter, 1)

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

    def _titled(self, widget: QWidget, title: str) -> QWidget:
        box = QWidget(self)
        v = QVBoxLayout(box)
        v.setContentsMargins(0, 4, 0, 0)
        v.setSpacing(2)
        caption = QLabel(title, box)
        caption.setStyleSheet("font-weight: bold;")
        v.addWidget(caption)
        v.addWidget(widget, 1)
        return box

    def _setup_table(self, table: QTableView) -> None:
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setAlternatingRowColors(True)
        table.setWordWrap(False)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.verticalHeader().setVisible(False)
        table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 6)
        table.horizontalHeader().setHighlightSections(False)
        table.horizontalHeader().setStretchLastSection(True)

    def _set_columns(self) -> None:
        """Sensible fixed widths from the font (resizing to contents would read every row)."""
        fm = self.fontMetrics()

        def w(sample: str) -> int:
            return fm.horizontalAdvance(sample) + 18

        summary = self.summaryTable.horizontalHeader()
        for col, sample in enumerate(
            ("Shipping Container", "Occurrences", "Max conf.", "Mean conf.", "00:00:00.000", "00:00:00.000")
        ):
            summary.resizeSection(col, w(sample))
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

    def fetch(self, aggregations: Sequence[str] = (TIMESTAMPS, SEGMENTS)) -> bool:
        """Fetch (again) from AWS in the background; False when no client factory or already fetching."""
        if self.client_factory is None or self._fetch_worker is not None:
            return False
        self._fetching = tuple(aggregations)
        worker = Worker(_fetch_task, self.client_factory, self.job_id, self.store, self._fetching)
        worker.signals.progress.connect(self._on_fetch_progress)
        worker.signals.result.connect(self._on_fetch_result)
        worker.signals.error.connect(self._on_fetch_error)
        worker.signals.finished.connect(self._on_fetch_finished)
        self._fetch_worker = worker
        self._show_progress(True, f"Fetching {self._fetching[0].lower()} from Amazon Rekognition…")
        self.fetchProgress.setRange(0, 0)
        self._start(worker)
        return True

    @property
    def fetching(self) -> bool:
        return self._fetch_worker is not None

    @Slot()
    def cancel_fetch(self) -> None:
        if self._fetch_worker is not None:
            self._fetch_worker.cancel()
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
        self._export_dir = Path(path).parent
        aggregation = SEGMENTS if fmt == "vtt" else self.aggregation
        if self.summary is not None and aggregation not in self.summary.aggregations:
            if self.fetching or self.fetch((aggregation,)):
                self._pending_export = (fmt, path)
                self._set_status("The segments are being fetched; the export follows.")
                return True
        self.exportButton.setEnabled(False)
        self._set_status(f"Exporting {FORMAT_NAMES[fmt]} to {path}…")
        worker = Worker(_export_task, self.store, self.job_id, fmt, path, aggregation)
        worker.signals.result.connect(self._on_exported)
        worker.signals.error.connect(self._on_export_error)
        worker.signals.finished.connect(self._on_export_finished)
        self._start(worker)
        return True

    def shutdown(self) -> None:
        """Stop background work (cooperatively) before the view goes away."""
        self.cancel_fetch()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)

    # -- workers ----------------------------------------------------------------------------------------

    def _start(self, worker: Worker) -> None:
        worker.signals.finished.connect(self._forget_worker)
        self._workers[id(worker.signals)] = worker
        self.pool.start(worker)

    @Slot()
    def _forget_worker(self) -> None:
        sender = self.sender()
        if sender is not None:
            self._workers.pop(id(sender), None)

    def _load(self, aggregation: str) -> None:
        worker = Worker(load_result, self.store, self.job_id, aggregation)
        worker.signals.result.connect(self._on_loaded)
        worker.signals.error.connect(self._on_background_error)
        self._start(worker)

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
            elif self.client_factory is not None:
                self.fetch((loaded.aggregation,) if loaded.summary is not None else (TIMESTAMPS, SEGMENTS))
            else:
                self._set_status(f"The {loaded.aggregation.lower()} results of this job are not in the local cache.")
            return
        segments = loaded.aggregation == SEGMENTS
        header = self.summaryTable.horizontalHeader()
        self.summaryModel.set_rows(
            loaded.labels, segments=segments, sort=(header.sortIndicatorSection(), header.sortIndicatorOrder())
        )
        self.timeline.set_data(loaded.timeline, segments=segments)
        self.timeline.set_filter(self.searchEdit.text())
        self.summaryProxy.set_text(self.searchEdit.text())
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
        self._fetch_worker = None
        self._show_progress(False)
        if self.summary is not None and self.aggregation in self.summary.aggregations:
            self._load(self.aggregation)
        if self._pending_export is not None:
            fmt, path = self._pending_export
            self._pending_export = None
            self.export(fmt, path)

    @Slot(object)
    def _on_exported(self, value: tuple[str, int]) -> None:
        path, count = value
        self._set_status(f"Exported to {path}.")
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
        self.timeline.set_filter(text)
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

    @Slot(QModelIndex, QModelIndex)
    def _on_detection_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        d = self.detectionsModel.detection(current.row()) if current.isValid() else None
        if d is not None:
            self.timeline.set_marker(d.label, d.timestamp_ms)

    @Slot(str, int)
    def _on_timeline_clicked(self, label: str, ms: int) -> None:
        self.timeline.set_marker(label, ms)
        self._set_status(f"{label} at {format_ms(ms)}")

    @Slot(int)
    def _on_detections_counted(self, rows: int) -> None:
        self._update_captions()

    # -- text -------------------------------------------------------------------------------------------

    def _update_title(self) -> None:
        s = self.summary
        video = self.video_uri or (s.video_uri if s else "")
        parts = [f"<b>{_html(video or 'Video')}</b>", f"job {_html(self.job_id)}"]
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
            self.setWindowTitle(f"Labels — {video}")

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

    def closeEvent(self, event: QCloseEvent) -> None:
        self.view.shutdown()
        super().closeEvent(event)


def open_results(
    parent: QWidget | None,
    *,
    job_id: str,
    video_uri: str,
    store: ResultsStore,
    client_factory: ClientFactory | None,
    save_dialog: SaveDialog | None = None,
    pool: QThreadPool | None = None,
) -> ResultsWindow:
    """Open (and show) a results window for ``job_id``: from the cache at once when stored, else fetched
    in the background with progress (``client_factory("rekognition")`` gives the boto3 client)."""
    view = ResultsView(
        store, job_id, video_uri=video_uri, client_factory=client_factory, save_dialog=save_dialog, pool=pool
    )
    window = ResultsWindow(view, parent)
    window.show()
    view.start()
    return window


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"
