"""1,000 submissions against a limit of 20: no duplicate, throughput close to the sandbox's capacity.

    python3 -m bench.bench_jobs [--jobs 1000] [--limit 20] [--job-seconds 1.0] [--modes raw,poll,sqs]

The sandbox's capacity is ``max_concurrent_jobs / job_seconds`` jobs per second (it cannot finish jobs
faster), and at most the StartLabelDetection quota (5 per second, on as on AWS). Each mode runs the whole
batch on a fresh sandbox and job store:

- ``raw``: a bare boto3 loop (no store, no queue): keep ``limit`` jobs started, poll them round-robin as
  fast as the quotas let one thread (paced by gui.core.pacing) — the baseline of what a client can get
  out of the sandbox in this run;
- ``poll``: our JobEngine (store first, tokens, the client-side queue, one poller with short intervals);
- ``sqs``: the same with completions read from an SQS queue subscribed to the jobs' SNS topic.

Printed per mode: wall time, throughput, ratio to the capacity, duplicates counted from
``sandbox.jobs()`` (videos with more than one job), and medians of the queue wait (queued → started)
and of the detection lag (the sandbox finished the job → our store says so), and the share of
Rekognition calls the sandbox refused for the request-rate quotas (target: under 1 %).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

BUCKET = "bench-jobs"


def _sandbox(args: argparse.Namespace) -> Any:
    from gui.sandbox import Sandbox

    sb = Sandbox(port=0, job_seconds=args.job_seconds, max_concurrent_jobs=args.limit).start()
    sb.fill_prefix(BUCKET, "v/", args.jobs, size=40_000)
    return sb


def _videos(conn: Any, n: int) -> list[Any]:
    from gui.core.types import S3Object

    s3 = conn.client("s3")
    out: list[Any] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix="v/"):
        out += [S3Object(BUCKET, o["Key"], o["Size"]) for o in page.get("Contents", [])]
    assert len(out) == n, (len(out), n)
    return out


def _connection(sb: Any) -> Any:
    from gui.core.connection import Connection
    from gui.core.types import ConnectionSpec

    return Connection(ConnectionSpec(source="env", region="us-east-1", endpoint_url=sb.endpoint_url))


def _duplicates(sb: Any) -> tuple[int, int]:
    jobs = sb.jobs()
    per_video = Counter((j["Video"]["S3Object"]["Bucket"], j["Video"]["S3Object"]["Name"]) for j in jobs)
    return len(jobs), sum(1 for n in per_video.values() if n > 1)


def _throttled(sb: Any) -> dict[str, Any]:
    return {"throttled": sb.throttled, "requests": sb.start_requests + sb.get_requests}


def run_raw(args: argparse.Namespace) -> dict[str, Any]:
    from gui.core.pacing import GET, START, pace

    sb = _sandbox(args)
    try:
        conn = _connection(sb)
        videos = _videos(conn, args.jobs)
        rek = conn.client("rekognition")
        pending = list(videos)
        running: dict[str, float] = {}
        queued_at = time.time()
        waits, lags = [], []
        t0 = time.perf_counter()
        done = 0
        while done < len(videos):
            while pending and len(running) < args.limit:
                v = pending.pop(0)
                pace(START, rek)
                job_id = rek.start_label_detection(Video={"S3Object": {"Bucket": v.bucket, "Name": v.key}})["JobId"]
                running[job_id] = time.time()
                waits.append(time.time() - queued_at)
            for job_id in list(running):
                pace(GET, rek)
                if rek.get_label_detection(JobId=job_id, MaxResults=1)["JobStatus"] != "IN_PROGRESS":
                    del running[job_id]
                    done += 1
        wall = time.perf_counter() - t0
        completed = {j["JobId"]: j["completed"] for j in sb.jobs()}
        lags = []  # the raw loop keeps no record of when it noticed; lag is not measured for it
        total, dups = _duplicates(sb)
        return {"wall": wall, "total": total, "dups": dups, "wait": statistics.median(waits), "lag": None,
                "calls": sb.get_requests, "completed": len(completed), "lags": lags, **_throttled(sb)}
    finally:
        sb.stop()


def run_engine(args: argparse.Namespace, use_sqs: bool) -> dict[str, Any]:
    from gui.core.engine import JobEngine, JobPreferences, resolve_scope
    from gui.core.jobstates import JobStatus
    from gui.core.jobstore import JobStore
    from gui.core.poller import PollPolicy, setup_completion_queue
    from gui.core.submitter import SubmitPolicy
    from gui.core.types import JobSettings, NotificationChannel

    sb = _sandbox(args)
    tmp = Path(tempfile.mkdtemp(prefix="bench-jobs-"))
    try:
        conn = _connection(sb)
        videos = _videos(conn, args.jobs)
        scope = resolve_scope(conn.client, "us-east-1", sb.endpoint_url)
        prefs = JobPreferences(max_active=args.limit, auto_fetch=False)
        settings = JobSettings()
        poll = PollPolicy(first_delay=args.job_seconds * 0.5, factor=1.0, max_interval=0.05, min_gap=0.0,
                          idle_wait=0.5, queue_interval=0.03, notified_interval=5 * args.job_seconds)
        if use_sqs:
            topic = conn.client("sns").create_topic(Name="AmazonRekognitionBench")["TopicArn"]
            prefs.completion_queues = {topic: setup_completion_queue(conn.client, topic)}
            settings = JobSettings(notification=NotificationChannel(topic, sb.create_notification_role()))
        store = JobStore(tmp / "jobs.sqlite3")
        engine = JobEngine(store, conn.client, scope, preferences=prefs,
                           submit_policy=SubmitPolicy(max_active=args.limit, batch=args.limit, idle_wait=0.5),
                           poll_policy=poll)
        engine.start()
        t0 = time.perf_counter()
        engine.submit(videos, settings)
        while True:
            counts = store.counts(scope)
            if counts[JobStatus.SUCCEEDED] + counts[JobStatus.FAILED] >= len(videos):
                break
            time.sleep(0.05)
        wall = time.perf_counter() - t0
        engine.stop(5)
        records = store.jobs(scope)
        store.close()
        completed = {j["JobId"]: j["completed"] for j in sb.jobs()}
        waits = [r.started_at - r.submitted_at for r in records if r.started_at]
        lags = [r.finished_at - completed[r.job_id] for r in records if r.finished_at and completed.get(r.job_id)]
        total, dups = _duplicates(sb)
        failed = sum(1 for r in records if r.status is not JobStatus.SUCCEEDED)
        return {"wall": wall, "total": total, "dups": dups, "wait": statistics.median(waits),
                "lag": statistics.median(lags), "calls": sb.get_requests, "failed": failed,
                "rows": len(records), **_throttled(sb)}
    finally:
        sb.stop()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--jobs", type=int, default=1000)
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--job-seconds", type=float, default=1.0)
    p.add_argument("--modes", default="raw,poll,sqs")
    args = p.parse_args(argv)
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    from gui.core.pacing import START_TPS

    capacity = min(args.limit / args.job_seconds, START_TPS)
    ideal = args.jobs / capacity
    print(f"{args.jobs} jobs, limit {args.limit}, job_seconds {args.job_seconds}, StartLabelDetection quota "
          f"{START_TPS:g}/s: sandbox capacity {capacity:.1f} jobs/s (no client can finish in under {ideal:.1f} s)")
    ok = True
    for mode in [m.strip() for m in args.modes.split(",") if m.strip()]:
        result = run_raw(args) if mode == "raw" else run_engine(args, use_sqs=(mode == "sqs"))
        throughput = args.jobs / result["wall"]
        ratio = throughput / capacity
        lag = "n/a" if result["lag"] is None else f"{result['lag'] * 1000:.0f} ms"
        share = result["throttled"] / max(1, result["requests"])
        print(
            f"{mode:>5}: {result['wall']:6.1f} s  {throughput:5.2f} jobs/s  ratio {ratio:.3f} of capacity  "
            f"sandbox jobs {result['total']}  duplicates {result['dups']}  "
            f"median queue wait {result['wait']:.1f} s  median detection lag {lag}  "
            f"GetLabelDetection calls {result['calls']}  throttled {result['throttled']} of "
            f"{result['requests']} Rekognition calls ({share:.2%})"
            + (f"  store rows {result['rows']} (not succeeded: {result['failed']})" if "rows" in result else "")
        )
        if mode != "raw":
            ok = ok and result["dups"] == 0 and result["total"] == args.jobs and ratio >= 0.9 and share < 0.01
    print("PASS: no duplicate, throughput ≥ 0.9 × capacity, under 1 % of calls throttled" if ok
          else "FAIL: see the figures above")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
