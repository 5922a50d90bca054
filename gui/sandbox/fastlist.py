"""Fast S3 listings for big sandbox buckets (a process-local speed-up of moto's S3 backend).

moto re-scans and re-sorts the whole bucket for every ``ListObjects(V2)`` page, so paging through a
100,000-object prefix costs ~0.5 s per page (~1 minute in all).  We keep, per bucket, the sorted
listing of each (prefix, delimiter) and reuse it while the bucket's key store has not changed; a
page is then a binary search plus a slice.  Results are identical to moto's: same filtering, same
order, same continuation tokens (moto's own ``_truncate_result`` makes them).

The key store's mutators (``__setitem__``, ``setlist``, ``pop`` and the plain-dict ones) bump a
revision counter; every write path in moto's S3 backend goes through them.
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections.abc import Callable
from typing import Any

from moto.s3.models import FakeDeleteMarker, FakeKey, FakeTableStorageBucket, S3Backend
from moto.s3.utils import _VersionedKeyStore

_installed = False
_lock = threading.Lock()
ORIGINALS: dict[str, Callable[..., Any]] = {}  # moto's own implementations, kept for tests
MAX_CACHED_LISTINGS = 16


def _bumping(method: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        finally:
            self.__dict__["_sandbox_rev"] = self.__dict__.get("_sandbox_rev", 0) + 1

    wrapper.__name__ = getattr(method, "__name__", "mutator")
    wrapper.__doc__ = method.__doc__
    return wrapper


def _listing(bucket: Any, prefix: str | None, delimiter: str | None) -> tuple[list[Any], list[str], list[str],
                                                                              list[Any], list[str]]:
    """(keys, key names, folders, keys+folders by name, their names), cached per bucket revision."""
    store = bucket.keys
    rev = store.__dict__.get("_sandbox_rev", 0)
    cache: dict[tuple[str | None, str | None], Any] = bucket.__dict__.setdefault("_sandbox_listings", {})
    hit = cache.get((prefix, delimiter))
    if hit is not None and hit[0] == rev:
        return hit[1]
    keys: list[Any] = []
    folders: set[str] = set()
    for key_name, key in store.items():
        if prefix:
            if not key_name.startswith(prefix):
                continue
            rest = key_name.replace(prefix, "", 1)
            if delimiter and delimiter in rest:
                folders.add(f"{prefix}{rest.split(delimiter)[0]}{delimiter}")
                continue
        elif delimiter and delimiter in key_name:
            folders.add(key_name.split(delimiter)[0] + delimiter)
            continue
        if not isinstance(key, FakeDeleteMarker):
            keys.append(key)
    keys.sort(key=lambda k: k.name)
    folder_list = sorted(folders)
    combined = sorted([*keys, *folder_list], key=lambda k: k.name if isinstance(k, FakeKey) else k)
    result = (keys, [k.name for k in keys], folder_list, combined,
              [k.name if isinstance(k, FakeKey) else k for k in combined])
    if len(cache) >= MAX_CACHED_LISTINGS:
        cache.pop(next(iter(cache)))
    cache[(prefix, delimiter)] = (rev, result)
    return result


def install() -> None:
    """Patch moto's S3 listing once per process (idempotent)."""
    global _installed
    with _lock:
        if _installed:
            return
        for name in ("__setitem__", "setlist", "pop", "__delitem__", "update", "clear", "popitem", "setdefault"):
            setattr(_VersionedKeyStore, name, _bumping(getattr(_VersionedKeyStore, name)))
        original_v1 = ORIGINALS["list_objects"] = S3Backend.list_objects
        original_v2 = ORIGINALS["list_objects_v2"] = S3Backend.list_objects_v2

        def list_objects(self: Any, bucket: Any, prefix: str | None, delimiter: str | None, marker: str | None,
                         max_keys: int | None) -> Any:
            if isinstance(bucket, FakeTableStorageBucket):
                return original_v1(self, bucket, prefix, delimiter, marker, max_keys)
            keys, names, folders, _, _ = _listing(bucket, prefix, delimiter)
            start = 0
            if marker:
                limit = self._pagination_tokens.get(marker) or marker
                start = bisect_right(names, limit)
            if max_keys is None:
                return keys[start:], list(folders), False, None
            page, truncated, next_marker = self._truncate_result(keys[start : start + max_keys + 1], max_keys)
            return page, list(folders), truncated, next_marker

        def list_objects_v2(self: Any, bucket: Any, prefix: str | None, delimiter: str | None,
                            continuation_token: str | None, start_after: str | None, max_keys: int) -> Any:
            if isinstance(bucket, FakeTableStorageBucket):
                return original_v2(self, bucket, prefix, delimiter, continuation_token, start_after, max_keys)
            _, _, _, combined, names = _listing(bucket, prefix, delimiter)
            start = 0
            if continuation_token or start_after:
                limit = self._pagination_tokens.get(continuation_token) if continuation_token else start_after
                start = bisect_right(names, limit)
            return self._truncate_result(combined[start : start + max_keys + 1], max_keys)

        S3Backend.list_objects = list_objects
        S3Backend.list_objects_v2 = list_objects_v2
        _installed = True
