"""The Library view's item models: the matching videos (rows appended as a search streams them) and the
moments of one video."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt

from gui.core.export import format_time
from gui.core.library import Moment, VideoMatch
from gui.qt.table_model import AnyIndex, FlatTableModel

SortRole = Qt.ItemDataRole.UserRole + 1
ItemRole = Qt.ItemDataRole.UserRole + 2


def _analysed_text(epoch: float | None) -> str:
    if epoch is None:
        return ""
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(epoch))


class VideosModel(FlatTableModel):
    """One row per matching video; rows arrive in batches (appended, never reset but for a new search)."""

    columns = ("Video", "Duration", "Analysed", "Preset / settings", "Labels", "Moments")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[VideoMatch] = []

    def clear(self) -> None:
        self.beginResetModel()
        self._rows = []
        self.endResetModel()

    def append(self, rows: Sequence[VideoMatch]) -> None:
        if not rows:
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
        self._rows.extend(rows)
        self.endInsertRows()

    def item(self, row: int) -> VideoMatch | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def items(self) -> list[VideoMatch]:
        return list(self._rows)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        m = self.item(index.row()) if index.isValid() else None
        if m is None:
            return None
        col = index.column()
        if role == ItemRole:
            return m
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                m.uri,
                format_time(m.duration_ms),
                _analysed_text(m.analysed_at),
                " · ".join(x for x in (m.preset, m.settings) if x),
                f"{m.label_count:,}",
                f"{len(m.moments):,}",
            )[col]
        if role == SortRole:
            return (m.uri.lower(), m.duration_ms, m.analysed_at or 0.0, (m.preset or "") + (m.settings or ""),
                    m.label_count, len(m.moments))[col]
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{m.uri}\njob {m.job_id} ({m.aggregation.lower()})"
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (1, 4, 5):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class MomentsModel(FlatTableModel):
    columns = ("Label", "Start", "End", "Length", "Confidence")

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
        m = self.item(index.row()) if index.isValid() else None
        if m is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return (m.label, format_time(m.start_ms), format_time(m.end_ms), format_time(m.end_ms - m.start_ms),
                    f"{m.confidence:.1f}")[index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() > 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class SortProxy(QSortFilterProxyModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setSortRole(SortRole)
