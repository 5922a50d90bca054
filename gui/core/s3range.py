"""A seekable, read-only file over one S3 object, read with ranged GETs (never a full download).

PyAV (FFmpeg) reads a video through such a file object: a few hundred kilobytes at the start, the
``moov`` index (often at the very end of an MP4), then the bytes of the samples it decodes. Only the
blocks it touches are fetched, through the app's own boto3 S3 client (same credentials, region and
endpoint), and kept in a bounded LRU cache of aligned blocks shared by every reader of the object.

The object is *pinned* to what the job analysed: the version the job named (``VersionId``), else the
ETag the job recorded when it was queued (``If-Match``), else ``If-Unmodified-Since`` the job's
submission (jobs queued before ETags were recorded); and the size the job recorded. The ETag seen on
opening is then required (``If-Match``) on every range, so an object replaced mid-read is noticed
instead of mixing two files. Every refusal becomes a :class:`VideoUnavailable` with a one-line reason.
"""

from __future__ import annotations

import io
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from gui.core.errors import KnownError, error_code, explain, http_status

BLOCK_SIZE = 128 * 1024
CACHE_BYTES = 64 * 1024 * 1024
MAX_READ_AHEAD = 8  # blocks fetched in one GET while reading sequentially (1 MiB)
FIRST_BLOCKS = 3  # the first GET: the container's header and the first packets FFmpeg probes
TAIL_BLOCKS = 2  # fetched beside the first GET: where an MP4's moov usually is
READ_AHEAD_WAIT = 30.0  # seconds a reader waits for a block on its way before fetching it itself

log = logging.getLogger(__name__)
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _read_ahead_pool() -> ThreadPoolExecutor:
    """Two threads for every source's background read-ahead (bounded, shared, started on first use)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="s3-read-ahead")
        return _pool

DENIED = "denied"
GONE = "gone"
CHANGED = "changed"
EMPTY = "empty"
OFFLINE = "offline"
UNDECODABLE = "undecodable"
PAST_END = "past_end"

_DENIED_CODES = frozenset({"AccessDenied", "403", "AllAccessDisabled", "InvalidObjectState"})
_GONE_CODES = frozenset({"NoSuchKey", "404", "NotFound", "NoSuchVersion", "NoSuchBucket", "405"})
_CHANGED_CODES = frozenset({"PreconditionFailed", "412"})


class VideoUnavailable(KnownError):
    """The frame cannot be shown; ``reason`` is one of the module's reason constants."""

    def __init__(self, reason: str, title: str, text: str, hint: str = "") -> None:
        super().__init__(title, text, hint)
        self.reason = reason


@dataclass(frozen=True)
class ObjectPin:
    """Which object, and what the job recorded about it."""

    bucket: str
    key: str
    version_id: str | None = None
    size: int | None = None  # bytes, as recorded when the job was queued
    unmodified_since: float | None = None  # epoch seconds: the job's submission
    etag: str | None = None  # as recorded when the job was queued (quotes optional)

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


@dataclass(frozen=True)
class ObjectHead:
    size: int
    etag: str
    version_id: str | None
    last_modified: datetime | None


def _unavailable(exc: BaseException, pin: ObjectPin) -> Exception:
    """Map a botocore error to a :class:`VideoUnavailable` (or pass other errors through)."""
    code = error_code(exc) or ""
    status = http_status(exc)
    name = type(exc).__name__
    if code in _CHANGED_CODES or status == 412:
        return VideoUnavailable(
            CHANGED, "Video changed since the job",
            f"{pin.uri} was replaced after the job analysed it; its frames would not match the labels.",
            "Run the job again on the new video.",
        )
    if code in _DENIED_CODES or status == 403:
        return VideoUnavailable(
            DENIED, "Access denied", f"S3 refuses to read {pin.uri}.",
            "Ask your administrator for the 's3:GetObject' permission on the video.",
        )
    if code in _GONE_CODES or status in (404, 405):
        which = f" (version {pin.version_id})" if pin.version_id else ""
        return VideoUnavailable(GONE, "Video not found", f"{pin.uri}{which} is no longer in S3.",
                                "It was deleted or moved after the job.")
    if name in {"EndpointConnectionError", "ConnectTimeoutError", "ConnectionClosedError", "ReadTimeoutError",
                "ConnectionError", "ProtocolError"}:
        message = explain(exc)
        return VideoUnavailable(OFFLINE, "S3 unreachable", message.text, "Frames show again once S3 answers.")
    return exc if isinstance(exc, Exception) else RuntimeError(str(exc))


class RangeSource:
    """One pinned S3 object: its head, a bounded block cache and fetch counters. Thread-safe.

    ``client`` is a boto3 S3 client. Open files with :meth:`open` (each has its own position)."""

    def __init__(
        self,
        client: Any,
        pin: ObjectPin,
        *,
        block_size: int = BLOCK_SIZE,
        cache_bytes: int = CACHE_BYTES,
        max_read_ahead: int = MAX_READ_AHEAD,
    ) -> None:
        if block_size <= 0 or cache_bytes < block_size:
            raise ValueError("the cache must hold at least one block")
        self.client = client
        self.pin = pin
        self.block_size = block_size
        self.max_blocks = cache_bytes // block_size
        self.max_read_ahead = max(1, max_read_ahead)
        self.bytes_fetched = 0
        self.requests = 0
        self._head: ObjectHead | None = None
        self._blocks: OrderedDict[int, bytes] = OrderedDict()
        self._queued: dict[int, threading.Event] = {}  # blocks a background read-ahead will fetch
        self._lock = threading.Lock()
        self._fetch_lock = threading.Lock()  # one GET at a time per object: no duplicate downloads

    # -- the object ---------------------------------------------------------------------------------------

    def _count(self, size: int) -> None:
        with self._lock:
            self.requests += 1
            self.bytes_fetched += size

    def _pinned(self) -> dict[str, Any]:
        pin = self.pin
        kwargs: dict[str, Any] = {"Bucket": pin.bucket, "Key": pin.key}
        if pin.version_id:
            kwargs["VersionId"] = pin.version_id
        elif pin.etag:
            kwargs["IfMatch"] = f'"{pin.etag.strip(chr(34))}"'
        elif pin.unmodified_since is not None:
            kwargs["IfUnmodifiedSince"] = datetime.fromtimestamp(pin.unmodified_since, UTC)
        return kwargs

    def head(self) -> ObjectHead:
        """What the object is, learnt once with the first ranged GET (its first blocks, pinned to the job's
        version or submission time), which saves a HEAD round trip; raises :class:`VideoUnavailable`."""
        with self._lock:
            if self._head is not None:
                return self._head
        pin = self.pin
        first = FIRST_BLOCKS * self.block_size
        # the end at the same time (a suffix range needs no size): an MP4's index is often there
        tail = _read_ahead_pool().submit(self._tail, TAIL_BLOCKS * self.block_size)
        try:
            response = self.client.get_object(**self._pinned(), Range=f"bytes=0-{first - 1}")
            data = response["Body"].read()
        except Exception as exc:
            if error_code(exc) == "InvalidRange" or http_status(exc) == 416:
                return self._checked(self._head_object())  # no byte 0: an empty object
            mapped = _unavailable(exc, pin)
            if mapped is exc:  # not a refusal of ours to explain: as botocore raised it
                raise
            raise mapped from exc
        self._count(len(data))
        total = str(response.get("ContentRange") or "").rpartition("/")[2]
        head = ObjectHead(
            size=int(total) if total.isdigit() else int(response.get("ContentLength") or len(data)),
            etag=str(response.get("ETag") or ""),
            version_id=response.get("VersionId"),
            last_modified=response.get("LastModified"),
        )
        head = self._checked(head)
        self._store(0, data)
        self._store_tail(head, tail)
        return head

    def _tail(self, length: int) -> tuple[str, bytes] | None:
        try:
            response = self.client.get_object(**self._pinned(), Range=f"bytes=-{length}")
            return str(response.get("ETag") or ""), response["Body"].read()
        except Exception:  # the first GET meets the same problem and reports it
            log.debug("tail of %s not fetched", self.pin.uri, exc_info=True)
            return None

    def _store_tail(self, head: ObjectHead, tail: Any) -> None:
        """Keep the whole blocks of the tail fetched beside the first GET (if it is the same object)."""
        try:
            got = tail.result(timeout=READ_AHEAD_WAIT)
        except Exception:
            return
        if got is None or got[0] != head.etag or not got[1]:
            return
        data = got[1]
        self._count(len(data))
        start = head.size - len(data)
        first_block = -(-start // self.block_size)  # the first block wholly inside the tail
        skip = first_block * self.block_size - start
        if skip < len(data):
            self._store(first_block, data[skip:])

    def _head_object(self) -> ObjectHead:
        try:
            response = self.client.head_object(**self._pinned())
        except Exception as exc:
            mapped = _unavailable(exc, self.pin)
            if mapped is exc:
                raise
            raise mapped from exc
        self._count(0)
        return ObjectHead(
            size=int(response.get("ContentLength") or 0),
            etag=str(response.get("ETag") or ""),
            version_id=response.get("VersionId"),
            last_modified=response.get("LastModified"),
        )

    def _checked(self, head: ObjectHead) -> ObjectHead:
        """Refuse an object whose size differs from the job's, or an empty one; remember the head."""
        pin = self.pin
        if pin.size is not None and pin.size > 0 and head.size != pin.size and not pin.version_id:
            raise VideoUnavailable(
                CHANGED, "Video changed since the job",
                f"{pin.uri} is {head.size:,} bytes now; the job analysed {pin.size:,} bytes.",
                "Run the job again on the new video.",
            )
        if head.size == 0:
            raise VideoUnavailable(EMPTY, "Empty video", f"{pin.uri} is a zero-byte object: there is no frame to show.")
        with self._lock:
            self._head = head
        return head

    @property
    def size(self) -> int:
        return self.head().size

    def open(self) -> RangeFile:
        self.head()
        return RangeFile(self)

    # -- blocks -------------------------------------------------------------------------------------------

    def cached_bytes(self) -> int:
        with self._lock:
            return sum(len(b) for b in self._blocks.values())

    def _cached(self, index: int) -> bytes | None:
        with self._lock:
            block = self._blocks.get(index)
            if block is not None:
                self._blocks.move_to_end(index)
            return block

    def block(self, index: int, ahead: int = 0) -> bytes:
        """Block ``index`` (fetched with up to ``ahead`` following blocks in one GET when missing; a block
        a background read-ahead is fetching is waited for, not fetched twice)."""
        found = self._cached(index)
        if found is not None:
            return found
        with self._lock:
            pending = self._queued.get(index)
        if pending is not None:
            pending.wait(READ_AHEAD_WAIT)
            found = self._cached(index)
            if found is not None:
                return found
        return self._fetch(index, ahead, background=False)

    def _fetch(self, index: int, ahead: int, *, background: bool) -> bytes:
        with self._fetch_lock:
            found = self._cached(index)  # another reader fetched it meanwhile
            if found is not None:
                return found
            size = self.size
            last_block = (size - 1) // self.block_size
            count = 1
            while count <= ahead and index + count <= last_block and self._cached(index + count) is None:
                if not background and (index + count) in self._queued:
                    break  # on its way already
                count += 1
            start = index * self.block_size
            end = min(size, (index + count) * self.block_size) - 1
            data = self._get(start, end)
        return self._store(index, data)

    def _store(self, index: int, data: bytes) -> bytes:
        """Cache ``data`` (starting at block ``index``) as blocks; returns the first."""
        blocks = [data[i : i + self.block_size] for i in range(0, len(data), self.block_size)]
        with self._lock:
            for n, piece in enumerate(blocks):
                self._blocks[index + n] = piece
                self._blocks.move_to_end(index + n)
            while len(self._blocks) > self.max_blocks:
                self._blocks.popitem(last=False)
        return blocks[0] if blocks else b""

    def prefetch(self, index: int, count: int) -> None:
        """Fetch up to ``count`` blocks from ``index`` in the background (while FFmpeg decodes what it has).

        Nothing starts while at least half of them are there or on their way; then the missing ones go
        in one GET, so a sequential reader costs one request per chunk, not one per block."""
        if count <= 0:
            return
        last_block = (self.size - 1) // self.block_size
        window = range(max(0, index), min(last_block, index + count - 1) + 1)
        with self._lock:
            missing = [i for i in window if i not in self._blocks and i not in self._queued]
            if not missing or len(missing) <= len(window) // 2:
                return
            run = [missing[0]]
            for i in missing[1:]:
                if i != run[-1] + 1:
                    break
                run.append(i)
            event = threading.Event()
            for i in run:
                self._queued[i] = event
        _read_ahead_pool().submit(self._prefetch, run[0], len(run), event)

    def _prefetch(self, index: int, count: int, event: threading.Event) -> None:
        try:
            self._fetch(index, count - 1, background=True)
        except Exception:  # the reader that needs these bytes meets the same error and reports it
            log.debug("read-ahead of %s failed", self.pin.uri, exc_info=True)
        finally:
            with self._lock:
                for i in range(index, index + count):
                    if self._queued.get(i) is event:
                        del self._queued[i]
            event.set()

    def _get(self, start: int, end: int) -> bytes:
        head = self.head()
        kwargs: dict[str, Any] = {"Bucket": self.pin.bucket, "Key": self.pin.key, "Range": f"bytes={start}-{end}"}
        if self.pin.version_id:
            kwargs["VersionId"] = self.pin.version_id
        if head.etag:  # the object seen first, or nothing: S3 answers 412 once it was replaced
            kwargs["IfMatch"] = head.etag
        try:
            response = self.client.get_object(**kwargs)
            data = response["Body"].read()
        except Exception as exc:
            mapped = _unavailable(exc, self.pin)
            if mapped is exc:
                raise
            raise mapped from exc
        self._count(len(data))
        if len(data) != end - start + 1:
            raise VideoUnavailable(
                CHANGED, "Video changed since the job",
                f"S3 returned {len(data):,} bytes for bytes {start:,}-{end:,} of {self.pin.uri}.",
            )
        return data


class RangeFile(io.RawIOBase):
    """A read-only, seekable binary file over a :class:`RangeSource` (one position per file).

    A read fetches the missing blocks it spans in one GET, then the next blocks are fetched in the
    background while the caller works on what it got: half the source's read-ahead limit after a seek
    (a decoder goes on from the keyframe it seeked to), doubling while reads continue where the previous
    one ended and had to wait."""

    def __init__(self, source: RangeSource) -> None:
        super().__init__()
        self.source = source
        self._size = source.size
        self._pos = 0
        self._ahead = 0
        self._last_end = -1  # where the previous read ended
        self.cancel: Callable[[], bool] | None = None  # returns True to stop reading (raises OSError)
        self.error: VideoUnavailable | None = None  # the last fetch refusal (FFmpeg only sees an I/O error)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            pos = offset
        elif whence == io.SEEK_CUR:
            pos = self._pos + offset
        elif whence == io.SEEK_END:
            pos = self._size + offset
        else:
            raise ValueError(f"invalid whence {whence}")
        if pos < 0:
            raise OSError("negative seek position")
        self._pos = pos
        return pos

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)

    def read(self, size: int | None = -1) -> bytes:
        if self.closed:
            raise ValueError("read of a closed file")
        if size is None or size < 0:
            size = self._size - self._pos
        size = min(size, max(0, self._size - self._pos))
        if size <= 0:
            return b""
        if self.cancel is not None and self.cancel():
            raise OSError("reading cancelled")
        bs = self.source.block_size
        pos = self._pos
        first, last = pos // bs, (pos + size - 1) // bs
        missing = any(self.source._cached(i) is None for i in range(first, last + 1))
        if pos == self._last_end:  # where the previous read ended: further ahead each time it had to wait
            if missing:
                self._ahead = min(self.source.max_read_ahead, max(2, self._ahead * 2))
        elif pos == 0:  # the header (the first GET brought it): FFmpeg probes only the first packets
            self._ahead = 0
        else:  # a seek: a decoder reads on from the keyframe it seeked to (then doubling while it does)
            self._ahead = max(2, self.source.max_read_ahead // 2)
        jump = pos != self._last_end and pos != 0
        out = bytearray()
        for index in range(first, last + 1):
            # one GET for the missing blocks of this read; after a seek, the read-ahead comes in the same GET
            # (a request saved: each costs a round trip, more than the bytes)
            extra = last - index + (self._ahead if jump else 0)
            try:
                block = self.source.block(index, extra)
            except VideoUnavailable as exc:
                self.error = exc
                raise
            offset = pos - index * bs
            piece = block[offset : offset + size - len(out)]
            if not piece:
                break
            out += piece
            pos += len(piece)
        self._last_end = pos
        self._pos = pos
        self.source.prefetch(last + 1, self._ahead)
        return bytes(out)
