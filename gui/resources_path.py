"""Locate the shipped ``resources/`` folder (source tree or installed wheel)."""

from __future__ import annotations

from functools import cache
from pathlib import Path


@cache
def resources_dir() -> Path:
    here = Path(__file__).resolve().parent
    for candidate in (here / "resources", here.parent / "resources"):
        if (candidate / "labels").is_dir():
            return candidate
    raise FileNotFoundError("The app's resources folder is missing; reinstall the package.")
