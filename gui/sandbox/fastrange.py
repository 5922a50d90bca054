"""Ranged GETs that read only the requested bytes (a process-local speed-up of moto's S3 responses).

moto answers ``GET`` with ``Range: bytes=a-b`` by reading the *whole* object into memory and slicing
it, so reading 128 KiB of a 170 MB video costs as much as downloading all of it, and a frame viewer
that reads a few ranges looks slower than a full download, which real S3 never is. While moto builds
a ranged response, the key's value is replaced by a stand-in that knows the object's length and reads
just the slice moto's own range code takes. Everything else is moto's: preconditions (If-Match,
If-Unmodified-Since), versions, error codes, Content-Range and the 206 status. A new key's ETag is
computed under the key's lock, so concurrent first reads cannot corrupt it.
"""

from __future__ import annotations

import re
import threading
from typing import Any

from moto.s3.models import FakeKey
from moto.s3.responses import S3Response

_installed = False
_lock = threading.Lock()
_active = threading.local()
_SINGLE_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class ObjectSlice:
    """Stands in for ``FakeKey.value`` in a ranged GET: ``len()`` and slicing read from the key's buffer."""

    def __init__(self, key: Any) -> None:
        self.key = key
        self.size = int(key.size)

    def __len__(self) -> int:
        return self.size

    def __bool__(self) -> bool:
        return self.size > 0

    def __getitem__(self, item: slice) -> bytes:
        if not isinstance(item, slice):
            raise TypeError("only slices are supported")
        start, stop, step = item.indices(self.size)
        if step != 1:
            raise TypeError("only contiguous slices are supported")
        with self.key.lock:
            buffer = self.key._value_buffer
            buffer.seek(start)
            return buffer.read(max(0, stop - start))


def _simple_range(headers: Any) -> bool:
    """One ``bytes=a-b``, ``bytes=a-`` (a <= b) or suffix ``bytes=-n`` (n > 0) range: the shapes moto
    answers by slicing (others it answers with the whole object, which the stand-in cannot be)."""
    match = _SINGLE_RANGE.match(str(headers.get("range") or headers.get("Range") or ""))
    if match is None:
        return False
    first, last = match.group(1), match.group(2)
    if not first:
        return bool(last) and int(last) > 0
    return not last or int(first) <= int(last)


def install() -> None:
    """Patch moto's GetObject once per process (idempotent)."""
    global _installed
    with _lock:
        if _installed:
            return
        original_get = S3Response.get_object
        value = FakeKey.value

        def get_object(self: Any) -> Any:
            ranged = (
                getattr(self, "method", "GET") == "GET"
                and _simple_range(self.headers)
                and "partNumber" not in self.querystring
            )
            _active.on = ranged
            try:
                return original_get(self)
            finally:
                _active.on = False

        def value_getter(self: Any) -> Any:
            if getattr(_active, "on", False):
                _active.on = False  # once: the body of this response only
                return ObjectSlice(self)
            return value.fget(self)  # type: ignore[attr-defined]

        etag = FakeKey.etag

        def etag_getter(self: Any) -> Any:
            # moto computes a new key's ETag lazily by reading its buffer, without the key's lock: two
            # first requests at once (a ranged read beside it moves the buffer's position) would cache
            # the MD5 of a mix of positions, and every If-Match after it would fail
            if getattr(self, "_etag", None) is None:
                with self.lock:
                    return etag.fget(self)  # type: ignore[attr-defined]
            return etag.fget(self)  # type: ignore[attr-defined]

        S3Response.get_object = get_object
        FakeKey.value = property(value_getter, value.fset)  # type: ignore[assignment, attr-defined]
        FakeKey.etag = property(etag_getter, etag.fset)  # type: ignore[assignment, attr-defined]
        _installed = True
