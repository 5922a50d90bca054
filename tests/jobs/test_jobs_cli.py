"""The headless CLI: submit/status/results in a subprocess against a private sandbox, and the documented
exit codes (usage errors, failures, connection, timeout, unusable store, interruption)."""

from __future__ import annotations

import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from jobs_helpers import wait_until

from gui import cli
from gui.cli import submit
from gui.core.jobstates import JobStatus
from gui.core.jobstore import JobStore
from gui.core.paths import resolve_paths

FAST = ["--poll-interval", "0.1", "--poll-max", "0.3"]


def run(*args, timeout=90):
    return subprocess.run([sys.executable, "-m", "gui", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)


def endpoint(sb, data_dir):
    return ["--endpoint-url", sb.endpoint_url, "--region", "us-east-1", "--data-dir", data_dir]


@pytest.fixture
def in_process(tmp_path):
    """Run ``cli.main`` in this process (cheap checks that need no sandbox); undo its log handler."""

    def call(*args):
        out, err = io.StringIO(), io.StringIO()
        code = cli.main([str(a) for a in args], stdout=out, stderr=err)
        return code, out.getvalue(), err.getvalue()

    yield call
    from gui.core.logs import setup_logging

    setup_logging(None)


def test_submit_wait_status_and_results_in_a_subprocess(make_sandbox, tmp_path):
    sb = make_sandbox(seed_demo=True, job_seconds=0.3)
    data = tmp_path / "app"
    conn = endpoint(sb, data)
    uris = ["s3://demo-videos/city/city-traffic.mp4", "s3://demo-videos/family/pets/"]
    proc = run("submit", *conn, *FAST, "--wait", "--job-tag", "cli-run", "--min-confidence", "55", *uris)
    assert proc.returncode == cli.EXIT_OK, proc.stderr
    assert proc.stdout.strip() == "2 succeeded"
    # not a terminal: plain lines, one per change of state
    lines = proc.stderr.splitlines()
    assert any(line.startswith("IN_PROGRESS s3://demo-videos/city/city-traffic.mp4 ") for line in lines)
    assert "SUCCEEDED   s3://demo-videos/family/pets/dog-park.mov" in lines
    assert "\r" not in proc.stderr

    status = run("status", "--json", "--data-dir", data)
    assert status.returncode == cli.EXIT_OK, status.stderr
    jobs = json.loads(status.stdout)
    assert sorted(j["video"] for j in jobs) == ["s3://demo-videos/city/city-traffic.mp4",
                                                "s3://demo-videos/family/pets/dog-park.mov"]
    assert {j["status"] for j in jobs} == {"SUCCEEDED"} and {j["job_tag"] for j in jobs} == {"cli-run"}
    sandbox_jobs = sb.jobs()
    assert {j["JobId"] for j in sandbox_jobs} == {j["job_id"] for j in jobs}
    assert {j["params"]["MinConfidence"] for j in sandbox_jobs} == {55}
    table = run("status", "--data-dir", data).stdout
    assert table.splitlines()[0].split() == ["ID", "STATUS", "SUBMITTED", "ELAPSED", "LABELS", "VIDEO", "JOB", "ID"]

    job_id = jobs[0]["job_id"]
    out_csv, out_vtt, out_json = tmp_path / "l.csv", tmp_path / "l.vtt", tmp_path / "l.json"
    res = run("results", *conn, job_id, "--format", "csv", "-o", out_csv)
    assert res.returncode == cli.EXIT_OK, res.stderr
    assert res.stdout.startswith("wrote ") and out_csv.read_text().startswith("aggregation,timestamp_ms")
    res = run("results", *conn, str(jobs[0]["id"]), "--format", "vtt", "-o", out_vtt)
    assert res.returncode == cli.EXIT_OK, res.stderr
    assert out_vtt.read_text().startswith("WEBVTT")
    res = run("results", *conn, job_id, "--format", "json", "-o", out_json)
    assert res.returncode == cli.EXIT_OK and json.loads(out_json.read_text())[0]["JobStatus"] == "SUCCEEDED"
    after = {j["job_id"]: j for j in json.loads(run("status", "--json", "--data-dir", data).stdout)}
    assert after[job_id]["results_fetched"] and after[job_id]["label_count"] > 0

    # The same command again submits nothing new: every video has exactly one job.
    again = run("submit", *conn, *FAST, "--wait", "--job-tag", "cli-run", "--min-confidence", "55", *uris)
    assert again.returncode == cli.EXIT_OK, again.stderr
    assert "queued 0 new jobs; 2 already submitted" in again.stderr
    assert len(sb.jobs()) == 2


def test_failed_video_gives_exit_code_1_and_its_message(make_sandbox, tmp_path):
    sb = make_sandbox(seed_demo=True, job_seconds=0.2)
    proc = run("submit", *endpoint(sb, tmp_path / "app"), *FAST, "--wait",
               "s3://demo-videos/incoming/truncated-upload.mp4", "s3://demo-videos/city/city-traffic.mp4")
    assert proc.returncode == cli.EXIT_FAILED, proc.stderr
    assert proc.stdout.strip() == "1 succeeded, 1 failed"
    assert "FAILED: s3://demo-videos/incoming/truncated-upload.mp4: " in proc.stderr


def test_bad_uris_are_usage_errors_and_queue_nothing(make_sandbox, tmp_path):
    sb = make_sandbox(seed_demo=True)
    data = tmp_path / "app"
    proc = run("submit", *endpoint(sb, data), "s3://demo-videos/no-such.mp4", "s3://no-such-bucket/a.mp4",
               "s3://demo-videos/city/", "not-a-uri", "s3://demo-videos/empty-prefix/")
    assert proc.returncode == cli.EXIT_USAGE
    assert "error: s3://demo-videos/no-such.mp4: object not found" in proc.stderr
    assert "error: s3://no-such-bucket/a.mp4: bucket 'no-such-bucket' not found" in proc.stderr
    assert "error: not-a-uri: not an s3:// URI" in proc.stderr
    assert "error: s3://demo-videos/empty-prefix/: no videos there (add --recursive" in proc.stderr
    assert "error: nothing was queued" in proc.stderr
    with JobStore(resolve_paths(data).jobs_db) as store:
        assert store.jobs() == []
    assert sb.start_requests == 0


def test_usage_errors_in_process(in_process, tmp_path):
    data = str(tmp_path / "app")
    code, _, err = in_process("submit", "--data-dir", data, "--job-tag", "has space", "s3://b/a.mp4")
    assert code == cli.EXIT_USAGE and "JobTag" in err
    code, _, err = in_process("submit", "--data-dir", data, "--min-confidence", "150", "s3://b/a.mp4")
    assert code == cli.EXIT_USAGE and "invalid settings" in err
    code, _, err = in_process("submit", "--data-dir", data, "--preset", "No Such Preset", "s3://b/a.mp4")
    assert code == cli.EXIT_USAGE and "no preset named 'No Such Preset'" in err
    bad = tmp_path / "preset.json"
    bad.write_text('{"schema_version": 99, "name": "x", "settings": {}}')
    code, _, err = in_process("submit", "--data-dir", data, "--preset-file", bad, "s3://b/a.mp4")
    assert code == cli.EXIT_USAGE and "newer version" in err
    code, _, _ = in_process("submit", "--data-dir", data)  # no URI: argparse
    assert code == cli.EXIT_USAGE
    code, out, _ = in_process("status", "--data-dir", data)
    assert code == cli.EXIT_OK and out == "no jobs\n"
    code, _, err = in_process("results", "--data-dir", data, "7", "--format", "csv", "-o", tmp_path / "x.csv")
    assert code == cli.EXIT_USAGE and "no job number 7" in err


def test_unreachable_endpoint_exits_3(tmp_path):
    started = time.monotonic()
    proc = run("submit", "--endpoint-url", "http://127.0.0.1:9", "--region", "us-east-1",
               "--data-dir", tmp_path / "app", "s3://demo-videos/a.mp4")
    assert proc.returncode == cli.EXIT_CONNECTION, proc.stderr
    assert "cannot connect: Endpoint unreachable" in proc.stderr
    assert time.monotonic() - started < 60


def test_newer_job_database_exits_5_and_is_left_alone(in_process, tmp_path):
    paths = resolve_paths(tmp_path / "app").ensure()
    conn = sqlite3.connect(paths.jobs_db)
    conn.execute("PRAGMA user_version = 42")
    conn.commit()
    conn.close()
    before = paths.jobs_db.read_bytes()
    code, _, err = in_process("status", "--data-dir", tmp_path / "app")
    assert code == cli.EXIT_STORE and "Job database from a newer version" in err
    assert paths.jobs_db.read_bytes() == before


def test_timeout_exits_4_and_sigterm_exits_130_leaving_jobs_resumable(make_sandbox, tmp_path):
    sb = make_sandbox(seed_demo=True, job_seconds=30)
    data = tmp_path / "app"
    proc = run("submit", *endpoint(sb, data), *FAST, "--wait", "--timeout", "1", "s3://demo-videos/city/city-traffic.mp4")
    assert proc.returncode == cli.EXIT_PENDING, proc.stderr
    assert "timed out after 1 s" in proc.stderr

    child = subprocess.Popen([sys.executable, "-m", "gui", "submit", *map(str, endpoint(sb, data)), *FAST, "--wait",
                              "s3://demo-videos/family/pets/dog-park.mov"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        paths = resolve_paths(data)

        def started():
            with JobStore(paths.jobs_db) as store:
                return any(j.key.endswith("dog-park.mov") and j.status is JobStatus.IN_PROGRESS for j in store.jobs())

        wait_until(started, 30, 0.1)
        child.send_signal(signal.SIGTERM)
        _out, err = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == cli.EXIT_INTERRUPTED, err
    assert "interrupted" in err
    with JobStore(resolve_paths(data).jobs_db) as store:
        assert [j.status for j in store.jobs()] == [JobStatus.IN_PROGRESS, JobStatus.IN_PROGRESS]
    assert len(sb.jobs()) == 2


@pytest.mark.skipif(os.name != "posix", reason="a pseudo-terminal is needed for the progress bar")
def test_progress_bar_on_a_terminal(make_sandbox, tmp_path):
    import pty

    sb = make_sandbox(seed_demo=True, job_seconds=0.2)
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "gui", "submit", *map(str, endpoint(sb, tmp_path / "app")),
                             *FAST, "--wait", "s3://demo-videos/city/city-traffic.mp4"],
                            stdout=subprocess.DEVNULL, stderr=follower)
    os.close(follower)
    chunks = []
    try:
        while True:
            try:
                data = os.read(leader, 4096)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
    finally:
        proc.wait(60)
        os.close(leader)
    text = b"".join(chunks).decode("utf-8", "replace")
    assert proc.returncode == cli.EXIT_OK
    assert "\r[" in text and "1/1 ended" in text and "#" * submit.ProgressReporter.WIDTH in text


def test_settings_from_a_builtin_preset_a_preset_file_and_flags(tmp_path):
    from gui.core.presets import PresetStore, export_settings
    from gui.core.types import JobSettings, LabelFilters

    paths = resolve_paths(tmp_path / "app").ensure()
    parser = cli.build_parser()
    name = PresetStore(paths).names()[0]
    settings, chosen = submit.settings_for(parser.parse_args(["submit", "--preset", name, "s3://b/k.mp4"]), paths)
    assert chosen == name and settings == PresetStore(paths).get(name).settings

    wanted = JobSettings(LabelFilters(label_inclusions=("Dog", "Cat")), 80.0, "from-file")
    file = export_settings("Pets", wanted, tmp_path / "pets.json")
    args = parser.parse_args(["submit", "--preset-file", str(file), "--min-confidence", "65", "s3://b/k.mp4"])
    settings, chosen = submit.settings_for(args, paths)
    assert chosen == "Pets"
    assert settings.filters.label_inclusions == ("Dog", "Cat") and settings.job_tag == "from-file"
    assert settings.min_confidence == 65  # the flag wins over the file
