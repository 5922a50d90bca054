"""Helpers for the sandbox conformance suite (imported by the tests in this folder)."""

from __future__ import annotations

import json
import time
from typing import Any

REGION = "us-east-1"
DEMO = "demo-videos"
CLIP = "family/2024/beach-walk.mp4"  # 6 s, 320x180, 25 fps, MP4


def client(sb: Any, service: str, retries: int = 1, client_validation: bool = True,
           region: str = REGION) -> Any:
    """A real boto3 client on *sb*; no retries by default so errors surface as they are.
    ``client_validation=False`` sends even what botocore would refuse, to test the server's checks.

    Every GetLabelDetection answer a Rekognition client receives is checked, before botocore parses it
    (which would silently drop unknown members), against botocore's output shape: see
    :func:`shape_problems`.  A page that does not conform fails the test that fetched it."""
    import boto3
    from botocore.config import Config

    c = boto3.client(
        service,
        region_name=region,
        endpoint_url=sb.endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"mode": "standard", "total_max_attempts": retries},
                      parameter_validation=client_validation),
    )
    if service == "rekognition":
        c.meta.events.register("before-parse.rekognition.GetLabelDetection", _check_page)
    return c


PAGES_CHECKED = [0]


def _check_page(operation_model: Any, response_dict: dict[str, Any], **_: Any) -> None:
    if response_dict.get("status_code") != 200:
        return
    body = json.loads(response_dict["body"] or b"{}")
    problems = shape_problems(operation_model.output_shape, body)
    assert not problems, f"GetLabelDetection page breaks botocore's output shape: {problems[:5]}"
    PAGES_CHECKED[0] += 1


def shape_problems(shape: Any, value: Any, path: str = "") -> list[str]:
    """Where *value* (raw JSON) breaks botocore *shape*: members the model does not have, wrong JSON types,
    values outside an enum.  (Required members and min/max are the request side's business.)"""
    kind = shape.type_name
    out: list[str] = []
    if kind == "structure":
        if not isinstance(value, dict):
            return [f"{path or '<top>'}: expected an object, got {type(value).__name__}"]
        for name, member_value in value.items():
            member = shape.members.get(name)
            if member is None:
                out.append(f"{path}.{name}: not a member of {shape.name}")
            elif member_value is not None:
                out += shape_problems(member, member_value, f"{path}.{name}")
    elif kind == "list":
        if not isinstance(value, list):
            return [f"{path}: expected a list"]
        for i, item in enumerate(value):
            out += shape_problems(shape.member, item, f"{path}[{i}]")
    elif kind == "string":
        if not isinstance(value, str):
            out.append(f"{path}: expected a string, got {value!r}")
        elif shape.enum and value not in shape.enum:
            out.append(f"{path}: {value!r} is not one of {shape.enum}")
    elif kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            out.append(f"{path}: expected an integer, got {value!r}")
    elif kind in ("float", "double"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            out.append(f"{path}: expected a number, got {value!r}")
    elif kind == "boolean":
        if not isinstance(value, bool):
            out.append(f"{path}: expected a boolean, got {value!r}")
    elif kind == "timestamp":
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            out.append(f"{path}: expected a timestamp, got {value!r}")
    return out


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
