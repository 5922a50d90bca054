"""Every marker format at every frame rate, read back with OpenTimelineIO's adapters (Resolve's marker
EDL with a small parser of our own) and compared, to the frame, with a reference computed from the
GetLabelDetection segments independently of the code under test.

Results pages are built with the VideoMetadata of each rate (the sandbox end-to-end test covers real
jobs)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from editorial_support import (
    RATES,
    chapters_to_spans,
    expected_frames,
    expected_markers,
    otio_read,
    read_csv,
    read_fcpxml_exact,
    read_resolve_edl,
    read_vtt,
    segment,
    segments_page,
    store_pages,
)
from opentimelineio import opentime

from gui.core.editorial import FORMATS, WriteOptions, export_markers
from gui.core.markers import MarkerOptions

KEY = "shoots/day one/take 1.mp4"
JOB = "job-rates"
LABELS = [
    segment("Car", 0, 1000, 90.0, "Vehicles and Automotive"),
    segment("Car", 1500, 2500, 80.0, "Vehicles and Automotive"),  # merges with the one before (gap 500)
    segment("Car", 4000, 4500, 70.0, "Vehicles and Automotive"),  # does not (gap 1500)
    segment("Person", 33, 1033, 99.5, "Person Description"),
    segment("Dog", 59_990, 62_000, 97.0, "Animals and Pets"),  # across the first minute (drop-frame skip)
    segment("Tree", 599_500, 600_400, 88.0, "Plants and Flowers"),  # across the tenth minute (no skip)
    segment("Bird", 3_599_950, 3_600_017, 60.0, "Animals and Pets"),  # one frame or so, across an hour
]
COLOURS = {"Car": "Sand", "Person": "Blue", "Dog": "Cyan", "Tree": "Green", "Bird": "Cyan"}
OTIO_COLOURS = {"Car": "ORANGE", "Person": "BLUE", "Dog": "CYAN", "Tree": "GREEN", "Bird": "CYAN"}


@pytest.fixture(params=list(RATES), ids=[f"{r}fps" for r in RATES])
def rated(request, store):
    reported, fraction, drop = RATES[request.param]
    page = segments_page(LABELS, reported, duration_ms=3_700_000, key=KEY)
    store_pages(store, JOB, [page])
    expected = expected_frames(expected_markers([page]), fraction)
    return store, fraction, drop, expected


def _start(fraction: Fraction, drop: bool, text: str) -> int:
    if drop:
        text = text[:8] + ";" + text[9:]
    return round(opentime.from_timecode(text, float(fraction)).value)


def test_reference_has_the_shape_the_tests_rely_on(rated):
    _, _, _, expected = rated
    assert [m[0] for m in expected] == ["Car", "Person", "Car", "Dog", "Tree", "Bird"]


def test_edl_reads_back_with_the_cmx_3600_adapter(rated, tmp_path):
    store, fraction, drop, expected = rated
    out = tmp_path / "take.edl"
    export_markers(store, [JOB], "edl", out)
    text = out.read_text()
    assert text.splitlines()[1] == ("FCM: DROP FRAME" if drop else "FCM: NON-DROP FRAME")
    timeline = otio_read(out, "cmx_3600", rate=float(fraction))
    assert timeline.name == KEY
    (clip,) = list(timeline.find_clips())
    start = _start(fraction, drop, "01:00:00:00")
    assert round(clip.source_range.start_time.value) == start  # source timecode = record timecode
    event = next(line for line in text.splitlines() if line.startswith("001 ")).split()
    assert event[:4] == ["001", "take_1", "V", "C"]  # a reel name without the space of "take 1.mp4"
    assert len(event) == 8 and event[-4:-2] == event[-2:]  # record timecode = source timecode
    if drop:
        # The adapter writes drop-frame locators as 01:00:00;02 but its reader only matches ':' there,
        # so they are lost on reading. Strict: this fails (and must be updated) once the adapter reads them.
        assert len(clip.markers) == 0
        locs = [line.split() for line in text.splitlines() if line.startswith("* LOC: ")]
        assert [(" ".join(loc[4:]), round(opentime.from_timecode(loc[2], float(fraction)).value)) for loc in locs] == [
            (name.upper(), start + first) for name, first, _ in expected
        ]
        pytest.xfail("otio-cmx3600-adapter 1.0 cannot read drop-frame LOC lines")
    got = [(m.name, round(m.marked_range.start_time.value)) for m in clip.markers]
    # LOC lines carry no duration and the adapter writes names in capitals
    assert got == [(name.upper(), start + first) for name, first, _ in expected]
    assert [m.color for m in clip.markers] == [OTIO_COLOURS[name] for name, _, _ in expected]


def test_resolve_marker_edl_reads_back_with_our_parser(rated, tmp_path):
    store, fraction, drop, expected = rated
    out = tmp_path / "take-resolve.edl"
    export_markers(store, [JOB], "resolve-edl", out)
    parsed = read_resolve_edl(out.read_text(), fraction)
    assert parsed["title"] == KEY
    assert parsed["fcm"] == ("FCM: DROP FRAME" if drop else "FCM: NON-DROP FRAME")
    start = _start(fraction, drop, "01:00:00:00")
    got = [(m["name"], m["frame"] - start, m["duration"]) for m in parsed["markers"]]
    assert got == expected
    assert [m["colour"] for m in parsed["markers"]] == [COLOURS[name] for name, _, _ in expected]
    assert parsed["markers"][0]["note"].startswith("Confidence max 90.0%, mean 85.0% (2 segments)")


def test_fcp7_xml_reads_back_with_the_fcp_xml_adapter(rated, tmp_path):
    store, fraction, drop, expected = rated
    out = tmp_path / "take.xml"
    export_markers(store, [JOB], "fcp7xml", out)
    timeline = otio_read(out, "fcp_xml")
    assert timeline.name == KEY
    assert timeline.global_start_time.value == 0
    assert timeline.global_start_time.rate == pytest.approx(float(fraction))
    got = [(m.name, round(m.marked_range.start_time.value), round(m.marked_range.duration.value))
           for m in timeline.tracks.markers]
    assert got == expected
    assert timeline.tracks.markers[0].metadata["fcp_xml"]["comment"].startswith("Confidence max 90.0%")
    text = out.read_text()
    assert ("<displayformat>DF</displayformat>" in text) is drop


def test_fcpxml_reads_back_with_the_fcpx_xml_adapter(rated, tmp_path):
    store, fraction, drop, expected = rated
    out = tmp_path / "take.fcpxml"
    export_markers(store, [JOB], "fcpxml", out)
    text = out.read_text()
    exact = read_fcpxml_exact(text)
    assert exact["name"] == KEY
    assert exact["frame_duration"] == 1 / fraction
    assert 'width="1280" height="720"' in text
    assert exact["tc_format"] == ("DF" if drop else "NDF")
    assert exact["tc_start"] == 0
    assert [(name, start * fraction, duration * fraction) for _, name, start, duration, _ in exact["items"]] == [
        (name, first, frames) for name, first, frames in expected
    ]
    timeline = otio_read(out, "fcpx_xml")
    (clip,) = list(timeline.find_clips())
    markers = clip.markers
    assert [m.name for m in markers] == [name for name, _, _ in expected]
    if fraction.denominator == 1:
        got = [(m.name, round(m.marked_range.start_time.value), round(m.marked_range.duration.value)) for m in markers]
        assert got == expected
    else:
        # the adapter's reader counts int(rate) frames a second (29 for 29.97): it lands within one of its frames
        for m, (_, first, frames) in zip(markers, expected, strict=True):
            assert abs(m.marked_range.duration.to_seconds() - float(frames / fraction)) <= 2 / int(fraction)
            assert m.marked_range.start_time.rate == int(fraction)
            assert abs(m.marked_range.start_time.to_seconds() - float(first / fraction)) <= 1 / int(fraction)


def test_fcpxml_keyword_ranges(rated, tmp_path):
    store, fraction, _, expected = rated
    out = tmp_path / "take-keywords.fcpxml"
    export_markers(store, [JOB], "fcpxml", out, write=WriteOptions(fcpx_mode="keywords"))
    items = read_fcpxml_exact(out.read_text())["items"]
    assert {tag for tag, *_ in items} == {"keyword"}
    assert [(name, start * fraction, duration * fraction) for _, name, start, duration, _ in items] == [
        (name, first, frames) for name, first, frames in expected
    ]


def test_otio_reads_back(rated, tmp_path):
    store, fraction, _, expected = rated
    out = tmp_path / "take.otio"
    export_markers(store, [JOB], "otio", out)
    timeline = otio_read(out, "otio_json")
    assert timeline.name == KEY
    got = [(m.name, round(m.marked_range.start_time.value), round(m.marked_range.duration.value))
           for m in timeline.tracks.markers]
    assert got == expected
    assert [m.color for m in timeline.tracks.markers] == [OTIO_COLOURS[name] for name, _, _ in expected]
    assert timeline.tracks.markers[0].comment.startswith("Confidence max 90.0%, mean 85.0%")
    assert timeline.metadata["rekognition"]["edit_rate"] == f"{fraction.numerator}/{fraction.denominator}"


def test_markers_csv(rated, tmp_path):
    store, fraction, drop, expected = rated
    out = tmp_path / "take.csv"
    export_markers(store, [JOB], "markers-csv", out)
    rows = read_csv(out)
    assert list(rows[0])[:8] == ["start", "end", "duration", "timecode in", "timecode out", "label", "confidence",
                                 "mean confidence"]
    got = []
    for row in rows:
        tc_in = round(opentime.from_timecode(row["timecode in"], float(fraction)).value)
        tc_out = round(opentime.from_timecode(row["timecode out"], float(fraction)).value)
        assert (";" in row["timecode in"]) is drop
        assert float(row["start"]) == pytest.approx(float(tc_in / fraction), abs=0.0005)
        assert float(row["duration"]) == pytest.approx(float((tc_out - tc_in) / fraction), abs=0.001)
        got.append((row["label"], tc_in, tc_out - tc_in))
    assert got == expected
    assert rows[0]["confidence"] == "90.000" and rows[0]["mean confidence"] == "85.000"
    assert rows[0]["categories"] == "Vehicles and Automotive"


def test_vtt_chapters(rated, tmp_path):
    store, fraction, _, expected = rated
    out = tmp_path / "take.vtt"
    export_markers(store, [JOB], "vtt-chapters", out)
    cues = read_vtt(out.read_text())
    assert chapters_to_spans(cues, fraction) == sorted(expected)
    # Car and Person overlap at the start: the stretch where both are seen is one chapter named after both
    assert [text for *_, text in cues][:3] == ["Car", "Car, Person", "Car"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_settable_start_timecode(store, tmp_path, fmt):
    reported, fraction, _ = RATES["25"]
    page = segments_page([segment("Car", 1000, 2000, 90.0)], reported)
    store_pages(store, JOB, [page])
    out = tmp_path / f"start-{fmt}"
    export_markers(store, [JOB], fmt, out, write=WriteOptions(start_timecode="10:00:00:00"))
    text = out.read_text()
    if fmt in ("edl", "resolve-edl", "markers-csv"):
        assert "10:00:01:00" in text
    elif fmt == "fcpxml":
        assert 'tcStart="36000s"' in text
    elif fmt in ("fcp7xml", "otio"):
        timeline = otio_read(out, "fcp_xml" if fmt == "fcp7xml" else "otio_json")
        assert timeline.global_start_time.value == 900_000
    else:  # players know no start timecode: chapter times stay from the start of the video
        assert "00:00:01.000 --> 00:00:02.000" in text


def test_default_start_timecodes(store, tmp_path):
    page = segments_page([segment("Car", 1000, 2000, 90.0)], 25.0)
    store_pages(store, JOB, [page])
    export_markers(store, [JOB], "resolve-edl", tmp_path / "a.edl")
    export_markers(store, [JOB], "markers-csv", tmp_path / "a.csv")
    assert "01:00:01:00 01:00:01:01" in (tmp_path / "a.edl").read_text()
    assert read_csv(tmp_path / "a.csv")[0]["timecode in"] == "00:00:01:00"


def test_merge_gap_and_filters_reach_the_file(store, tmp_path):
    reported, fraction, _ = RATES["30"]
    page = segments_page(LABELS, reported, duration_ms=3_700_000)
    store_pages(store, JOB, [page])
    options = MarkerOptions(labels=("car",), merge_gap_ms=2000, min_confidence=75)
    out = tmp_path / "car.otio"
    export_markers(store, [JOB], "otio", out, options=options)
    timeline = otio_read(out, "otio_json")
    got = [(m.name, round(m.marked_range.start_time.value), round(m.marked_range.duration.value))
           for m in timeline.tracks.markers]
    assert got == expected_frames(expected_markers([page], 2000, min_confidence=75, labels=("car",)), fraction)
    assert len(got) == 1  # 70% segment dropped; the two others merge across 500 ms


def test_variable_frame_rate_is_rounded_and_reported(store, tmp_path):
    page = segments_page([segment("Car", 1000, 2000, 90.0)], 29.6)
    store_pages(store, JOB, [page])
    result = export_markers(store, [JOB], "otio", tmp_path / "vfr.otio")
    assert result.notes and "29.6" in result.notes[0]
    timeline = otio_read(tmp_path / "vfr.otio", "otio_json")
    marker = timeline.tracks.markers[0]
    assert marker.marked_range.start_time.rate == 30
    assert (marker.marked_range.start_time.value, marker.marked_range.duration.value) == (30, 30)
