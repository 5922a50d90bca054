"""Label hierarchy, SEGMENTS without Instances, boxes across frame edges, and every page against the model
(issue 11, items 3, 4, 5 and 12).

Sources:
- botocore's model, ``Label.Parents``: "The parent labels for a label. The response includes all ancestor
  labels."; DetectLabels: "The label car has two parent labels: Vehicle (its parent) and Transportation
  (its grandparent)."  The developer guide's samples (``images-s3``) list Car, Vehicle and Transportation
  as labels of their own in one response; every shipped pair's source is in
  gui/resources/labels/PARENTS_PROVENANCE.md.
- Developer guide, ``labels-detecting-labels-video``: "If aggregating by SEGMENTS, information about
  detected instances with bounding boxes are not returned."  Its SEGMENTS sample has no Instances member.
- botocore's model, ``BoundingBox``: "The bounding box coordinates can have negative values ... the service
  can return coordinates that are outside the image bounds and, depending on the image edge, you might get
  negative values or values greater than 1 for the left or top values."
"""

from __future__ import annotations

import json
from collections import defaultdict

import pytest
from sandbox_testkit import PAGES_CHECKED, all_labels, client, shape_problems, start, wait_done

from gui.sandbox.seed import demo_file

DEMO = "demo-videos"


def _names(parents):
    return [p["Name"] for p in parents]


def test_scripted_labels_carry_their_documented_ancestors(fast_sandbox, rek):
    key = "hierarchy/scripted.mp4"
    fast_sandbox.put_object(DEMO, key, demo_file("beach-walk.mp4"))
    fast_sandbox.set_detection_script(DEMO, key, [
        {"Timestamp": 0, "Label": {"Name": "Car", "Confidence": 91.0}},
        {"Timestamp": 0, "Label": {"Name": "Bicycle", "Confidence": 88.0}},
        {"Timestamp": 500, "Label": {"Name": "Sleeve", "Confidence": 80.0}},
        {"Timestamp": 500, "Label": {"Name": "Beach", "Confidence": 80.0}},
    ])
    got = {(d["Timestamp"], d["Label"]["Name"]): _names(d["Label"]["Parents"])
           for d in all_labels(rek, start(rek, key=key))}
    assert got == {
        (0, "Car"): ["Vehicle", "Transportation"],  # DG images-s3 / the model's DetectLabels text
        (0, "Bicycle"): ["Vehicle", "Transportation"],  # Bicycle -> Vehicle (DG video sample), Vehicle -> Transportation
        (500, "Sleeve"): ["Clothing"],  # DG api-video sample
        (500, "Beach"): [],  # no documented parent: none invented
    }


def test_simulated_ancestors_come_back_as_labels_at_the_same_timestamp(fast_sandbox, rek):
    items = all_labels(rek, start(rek, key="city/city-traffic.mp4", MinConfidence=0))
    by_time = defaultdict(dict)
    for d in items:
        by_time[d["Timestamp"]][d["Label"]["Name"]] = d["Label"]
    cars = [t for t, labels in by_time.items() if "Car" in labels]
    assert cars, "the city clip shows cars"
    for t in cars:
        car = by_time[t]["Car"]
        assert _names(car["Parents"]) == ["Vehicle", "Transportation"]
        assert _names(by_time[t]["Vehicle"]["Parents"]) == ["Transportation"]
        assert by_time[t]["Transportation"]["Parents"] == []
        assert by_time[t]["Vehicle"]["Confidence"] >= car["Confidence"]
        assert by_time[t]["Vehicle"]["Categories"] == [{"Name": "Vehicles and Automotive"}]
    names_per_time = [list(labels) for labels in by_time.values()]
    assert all(len(n) == len(set(n)) for n in names_per_time)  # each label once per timestamp


def test_segments_carry_no_instances_member(fast_sandbox, rek):
    job = start(rek, key="city/city-traffic.mp4", MinConfidence=0)
    wait_done(rek, job)
    raw = []
    rek.meta.events.register("after-call.rekognition.GetLabelDetection",
                             lambda http_response, **_: raw.append(json.loads(http_response.content)))
    segments = all_labels(rek, job, AggregateBy="SEGMENTS")
    assert segments and all("Instances" not in s["Label"] for s in segments)
    seg_pages = [page for page in raw if page["GetRequestMetadata"]["AggregateBy"] == "SEGMENTS"]
    assert seg_pages and all("Instances" not in item["Label"] for page in seg_pages for item in page["Labels"])
    timestamps = all_labels(rek, job)
    assert any(d["Label"].get("Instances") for d in timestamps)  # TIMESTAMPS still has them


def test_some_boxes_fall_slightly_outside_the_frame(fast_sandbox, rek):
    outside = inside = 0
    for key in ("city/city-traffic.mp4", "sports/soccer-match.mov", "work/warehouse/warehouse-forklift.mov"):
        for d in all_labels(rek, start(rek, key=key, MinConfidence=0)):
            for inst in d["Label"].get("Instances", []):
                b = inst["BoundingBox"]
                out = b["Left"] < 0 or b["Top"] < 0 or b["Left"] + b["Width"] > 1 or b["Top"] + b["Height"] > 1
                outside += out
                inside += not out
                assert -0.05 <= b["Left"] <= 1.0 and -0.05 <= b["Top"] <= 1.0
                assert b["Left"] + b["Width"] <= 1.05 and b["Top"] + b["Height"] <= 1.05
                assert 0 < b["Width"] <= 1 and 0 < b["Height"] <= 1
    assert outside > 0 and inside > outside  # some, near the edges; most boxes are inside


def test_every_page_is_checked_against_botocores_output_shape(fast_sandbox, rek):
    before = PAGES_CHECKED[0]
    job = start(rek, key="city/city-traffic.mp4", MinConfidence=0)
    pages = len(all_labels(rek, job, MaxResults=10)) // 10
    assert PAGES_CHECKED[0] - before >= pages  # the hook saw every page


def _output_shape():
    import botocore.session

    model = botocore.session.get_session().get_service_model("rekognition")
    return model.operation_model("GetLabelDetection").output_shape


@pytest.mark.parametrize(("page", "problem"), [
    ({"JobStatus": "SUCCEEDED", "Labels": [], "Extra": 1}, ".Extra: not a member"),
    ({"JobStatus": "DONE"}, "'DONE' is not one of"),
    ({"Labels": [{"Timestamp": "0"}]}, ".Labels[0].Timestamp: expected an integer"),
    ({"Labels": [{"Label": {"Name": "Car", "Instances": [{"BoundingBox": {"Left": "0.1"}}]}}]},
     "BoundingBox.Left: expected a number"),
    ({"Labels": [{"Label": {"Name": "Car", "Parent": []}}]}, ".Label.Parent: not a member"),
    ({"VideoMetadata": {"ColorRange": "PARTIAL"}}, "'PARTIAL' is not one of"),
])
def test_the_shape_check_can_fail(page, problem):
    problems = shape_problems(_output_shape(), page)
    assert any(problem in p for p in problems), problems


def test_a_real_page_passes_the_shape_check(fast_sandbox):
    rek = client(fast_sandbox, "rekognition")
    job = start(rek, key="city/city-traffic.mp4", MinConfidence=0)
    wait_done(rek, job)
    raw = []
    rek.meta.events.register("after-call.rekognition.GetLabelDetection",
                             lambda http_response, **_: raw.append(json.loads(http_response.content)))
    rek.get_label_detection(JobId=job, MaxResults=50)
    rek.get_label_detection(JobId=job, MaxResults=50, AggregateBy="SEGMENTS")
    assert len(raw) == 2 and all(shape_problems(_output_shape(), page) == [] for page in raw)
