"""The label tree model: 40 categories (+ "Uncategorized") → 3,082 labels, plus a "Custom labels" group.

Columns: Label | Include | Exclude | Aliases (the label column also shows "— aka <aliases>", so a narrow
view can hide the last column). Include/Exclude are checkable and mutually exclusive on a
row; a category row sets ``LabelCategory*Filters``, a label row ``Label*Filters``. The model only adapts
:class:`gui.core.filters.FilterSelection`; the rules (limits, characters) live there and a refused
click is reported through :attr:`LabelTreeModel.limitReached` — never dropped silently.

:class:`LabelFilterProxy` filters as you type (case-insensitive substring over names and aliases) and
can show checked rows only. Each keystroke matches the precomputed lower-case strings in one Python
pass (narrowed from the previous result while the text grows); Qt's per-row callback is then a dict
lookup, and only for rows under groups that have matches. While a search is on, rows are listed by
:func:`gui.core.textmatch.match_rank` (exact, then prefix, then word matches), groups by their best row.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QIcon, QPainter, QPen, QPixmap

from gui.core.filters import FilterSelection, Mark
from gui.core.taxonomy import UNCATEGORIZED, Taxonomy, load_taxonomy
from gui.core.textmatch import match_rank
from gui.core.types import LabelFilters

Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()  # the invalid index, shared as a default argument

COL_NAME, COL_INCLUDE, COL_EXCLUDE, COL_ALIASES = range(4)
HEADERS = ("Label", "Include", "Exclude", "Aliases")
_N_COLUMNS = len(HEADERS)
CUSTOM_GROUP = "Custom labels"

NameRole = Qt.ItemDataRole.UserRole + 1  # bare name (no counts)
KindRole = Qt.ItemDataRole.UserRole + 2  # "category", "uncategorized", "custom-group", "label", "custom"
MarkRole = Qt.ItemDataRole.UserRole + 3  # int(Mark)
BoundingBoxRole = Qt.ItemDataRole.UserRole + 4  # bool

_DIM = QBrush(QColor(140, 140, 140))
_ROLES = frozenset(
    {
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.DecorationRole,
        Qt.ItemDataRole.ForegroundRole,
        Qt.ItemDataRole.CheckStateRole,
        Qt.ItemDataRole.ToolTipRole,
        NameRole,
        KindRole,
        MarkRole,
        BoundingBoxRole,
    }
)
MAX_RANKED_ROWS = 600  # see LabelFilterProxy._rank_groups
_bbox_icon: QIcon | None = None
_blank_icon: QIcon | None = None


def bounding_box_icon() -> QIcon:
    """A small dashed frame: 'this label can come with bounding boxes'. Drawn once, on first use."""
    global _bbox_icon
    if _bbox_icon is None:
        pix = QPixmap(14, 14)
        pix.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pix)
        pen = QPen(QColor(30, 120, 200))
        pen.setWidth(2)
        painter.setPen(pen)
        painter.drawRect(2, 3, 10, 8)
        painter.end()
        _bbox_icon = QIcon(pix)
    return _bbox_icon


def blank_icon() -> QIcon:
    """Same size as :func:`bounding_box_icon`, transparent: keeps label names aligned."""
    global _blank_icon
    if _blank_icon is None:
        pix = QPixmap(14, 14)
        pix.fill(Qt.GlobalColor.transparent)
        _blank_icon = QIcon(pix)
    return _blank_icon


@dataclass
class _Group:
    name: str
    kind: str  # "category", "uncategorized", "custom-group"
    labels: list[str] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)  # per child: "label" or "category" (custom only)
    hay: list[str] = field(default_factory=list)  # per child: lower-case "name\x00alias\x00alias"


class LabelTreeModel(QAbstractItemModel):
    """A two-level tree over a :class:`FilterSelection`. Top rows are groups; children are labels."""

    filtersChanged = Signal()
    limitReached = Signal(str)  # a refused change, as a message for the user

    def __init__(self, taxonomy: Taxonomy | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.taxonomy = taxonomy or load_taxonomy()
        self.selection = FilterSelection(self.taxonomy)
        self._groups: list[_Group] = []
        self._group_of: dict[str, int] = {}  # category name -> group row
        self._label_pos: dict[str, tuple[int, int]] = {}  # catalogue label -> (group row, child row)
        self._checked_counts: list[int] | None = None  # per group, recomputed lazily after a change
        self._build()

    # ---- structure ----------------------------------------------------------------------------------
    def _build(self) -> None:
        groups: list[_Group] = []
        by_category = self.taxonomy.by_category()
        for cat in self.taxonomy.categories:
            infos = by_category.get(cat, [])
            kind = "uncategorized" if cat == UNCATEGORIZED else "category"
            names = [i.name for i in infos]
            hay = ["\x00".join((i.name, *i.aliases)).casefold() for i in infos]
            groups.append(_Group(cat, kind, names, ["label"] * len(names), hay))
        groups.append(_Group(CUSTOM_GROUP, "custom-group"))
        self._groups = groups
        self._group_of = {g.name: r for r, g in enumerate(groups) if g.kind != "custom-group"}
        self._label_pos = {
            name: (r, c)
            for r, g in enumerate(groups)
            if g.kind != "custom-group"
            for c, name in enumerate(g.labels)
        }
        self._refill_custom()

    def _custom(self) -> _Group:
        return self._groups[-1]

    def _refill_custom(self) -> None:
        group = self._custom()
        sel = self.selection
        group.labels = [*sel.custom_labels, *sel.custom_categories]
        group.targets = ["label"] * len(sel.custom_labels) + ["category"] * len(sel.custom_categories)
        group.hay = [n.casefold() for n in group.labels]

    # ---- Qt model API -------------------------------------------------------------------------------
    def index(self, row: int, column: int, parent: Index = _ROOT) -> QModelIndex:
        # Bounds checked here rather than with hasIndex(), which would call back into Python twice:
        # the proxy calls index() thousands of times per keystroke.
        if row < 0 or not 0 <= column < _N_COLUMNS:
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, column, 0) if row < len(self._groups) else QModelIndex()
        if parent.internalId() != 0 or parent.column() != 0:
            return QModelIndex()
        group = parent.row()
        if row >= len(self._groups[group].labels):
            return QModelIndex()
        return self.createIndex(row, column, group + 1)

    def parent(self, child: Index | None = None) -> Any:  # type: ignore[override]
        if child is None:  # QObject.parent()
            return super().parent()
        if not child.isValid():
            return QModelIndex()
        gid = child.internalId()
        if gid == 0:
            return QModelIndex()
        return self.createIndex(gid - 1, 0, 0)

    def rowCount(self, parent: Index = _ROOT) -> int:
        if not parent.isValid():
            return len(self._groups)
        if parent.internalId() == 0 and parent.column() == 0:
            return len(self._groups[parent.row()].labels)
        return 0

    def columnCount(self, parent: Index = _ROOT) -> int:
        return _N_COLUMNS

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < 4
        ):
            return HEADERS[section]
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole:
            return {
                COL_INCLUDE: "Category rows: LabelCategoryInclusionFilters. Label rows: LabelInclusionFilters. "
                "Key: Space on the focused row.",
                COL_EXCLUDE: "Category rows: LabelCategoryExclusionFilters. Label rows: LabelExclusionFilters. "
                "Keys: Shift+Space or X on the focused row.",
            }.get(section)
        return None

    def _row(self, index: Index) -> tuple[_Group, int | None]:
        """(group, child row or None for the group row itself)."""
        gid = index.internalId()
        if gid == 0:
            return self._groups[index.row()], None
        return self._groups[gid - 1], index.row()

    def _target_and_name(self, group: _Group, child: int | None) -> tuple[str | None, str]:
        """Which filter lists a row drives ("label"/"category"/None) and the name it sends."""
        if child is None:
            return ("category" if group.kind == "category" else None), group.name
        return group.targets[child], group.labels[child]

    def _kind(self, group: _Group, child: int | None) -> str:
        if child is None:
            return group.kind
        return "custom" if group.kind == "custom-group" else "label"

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() in (COL_INCLUDE, COL_EXCLUDE):
            target, _ = self._target_and_name(*self._row(index))
            if target is not None:
                return base | Qt.ItemFlag.ItemIsUserCheckable
        return base

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role not in _ROLES:
            return None
        group, child = self._row(index)
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == COL_NAME:
                if child is None:
                    return self._group_text(group)
                name = group.labels[child]
                info = self.taxonomy.labels.get(name) if group.kind != "custom-group" else None
                return f"{name} — aka {', '.join(info.aliases)}" if info and info.aliases else name
            if col == COL_ALIASES and child is not None:
                if group.kind == "custom-group":
                    return "custom category" if group.targets[child] == "category" else "custom label"
                info = self.taxonomy.labels.get(group.labels[child])
                return ", ".join(info.aliases) if info and info.aliases else None
            return None
        if role == Qt.ItemDataRole.DecorationRole:
            if col != COL_NAME or child is None:
                return None
            info = self.taxonomy.labels.get(group.labels[child]) if group.kind != "custom-group" else None
            return bounding_box_icon() if info and info.bounding_box else blank_icon()
        if role == Qt.ItemDataRole.ForegroundRole:
            if col == COL_NAME and child is not None and group.kind == "category":
                if self.selection.category_mark(group.name) == Mark.EXCLUDE:
                    return _DIM
            return None
        target, name = self._target_and_name(group, child)
        if role == Qt.ItemDataRole.CheckStateRole:
            if col not in (COL_INCLUDE, COL_EXCLUDE) or not target:
                return None
            wanted = Mark.INCLUDE if col == COL_INCLUDE else Mark.EXCLUDE
            return (
                Qt.CheckState.Checked
                if self.selection.mark(target, name) == wanted
                else Qt.CheckState.Unchecked
            )
        if role == NameRole:
            return name
        if role == KindRole:
            return self._kind(group, child)
        if role == MarkRole:
            return int(self.selection.mark(target, name) if target else Mark.NONE)
        if role == BoundingBoxRole:
            info = self.taxonomy.get(name) if child is not None else None
            return bool(info and info.bounding_box)
        if role == Qt.ItemDataRole.ToolTipRole and col in (COL_NAME, COL_ALIASES):
            return self._tooltip(group, child, name)
        return None

    def _checked_in(self, group: _Group) -> int:
        if self._checked_counts is None:
            mark = self.selection.mark
            self._checked_counts = [
                sum(1 for t, lbl in zip(g.targets, g.labels, strict=True) if mark(t, lbl))
                for g in self._groups
            ]
        return self._checked_counts[self._groups.index(group)]

    def _group_text(self, group: _Group) -> str:
        n = len(group.labels)
        checked = self._checked_in(group)
        return f"{group.name} ({checked} of {n})" if checked else f"{group.name} ({n})"

    def _tooltip(self, group: _Group, child: int | None, name: str) -> str:
        if child is None:
            if group.kind == "uncategorized":
                return "Labels AWS lists without a category; check them one by one."
            if group.kind == "custom-group":
                return "Names the shipped catalogue lacks (AWS adds labels over time). Sent exactly as typed."
            checked = self._checked_in(group)
            return f"Category '{name}': {len(group.labels)} labels, {checked} of them checked."
        if group.kind == "custom-group":
            return f"Custom {group.targets[child]} '{name}' (not in the shipped catalogue)."
        info = self.taxonomy.get(name)
        parts = [f"{name} — category: {group.name}."]
        if info and info.aliases:
            parts.append(f"Also known as: {', '.join(info.aliases)}.")
        if info and info.bounding_box:
            parts.append("Can return bounding boxes.")
        cat_mark = self.selection.category_mark(group.name) if group.kind == "category" else Mark.NONE
        if cat_mark == Mark.INCLUDE:
            parts.append("Included through its category.")
        elif cat_mark == Mark.EXCLUDE:
            parts.append("Its category is excluded, so it is not returned.")
        return " ".join(parts)

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.CheckStateRole or index.column() not in (COL_INCLUDE, COL_EXCLUDE):
            return False
        group, child = self._row(index)
        target, name = self._target_and_name(group, child)
        if target is None:
            return False
        checked = _as_check_state(value) == Qt.CheckState.Checked
        wanted = Mark.INCLUDE if index.column() == COL_INCLUDE else Mark.EXCLUDE
        return self.set_mark(target, name, wanted if checked else Mark.NONE)

    # ---- operations used by the widget and tests ----------------------------------------------------
    def set_mark(self, target: str, name: str, mark: Mark) -> bool:
        """Change one row; emits ``limitReached`` and returns False when the rules refuse it."""
        if self.selection.mark(target, name) == mark:
            return True
        change = self.selection.set_mark(target, name, mark)
        if not change.ok:
            self.limitReached.emit(change.message or "That change is not allowed.")
            return False
        self._row_changed(target, name)
        self.filtersChanged.emit()
        return True

    def _row_changed(self, target: str, name: str) -> None:
        self._checked_counts = None
        idx = self.index_of(target, name)
        if not idx.isValid():
            return
        self.dataChanged.emit(idx.siblingAtColumn(COL_NAME), idx.siblingAtColumn(COL_ALIASES))
        if idx.internalId() == 0:  # a category: its labels' tooltips/colour follow
            n = self.rowCount(idx)
            if n:
                self.dataChanged.emit(self.index(0, COL_NAME, idx), self.index(n - 1, COL_ALIASES, idx))
        else:  # the group row shows "· N checked"
            parent = idx.parent()
            self.dataChanged.emit(parent, parent)

    def index_of(self, target: str, name: str, column: int = COL_NAME) -> QModelIndex:
        if target == "category" and name in self._group_of:
            return self.index(self._group_of[name], column)
        if target == "label" and name in self._label_pos:
            g, c = self._label_pos[name]
            return self.index(c, column, self.index(g, 0))
        custom = self._custom()
        for c, (t, n) in enumerate(zip(custom.targets, custom.labels, strict=True)):
            if t == target and n == name:
                return self.index(c, column, self.index(len(self._groups) - 1, 0))
        return QModelIndex()

    def custom_group_index(self) -> QModelIndex:
        return self.index(len(self._groups) - 1, 0)

    def filters(self) -> LabelFilters:
        return self.selection.to_filters()

    def set_filters(self, filters: LabelFilters) -> list[str]:
        """Replace the whole selection (a preset was loaded). Returns notices (custom labels etc.)."""
        selection, notices = FilterSelection.from_filters(filters, self.taxonomy)
        self.beginResetModel()
        self.selection = selection
        self._refill_custom()
        self._checked_counts = None
        self.endResetModel()
        self.filtersChanged.emit()
        return notices

    def clear_all(self) -> None:
        """Uncheck everything; only the groups that had a checked row are repainted."""
        if self.selection.is_empty():
            return
        mark = self.selection.mark
        touched = [
            row
            for row, g in enumerate(self._groups)
            if (g.kind == "category" and self.selection.category_mark(g.name))
            or any(mark(t, lbl) for t, lbl in zip(g.targets, g.labels, strict=True))
        ]
        self.selection.clear()
        self._checked_counts = None
        for row in touched:
            parent = self.index(row, 0)
            self.dataChanged.emit(parent, parent.siblingAtColumn(COL_ALIASES))
            n = self.rowCount(parent)
            if n:
                self.dataChanged.emit(self.index(0, 0, parent), self.index(n - 1, COL_ALIASES, parent))
        self.filtersChanged.emit()

    def add_custom_label(self, name: str, mark: Mark = Mark.INCLUDE) -> str | None:
        """Add a label the catalogue lacks (and check it). Returns a problem message, or None."""
        name = name.strip()
        problem = self.selection.custom_label_problem(name)
        if problem:
            return problem
        custom = self._custom()
        row = len(self.selection.custom_labels)  # labels come before custom categories
        self.beginInsertRows(self.custom_group_index(), row, row)
        self.selection.add_custom_label(name)
        self._refill_custom()
        self._checked_counts = None
        self.endInsertRows()
        group_index = self.custom_group_index()
        self.dataChanged.emit(group_index, group_index)
        if mark != Mark.NONE and not self.set_mark("label", name, mark):
            return None  # added, unchecked; limitReached already told the user why
        assert custom is self._custom()
        self.filtersChanged.emit()
        return None

    def remove_custom(self, target: str, name: str) -> bool:
        idx = self.index_of(target, name)
        if not idx.isValid() or idx.internalId() != len(self._groups):
            return False
        self.beginRemoveRows(self.custom_group_index(), idx.row(), idx.row())
        self.selection.set_mark(target, name, Mark.NONE)
        if target == "label":
            self.selection.custom_labels.remove(name)
        else:
            self.selection.custom_categories.remove(name)
        self._refill_custom()
        self._checked_counts = None
        self.endRemoveRows()
        group_index = self.custom_group_index()  # its count changed; a filtering proxy re-tests it
        self.dataChanged.emit(group_index, group_index)
        self.filtersChanged.emit()
        return True

    # ---- for the proxy ------------------------------------------------------------------------------
    def search_matches(self, needle: str, within: list[dict[int, int]] | None = None) -> list[dict[int, int]]:
        """Per catalogue group, ``{child row: rank}`` for the rows whose name or aliases contain ``needle``
        (casefolded); the rank orders them (:func:`gui.core.textmatch.match_rank`).

        One Python pass per keystroke instead of one callback per row; only matching rows are ranked.
        ``within`` narrows an earlier result (for a needle that extends the previous one). The custom group
        is not covered: its rows change at run time, so the proxy matches those live.
        """
        out: list[dict[int, int]] = []
        for g, group in enumerate(self._groups[:-1]):
            hay = group.hay
            rows = range(len(hay)) if within is None else within[g]
            out.append({r: self._rank(needle, group, r) for r in rows if needle in hay[r]})
        return out

    def _rank(self, needle: str, group: _Group, row: int) -> int:
        name, *aliases = group.hay[row].split("\x00")
        rank = match_rank(needle, name, aliases)
        return 99 if rank is None else rank

    def row_rank(self, group_row: int, child_row: int | None, needle: str) -> int:
        """The rank of one row for ``needle`` (a group row: by its own name); 99 when it does not match."""
        group = self._groups[group_row]
        if child_row is None:
            rank = match_rank(needle, group.name)
        else:
            rank = match_rank(needle, group.labels[child_row])
        return 99 if rank is None else rank

    def row_checked(self, group_row: int, child_row: int | None) -> bool:
        """Whether the row's own Include/Exclude box is checked (a category row: its category mark)."""
        group = self._groups[group_row]
        if child_row is None:
            return group.kind == "category" and bool(self.selection.category_mark(group.name))
        return bool(self.selection.mark(group.targets[child_row], group.labels[child_row]))

    def child_count(self, group_row: int) -> int:
        return len(self._groups[group_row].labels)

    def row_accepted(self, group_row: int, child_row: int | None, needle: str, checked_only: bool) -> bool:
        """The row's own test (not counting its children): checked if asked, and contains ``needle``."""
        group = self._groups[group_row]
        if checked_only and not self.row_checked(group_row, child_row):
            return False
        if child_row is None:
            return not needle or needle in group.name.casefold()
        return not needle or needle in group.hay[child_row]


def _as_check_state(value: Any) -> Qt.CheckState:
    if isinstance(value, Qt.CheckState):
        return value
    try:
        return Qt.CheckState(int(value))
    except (TypeError, ValueError):
        return Qt.CheckState.Unchecked


class LabelFilterProxy(QSortFilterProxyModel):
    """Search as you type over names and aliases; optionally only checked rows. Parents of matches show.

    Speed: a keystroke decides every catalogue row's match in one Python pass
    (:meth:`LabelTreeModel.search_matches`, narrowed from the previous result when the text grows), so
    :meth:`filterAcceptsRow` is a set lookup. Qt's recursive filtering is off on purpose: it would call
    back into Python for every child of every rejected group; a group row is instead accepted here when
    it or any of its children passes, and children are then filtered only under accepted groups, lazily,
    when the view expands them. "Checked only" stays live (marks change while the filter is shown); the
    model emits ``dataChanged`` for a group row whenever one of its children changes, which re-tests it.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._needle = ""
        self._checked_only = False
        self._matches: list[dict[int, int]] | None = None  # per catalogue group: row -> rank, for self._needle
        self._group_rank: dict[int, int] = {}  # catalogue group row -> its best rank (own name or a row's)
        self._row_ranks: list[dict[int, int]] = []  # per catalogue group: child row -> rank
        self._ranking = False  # rows are sorted by rank (a search with at most MAX_RANKED_ROWS matches)
        self._model: LabelTreeModel | None = None

    @property
    def needle(self) -> str:
        return self._needle

    @property
    def checked_only(self) -> bool:
        return self._checked_only

    def is_filtering(self) -> bool:
        return bool(self._needle or self._checked_only)

    def setSourceModel(self, model: QAbstractItemModel) -> None:  # type: ignore[override]
        super().setSourceModel(model)
        self._model = model if isinstance(model, LabelTreeModel) else None
        self._matches = self._compute_matches(self._needle, None, None)

    def _compute_matches(
        self, needle: str, old_needle: str | None, old: list[dict[int, int]] | None
    ) -> list[dict[int, int]] | None:
        if not needle or self._model is None:
            return None
        within = old if old is not None and old_needle and old_needle in needle else None
        return self._model.search_matches(needle, within)

    def set_search(self, text: str) -> None:
        needle = text.strip().casefold()
        if needle == self._needle:
            return
        matches = self._compute_matches(needle, self._needle, self._matches)
        self.beginFilterChange()
        self._needle = needle
        self._matches = matches
        self._rank_groups()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        self.sort(-1)  # the catalogue's order; sorting again by the same column would not re-rank
        if self._ranking:
            self.sort(COL_NAME)

    def _rank_groups(self) -> None:
        """Ranks for :meth:`lessThan`. Past :data:`MAX_RANKED_ROWS` matches (one or two letters typed) the
        catalogue's order stays: ranking thousands of rows costs a visible pause and tells the user little."""
        model, matches = self._model, self._matches
        total = sum(len(rows) for rows in matches) if matches is not None else 0
        self._ranking = model is not None and matches is not None and total <= MAX_RANKED_ROWS
        if not self._ranking or matches is None or model is None:
            self._group_rank, self._row_ranks = {}, []
            return
        self._row_ranks = matches
        self._group_rank = {
            g: min([model.row_rank(g, None, self._needle), *rows.values()]) for g, rows in enumerate(matches)
        }

    def lessThan(self, left: Index, right: Index) -> bool:
        """While searching: better ranks first, the catalogue's order among equals."""
        lrow, rrow = left.row(), right.row()
        if self._ranking:
            gid = left.internalId()  # the source model's own scheme: 0 for a group row, group + 1 for a child
            if gid == 0:
                ranks = self._group_rank
            else:
                ranks = self._row_ranks[gid - 1] if gid - 1 < len(self._row_ranks) else {}
            lr, rr = ranks.get(lrow, 99), ranks.get(rrow, 99)
            if lr != rr:
                return lr < rr
        return lrow < rrow

    def set_checked_only(self, on: bool) -> None:
        if on == self._checked_only:
            return
        self.beginFilterChange()
        self._checked_only = on
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def _child_accepted(self, model: LabelTreeModel, group: int, child: int) -> bool:
        matches = self._matches
        if matches is not None and group < len(matches):
            if child not in matches[group]:
                return False
        elif self._needle and not model.row_accepted(group, child, self._needle, False):
            return False  # the custom group: its rows change at run time, matched live
        return not self._checked_only or model.row_checked(group, child)

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        # Called once per source row the proxy (re)filters: keep the common path to a set lookup.
        model = self._model
        if model is None or not (self._needle or self._checked_only):
            return True
        matches = self._matches
        if source_parent.isValid():
            group = source_parent.row()
            if matches is not None and not self._checked_only and group < len(matches):
                return source_row in matches[group]
            return self._child_accepted(model, group, source_row)
        if model.row_accepted(source_row, None, self._needle, self._checked_only):
            return True
        # A group also shows when any of its children does (what recursive filtering would decide).
        if matches is not None and source_row < len(matches):
            candidates: Iterable[int] = matches[source_row]
            if not self._checked_only:
                return bool(candidates)
        else:
            candidates = range(model.child_count(source_row))
        return any(self._child_accepted(model, source_row, r) for r in candidates)
