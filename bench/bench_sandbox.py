"""The sandbox's own costs: start-up, demo seeding, bulk fills, big listings and big result sets.

Each figure is a median, printed against a baseline measured in the same run:

* start (cold, fresh process: ``import gui.sandbox`` + ``Sandbox().start()``) vs moto's own
  ``ThreadedMotoServer`` (``import moto.server`` + ``start()``), also in a fresh process;
* ``seed_demo()`` (direct into moto) vs uploading the same objects with boto3 ``put_object`` over HTTP;
* ``fill_prefix(100_000)`` vs boto3 ``put_object`` over HTTP (measured on a sample, per object);
* paging ``ListObjectsV2`` over a big prefix with the sandbox's cached listings vs moto's own listing
  (same objects, same boto3 paginator);
* paging 100,000 GetLabelDetection detections with boto3 (no baseline: reported for the results area).

Run: ``python3 -m bench.bench_sandbox [--runs N] [--fill N] [--list N] [--quick]``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench._util import median, ratio_line

ROOT = Path(__file__).resolve().parents[1]
REGION = "us-east-1"

COLD_SANDBOX = (
    "import time; t0 = time.perf_counter()\n"
    "from gui.sandbox import Sandbox\n"
    "sb = Sandbox(port=0).start(); t1 = time.perf_counter()\n"
    "sb.stop(); print(t1 - t0)\n"
)
COLD_MOTO = (
    "import time; t0 = time.perf_counter()\n"
    "from moto.server import ThreadedMotoServer\n"
    "s = ThreadedMotoServer(port=0, verbose=False); s.start(); t1 = time.perf_counter()\n"
    "s.stop(); print(t1 - t0)\n"
)


def _cold(code: str) -> float:
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        raise RuntimeError(out.stderr)
    return float(out.stdout.strip().splitlines()[-1])


def _client(sb: Any, service: str) -> Any:
    import boto3

    return boto3.client(service, region_name=REGION, endpoint_url=sb.endpoint_url,
                        aws_access_key_id="bench", aws_secret_access_key="bench")


def bench_start(runs: int) -> None:
    ours = [_cold(COLD_SANDBOX) for _ in range(runs)]
    moto = [_cold(COLD_MOTO) for _ in range(runs)]
    print(ratio_line("sandbox start, cold process (import + start)", ours, moto))
    from gui.sandbox import Sandbox

    warm = []
    for _ in range(runs):
        t0 = time.perf_counter()
        sb = Sandbox().start()
        warm.append(time.perf_counter() - t0)
        sb.stop()
    print(f"sandbox start, warm (moto already imported): median {median(warm) * 1000:.1f} ms")


def bench_seed(runs: int) -> None:
    from gui.sandbox import Sandbox

    ours, http = [], []
    for _ in range(runs):
        with Sandbox() as sb:
            t0 = time.perf_counter()
            written = sb.seed_demo()
            ours.append(time.perf_counter() - t0)
            bodies = {}
            s3 = _client(sb, "s3")
            for key in written:
                bodies[key] = s3.get_object(Bucket="demo-videos", Key=key)["Body"].read()
        with Sandbox() as sb:
            s3 = _client(sb, "s3")
            t0 = time.perf_counter()
            s3.create_bucket(Bucket="demo-videos")
            for key, body in bodies.items():
                s3.put_object(Bucket="demo-videos", Key=key, Body=body)
            http.append(time.perf_counter() - t0)
    print(ratio_line(f"seed_demo ({len(bodies)} objects, {sum(map(len, bodies.values())) // 1024} KiB) "
                     "vs boto3 put_object over HTTP", ours, http))


def bench_fill(runs: int, count: int) -> None:
    from gui.sandbox import Sandbox

    sample = 1000
    ours, http = [], []
    for _ in range(runs):
        with Sandbox() as sb:
            t0 = time.perf_counter()
            sb.fill_prefix("bench-fill", "many/", count, size=1024)
            ours.append((time.perf_counter() - t0) / count)
            s3 = _client(sb, "s3")
            body = bytes(1024)
            t0 = time.perf_counter()
            for i in range(sample):
                s3.put_object(Bucket="bench-fill", Key=f"http/item-{i:06d}.mp4", Body=body)
            http.append((time.perf_counter() - t0) / sample)
    print(f"fill_prefix({count:,}): median {median(ours) * count:.2f} s; over HTTP it would take "
          f"~{median(http) * count:.0f} s")
    print(ratio_line("fill per object vs boto3 put_object over HTTP", [o * 1e6 for o in ours],
                     [h * 1e6 for h in http], unit="us"))


def _page_all(s3: Any, bucket: str, prefix: str) -> tuple[int, float]:
    t0 = time.perf_counter()
    n = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        n += page.get("KeyCount", 0)
    return n, time.perf_counter() - t0


def bench_list(count: int) -> None:
    from moto.s3.models import S3Backend

    from gui.sandbox import Sandbox, fastlist

    with Sandbox() as sb:
        sb.fill_prefix("bench-list", "many/", count)
        s3 = _client(sb, "s3")
        n, ours = _page_all(s3, "bench-list", "many/")
        patched = (S3Backend.list_objects, S3Backend.list_objects_v2)
        S3Backend.list_objects = fastlist.ORIGINALS["list_objects"]
        S3Backend.list_objects_v2 = fastlist.ORIGINALS["list_objects_v2"]
        try:
            m, moto = _page_all(s3, "bench-list", "many/")
        finally:
            S3Backend.list_objects, S3Backend.list_objects_v2 = patched
        assert n == m == count
    print(ratio_line(f"ListObjectsV2 over {count:,} objects (paginator, 1000/page) vs moto's own listing",
                     [ours], [moto]))


def bench_results(detections: int) -> None:
    from gui.sandbox import Sandbox

    with Sandbox(seed_demo=True, job_seconds=0.05, detections_per_job=detections) as sb:
        rek = _client(sb, "rekognition")
        t0 = time.perf_counter()
        job = rek.start_label_detection(Video={"S3Object": {"Bucket": "demo-videos", "Name": "city/city-traffic.mp4"}},
                                        MinConfidence=0)["JobId"]
        while rek.get_label_detection(JobId=job, MaxResults=1)["JobStatus"] == "IN_PROGRESS":
            time.sleep(0.01)
        ready = time.perf_counter() - t0
        t0 = time.perf_counter()
        n, token = 0, None
        while True:
            kw = {"NextToken": token} if token else {}
            page = rek.get_label_detection(JobId=job, **kw)
            n += len(page["Labels"])
            token = page.get("NextToken")
            if not token:
                break
        paged = time.perf_counter() - t0
    print(f"GetLabelDetection: {n:,} detections ready in {ready:.2f} s, paged (1000/page) in {paged:.2f} s")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--fill", type=int, default=100_000)
    p.add_argument("--list", type=int, default=20_000, help="objects for the listing comparison")
    p.add_argument("--detections", type=int, default=100_000)
    p.add_argument("--quick", action="store_true", help="fewer runs and smaller sizes")
    args = p.parse_args(argv)
    if args.quick:
        args.runs, args.fill, args.list, args.detections = 3, 20_000, 5_000, 20_000
    print(f"bench_sandbox: runs={args.runs}")
    bench_start(args.runs)
    bench_seed(args.runs)
    bench_fill(max(1, min(args.runs, 3)), args.fill)
    bench_list(args.list)
    bench_results(args.detections)


if __name__ == "__main__":
    main()
