"""Helpers for the frame tests (no tests here): small generated videos, an independent PyAV decode,
jobs on the sandbox. A module of its own, not conftest.py (several test folders have a conftest.py)."""

from __future__ import annotations

import io
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

REGION = "us-east-1"
DEMO_BUCKET = "demo-videos"
CITY = "city/city-traffic.mp4"  # 426x240, 30 fps, 10 s, MP4
DOG = "family/pets/dog-park.mov"  # 320x240, 24 fps, 4 s, QuickTime MOV
TEST_BUCKET = "frame-tests"


def client(sb: Any, service: str, region: str | None = None) -> Any:
    import boto3

    return boto3.client(service, region_name=region or REGION, endpoint_url=sb.endpoint_url,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


class Factory:
    """A client factory like ``Connection.client`` (a plain object: its calls run on worker threads)."""

    def __init__(self, sb: Any) -> None:
        self.sb = sb
        self.calls: list[tuple[str, str | None]] = []

    def __call__(self, service: str, region: str | None = None) -> Any:
        self.calls.append((service, region))
        return client(self.sb, service, region)


def make_video(*, seconds: float = 3.0, fps: int = 25, size: tuple[int, int] = (160, 96), gop: int = 25,
               rotation: int = 0, fmt: str = "mp4", faststart: bool = False) -> bytes:
    """A small H.264 video whose frames differ (a bar moves one step per frame; the frame number is
    written into the pixels); a white marker sits in the stored picture's top-left corner."""
    width, height = size
    out = io.BytesIO()
    options = {"movflags": "+faststart"} if faststart else {}
    with av.open(out, "w", format=fmt, options=options) as container:
        stream = container.add_stream("libx264", rate=fps, options={"g": str(gop), "keyint_min": str(gop),
                                                                    "sc_threshold": "0", "preset": "ultrafast"})
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        if rotation:
            stream.set_display_rotation(rotation)
        for i in range(int(seconds * fps)):
            img = np.zeros((height, width, 3), dtype=np.uint8)
            img[..., 0] = (i * 9) % 256
            img[..., 2] = np.linspace(0, 200, width, dtype=np.uint8)[None, :]
            x = (i * 3) % (width - 12)
            img[height // 2 : height // 2 + 16, x : x + 12] = (250, 200, 0)
            img[:12, :12] = 255
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts = i
            frame.time_base = Fraction(1, fps)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()


def reference_frames(data: bytes) -> list[tuple[float, np.ndarray, int]]:
    """Every frame decoded straight from the bytes (no seeking, no code under test):
    (start ms, stored RGB picture, display rotation in degrees)."""
    frames = []
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        for f in container.decode(stream):
            frames.append((float(f.time) * 1000.0, f.to_ndarray(format="rgb24"), int(f.rotation or 0)))
    return frames


def reference_at(data: bytes, ms: float) -> np.ndarray:
    """The stored picture of the last frame starting at or before ``ms``."""
    frames = reference_frames(data)
    chosen = frames[0]
    for item in frames:
        if item[0] <= ms + 1e-6:
            chosen = item
    return chosen[1]


def mean_abs_diff(a: np.ndarray, b: np.ndarray) -> float:
    assert a.shape == b.shape, (a.shape, b.shape)
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


def start_and_wait(rekognition: Any, bucket: str, key: str, timeout: float = 30.0) -> str:
    job_id = rekognition.start_label_detection(Video={"S3Object": {"Bucket": bucket, "Name": key}})["JobId"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if rekognition.get_label_detection(JobId=job_id, MaxResults=1)["JobStatus"] != "IN_PROGRESS":
            return job_id
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} still running")


def raw_detections(rekognition: Any, job_id: str) -> list[dict[str, Any]]:
    """Every TIMESTAMPS detection by a plain NextToken loop (the reference for moments)."""
    out: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"JobId": job_id, "MaxResults": 1000}
    while True:
        page = rekognition.get_label_detection(**kwargs)
        out += page["Labels"]
        if not page.get("NextToken"):
            return out
        kwargs["NextToken"] = page["NextToken"]


def png_pixels(path: Path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as image:
        return np.asarray(image.convert("RGB")).copy()
