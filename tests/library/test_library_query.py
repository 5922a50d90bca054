"""The search grammar, as tables: what parses to what, and where a bad query is reported."""

from __future__ import annotations

import pytest

from gui.core.library_query import (
    And,
    BucketTerm,
    CategoryTerm,
    LabelTerm,
    MatchAll,
    Not,
    Or,
    PrefixTerm,
    QueryError,
    Threshold,
    parse,
    positive_terms,
    to_text,
)

PARSES = [
    # (query, canonical form)
    ("Dog", "Dog"),
    ("  dog  ", "dog"),
    ("Dog Beach", "(Dog AND Beach)"),
    ("Dog AND Beach", "(Dog AND Beach)"),
    ("Dog OR Cat", "(Dog OR Cat)"),
    ("Dog Beach OR Cat", "((Dog AND Beach) OR Cat)"),  # AND binds tighter than OR
    ("Dog OR Cat Beach", "(Dog OR (Cat AND Beach))"),
    ("Dog AND (Cat OR Bird)", "(Dog AND (Cat OR Bird))"),
    ("NOT Cat", "NOT Cat"),
    ("Dog NOT Cat", "(Dog AND NOT Cat)"),
    ("NOT Dog OR Cat", "(NOT Dog OR Cat)"),  # NOT binds tighter than OR
    ("NOT (Dog OR Cat)", "NOT (Dog OR Cat)"),
    ("NOT NOT Dog", "NOT NOT Dog"),
    ("Dog>=90", "Dog>=90"),
    ("Dog >= 90", "Dog>=90"),
    ("Dog>90.5", "Dog>90.5"),
    ("Dog>=0 Cat>=100", "(Dog>=0 AND Cat>=100)"),
    ('"Soccer Ball"', '"Soccer Ball"'),
    ('"Soccer Ball">=80', '"Soccer Ball">=80'),
    ('category:"Animals and Pets"', 'category:"Animals and Pets"'),
    ("Category:Food", "category:Food"),
    ('category:"Animals and Pets">=75', 'category:"Animals and Pets">=75'),
    ("bucket:demo-videos", "bucket:demo-videos"),
    ("prefix:family/2024/", "prefix:family/2024/"),
    ("bucket: spaced", "bucket:spaced"),
    ('prefix:"My Videos/"', 'prefix:"My Videos/"'),
    ("T-Shirt", "T-Shirt"),
    ("and or not", "(and AND or AND not)"),  # keywords are capitals only
    ('"AND"', '"AND"'),  # a quoted keyword is a name
    ("", ""),
    ("   ", ""),
    (
        'Dog>=90 AND (Beach OR Sea) NOT category:"Vehicles and Automotive" bucket:b prefix:p/',
        '(Dog>=90 AND (Beach OR Sea) AND NOT category:"Vehicles and Automotive" AND bucket:b AND prefix:p/)',
    ),
]


@pytest.mark.parametrize(("query", "canonical"), PARSES)
def test_parses(query, canonical):
    assert to_text(parse(query)) == canonical


@pytest.mark.parametrize(("query", "canonical"), PARSES)
def test_the_canonical_form_is_a_fixed_point(query, canonical):
    assert to_text(parse(canonical)) == canonical


def test_trees_carry_names_thresholds_and_positions():
    assert parse("Dog") == LabelTerm("Dog", None, 0)
    assert parse("  Dog>=90") == LabelTerm("Dog", Threshold(90.0, True), 2)
    assert parse("Dog>90") == LabelTerm("Dog", Threshold(90.0, False), 0)
    assert parse('category:"Animals and Pets"') == CategoryTerm("Animals and Pets", None, 0)
    assert parse("x bucket:b") == And((LabelTerm("x", None, 0), BucketTerm("b", 2)))
    assert parse("prefix:a/b") == PrefixTerm("a/b", 0)
    assert parse("") == MatchAll()
    assert parse("A OR NOT B") == Or((LabelTerm("A", None, 0), Not(LabelTerm("B", None, 9))))


def test_thresholds_admit_as_written():
    assert Threshold(90, True).admits(90) and not Threshold(90, False).admits(90)
    assert Threshold(90, False).admits(90.01) and not Threshold(90, True).admits(89.99)


def test_positive_terms_leave_out_what_is_under_not():
    tree = parse("Dog (Cat OR NOT Bird) NOT (Fish OR Sea) bucket:b")
    assert [t.name for t in positive_terms(tree)] == ["Dog", "Cat"]


ERRORS = [
    # (query, position of the problem, words the message must contain)
    ("Dog>=", 5, "confidence"),
    ("Dog>=abc", 5, "not a number"),
    ("Dog>=101", 5, "out of range"),
    ("Dog>=-1", 5, "out of range"),
    ("Dog<50", 3, "not an operator"),
    ("Dog=50", 3, "not an operator"),
    ("(Dog", 0, "never closed"),
    ("Dog AND (Cat OR (Bird)", 8, "never closed"),
    ("Dog)", 3, "without a matching '('"),
    ("()", 1, "empty parentheses"),
    ("Dog AND", 7, "ends where a label was expected"),
    ("Dog OR", 6, "ends where a label was expected"),
    ("OR Dog", 0, "needs a label on both sides"),
    ("Dog AND OR Cat", 8, "needs a label on both sides"),
    ("NOT", 3, "ends where a label was expected"),
    ('"Soccer Ball', 0, "unterminated quote"),
    ('Dog "" Cat', 4, "empty name"),
    ("colour:red", 0, "unknown filter 'colour:'"),
    ("category:", 9, "needs a value"),
    ("bucket:)", 7, "needs a value"),
    ("bucket:b>=5", 8, "applies to labels and categories"),
    ("prefix:p>5", 8, "applies to labels and categories"),
    (":Dog", 0, "':' must follow a filter name"),
    (">=90", 0, "where a label was expected"),
    ("Dog >= >= 5", 7, "must follow '>='"),
]


@pytest.mark.parametrize(("query", "position", "words"), ERRORS)
def test_bad_queries_say_what_and_where(query, position, words):
    with pytest.raises(QueryError) as info:
        parse(query)
    assert info.value.position == position, str(info.value)
    assert words in info.value.message
    assert f"(at character {position + 1})" in str(info.value)
    assert info.value.pointer().splitlines()[1] == " " * position + "^"
