"""Helpers for the jobs tests (a uniquely named module, so no other folder's conftest shadows it)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from gui.core.poller import PollPolicy
from gui.core.submitter import SubmitPolicy
from gui.core.types import ConnectionSpec, S3Object

FAST_SUBMIT = SubmitPolicy(max_active=20, backoff_base=0.05, backoff_max=0.4, limit_wait=0.2, idle_wait=0.1)
FAST_POLL = PollPolicy(first_delay=0.1, factor=1.5, max_interval=0.3, min_gap=0.0, idle_wait=0.1,
                       backoff_base=0.05, backoff_max=0.4, queue_interval=0.1)


def connect(sb: Any) -> Any:
    """A real :class:`gui.core.connection.Connection` to the sandbox (env credentials from conftest)."""
    from gui.core.connection import Connection

    return Connection(ConnectionSpec(source="env", region="us-east-1", endpoint_url=sb.endpoint_url))


def demo_videos(conn: Any) -> list[S3Object]:
    """The demo bucket's videos that Rekognition accepts and that decode (good for SUCCEEDED)."""
    s3 = conn.client("s3")
    objs = [
        S3Object("demo-videos", o["Key"], o["Size"], None, o["ETag"].strip('"'))
        for o in s3.list_objects_v2(Bucket="demo-videos")["Contents"]
    ]
    bad = ("incoming/", "archive/")  # a text file named .mp4, a truncated upload, a seven-hour video
    return [o for o in objs if o.ineligible_reason is None and not o.key.startswith(bad)]


def wait_until(predicate: Callable[[], bool], timeout: float = 30.0, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


def max_overlap(jobs: list[dict[str, Any]]) -> int:
    """Most jobs running at once, from the sandbox's own created/completed times."""
    events: list[tuple[float, int]] = []
    for j in jobs:
        events.append((j["created"], 1))
        events.append((j["completed"] if j["completed"] is not None else float("inf"), -1))
    running = peak = 0
    for _t, delta in sorted(events, key=lambda e: (e[0], e[1])):
        running += delta
        peak = max(peak, running)
    return peak

