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

# Presets and settings are a few kB (at most 100 names per filter list). A file over 1 MiB is not one of
# ours, and a large one costs seconds and hundreds of MB to parse (job preferences are still read on
# the GUI thread), so it is refused before it is read, like any other file that cannot be decoded.
MAX_JSON_BYTES = 1024 * 1024


def read_json(path: Path, *, max_bytes: int = MAX_JSON_BYTES) -> Any:
    """Parse a JSON file. Raises ValueError with a plain reason when it is too large, not UTF-8, not
    JSON, or nested too deeply for the parser (RecursionError); OSError when it cannot be read."""
    with open(path, "rb") as fh:
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ValueError(f"it is larger than {max_bytes / 1_048_576:g} MB, too large for this file")
    try:
        return json.loads(data.decode("utf-8"))
    except RecursionError:
        raise ValueError("it is nested too deeply") from None
    except UnicodeDecodeError as exc:
        raise ValueError(f"it is not UTF-8 text ({exc.reason} at byte {exc.start})") from None


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
        doc = read_json(path)
        if not isinstance(doc, dict):
            raise ValueError("the top level is not a JSON object")
        version = doc.get("schema_version")
        if not isinstance(version, int) or version < 1:
            raise ValueError("'schema_version' is missing or not a positive whole number")
    except ValueError as exc:  # undecodable in any way: kept aside, reported
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


def versioned_text(doc: dict[str, Any], version: int) -> str:
    """The file text of ``doc`` at schema ``version`` (``schema_version`` first)."""
    body = {"schema_version": version, **{k: v for k, v in doc.items() if k != "schema_version"}}
    return json.dumps(body, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def save_versioned(path: Path, doc: dict[str, Any], version: int) -> None:
    atomic_write_text(path, versioned_text(doc, version))
