"""FilterSelection (core, no Qt): the four lists, mutual exclusion, limits, custom labels, explanations."""

from __future__ import annotations

from gui.core.filters import FilterKind, FilterSelection, Mark, explain_filters
from gui.core.taxonomy import UNCATEGORIZED, load_taxonomy
from gui.core.types import LabelFilters


def test_rows_map_to_the_four_api_lists():
    sel = FilterSelection()
    assert sel.set_label("Dog", Mark.INCLUDE).ok
    assert sel.set_label("Car", Mark.EXCLUDE).ok
    assert sel.set_category("Animals and Pets", Mark.INCLUDE).ok
    assert sel.set_category("Text and Documents", Mark.EXCLUDE).ok
    assert sel.to_filters() == LabelFilters(
        ("Dog",), ("Car",), ("Animals and Pets",), ("Text and Documents",)
    )


def test_include_and_exclude_are_mutually_exclusive_on_a_row():
    sel = FilterSelection()
    sel.set_label("Dog", Mark.INCLUDE)
    sel.set_label("Dog", Mark.EXCLUDE)
    assert sel.label_mark("Dog") == Mark.EXCLUDE
    assert sel.to_filters().label_inclusions == () and sel.to_filters().label_exclusions == ("Dog",)
    sel.set_label("Dog", Mark.NONE)
    assert sel.is_empty()


def test_the_101st_item_is_refused_with_a_message_and_nothing_changes():
    tax = load_taxonomy()
    names = list(tax.labels)[:101]
    sel = FilterSelection(tax)
    for name in names[:100]:
        assert sel.set_label(name, Mark.INCLUDE).ok
    before = sel.to_filters()
    change = sel.set_label(names[100], Mark.INCLUDE)
    assert not change.ok
    assert "Include labels is full (100/100)" in change.message and "LabelInclusionFilters" in change.message
    assert sel.to_filters() == before
    assert sel.counter_text(FilterKind.LABEL_INCLUDE) == "Include labels 100/100"
    # switching an excluded row to a full Include list is refused too, and the row stays excluded
    sel.set_label(names[100], Mark.EXCLUDE)
    assert not sel.set_label(names[100], Mark.INCLUDE).ok
    assert sel.label_mark(names[100]) == Mark.EXCLUDE


def test_uncategorized_is_never_a_category_filter():
    sel = FilterSelection()
    change = sel.set_category(UNCATEGORIZED, Mark.INCLUDE)
    assert not change.ok and UNCATEGORIZED in change.message
    assert sel.is_empty()


def test_custom_labels_are_validated():
    sel = FilterSelection()
    assert sel.add_custom_label("Hoverboard") is None
    assert sel.custom_labels == ["Hoverboard"]
    assert "already a custom label" in sel.add_custom_label("Hoverboard")
    assert "51 characters" in sel.add_custom_label("x" * 51)
    assert "'!'" in sel.add_custom_label("Wow!")
    assert "already in the catalogue" in sel.add_custom_label("Dog")
    assert "'Dog'" in sel.add_custom_label("dog")
    assert sel.custom_labels == ["Hoverboard"]
    assert sel.set_label("Hoverboard", Mark.EXCLUDE).ok
    assert sel.to_filters().label_exclusions == ("Hoverboard",)
    sel.remove_custom_label("Hoverboard")
    assert sel.is_empty() and sel.custom_labels == []


def test_from_filters_turns_unknown_names_into_custom_entries_with_notices():
    filters = LabelFilters(("Dog", "Kid", "Hoverboard"), (), ("Robots",), ())
    sel, notices = FilterSelection.from_filters(filters)
    assert sel.to_filters() == filters
    assert sel.custom_labels == ["Kid", "Hoverboard"] and sel.custom_categories == ["Robots"]
    assert any("'Kid'" in n and "alias of 'Child'" in n for n in notices)
    assert any("'Hoverboard'" in n for n in notices)
    assert any("'Robots'" in n for n in notices)
    assert not any("'Dog'" in n for n in notices)


def test_from_filters_reports_what_it_cannot_keep():
    sel, notices = FilterSelection.from_filters(LabelFilters(label_inclusions=("Dog", "Bad#Name")))
    assert sel.to_filters().label_inclusions == ("Dog",)
    assert any("Bad#Name" in n for n in notices)


def test_explanations_follow_the_guide():
    assert "every label" in explain_filters(LabelFilters())[0]
    only = explain_filters(LabelFilters(category_inclusions=("Vehicles and Automotive",)))
    assert only[0].startswith("Only labels in the category 'Vehicles and Automotive'")
    everything_but = explain_filters(LabelFilters(category_exclusions=("Text and Documents",)))
    assert everything_but[0].startswith("All detected labels are returned except")
    # excluding a label inside an included category
    mixed = explain_filters(
        LabelFilters(label_exclusions=("Car",), category_inclusions=("Vehicles and Automotive",))
    )
    assert "exclusions are applied last" in mixed[0]
    assert "'Car' is left out even though its category 'Vehicles and Automotive' is included." in mixed
    # including a label whose category is excluded: exclusion wins
    wins = explain_filters(LabelFilters(label_inclusions=("Dog",), category_exclusions=("Animals and Pets",)))
    assert any("exclusion wins" in s and "'Dog'" in s for s in wins)
    # an exclusion that cannot change anything
    idle = explain_filters(LabelFilters(label_inclusions=("Dog",), label_exclusions=("Car",)))
    assert any("Excluding 'Car' changes nothing" in s for s in idle)
    redundant = explain_filters(
        LabelFilters(label_inclusions=("Dog",), category_inclusions=("Animals and Pets",))
    )
    assert any("already covered" in s for s in redundant)
