"""Helpers for the library tests: store hand-written GetLabelDetection pages in a results cache, and make
job-store records for them. A uniquely named module (not conftest.py) so no other folder's shadows it."""

from __future__ import annotations

from typing import Any


def det(t: int, name: str, conf: float, *, cats: tuple[str, ...] = (), aliases: tuple[str, ...] = (),
        parents: tuple[str, ...] = (), end: int | None = None) -> dict[str, Any]:
    """One LabelDetection as AWS shapes it; ``end`` makes it a SEGMENTS item from ``t`` to ``end``."""
    item: dict[str, Any] = {
        "Timestamp": t,
        "Label": {
            "Name": name,
            "Confidence": conf,
            "Instances": [],
            "Categories": [{"Name": c} for c in cats],
            "Aliases": [{"Name": a} for a in aliases],
            "Parents": [{"Name": p} for p in parents],
        },
    }
    if end is not None:
        item.update(StartTimestampMillis=t, EndTimestampMillis=end, DurationMillis=end - t)
    return item


def store_job(store: Any, job_id: str, uri: str, detections: list[dict[str, Any]], *,
              aggregation: str = "TIMESTAMPS", duration_ms: int = 10_000) -> None:
    """Store ``detections`` as the one page of ``job_id``'s results, as a fetch does."""
    bucket, key = uri[len("s3://"):].split("/", 1)
    page = {
        "JobStatus": "SUCCEEDED",
        "Video": {"S3Object": {"Bucket": bucket, "Name": key}},
        "VideoMetadata": {"DurationMillis": duration_ms, "FrameRate": 25.0},
        "LabelModelVersion": "3.0",
        "Labels": detections,
    }
    rid = store.begin_result(job_id, aggregation)
    store.add_page(rid, 0, page)
    store.complete_result(rid, page)


def keys(matches: Any) -> list[str]:
    return [m.key for m in matches]


def finished_record(job_store: Any, bucket: str, key: str, job_id: str, *, preset: str | None = None,
                    min_confidence: float = 50.0, finished_at: float = 1_700_000_000.0) -> Any:
    """A SUCCEEDED job in ``job_store`` with AWS JobId ``job_id``."""
    from gui.core.jobstates import JobStatus
    from gui.core.jobstore import Scope, new_job
    from gui.core.types import JobSettings

    scope = Scope("123456789012", "us-east-1", "")
    [record] = job_store.add_jobs(
        [new_job(bucket, key, JobSettings(min_confidence=min_confidence), scope, preset=preset)]
    )
    job_store.mark_started(record.id, job_id)
    job_store.mark_finished(record.id, JobStatus.SUCCEEDED, finished_at=finished_at)
    return job_store.get(record.id)


# -- the sandbox ------------------------------------------------------------------------------------------

REGION = "us-east-1"


def rekognition(endpoint_url: str) -> Any:
    import boto3

    return boto3.client("rekognition", region_name=REGION, endpoint_url=endpoint_url,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def start_and_wait(client: Any, bucket: str, key: str, timeout: float = 30.0) -> str:
    import time

    job_id = client.start_label_detection(Video={"S3Object": {"Bucket": bucket, "Name": key}})["JobId"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if client.get_label_detection(JobId=job_id, MaxResults=1)["JobStatus"] != "IN_PROGRESS":
            return job_id
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} still in progress after {timeout}s")


def raw_pages(client: Any, job_id: str, aggregation: str) -> list[dict[str, Any]]:
    """A plain boto3 NextToken loop over GetLabelDetection: the reference the library is checked against."""
    pages = []
    kwargs: dict[str, Any] = {"JobId": job_id, "MaxResults": 1000, "AggregateBy": aggregation}
    while True:
        page = client.get_label_detection(**kwargs)
        pages.append(page)
        if not page.get("NextToken"):
            return pages
        kwargs["NextToken"] = page["NextToken"]


def run_of(name: str, conf: float, start: int, end: int, step: int = 500, **names: Any) -> list[dict[str, Any]]:
    """Detections of ``name`` every ``step`` ms from ``start`` to ``end`` (inclusive), all at ``conf``."""
    label: dict[str, Any] = {"Name": name, "Confidence": conf}
    for field, values in names.items():  # Parents=(...), Aliases=(...)
        label[field] = [{"Name": v} for v in values]
    return [{"Timestamp": t, "Label": dict(label)} for t in range(start, end + 1, step)]


def downgrade_to_before_the_index(path: Any) -> None:
    """Make ``path`` what a cache written before the library index looks like: the same results, no
    library tables, the schema version before the migration that adds them."""
    import sqlite3

    from gui.core import library_index
    from gui.core import results_store as results_module

    [before] = [v for v, m in results_module._MIGRATIONS.items()
                if m is library_index.SCHEMA_SQL or m is library_index.ensure_schema]
    con = sqlite3.connect(path)
    try:
        for (name,) in con.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name LIKE 'library_%'"
        ).fetchall():
            con.execute(f"DROP TABLE {name}")
        con.execute(f"PRAGMA user_version = {before}")
        con.commit()
    finally:
        con.close()
