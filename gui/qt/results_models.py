"""The results window's table models: the label summary (with its filter proxy) and the windowed detections.

The detections table is *windowed*: a task computes the ordered ids of the matching detections (one SQL
query, sorted and filtered by SQLite), and the rows themselves are loaded in blocks of
:attr:`DetectionsModel.BLOCK` as the view asks for them, so 100,000 detections sort and filter without
loading them all or blocking the GUI.
"""

from __future__ import annotations

from array import array
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    QThreadPool,
    Signal,
    Slot,
)

from gui.core.errors import UserMessage
from gui.core.results_store import SEGMENTS, TIMESTAMPS, Detection, LabelSummary, ResultsStore
from gui.qt.text import plain_tooltip
from gui.qt.timeline import format_ms
from gui.qt.workers import TaskRegistry

ModelIndex = QModelIndex | QPersistentModelIndex
SortRole = Qt.ItemDataRole.UserRole + 1

_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_LEFT = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)


def label_matches(item: LabelSummary, text: str) -> bool:
    """The search of a result, as the store applies it to the detections: a case-insensitive substring of the
    label's name, categories, parents or aliases (:attr:`LabelSummary.search_text`)."""
    needle = text.strip().lower()
    if not needle:
        return True
    if item.search_text:
        return needle in item.search_text.lower()
    return needle in item.label.lower() or any(needle in c.lower() for c in item.categories)


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

    def matching_labels(self, text: str) -> set[str]:
        """The labels a search for ``text`` keeps (the summary's, the timeline's and the detections' rule)."""
        return {item.label for item in self._rows if label_matches(item, text)}

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
            return plain_tooltip(f"{item.label}\nCategories: {', '.join(item.categories) or '—'}"
                                 f"\nParents: {', '.join(item.parents) or '—'}")
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
    sort: str  # a gui.core.results_store.SORT_COLUMNS key


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
    job_id, aggregation, sort, descending, search = key
    ids = store.detection_ids(job_id, aggregation, sort=sort, descending=descending, search=search)
    return generation, ids


def _load_block(
    cancel: Any, progress: Any, store: ResultsStore, ids: Sequence[int], generation: int, block: int
) -> tuple[int, int, list[Detection]]:
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
        """``pool``: the threads to query on (shared with the view); None: two threads of its own."""
        super().__init__(parent)
        self.store = store
        self.tasks = TaskRegistry(self, pool=pool, low_priority=True, name="detectionsTasks")
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
        self.tasks.run(_query_ids, self.store, key, self._generation, on_result=self._on_ids,
                       on_error=self._on_error, on_finished=self._on_query_done)

    def set_search(self, text: str) -> None:
        if text != self._search and self._job_id:
            self.set_query(self._job_id, search=text)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not (0 <= column < len(self.columns)) or not self._job_id:
            return
        self.set_query(
            self._job_id, sort=self.columns[column].sort, descending=order == Qt.SortOrder.DescendingOrder
        )

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

    @Slot(object)
    def _on_error(self, message: UserMessage) -> None:
        self.failed.emit(message)

    def _request_block(self, block: int) -> None:
        if block in self._pending:
            return
        self._pending.add(block)
        start = block * self.BLOCK
        ids = self._ids[start : start + self.BLOCK].tolist()
        self.tasks.run(_load_block, self.store, ids, self._generation, block, on_result=self._on_block,
                       on_error=self._on_error)

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

    def row_of(self, detection_id: int) -> int | None:
        """The row showing detection ``detection_id`` under the current query and sort; None when it is not
        shown (the search hides it)."""
        try:
            return self._ids.index(detection_id)
        except ValueError:
            return None

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
    return plain_tooltip("\n".join(lines))


# ----------------------------------------------------------------------------------------------------------
# Background tasks
# ----------------------------------------------------------------------------------------------------------
