"""Moments of a job: which boxes belong to a frame, a label's detections in time, its best detection,
the S3 object a job analysed, and the on-disk thumbnail cache. No Qt; used by the window and the CLI.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gui.core.boxes import Box, boxes_of, crop, draw_boxes, png_bytes
from gui.core.frames import Frame, Video
from gui.core.results_store import SEGMENTS, TIMESTAMPS, Detection, ResultsStore
from gui.core.s3range import ObjectPin, RangeSource

log = logging.getLogger(__name__)

PAGE = 2000
THUMBNAIL_SIZE = (56, 32)
THUMBNAIL_CACHE_BYTES = 32 * 1024 * 1024
PRUNE_EVERY = 16  # thumbnails written between two size checks (so the bound may be passed by 15 of them)


def parse_video_uri(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://") or "/" not in uri[5:]:
        raise ValueError(f"not an s3://bucket/key URI: {uri!r}")
    bucket, key = uri[5:].split("/", 1)
    return bucket, key


def pin_for_job(record: Any | None, video_uri: str = "") -> ObjectPin:
    """The object a job analysed and what the job recorded about it (a :class:`JobRecord` or None)."""
    if record is not None:
        return ObjectPin(record.bucket, record.key, version_id=record.version_id or None,
                         size=record.size or None, unmodified_since=record.submitted_at or None,
                         etag=record.etag or None)
    bucket, key = parse_video_uri(video_uri)
    return ObjectPin(bucket, key)


class BoxIndex:
    """The TIMESTAMPS detections that carry bounding boxes, by time: ``at(frame)`` gives the ones whose
    timestamp falls in the interval the frame covers (and always the requested moment itself)."""

    def __init__(self, detections: Sequence[Detection]) -> None:
        self._detections = sorted(detections, key=lambda d: d.timestamp_ms)
        self._times = [d.timestamp_ms for d in self._detections]

    def __len__(self) -> int:
        return len(self._detections)

    @classmethod
    def from_store(cls, store: ResultsStore, job_id: str) -> BoxIndex:
        """Loads only the detections with instances (most instances first, stopping at the first without)."""
        if not store.has_results(job_id, TIMESTAMPS):
            return cls(())
        found: list[Detection] = []
        offset = 0
        while True:
            page = store.detections(job_id, TIMESTAMPS, sort="instances", descending=True, offset=offset, limit=PAGE)
            boxed = [d for d in page if d.instance_count > 0]
            found += boxed
            if len(page) < PAGE or len(boxed) < len(page):
                return cls(found)
            offset += PAGE

    def between(self, start_ms: float, end_ms: float) -> list[Detection]:
        """Detections with ``start_ms <= timestamp < end_ms``."""
        lo = bisect_left(self._times, start_ms)
        hi = bisect_left(self._times, end_ms)
        return self._detections[lo:hi]

    def at(self, frame: Frame, ms: float | None = None) -> list[Detection]:
        found = self.between(frame.start_ms, frame.end_ms)
        if ms is not None and not frame.covers(ms):
            extra = self.between(ms, ms + 1)
            found += [d for d in extra if d not in found]
        return found


class LabelMoments:
    """One label's detections in time order (start times for segments): next/previous/best."""

    def __init__(self, label: str, detections: Sequence[Detection]) -> None:
        self.label = label
        self.detections = sorted(detections, key=lambda d: (_start(d), d.id))
        self.times = [_start(d) for d in self.detections]

    @classmethod
    def from_store(cls, store: ResultsStore, job_id: str, label: str, aggregation: str = TIMESTAMPS) -> LabelMoments:
        # search matches substrings of names, categories and aliases: keep the label's own rows
        rows = store.detections(job_id, aggregation, sort="timestamp", search=label)
        return cls(label, [d for d in rows if d.label == label])

    def __len__(self) -> int:
        return len(self.detections)

    def after(self, ms: float) -> Detection | None:
        i = bisect_right(self.times, ms)
        return self.detections[i] if i < len(self.detections) else None

    def before(self, ms: float) -> Detection | None:
        i = bisect_left(self.times, ms) - 1
        return self.detections[i] if i >= 0 else None

    def best(self) -> Detection | None:
        """The highest-confidence detection (the earliest of equals)."""
        if not self.detections:
            return None
        return max(self.detections, key=lambda d: (d.confidence, -_start(d)))


def _start(d: Detection) -> int:
    return d.start_ms if d.start_ms is not None else d.timestamp_ms


def best_detection(store: ResultsStore, job_id: str, label: str, aggregation: str = TIMESTAMPS) -> Detection | None:
    return LabelMoments.from_store(store, job_id, label, aggregation).best()


def moment_ms(detection: Detection, aggregation: str = TIMESTAMPS) -> int:
    """The moment to show for a detection: its timestamp, or a segment's start."""
    if aggregation == SEGMENTS and detection.start_ms is not None:
        return detection.start_ms
    return detection.timestamp_ms


@dataclass(frozen=True, eq=False)
class Rendered:
    frame: Frame
    boxes: tuple[Box, ...]
    rgb: np.ndarray  # the frame with the boxes drawn (or the plain frame)


def render_moment(video: Video, index: BoxIndex | None, ms: float, *, boxes: bool = True,
                  cancel: Any = None) -> Rendered:
    """The frame shown at ``ms`` with the boxes of every label detected in it."""
    frame = video.frame_at(ms, cancel)
    found = tuple(boxes_of(index.at(frame, ms))) if index is not None else ()
    return Rendered(frame, found, draw_boxes(frame.rgb, found) if boxes and found else frame.rgb)


def best_box(detection: Detection) -> Box | None:
    """The detection's most confident instance box, for a thumbnail."""
    found = boxes_of([detection])
    if not found:
        return None
    confidences = [float(i.get("Confidence") or 0) for i in detection.instances if i.get("BoundingBox")]
    if len(confidences) == len(found):
        return found[max(range(len(found)), key=lambda i: confidences[i])]
    return found[0]


class ThumbnailCache:
    """PNG thumbnails on disk, bounded by total size (oldest files go first). Thread-safe; writes are
    atomic (write beside, then rename), so a crash never leaves half a PNG under a real name."""

    def __init__(self, folder: Path, max_bytes: int = THUMBNAIL_CACHE_BYTES) -> None:
        self.folder = Path(folder)
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._puts = 0

    @staticmethod
    def key(job_id: str, label: str, ms: int, size: tuple[int, int]) -> str:
        text = f"{job_id}\0{label}\0{ms}\0{size[0]}x{size[1]}"
        return hashlib.sha1(text.encode("utf-8")).hexdigest()

    def _path(self, key: str) -> Path:
        return self.folder / f"{key}.png"

    def get(self, key: str) -> bytes | None:
        path = self._path(key)
        try:
            data = path.read_bytes()
        except OSError:
            return None
        try:
            os.utime(path)  # most recently used
        except OSError:
            pass
        return data

    def put(self, key: str, png: bytes) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            path = self._path(key)
            temp = path.with_suffix(f".{threading.get_ident()}.tmp")
            temp.write_bytes(png)
            os.replace(temp, path)
        except OSError as exc:  # a full or read-only disk costs the thumbnail, nothing else
            log.info("thumbnail not cached: %s", exc)
            return
        with self._lock:
            self._puts += 1
            due = self._puts % PRUNE_EVERY == 1
        if due:  # a directory scan per thumbnail would cost more than the thumbnails
            self.prune()

    def total_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.folder.glob("*.png"))

    def prune(self) -> None:
        with self._lock:
            try:
                files = [(p.stat().st_mtime, p.stat().st_size, p) for p in self.folder.glob("*.png")]
            except OSError:
                return
            total = sum(size for _, size, _ in files)
            for _, size, path in sorted(files):
                if total <= self.max_bytes:
                    break
                try:
                    path.unlink()
                    total -= size
                except OSError:
                    pass


def thumbnail_folder(store: ResultsStore) -> Path:
    """Beside the results cache: ``<data dir>/thumbnails``."""
    return Path(store.path).parent / "thumbnails"


class JobFrames:
    """Everything needed to show a job's moments, opened lazily on the first (worker-thread) use.

    One :class:`RangeSource` (shared block cache) serves two decoders: one for the frame view (kept
    positioned for playback) and one for thumbnails, so making thumbnails never moves the view's decoder.
    ``client`` returns the boto3 S3 client (called on the worker: creating it may read credentials)."""

    MAX_LABELS = 64  # label timelines kept

    def __init__(self, store: ResultsStore, job_id: str, pin: ObjectPin, client: Any,
                 *, thumbnails: ThumbnailCache | None = None) -> None:
        self.store = store
        self.job_id = job_id
        self.pin = pin
        self._client = client
        self.thumbnails = thumbnails
        self._lock = threading.Lock()
        self._source: RangeSource | None = None
        self._video: Video | None = None
        self._thumb_video: Video | None = None
        self._index: BoxIndex | None = None
        self._moments: dict[tuple[str, str], LabelMoments] = {}

    def source(self) -> RangeSource:
        with self._lock:
            if self._source is None:
                self._source = RangeSource(self._client(), self.pin)
            return self._source

    def video(self) -> Video:
        source = self.source()
        with self._lock:
            if self._video is None:
                self._video = Video(source)
            return self._video

    def boxes(self) -> BoxIndex:
        with self._lock:
            index = self._index
        if index is None:
            index = BoxIndex.from_store(self.store, self.job_id)
            with self._lock:
                self._index = index
        return index

    def moments(self, label: str, aggregation: str = TIMESTAMPS) -> LabelMoments:
        key = (label, aggregation)
        with self._lock:
            found = self._moments.get(key)
        if found is None:
            found = LabelMoments.from_store(self.store, self.job_id, label, aggregation)
            with self._lock:
                if len(self._moments) >= self.MAX_LABELS:
                    self._moments.pop(next(iter(self._moments)))
                self._moments[key] = found
        return found

    def render(self, ms: float, cancel: Any = None) -> Rendered:
        """The frame at ``ms`` (boxes drawn when any; ``Rendered.frame.rgb`` is the plain frame)."""
        return render_moment(self.video(), self.boxes(), ms, boxes=True, cancel=cancel)

    def step(self, ms: float, frames: int) -> Rendered:
        """The frame ``frames`` frames after (or before, when negative) the one shown at ``ms``."""
        video = self.video()
        frame = video.frame_at(ms)
        for _ in range(abs(frames)):
            frame = video.next_frame(frame) if frames > 0 else video.previous_frame(frame)
        found = tuple(boxes_of(self.boxes().at(frame)))
        return Rendered(frame, found, draw_boxes(frame.rgb, found) if found else frame.rgb)

    def thumbnail(self, label: str, aggregation: str = TIMESTAMPS,
                  size: tuple[int, int] = THUMBNAIL_SIZE) -> bytes | None:
        """A PNG of the label's best detection (its box, else the frame), from the disk cache when there."""
        best = self.moments(label, aggregation).best()
        if best is None:
            return None
        ms = moment_ms(best, aggregation)
        key = ThumbnailCache.key(self.job_id, label, ms, size)
        if self.thumbnails is not None:
            cached = self.thumbnails.get(key)
            if cached is not None:
                return cached
        source = self.source()
        with self._lock:
            if self._thumb_video is None:
                self._thumb_video = Video(source, frame_cache_bytes=8 * 1024 * 1024)
            video = self._thumb_video
        frame = video.frame_at(ms)
        png = png_bytes(crop(frame.rgb, best_box(best), size))
        if self.thumbnails is not None:
            self.thumbnails.put(key, png)
        return png

    def close(self) -> None:
        with self._lock:
            videos = [v for v in (self._video, self._thumb_video) if v is not None]
            self._video = self._thumb_video = None
        for video in videos:
            video.close()
