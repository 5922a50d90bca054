"""The job list as an incremental table model, and the status/text filter proxy in front of it.

Rows change one at a time as the store reports them (:meth:`JobTableModel.apply`): a changed job emits
``dataChanged`` for its row only, new jobs are appended with ``beginInsertRows``, a removed job leaves
with ``beginRemoveRows``. A full reset happens only when the whole list is replaced (first load, or
another account/region chosen). The "Elapsed" column of active jobs is refreshed by one ``dataChanged``
over their span, once a second.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QAction, QBrush, QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from gui.core.cost import format_duration
from gui.core.jobstates import Action, JobStatus, allowed_actions
from gui.core.jobstore import JobRecord, Scope
from gui.qt.table_model import FlatTableModel
from gui.qt.text import plain_tooltip, shown

JobRole = Qt.ItemDataRole.UserRole + 1  # the JobRecord behind a row
SortRole = Qt.ItemDataRole.UserRole + 2  # a value that sorts naturally (times as numbers)
StatusRole = Qt.ItemDataRole.UserRole + 3  # the JobStatus value ("IN_PROGRESS", ...)

VIDEO, PRESET, SUBMITTED, STATUS, ELAPSED, JOB_ID, JOB_TAG, LABELS = range(8)
COLUMNS = ("Video", "Preset", "Submitted", "Status", "Elapsed", "JobId", "JobTag", "Labels")

AnyIndex = QModelIndex | QPersistentModelIndex

# The status filter's choices: (text, statuses shown; None: all).
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
NEEDS_ENGINE = frozenset({Action.RETRY, Action.FETCH_RESULTS, Action.CANCEL, Action.REMOVE})


def enabled_actions(records: Iterable[JobRecord], *, connected: bool) -> frozenset[Action]:
    """The actions the panel offers for the selected ``records``: any a selected job allows; "Open results"
    for exactly one job; the ones the engine carries out only while connected."""
    records = list(records)
    allowed: set[Action] = set()
    for r in records:
        allowed |= allowed_actions(r.status, r.results_fetched, has_job_id=bool(r.job_id))
    if len(records) != 1:
        allowed.discard(Action.OPEN_RESULTS)
    if not connected:
        allowed -= NEEDS_ENGINE
    return frozenset(allowed)


STATUS_COLORS = {
    JobStatus.QUEUED: "#8a8f98",
    JobStatus.SUBMITTING: "#c9a227",
    JobStatus.IN_PROGRESS: "#2f6fdb",
    JobStatus.SUCCEEDED: "#2e8540",
    JobStatus.FAILED: "#b3261e",
    JobStatus.CANCELLED: "#6b6b6b",
}
_STATUS_ORDER = {s: i for i, s in enumerate(JobStatus)}


def _dot(color: str) -> QIcon:
    pixmap = QPixmap(12, 12)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(QColor(color))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawEllipse(1, 1, 10, 10)
    painter.end()
    return QIcon(pixmap)


class JobTableModel(FlatTableModel):
    """Jobs of one scope (account, region, endpoint), oldest first; see :meth:`apply`."""

    columns = COLUMNS

    def __init__(self, parent: Any = None, *, clock: Callable[[], float] = time.time) -> None:
        super().__init__(parent)
        self.clock = clock
        self.scope: Scope | None = None
        self._rows: list[JobRecord] = []
        self._row_of: dict[int, int] = {}
        self._icons: dict[JobStatus, QIcon] = {}
        self._red = QBrush(QColor(STATUS_COLORS[JobStatus.FAILED]))
        self._grey = QBrush(QColor(STATUS_COLORS[JobStatus.CANCELLED]))

    # -- Qt model API -------------------------------------------------------------------------------------

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._rows)):
            return None
        r = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(r, col)
        if role == SortRole:
            return self._sort_key(r, col)
        if role == JobRole:
            return r
        if role == StatusRole:
            return r.status.value
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(r, col)
        if role == Qt.ItemDataRole.DecorationRole and col == STATUS:
            return self._icon(r.status)
        if role == Qt.ItemDataRole.ForegroundRole:
            if r.status is JobStatus.FAILED and col in (STATUS, VIDEO):
                return self._red
            if r.status is JobStatus.CANCELLED:
                return self._grey
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (ELAPSED, LABELS):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _display(self, r: JobRecord, col: int) -> str:
        if col == VIDEO:
            return shown(r.video_uri)
        if col == PRESET:
            return shown(r.preset) if r.preset else "Custom"
        if col == SUBMITTED:
            return datetime.fromtimestamp(r.submitted_at).strftime("%Y-%m-%d %H:%M:%S")
        if col == STATUS:
            return r.status.label
        if col == ELAPSED:
            return format_duration(r.elapsed(self.clock()))
        if col == JOB_ID:
            return r.job_id or ""
        if col == JOB_TAG:
            return shown(r.job_tag or "")
        if col == LABELS:
            return "" if r.label_count is None else str(r.label_count)
        return ""

    def _sort_key(self, r: JobRecord, col: int) -> Any:
        if col == SUBMITTED:
            return r.submitted_at
        if col == ELAPSED:
            return r.elapsed(self.clock())
        if col == STATUS:
            return _STATUS_ORDER[r.status]
        if col == LABELS:
            return -1 if r.label_count is None else r.label_count
        return self._display(r, col).lower()

    def _tooltip(self, r: JobRecord, col: int) -> str | None:
        if col == STATUS:
            return plain_tooltip(f"{r.status.label}: {shown(r.status_message)}") if r.status_message else r.status.label
        if col == VIDEO:
            return plain_tooltip(shown(r.video_uri) + (f"\n{shown(r.status_message)}" if r.status_message else ""))
        if col == JOB_ID and r.job_id:
            return plain_tooltip(f"{shown(r.job_id)}\nClientRequestToken {r.client_token}")
        if col == LABELS:
            return "Distinct labels found (after fetching the results)" if r.label_count is not None else (
                "Results not fetched yet" if r.status is JobStatus.SUCCEEDED else None
            )
        return None

    def _icon(self, status: JobStatus) -> QIcon:
        icon = self._icons.get(status)
        if icon is None:
            icon = self._icons[status] = _dot(STATUS_COLORS[status])
        return icon

    # -- content ------------------------------------------------------------------------------------------

    def record(self, row: int) -> JobRecord:
        return self._rows[row]

    def records(self) -> list[JobRecord]:
        return list(self._rows)

    def row_of(self, row_id: int) -> int | None:
        return self._row_of.get(row_id)

    def _belongs(self, r: JobRecord) -> bool:
        return not r.removed and (self.scope is None or r.scope == self.scope)

    def reset(self, records: Iterable[JobRecord], scope: Scope | None) -> None:
        """Replace the whole list (first load, or another scope): the only full reset."""
        self.beginResetModel()
        self.scope = scope
        self._rows = sorted((r for r in records if self._belongs(r)), key=lambda r: r.id)
        self._row_of = {r.id: i for i, r in enumerate(self._rows)}
        self.endResetModel()

    def apply(self, records: Iterable[JobRecord]) -> list[tuple[JobStatus | None, JobRecord]]:
        """Fold changed records in, row by row. Returns (previous status or None if new, record) for
        each record that entered or changed, so the caller can tell which jobs just ended."""
        changes: list[tuple[JobStatus | None, JobRecord]] = []
        inserts: list[JobRecord] = []
        latest = {r.id: r for r in records}  # a job changed twice in one batch: its last state wins
        for r in latest.values():
            row = self._row_of.get(r.id)
            if not self._belongs(r):
                if row is not None:
                    self._remove_row(row)
                continue
            if row is None:
                inserts.append(r)
                changes.append((None, r))
                continue
            old = self._rows[row]
            self._rows[row] = r
            if old != r:
                changes.append((old.status, r))
                self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))
        if inserts:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(inserts) - 1)
            for i, r in enumerate(inserts):
                self._rows.append(r)
                self._row_of[r.id] = first + i
            self.endInsertRows()
        return changes

    def _remove_row(self, row: int) -> None:
        self.beginRemoveRows(QModelIndex(), row, row)
        gone = self._rows.pop(row)
        del self._row_of[gone.id]
        for i in range(row, len(self._rows)):
            self._row_of[self._rows[i].id] = i
        self.endRemoveRows()

    def tick(self) -> None:
        """Refresh the Elapsed column of active jobs (one dataChanged over their span)."""
        active = [i for i, r in enumerate(self._rows) if r.status.is_active]
        if active:
            self.dataChanged.emit(self.index(active[0], ELAPSED), self.index(active[-1], ELAPSED),
                                  [Qt.ItemDataRole.DisplayRole, SortRole])


class JobFilterProxy(QSortFilterProxyModel):
    """Sorts by :data:`SortRole`; keeps rows whose status is in the chosen set and whose video, JobId,
    JobTag, preset or message contains the text (case-insensitive)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setSortRole(SortRole)
        self.setDynamicSortFilter(True)
        self._statuses: frozenset[JobStatus] | None = None
        self._text = ""

    @property
    def statuses(self) -> frozenset[JobStatus] | None:
        return self._statuses

    def set_statuses(self, statuses: Iterable[JobStatus] | None) -> None:
        value = None if statuses is None else frozenset(statuses)
        if value == self._statuses:
            return
        self.beginFilterChange()
        self._statuses = value
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def set_text(self, text: str) -> None:
        value = text.strip().lower()
        if value == self._text:
            return
        self.beginFilterChange()
        self._text = value
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: AnyIndex) -> bool:
        model = self.sourceModel()
        if not isinstance(model, JobTableModel) or source_parent.isValid():
            return True
        r = model.record(source_row)
        if self._statuses is not None and r.status not in self._statuses:
            return False
        if self._text:
            haystack = " ".join(
                x for x in (r.video_uri, r.job_id, r.job_tag, r.preset, r.status_message, r.status.label) if x
            ).lower()
            return self._text in haystack
        return True

    def record_at(self, index: AnyIndex) -> JobRecord | None:
        if not index.isValid():
            return None
        value = self.data(index, JobRole)
        return value if isinstance(value, JobRecord) else None


def job_table(proxy: JobFilterProxy, parent: QWidget) -> QTableView:
    """The job list's view (objectName ``jobTable``): rows selected whole, newest first, the video column
    stretched and elided in the middle (bucket and file name stay visible)."""
    table = QTableView(parent)
    table.setObjectName("jobTable")
    table.setAccessibleName("Jobs")
    table.setTabKeyNavigation(False)  # Tab leaves the table; arrows move inside it
    table.setModel(proxy)
    table.setSortingEnabled(True)
    table.sortByColumn(SUBMITTED, Qt.SortOrder.DescendingOrder)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
    table.verticalHeader().hide()
    table.verticalHeader().setDefaultSectionSize(22)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(False)
    widths = {VIDEO: 240, STATUS: 110, SUBMITTED: 130, ELAPSED: 64, LABELS: 56, PRESET: 110}
    for col in range(len(COLUMNS)):
        header.resizeSection(col, widths.get(col, 120))
    header.setSectionResizeMode(VIDEO, QHeaderView.ResizeMode.Stretch)  # no dead space on the right
    header.setMinimumSectionSize(48)
    # Status next to the video, so a narrow window still shows it; JobId and JobTag are in the details
    # line under the table (and a right click on the header shows them again).
    header.moveSection(header.visualIndex(STATUS), 1)
    for col in HIDDEN_BY_DEFAULT:
        table.setColumnHidden(col, True)
    header.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
    for col, title in enumerate(COLUMNS):
        if col == VIDEO:
            continue
        toggle = QAction(title, header)
        toggle.setCheckable(True)
        toggle.setChecked(not table.isColumnHidden(col))
        toggle.toggled.connect(lambda on, c=col: table.setColumnHidden(c, not on))
        header.addAction(toggle)
    return table


HIDDEN_BY_DEFAULT = (PRESET, JOB_ID, JOB_TAG)


def job_details(record: JobRecord | None, selected: int) -> str:
    """The line under the job list: the selected job's state and, above all, why it failed."""
    if record is None:
        return "" if not selected else f"{selected:,} jobs selected."
    parts = [f"{record.status.value.replace('_', ' ').capitalize()}: {shown(record.video_uri)}"]
    if record.job_id:
        parts.append(f"JobId {shown(record.job_id)}")
    if record.preset:
        parts.append(f"preset {shown(record.preset)}")
    if record.request.get("JobTag"):
        parts.append(f"JobTag {shown(str(record.request['JobTag']))}")
    text = " · ".join(parts)
    if record.status_message:
        text += f"\n{shown(record.status_message)}"
    return text
