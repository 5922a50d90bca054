"""The Library view's item models: the matching videos (rows appended as a search streams them) and the
moments of one video."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QModelIndex, Qt

from gui.core.export import format_time
from gui.core.library import Moment, VideoMatch
from gui.qt.table_model import AnyIndex, FlatTableModel

ItemRole = Qt.ItemDataRole.UserRole + 1
_DISPLAY = Qt.ItemDataRole.DisplayRole
_TOOLTIP = Qt.ItemDataRole.ToolTipRole
_ALIGN = Qt.ItemDataRole.TextAlignmentRole
_ROLES = frozenset((_DISPLAY, _TOOLTIP, _ALIGN, ItemRole))  # data() answers these; every other is None
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


def _analysed_text(epoch: float | None) -> str:
    if epoch is None:
        return ""
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(epoch))


def _sort_key(column: int) -> Callable[[VideoMatch], Any]:
    """Column -> sort key. The Video column sorts by (bucket, key) as SQLite does, so rows streamed in
    search order are already in the default order and are simply appended."""
    keys: tuple[Callable[[VideoMatch], Any], ...] = (
        lambda m: (m.bucket, m.key),
        lambda m: m.duration_ms,
        lambda m: m.analysed_at or 0.0,
        lambda m: ((m.preset or "").lower(), (m.settings or "").lower()),
        lambda m: m.label_count,
        lambda m: len(m.moments),
    )
    return keys[column]


class VideosModel(FlatTableModel):
    """One row per matching video; rows arrive in batches and are appended (a new search resets).

    The model sorts itself (a proxy would call back into Python for every comparison: seconds for 10,000
    rows on the GUI thread); a batch arriving under another order than the search's is merged with one
    layout change."""

    columns = ("Video", "Duration", "Analysed", "Preset / settings", "Labels", "Moments")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[VideoMatch] = []
        self._texts: dict[int, tuple[str, ...]] = {}  # id(row) -> its display texts
        self._sort: tuple[int, Qt.SortOrder] = (0, Qt.SortOrder.AscendingOrder)

    def clear(self) -> None:
        self.beginResetModel()
        self._rows = []
        self._texts = {}
        self.endResetModel()

    def _natural(self) -> bool:
        return self._sort == (0, Qt.SortOrder.AscendingOrder)

    def append(self, rows: Sequence[VideoMatch]) -> None:
        if not rows:
            return
        if self._natural() or not self._rows:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
            self._rows.extend(rows)
            self.endInsertRows()
            if not self._natural():
                self.sort(*self._sort)
            return
        self._relayout(lambda: self._rows.extend(rows))

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.columns):
            return
        self._sort = (column, order)
        self._relayout(lambda: None)

    def _relayout(self, change: Callable[[], None]) -> None:
        """Apply ``change`` to the rows and re-sort them, keeping selections on their videos."""
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        held = [self._rows[i.row()] if 0 <= i.row() < len(self._rows) else None for i in persistent]
        change()
        column, order = self._sort
        self._rows.sort(key=_sort_key(column), reverse=order == Qt.SortOrder.DescendingOrder)
        where = {id(m): r for r, m in enumerate(self._rows)}
        self.changePersistentIndexList(
            persistent,
            [self.index(where[id(m)], i.column()) if m is not None else QModelIndex()
             for i, m in zip(persistent, held, strict=True)],
        )
        self.layoutChanged.emit()

    def item(self, row: int) -> VideoMatch | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def items(self) -> list[VideoMatch]:
        return list(self._rows)

    def row_of(self, job_id: str) -> int | None:
        for row, m in enumerate(self._rows):
            if m.job_id == job_id:
                return row
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # Qt asks about ten roles per painted cell: answer the others at once, and build a row's texts
        # once (painting 30 rows calls this thousands of times, each a call into Python).
        if role not in _ROLES:
            return None
        row = index.row()
        if not 0 <= row < len(self._rows):
            return None
        m = self._rows[row]
        if role == _DISPLAY:
            texts = self._texts.get(id(m))
            if texts is None:
                texts = self._texts[id(m)] = _texts(m)
            return texts[index.column()]
        if role == ItemRole:
            return m
        if role == _TOOLTIP:
            return f"{m.uri}\njob {m.job_id} ({m.aggregation.lower()})"
        return _RIGHT if index.column() in (1, 4, 5) else None


def _texts(m: VideoMatch) -> tuple[str, ...]:
    return (
        m.uri,
        format_time(m.duration_ms),
        _analysed_text(m.analysed_at),
        " · ".join(x for x in (m.preset, m.settings) if x),
        f"{m.label_count:,}",
        f"{len(m.moments):,}",
    )


class MomentsModel(FlatTableModel):
    columns = ("Label", "Start", "End", "Confidence", "Length")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[Moment] = []
        self.video: VideoMatch | None = None

    def set_video(self, video: VideoMatch | None) -> None:
        self.beginResetModel()
        self.video = video
        self._rows = list(video.moments) if video is not None else []
        self.endResetModel()

    def item(self, row: int) -> Moment | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != _DISPLAY and role != _ALIGN:
            return None
        m = self.item(index.row())
        if m is None:
            return None
        if role == _DISPLAY:
            return (m.label, format_time(m.start_ms), format_time(m.end_ms), f"{m.confidence:.1f}",
                    format_time(m.end_ms - m.start_ms))[index.column()]
        return _RIGHT if index.column() > 0 else None
