"""The fast search path (precomputed matches, no recursive filtering) must give the plain rule's answers.

The rule, computed here straight from the taxonomy: a label row shows when its name or one of its aliases
contains the text (case-insensitive) and, with "checked only", its own box is checked; a group row shows
when it passes itself or any of its rows shows.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QModelIndex

from gui.core.filters import Mark
from gui.core.taxonomy import load_taxonomy
from gui.qt.filter_model import CUSTOM_GROUP, NameRole
from gui.qt.filter_tree import FilterTree


def _tree(proxy, parent=None) -> dict[str, list[str]]:
    """Visible groups → their visible rows (bare names), sorted: which rows show, not their order
    (the order is the ranking's, pinned in test_filters_search_ranking.py)."""
    parent = parent if parent is not None else QModelIndex()
    out = {}
    for r in range(proxy.rowCount(parent)):
        idx = proxy.index(r, 0, parent)
        out[idx.data(NameRole)] = sorted(proxy.index(c, 0, idx).data(NameRole) for c in range(proxy.rowCount(idx)))
    return out


def _expected(text: str) -> dict[str, list[str]]:
    needle = text.strip().casefold()
    tax = load_taxonomy()
    out = {}
    for cat, infos in tax.by_category().items():
        rows = sorted(i.name for i in infos if any(needle in s.casefold() for s in (i.name, *i.aliases)))
        if rows or needle in cat.casefold():
            out[cat] = rows
    if needle in CUSTOM_GROUP.casefold():  # group names are searched too; no custom rows here
        out[CUSTOM_GROUP] = []
    return out


@pytest.mark.parametrize(
    "sequence", [("b", "bi", "bic", "bicycle"), ("bicycle", "bi", "b"), ("dog", "do", "dog")]
)
def test_typing_narrowing_and_widening_match_the_plain_rule(proxy, sequence):
    for text in sequence:
        proxy.set_search(text)
        assert _tree(proxy) == _expected(text), text


def test_text_that_does_not_extend_the_previous_one_is_searched_afresh(proxy):
    proxy.set_search("poodle")
    proxy.set_search("kid")  # not an extension of "poodle": must not be narrowed from its matches
    assert _tree(proxy) == _expected("kid")
    assert "Child" in _tree(proxy)["Person Description"]


def test_custom_rows_are_searched_live(model, proxy):
    proxy.set_search("hover")
    assert CUSTOM_GROUP not in _tree(proxy)
    assert model.add_custom_label("Hoverboard") is None
    assert _tree(proxy)[CUSTOM_GROUP] == ["Hoverboard"]
    proxy.set_search("hoverb")
    assert _tree(proxy)[CUSTOM_GROUP] == ["Hoverboard"]


def test_checked_only_hides_the_custom_group_when_its_last_checked_row_goes(model, proxy):
    assert model.add_custom_label("Hoverboard") is None
    proxy.set_checked_only(True)
    assert _tree(proxy) == {CUSTOM_GROUP: ["Hoverboard"]}
    assert model.remove_custom("label", "Hoverboard")
    assert _tree(proxy) == {}


def test_checked_only_with_text_needs_both(model, proxy):
    model.set_mark("label", "Poodle", Mark.INCLUDE)
    model.set_mark("label", "Dog", Mark.EXCLUDE)
    proxy.set_checked_only(True)
    proxy.set_search("poo")
    assert _tree(proxy) == {"Animals and Pets": ["Poodle"]}
    model.set_mark("label", "Poodle", Mark.NONE)
    assert _tree(proxy) == {}
    model.set_mark("label", "Poodle", Mark.INCLUDE)  # shows again without a new keystroke
    assert _tree(proxy) == {"Animals and Pets": ["Poodle"]}


def test_widget_expands_exactly_the_groups_with_matches(qtbot):
    tree = FilterTree()
    qtbot.addWidget(tree)
    qtbot.keyClicks(tree.search_edit, "dog")
    proxy, view = tree.proxy, tree.view
    groups = [proxy.index(r, 0) for r in range(proxy.rowCount())]
    assert sorted(g.data(NameRole) for g in groups) == sorted(_expected("dog"))
    assert groups and all(view.isExpanded(g) for g in groups)
    tree.search_edit.clear()
    assert not any(view.isExpanded(proxy.index(r, 0)) for r in range(proxy.rowCount()))
