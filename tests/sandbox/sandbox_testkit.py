"""Helpers for the sandbox conformance suite (imported by the tests in this folder)."""

from __future__ import annotations

import time
from typing import Any

REGION = "us-east-1"
DEMO = "demo-videos"
CLIP = "family/2024/beach-walk.mp4"  # 6 s, 320x180, 25 fps, MP4


def client(sb: Any, service: str, retries: int = 1, client_validation: bool = True) -> Any:
    """A real boto3 client on *sb*; no retries by default so errors surface as they are.
    ``client_validation=False`` sends even what botocore would refuse, to test the server's checks."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        service,
        region_name=REGION,
        endpoint_url=sb.endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"mode": "standard", "total_max_attempts": retries},
                      parameter_validation=client_validation),
    )


def code_of(excinfo: Any) -> str:
    return excinfo.value.response["Error"]["Code"]


def wait_done(rek: Any, job_id: str, timeout: float = 10.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        resp = rek.get_label_detection(JobId=job_id, MaxResults=1)
        if resp["JobStatus"] != "IN_PROGRESS":
            return resp
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} still IN_PROGRESS after {timeout} s")
        time.sleep(0.02)


def start(rek: Any, key: str = CLIP, bucket: str = DEMO, **params: Any) -> str:
    return rek.start_label_detection(Video={"S3Object": {"Bucket": bucket, "Name": key}}, **params)["JobId"]


def all_labels(rek: Any, job_id: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of a SUCCEEDED job, following NextToken."""
    wait_done(rek, job_id)
    out: list[dict[str, Any]] = []
    token = None
    while True:
        kw = dict(params)
        if token:
            kw["NextToken"] = token
        resp = rek.get_label_detection(JobId=job_id, **kw)
        assert resp["JobStatus"] == "SUCCEEDED", resp.get("StatusMessage")
        out.extend(resp["Labels"])
        token = resp.get("NextToken")
        if not token:
            return out
