"""``submit --check-channel``: a channel that cannot deliver stops before anything is queued (exit 2), a
good one passes; the sandbox applies the same rules when it delivers (tests/sandbox)."""

from __future__ import annotations

import subprocess
import sys

import boto3

from gui.core.jobstore import JobStore
from gui.core.paths import resolve_paths

VIDEO = "s3://demo-videos/city/city-traffic.mp4"


def run(*args):
    return subprocess.run([sys.executable, "-m", "gui", *map(str, args)], capture_output=True, text=True,
                          timeout=90)


def _topic(sb, name):
    sns = boto3.client("sns", endpoint_url=sb.endpoint_url, region_name="us-east-1",
                       aws_access_key_id="sandbox", aws_secret_access_key="sandbox")
    return sns.create_topic(Name=name)["TopicArn"]


def test_a_missing_role_stops_the_submission(make_sandbox, tmp_path):
    sb = make_sandbox(seed_demo=True)
    topic = _topic(sb, "AmazonRekognitionDone")
    data = tmp_path / "app"
    proc = run("submit", "--endpoint-url", sb.endpoint_url, "--region", "us-east-1", "--data-dir", data,
               "--sns-topic-arn", topic, "--role-arn", "arn:aws:iam::123456789012:role/NoSuchRole",
               "--check-channel", VIDEO)
    assert proc.returncode == 2, proc.stderr
    assert "error: role:" in proc.stderr and "nothing was queued" in proc.stderr
    assert sb.start_requests == 0
    paths = resolve_paths(str(data))
    assert not paths.jobs_db.exists() or not JobStore(paths.jobs_db).jobs()


def test_the_demo_role_and_an_amazonrekognition_topic_pass(make_sandbox, tmp_path):
    from gui.sandbox.sandbox import DEMO_ROLE_NAME

    sb = make_sandbox(seed_demo=True, job_seconds=0.2)
    topic = _topic(sb, "AmazonRekognitionDone")
    role = f"arn:aws:iam::{sb.account_id}:role/{DEMO_ROLE_NAME}"
    proc = run("submit", "--endpoint-url", sb.endpoint_url, "--region", "us-east-1", "--data-dir", tmp_path / "app",
               "--sns-topic-arn", topic, "--role-arn", role, "--check-channel", VIDEO)
    assert proc.returncode == 0, proc.stderr
    assert "notification channel checked" in proc.stderr
    assert sb.wait_for_jobs(30) and len(sb.jobs()) == 1
