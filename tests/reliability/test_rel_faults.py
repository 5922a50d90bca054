"""Faults: throttling, 5xx and dropped connections. The sandbox is SIGKILLed mid-run and comes back on the
same port; the CLI (a child process) and the window's engine (this process) keep going, retry with
backoff and report only what truly failed: one video that is gone when the sandbox comes back."""

from __future__ import annotations

import re
import subprocess
from collections import Counter

import boto3
import pytest
from rel_helpers import (
    CLI_FAST,
    REGION,
    ChildSandbox,
    cli_command,
    conn_args,
    free_port,
    raw_failures,
    store_records,
    wait_until,
)

from gui.core.connection import Connection
from gui.core.engine import JobEngine, resolve_scope
from gui.core.jobstates import JobStatus
from gui.core.jobstore import JobStore
from gui.core.paths import resolve_paths
from gui.core.poller import PollPolicy
from gui.core.submitter import SubmitPolicy
from gui.core.types import ConnectionSpec, JobSettings, S3Object

BUCKET = "demo-videos"
CLI_PREFIXES = ("family/", "city/", "home/", "travel/", "sports/", "work/")  # the 10 demo videos
GONE = "home/kitchen-cooking.mp4"  # missing from the sandbox that comes back: truly fails
WINDOW_VIDEOS = ("travel/drone/mountain-drone.mp4", "sports/soccer-match.mov")
INVALID_S3_OBJECT = ("Unable to get object metadata from S3. Check object key, region and/or access "
                     "permissions.")
CONNECTION_ERRORS = ("EndpointConnectionError", "ConnectionClosedError", "ConnectionError")


def _has_connection_retry(db) -> bool:
    return any(r.status is JobStatus.QUEUED and any(e in (r.status_message or "") for e in CONNECTION_ERRORS)
               for r in store_records(db))


@pytest.mark.slow
def test_sandbox_killed_and_restarted_mid_run_only_the_true_failure_is_reported(tmp_path):
    port = free_port()
    # Outage #1 set-up: a sandbox that refuses every start (LimitExceededException: 0 concurrent jobs)
    # and throttles/5xx-es 30 % of Rekognition calls, so nothing is in progress when it dies (a restarted
    # sandbox forgets its jobs; real AWS would not).
    first = ChildSandbox(tmp_path / "sandbox1.log", port=port, seed_demo=True, job_seconds=0.3,
                         max_concurrent_jobs=0, fault_rate=0.3, fault_seed=5)
    second = None
    engine = None
    cli = None
    try:
        endpoint = first.endpoint_url
        data = tmp_path / "cli"
        db = resolve_paths(data).jobs_db
        cli = subprocess.Popen(
            cli_command("submit", *conn_args(endpoint, data), *CLI_FAST, "--retry-max", "2",
                        "--give-up-after", "90", "--recursive", "--wait",
                        *(f"s3://{BUCKET}/{p}" for p in CLI_PREFIXES)),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )

        # The window's engine, on its own store, over the same endpoint.
        window_store = JobStore(resolve_paths(tmp_path / "window").ensure().jobs_db)
        conn = Connection(ConnectionSpec(source="env", region=REGION, endpoint_url=endpoint))
        scope = resolve_scope(conn.client, REGION, endpoint)
        engine = JobEngine(
            window_store, conn.client, scope,
            submit_policy=SubmitPolicy(max_active=20, backoff_base=0.2, backoff_max=2.0, limit_wait=1.0,
                                       idle_wait=0.2),
            poll_policy=PollPolicy(first_delay=0.1, max_interval=0.5, min_gap=0.02, idle_wait=0.2,
                                   backoff_base=0.2, backoff_max=2.0),
        )
        window_videos = [S3Object(BUCKET, key) for key in WINDOW_VIDEOS]
        engine.submit(window_videos, JobSettings(min_confidence=70))
        engine.start()

        # Both reached the sandbox and were told to wait (LimitExceeded): their jobs stay queued.
        def limited(path) -> bool:
            rows = store_records(path)
            return bool(rows) and any("LimitExceededException" in (r.status_message or "") for r in rows)

        wait_until(lambda: limited(db), timeout=60, what="the CLI's jobs waiting on LimitExceeded")
        wait_until(lambda: limited(window_store.path), timeout=30, what="the window's jobs waiting")
        assert len(store_records(db)) == 10

        first.kill()  # every connection drops; the port refuses connections from now on
        wait_until(lambda: _has_connection_retry(db), timeout=60, what="the CLI retrying a dropped connection")
        wait_until(lambda: _has_connection_retry(window_store.path), timeout=60,
                   what="the window retrying a dropped connection")
        assert cli.poll() is None, "the CLI gave up during a short outage"
        assert engine.problems, "the window's engine did not report the outage"

        # Back on the same port, with no jobs and not yet accepting any: seed, remove the one video that
        # is truly gone, then open the gates (with 20 % throttling/5xx now).
        second = ChildSandbox(tmp_path / "sandbox2.log", port=port, seed_demo=True, job_seconds=0.3,
                              max_concurrent_jobs=0, fault_rate=0.2, fault_seed=9)
        assert second.endpoint_url == endpoint
        s3 = boto3.client("s3", region_name=REGION, endpoint_url=endpoint)
        s3.delete_object(Bucket=BUCKET, Key=GONE)
        second.call("set", name="max_concurrent_jobs", value=20)

        out, err = cli.communicate(timeout=120)
        wait_until(lambda: all(r.status.is_terminal for r in window_store.jobs()), timeout=60,
                   what="the window's jobs ending")

        # The CLI reports exactly the one true failure, with AWS's message, and exits 1.
        assert cli.returncode == 1, err
        assert out.strip() == "9 succeeded, 1 failed"
        failed_lines = [line for line in err.splitlines() if line.startswith("FAILED: ")]
        assert failed_lines == [f"FAILED: s3://{BUCKET}/{GONE}: {INVALID_S3_OBJECT}"]
        assert raw_failures(err) == []

        rows = store_records(db)
        assert Counter(r.status for r in rows) == {JobStatus.SUCCEEDED: 9, JobStatus.FAILED: 1}
        gone = next(r for r in rows if r.key == GONE)
        assert gone.error_code == "InvalidS3ObjectException" and gone.status_message == INVALID_S3_OBJECT
        assert gone.job_id is None  # AWS never started it

        # The window kept going too, and its problem banner cleared.
        window_rows = window_store.jobs()
        assert [r.status for r in window_rows] == [JobStatus.SUCCEEDED] * 2
        wait_until(lambda: not engine.problems, timeout=10, what="the window's problem clearing")

        # The sandbox that came back saw exactly one job per (video, settings), all succeeded, and
        # injected faults that were retried.
        jobs = second.jobs()
        seen = Counter((j["Video"]["S3Object"]["Name"], j["params"].get("MinConfidence")) for j in jobs)
        expected = {(r.key, 50) for r in rows if r.key != GONE} | {(k, 70) for k in WINDOW_VIDEOS}
        assert set(seen) == expected and set(seen.values()) == {1}
        assert {j["Status"] for j in jobs} == {"SUCCEEDED"}
        assert {j["JobId"] for j in jobs} == {r.job_id for r in rows if r.job_id} | {r.job_id for r in window_rows}
        assert second.stats()["faults_injected"] > 0

        # Retries were spaced out (backoff), not a hot loop: the CLI's log names each retry and its delay.
        log_text = resolve_paths(data).log_file.read_text(encoding="utf-8")
        delays = [float(d) for d in re.findall(r"failed \((?:EndpointConnectionError|ConnectionClosedError)\); "
                                               r"retry in ([0-9.]+)s", log_text)]
        assert delays and min(delays) > 0, log_text[-2000:]
    finally:
        if cli is not None and cli.poll() is None:
            cli.kill()
            cli.communicate(timeout=30)
        if engine is not None:
            engine.stop(timeout=5)
            engine.store.close()
        for sb in (first, second):
            if sb is not None:
                sb.kill()
