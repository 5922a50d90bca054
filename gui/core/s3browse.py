"""Browsing S3 for videos: buckets, one "folder" at a time, recursive video search, bucket regions.

No Qt here. Listings are generators that yield page by page and check a cancel token between pages, so
the caller (a Qt worker, the CLI, a test) can show the first page at once and stop at any time.
Every S3 call for a bucket goes to that bucket's region (looked up once, cached per browser).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from gui.core.types import MAX_VIDEO_BYTES, VIDEO_EXTENSIONS, ClientFactory, S3Object

log = logging.getLogger(__name__)

PAGE_SIZE = 1000  # the most ListObjectsV2 returns per page
FIRST_PAGE_SIZE = 1000


class CancelFlag(Protocol):
    """Anything with a ``cancelled`` attribute (``gui.qt.workers.CancelToken``, a test double)."""

    @property
    def cancelled(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class Folder:
    """A common prefix under the listed prefix (``prefix`` ends with the delimiter)."""

    bucket: str
    prefix: str

    @property
    def name(self) -> str:
        return self.prefix.rstrip("/").rsplit("/", 1)[-1] if self.prefix.strip("/") else self.prefix

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"


@dataclass(frozen=True, slots=True)
class BucketInfo:
    name: str
    created: datetime | None = None
    region: str | None = None  # when ListBuckets reports it (BucketRegion)


ObjectRow = tuple[str, str, int, Any, Any]
"""An object as a plain tuple ``(bucket, key, size, last_modified, etag)``: ``S3Object(*row)`` rebuilds it.

Listings keep rows in this form: building tens of thousands of dataclass instances costs time on the
listing thread, and plain tuples of atomic values take half the memory and are ignored by the cyclic GC.
"""


@dataclass(slots=True)
class ListingPage:
    bucket: str
    prefix: str
    number: int  # 0-based page index
    folders: list[Folder]
    rows: list[ObjectRow]  # the objects of this page, compact (see ObjectRow)
    more: bool  # another page follows

    @property
    def objects(self) -> list[S3Object]:
        return [S3Object(*row) for row in self.rows]


# ---- classification and display helpers -------------------------------------------------------------

_UNITS = ("KB", "MB", "GB", "TB", "PB")


def human_size(n: int | None) -> str:
    """``1536 -> "1.5 KB"`` (binary multiples, as the 10 GB limit is 10 * 1024**3 bytes)."""
    if n is None:
        return ""
    if n < 1024:
        return f"{n} B"
    value = float(n)
    for unit in _UNITS:
        value /= 1024.0
        if value < 1024 or unit == _UNITS[-1]:
            return f"{value:.1f} {unit}" if value < 100 else f"{value:.0f} {unit}"
    raise AssertionError("unreachable")


def extension(key: str) -> str:
    name = key.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def type_label(obj: S3Object) -> str:
    """What the Type column shows: "MP4 video", "JPG file", "File"."""
    ext = extension(obj.key)
    if obj.is_video:
        return f"{ext.upper()} video"
    return f"{ext.upper()} file" if ext else "File"


def classify(obj: S3Object) -> str:
    """"video" (submittable), "too-large" (a video Rekognition refuses) or "other"."""
    if not obj.key.lower().endswith(VIDEO_EXTENSIONS):
        return "other"
    return "too-large" if obj.size > MAX_VIDEO_BYTES else "video"


def is_eligible_video(obj: S3Object) -> bool:
    return obj.ineligible_reason is None


def parent_prefix(prefix: str) -> str:
    """``"a/b/" -> "a/"``, ``"a/" -> ""``."""
    stripped = prefix[:-1] if prefix.endswith("/") else prefix
    return stripped.rsplit("/", 1)[0] + "/" if "/" in stripped else ""


def breadcrumb(prefix: str) -> list[tuple[str, str]]:
    """``"a/b/" -> [("a", "a/"), ("b", "a/b/")]``: label and the prefix it leads to."""
    if not prefix:
        return []
    parts: list[tuple[str, str]] = []
    acc = ""
    for part in prefix.split("/")[:-1] if prefix.endswith("/") else prefix.split("/"):
        acc += part + "/"
        parts.append((part, acc))
    return parts


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """``"s3://bucket/a/b.mp4" -> ("bucket", "a/b.mp4")``."""
    if not uri.startswith("s3://"):
        raise ValueError("not an s3:// URI (expected s3://bucket/key or s3://bucket/prefix/)")
    bucket, _, key = uri[5:].partition("/")
    if not bucket:
        raise ValueError(f"no bucket in {uri!r}")
    return bucket, key


def _to_row(bucket: str, item: dict[str, Any]) -> ObjectRow:
    etag = item.get("ETag")
    modified = item.get("LastModified")
    if modified is not None and modified.tzinfo is not UTC:
        # botocore attaches a new dateutil ``tzlocal()`` (an object with its own dict) to every
        # timestamp; one shared UTC instead saves ~0.5 KB per row and keeps rows out of the GC's way.
        modified = modified.astimezone(UTC)
    return (bucket, item["Key"], item.get("Size", 0), modified, etag.strip('"') if etag else None)


def _to_object(bucket: str, item: dict[str, Any]) -> S3Object:
    return S3Object(*_to_row(bucket, item))


# ---- region lookup -----------------------------------------------------------------------------------


def _normalise_location(constraint: str | None) -> str:
    # GetBucketLocation answers None (or "") for us-east-1 and the legacy "EU" for eu-west-1.
    if not constraint:
        return "us-east-1"
    return "eu-west-1" if constraint == "EU" else constraint


def lookup_bucket_region(s3: Any, bucket: str) -> str:
    """The bucket's region: HeadBucket's ``x-amz-bucket-region`` (even on 301/403), else GetBucketLocation."""
    from botocore.exceptions import ClientError

    try:
        resp = s3.head_bucket(Bucket=bucket)
        headers = resp.get("ResponseMetadata", {}).get("HTTPHeaders", {})
        region = resp.get("BucketRegion") or headers.get("x-amz-bucket-region")
        if region:
            return region
    except ClientError as exc:
        headers = exc.response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
        region = headers.get("x-amz-bucket-region")
        if region:
            return region
        if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchBucket"}:
            raise
    return _normalise_location(s3.get_bucket_location(Bucket=bucket).get("LocationConstraint"))


class S3Browser:
    """Listing helpers bound to one connection, with a per-bucket region cache."""

    def __init__(self, factory: ClientFactory, home_region: str) -> None:
        self.factory = factory
        self.home_region = home_region
        self._regions: dict[str, str] = {}
        self._lock = threading.Lock()

    # regions
    def known_region(self, bucket: str) -> str | None:
        with self._lock:
            return self._regions.get(bucket)

    def region_of(self, bucket: str) -> str:
        """The bucket's region (cached; one HeadBucket the first time)."""
        region = self.known_region(bucket)
        if region is None:
            from botocore.exceptions import ClientError

            try:
                region = lookup_bucket_region(self.factory("s3", self.home_region), bucket)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") not in {"AccessDenied", "403"}:
                    raise
                # Neither HeadBucket nor GetBucketLocation allowed: try the connection's region; the
                # listing itself then reports what is missing.
                log.info("Region of bucket %s unknown (access denied); using %s", bucket, self.home_region)
                region = self.home_region
            with self._lock:
                self._regions[bucket] = region
        return region

    def client_for(self, bucket: str) -> Any:
        """An S3 client in the bucket's own region."""
        return self.factory("s3", self.region_of(bucket))

    # listings
    def list_buckets(self) -> list[BucketInfo]:
        resp = self.factory("s3", self.home_region).list_buckets()
        buckets = []
        for b in resp.get("Buckets", []):
            info = BucketInfo(b["Name"], b.get("CreationDate"), b.get("BucketRegion") or None)
            if info.region:
                with self._lock:
                    self._regions.setdefault(info.name, info.region)
            buckets.append(info)
        return sorted(buckets, key=lambda b: b.name)

    def iter_prefix(
        self,
        bucket: str,
        prefix: str = "",
        cancel: CancelFlag | None = None,
        *,
        page_size: int = PAGE_SIZE,
        first_page_size: int = FIRST_PAGE_SIZE,
    ) -> Iterator[ListingPage]:
        """One "folder": ListObjectsV2 with ``Delimiter='/'``, page by page; stops when cancelled.

        The folder's own marker object (key == prefix, made by consoles for "create folder") is skipped.
        """
        s3 = self.client_for(bucket)
        token: str | None = None
        number = 0
        while True:
            if cancel is not None and cancel.cancelled:
                return
            kwargs: dict[str, Any] = {
                "Bucket": bucket,
                "Delimiter": "/",
                "MaxKeys": first_page_size if number == 0 else page_size,
            }
            if prefix:
                kwargs["Prefix"] = prefix
            if token:
                kwargs["ContinuationToken"] = token
            resp = s3.list_objects_v2(**kwargs)
            folders = [Folder(bucket, cp["Prefix"]) for cp in resp.get("CommonPrefixes", ())]
            rows = [_to_row(bucket, item) for item in resp.get("Contents", ()) if item["Key"] != prefix]
            token = resp.get("NextContinuationToken") if resp.get("IsTruncated") else None
            yield ListingPage(bucket, prefix, number, folders, rows, bool(token))
            number += 1
            if not token:
                return

    def iter_videos(
        self, bucket: str, prefix: str = "", cancel: CancelFlag | None = None, *, page_size: int = PAGE_SIZE
    ) -> Iterator[list[S3Object]]:
        """Every video (by extension) under ``prefix``, recursively, a page's worth at a time."""
        s3 = self.client_for(bucket)
        token: str | None = None
        while True:
            if cancel is not None and cancel.cancelled:
                return
            kwargs: dict[str, Any] = {"Bucket": bucket, "MaxKeys": page_size}
            if prefix:
                kwargs["Prefix"] = prefix
            if token:
                kwargs["ContinuationToken"] = token
            resp = s3.list_objects_v2(**kwargs)
            batch = [
                _to_object(bucket, item)
                for item in resp.get("Contents", ())
                if item["Key"].lower().endswith(VIDEO_EXTENSIONS)
            ]
            token = resp.get("NextContinuationToken") if resp.get("IsTruncated") else None
            yield batch
            if not token:
                return

    def all_videos(self, bucket: str, prefix: str = "", cancel: CancelFlag | None = None) -> list[S3Object]:
        out: list[S3Object] = []
        for batch in self.iter_videos(bucket, prefix, cancel):
            out.extend(batch)
        return out
