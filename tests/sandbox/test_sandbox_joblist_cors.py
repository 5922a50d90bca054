"""The service-side job list (issue 11, item 11) and no CORS grants unless asked (issue 12, item 10)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from datetime import datetime

import pytest
from sandbox_testkit import CLIP, DEMO, client, start, wait_done

LISTED = {"JobId", "Bucket", "Key", "Version", "ClientRequestToken", "JobTag", "Status", "StatusMessage",
          "Region", "CreatedAt", "CompletedAt", "NotificationChannel", "NotificationPublished",
          "NotificationProblem"}


def _listing(sb):
    with urllib.request.urlopen(sb.endpoint_url + "/_sandbox/jobs") as resp:
        assert resp.headers["Content-Type"] == "application/json"
        return json.load(resp)["Jobs"]


def test_the_job_list_is_served_over_http(make_sandbox):
    sb = make_sandbox(seed_demo=True, job_seconds=0.05)
    rek = client(sb, "rekognition")
    a = start(rek, ClientRequestToken="tok-1", JobTag="batch-1")
    assert start(rek, ClientRequestToken="tok-1", JobTag="batch-1") == a  # idempotent: still one job
    b = start(rek, key="incoming/not-really-a-video.mp4")
    wait_done(rek, a), wait_done(rek, b)
    jobs = _listing(sb)
    assert [j["JobId"] for j in jobs] == [a, b]
    assert all(set(j) == LISTED for j in jobs)
    first, second = jobs
    assert (first["Bucket"], first["Key"], first["Version"]) == (DEMO, CLIP, None)
    assert (first["ClientRequestToken"], first["JobTag"], first["Status"]) == ("tok-1", "batch-1", "SUCCEEDED")
    assert first["NotificationPublished"] is False and first["NotificationChannel"] is None
    assert second["Status"] == "FAILED" and second["StatusMessage"]
    created = datetime.fromisoformat(first["CreatedAt"].replace("Z", "+00:00"))
    completed = datetime.fromisoformat(first["CompletedAt"].replace("Z", "+00:00"))
    assert created <= completed and created.tzinfo is not None
    assert jobs == sb.job_listing()


def test_the_job_list_records_published_notifications(make_sandbox):
    sb = make_sandbox(seed_demo=True, job_seconds=0.05)
    sns = client(sb, "sns")
    topic = sns.create_topic(Name="AmazonRekognitionListed")["TopicArn"]
    rek = client(sb, "rekognition")
    job = start(rek, NotificationChannel={"SNSTopicArn": topic, "RoleArn": sb.create_notification_role()})
    wait_done(rek, job)
    deadline = time.monotonic() + 5
    while not _listing(sb)[0]["NotificationPublished"]:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert _listing(sb)[0]["NotificationChannel"]["SNSTopicArn"] == topic


def test_dump_jobs_prints_the_list_of_a_running_sandbox(make_sandbox):
    sb = make_sandbox(seed_demo=True, job_seconds=0.05)
    job = start(client(sb, "rekognition"))
    proc = subprocess.run([sys.executable, "-m", "gui.sandbox", "--dump-jobs", sb.endpoint_url],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert [j["JobId"] for j in json.loads(proc.stdout)["Jobs"]] == [job]


def test_dump_jobs_without_a_sandbox_fails_plainly():
    proc = subprocess.run([sys.executable, "-m", "gui.sandbox", "--dump-jobs", "http://127.0.0.1:9"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert proc.stderr.startswith("Cannot read the job list at http://127.0.0.1:9/_sandbox/jobs")
    assert "Traceback" not in proc.stderr


def _request(sb, path="/", method="GET", headers=None):
    req = urllib.request.Request(sb.endpoint_url + path, method=method, headers={
        "Origin": "http://evil.example", **(headers or {})})
    try:
        with urllib.request.urlopen(req) as resp:
            return resp.status, dict(resp.headers)
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, dict(exc.headers)


@pytest.mark.parametrize(("path", "method", "extra"), [
    ("/", "GET", {}),  # S3 ListBuckets
    ("/", "OPTIONS", {"Access-Control-Request-Method": "PUT"}),  # a browser's preflight
    ("/demo-videos", "OPTIONS", {"Access-Control-Request-Method": "DELETE"}),
    ("/_sandbox/jobs", "GET", {}),
])
def test_no_cors_grants_by_default(make_sandbox, path, method, extra):
    sb = make_sandbox(seed_demo=True)
    _, headers = _request(sb, path, method, extra)
    assert not [k for k in headers if k.lower().startswith("access-control-")], headers


def test_no_cors_grants_on_aws_json_calls(make_sandbox):
    sb = make_sandbox(seed_demo=True)
    rek = client(sb, "rekognition")
    seen = []
    rek.meta.events.register("before-send.rekognition.*", lambda request, **_: request.headers.__setitem__(
        "Origin", "http://evil.example"))
    rek.meta.events.register("after-call.rekognition.*", lambda http_response, **_: seen.append(
        dict(http_response.headers)))
    start(rek)
    assert seen and not [k for k in seen[0] if k.lower().startswith("access-control-")]


def test_cors_flag_grants_the_requesting_origin(make_sandbox):
    sb = make_sandbox(seed_demo=True, cors=True)
    status, headers = _request(sb, "/", "OPTIONS", {"Access-Control-Request-Method": "PUT",
                                                     "Access-Control-Request-Headers": "authorization"})
    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == "http://evil.example"
    assert "PUT" in headers["Access-Control-Allow-Methods"]
    assert headers["Access-Control-Allow-Headers"] == "authorization"
    _, headers = _request(sb, "/")
    assert headers["Access-Control-Allow-Origin"] == "http://evil.example"


@pytest.mark.parametrize(("flags", "granted"), [([], False), (["--cors"], True)])
def test_the_command_line_sends_cors_grants_only_with_the_flag(flags, granted):
    proc = subprocess.Popen([sys.executable, "-m", "gui.sandbox", *flags], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    try:
        line = proc.stdout.readline().strip()
        assert line.startswith("endpoint_url ")

        class Endpoint:
            endpoint_url = line.split(" ", 1)[1]

        _, headers = _request(Endpoint, "/", "OPTIONS", {"Access-Control-Request-Method": "PUT"})
        assert (headers.get("Access-Control-Allow-Origin") == "http://evil.example") is granted
    finally:
        proc.terminate()
        proc.wait(10)
        proc.stdout.close()
