"""Fixtures for the reliability suite (tests/reliability)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

# The catalogue's sandbox refuses videos over 150 kB (VideoTooLargeException), so "too large" needs no
# 10 GB object; every demo video is smaller than that.
CATALOGUE_MAX_VIDEO_BYTES = 150_000
BIG_VIDEO_BYTES = 200_000


@pytest.fixture(scope="module")
def catalogue_sandbox() -> Iterator[Any]:
    """A private sandbox for the bad-input catalogue: the demo bucket, a video over its size limit, a
    folder with no videos, a bucket for "vanishing" objects. Jobs take 0.2 s."""
    from gui.sandbox import Sandbox
    from gui.sandbox.seed import padded_video

    sb = Sandbox(port=0, seed_demo=True, job_seconds=0.2, max_video_bytes=CATALOGUE_MAX_VIDEO_BYTES)
    sb.start()
    try:
        big = padded_video(BIG_VIDEO_BYTES)
        assert big is not None
        sb.put_object("demo-videos", "big/huge.mp4", big)
        sb.put_object("demo-videos", "docs/minutes.txt", b"no video here\n")
        sb.put_object("demo-videos", "docs/scan.jpg", b"\xff\xd8\xff")
        yield sb
    finally:
        sb.stop()


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """``gui.cli.main`` run in this process installs the app's log file handler; take it out again."""
    root = logging.getLogger()
    level = root.level
    yield
    from gui.core.logs import setup_logging

    setup_logging(None)
    root.setLevel(level)
