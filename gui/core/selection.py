"""The selection basket: the videos picked for the next submission, kept across folders.

Picking in one folder and then another adds to the same basket; leaving a folder keeps its picks.
Objects Rekognition would refuse (not a video, empty, over 10 GB) never enter: they are set aside with
their reason, so a count of "selected" videos is a count of videos that will be submitted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from gui.core.types import S3Object


def folder_of(obj: S3Object) -> str:
    """``s3://bucket/prefix/`` of an object."""
    head, _, _ = obj.key.rpartition("/")
    return f"s3://{obj.bucket}/{head + '/' if head else ''}"


def _key(obj: S3Object) -> tuple[str, str, str | None]:
    return obj.bucket, obj.key, obj.version_id


@dataclass
class AddResult:
    added: int = 0
    refused: list[tuple[S3Object, str]] = field(default_factory=list)  # (object, why Rekognition refuses it)


class SelectionBasket:
    """An ordered set of eligible videos (insertion order), keyed by bucket, key and version."""

    def __init__(self) -> None:
        self._items: dict[tuple[str, str, str | None], S3Object] = {}
        self.refused: dict[tuple[str, str, str | None], tuple[S3Object, str]] = {}

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, obj: object) -> bool:
        return isinstance(obj, S3Object) and _key(obj) in self._items

    def videos(self) -> list[S3Object]:
        return list(self._items.values())

    def folders(self) -> list[str]:
        return list(dict.fromkeys(folder_of(o) for o in self._items.values()))

    def add(self, objects: Iterable[S3Object]) -> AddResult:
        result = AddResult()
        for obj in objects:
            reason = obj.ineligible_reason
            if reason is not None:
                self.refused[_key(obj)] = (obj, reason)
                result.refused.append((obj, reason))
                continue
            if _key(obj) not in self._items:
                self._items[_key(obj)] = obj
                result.added += 1
        return result

    def remove(self, objects: Iterable[S3Object]) -> int:
        removed = 0
        for obj in objects:
            if self._items.pop(_key(obj), None) is not None:
                removed += 1
            self.refused.pop(_key(obj), None)
        return removed

    def refuse(self, obj: S3Object, reason: str) -> bool:
        """Take ``obj`` out (a check found Rekognition would refuse it) and keep it aside with ``reason``;
        False when it was not in the basket (removed meanwhile): then nothing changes."""
        if self._items.pop(_key(obj), None) is None:
            return False
        self.refused[_key(obj)] = (obj, reason)
        return True

    def clear(self) -> None:
        self._items.clear()
        self.refused.clear()

    def summary(self) -> str:
        """``"3 videos selected in 2 folders; 1 left out (not a video or too large)"``."""
        n, folders = len(self._items), len(self.folders())
        if not n:
            text = "No videos selected"
        else:
            where = f" in {folders} folders" if folders > 1 else ""
            text = f"{n:,} video{'s' if n != 1 else ''} selected{where}"
        if self.refused:
            text += f"; {len(self.refused):,} left out (Rekognition would refuse them: see Review)"
        return text
