"""Helpers for the editorial-export tests (no tests here): results pages with chosen VideoMetadata,
an independent reference for the expected markers, and readers for every written format.

The reference re-derives markers from GetLabelDetection's SEGMENTS the simple way (per label, sorted,
merged across the gap) and frames with exact fractions, without the code under test."""

from __future__ import annotations

import csv
import re
from fractions import Fraction
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

# The rates of the issue, as Rekognition reports them, with the exact rate and drop-frame flag editors use
RATES = {
    "23.976": (23.976023976023978, Fraction(24000, 1001), False),
    "24": (24.0, Fraction(24), False),
    "25": (25.0, Fraction(25), False),
    "29.97": (29.97002997002997, Fraction(30000, 1001), True),
    "30": (30.0, Fraction(30), False),
    "50": (50.0, Fraction(50), False),
    "59.94": (59.94005994005994, Fraction(60000, 1001), True),
    "60": (60.0, Fraction(60), False),
}


def segment(name: str, start: int, end: int, confidence: float, category: str | None = None) -> dict[str, Any]:
    label: dict[str, Any] = {"Name": name, "Confidence": confidence}
    if category:
        label["Categories"] = [{"Name": category}]
    return {
        "Timestamp": start,
        "StartTimestampMillis": start,
        "EndTimestampMillis": end,
        "DurationMillis": end - start,
        "Label": label,
    }


def segments_page(labels: list[dict[str, Any]], frame_rate: float, *, duration_ms: int = 90_000,
                  key: str = "shoots/day one/take 1.mp4") -> dict[str, Any]:
    return {
        "JobStatus": "SUCCEEDED",
        "VideoMetadata": {"Codec": "h264", "DurationMillis": duration_ms, "Format": "QuickTime / MOV",
                          "FrameRate": frame_rate, "FrameHeight": 720, "FrameWidth": 1280},
        "Video": {"S3Object": {"Bucket": "footage", "Name": key}},
        "LabelModelVersion": "3.0",
        "Labels": labels,
    }


def store_pages(store: Any, job_id: str, pages: list[dict[str, Any]], aggregation: str = "SEGMENTS") -> None:
    rid = store.begin_result(job_id, aggregation)
    for n, page in enumerate(pages):
        store.add_page(rid, n, page)
    store.complete_result(rid, pages[-1])


def expected_markers(pages: list[dict[str, Any]], gap_ms: int = 1000, *, min_confidence: float = 0.0,
                     labels: tuple[str, ...] = (), min_duration_ms: int = 0) -> list[tuple[str, int, int]]:
    """(label, start ms, end ms) per marker, sorted by start then label."""
    spans: dict[str, list[tuple[int, int]]] = {}
    for page in pages:
        for item in page["Labels"]:
            name = item["Label"]["Name"]
            if labels and name.lower() not in {x.lower() for x in labels}:
                continue
            if item["Label"]["Confidence"] < min_confidence:
                continue
            spans.setdefault(name, []).append((item["StartTimestampMillis"], item["EndTimestampMillis"]))
    out = []
    for name, items in spans.items():
        items.sort()
        cur_s, cur_e = items[0]
        for s, e in items[1:]:
            if s - cur_e <= gap_ms:
                cur_e = max(cur_e, e)
            else:
                out.append((name, cur_s, cur_e))
                cur_s, cur_e = s, e
        out.append((name, cur_s, cur_e))
    out = [m for m in out if m[2] - m[1] >= min_duration_ms]
    out.sort(key=lambda m: (m[1], m[0].lower(), m[2]))
    return out


def frame(ms: int, rate: Fraction) -> int:
    """Nearest frame, half up."""
    exact = Fraction(ms) * rate / 1000
    return int(exact + Fraction(1, 2)) if exact >= 0 else 0


def expected_frames(markers: list[tuple[str, int, int]], rate: Fraction) -> list[tuple[str, int, int]]:
    """(label, first frame, frame count >= 1)."""
    out = []
    for name, s, e in markers:
        first = frame(s, rate)
        out.append((name, first, max(1, frame(e, rate) - first)))
    return out


# ---- readers ---------------------------------------------------------------------------------------------


def otio_read(path: Path, adapter: str, **kwargs: Any) -> Any:
    import opentimelineio as otio

    result = otio.adapters.read_from_file(str(path), adapter, **kwargs)
    if isinstance(result, otio.schema.SerializableCollection):
        result = result[0]
    return result


_RESOLVE_EVENT = re.compile(
    r"^(\d{3,})\s+001\s+V\s+C\s+(\S+) (\S+) (\S+) (\S+)\s*$"
)
_RESOLVE_MARKER = re.compile(r"^(.*?)\s*\|C:ResolveColor(\w+) \|M:(.*?) \|D:(\d+)\s*$")


def read_resolve_edl(text: str, rate: Fraction) -> dict[str, Any]:
    """A small parser of Resolve's marker EDL: title, FCM, and per marker (name, frame, duration,
    colour, note); frames from the timecode by OpenTimelineIO."""
    from opentimelineio import opentime

    lines = text.splitlines()
    assert lines[0].startswith("TITLE: ")
    fcm = lines[1]
    markers = []
    i = 2
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        event = _RESOLVE_EVENT.match(line)
        assert event, f"not an event line: {line!r}"
        src_in, src_out, rec_in, rec_out = event.groups()[1:]
        assert (src_in, src_out) == (rec_in, rec_out), "source and record must agree"
        first = round(opentime.from_timecode(rec_in, float(rate)).value)
        after = round(opentime.from_timecode(rec_out, float(rate)).value)
        assert after == first + 1, "a Resolve marker event is one frame long"
        marker = _RESOLVE_MARKER.match(lines[i + 1])
        assert marker, f"not a marker line: {lines[i + 1]!r}"
        note, colour, name, duration = marker.groups()
        markers.append({"name": name, "frame": first, "duration": int(duration), "colour": colour, "note": note})
        i += 2
    return {"title": lines[0][7:], "fcm": fcm, "markers": markers}


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def read_vtt(text: str) -> list[tuple[int, int, str]]:
    """(start ms, end ms, text) per cue."""
    cues = []
    blocks = text.strip().split("\n\n")
    assert blocks[0] == "WEBVTT"
    for block in blocks[1:]:
        lines = block.splitlines()
        if lines[0].startswith("NOTE"):
            continue
        times = next(line for line in lines if "-->" in line)
        start, end = (_vtt_ms(t.strip()) for t in times.split("-->"))
        cues.append((start, end, lines[lines.index(times) + 1]))
    return cues


def _vtt_ms(text: str) -> int:
    h, m, rest = text.split(":")
    s, ms = rest.split(".")
    return ((int(h) * 60 + int(m)) * 60 + int(s)) * 1000 + int(ms)


def fcpx_fraction(text: str) -> Fraction:
    value = text.rstrip("s")
    return Fraction(value) if value else Fraction(0)


def read_fcpxml_exact(text: str) -> dict[str, Any]:
    """The FCPXML's own rational times (exact): frame duration, tcStart, and the marker/keyword ranges."""
    root = ElementTree.fromstring(text)
    fmt = root.find("./resources/format")
    sequence = root.find(".//sequence")
    clip = root.find(".//asset-clip")
    assert fmt is not None and sequence is not None and clip is not None
    items = [
        (e.tag, e.get("value"), fcpx_fraction(e.get("start", "0s")), fcpx_fraction(e.get("duration", "0s")),
         e.get("note"))
        for e in clip
        if e.tag in ("marker", "keyword")
    ]
    return {
        "frame_duration": fcpx_fraction(fmt.get("frameDuration", "")),
        "tc_start": fcpx_fraction(sequence.get("tcStart", "0s")),
        "tc_format": sequence.get("tcFormat"),
        "items": items,
        "name": root.find(".//project").get("name"),  # type: ignore[union-attr]
    }


def chapters_to_spans(cues: list[tuple[int, int, str]], rate: Fraction) -> list[tuple[str, int, int]]:
    """Label spans back from a chapters track: (label, first frame, frame count), sorted.

    Checks on the way that the chapters neither overlap nor go back in time (HTML's rule for chapters)."""
    per_label: dict[str, list[list[int]]] = {}
    last_end = -1
    for start, end, title in cues:
        a, b = round(Fraction(start) * rate / 1000), round(Fraction(end) * rate / 1000)
        assert a >= last_end and b > a, "chapters must not overlap"
        last_end = b
        for label in title.split(", "):
            runs = per_label.setdefault(label, [])
            if runs and runs[-1][1] == a:
                runs[-1][1] = b
            else:
                runs.append([a, b])
    return sorted((label, a, b - a) for label, runs in per_label.items() for a, b in runs)
