"""The filter builder: search box, checkbox tree, counters, custom labels and what the combination means."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPoint, Qt, Signal, Slot
from PySide6.QtGui import QColor, QKeyEvent, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QSizePolicy,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from gui.core.filters import FilterKind, Mark
from gui.core.taxonomy import Taxonomy
from gui.core.types import LabelFilters
from gui.core.validation import MAX_FILTER_ITEMS
from gui.qt.filter_model import (
    COL_ALIASES,
    COL_EXCLUDE,
    COL_INCLUDE,
    COL_NAME,
    KindRole,
    LabelFilterProxy,
    LabelTreeModel,
    NameRole,
    bounding_box_icon,
)
from gui.qt.message_bar import MESSAGE_STYLE, MessageBar
from gui.qt.theme import text_style

AskText = Callable[[QWidget, str, str], "str | None"]

MAX_EXPLANATION_LINES = 4


# The tree's keys; gui/qt/shortcuts.py lists them in Help > Keyboard shortcuts.
INCLUDE_KEYS = "Space"
EXCLUDE_KEYS = "Shift+Space or X"


def ask_text_dialog(parent: QWidget, title: str, prompt: str) -> str | None:
    text, ok = QInputDialog.getText(parent, title, prompt)
    return text if ok else None


def toggle_column_for(event: QKeyEvent) -> int | None:
    """Which checkbox column a key press toggles on the focused row: Space → Include, Shift+Space or X →
    Exclude; None for any other key (the view handles it as usual)."""
    mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
    if event.key() == Qt.Key.Key_Space:
        if mods == Qt.KeyboardModifier.NoModifier:
            return COL_INCLUDE
        if mods == Qt.KeyboardModifier.ShiftModifier:
            return COL_EXCLUDE
    if event.key() == Qt.Key.Key_X and mods in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.ShiftModifier):
        return COL_EXCLUDE
    return None


class FilterTreeView(QTreeView):
    """The checkbox tree, with keys for the checkboxes (mouse-only columns otherwise)."""

    def keyPressEvent(self, event: QKeyEvent) -> None:
        column = toggle_column_for(event)
        current = self.currentIndex()
        if column is None or not current.isValid():
            super().keyPressEvent(event)
            return
        box = current.siblingAtColumn(column)
        if box.flags() & Qt.ItemFlag.ItemIsUserCheckable:
            checked = box.data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
            new_state = Qt.CheckState.Unchecked if checked else Qt.CheckState.Checked
            self.model().setData(box, new_state, Qt.ItemDataRole.CheckStateRole)
        event.accept()


class MatchHighlightDelegate(QStyledItemDelegate):
    """Paints the label column with the searched text marked in the palette's highlight colour."""

    def __init__(self, proxy: LabelFilterProxy, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._proxy = proxy  # not a closure over the tree: that would keep the tree alive through its view

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        needle = self._proxy.needle
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        text = opt.text
        start = text.casefold().find(needle) if needle else -1
        if start < 0 or len(text.casefold()) != len(text):  # casefold changed lengths (ß → ss): no mark
            super().paint(painter, option, index)
            return
        widget = opt.widget
        style = widget.style() if widget is not None else QApplication.style()
        opt.text = ""
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        rect = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, opt, widget).adjusted(2, 0, -2, 0)
        metrics = opt.fontMetrics
        shown = metrics.elidedText(text, Qt.TextElideMode.ElideRight, rect.width())
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        painter.save()
        if start < len(shown):
            x0 = rect.left() + metrics.horizontalAdvance(shown[:start])
            end = min(start + len(needle), len(shown))
            mark = QColor(opt.palette.color(QPalette.ColorRole.Highlight))
            mark.setAlpha(90 if not selected else 160)
            width = metrics.horizontalAdvance(shown[start:end])
            painter.fillRect(x0, rect.top() + 1, width, rect.height() - 2, mark)
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        painter.setPen(opt.palette.color(role))
        painter.setFont(opt.font)
        painter.drawText(rect, int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft), shown)
        painter.restore()


class FilterTree(QWidget):
    """Checkbox tree over the taxonomy. ``filtersChanged`` fires after every accepted change."""

    filtersChanged = Signal()

    def __init__(
        self,
        taxonomy: Taxonomy | None = None,
        parent: QWidget | None = None,
        *,
        ask_text: AskText | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("filterTreePanel")
        self._ask_text = ask_text or ask_text_dialog
        self._expanded_by_search = False  # the tree is expanded by our expandAll() for a search
        self.model = LabelTreeModel(taxonomy, self)
        self.proxy = LabelFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        n_labels = len(self.model.taxonomy.labels)

        self.search_edit = QLineEdit(self)
        self.search_edit.setObjectName("filterSearchEdit")
        self.search_edit.setPlaceholderText(f"Search {n_labels:,} labels and aliases…")
        self.search_edit.setClearButtonEnabled(True)
        self.checked_only_box = QCheckBox("Checked only", self)
        self.checked_only_box.setObjectName("checkedOnlyCheck")
        self.checked_only_box.setToolTip("Show only the rows whose Include or Exclude box is checked.")

        self.view = FilterTreeView(self)
        self.view.setObjectName("filterTree")
        self.view.setModel(self.proxy)
        self.view.setToolTip(
            f"{INCLUDE_KEYS}: include the focused row. {EXCLUDE_KEYS}: exclude it. Press again to clear."
        )
        self.view.setAccessibleName("Label filters")
        self.view.setItemDelegateForColumn(COL_NAME, MatchHighlightDelegate(self.proxy, self.view))
        self.no_match_label = QLabel(self)
        self.no_match_label.setObjectName("filterNoMatch")
        self.no_match_label.setTextFormat(Qt.TextFormat.PlainText)
        self.no_match_label.setWordWrap(True)
        self.no_match_label.hide()
        self.view.setUniformRowHeights(True)  # 3,000+ rows: keeps layout and scrolling cheap
        # A scroll bar that comes and goes with each keystroke resizes the viewport, which re-stretches
        # the label column and repaints the whole tree a second time; the full tree needs one anyway.
        self.view.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.view.setAlternatingRowColors(True)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.setAllColumnsShowFocus(True)
        header = self.view.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(COL_NAME, QHeaderView.ResizeMode.Stretch)
        for col in (COL_INCLUDE, COL_EXCLUDE):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Fixed)
            header.resizeSection(col, 58)
        self.view.setColumnHidden(COL_ALIASES, True)  # aliases are shown in the label column ("— aka …")
        header.setMinimumSectionSize(40)

        self.counter_labels: dict[FilterKind, QLabel] = {}
        counters = QGridLayout()
        counters.setContentsMargins(0, 0, 0, 0)
        counters.setHorizontalSpacing(12)
        counters.setVerticalSpacing(0)
        for i, kind in enumerate(
            (
                FilterKind.LABEL_INCLUDE,
                FilterKind.CATEGORY_INCLUDE,
                FilterKind.LABEL_EXCLUDE,
                FilterKind.CATEGORY_EXCLUDE,
            )
        ):
            label = QLabel(self)
            label.setObjectName("counter" + kind.api_key.replace("Filters", ""))
            label.setToolTip(f"{kind.api_key}: at most {MAX_FILTER_ITEMS} items.")
            counters.addWidget(label, i % 2, i // 2)
            self.counter_labels[kind] = label

        self.add_custom_button = QPushButton("Add custom label…", self)
        self.add_custom_button.setObjectName("addCustomLabelButton")
        self.add_custom_button.setToolTip(
            "Add a label name the shipped catalogue lacks (AWS adds labels over time)."
        )
        self.clear_button = QPushButton("Clear all", self)
        self.clear_button.setObjectName("clearFiltersButton")
        self.clear_button.setToolTip("Uncheck every Include and Exclude box.")
        legend = QLabel(self)
        legend.setPixmap(bounding_box_icon().pixmap(14, 14))
        legend.setToolTip("Labels with this mark can return bounding boxes.")
        legend_text = QLabel("bounding boxes", self)
        legend_text.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # may be cut short
        legend_text.setMinimumWidth(40)
        legend_text.setStyleSheet("color: palette(mid);")

        self.message_bar = MessageBar("filterMessage", "warning", self)

        self.explanation_label = QLabel(self)
        self.explanation_label.setObjectName("filterExplanation")
        self.explanation_label.setWordWrap(True)
        self.explanation_label.setTextFormat(Qt.TextFormat.PlainText)
        self.explanation_label.setStyleSheet("color: palette(window-text); padding: 2px 0;")

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.search_edit, 1)
        top.addWidget(self.checked_only_box)
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.add_custom_button)
        buttons.addWidget(self.clear_button)
        buttons.addStretch(1)
        buttons.addWidget(legend)
        buttons.addWidget(legend_text)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addWidget(self.no_match_label)
        layout.addWidget(self.view, 1)
        layout.addLayout(counters)
        layout.addLayout(buttons)
        layout.addWidget(self.message_bar)
        layout.addWidget(self.explanation_label)

        self.search_edit.textChanged.connect(self._on_search)
        self.checked_only_box.toggled.connect(self._on_checked_only)
        self.add_custom_button.clicked.connect(self._on_add_custom)
        self.clear_button.clicked.connect(self.clear_all)
        self.view.customContextMenuRequested.connect(self._on_context_menu)
        self.model.filtersChanged.connect(self._on_filters_changed)
        self.model.limitReached.connect(self._on_limit)
        self.model.modelReset.connect(self._apply_expansion)
        self._refresh_summary()

    # ---- public API -------------------------------------------------------------------------------
    def filters(self) -> LabelFilters:
        return self.model.filters()

    def set_filters(self, filters: LabelFilters) -> list[str]:
        """Apply filters (e.g. from a preset); returns notices such as labels kept as custom labels."""
        return self.model.set_filters(filters)

    def clear_all(self) -> None:
        self.model.clear_all()

    def add_custom_label(self, name: str) -> bool:
        """Add and include a custom label; on refusal show the reason inline and return False."""
        problem = self.model.add_custom_label(name)
        if problem:
            self.show_message(problem)
            return False
        group = self.proxy.mapFromSource(self.model.custom_group_index())
        self.view.expand(group)
        idx = self.proxy.mapFromSource(self.model.index_of("label", name.strip()))
        if idx.isValid():
            self.view.scrollTo(idx)
            self.view.setCurrentIndex(idx)
        if self.model.selection.label_mark(name.strip()) == Mark.INCLUDE:
            self.show_message(f"Added the custom label '{name.strip()}' and checked Include.", "info")
        return True

    def counter_texts(self) -> list[str]:
        return [label.text() for label in self.counter_labels.values()]

    def message_text(self) -> str:
        return self.message_bar.text()

    def explanation_text(self) -> str:
        return self.explanation_label.text()

    def show_message(self, text: str, level: str = "warning") -> None:
        self.message_bar.show_message(text, level)

    @Slot()
    def clear_message(self) -> None:
        self.message_bar.clear_message()

    # ---- slots ------------------------------------------------------------------------------------
    @Slot(str)
    def _on_search(self, text: str) -> None:
        # Collapse first: removing hundreds of rows under expanded parents costs the view ~10x more
        # than removing them from collapsed ones; the matches are expanded again right after.
        self.view.collapseAll()
        self.proxy.set_search(text)
        self._apply_expansion()
        self._show_no_match(text.strip())

    def _show_no_match(self, text: str) -> None:
        empty = bool(text) and self.proxy.rowCount() == 0
        if empty:
            self.no_match_label.setText(
                f"No label matches '{text}'. Check the spelling, or add it with 'Add custom label…'."
            )
        self.no_match_label.setVisible(empty)

    def no_match_text(self) -> str:
        return self.no_match_label.text() if self.no_match_label.isVisibleTo(self) else ""

    @Slot(bool)
    def _on_checked_only(self, on: bool) -> None:
        self.view.collapseAll()
        self.proxy.set_checked_only(on)
        self._apply_expansion()

    @Slot()
    def _apply_expansion(self) -> None:
        # Collapsing an untouched 3,082-row tree still costs a layout pass; only undo our own expandAll().
        if self.proxy.is_filtering():
            self.view.expandAll()
            self._expanded_by_search = True
        elif self._expanded_by_search:
            self.view.collapseAll()
            self._expanded_by_search = False

    @Slot()
    def _on_add_custom(self) -> None:
        name = self._ask_text(
            self,
            "Add custom label",
            "Label name (exactly as Rekognition returns it, at most 50 characters):",
        )
        if name is None:
            return
        self.add_custom_label(name)

    @Slot(str)
    def _on_limit(self, message: str) -> None:
        self.show_message(message)

    @Slot()
    def _on_filters_changed(self) -> None:
        if self.message_bar.text() and self.message_bar.level_style() == MESSAGE_STYLE["warning"]:
            self.clear_message()
        self._refresh_summary()
        self.filtersChanged.emit()

    def _refresh_summary(self) -> None:
        sel = self.model.selection
        for kind, label in self.counter_labels.items():
            n = sel.count(kind)
            label.setText(sel.counter_text(kind))
            full = n >= MAX_FILTER_ITEMS
            label.setStyleSheet(text_style("error", "font-weight: bold;") if full else "")
        sentences = sel.explanation()
        shown = sentences[:MAX_EXPLANATION_LINES]
        if len(sentences) > len(shown):
            shown.append(f"(and {len(sentences) - len(shown)} more notes: hover for all)")
        self.explanation_label.setText("\n".join(shown))
        self.explanation_label.setToolTip("\n".join(sentences))

    @Slot(QPoint)
    def _on_context_menu(self, pos: QPoint) -> None:
        proxy_index = self.view.indexAt(pos)
        if not proxy_index.isValid():
            return
        source = self.proxy.mapToSource(proxy_index.siblingAtColumn(COL_NAME))
        menu = QMenu(self)
        kind = source.data(KindRole)
        name = source.data(NameRole)
        if kind in ("label", "custom", "category"):
            target = "category" if kind == "category" else "label"
            if kind == "custom" and source.siblingAtColumn(COL_ALIASES).data() == "custom category":
                target = "category"
            for text, mark in (("Include", Mark.INCLUDE), ("Exclude", Mark.EXCLUDE), ("Neither", Mark.NONE)):
                action = menu.addAction(f"{text} '{name}'")
                action.setData((target, name, int(mark)))
            if kind == "custom":
                menu.addSeparator()
                remove = menu.addAction(f"Remove custom {target} '{name}'")
                remove.setData((target, name, -1))
        if menu.isEmpty():
            return
        chosen = menu.exec(self.view.viewport().mapToGlobal(pos))
        choice = chosen.data() if chosen is not None else None
        menu.deleteLater()
        if choice:
            self.apply_menu_choice(*choice)

    def apply_menu_choice(self, target: str, name: str, mark: int) -> None:
        if mark < 0:
            self.model.remove_custom(target, name)
        else:
            self.model.set_mark(target, name, Mark(mark))

    def source_index(self, proxy_index: QModelIndex) -> QModelIndex:
        return self.proxy.mapToSource(proxy_index)
