"""The pure-Python ISO-BMFF/QuickTime probe behind VideoMetadata and FAILED jobs."""

from __future__ import annotations

import struct

import pytest

from gui.sandbox.mp4probe import ProbeError, probe
from gui.sandbox.seed import DEMO_VIDEOS, demo_file, long_video, padded_video


@pytest.mark.parametrize("name", sorted(set(DEMO_VIDEOS.values())))
def test_every_demo_clip_probes_as_h264(name):
    info = probe(demo_file(name))
    assert info.codec == "h264"
    assert info.container == ("mov" if name.endswith(".mov") else "mp4")
    assert info.width > 0 and info.height > 0 and info.frame_rate > 0
    assert 2000 <= info.duration_ms <= 20000
    assert info.metadata()["ColorRange"] == "LIMITED"


def test_long_video_claims_seven_hours_but_stays_tiny():
    data = long_video()
    assert len(data) < 100_000
    assert probe(data).duration_ms == 7 * 3600 * 1000


def test_padding_keeps_a_clip_playable():
    clip = demo_file("birthday-party.mp4")
    padded = padded_video(len(clip) + 5000)
    assert padded is not None and len(padded) == len(clip) + 5000
    assert probe(padded) == probe(clip)
    assert padded_video(len(clip) + 3) is None  # too little room for a box header
    assert padded_video(100) is None


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "too small"),
        (b"hello, I am a text file pretending to be a video\n" * 3, "not an MP4, MOV or AVI"),
        (b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2", "no MP4/MOV movie header"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 100, "not an MP4, MOV or AVI"),
    ],
)
def test_non_videos_are_refused(data, fragment):
    with pytest.raises(ProbeError) as excinfo:
        probe(data)
    assert fragment in str(excinfo.value)


def test_truncated_and_corrupted_files_are_refused():
    clip = demo_file("city-traffic.mp4")
    with pytest.raises(ProbeError):
        probe(clip[:4096])
    with pytest.raises(ProbeError):
        probe(clip[: len(clip) // 2])
    broken = bytearray(clip)
    at = broken.index(b"moov") - 4
    struct.pack_into(">I", broken, at, 3)  # a box size smaller than its header
    with pytest.raises(ProbeError):
        probe(bytes(broken))


def test_missing_avcc_is_refused():
    clip = bytearray(demo_file("birthday-party.mp4"))
    at = clip.index(b"avcC")
    clip[at : at + 4] = b"xxxx"
    with pytest.raises(ProbeError, match="decoder configuration"):
        probe(bytes(clip))
