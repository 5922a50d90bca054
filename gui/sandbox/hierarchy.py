"""The label hierarchy the sandbox returns: documented child -> parent pairs from
``gui/resources/labels/parents.json`` (each pair's AWS source is in ``PARENTS_PROVENANCE.md``)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from gui.resources_path import resources_dir

PARENTS_FILE = "parents.json"
SCHEMA_VERSION = 1


@cache
def parent_map(path: Path | None = None) -> dict[str, tuple[str, ...]]:
    """``{label: (documented parents, in the documented order)}``."""
    path = path or resources_dir() / "labels" / PARENTS_FILE
    doc = json.loads(path.read_text(encoding="utf-8"))
    if doc.get("schema_version") != SCHEMA_VERSION:
        raise ValueError(f"{path.name}: unsupported schema_version {doc.get('schema_version')!r}")
    return {str(child): tuple(str(p) for p in parents) for child, parents in doc["parents"].items()}


@cache
def ancestors(name: str) -> tuple[str, ...]:
    """Every ancestor of *name*, nearest first, each once: its documented parents, then theirs
    (Label.Parents in botocore's model: "The response includes all ancestor labels")."""
    table = parent_map()
    out: list[str] = []
    frontier = list(table.get(name, ()))
    while frontier:
        parent = frontier.pop(0)
        if parent == name or parent in out:
            continue
        out.append(parent)
        frontier.extend(table.get(parent, ()))
    return tuple(out)
