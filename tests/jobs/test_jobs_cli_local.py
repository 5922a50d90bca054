"""A first-time user runs the CLI against the local sandbox with no AWS set-up at all."""

from __future__ import annotations

import os
import subprocess
import sys


def test_cli_against_a_loopback_endpoint_needs_no_credentials_or_region(make_sandbox, tmp_path):
    sb = make_sandbox(seed_demo=True, job_seconds=0.2)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["HOME"] = str(tmp_path / "home")  # no ~/.aws either
    env["AWS_CONFIG_FILE"] = str(tmp_path / "none")
    env["AWS_SHARED_CREDENTIALS_FILE"] = str(tmp_path / "none")
    cmd = [sys.executable, "-m", "gui", "submit", "--endpoint-url", sb.endpoint_url, "--data-dir",
           str(tmp_path / "data"), "--wait", "--poll-interval", "0.2", "--progress", "lines",
           "s3://demo-videos/family/2024/beach-walk.mp4"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "placeholder credentials for the local endpoint" in proc.stderr
    assert [j["Video"]["S3Object"]["Name"] for j in sb.jobs()] == ["family/2024/beach-walk.mp4"]


def test_only_loopback_endpoints_count_as_local():
    from gui.core.types import ConnectionSpec

    assert ConnectionSpec(endpoint_url="http://127.0.0.1:4566").is_sandbox_like
    assert ConnectionSpec(endpoint_url="http://localhost:9000").is_sandbox_like
    assert not ConnectionSpec(endpoint_url="https://s3.eu-west-1.amazonaws.com").is_sandbox_like
    assert not ConnectionSpec(endpoint_url="http://localhost.example.com").is_sandbox_like
    assert not ConnectionSpec().is_sandbox_like
