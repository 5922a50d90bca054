"""MinConfidence and the four GENERAL_LABELS filter lists, asserted exactly with a detection script."""

from __future__ import annotations

from typing import Any

import pytest
from sandbox_testkit import DEMO, all_labels, start

KEY = "scripted/filters.mp4"
BOX = {"Width": 0.2, "Height": 0.3, "Left": 0.1, "Top": 0.1}
SCRIPT: list[dict[str, Any]] = [
    {"Timestamp": 0, "Label": {"Name": "Dog", "Confidence": 97.0,
                               "Instances": [{"BoundingBox": BOX, "Confidence": 96.0},
                                             {"BoundingBox": BOX, "Confidence": 55.0}]}},
    {"Timestamp": 0, "Label": {"Name": "Cat", "Confidence": 88.0}},
    {"Timestamp": 500, "Label": {"Name": "Car", "Confidence": 75.0}},
    {"Timestamp": 500, "Label": {"Name": "Pizza", "Confidence": 64.0}},
    {"Timestamp": 1000, "Label": {"Name": "Child", "Confidence": 91.0}},
    {"Timestamp": 1000, "Label": {"Name": "Riding Bicycle", "Confidence": 81.0}},
    {"Timestamp": 1500, "Label": {"Name": "Dog", "Confidence": 45.0}},  # under the default MinConfidence
    {"Timestamp": 2000, "Label": {"Name": "Not A Real Label", "Confidence": 70.0}},
]


@pytest.fixture(scope="module")
def scripted(fast_sandbox: Any) -> str:
    from gui.sandbox.seed import demo_file

    fast_sandbox.put_object(DEMO, KEY, demo_file("beach-walk.mp4"))
    fast_sandbox.set_detection_script(DEMO, KEY, SCRIPT)
    return KEY


def names(rek: Any, **params: Any) -> list[str]:
    return [d["Label"]["Name"] for d in all_labels(rek, start(rek, key=KEY, **params))]


def general(**filters: list[str]) -> dict[str, Any]:
    return {"Features": ["GENERAL_LABELS"], "Settings": {"GeneralLabels": filters}}


def test_script_is_returned_with_taxonomy_fields_filled(scripted, rek):
    items = all_labels(rek, start(rek, key=scripted, MinConfidence=0))
    assert [(d["Timestamp"], d["Label"]["Name"]) for d in items] == [
        (d["Timestamp"], d["Label"]["Name"]) for d in SCRIPT]
    by_name = {d["Label"]["Name"]: d["Label"] for d in items}
    assert by_name["Car"]["Categories"] == [{"Name": "Vehicles and Automotive"}]
    assert by_name["Car"]["Aliases"] == [{"Name": "Automobile"}]
    assert by_name["Child"]["Aliases"] == [{"Name": "Kid"}]
    assert by_name["Riding Bicycle"]["Categories"] == []  # AWS lists no category for it
    assert by_name["Not A Real Label"] == {"Name": "Not A Real Label", "Confidence": 70.0, "Instances": [],
                                           "Parents": [], "Aliases": [], "Categories": []}
    assert by_name["Cat"]["Instances"] == [] and by_name["Cat"]["Parents"] == []


def test_default_min_confidence_is_50(scripted, rek):
    got = names(rek)
    assert got == ["Dog", "Cat", "Car", "Pizza", "Child", "Riding Bicycle", "Not A Real Label"]


def test_min_confidence_applies_to_labels_and_to_instances(scripted, rek):
    items = all_labels(rek, start(rek, key=scripted, MinConfidence=80))
    assert [d["Label"]["Name"] for d in items] == ["Dog", "Cat", "Child", "Riding Bicycle"]
    dog = items[0]["Label"]
    assert [i["Confidence"] for i in dog["Instances"]] == [96.0]  # the 55 % box is dropped


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        pytest.param(general(LabelInclusionFilters=["Dog"]), ["Dog"], id="label-inclusion"),
        pytest.param(general(LabelCategoryInclusionFilters=["Animals and Pets"]), ["Dog", "Cat"],
                     id="category-inclusion"),
        pytest.param(general(LabelInclusionFilters=["Pizza"], LabelCategoryInclusionFilters=["Animals and Pets"]),
                     ["Dog", "Cat", "Pizza"], id="inclusions-are-a-union"),
        pytest.param(general(LabelExclusionFilters=["Car", "Pizza"]),
                     ["Dog", "Cat", "Child", "Riding Bicycle", "Not A Real Label"], id="label-exclusion"),
        pytest.param(general(LabelCategoryExclusionFilters=["Animals and Pets"]),
                     ["Car", "Pizza", "Child", "Riding Bicycle", "Not A Real Label"], id="category-exclusion"),
        pytest.param(general(LabelCategoryInclusionFilters=["Animals and Pets"], LabelExclusionFilters=["Cat"]),
                     ["Dog"], id="include-category-exclude-label"),
        pytest.param(general(LabelInclusionFilters=["Dog", "Car"], LabelCategoryExclusionFilters=["Animals and Pets"]),
                     ["Car"], id="exclusion-wins-over-inclusion"),
        pytest.param(general(LabelInclusionFilters=["dog"]), [], id="names-match-exactly"),
        pytest.param(general(LabelInclusionFilters=["Automobile"]), [], id="aliases-are-not-names"),
        pytest.param(general(LabelCategoryInclusionFilters=["Uncategorized"]), [], id="no-uncategorized-category"),
        pytest.param({"Features": ["GENERAL_LABELS"]}, ["Dog", "Cat", "Car", "Pizza", "Child", "Riding Bicycle",
                                                        "Not A Real Label"], id="feature-without-settings"),
    ],
)
def test_filter_lists(scripted, rek, filters, expected):
    assert names(rek, **filters) == expected


def test_filters_and_min_confidence_combine(scripted, rek):
    got = names(rek, MinConfidence=90, **general(LabelCategoryInclusionFilters=["Animals and Pets",
                                                                                "Person Description"]))
    assert got == ["Dog", "Child"]


def test_a_script_applies_to_jobs_started_after_it_is_set(fast_sandbox, rek):
    from gui.sandbox.seed import demo_file

    key = "scripted/late.mp4"
    fast_sandbox.put_object(DEMO, key, demo_file("dog-park.mov"))
    before = start(rek, key=key, MinConfidence=0)
    fast_sandbox.set_detection_script(DEMO, key, [{"Timestamp": 10, "Label": {"Name": "Goat", "Confidence": 99}}])
    after = start(rek, key=key, MinConfidence=0)
    fast_sandbox.set_detection_script(DEMO, key, None)
    cleared = start(rek, key=key, MinConfidence=0)
    assert [d["Label"]["Name"] for d in all_labels(rek, after)] == ["Goat"]
    simulated = all_labels(rek, before)
    assert len(simulated) > 1 and all_labels(rek, cleared) == simulated


def test_scene_hints_are_real_labels_and_shape_the_simulation():
    """Demo keys such as 'beach-walk.mp4' get matching labels; every hint is a real v3.0 label."""
    from gui.core.taxonomy import load_taxonomy
    from gui.sandbox import labelsim

    taxonomy = load_taxonomy()
    for names in labelsim.SCENE_HINTS.values():
        assert set(names) <= set(taxonomy.labels)
    hints = labelsim.scene_hints("family/2024/beach-walk.mp4")
    assert {"Beach", "Person", "Walking"} <= set(hints)
    assert labelsim.scene_hints("item-000001.mp4") == ()
    detections = labelsim.simulate(7, 6000, hints=hints)
    seen = {d["Label"]["Name"] for d in detections}
    assert {"Beach", "Person"} <= seen
    plain = {d["Label"]["Name"] for d in labelsim.simulate(7, 6000)}
    assert plain != seen  # the hints changed the draw
