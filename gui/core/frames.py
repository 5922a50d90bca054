"""The video frame at a moment, straight from S3: PyAV (FFmpeg) decoding over ranged reads, no Qt.

:class:`Video` opens the container on a :class:`~gui.core.s3range.RangeFile`, seeks to the keyframe
before a timestamp and decodes forward to the frame shown at that time (the last frame starting at or
before it), applies the display rotation as players do, and keeps the last frames in a bounded cache.
Everything here blocks: callers run it on worker threads (the window) or in the CLI.

Rekognition reports timestamps in milliseconds from the start of the video; a frame *covers* the
interval from its presentation time to the next frame's.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

import numpy as np

from gui.core.s3range import PAST_END, UNDECODABLE, RangeFile, RangeSource, VideoUnavailable

log = logging.getLogger(__name__)

FRAME_CACHE_BYTES = 32 * 1024 * 1024
AV_BUFFER_SIZE = 64 * 1024
THREAD_TYPE = "AUTO"  # FFmpeg's frame and slice threads: decoding from a keyframe to the moment is the bulk


@dataclass(frozen=True)
class VideoInfo:
    width: int  # as displayed (after rotation)
    height: int
    rotation: int  # degrees counter-clockwise applied to the stored picture for display (0, 90, 180, 270)
    frame_rate: float
    duration_ms: int
    codec: str
    container: str
    # what the container's header declares (an MP4's mvhd): Rekognition's 6-hour limit reads this one
    declared_duration_ms: int = 0


@dataclass(frozen=True, eq=False)
class Frame:
    """One decoded picture as displayed: ``rgb`` is (height, width, 3) uint8, rotation applied."""

    pts: int
    start_ms: float  # presentation time from the start of the video
    end_ms: float  # when the next frame starts
    rgb: np.ndarray
    key_frame: bool = False

    @property
    def time_ms(self) -> int:
        return int(round(self.start_ms))

    @property
    def width(self) -> int:
        return int(self.rgb.shape[1])

    @property
    def height(self) -> int:
        return int(self.rgb.shape[0])

    def covers(self, ms: float) -> bool:
        return self.start_ms <= ms < self.end_ms


def _rotation_steps(rotation: float | int | None) -> int:
    """Quarter turns counter-clockwise for ``np.rot90`` from PyAV's display rotation (degrees CCW)."""
    if not rotation:
        return 0
    return int(round(float(rotation) / 90.0)) % 4


def _undecodable(uri: str, detail: str) -> VideoUnavailable:
    return VideoUnavailable(UNDECODABLE, "Cannot decode the video", f"{uri}: {detail}.",
                            "The file is damaged or in a format FFmpeg cannot read.")


class Video:
    """A decodable video over a :class:`RangeSource`. Thread-safe (one decode at a time).

    ``cancel`` (optional, a callable returning True) stops a long decode at the next read; it is checked
    by the file under the container, so a superseded request lets go of the decoder quickly."""

    def __init__(self, source: RangeSource, *, frame_cache_bytes: int = FRAME_CACHE_BYTES) -> None:
        self.source = source
        self.frame_cache_bytes = frame_cache_bytes
        self._lock = threading.RLock()
        self._file: RangeFile | None = None
        self._container: Any = None
        self._stream: Any = None
        self._info: VideoInfo | None = None
        self._tb = Fraction(1, 1000)
        self._start_pts = 0
        self._frame_pts = 1
        self._steps = 0
        self._decoder: Any = None  # the generator decoding forward from the last seek
        self._last_pts: int | None = None
        self._frames: OrderedDict[int, Frame] = OrderedDict()
        self._frames_bytes = 0
        self._rotation_known = False

    # -- opening ------------------------------------------------------------------------------------------

    @property
    def uri(self) -> str:
        return self.source.pin.uri

    def info(self) -> VideoInfo:
        """Size as displayed, rotation, rate, duration (decodes the first frame if none was decoded yet)."""
        with self._lock:
            self._open()
            if not self._rotation_known:
                self._first_frame()
            assert self._info is not None
            return self._info

    def _open(self) -> None:
        if self._container is not None:
            return
        import av

        file = self.source.open()
        try:
            container = av.open(file, "r", buffer_size=AV_BUFFER_SIZE)
        except VideoUnavailable:
            raise
        except Exception as exc:
            raise self._error(exc, file, "no video container FFmpeg recognises") from exc
        if not container.streams.video:
            container.close()
            raise _undecodable(self.uri, "it has no video stream")
        stream = container.streams.video[0]
        stream.thread_type = THREAD_TYPE
        self._file, self._container, self._stream = file, container, stream
        tb = stream.time_base or Fraction(1, 1000)
        self._tb = Fraction(tb.numerator, tb.denominator)
        self._start_pts = int(stream.start_time or 0)
        rate = stream.average_rate or stream.guessed_rate or 25
        self._frame_pts = max(1, int(round(1 / (float(rate) * self._tb))))
        duration_ms = 0
        if stream.duration:
            duration_ms = int(stream.duration * self._tb * 1000)
        elif container.duration:
            duration_ms = int(container.duration / 1000)
        self._info = VideoInfo(
            width=int(stream.codec_context.width),
            height=int(stream.codec_context.height),
            rotation=0,  # known once a frame is decoded (the display matrix travels with the frames)
            frame_rate=float(rate),
            duration_ms=duration_ms,
            codec=str(stream.codec_context.name),
            container=str(container.format.name),
            declared_duration_ms=int(container.duration / 1000) if container.duration else 0,
        )
        self._rotation_known = False

    def _first_frame(self) -> Any:
        """Decode the first frame (it tells the display rotation); leaves the decoder positioned after it."""
        self._seek(self._start_pts)
        try:
            frame = next(self._decoder)
        except StopIteration:
            raise _undecodable(self.uri, "it has no decodable frame") from None
        except VideoUnavailable:
            raise
        except Exception as exc:
            raise self._error(exc, self._file, "its first frame does not decode") from exc
        self._last_pts = frame.pts
        self._remember(frame)
        return frame

    def _learn_rotation(self, av_frame: Any) -> None:
        self._steps = _rotation_steps(getattr(av_frame, "rotation", 0))
        self._rotation_known = True
        assert self._info is not None
        if self._steps % 2:
            self._info = replace(self._info, width=self._info.height, height=self._info.width)
        self._info = replace(self._info, rotation=self._steps * 90)

    def _error(self, exc: BaseException, file: RangeFile | None, what: str) -> Exception:
        """A fetch error raised inside FFmpeg's read callback wins over FFmpeg's own error."""
        if isinstance(exc, VideoUnavailable):
            return exc
        cause = exc.__cause__ or exc.__context__
        if isinstance(cause, VideoUnavailable):
            return cause
        if file is not None and file.error is not None:
            return file.error
        log.info("PyAV could not decode %s: %s", self.uri, exc)
        return _undecodable(self.uri, what)

    def close(self) -> None:
        with self._lock:
            if self._container is not None:
                self._decoder = None
                try:
                    self._container.close()
                except Exception:  # closing a broken container must not hide the first error
                    log.debug("closing %s failed", self.uri, exc_info=True)
                self._container = None
            self._frames.clear()
            self._frames_bytes = 0

    def __enter__(self) -> Video:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- time <-> pts -------------------------------------------------------------------------------------

    def pts_of(self, ms: float) -> int:
        """The presentation timestamp of ``ms`` milliseconds from the start (rounded down)."""
        return self._start_pts + int(Fraction(ms).limit_denominator(1000) / 1000 / self._tb)

    def ms_of(self, pts: int) -> float:
        return float((pts - self._start_pts) * self._tb * 1000)

    # -- frames -------------------------------------------------------------------------------------------

    def frame_at(self, ms: float, cancel: Callable[[], bool] | None = None) -> Frame:
        """The frame shown ``ms`` milliseconds into the video; raises :class:`VideoUnavailable`."""
        if ms < 0:
            ms = 0
        with self._lock:
            self._open()
            assert self._info is not None
            cached = self._cached(ms)
            if cached is not None:
                return cached
            if self._info.duration_ms and ms >= self._info.duration_ms + 1000 / max(1.0, self._info.frame_rate):
                raise self._past_end(ms)
            assert self._file is not None
            self._file.cancel = cancel
            try:
                return self._decode_to(self.pts_of(ms), ms)
            finally:
                self._file.cancel = None

    def next_frame(self, frame: Frame, cancel: Callable[[], bool] | None = None) -> Frame:
        """The frame after ``frame`` (the same frame at the end of the video)."""
        try:
            return self.frame_at(frame.end_ms, cancel)
        except VideoUnavailable as exc:
            if exc.reason == PAST_END:
                return frame
            raise

    def previous_frame(self, frame: Frame, cancel: Callable[[], bool] | None = None) -> Frame:
        """The frame before ``frame`` (the same frame at the start)."""
        if frame.start_ms <= 0:
            return frame
        return self.frame_at(self.ms_of(frame.pts - 1), cancel)

    def _past_end(self, ms: float) -> VideoUnavailable:
        from gui.core.export import format_time  # export imports the results store: only on this error path

        assert self._info is not None
        return VideoUnavailable(PAST_END, "Past the end of the video",
                                f"{format_time(int(ms))} is after the end of {self.uri} "
                                f"({format_time(self._info.duration_ms)} long).")

    def _cached(self, ms: float) -> Frame | None:
        for pts, frame in reversed(self._frames.items()):
            if frame.covers(ms):
                self._frames.move_to_end(pts)
                return frame
        return None

    def _decode_to(self, target: int, ms: float) -> Frame:
        near = self._last_pts is not None and self._last_pts < target <= self._last_pts + 2 * self._frame_pts * 25
        if self._decoder is None or not near:
            self._seek(target)
        previous = None
        try:
            while True:
                try:
                    frame = next(self._decoder)
                except StopIteration:
                    self._decoder = None
                    self._last_pts = None
                    if previous is not None:
                        return self._remember(previous)
                    if not self._rotation_known:  # not a single frame ever came out
                        raise _undecodable(self.uri, "it has no decodable frame") from None
                    raise self._past_end(ms) from None
                if frame.pts is None:
                    continue
                self._last_pts = frame.pts
                end = frame.pts + (frame.duration or self._frame_pts)
                if end > target:
                    if frame.pts > target and previous is not None:
                        return self._remember(previous)
                    return self._remember(frame)
                previous = frame
        except VideoUnavailable:
            self._decoder = None
            raise
        except Exception as exc:
            self._decoder = None
            self._last_pts = None
            raise self._error(exc, self._file, "a frame does not decode") from exc

    def _seek(self, target: int) -> None:
        try:
            self._container.seek(max(self._start_pts, target), stream=self._stream, backward=True, any_frame=False)
        except VideoUnavailable:
            raise
        except Exception as exc:
            raise self._error(exc, self._file, "seeking failed") from exc
        self._decoder = self._container.decode(self._stream)
        self._last_pts = None

    def _remember(self, av_frame: Any) -> Frame:
        if not self._rotation_known:
            self._learn_rotation(av_frame)
        found = self._frames.get(av_frame.pts)
        if found is not None:
            return found
        rgb = av_frame.to_ndarray(format="rgb24")
        if self._steps:
            rgb = np.rot90(rgb, self._steps)
        rgb = np.ascontiguousarray(rgb)  # rows may be padded to FFmpeg's line alignment
        duration = av_frame.duration or self._frame_pts
        frame = Frame(
            pts=int(av_frame.pts),
            start_ms=self.ms_of(av_frame.pts),
            end_ms=self.ms_of(av_frame.pts + duration),
            rgb=rgb,
            key_frame=bool(av_frame.key_frame),
        )
        self._frames[frame.pts] = frame
        self._frames_bytes += rgb.nbytes
        while self._frames_bytes > self.frame_cache_bytes and len(self._frames) > 1:
            _, old = self._frames.popitem(last=False)
            self._frames_bytes -= old.rgb.nbytes
        return frame
