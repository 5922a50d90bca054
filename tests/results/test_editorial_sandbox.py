"""End to end on the sandbox: videos made with PyAV at each frame rate, label detection jobs over real
HTTP, results fetched into the store, every marker format written and read back with OpenTimelineIO,
and compared to the frame with the segments GetLabelDetection returns to a plain boto3 loop."""

from __future__ import annotations

import io
from collections.abc import Iterator
from fractions import Fraction
from typing import Any

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
)
from opentimelineio import opentime
from results_support import raw_pages, rekognition, start_and_wait

from gui.core.editorial import FORMATS, export_markers

av = pytest.importorskip("av")

BUCKET = "footage"


def make_mp4(rate: Fraction, seconds: float = 4.0) -> bytes:
    """A small H.264 MP4 at exactly ``rate`` frames per second (frame i at i/rate seconds)."""
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=rate)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        stream.options = {"preset": "ultrafast"}
        for i in range(round(seconds * rate)):
            frame = av.VideoFrame(64, 48, "yuv420p")
            for plane in frame.planes:
                plane.update(bytes([(i * 7) % 255]) * plane.buffer_size)
            frame.pts = i
            frame.time_base = 1 / rate
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def rate_jobs(tmp_path_factory) -> Iterator[dict[str, Any]]:
    """One finished job per frame rate, its raw SEGMENTS pages and a store holding its results."""
    import boto3

    from gui.core.results_fetch import fetch_and_store
    from gui.core.results_store import ResultsStore
    from gui.sandbox import Sandbox

    sb = Sandbox(port=0, seed_demo=False, job_seconds=0.3)
    sb.start()
    store = ResultsStore(tmp_path_factory.mktemp("editorial-e2e") / "results.sqlite3")
    try:
        s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=sb.endpoint_url,
                          aws_access_key_id="testing", aws_secret_access_key="testing")
        s3.create_bucket(Bucket=BUCKET)
        client = rekognition(sb.endpoint_url)
        jobs = {}
        for name, (_reported, fraction, _drop) in RATES.items():
            key = f"rates/{name.replace('.', '_')}fps/street scene.mp4"
            s3.put_object(Bucket=BUCKET, Key=key, Body=make_mp4(fraction))
            job_id = start_and_wait(client, BUCKET, key)
            fetch_and_store(client, job_id, store)
            jobs[name] = {"job_id": job_id, "key": key, "segments": raw_pages(client, job_id, "SEGMENTS")}
        yield {"store": store, "jobs": jobs}
    finally:
        store.close()
        sb.stop()


@pytest.fixture(params=list(RATES), ids=[f"{r}fps" for r in RATES])
def job(request, rate_jobs):
    name = request.param
    info = rate_jobs["jobs"][name]
    _reported, fraction, drop = RATES[name]
    pages = info["segments"]
    reported = pages[0]["VideoMetadata"]["FrameRate"]
    assert abs(reported - float(fraction)) < 1e-5, "the sandbox reports the video's own frame rate"
    expected = expected_frames(expected_markers(pages), fraction)
    assert expected, "the simulated labels give markers to compare"
    return rate_jobs["store"], info, fraction, drop, expected


def _start(fraction: Fraction, drop: bool, text: str) -> int:
    if drop:
        text = text[:8] + ";" + text[9:]
    return round(opentime.from_timecode(text, float(fraction)).value)


def _spans(markers: Any) -> list[tuple[str, int, int]]:
    return [(m.name, round(m.marked_range.start_time.value), round(m.marked_range.duration.value)) for m in markers]


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_matches_get_label_detection_segments(job, fmt, tmp_path):
    store, info, fraction, drop, expected = job
    out = tmp_path / f"markers-{fmt}"
    result = export_markers(store, [info["job_id"]], fmt, out)
    assert result.written == [(out, len(expected))]
    text = out.read_text()
    if fmt == "edl":
        start = _start(fraction, drop, "01:00:00:00")
        (clip,) = list(otio_read(out, "cmx_3600", rate=float(fraction)).find_clips())
        if drop:  # the adapter cannot read drop-frame LOC lines (see test_editorial_formats): read them here
            locs = [line.split() for line in text.splitlines() if line.startswith("* LOC: ")]
            got = [(" ".join(loc[4:]), round(opentime.from_timecode(loc[2], float(fraction)).value)) for loc in locs]
        else:
            got = [(m.name, round(m.marked_range.start_time.value)) for m in clip.markers]
        assert got == [(name.upper(), start + first) for name, first, _ in expected]
    elif fmt == "resolve-edl":
        start = _start(fraction, drop, "01:00:00:00")
        parsed = read_resolve_edl(text, fraction)
        assert parsed["title"] == info["key"]
        assert [(m["name"], m["frame"] - start, m["duration"]) for m in parsed["markers"]] == expected
    elif fmt == "fcp7xml":
        timeline = otio_read(out, "fcp_xml")
        assert timeline.name == info["key"]
        assert _spans(timeline.tracks.markers) == expected
    elif fmt == "fcpxml":
        items = read_fcpxml_exact(text)["items"]
        assert [(name, s * fraction, d * fraction) for _, name, s, d, _ in items] == expected
        (clip,) = list(otio_read(out, "fcpx_xml").find_clips())
        assert [m.name for m in clip.markers] == [name for name, _, _ in expected]
        if fraction.denominator == 1:
            assert _spans(clip.markers) == expected
    elif fmt == "otio":
        timeline = otio_read(out, "otio_json")
        assert timeline.name == info["key"]
        assert _spans(timeline.tracks.markers) == expected
    elif fmt == "markers-csv":
        rows = read_csv(out)
        got = []
        for row in rows:
            tc_in = round(opentime.from_timecode(row["timecode in"], float(fraction)).value)
            tc_out = round(opentime.from_timecode(row["timecode out"], float(fraction)).value)
            got.append((row["label"], tc_in, tc_out - tc_in))
        assert got == expected
    else:
        assert chapters_to_spans(read_vtt(text), fraction) == sorted(expected)


def test_all_jobs_at_once_into_a_folder(rate_jobs, tmp_path):
    ids = [info["job_id"] for info in rate_jobs["jobs"].values()]
    result = export_markers(rate_jobs["store"], ids, "resolve-edl", tmp_path / "all")
    names = sorted(p.name for p in (tmp_path / "all").iterdir())
    # every video is called "street scene.mp4": the job id tells them apart
    assert len(names) == len(ids) == len(set(names))
    assert all(n.startswith("street_scene-") and n.endswith(".edl") for n in names)
    assert len(result.written) == len(ids)
