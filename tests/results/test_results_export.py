"""Exports of a multi-page scripted job: JSON = the pages, CSV = one row per detection, valid WebVTT."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter

import pytest
from results_support import SCRIPT_SIZE, script

from gui.core.errors import KnownError
from gui.core.export import CSV_HEADER, export_job, format_time
from gui.core.results_fetch import fetch_and_store
from gui.core.results_store import SEGMENTS, TIMESTAMPS

TIMING = re.compile(r"^(\d{2,}):([0-5]\d):([0-5]\d)\.(\d{3}) --> (\d{2,}):([0-5]\d):([0-5]\d)\.(\d{3})$")


@pytest.fixture
def fetched(scripted_job, store):
    fetch_and_store(scripted_job["client"], scripted_job["job_id"], store)
    return store, scripted_job


def _ms(h: str, m: str, s: str, ms: str) -> int:
    return ((int(h) * 60 + int(m)) * 60 + int(s)) * 1000 + int(ms)


def parse_vtt(text: str) -> list[tuple[int, int, str]]:
    """A strict reader for what we write: the WEBVTT header, then cue blocks (optional id, timing line,
    one or more payload lines) separated by blank lines. Raises AssertionError on anything else."""
    assert text.startswith("WEBVTT"), "missing header"
    assert "\r" not in text
    blocks = text.split("\n\n")
    header = blocks[0].split("\n")[0]
    assert header == "WEBVTT" or header.startswith(("WEBVTT ", "WEBVTT\t"))
    cues = []
    for block in blocks[1:]:
        lines = [line for line in block.split("\n")]
        if not any(lines):
            continue
        if "-->" not in lines[0]:
            assert "-->" not in lines[0] and lines[0].strip(), "a cue identifier must be one non-empty line"
            lines = lines[1:]
        m = TIMING.match(lines[0])
        assert m, f"bad cue timing line: {lines[0]!r}"
        start, end = _ms(*m.group(1, 2, 3, 4)), _ms(*m.group(5, 6, 7, 8))
        payload = [line for line in lines[1:] if line]
        assert payload, "empty cue payload"
        assert all("-->" not in line for line in payload)
        cues.append((start, end, "\n".join(payload)))
    return cues


def test_json_export_is_the_pages_as_returned(fetched, tmp_path):
    store, job = fetched
    out = tmp_path / "pages.json"
    assert export_job(store, job["job_id"], "json", out) == 3
    assert json.loads(out.read_text(encoding="utf-8")) == job["timestamps"]
    out_seg = tmp_path / "segments.json"
    export_job(store, job["job_id"], "json", out_seg, aggregation=SEGMENTS)
    assert json.loads(out_seg.read_text(encoding="utf-8")) == job["segments"]


def test_csv_export_has_a_header_and_one_row_per_detection(fetched, tmp_path):
    store, job = fetched
    out = tmp_path / "detections.csv"
    assert export_job(store, job["job_id"], "csv", out) == SCRIPT_SIZE
    with out.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows = [dict(zip(header, row, strict=True)) for row in reader]
    assert tuple(header) == CSV_HEADER
    assert len(rows) == SCRIPT_SIZE
    expected = Counter((d["Timestamp"], d["Label"]["Name"], f"{d['Label']['Confidence']:.3f}") for d in script())
    assert Counter((int(r["timestamp_ms"]), r["label"], r["confidence"]) for r in rows) == expected
    car = next(r for r in rows if r["label"] == "Car")
    assert car["instance_count"] == "1"
    assert json.loads(car["instances"])[0]["BoundingBox"]["Width"] == 0.25
    assert car["time"] == format_time(int(car["timestamp_ms"]))
    assert car["categories"]  # from the taxonomy


def test_vtt_export_is_valid_with_one_cue_per_segment(fetched, tmp_path):
    store, job = fetched
    out = tmp_path / "labels.vtt"
    segments = [item for page in job["segments"] for item in page["Labels"]]
    assert export_job(store, job["job_id"], "vtt", out) == len(segments)
    cues = parse_vtt(out.read_text(encoding="utf-8"))
    assert len(cues) == len(segments)
    starts = [c[0] for c in cues]
    assert starts == sorted(starts), "cues must be in start-time order"
    assert all(end > start for start, end, _ in cues)
    expected = Counter((s["StartTimestampMillis"], s["Label"]["Name"]) for s in segments)
    assert Counter((start, text.split(" (")[0]) for start, _, text in cues) == expected


def test_vtt_timestamps_have_hours_minutes_seconds_millis():
    assert format_time(0) == "00:00:00.000"
    assert format_time(3_723_045) == "01:02:03.045"
    assert format_time(100 * 3_600_000) == "100:00:00.000"


def test_the_parser_rejects_bad_vtt():
    with pytest.raises(AssertionError):
        parse_vtt("WEBVTT\n\n00:01.000 --> 00:02.000\nshort timing\n")
    with pytest.raises(AssertionError):
        parse_vtt("SRT\n\n1\n00:00:01,000 --> 00:00:02,000\nx\n")


def test_export_needs_stored_results(fetched, store, tmp_path):
    with pytest.raises(KnownError):
        export_job(store, "unknown-job", "csv", tmp_path / "x.csv")
    with pytest.raises(ValueError):
        export_job(store, fetched[1]["job_id"], "xml", tmp_path / "x.xml")
    assert not (tmp_path / "x.csv").exists()


def test_vtt_needs_the_segments(scripted_job, store, tmp_path):
    fetch_and_store(scripted_job["client"], scripted_job["job_id"], store, aggregations=(TIMESTAMPS,))
    with pytest.raises(KnownError) as info:
        export_job(store, scripted_job["job_id"], "vtt", tmp_path / "x.vtt")
    assert "segments" in info.value.message.hint.lower()


def test_export_replaces_a_file_atomically(fetched, tmp_path):
    store, job = fetched
    folder = tmp_path / "exports"
    folder.mkdir()
    out = folder / "out.json"
    out.write_text("old contents")
    export_job(store, job["job_id"], "json", out)
    assert json.loads(out.read_text(encoding="utf-8"))
    assert [p.name for p in folder.iterdir()] == ["out.json"]  # no temp file left behind


def test_format_for_path_table():
    from pathlib import Path

    from gui.core.export import format_for_path

    assert format_for_path(Path("x.vtt"), "csv") == (Path("x.vtt"), "vtt")
    assert format_for_path(Path("x.CSV"), "json") == (Path("x.CSV"), "csv")
    assert format_for_path(Path("x"), "json") == (Path("x.json"), "json")
    assert format_for_path(Path("notes.txt"), "csv") == (Path("notes.txt"), "csv")
