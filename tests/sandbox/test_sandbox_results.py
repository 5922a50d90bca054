"""GetLabelDetection: pagination, sorting, aggregation, metadata, echoes and realistic simulated labels."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sandbox_testkit import CLIP, DEMO, all_labels, client, code_of, start, wait_done

from gui.core.taxonomy import UNCATEGORIZED, load_taxonomy
from gui.resources_path import resources_dir

# demo key -> (width, height, fps, duration ms)
EXPECTED_METADATA = {
    "family/2024/beach-walk.mp4": (320, 180, 25.0, 6000),
    "family/2024/birthday-party.mp4": (320, 180, 30.0, 3000),
    "family/pets/dog-park.mov": (320, 240, 24.0, 4000),
    "family/phone/phone-portrait.mp4": (180, 320, 30.0, 5000),
    "city/city-traffic.mp4": (426, 240, 30.0, 10000),
    "home/kitchen-cooking.mp4": (256, 144, 15.0, 14000),
    "travel/drone/mountain-drone.mp4": (480, 270, 30.0, 8000),
    "travel/timelapse-clouds.mp4": (640, 360, 12.0, 2500),
    "sports/soccer-match.mov": (384, 216, 25.0, 12000),
    "work/warehouse/warehouse-forklift.mov": (256, 192, 20.0, 20000),
}


@pytest.fixture(scope="module")
def dense() -> Any:
    """A private sandbox whose jobs return 2,500 detections (before filters).  Quotas off: the module
    pages through every result many times over, back to back (quotas: test_sandbox_quotas.py)."""
    from gui.sandbox import Sandbox

    sb = Sandbox(seed_demo=True, job_seconds=0.02, detections_per_job=2500, start_tps=0, get_tps=0)
    sb.start()
    yield sb
    sb.stop()


@pytest.fixture(scope="module")
def dense_job(dense: Any) -> str:
    rek = client(dense, "rekognition")
    job = start(rek, MinConfidence=0, JobTag="dense-tag")
    wait_done(rek, job)
    return job


def test_max_results_defaults_to_1000_and_larger_values_are_capped(dense, dense_job):
    rek = client(dense, "rekognition")
    page = rek.get_label_detection(JobId=dense_job)
    assert len(page["Labels"]) == 1000 and page["NextToken"]
    capped = rek.get_label_detection(JobId=dense_job, MaxResults=5000)
    assert len(capped["Labels"]) == 1000
    small = rek.get_label_detection(JobId=dense_job, MaxResults=7)
    assert len(small["Labels"]) == 7
    assert small["Labels"] == page["Labels"][:7]


def test_pagination_walks_every_item_once_with_stable_tokens(dense, dense_job):
    rek = client(dense, "rekognition")
    items = all_labels(rek, dense_job, MaxResults=400)
    assert len(items) == 2500
    first = rek.get_label_detection(JobId=dense_job, MaxResults=400)
    token = first["NextToken"]
    again_a = rek.get_label_detection(JobId=dense_job, MaxResults=400, NextToken=token)
    again_b = rek.get_label_detection(JobId=dense_job, MaxResults=400, NextToken=token)
    assert again_a["Labels"] == again_b["Labels"] == items[400:800]
    assert again_a["NextToken"] == again_b["NextToken"]
    second = rek.get_label_detection(JobId=dense_job, MaxResults=1000,
                                     NextToken=rek.get_label_detection(JobId=dense_job, MaxResults=2000)["NextToken"])
    third = rek.get_label_detection(JobId=dense_job, NextToken=second["NextToken"])
    assert second["Labels"] == items[1000:2000]
    assert third["Labels"] == items[2000:] and len(third["Labels"]) == 500
    assert "NextToken" not in third


@pytest.mark.parametrize("token", ["garbage", "bm90LWEtdG9rZW4=", "MTAwOnNpZ25hdHVyZQ=="])
def test_garbage_next_token_is_invalid_pagination_token(dense, dense_job, token):
    rek = client(dense, "rekognition")
    with pytest.raises(rek.exceptions.InvalidPaginationTokenException) as excinfo:
        rek.get_label_detection(JobId=dense_job, NextToken=token)
    assert code_of(excinfo) == "InvalidPaginationTokenException"


def test_a_token_from_another_job_is_invalid(dense, dense_job):
    rek = client(dense, "rekognition")
    other = start(rek, MinConfidence=0)
    wait_done(rek, other)
    token = rek.get_label_detection(JobId=other, MaxResults=10)["NextToken"]
    with pytest.raises(rek.exceptions.InvalidPaginationTokenException):
        rek.get_label_detection(JobId=dense_job, NextToken=token)


def test_sort_by_timestamp_and_by_name(dense, dense_job):
    rek = client(dense, "rekognition")
    by_time = all_labels(rek, dense_job)
    by_name = all_labels(rek, dense_job, SortBy="NAME")
    stamps = [d["Timestamp"] for d in by_time]
    assert stamps == sorted(stamps)
    names = [d["Label"]["Name"] for d in by_name]
    assert names == sorted(names)
    for a, b in zip(by_name, by_name[1:], strict=False):  # within one label: by confidence, highest first
        if a["Label"]["Name"] == b["Label"]["Name"]:
            assert a["Label"]["Confidence"] >= b["Label"]["Confidence"]
    key = lambda d: (d["Timestamp"], d["Label"]["Name"], d["Label"]["Confidence"])  # noqa: E731
    assert sorted(by_time, key=key) == sorted(by_name, key=key)
    meta = rek.get_label_detection(JobId=dense_job, SortBy="NAME", MaxResults=1)["GetRequestMetadata"]
    assert meta == {"SortBy": "NAME", "AggregateBy": "TIMESTAMPS"}


def test_aggregate_by_segments(dense, dense_job):
    rek = client(dense, "rekognition")
    detections = all_labels(rek, dense_job)
    segments = all_labels(rek, dense_job, AggregateBy="SEGMENTS")
    assert 0 < len(segments) < len(detections)
    for seg in segments:
        assert seg["EndTimestampMillis"] - seg["StartTimestampMillis"] == seg["DurationMillis"] >= 0
        assert "Instances" not in seg["Label"]  # no instance information when aggregating by segments
        assert 0 <= seg["StartTimestampMillis"] <= seg["EndTimestampMillis"] <= 6000
    assert {s["Label"]["Name"] for s in segments} == {d["Label"]["Name"] for d in detections}
    starts = [s["StartTimestampMillis"] for s in segments]
    assert starts == sorted(starts)
    for det in detections:
        assert "StartTimestampMillis" not in det and "DurationMillis" not in det
    page = rek.get_label_detection(JobId=dense_job, AggregateBy="SEGMENTS", SortBy="NAME", MaxResults=5)
    assert page["GetRequestMetadata"] == {"SortBy": "NAME", "AggregateBy": "SEGMENTS"}


def test_segments_merge_consecutive_detections_of_a_label(fast_sandbox, rek):
    from gui.sandbox.seed import demo_file

    key = "scripted/segments.mp4"
    fast_sandbox.put_object(DEMO, key, demo_file("beach-walk.mp4"))  # 6 s
    script = [{"Timestamp": t, "Label": {"Name": "Dog", "Confidence": 90.0}} for t in (0, 500, 1000, 4000, 4500)]
    script += [{"Timestamp": t, "Label": {"Name": "Cat", "Confidence": 80.0 + t / 1000}} for t in (1000, 1500)]
    script += [{"Timestamp": 5800, "Label": {"Name": "Bird", "Confidence": 70.0}}]
    fast_sandbox.set_detection_script(DEMO, key, script)
    segments = all_labels(rek, start(rek, key=key), AggregateBy="SEGMENTS")
    spans = [(s["Label"]["Name"], s["StartTimestampMillis"], s["EndTimestampMillis"]) for s in segments]
    # runs split where a label is missing from consecutive samples (every 500 ms here); the end is
    # the last sample plus one interval, never past the end of the video
    assert spans == [("Dog", 0, 1500), ("Cat", 1000, 2000), ("Dog", 4000, 5000), ("Bird", 5800, 6000)]
    cat = next(s for s in segments if s["Label"]["Name"] == "Cat")
    assert cat["Label"]["Confidence"] == pytest.approx(81.5)  # the highest in the run
    assert cat["Timestamp"] == cat["StartTimestampMillis"]
    assert cat["Label"]["Categories"] == [{"Name": "Animals and Pets"}]


@pytest.mark.parametrize("key", sorted(EXPECTED_METADATA))
def test_video_metadata_comes_from_the_real_file_on_every_page(rek, key):
    job = start(rek, key=key, MinConfidence=0)
    wait_done(rek, job)
    width, height, fps, duration = EXPECTED_METADATA[key]
    token, pages = None, 0
    while True:
        kw = {"NextToken": token} if token else {}
        page = rek.get_label_detection(JobId=job, MaxResults=10, **kw)
        meta = page["VideoMetadata"]
        assert meta["Codec"] == "h264"
        assert (meta["FrameWidth"], meta["FrameHeight"]) == (width, height)
        assert meta["FrameRate"] == pytest.approx(fps)
        assert meta["DurationMillis"] == duration
        assert meta["ColorRange"] in ("LIMITED", "FULL") and meta["Format"]
        pages += 1
        token = page.get("NextToken")
        if not token:
            break
    assert pages >= 2


def test_video_metadata_matches_pyav(rek):
    av = pytest.importorskip("av")
    from gui.sandbox.seed import DEMO_VIDEOS, demo_dir

    key = "family/phone/phone-portrait.mp4"
    with av.open(str(demo_dir() / DEMO_VIDEOS[key])) as container:
        stream = container.streams.video[0]
        expected = (stream.codec_context.width, stream.codec_context.height, float(stream.average_rate),
                    stream.codec_context.name)
        duration_ms = round(container.duration / 1000)
    meta = wait_done(rek, start(rek, key=key))["VideoMetadata"]
    assert (meta["FrameWidth"], meta["FrameHeight"], meta["FrameRate"], meta["Codec"]) == expected
    assert abs(meta["DurationMillis"] - duration_ms) <= 40


def test_response_echoes_job_and_request(dense, dense_job):
    rek = client(dense, "rekognition")
    page = rek.get_label_detection(JobId=dense_job, MaxResults=3)
    assert page["JobId"] == dense_job
    assert page["JobTag"] == "dense-tag"
    assert page["Video"] == {"S3Object": {"Bucket": DEMO, "Name": CLIP}}
    assert page["LabelModelVersion"] == "3.0"
    assert page["GetRequestMetadata"] == {"SortBy": "TIMESTAMP", "AggregateBy": "TIMESTAMPS"}
    untagged = start(rek)
    assert "JobTag" not in wait_done(rek, untagged)


DOCUMENTED_PARENTS = json.loads((resources_dir() / "labels" / "parents.json").read_text())["parents"]


def _check_label(label: dict[str, Any]) -> None:
    taxonomy = load_taxonomy()
    info = taxonomy.get(label["Name"])
    assert info is not None, label["Name"]
    expected_categories = [] if info.category == UNCATEGORIZED else [{"Name": info.category}]
    assert label["Categories"] == expected_categories
    assert label["Aliases"] == [{"Name": a} for a in info.aliases]
    parents = [p["Name"] for p in label["Parents"]]
    assert set(DOCUMENTED_PARENTS.get(label["Name"], ())) <= set(parents)  # only documented pairs (+ theirs)
    assert all(p in taxonomy.labels for p in parents) and len(set(parents)) == len(parents)
    assert 0 <= label["Confidence"] <= 100
    if not info.bounding_box:
        assert label["Instances"] == []
    for inst in label["Instances"]:
        box = inst["BoundingBox"]
        assert 0.0 < box["Width"] <= 1.0 and 0.0 < box["Height"] <= 1.0
        # "slightly outside 0..1" at frame edges (botocore's BoundingBox), never far outside
        assert -0.05 <= box["Left"] and box["Left"] + box["Width"] <= 1.05
        assert -0.05 <= box["Top"] and box["Top"] + box["Height"] <= 1.05
        assert 0 <= inst["Confidence"] <= 100


def test_simulated_labels_are_realistic(dense, dense_job):
    rek = client(dense, "rekognition")
    items = all_labels(rek, dense_job)
    for det in items:
        _check_label(det["Label"])
        assert 0 <= det["Timestamp"] <= 6000
    assert any(d["Label"]["Instances"] for d in items), "bounding-box labels should carry instances"
    assert len({d["Timestamp"] for d in items}) > 10


def test_labels_are_deterministic_per_object(rek):
    a = all_labels(rek, start(rek, key="city/city-traffic.mp4"))
    b = all_labels(rek, start(rek, key="city/city-traffic.mp4"))
    c = all_labels(rek, start(rek, key="sports/soccer-match.mov"))
    assert a == b
    assert {d["Label"]["Name"] for d in a} != {d["Label"]["Name"] for d in c}
    assert max(d["Timestamp"] for d in a) <= 10000 and max(d["Timestamp"] for d in c) <= 12000


def test_min_confidence_drops_labels_and_instances_below_it(rek):
    low = all_labels(rek, start(rek, key="city/city-traffic.mp4", MinConfidence=0))
    default = all_labels(rek, start(rek, key="city/city-traffic.mp4"))
    high = all_labels(rek, start(rek, key="city/city-traffic.mp4", MinConfidence=85))
    assert len(low) > len(default) > len(high) > 0
    assert min(d["Label"]["Confidence"] for d in default) >= 50
    for det in high:
        assert det["Label"]["Confidence"] >= 85
        assert all(i["Confidence"] >= 85 for i in det["Label"]["Instances"])


def test_density_is_settable_for_benchmarks(make_sandbox):
    # 20+ pages back to back: the GetLabelDetection quota is off, this is about result sizes
    sb = make_sandbox(seed_demo=True, job_seconds=0.01, detections_per_job=20_000, get_tps=0)
    rek = client(sb, "rekognition")
    items = all_labels(rek, start(rek, key="family/2024/birthday-party.mp4", MinConfidence=0))
    assert len(items) == 20_000
    assert max(d["Timestamp"] for d in items) < 3000
    sb.detections_per_job = None
    sb.label_density = 2.0  # detections per second of video
    few = all_labels(rek, start(rek, key="family/2024/birthday-party.mp4", MinConfidence=0))
    assert len(few) == 6
