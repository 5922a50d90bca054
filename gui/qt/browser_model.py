"""The S3 listing as an incremental table model, and the sorting/filtering proxy in front of it.

Rows arrive page by page from a background listing. They are queued and inserted in chunks with
``beginInsertRows`` from a zero-delay timer, each chunk sized so that one insertion (including the proxy's
sorted insert) stays within a few milliseconds: the view stays scrollable and sortable while it grows.
Folders are kept at the top of the source model; the proxy keeps them first in either sort order.

Objects are stored as plain tuples ``(bucket, key, size, last_modified, etag)`` -- the first fields of
:class:`S3Object`, which :meth:`BrowserModel.item` rebuilds on demand. Tuples of atomic values are not
tracked by Python's cyclic garbage collector, so tens of thousands of rows neither make full collections
longer (each one pauses every thread, the GUI's included) nor trigger more of them; they also take less
than half the memory of dataclass instances.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QRegularExpression,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import QBrush, QColor, QFont, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QStyle

from gui.core.s3browse import Folder, ObjectRow, classify, human_size, type_label
from gui.core.types import MAX_VIDEO_BYTES, VIDEO_EXTENSIONS, S3Object
from gui.qt.table_model import FlatTableModel
from gui.qt.text import plain_tooltip, shown

ItemRole = Qt.ItemDataRole.UserRole + 1  # the Folder or S3Object behind a row
KindRole = Qt.ItemDataRole.UserRole + 2  # "folder", "video", "too-large", "other"
FilterRole = Qt.ItemDataRole.UserRole + 3  # "F\tname", "V\tname" or "O\tname": what the proxy's regex sees

NAME, SIZE, MODIFIED, TYPE = range(4)
COLUMNS = ("Name", "Size", "Last modified", "Type")

AnyIndex = QModelIndex | QPersistentModelIndex
Row = Folder | S3Object

MIN_CHUNK, MAX_CHUNK = 50, 2000


def _compact(obj: S3Object) -> ObjectRow:
    return (obj.bucket, obj.key, obj.size, obj.last_modified, obj.etag)


def _is_video_key(key: str) -> bool:
    return key.lower().endswith(VIDEO_EXTENSIONS)


def _kind(row: Folder | ObjectRow) -> str:
    if type(row) is Folder:
        return "folder"
    key, size = row[1], row[2]  # type: ignore[index]
    if not _is_video_key(key):
        return "other"
    return "too-large" if size > MAX_VIDEO_BYTES else "video"


def _name(row: Folder | ObjectRow) -> str:
    if type(row) is Folder:
        return row.name
    return row[1].rsplit("/", 1)[-1]  # type: ignore[index]


def _modified_text(when: Any) -> str:
    if when is None:
        return ""
    return when.astimezone().strftime("%Y-%m-%d %H:%M")


class BrowserModel(FlatTableModel):
    """Folders (first) and objects of one S3 "folder"; rows are appended in timed chunks."""

    columns = COLUMNS

    rowsAppended = Signal(int)  # total rows now in the model
    drained = Signal()  # the queue of pending rows is empty again

    def __init__(self, parent: Any = None, *, budget_ms: float = 5.0) -> None:
        super().__init__(parent)
        self._rows: list[Folder | ObjectRow] = []
        self._nfolders = 0
        self._videos = 0
        self._pending_folders: deque[Folder] = deque()
        self._pending_objects: deque[ObjectRow] = deque()
        self._pending_videos = 0
        self._chunk = 500
        self._budget = budget_ms / 1000.0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._flush)
        palette = QGuiApplication.palette()
        self._dim = QBrush(palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text))
        self._bad = QBrush(QColor("#b3261e"))
        self._bold = QFont()
        self._bold.setBold(True)
        style = QApplication.style()
        self._icons = {
            "folder": style.standardIcon(QStyle.StandardPixmap.SP_DirIcon),
            "video": style.standardIcon(QStyle.StandardPixmap.SP_MediaPlay),
            "too-large": style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning),
            "other": style.standardIcon(QStyle.StandardPixmap.SP_FileIcon),
        }

    # ---- contents -------------------------------------------------------------------------------

    def clear(self) -> None:
        self._timer.stop()
        self._pending_folders.clear()
        self._pending_objects.clear()
        self._pending_videos = 0
        self.beginResetModel()
        self._rows = []
        self._nfolders = 0
        self._videos = 0
        self.endResetModel()

    def enqueue(self, folders: list[Folder], objects: list[S3Object]) -> None:
        """Queue folders and objects; the first chunk is inserted at once, the rest on later event-loop turns."""
        self.enqueue_rows(folders, [_compact(o) for o in objects])

    def enqueue_rows(self, folders: list[Folder], rows: list[ObjectRow]) -> None:
        """Like :meth:`enqueue` with objects as compact rows (what a listing page carries)."""
        self._pending_folders.extend(folders)
        self._pending_objects.extend(rows)
        self._pending_videos += sum(1 for r in rows if _is_video_key(r[1]))
        if not self._timer.isActive():
            self._flush()

    @property
    def pending(self) -> int:
        return len(self._pending_folders) + len(self._pending_objects)

    def flush_all(self) -> None:
        """Insert everything queued now (tests, small listings)."""
        self._timer.stop()
        while self.pending:
            self._insert_chunk(MAX_CHUNK * 10)
        self.drained.emit()

    @Slot()
    def _flush(self) -> None:
        start = time.perf_counter()
        inserted = self._insert_chunk(self._chunk)
        elapsed = time.perf_counter() - start
        if inserted >= self._chunk:  # adapt the chunk to the time budget
            if elapsed < self._budget / 2:
                self._chunk = min(MAX_CHUNK, self._chunk * 2)
            elif elapsed > self._budget:
                self._chunk = max(MIN_CHUNK, self._chunk // 2)
        if self.pending:
            self._timer.start()
        else:
            self.drained.emit()

    def _insert_chunk(self, limit: int) -> int:
        done = 0
        if self._pending_folders:
            folders = list(self._pending_folders)
            self._pending_folders.clear()
            at = self._nfolders
            self.beginInsertRows(QModelIndex(), at, at + len(folders) - 1)
            self._rows[at:at] = folders
            self._nfolders += len(folders)
            self.endInsertRows()
            done += len(folders)
        n = min(limit, len(self._pending_objects))
        if n:
            pop = self._pending_objects.popleft
            batch = [pop() for _ in range(n)]
            at = len(self._rows)
            self.beginInsertRows(QModelIndex(), at, at + n - 1)
            self._rows.extend(batch)
            videos = sum(1 for o in batch if _is_video_key(o[1]))
            self._videos += videos
            self._pending_videos -= videos
            self.endInsertRows()
            done += n
        if done:
            self.rowsAppended.emit(len(self._rows))
        return done

    def item(self, row: int) -> Row:
        """The Folder or S3Object behind a source row."""
        value = self._rows[row]
        return value if type(value) is Folder else S3Object(*value)  # type: ignore[misc]

    def items(self) -> list[Row]:
        return [self.item(r) for r in range(len(self._rows))]

    def objects(self) -> list[S3Object]:
        return [S3Object(*r) for r in self._rows[self._nfolders :]]  # type: ignore[misc]

    def folder_count(self) -> int:
        return self._nfolders

    def object_count(self) -> int:
        return len(self._rows) - self._nfolders

    def video_count(self) -> int:
        return self._videos

    def total_objects(self) -> int:
        """Objects in the model plus those still queued for insertion."""
        return self.object_count() + len(self._pending_objects)

    def total_videos(self) -> int:
        return self._videos + self._pending_videos

    # ---- Qt model interface ---------------------------------------------------------------------

    def index(self, row: int, column: int, parent: AnyIndex = QModelIndex()) -> QModelIndex:  # noqa: B008
        # Qt's default calls rowCount() and columnCount() (two calls into Python) for every index the
        # proxy maps, i.e. for every cell and role painted; one call is enough.
        if parent.isValid() or not (0 <= row < len(self._rows) and 0 <= column < len(COLUMNS)):
            return QModelIndex()
        return self.createIndex(row, column)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role not in _ROLES or not index.isValid():
            return None
        row, col = index.row(), index.column()
        if row >= len(self._rows):
            return None
        value = self._rows[row]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(value, col)
        if role == ItemRole:
            return self.item(row)
        if role == FilterRole:
            kind = _kind(value)
            tag = "F" if kind == "folder" else "O" if kind == "other" else "V"
            return f"{tag}\t{_name(value)}"
        kind = _kind(value)
        if role == KindRole:
            return kind
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(self.item(row), kind)
        if role == Qt.ItemDataRole.ForegroundRole:
            if kind == "other":
                return self._dim
            if kind == "too-large":
                return self._bad
            return None
        if role == Qt.ItemDataRole.FontRole:
            return self._bold if kind == "video" and col == NAME else None
        if role == Qt.ItemDataRole.DecorationRole and col == NAME:
            return self._icons[kind]
        if role == Qt.ItemDataRole.TextAlignmentRole and col == SIZE:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    @staticmethod
    def _display(value: Folder | ObjectRow, col: int) -> str:
        if type(value) is Folder:
            if col == NAME:
                return shown(value.name) + "/"
            return "Folder" if col == TYPE else ""
        _bucket, key, size, modified, _etag = value  # type: ignore[misc]
        if col == NAME:
            return shown(key.rsplit("/", 1)[-1])
        if col == SIZE:
            return human_size(size)
        if col == MODIFIED:
            return _modified_text(modified)
        if col == TYPE:
            obj = S3Object(*value)  # type: ignore[misc]
            label = type_label(obj)
            return label + " (too large)" if classify(obj) == "too-large" else label
        return ""

    @staticmethod
    def _tooltip(item: Row, kind: str) -> str:
        if kind == "folder":
            return plain_tooltip(f"{shown(item.uri)}\nDouble-click to open.")
        obj: S3Object = item  # type: ignore[assignment]
        if kind == "video":
            return plain_tooltip(f"{shown(obj.uri)}\n{obj.size:,} bytes")
        return plain_tooltip(f"{shown(obj.uri)}\nNot eligible: {obj.ineligible_reason}")


_ROLES = frozenset(
    {
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.ToolTipRole,
        Qt.ItemDataRole.ForegroundRole,
        Qt.ItemDataRole.FontRole,
        Qt.ItemDataRole.DecorationRole,
        Qt.ItemDataRole.TextAlignmentRole,
        ItemRole,
        KindRole,
        FilterRole,
    }
)


def _sort_key(value: Folder | ObjectRow, col: int) -> Any:
    if type(value) is Folder:
        return value.name.casefold()
    _bucket, key, size, modified, _etag = value  # type: ignore[misc]
    name = key.rsplit("/", 1)[-1].casefold()
    if col == SIZE:
        return size
    if col == MODIFIED:
        return modified.timestamp() if modified else 0.0
    if col == TYPE:
        return (name.rsplit(".", 1)[-1] if "." in name else "", name)
    return name


class BrowserProxy(QSortFilterProxyModel):
    """Sorting (folders always first) and the "Videos only" / name filters, read straight from the rows."""

    def __init__(self, source: BrowserModel, parent: Any = None) -> None:
        super().__init__(parent)
        self._src = source
        self._videos_only = False
        self._text = ""
        self._order = Qt.SortOrder.AscendingOrder
        self.setDynamicSortFilter(True)
        self.setFilterRole(FilterRole)
        self.setFilterKeyColumn(NAME)
        self.setSourceModel(source)

    def set_videos_only(self, on: bool) -> None:
        if on != self._videos_only:
            self._videos_only = on
            self._apply_filter()

    def set_name_filter(self, text: str) -> None:
        text = text.strip()
        if text != self._text:
            self._text = text
            self._apply_filter()

    def _apply_filter(self) -> None:
        """Qt's own regular-expression filter on :data:`FilterRole`: with no filter the pattern is empty
        and Qt accepts rows without calling into Python (a Python ``filterAcceptsRow`` would cost one
        call per row inserted)."""
        pattern = ""
        if self._videos_only or self._text:
            pattern = "^[FV]\t" if self._videos_only else "^[FVO]\t"
            if self._text:
                pattern += ".*" + QRegularExpression.escape(self._text)
        self.setFilterRegularExpression(
            QRegularExpression(pattern, QRegularExpression.PatternOption.CaseInsensitiveOption)
        )

    @property
    def filtering(self) -> bool:
        return self._videos_only or bool(self._text)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self._order = order
        super().sort(column, order)

    def lessThan(self, left: AnyIndex, right: AnyIndex) -> bool:
        rows = self._src._rows
        a, b = rows[left.row()], rows[right.row()]
        fa, fb = type(a) is Folder, type(b) is Folder
        if fa != fb:  # folders first in both orders (the view reverses descending results)
            return fa if self._order == Qt.SortOrder.AscendingOrder else fb
        col = left.column()
        return _sort_key(a, col) < _sort_key(b, col)

    def item(self, proxy_row: int) -> Row:
        return self._src.item(self.mapToSource(self.index(proxy_row, 0)).row())
