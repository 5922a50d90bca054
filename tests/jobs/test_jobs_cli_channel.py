"""``submit --sns-topic-arn ARN --role-arn ARN``: a NotificationChannel from the command line, validated as
the window validates it, refused before anything is queued."""

from __future__ import annotations

import subprocess
import sys

from gui.core.jobstore import JobStore
from gui.core.paths import resolve_paths

TOPIC = "arn:aws:sns:us-east-1:123456789012:AmazonRekognitionDone"
ROLE = "arn:aws:iam::123456789012:role/RekognitionSNS"
VIDEO = "s3://demo-videos/city/city-traffic.mp4"


def run(*args):
    return subprocess.run([sys.executable, "-m", "gui", *map(str, args)], capture_output=True, text=True,
                          timeout=90)


def test_channel_flags_reach_the_request(make_sandbox, tmp_path):
    sb = make_sandbox(seed_demo=True, job_seconds=0.2)
    data = tmp_path / "app"
    proc = run("submit", "--endpoint-url", sb.endpoint_url, "--region", "us-east-1", "--data-dir", data,
               "--sns-topic-arn", TOPIC, "--role-arn", ROLE, VIDEO)
    assert proc.returncode == 0, proc.stderr
    with JobStore(resolve_paths(str(data)).jobs_db) as store:
        (record,) = store.jobs()
    assert record.request["NotificationChannel"] == {"SNSTopicArn": TOPIC, "RoleArn": ROLE}
    assert sb.wait_for_jobs(30)
    assert [j.get("NotificationChannel") for j in sb.jobs()] == [{"SNSTopicArn": TOPIC, "RoleArn": ROLE}]


def test_a_topic_without_a_role_is_refused_before_anything_is_queued(tmp_path):
    data = tmp_path / "app"
    proc = run("submit", "--endpoint-url", "http://127.0.0.1:9", "--data-dir", data, "--sns-topic-arn", TOPIC,
               VIDEO)
    assert proc.returncode == 2
    assert "IAM role ARN is missing: a notification channel needs both ARNs." in proc.stderr
    assert not resolve_paths(str(data)).jobs_db.exists() or not JobStore(resolve_paths(str(data)).jobs_db).jobs()


def test_a_malformed_role_arn_is_refused(tmp_path):
    proc = run("submit", "--endpoint-url", "http://127.0.0.1:9", "--data-dir", tmp_path / "app",
               "--sns-topic-arn", TOPIC, "--role-arn", "arn:aws:iam::123456789012:user/me", VIDEO)
    assert proc.returncode == 2
    assert "IAM role ARN is not valid" in proc.stderr
