"""The filter tree from the keyboard (Space / Shift+Space / X) and its search: ranking, highlight, no match."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QRect, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPalette
from PySide6.QtWidgets import QStyleOptionViewItem

from gui.core.filters import Mark
from gui.core.taxonomy import load_taxonomy
from gui.qt.filter_model import COL_NAME, NameRole
from gui.qt.filter_tree import FilterTree


def _tree(qtbot) -> FilterTree:
    tree = FilterTree()
    qtbot.addWidget(tree)
    tree.show()
    return tree


def _focus_label(tree: FilterTree, text: str, name: str) -> None:
    tree.search_edit.setText(text)
    for g in range(tree.proxy.rowCount()):
        group = tree.proxy.index(g, 0)
        for r in range(tree.proxy.rowCount(group)):
            idx = tree.proxy.index(r, 0, group)
            if idx.data(NameRole) == name:
                tree.view.setCurrentIndex(idx)
                tree.view.setFocus()
                return
    raise AssertionError(f"{name} not shown for {text!r}")


def test_space_includes_and_clears_the_focused_label(qtbot):
    tree = _tree(qtbot)
    _focus_label(tree, "dog", "Dog")
    qtbot.keyClick(tree.view, Qt.Key.Key_Space)
    assert tree.model.selection.label_mark("Dog") == Mark.INCLUDE
    assert tree.filters().label_inclusions == ("Dog",)
    qtbot.keyClick(tree.view, Qt.Key.Key_Space)
    assert tree.model.selection.label_mark("Dog") == Mark.NONE


def test_shift_space_and_x_exclude(qtbot):
    tree = _tree(qtbot)
    _focus_label(tree, "dog", "Dog")
    qtbot.keyClick(tree.view, Qt.Key.Key_Space, Qt.KeyboardModifier.ShiftModifier)
    assert tree.filters().label_exclusions == ("Dog",)
    qtbot.keyClick(tree.view, Qt.Key.Key_X)
    assert tree.filters().label_exclusions == ()
    qtbot.keyClick(tree.view, Qt.Key.Key_X)
    assert tree.filters().label_exclusions == ("Dog",)
    qtbot.keyClick(tree.view, Qt.Key.Key_Space)  # Include replaces Exclude (one mark per row)
    assert tree.filters().label_inclusions == ("Dog",) and tree.filters().label_exclusions == ()


def test_space_on_a_category_row_sets_the_category_filter(qtbot):
    tree = _tree(qtbot)
    tree.search_edit.setText("")
    tree.view.setCurrentIndex(tree.proxy.index(0, 0))
    tree.view.setFocus()
    first_category = load_taxonomy().categories[0]
    qtbot.keyClick(tree.view, Qt.Key.Key_Space)
    assert tree.filters().category_inclusions == (first_category,)


def test_keys_are_named_in_the_tooltips(qtbot):
    tree = _tree(qtbot)
    assert "Space" in tree.view.toolTip() and "Shift+Space or X" in tree.view.toolTip()


def _visible(tree: FilterTree) -> list[tuple[str, list[str]]]:
    out = []
    for g in range(tree.proxy.rowCount()):
        group = tree.proxy.index(g, 0)
        out.append((group.data(NameRole), [tree.proxy.index(r, 0, group).data(NameRole)
                                           for r in range(tree.proxy.rowCount(group))]))
    return out


def test_cat_lists_cat_first_then_prefixes_then_the_rest(qtbot):
    tree = _tree(qtbot)
    tree.search_edit.setText("Cat")
    shown = _visible(tree)
    first_group, first_rows = shown[0]
    assert first_rows[0] == "Cat"
    rows = [r for _, group_rows in shown for r in group_rows]
    # Prefix matches ("Cathedral", "Caterpillar") come before names with "cat" inside ("Publication").
    assert rows.index("Cathedral") < rows.index("Publication")
    assert rows.index("Cathedral") < rows.index("Medication")
    within_first = [r for r in first_rows if r != "Cat"]
    starts = [r.casefold().startswith("cat") for r in within_first]
    assert starts == sorted(starts, reverse=True), within_first  # all prefix rows before the inner matches


def test_typing_letter_by_letter_ranks_groups_by_their_best_row(qtbot):
    tree = _tree(qtbot)
    qtbot.keyClicks(tree.search_edit, "Car")  # "C", "Ca", "Car": each keystroke re-ranks
    first_group, first_rows = _visible(tree)[0]
    assert first_group == "Vehicles and Automotive" and first_rows[0] == "Car"


def test_clearing_the_search_restores_the_catalogue_order(qtbot):
    tree = _tree(qtbot)
    tree.search_edit.setText("Cat")
    tree.search_edit.setText("")
    names = [tree.proxy.index(g, 0).data(NameRole) for g in range(tree.proxy.rowCount())]
    assert names[: len(load_taxonomy().categories)] == list(load_taxonomy().categories)


def test_no_match_is_said_in_words(qtbot):
    tree = _tree(qtbot)
    tree.search_edit.setText("zzqx")
    assert tree.proxy.rowCount() == 0
    assert tree.no_match_text() == (
        "No label matches 'zzqx'. Check the spelling, or add it with 'Add custom label…'."
    )
    tree.search_edit.setText("dog")
    assert tree.no_match_text() == ""


def _paint(tree: FilterTree, index: QModelIndex) -> QImage:
    image = QImage(300, 24, QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    option = QStyleOptionViewItem()
    option.rect = QRect(0, 0, 300, 24)
    option.palette = tree.view.palette()
    option.font = tree.view.font()
    option.fontMetrics = tree.view.fontMetrics()
    painter = QPainter(image)
    tree.view.itemDelegateForColumn(COL_NAME).paint(painter, option, index)
    painter.end()
    return image


def _has_colour_near(image: QImage, colour: QColor, tolerance: int = 40) -> bool:
    for x in range(image.width()):
        for y in range(image.height()):
            c = image.pixelColor(x, y)
            if (abs(c.red() - colour.red()) + abs(c.green() - colour.green())
                    + abs(c.blue() - colour.blue())) < tolerance:
                return True
    return False


def test_the_matched_text_is_marked(qtbot):
    tree = _tree(qtbot)
    _focus_label(tree, "dog", "Dog")
    index = tree.view.currentIndex()
    marked = _paint(tree, index)
    highlight = QColor(tree.view.palette().color(QPalette.ColorRole.Highlight))
    blended = QColor(  # the highlight at alpha 90 over white
        (highlight.red() * 90 + 255 * 165) // 255,
        (highlight.green() * 90 + 255 * 165) // 255,
        (highlight.blue() * 90 + 255 * 165) // 255,
    )
    assert _has_colour_near(marked, blended)
    tree.search_edit.setText("")
    assert not _has_colour_near(_paint(tree, tree.proxy.index(0, 0)), blended)


def test_a_search_matching_more_than_the_ranking_cap_keeps_the_catalogue_order(qtbot):
    from gui.qt.filter_model import MAX_RANKED_ROWS

    tree = _tree(qtbot)
    tree.search_edit.setText("e")
    tax = load_taxonomy()
    matched = sum(1 for info in tax.labels.values() if any("e" in s.casefold() for s in (info.name, *info.aliases)))
    assert matched > MAX_RANKED_ROWS
    shown = [name for name, _ in _visible(tree)]
    catalogue = [c for c in tax.categories if c in shown]
    assert shown[: len(catalogue)] == catalogue
    tree.search_edit.setText("ca")  # fewer matches: ranked (an exact "Ca..." prefix row leads its group)
    first_rows = _visible(tree)[0][1]
    assert first_rows[0].casefold().startswith("ca")
