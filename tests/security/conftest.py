"""Fixtures for the security tests (tests/security)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """``gui.cli.main`` run in this process installs the app's log file handler; take it out again."""
    root = logging.getLogger()
    level = root.level
    yield
    from gui.core.logs import setup_logging

    setup_logging(None)
    root.setLevel(level)
