"""Frames straight from S3: a 10-minute, 170 MB H.264 video (keyframe every 2 s, ``moov`` at the end) in
the sandbox, read through the app's ranged-GET file and PyAV.

* Bytes fetched to show one frame at a random time, cold (new source, empty caches): % of the object.
  Target < 3 %.
* Time to that first frame vs a plain boto3 download of the whole object, in the same run: ratio of
  medians. Target <= 0.1x. Two baselines: the raw stream (``get_object`` + read into memory, the fastest
  way there is) and boto3's managed download (``download_file``, what scripts and ``aws s3 cp`` use:
  ranged parts on threads, to a file).
* Next detection of the same label, warm (video open, detections loaded; each is a new frame to
  seek and decode, boxes drawn): median. Target < 100 ms.
* 200 random seeks on one open video: peak RSS growth (sampled every 5 ms), and the growth of the
  second hundred over the first (bounded caches: it should not keep climbing).

The sandbox runs in a process of its own, as S3 is not in the app's process: its request handling does
not compete with the reader for this process's GIL (the same holds for the baseline download). The video
is generated with PyAV on first use and cached (``bench/long_video.py``; ``RVL_BENCH_DIR`` or the temp
dir), and uploaded with boto3's multipart ``upload_file``. Run: ``python3 -m bench.bench_frames
[--cold N] [--steps N]``.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench._util import median, ratio_line
from bench.long_video import long_video_path

BUCKET = "bench-videos"
KEY = "long/ten-minutes.mp4"
REGION = "us-east-1"


def _rss() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


class PeakRss:
    """Samples RSS on a thread; ``peak`` is the highest seen since ``start``."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _rss())
            time.sleep(0.005)

    def __enter__(self) -> PeakRss:
        self.peak = _rss()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss())


def _client(endpoint_url: str, service: str) -> Any:
    import boto3

    return boto3.client(service, region_name=REGION, endpoint_url=endpoint_url,
                        aws_access_key_id="bench", aws_secret_access_key="bench")


class SandboxProcess:
    """``python -m gui.sandbox`` in a child process; ``endpoint_url`` once it serves."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "gui.sandbox", "--port", "0", "--job-seconds", "0.2"],
                                     stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if not line.startswith("endpoint_url "):
            self.proc.kill()
            raise RuntimeError(f"the sandbox did not start: {line!r}")
        self.endpoint_url = line.split()[1]

    def __enter__(self) -> SandboxProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cold", type=int, default=7, help="cold first frames at random times (default 7)")
    p.add_argument("--downloads", type=int, default=5, help="whole-object downloads for the baseline (default 5)")
    p.add_argument("--steps", type=int, default=40, help="next-detection steps, warm (default 40)")
    p.add_argument("--seeks", type=int, default=200, help="random seeks for the memory figure")
    args = p.parse_args(argv)

    from gui.core.frames import Video
    from gui.core.moments import JobFrames, moment_ms
    from gui.core.results_fetch import fetch_and_store
    from gui.core.results_store import ResultsStore
    from gui.core.s3range import ObjectPin, RangeSource

    path = long_video_path()
    size = path.stat().st_size
    print(f"video: {path.name}, {size / 1e6:.1f} MB, moov at the end")
    rng = random.Random(13)
    with SandboxProcess() as sb, tempfile.TemporaryDirectory() as tmp:
        s3 = _client(sb.endpoint_url, "s3")
        s3.create_bucket(Bucket=BUCKET)
        s3.upload_file(str(path), BUCKET, KEY)
        pin = ObjectPin(BUCKET, KEY)
        with Video(RangeSource(s3, pin)) as warmup:  # imports, the first connection: not part of a cold frame
            duration = warmup.info().duration_ms
            warmup.frame_at(0)

        cold_times: list[float] = []
        cold_bytes: list[int] = []
        downloads: list[float] = []
        managed: list[float] = []
        for i in range(max(args.cold, args.downloads)):
            if i < args.downloads:
                started = time.perf_counter()
                body = s3.get_object(Bucket=BUCKET, Key=KEY)["Body"].read()
                downloads.append(time.perf_counter() - started)
                assert len(body) == size
                del body
                gc.collect()
                target = Path(tmp) / "download.mp4"
                started = time.perf_counter()
                s3.download_file(BUCKET, KEY, str(target))
                managed.append(time.perf_counter() - started)
                assert target.stat().st_size == size
                target.unlink()
            if i < args.cold:
                at = rng.uniform(0, duration - 100)
                source = RangeSource(s3, pin)
                started = time.perf_counter()
                with Video(source) as video:
                    video.frame_at(at)
                    cold_times.append(time.perf_counter() - started)  # the frame is there (closing is not timed)
                cold_bytes.append(source.bytes_fetched)
        share = [100.0 * b / size for b in cold_bytes]
        verdict = "  OK" if median(share) < 3 else "  OVER TARGET 3 %"
        print(f"bytes for one frame, cold: median {median(cold_bytes) / 1e6:.2f} MB = {median(share):.2f} % of the "
              f"object (max {max(share):.2f} %, {len(share)} random times){verdict}")
        print(ratio_line("time to first frame vs whole download (get_object stream)", cold_times, downloads,
                         target=0.1))
        print(ratio_line("time to first frame vs whole download (download_file)", cold_times, managed, target=0.1))

        # next detection of the same label, warm
        rekognition = _client(sb.endpoint_url, "rekognition")
        job_id = rekognition.start_label_detection(Video={"S3Object": {"Bucket": BUCKET, "Name": KEY}})["JobId"]
        while rekognition.get_label_detection(JobId=job_id, MaxResults=1)["JobStatus"] == "IN_PROGRESS":
            time.sleep(0.1)
        store = ResultsStore(Path(tmp) / "results.sqlite3")
        summary = fetch_and_store(rekognition, job_id, store, aggregations=("TIMESTAMPS",))
        labels = store.label_summary(job_id)
        label = labels[0].label
        frames = JobFrames(store, job_id, pin, lambda: s3)
        moments = frames.moments(label)
        first = moments.detections[0]
        frames.render(moment_ms(first))  # warm: the video is open, the boxes and the label's moments loaded
        steps: list[float] = []
        current = moment_ms(first)
        for _ in range(args.steps):
            started = time.perf_counter()
            nxt = frames.moments(label).after(current)
            if nxt is None:
                break
            current = moment_ms(nxt)
            frames.render(current)
            steps.append(time.perf_counter() - started)
        verdict = "  OK" if median(steps) < 0.1 else "  OVER TARGET 100 ms"
        print(f"next detection of '{label}' ({len(moments)} of {summary.detection_count} detections), warm: median "
              f"{median(steps) * 1000:.1f} ms, max {max(steps) * 1000:.1f} ms over {len(steps)} steps{verdict}")
        frames.close()

        # memory over random seeks
        gc.collect()
        before = _rss()
        source = RangeSource(s3, pin)
        half = args.seeks // 2
        with Video(source) as video, PeakRss() as peak:
            for _ in range(half):
                video.frame_at(rng.uniform(0, duration - 100))
            first_half = peak.peak
            for _ in range(args.seeks - half):
                video.frame_at(rng.uniform(0, duration - 100))
        grow = (peak.peak - before) / 1e6
        second = (peak.peak - first_half) / 1e6
        print(f"{args.seeks} random seeks: peak RSS growth {grow:.1f} MB (block cache {source.cached_bytes() / 1e6:.1f}"
              f" MB, fetched {source.bytes_fetched / 1e6:.1f} MB in {source.requests} requests); the second "
              f"{args.seeks - half} seeks added {second:.1f} MB")
        store.close()
    return 0


if __name__ == "__main__":
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    raise SystemExit(main())
