"""Start/stop, isolation between sandboxes, thread safety, cheap import and ``python -m gui.sandbox``."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from sandbox_testkit import CLIP, DEMO, client, code_of, start, wait_done

ROOT = Path(__file__).resolve().parents[2]


def _sandbox_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("sandbox-")]


def test_import_is_cheap():
    code = "import sys, gui.sandbox; print(sorted(m for m in ('moto', 'boto3', 'botocore', 'flask', 'werkzeug', 'PySide6') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_start_stop_and_context_manager():
    from gui.sandbox import Sandbox

    sb = Sandbox()
    with pytest.raises(RuntimeError):
        _ = sb.endpoint_url
    with sb:
        url = sb.endpoint_url
        assert url.startswith("http://127.0.0.1:")
        assert client(sb, "s3").list_buckets()["Buckets"] == []
        port = int(url.rsplit(":", 1)[1])
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    sb.stop()  # idempotent
    assert not sb.running


def test_stop_leaves_no_thread_running(make_sandbox):
    before = set(_sandbox_threads())
    from gui.sandbox import Sandbox

    sb = Sandbox(seed_demo=True, job_seconds=0.05).start()
    rek = client(sb, "rekognition")
    wait_done(rek, start(rek))  # keep-alive connections, a job, the scheduler
    assert set(_sandbox_threads()) - before
    sb.stop()
    deadline = time.monotonic() + 3
    while set(_sandbox_threads()) - before and time.monotonic() < deadline:
        time.sleep(0.02)
    assert set(_sandbox_threads()) - before == set()


def test_two_sandboxes_each_own_their_demo_bucket(make_sandbox):
    a = make_sandbox(seed_demo=True)
    b = make_sandbox(seed_demo=True)
    assert a.account_id != b.account_id
    a.put_object(DEMO, "only-in-a.txt", b"a")
    keys_a = {o["Key"] for o in client(a, "s3").list_objects_v2(Bucket=DEMO)["Contents"]}
    keys_b = {o["Key"] for o in client(b, "s3").list_objects_v2(Bucket=DEMO)["Contents"]}
    assert keys_a - keys_b == {"only-in-a.txt"}
    client(b, "sns").create_topic(Name="only-in-b")
    assert client(a, "sns").list_topics()["Topics"] == []


def test_stop_forgets_the_state_and_frees_the_account():
    from gui.sandbox import Sandbox

    with Sandbox() as first:
        first.create_bucket("forgotten")
        account = first.account_id
    with Sandbox() as second:
        names = [b["Name"] for b in client(second, "s3").list_buckets()["Buckets"]]
        assert "forgotten" not in names
        assert second.account_id == account  # the lowest free id is reused once released


def test_wait_for_jobs_and_request_counters(make_sandbox):
    sb = make_sandbox(seed_demo=True, job_seconds=0.2)
    rek = client(sb, "rekognition")
    job = start(rek)
    rek.get_label_detection(JobId=job)
    assert sb.get_requests == 1 and sb.start_requests == 1
    assert sb.wait_for_jobs(timeout=0.01) is False
    assert sb.wait_for_jobs(timeout=5) is True
    assert sb.jobs()[0]["Status"] == "SUCCEEDED" and sb.jobs()[0]["completed"] >= sb.jobs()[0]["created"]


def test_concurrent_starts_respect_the_limit(make_sandbox):
    # 16 Starts at once: the StartLabelDetection quota (5 per second) is off, this is about the job limit
    sb = make_sandbox(seed_demo=True, job_seconds=5, max_concurrent_jobs=5, start_tps=0)

    def attempt(_: int) -> str:
        rek = client(sb, "rekognition")
        try:
            return start(rek)
        except ClientError as exc:
            return exc.response["Error"]["Code"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(attempt, range(16)))
    started = [r for r in results if len(r) == 64]
    assert len(started) == 5
    assert results.count("LimitExceededException") == 11
    assert sb.start_requests == 16
    assert sorted(j["JobId"] for j in sb.jobs()) == sorted(started)


def test_concurrent_reads_of_one_job_agree(fast_sandbox):
    rek = client(fast_sandbox, "rekognition")
    job = start(rek, key="work/warehouse/warehouse-forklift.mov", MinConfidence=0)
    wait_done(rek, job)

    def read(_: int) -> list:
        return client(fast_sandbox, "rekognition").get_label_detection(JobId=job, MaxResults=50)["Labels"]

    with ThreadPoolExecutor(max_workers=6) as pool:
        pages = list(pool.map(read, range(12)))
    assert all(p == pages[0] for p in pages) and len(pages[0]) == 50


def _launch(*args: str) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "0"}
    proc = subprocess.Popen([sys.executable, "-m", "gui.sandbox", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    first = proc.stdout.readline().strip()
    return proc, first


class _Endpoint:
    def __init__(self, url: str) -> None:
        self.endpoint_url = url


def test_cli_prints_the_endpoint_first_and_exits_cleanly_on_sigint():
    proc, first = _launch("--port", "0", "--seed-demo", "--job-seconds", "0.1", "--max-concurrent-jobs", "1")
    try:
        assert first.startswith("endpoint_url http://127.0.0.1:")
        url = first.split()[1]
        rek = client(_Endpoint(url), "rekognition")
        job = start(rek)
        with pytest.raises(ClientError) as excinfo:
            start(rek)  # --max-concurrent-jobs 1
        assert code_of(excinfo) == "LimitExceededException"
        assert wait_done(rek, job)["JobStatus"] == "SUCCEEDED"  # --job-seconds 0.1
        assert client(_Endpoint(url), "s3").head_object(Bucket=DEMO, Key=CLIP)  # --seed-demo
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err
    assert "Traceback" not in err


def test_cli_fixed_port_fault_rate_and_sigterm():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc, first = _launch("--port", str(port), "--fault-rate", "1")
    try:
        assert first == f"endpoint_url http://127.0.0.1:{port}"
        rek = client(_Endpoint(first.split()[1]), "rekognition")
        with pytest.raises(ClientError) as excinfo:
            rek.get_label_detection(JobId="abc")
        assert code_of(excinfo) in ("ThrottlingException", "ProvisionedThroughputExceededException",
                                    "InternalServerError")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=15)
    assert proc.returncode == 0


def test_cli_rejects_a_bad_fault_rate():
    out = subprocess.run([sys.executable, "-m", "gui.sandbox", "--fault-rate", "2"], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "fault-rate" in out.stderr
