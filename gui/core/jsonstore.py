"""Versioned JSON files: schema_version, linear migrations, atomic saves, corrupt files kept aside."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gui.core.atomic import atomic_write_text, keep_aside
from gui.core.errors import KnownError

Migration = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass
class LoadResult:
    data: dict[str, Any] | None
    problem: str | None = None  # a message for the user when the file was bad
    kept_aside: Path | None = None


def load_versioned(
    path: Path,
    current_version: int,
    migrations: Mapping[int, Migration] | None = None,
    *,
    what: str = "file",
) -> LoadResult:
    """Load ``path``; migrate older versions; keep a malformed file aside; refuse a newer version.

    ``migrations[n]`` turns a version-n document into version n+1.
    A newer version is refused (KnownError) and the file left untouched: a newer app wrote it.
    """
    if not path.exists():
        return LoadResult(None)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(doc, dict):
            raise ValueError("the top level is not a JSON object")
        version = doc.get("schema_version")
        if not isinstance(version, int) or version < 1:
            raise ValueError("'schema_version' is missing or not a positive whole number")
    except (ValueError, UnicodeDecodeError) as exc:
        aside = keep_aside(path)
        return LoadResult(
            None,
            f"The {what} '{path}' could not be read ({exc}). It was kept as '{aside.name}'.",
            aside,
        )
    if version > current_version:
        raise KnownError(
            f"{what.capitalize()} from a newer version",
            f"'{path}' has schema_version {version}; this app understands up to {current_version}.",
            "Update the app, or use a file exported by this version.",
        )
    migrations = migrations or {}
    while version < current_version:
        step = migrations.get(version)
        if step is None:
            raise KnownError(f"Cannot migrate {what}", f"No migration from schema_version {version} for '{path}'.")
        doc = step(doc)
        version += 1
        doc["schema_version"] = version
    return LoadResult(doc)


def save_versioned(path: Path, doc: dict[str, Any], version: int) -> None:
    body = {"schema_version": version, **{k: v for k, v in doc.items() if k != "schema_version"}}
    atomic_write_text(path, json.dumps(body, indent=2, ensure_ascii=False, sort_keys=False) + "\n")
