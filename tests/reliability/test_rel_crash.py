"""Crash: 200 submissions through the CLI, SIGKILLed at random moments and restarted, against a sandbox
that fails 20 % of Rekognition calls. In the end every video has exactly one job -- counted on the
sandbox's side -- and exactly one row in the store, all SUCCEEDED."""

from __future__ import annotations

import random
import signal
import subprocess
import time
from collections import Counter

import pytest
from rel_helpers import (
    CLI_FAST,
    cli_command,
    conn_args,
    peek_counts,
    raw_failures,
    service_jobs,
    store_records,
    wait_until,
)

from gui.core.jobstates import JobStatus
from gui.core.paths import resolve_paths

VIDEOS = 200
BUCKET = "crash-videos"
PREFIX = "batch/"
SEED = 20240611
KILLS = 5


@pytest.mark.slow
def test_sigkill_at_random_moments_loses_and_doubles_nothing(make_sandbox, tmp_path):
    sb = make_sandbox(job_seconds=0.2, max_concurrent_jobs=20, fault_rate=0.2, fault_seed=SEED)
    # 40 kB: a real, decodable H.264 clip padded with a 'free' box (fill_prefix pads its demo clip when
    # size >= ~37 kB; smaller bodies are filler bytes whose jobs FAIL). Half the keys sit in sub-folders.
    sb.fill_prefix(BUCKET, PREFIX, VIDEOS // 2, size=40_000)
    sb.fill_prefix(BUCKET, PREFIX + "more/", VIDEOS // 2, size=40_000)
    data = tmp_path / "app"
    db = resolve_paths(data).jobs_db
    # Fault stalls dominate the run time: each injected throttle/5xx makes the single poller (or the
    # submitter) back off, as it must; --retry-max 0.25 keeps those waits short for the test.
    cmd = cli_command("submit", *conn_args(sb.endpoint_url, data), *CLI_FAST, "--retry-max", "0.25",
                      "--max-concurrent", "20", "--recursive", "--wait", f"s3://{BUCKET}/{PREFIX}")
    rng = random.Random(SEED)
    snapshots: list[dict[str, int]] = []

    def launch() -> subprocess.Popen[str]:
        return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    # Kill 1: somewhere in start-up (imports, listing, the one enqueue transaction, first claims).
    # Kills 2..: mid-batch, once a random share of the jobs has started, and right when some rows are
    # SUBMITTING (claimed, StartLabelDetection maybe in flight): the moment a naive client loses or
    # doubles a job. A short random delay on top spreads the moments further.
    for kill in range(KILLS):
        proc = launch()
        try:
            if kill == 0:
                time.sleep(rng.uniform(0.3, 1.2))
            else:
                target = rng.randint(VIDEOS * kill // (KILLS + 1), VIDEOS * (kill + 1) // (KILLS + 1))

                def ready(target: int = target, proc: subprocess.Popen[str] = proc) -> bool:
                    if proc.poll() is not None:
                        return True
                    counts = peek_counts(db)
                    started = counts.get("IN_PROGRESS", 0) + counts.get("SUCCEEDED", 0)
                    return started >= target and counts.get("SUBMITTING", 0) > 0

                try:
                    wait_until(ready, timeout=60, interval=0.005)
                except AssertionError:
                    pass  # no SUBMITTING row seen in time: kill anyway, at this random moment
                time.sleep(rng.uniform(0.0, 0.05))
            assert proc.poll() is None, f"the CLI ended before kill {kill + 1}: {proc.communicate()}"
            proc.send_signal(signal.SIGKILL)
            proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate(timeout=30)
        snapshots.append(peek_counts(db))

    # The killed runs must really have been interrupted mid-batch, some while jobs were being sent.
    assert any(s.get("SUBMITTING", 0) for s in snapshots), snapshots
    assert any(0 < s.get("SUCCEEDED", 0) < VIDEOS for s in snapshots), snapshots

    final = launch()
    out, err = final.communicate(timeout=180)
    assert final.returncode == 0, err
    assert out.strip() == f"{VIDEOS} succeeded"
    assert raw_failures(err) == []
    assert "queued 0 new jobs" in err  # the restart added nothing: every video was already queued

    # From the sandbox's side: exactly one job per video, all succeeded.
    sandbox_jobs = service_jobs(sb.endpoint_url)
    per_video = Counter(j["Key"] for j in sandbox_jobs)
    assert len(per_video) == VIDEOS and set(per_video.values()) == {1}, per_video.most_common(3)
    assert {j["Status"] for j in sandbox_jobs} == {"SUCCEEDED"}
    assert sb.faults_injected > 0 and sb.start_requests > VIDEOS  # faults happened and were retried

    # From the store's side: exactly one row per video, SUCCEEDED, with the JobId and token AWS saw.
    rows = store_records(db)
    assert len(rows) == VIDEOS and len({r.video_uri for r in rows}) == VIDEOS
    assert {r.status for r in rows} == {JobStatus.SUCCEEDED}
    by_token = {j["ClientRequestToken"]: j["JobId"] for j in sandbox_jobs}
    assert {r.client_token: r.job_id for r in rows} == by_token
