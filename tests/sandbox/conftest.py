"""Fixtures for the sandbox conformance suite: everything goes over real HTTP with boto3."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sandbox_testkit import client


@pytest.fixture(scope="session")
def fast_sandbox() -> Iterator[Any]:
    """A seeded sandbox of our own whose jobs finish in 50 ms (the shared one uses 1 s).

    Request-rate quotas are off here: this sandbox serves the whole conformance suite, which sends
    hundreds of calls back to back to test other rules (validation, paging, filters).  The quota rule has
    its own sandboxes, with the quotas on, in test_sandbox_quotas.py."""
    from gui.sandbox import Sandbox

    sb = Sandbox(port=0, seed_demo=True, job_seconds=0.05, start_tps=0, get_tps=0)
    sb.start()
    try:
        yield sb
    finally:
        sb.stop()


@pytest.fixture
def rek(fast_sandbox: Any) -> Any:
    return client(fast_sandbox, "rekognition")


@pytest.fixture
def s3(fast_sandbox: Any) -> Any:
    return client(fast_sandbox, "s3")


@pytest.fixture
def raw_rek(fast_sandbox: Any) -> Any:
    """Rekognition client without botocore's own checks: every constraint must be enforced server-side."""
    return client(fast_sandbox, "rekognition", client_validation=False)
