"""The label tree model and its search proxy: model-tester clean, checkbox semantics, search, checked only."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt

from gui.core.filters import Mark
from gui.core.taxonomy import load_taxonomy
from gui.core.types import LabelFilters
from gui.qt.filter_model import (
    COL_ALIASES,
    COL_EXCLUDE,
    COL_INCLUDE,
    COL_NAME,
    CUSTOM_GROUP,
    BoundingBoxRole,
    KindRole,
    NameRole,
)

CHECK = Qt.ItemDataRole.CheckStateRole




def _click(model, index, column) -> bool:
    idx = index.siblingAtColumn(column)
    now = model.data(idx, CHECK)
    new = Qt.CheckState.Unchecked if now == Qt.CheckState.Checked else Qt.CheckState.Checked
    return model.setData(idx, new.value, CHECK)  # views pass an int


def _visible_names(proxy, parent=None) -> list[str]:
    parent = parent if parent is not None else QModelIndex()
    out = []
    for r in range(proxy.rowCount(parent)):
        idx = proxy.index(r, 0, parent)
        out.append(idx.data(NameRole))
        out += _visible_names(proxy, idx)
    return out


def test_shape_matches_the_taxonomy(model):
    tax = load_taxonomy()
    assert model.rowCount() == len(tax.categories) + 1  # + the custom group
    assert model.columnCount() == 4
    total = sum(model.rowCount(model.index(r, 0)) for r in range(model.rowCount()))
    assert total == len(tax.labels) == 3082
    custom = model.index(model.rowCount() - 1, 0)
    assert custom.data(NameRole) == CUSTOM_GROUP and model.rowCount(custom) == 0


def test_qtmodeltester_on_the_model(qtmodeltester, model):
    model.set_filters(LabelFilters(("Dog", "Hoverboard"), ("Car",), ("Sports",), ("Robots",)))
    qtmodeltester.check(model)
    # the tester stays attached: every change below is checked as it happens
    assert model.add_custom_label("Jetpack") is None
    assert model.set_mark("category", "Animals and Pets", Mark.EXCLUDE)
    assert model.remove_custom("label", "Hoverboard")
    model.clear_all()
    model.set_filters(LabelFilters(label_inclusions=("Cat",)))
    qtmodeltester.check(model)


def test_qtmodeltester_on_the_proxy_while_searching(qtmodeltester, model, proxy):
    model.set_filters(LabelFilters(label_inclusions=("Dog",)))
    proxy.set_search("bi")
    qtmodeltester.check(proxy)
    proxy.set_checked_only(True)
    model.set_mark("label", "Bicycle", Mark.INCLUDE)
    model.add_custom_label("Bike Lane Sign")
    qtmodeltester.check(proxy)
    assert "Bicycle" in _visible_names(proxy) and "Bike Lane Sign" in _visible_names(proxy)


def test_checkbox_semantics_all_four_kinds(model, qtbot):
    dog = model.index_of("label", "Dog")
    car = model.index_of("label", "Car")
    sports = model.index_of("category", "Sports")
    text = model.index_of("category", "Text and Documents")
    with qtbot.waitSignal(model.filtersChanged):
        assert _click(model, dog, COL_INCLUDE)
    assert _click(model, car, COL_EXCLUDE)
    assert _click(model, sports, COL_INCLUDE)
    assert _click(model, text, COL_EXCLUDE)
    assert model.filters() == LabelFilters(("Dog",), ("Car",), ("Sports",), ("Text and Documents",))
    # mutually exclusive on a row: checking Exclude on Dog unchecks Include
    assert _click(model, dog, COL_EXCLUDE)
    assert model.data(dog.siblingAtColumn(COL_INCLUDE), CHECK) == Qt.CheckState.Unchecked
    assert model.data(dog.siblingAtColumn(COL_EXCLUDE), CHECK) == Qt.CheckState.Checked
    assert model.filters().label_inclusions == () and model.filters().label_exclusions == ("Car", "Dog")
    # unchecking clears
    assert _click(model, sports, COL_INCLUDE)
    assert model.filters().category_inclusions == ()
    # the category row says how many of its labels are checked
    assert model.index_of("category", "Animals and Pets").data() == "Animals and Pets (1 of 342)"


def test_flags_and_roles(model):
    uncategorized = model.index_of("category", "Uncategorized")
    assert not model.flags(uncategorized.siblingAtColumn(COL_INCLUDE)) & Qt.ItemFlag.ItemIsUserCheckable
    assert model.data(uncategorized.siblingAtColumn(COL_INCLUDE), CHECK) is None
    assert (
        model.flags(model.index_of("label", "Riding Bicycle", COL_INCLUDE)) & Qt.ItemFlag.ItemIsUserCheckable
    )
    assert not model.flags(model.index_of("label", "Dog", COL_NAME)) & Qt.ItemFlag.ItemIsUserCheckable
    child = model.index_of("label", "Child")
    assert child.siblingAtColumn(COL_ALIASES).data() == "Kid"
    assert child.data(BoundingBoxRole) is True and child.data(KindRole) == "label"
    assert model.index_of("label", "Pedestrian").data(BoundingBoxRole) is False
    assert "Can return bounding boxes" in child.data(Qt.ItemDataRole.ToolTipRole)


def test_the_101st_click_is_refused_with_a_signal(model, qtbot):
    names = list(load_taxonomy().labels)[:101]
    for name in names[:100]:
        assert model.set_mark("label", name, Mark.INCLUDE)
    idx = model.index_of("label", names[100], COL_INCLUDE)
    with qtbot.waitSignal(model.limitReached) as blocker:
        assert not model.setData(idx, Qt.CheckState.Checked.value, CHECK)
    assert "100/100" in blocker.args[0]
    assert model.data(idx, CHECK) == Qt.CheckState.Unchecked
    assert len(model.filters().label_inclusions) == 100


def test_search_over_names_and_aliases_is_case_insensitive_substring(model, proxy):
    proxy.set_search("BICYC")
    names = _visible_names(proxy)
    assert "Bicycle" in names and "Riding Bicycle" in names
    assert "Dog" not in names
    proxy.set_search("kid")  # an alias of Child
    assert "Child" in _visible_names(proxy)
    proxy.set_search("flyer")  # alias of Poster
    assert "Poster" in _visible_names(proxy)
    proxy.set_search("  ")
    assert proxy.rowCount() == model.rowCount()


def test_category_matches_and_parents_of_matches_show(model, proxy):
    proxy.set_search("animals and")
    top = [proxy.index(r, 0).data(NameRole) for r in range(proxy.rowCount())]
    assert top == ["Animals and Pets"]
    proxy.set_search("poodle")
    top = [proxy.index(r, 0).data(NameRole) for r in range(proxy.rowCount())]
    assert top == ["Animals and Pets"]


def test_show_checked_only(model, proxy):
    model.set_mark("label", "Dog", Mark.INCLUDE)
    model.set_mark("category", "Sports", Mark.EXCLUDE)
    proxy.set_checked_only(True)
    assert sorted(_visible_names(proxy)) == ["Animals and Pets", "Dog", "Sports"]
    model.set_mark("label", "Dog", Mark.NONE)  # the proxy follows the change
    assert _visible_names(proxy) == ["Sports"]
    proxy.set_search("dog")
    assert _visible_names(proxy) == []


def test_custom_labels_group(model, qtbot):
    custom = model.custom_group_index()
    with qtbot.waitSignal(model.rowsInserted):
        assert model.add_custom_label("Hoverboard") is None
    assert model.rowCount(custom) == 1
    row = model.index(0, 0, custom)
    assert row.data(KindRole) == "custom" and row.data(NameRole) == "Hoverboard"
    assert model.filters().label_inclusions == ("Hoverboard",)
    assert "51 characters" in model.add_custom_label("y" * 51)
    assert "'&'" in model.add_custom_label("Salt & Pepper")
    assert model.rowCount(custom) == 1
    assert _click(model, row, COL_EXCLUDE)
    assert model.filters().label_exclusions == ("Hoverboard",)
    assert model.remove_custom("label", "Hoverboard")
    assert model.rowCount(custom) == 0 and model.filters().is_empty()


def test_set_filters_and_clear_all(model):
    notices = model.set_filters(LabelFilters(("Dog", "Robot Vacuum"), (), ("Sports",)))
    assert any("Robot Vacuum" in n for n in notices)
    assert model.rowCount(model.custom_group_index()) == 1
    model.clear_all()
    assert model.filters().is_empty()
    assert model.rowCount(model.custom_group_index()) == 1  # still listed, unchecked
