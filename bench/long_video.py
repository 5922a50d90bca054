"""The long benchmark video for ``bench_frames``: generated with PyAV on first use, then reused.

10 minutes of H.264 at 640x360, 25 fps, a keyframe every 2 seconds exactly (no scene-cut keyframes),
``moov`` at the end (PyAV's MP4 muxer writes it last unless asked for ``faststart``), and enough
grain that the file passes 100 MB, as a real camera file of that length would. Frames carry a moving
bar and a grain pattern so every frame differs from its neighbours.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

SECONDS = 600
FPS = 25
WIDTH, HEIGHT = 640, 360
KEYFRAME_SECONDS = 2
MIN_BYTES = 100 * 1024 * 1024
VERSION = 1  # bump when the recipe changes: the cached file's name changes with it


def cache_dir() -> Path:
    root = os.environ.get("RVL_BENCH_DIR") or str(Path(tempfile.gettempdir()) / "rvl-bench")
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path


def long_video_path() -> Path:
    """The cached file, made now when missing (about a minute on one core)."""
    path = cache_dir() / f"long-{SECONDS}s-{WIDTH}x{HEIGHT}-v{VERSION}.mp4"
    if path.exists() and path.stat().st_size >= MIN_BYTES:
        return path
    partial = path.with_suffix(".part.mp4")
    make_video(partial)
    os.replace(partial, path)
    return path


def make_video(path: Path, seconds: int = SECONDS) -> None:
    import av
    import numpy as np

    rng = np.random.default_rng(13)
    grain = [rng.integers(0, 10, size=(HEIGHT, WIDTH, 3), dtype=np.uint8) for _ in range(7)]
    ys = np.linspace(0, 255, HEIGHT, dtype=np.float32)[:, None]
    xs = np.linspace(0, 255, WIDTH, dtype=np.float32)[None, :]
    base = np.zeros((HEIGHT, WIDTH, 3), dtype=np.uint8)
    base[..., 0] = ys.astype(np.uint8)
    base[..., 1] = (xs * 0.5).astype(np.uint8)
    base[..., 2] = ((ys + xs) * 0.25).astype(np.uint8)
    gop = FPS * KEYFRAME_SECONDS
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream(
            "libx264",
            rate=FPS,
            options={
                "preset": "ultrafast",
                "crf": "20",
                "g": str(gop),
                "keyint_min": str(gop),
                "sc_threshold": "0",
                "bf": "0",
            },
        )
        stream.width, stream.height = WIDTH, HEIGHT
        stream.pix_fmt = "yuv420p"
        for i in range(seconds * FPS):
            img = base + grain[i % len(grain)]
            x = (i * 7) % (WIDTH - 60)
            img[HEIGHT // 3 : HEIGHT // 3 + 80, x : x + 60] = (240, 240, 40)
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts = i
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


if __name__ == "__main__":
    started = time.perf_counter()
    p = long_video_path()
    print(f"{p} {p.stat().st_size / 1e6:.1f} MB in {time.perf_counter() - started:.1f} s", file=sys.stderr)
