"""AVI (RIFF) videos and ColorRange from the H.264 SPS, checked against FFmpeg (PyAV) on files PyAV writes.

Sources: botocore's Rekognition model, ``VideoMetadata.Format``: "Format of the analyzed video. Possible
values are MP4, MOV and AVI."; ``VideoMetadata.ColorRange``: "either LIMITED (16 to 235) or FULL (0 to
255)".  ITU-T H.264 E.2.1: ``video_full_range_flag`` equal to 1 means full-range samples; when the VUI
carries no video signal type it is inferred to be 0 (limited).
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from sandbox_testkit import client, start, wait_done

from gui.sandbox.mp4probe import ProbeError, probe

av = pytest.importorskip("av")

AV_FULL_RANGE = 2  # FFmpeg's AVCOL_RANGE_JPEG
AVI_BUCKET = "avi-videos"


def _write(path: Path, fmt: str, codec: str = "libx264", *, full_range: bool = False, frames: int = 30,
           width: int = 160, height: int = 96, fps: int = 25) -> bytes:
    with av.open(str(path), "w", format=fmt) as out:
        stream = out.add_stream(codec, rate=Fraction(fps, 1))
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        if full_range:
            stream.codec_context.color_range = AV_FULL_RANGE
        for i in range(frames):
            frame = av.VideoFrame(width, height, "yuv420p")
            for k, plane in enumerate(frame.planes):
                plane.update(bytes([(i * 7 + k * 50) % 256]) * plane.buffer_size)
            frame.pts = i
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path.read_bytes()


def _ffmpeg_view(path: Path) -> tuple[str, int, int, float, int, bool]:
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        duration_ms = round(s.frames / float(s.average_rate) * 1000)
        return (s.codec_context.name, s.width, s.height, float(s.average_rate), duration_ms,
                s.codec_context.color_range == AV_FULL_RANGE)


@pytest.mark.parametrize("full_range", [False, True])
@pytest.mark.parametrize(("width", "height", "fps", "frames"), [(160, 96, 25, 30), (322, 180, 30, 45)])
def test_h264_avi_headers_agree_with_ffmpeg(tmp_path, full_range, width, height, fps, frames):
    path = tmp_path / "clip.avi"
    data = _write(path, "avi", full_range=full_range, width=width, height=height, fps=fps, frames=frames)
    assert data[:4] == b"RIFF" and data[8:12] == b"AVI "
    codec, w, h, rate, duration_ms, full = _ffmpeg_view(path)
    info = probe(data)
    assert (info.codec, info.width, info.height) == ("h264", w, h) == ("h264", width, height)
    assert info.frame_rate == rate == fps
    assert info.duration_ms == duration_ms == round(frames * 1000 / fps)
    assert info.metadata()["Format"] == "AVI"
    assert info.metadata()["ColorRange"] == ("FULL" if full else "LIMITED") == ("FULL" if full_range else "LIMITED")


def test_color_range_comes_from_the_sps_when_the_mp4_has_no_colr_box(tmp_path):
    full = _write(tmp_path / "full.mp4", "mp4", full_range=True)
    limited = _write(tmp_path / "limited.mp4", "mp4")
    assert b"colr" not in full  # FFmpeg's MP4 muxer writes none here: only the SPS says it
    assert _ffmpeg_view(tmp_path / "full.mp4")[5] is True
    assert probe(full).color_range == "FULL"
    assert probe(limited).color_range == "LIMITED"


def test_an_avi_that_is_not_h264_is_refused(tmp_path):
    data = _write(tmp_path / "mpeg4.avi", "avi", codec="mpeg4")
    with pytest.raises(ProbeError, match="Unsupported codec: FMP4. Amazon Rekognition Video supports H.264"):
        probe(data)


def test_a_truncated_avi_is_refused(tmp_path):
    data = _write(tmp_path / "clip.avi", "avi")
    with pytest.raises(ProbeError):
        probe(data[:200])


def test_an_h264_avi_job_succeeds_over_http_with_format_avi(fast_sandbox, tmp_path):
    data = _write(tmp_path / "clip.avi", "avi", full_range=True, frames=50)
    fast_sandbox.create_bucket(AVI_BUCKET)  # not the demo bucket: other tests count its videos
    fast_sandbox.put_object(AVI_BUCKET, "clip.avi", data)
    rek = client(fast_sandbox, "rekognition")
    page = wait_done(rek, start(rek, bucket=AVI_BUCKET, key="clip.avi"))
    assert page["JobStatus"] == "SUCCEEDED", page.get("StatusMessage")
    meta = page["VideoMetadata"]
    assert meta["Format"] == "AVI" and meta["Codec"] == "h264" and meta["ColorRange"] == "FULL"
    assert (meta["FrameWidth"], meta["FrameHeight"], meta["DurationMillis"]) == (160, 96, 2000)
