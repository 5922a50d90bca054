"""Markers from segments: merging across gaps, the filters, the note and the colour palette."""

from __future__ import annotations

import csv
from dataclasses import dataclass

import pytest

from gui.core.markers import (
    CATEGORY_COLOURS,
    RESOLVE_COLOURS,
    MarkerOptions,
    build_markers,
    colour_for,
    split_list,
)


@dataclass(frozen=True)
class Seg:
    label: str
    start_ms: int | None
    end_ms: int | None
    confidence: float = 90.0
    categories: tuple[str, ...] = ("Vehicles and Automotive",)
    timestamp_ms: int = 0


def spans(markers):
    return [(m.label, m.start_ms, m.end_ms) for m in markers]


@pytest.mark.parametrize(
    ("segments", "gap", "expected"),
    [
        # gap exactly the tolerance merges; one ms more does not
        ([Seg("Car", 0, 1000), Seg("Car", 2000, 3000)], 1000, [("Car", 0, 3000)]),
        ([Seg("Car", 0, 1000), Seg("Car", 2001, 3000)], 1000, [("Car", 0, 1000), ("Car", 2001, 3000)]),
        # touching and overlapping always merge, even with no gap allowed; the longest end wins
        ([Seg("Car", 0, 1000), Seg("Car", 1000, 1500)], 0, [("Car", 0, 1500)]),
        ([Seg("Car", 0, 5000), Seg("Car", 1000, 2000)], 0, [("Car", 0, 5000)]),
        # input order does not matter
        ([Seg("Car", 2000, 3000), Seg("Car", 0, 1000)], 1000, [("Car", 0, 3000)]),
        # labels never merge with each other; sorted by start, then label
        ([Seg("Dog", 0, 1000), Seg("Car", 500, 900), Seg("Car", 0, 100)], 1000,
         [("Car", 0, 900), ("Dog", 0, 1000)]),
        # a segment without start/end (never from SEGMENTS, but safe) is a point at its timestamp
        ([Seg("Car", None, None, timestamp_ms=700)], 1000, [("Car", 700, 700)]),
        # a larger tolerance bridges longer gaps
        ([Seg("Car", 0, 1000), Seg("Car", 4000, 5000)], 3000, [("Car", 0, 5000)]),
    ],
)
def test_merging(segments, gap, expected):
    assert spans(build_markers(segments, MarkerOptions(merge_gap_ms=gap))) == expected


def test_default_gap_is_one_second():
    assert MarkerOptions().merge_gap_ms == 1000


SEGS = [
    Seg("Car", 0, 1000, 95.0, ("Vehicles and Automotive",)),
    Seg("Car", 1500, 2500, 40.0, ("Vehicles and Automotive",)),
    Seg("Car", 3000, 4000, 85.0, ("Vehicles and Automotive",)),
    Seg("Dog", 0, 300, 99.0, ("Animals and Pets",)),
    Seg("Person", 10_000, 20_000, 70.0, ("Person Description",)),
]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (MarkerOptions(), [("Car", 0, 4000), ("Dog", 0, 300), ("Person", 10_000, 20_000)]),
        # confidence filters segments before merging: the weak middle segment no longer bridges
        (MarkerOptions(min_confidence=50), [("Car", 0, 1000), ("Dog", 0, 300), ("Car", 3000, 4000),
                                            ("Person", 10_000, 20_000)]),
        (MarkerOptions(labels=("car", "PERSON")), [("Car", 0, 4000), ("Person", 10_000, 20_000)]),
        (MarkerOptions(categories=("animals and pets",)), [("Dog", 0, 300)]),
        (MarkerOptions(labels=("Car",), categories=("Animals and Pets",)), []),
        # minimum duration applies to the merged span
        (MarkerOptions(min_duration_ms=1000), [("Car", 0, 4000), ("Person", 10_000, 20_000)]),
        (MarkerOptions(min_duration_ms=4001), [("Person", 10_000, 20_000)]),
        (MarkerOptions(min_confidence=99.5), []),
    ],
)
def test_filters(options, expected):
    assert spans(build_markers(SEGS, options)) == expected


def test_note_holds_max_and_mean_confidence_of_the_merged_segments_and_the_categories():
    (car,) = build_markers(SEGS[:3])
    assert car.segments == 3
    assert car.max_confidence == 95.0
    assert car.mean_confidence == pytest.approx((95 + 40 + 85) / 3)
    assert car.note == "Confidence max 95.0%, mean 73.3% (3 segments); Vehicles and Automotive"
    assert car.duration_ms == 4000


def test_options_problems():
    assert MarkerOptions().problems() == []
    assert MarkerOptions(min_confidence=100, min_duration_ms=0, merge_gap_ms=0).problems() == []  # the bounds
    assert MarkerOptions(min_confidence=101, min_duration_ms=-1, merge_gap_ms=-5).problems() == [
        "minimum confidence must be 0-100, not 101",
        "minimum duration must be 0 ms or more, not -1",
        "merge gap must be 0 ms or more, not -5",
    ]


def test_a_segment_at_exactly_the_minimum_confidence_is_kept():
    assert spans(build_markers(SEGS, MarkerOptions(min_confidence=99.0))) == [("Dog", 0, 300)]


def test_split_list():
    assert split_list(" Car, ,Person ,") == ("Car", "Person")
    assert split_list("") == ()


def _taxonomy_categories():
    from gui.resources_path import resources_dir

    path = resources_dir() / "labels" / "AmazonRekognitionLabelCategories_v3.0.csv"
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    return [r[0] for r in rows[1:] if r and r[0].strip()]


def test_every_taxonomy_category_has_a_palette_colour():
    categories = _taxonomy_categories()
    assert len(categories) == 40
    missing = [c for c in categories if c not in CATEGORY_COLOURS]
    assert missing == []
    assert set(CATEGORY_COLOURS) == set(categories)  # no stale names in the palette either


def test_palette_colours_are_otio_marker_colours_and_map_to_resolve_colours():
    import opentimelineio as otio

    resolve = {"Blue", "Cyan", "Green", "Yellow", "Red", "Pink", "Purple", "Fuchsia", "Rose", "Lavender", "Sky",
               "Mint", "Lemon", "Sand", "Cocoa", "Cream"}
    for colour in {*CATEGORY_COLOURS.values(), "WHITE"}:
        assert hasattr(otio.schema.MarkerColor, colour)
        assert RESOLVE_COLOURS[colour] in resolve


@pytest.mark.parametrize(
    ("categories", "colour"),
    [
        (("Vehicles and Automotive",), "ORANGE"),
        (("Animals and Pets", "Vehicles and Automotive"), "CYAN"),  # the first category decides
        (("Weapons and Military",), "RED"),
        (("Person Description",), "BLUE"),
        ((), "WHITE"),
        (("A category from the future",), "WHITE"),
    ],
)
def test_colour_by_first_category(categories, colour):
    assert colour_for(categories) == colour
