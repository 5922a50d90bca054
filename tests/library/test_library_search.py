"""Search semantics over a hand-made library: each expectation is written out by hand, so a change of
alias, category, threshold, NOT, precedence or place semantics fails here."""

from __future__ import annotations

import time

import pytest
from library_support import det, keys, store_job

from gui.core.library import Moment
from gui.core.library_index import MOMENT_GAP_MS
from gui.core.library_query import QueryError

PETS = ("Animals and Pets",)
CARS = ("Vehicles and Automotive",)


@pytest.fixture
def lib(store, library):
    store_job(store, "j-beach-dog", "s3://home/family/beach-dog.mp4", [
        det(0, "Dog", 80, cats=PETS, parents=("Animal", "Mammal")),
        det(500, "Dog", 92, cats=PETS, parents=("Animal", "Mammal")),
        det(1500, "Dog", 85, cats=PETS, parents=("Animal", "Mammal")),
        det(5000, "Dog", 60, cats=PETS, parents=("Animal", "Mammal")),
        det(0, "Beach", 88), det(1000, "Beach", 86), det(2000, "Beach", 84),
        det(3000, "Person", 70),
    ])
    # no Categories in the results: the taxonomy puts Cat in "Animals and Pets"
    store_job(store, "j-cat", "s3://home/family/cat.mp4", [det(0, "Cat", 99), det(4000, "Beach", 60)])
    store_job(store, "j-car", "s3://home/work/car.mp4", [
        det(0, "Car", 95, cats=CARS), det(500, "Person", 90), det(8000, "Dog", 90, cats=PETS),
        det(9000, "Pooch Thing", 75, aliases=("Pooch",)),
    ])
    store_job(store, "j-sea", "s3://other/family/sea.mp4", [det(0, "Sea", 97), det(100, "Dog", 91, cats=PETS)])
    return library


BEACH_DOG, CAT, CAR, SEA = "family/beach-dog.mp4", "family/cat.mp4", "work/car.mp4", "family/sea.mp4"

CASES = [
    ("Dog", [BEACH_DOG, CAR, SEA]),
    ("dog", [BEACH_DOG, CAR, SEA]),  # names are case-insensitive
    ("Dog>=90", [BEACH_DOG, CAR, SEA]),  # 92, exactly 90, 91
    ("Dog>90", [BEACH_DOG, SEA]),
    ("Dog>91", [BEACH_DOG]),
    ("Dog>=92.5", []),
    ("Human", [BEACH_DOG, CAR]),  # the taxonomy's alias of Person
    ("Ocean", [SEA]),  # ... of Sea
    ("Pooch", [CAR]),  # an alias the results carry
    ("Animal", [BEACH_DOG, CAR, SEA]),  # a parent of Dog (parents belong to the label, not the video)
    ('category:"Animals and Pets"', [BEACH_DOG, CAT, CAR, SEA]),  # Cat through the taxonomy
    ('category:"animals and pets"', [BEACH_DOG, CAT, CAR, SEA]),
    ('category:"Animals and Pets">=95', [CAT]),
    ('category:"Vehicles and Automotive"', [CAR]),
    ("Beach NOT Dog", [CAT]),
    ("Beach AND NOT Dog", [CAT]),
    ("Beach OR Car Dog", [BEACH_DOG, CAT, CAR]),  # Beach OR (Car AND Dog)
    ("(Beach OR Car) Dog", [BEACH_DOG, CAR]),
    ("NOT Cat OR Beach", [BEACH_DOG, CAT, CAR, SEA]),  # (NOT Cat) OR Beach
    ("NOT (Cat OR Beach)", [CAR, SEA]),
    ("Dog>=90 Person NOT Beach", [CAR]),  # the typical query: two labels and a NOT
    ("NOT Dog>=91", [CAT, CAR]),  # no Dog moment reaching 91 (car's Dog is 90)
    ("bucket:other", [SEA]),
    ("bucket:home prefix:family/", [BEACH_DOG, CAT]),
    ("prefix:family/", [BEACH_DOG, CAT, SEA]),
    ("prefix:Family/", []),  # S3 keys are case-sensitive
    ("bucket:home Dog", [BEACH_DOG, CAR]),
    ("Unicorn", []),  # a name no video has: no match, no error
    ("Unicorn OR Sea", [SEA]),
    ("NOT Unicorn", [BEACH_DOG, CAT, CAR, SEA]),
    ("", [BEACH_DOG, CAT, CAR, SEA]),
]


@pytest.mark.parametrize(("query", "expected"), CASES)
def test_search_semantics(lib, query, expected):
    assert keys(lib.search(query)) == expected


def test_matches_are_ordered_by_bucket_then_key_and_say_where_they_are(lib):
    matches = list(lib.search("Dog"))
    assert [m.uri for m in matches] == [
        "s3://home/family/beach-dog.mp4", "s3://home/work/car.mp4", "s3://other/family/sea.mp4"]
    first = matches[0]
    assert (first.job_id, first.bucket, first.duration_ms, first.label_count) == ("j-beach-dog", "home", 10_000, 3)
    assert first.aggregation == "TIMESTAMPS"


def test_moments_of_a_threshold_term_are_those_reaching_it(lib):
    [m] = list(lib.search("Dog>=90 bucket:home prefix:family/"))
    # 0, 500 and 1500 ms are at most MOMENT_GAP_MS apart: one moment; 5000 ms is another
    assert m.moments == (Moment("Dog", 0, 1500, 92.0),)
    [m] = list(lib.search("Dog prefix:family/beach"))
    assert m.moments == (Moment("Dog", 0, 1500, 92.0), Moment("Dog", 5000, 5000, 60.0))


def test_moments_come_from_the_terms_that_made_the_video_match(lib):
    by_key = {m.key: m for m in lib.search("Beach OR Car Dog")}
    assert {x.label for x in by_key[BEACH_DOG].moments} == {"Beach"}  # Car AND Dog is false there
    assert {x.label for x in by_key[CAR].moments} == {"Car", "Dog"}
    assert {x.label for x in by_key[CAT].moments} == {"Beach"}
    [m] = list(lib.search("Sea NOT Cat bucket:other"))
    assert m.moments == (Moment("Sea", 0, 0, 97.0),)


def test_not_and_place_terms_bring_no_moments(lib):
    assert all(m.moments == () for m in lib.search("NOT Cat"))
    assert all(m.moments == () for m in lib.search("bucket:home"))
    assert [m.moments for m in lib.search("Sea", moments=False)] == [()]


def test_a_category_term_shows_the_moments_of_its_labels(lib):
    [m] = list(lib.search('category:"Animals and Pets" bucket:other'))
    assert m.moments == (Moment("Dog", 100, 100, 91.0),)


def test_keyword_filters_narrow_the_query(lib):
    assert keys(lib.search("Dog", bucket="home")) == [BEACH_DOG, CAR]
    assert keys(lib.search("Dog", prefix="work/")) == [CAR]
    assert keys(lib.search("", since=time.time() - 3600)) == [BEACH_DOG, CAT, CAR, SEA]
    assert keys(lib.search("", since=time.time() + 3600)) == []
    assert keys(lib.search("", until=time.time() - 3600)) == []


def test_a_bad_query_raises_before_any_row_is_read(lib):
    with pytest.raises(QueryError) as info:
        lib.search("Dog AND")  # no iteration needed
    assert info.value.position == 7


def test_a_search_streams(lib):
    stream = lib.search("")
    assert next(stream).key == BEACH_DOG
    stream.close()  # abandoning a stream ends its read transaction
    assert len(list(lib.search(""))) == 4


@pytest.mark.parametrize(("gap", "moments"), [(MOMENT_GAP_MS, 1), (MOMENT_GAP_MS + 1, 2)])
def test_timestamps_merge_into_moments_up_to_the_gap(store, library, gap, moments):
    store_job(store, "j", "s3://b/v.mp4", [det(0, "Dog", 80), det(gap, "Dog", 90)])
    [m] = list(library.search("Dog"))
    assert len(m.moments) == moments


def test_segments_are_the_moments_when_stored(store, library):
    store_job(store, "j", "s3://b/v.mp4", [det(0, "Dog", 80), det(500, "Dog", 95)])
    store_job(store, "j", "s3://b/v.mp4", [
        det(0, "Dog", 80, end=2000), det(1500, "Dog", 95, end=3000),  # overlapping: merged
        det(5000, "Dog", 70, end=5500), det(6000, "Cat", 90, end=7000),
    ], aggregation="SEGMENTS")
    [m] = list(library.search("Dog"))
    assert m.aggregation == "SEGMENTS"
    assert m.moments == (Moment("Dog", 0, 3000, 95.0), Moment("Dog", 5000, 5500, 70.0))
    # a later TIMESTAMPS refetch does not replace the segments
    store_job(store, "j", "s3://b/v.mp4", [det(0, "Bird", 99)])
    assert keys(library.search("Bird")) == [] and keys(library.search("Cat")) == ["v.mp4"]
    row = store._db().execute(
        "SELECT max_confidence, moments, on_screen_ms, detections FROM library_labels WHERE label='Dog'"
    ).fetchone()
    assert row == (95.0, 2, 3000 + 500, 3)
