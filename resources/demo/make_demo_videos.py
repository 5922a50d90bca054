"""Regenerate the demo videos shipped in this folder (synthetic H.264 clips made with PyAV + libx264).

Run from the repository root:  python3 resources/demo/make_demo_videos.py
Needs the dev extra (``pip install -e '.[dev]'`` installs ``av``). The output is deterministic in
content (moving shapes on gradients); encoder builds may differ by a few bytes.
"""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

HERE = Path(__file__).resolve().parent

# name, width, height, fps, seconds, crf, palette seed
CLIPS: list[tuple[str, int, int, int, float, int, int]] = [
    ("beach-walk.mp4", 320, 180, 25, 6.0, 30, 1),
    ("city-traffic.mp4", 426, 240, 30, 10.0, 32, 2),
    ("dog-park.mov", 320, 240, 24, 4.0, 30, 3),
    ("kitchen-cooking.mp4", 256, 144, 15, 14.0, 30, 4),
    ("mountain-drone.mp4", 480, 270, 30, 8.0, 34, 5),
    ("phone-portrait.mp4", 180, 320, 30, 5.0, 30, 6),
    ("soccer-match.mov", 384, 216, 25, 12.0, 33, 7),
    ("birthday-party.mp4", 320, 180, 30, 3.0, 28, 8),
    ("warehouse-forklift.mov", 256, 192, 20, 20.0, 34, 9),
    ("timelapse-clouds.mp4", 640, 360, 12, 2.5, 30, 10),
]


def _frame(width: int, height: int, index: int, fps: int, seed: int) -> np.ndarray:
    t = index / fps
    y, x = np.mgrid[0:height, 0:width]
    r = (np.sin(x / width * math.pi * (1 + seed % 3) + t) * 60 + 90 + seed * 7) % 255
    g = (y / height * 120 + 40 + 30 * math.sin(t * 0.7 + seed)) % 255
    b = (np.cos((x + y) / (width + height) * math.pi * 2 - t * 0.5) * 50 + 120) % 255
    img = np.stack([r, g, b], axis=-1).astype(np.uint8)
    # a moving box and a moving disc, so the clip has motion like a real one
    size = max(8, min(width, height) // 5)
    bx = int((width - size) * (0.5 + 0.45 * math.sin(t * 1.3 + seed)))
    by = int((height - size) * (0.5 + 0.45 * math.cos(t * 0.9)))
    img[by : by + size, bx : bx + size] = (240, 220, 40)
    cx = (width / 2) + (width / 3) * math.cos(t * 0.8 + seed)
    cy = (height / 2) + (height / 3) * math.sin(t * 1.1)
    disc = (x - cx) ** 2 + (y - cy) ** 2 < (size * 0.6) ** 2
    img[disc] = (30, 60, 200)
    return img


def make_clip(path: Path, width: int, height: int, fps: int, seconds: float, crf: int, seed: int) -> None:
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=Fraction(fps, 1))
        stream.width = width
        stream.height = height
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": str(crf), "preset": "medium", "tune": "zerolatency"}
        for i in range(int(round(seconds * fps))):
            frame = av.VideoFrame.from_ndarray(_frame(width, height, i, fps, seed), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def make_thumbnail(path: Path, width: int = 160, height: int = 90, seed: int = 1) -> None:
    """A real JPEG still (a non-video object for the demo bucket)."""
    with av.open(str(path), mode="w", format="image2") as container:
        stream = container.add_stream("mjpeg", rate=1)
        stream.width = width
        stream.height = height
        stream.pix_fmt = "yuvj420p"
        frame = av.VideoFrame.from_ndarray(_frame(width, height, 0, 25, seed), format="rgb24")
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def main() -> None:
    make_thumbnail(HERE / "beach-walk-thumbnail.jpg")
    total = 0
    for name, w, h, fps, secs, crf, seed in CLIPS:
        out = HERE / name
        make_clip(out, w, h, fps, secs, crf, seed)
        total += out.stat().st_size
        print(f"{name:28} {w}x{h} {fps} fps {secs:5.1f} s {out.stat().st_size:8d} bytes")
    print(f"total {total} bytes")


if __name__ == "__main__":
    main()
