"""Fixtures for the library tests; the helpers live in library_support.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Any]:
    from gui.core.results_store import ResultsStore

    s = ResultsStore(tmp_path / "results.sqlite3")
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def library(store: Any) -> Iterator[Any]:
    from gui.core.library import Library

    lib = Library.for_store(store)
    try:
        yield lib
    finally:
        lib.close()
