"""Fixtures for the frame tests; helpers live in frames_support.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from frames_support import TEST_BUCKET


@pytest.fixture(scope="module")
def sb() -> Iterator[Any]:
    """A private sandbox (demo bucket + an empty test bucket), short jobs."""
    from gui.sandbox import Sandbox

    sandbox = Sandbox(port=0, seed_demo=True, job_seconds=0.2)
    sandbox.start()
    sandbox.create_bucket(TEST_BUCKET)
    try:
        yield sandbox
    finally:
        sandbox.stop()
