"""Helpers for the results tests (no tests here): jobs on the sandbox, a raw boto3 NextToken loop,
scripted detections. A module of its own, not conftest.py: several test folders have a conftest.py, and
``from conftest import`` would pick whichever pytest loaded last."""

from __future__ import annotations

import time
from typing import Any

REGION = "us-east-1"
DEMO_BUCKET = "demo-videos"
DEMO_VIDEO = "city/city-traffic.mp4"  # 10 s, H.264
SCRIPTED_VIDEO = "family/pets/dog-park.mov"  # 4 s; only the scripted sandbox uses it
SCRIPT_LABELS = ("Car", "Person", "Dog", "Tree", "Bicycle", "Road", "Building")
SCRIPT_SIZE = 2500  # crosses two page boundaries at MaxResults=1000


def rekognition(endpoint_url: str, **config: Any) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "rekognition",
        region_name=REGION,
        endpoint_url=endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(**config) if config else None,
    )


def start_and_wait(client: Any, bucket: str, key: str, timeout: float = 30.0) -> str:
    """Start label detection and poll (MaxResults=1) until the job has ended; returns the JobId."""
    job_id = client.start_label_detection(Video={"S3Object": {"Bucket": bucket, "Name": key}})["JobId"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = client.get_label_detection(JobId=job_id, MaxResults=1)["JobStatus"]
        if status != "IN_PROGRESS":
            return job_id
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} still in progress after {timeout}s")


def raw_pages(client: Any, job_id: str, aggregation: str = "TIMESTAMPS") -> list[dict[str, Any]]:
    """The reference: a plain boto3 NextToken loop, ResponseMetadata dropped."""
    pages = []
    kwargs: dict[str, Any] = {"JobId": job_id, "MaxResults": 1000, "AggregateBy": aggregation}
    while True:
        page = client.get_label_detection(**kwargs)
        page.pop("ResponseMetadata", None)
        pages.append(page)
        if not page.get("NextToken"):
            return pages
        kwargs["NextToken"] = page["NextToken"]


def script(n: int = SCRIPT_SIZE) -> list[dict[str, Any]]:
    """``n`` known detections: label i % 7, confidence 50.0-99.9 (kept by MinConfidence 50), five per
    20 ms step. Car and Person (bounding-box labels) get one instance each."""
    out = []
    for i in range(n):
        name = SCRIPT_LABELS[i % len(SCRIPT_LABELS)]
        label: dict[str, Any] = {"Name": name, "Confidence": 50 + (i * 37 % 500) / 10}
        if name in ("Car", "Person"):
            label["Instances"] = [
                {"BoundingBox": {"Width": 0.25, "Height": 0.5, "Left": 0.125, "Top": 0.25}, "Confidence": 90.5}
            ]
        out.append({"Timestamp": (i // 5) * 20, "Label": label})
    return out


def expected_summary(detections: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per-label figures computed independently of the code under test."""
    out: dict[str, dict[str, Any]] = {}
    for d in detections:
        name = d["Label"]["Name"]
        conf = d["Label"]["Confidence"]
        e = out.setdefault(name, {"n": 0, "max": 0.0, "sum": 0.0, "first": 10**12, "last": -1})
        e["n"] += 1
        e["max"] = max(e["max"], conf)
        e["sum"] += conf
        e["first"] = min(e["first"], d["Timestamp"])
        e["last"] = max(e["last"], d["Timestamp"])
    for e in out.values():
        e["mean"] = e["sum"] / e["n"]
    return out


def detection_key(item: dict[str, Any]) -> tuple[Any, ...]:
    label = item["Label"]
    return (
        item["Timestamp"],
        item.get("StartTimestampMillis"),
        item.get("EndTimestampMillis"),
        item.get("DurationMillis"),
        label["Name"],
        label["Confidence"],
        tuple(c["Name"] for c in label.get("Categories", [])),
        tuple(p["Name"] for p in label.get("Parents", [])),
        tuple(a["Name"] for a in label.get("Aliases", [])),
        len(label.get("Instances") or []),
    )


def stored_key(d: Any) -> tuple[Any, ...]:
    return (
        d.timestamp_ms,
        d.start_ms,
        d.end_ms,
        d.duration_ms,
        d.label,
        d.confidence,
        d.categories,
        d.parents,
        d.aliases,
        d.instance_count,
    )
