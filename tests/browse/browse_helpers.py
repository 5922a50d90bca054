"""Helpers shared by the tests in tests/browse (imported by name: this folder has no __init__.py)."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from gui.core.connection import Connection
from gui.core.types import ConnectionSpec


def connect_to(sb: Any, region: str = "us-east-1") -> Connection:
    """A connection to a sandbox through boto3's default chain (the autouse fake env credentials)."""
    return Connection(ConnectionSpec(source="default", region=region, endpoint_url=sb.endpoint_url))


def _reset_auth(sb: Any, value: str) -> str:
    req = urllib.request.Request(
        sb.endpoint_url + "/moto-api/reset-auth",
        data=value.encode(),
        method="POST",
        headers={"Content-Type": "text/plain"},
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())["PREVIOUS_INITIAL_NO_AUTH_ACTION_COUNT"]


@contextmanager
def iam_enforced(sb: Any) -> Iterator[None]:
    """moto's own switch (its /moto-api/reset-auth endpoint): check signatures and IAM policies."""
    previous = _reset_auth(sb, "0")
    try:
        yield
    finally:
        _reset_auth(sb, previous)


class Flag:
    """A cancel flag for core generators (what gui.qt.workers.CancelToken offers, without Qt)."""

    def __init__(self) -> None:
        self.cancelled = False


def record_calls(client: Any, operation: str) -> list[dict[str, Any]]:
    """Record each ``operation`` request this client sends: thread name and signing region."""
    import threading

    calls: list[dict[str, Any]] = []

    def before_send(request: Any, **kwargs: Any) -> None:
        auth = request.headers.get("Authorization", b"")
        auth = auth.decode() if isinstance(auth, bytes) else auth
        scope = auth.split("Credential=", 1)[1].split(",", 1)[0] if "Credential=" in auth else ""
        calls.append(
            {
                "thread": threading.current_thread().name,
                "main": threading.current_thread() is threading.main_thread(),
                "region": scope.split("/")[2] if scope.count("/") >= 3 else None,
                "url": request.url,
            }
        )

    service = client.meta.service_model.service_id.hyphenize()
    client.meta.events.register(f"before-send.{service}.{operation}", before_send)
    return calls


def raw_folder(s3: Any, bucket: str, prefix: str) -> tuple[set[str], set[str]]:
    """Common prefixes and keys of one folder, straight from a boto3 paginator (the reference)."""
    folders: set[str] = set()
    keys: set[str] = set()
    kwargs = {"Bucket": bucket, "Delimiter": "/"}
    if prefix:
        kwargs["Prefix"] = prefix
    for page in s3.get_paginator("list_objects_v2").paginate(**kwargs):
        folders |= {p["Prefix"] for p in page.get("CommonPrefixes", [])}
        keys |= {o["Key"] for o in page.get("Contents", []) if o["Key"] != prefix}
    return folders, keys
