"""Read the facts Rekognition reports in ``VideoMetadata`` straight from ISO-BMFF / QuickTime bytes.

Pure Python, no decoder: we walk the box tree (``ftyp``, ``moov/mvhd``, the video ``trak``'s ``tkhd``,
``mdhd``, ``stsd``, ``stts``, ``stsz``) and refuse anything that is not an H.264 (``avc1``/``avc3`` with
an ``avcC`` record) MP4/MOV with samples and media data.  AVI (RIFF) files go to
:mod:`gui.sandbox.aviprobe`.  That is what decides whether a job ``SUCCEEDED`` or ``FAILED`` in the
emulator.  ``ColorRange`` comes from an ``nclx`` ``colr`` box, else from the SPS's
``video_full_range_flag`` (:mod:`gui.sandbox.h264sps`), else LIMITED.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from gui.sandbox import aviprobe, h264sps
from gui.sandbox.videoinfo import ProbeError, VideoInfo

CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"dinf"}
H264_ENTRIES = {b"avc1", b"avc3"}
# ffmpeg's demuxer name, which is what the service reports for both MP4 and MOV files.
FORMAT_NAME = "QuickTime / MOV"


@dataclass
class _Box:
    kind: bytes
    start: int  # payload start
    end: int


def _boxes(data: bytes | memoryview, start: int, end: int) -> list[_Box]:
    out: list[_Box] = []
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1:
            if pos + 16 > end:
                raise ProbeError("Truncated box header.")
            (size,) = struct.unpack_from(">Q", data, pos + 8)
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            raise ProbeError(f"The file is truncated or damaged: its '{kind.decode('latin-1')}' box ends past the "
                             "end of the file (an upload that did not finish?).")
        if not all(32 <= c < 127 for c in kind):
            raise ProbeError("Not an MP4/MOV file: invalid box type.")
        out.append(_Box(kind, pos + header, pos + size))
        pos += size
    return out


def _find(data: bytes | memoryview, parent: _Box, path: list[bytes]) -> _Box | None:
    node: _Box | None = parent
    for kind in path:
        assert node is not None
        node = next((b for b in _boxes(data, node.start, node.end) if b.kind == kind), None)
        if node is None:
            return None
    return node


def _header_times(data: bytes | memoryview, box: _Box) -> tuple[int, int]:
    """(timescale, duration) from an ``mvhd`` or ``mdhd`` full box."""
    version = data[box.start]
    if version == 1:
        timescale, duration = struct.unpack_from(">IQ", data, box.start + 4 + 16)
    else:
        timescale, duration = struct.unpack_from(">II", data, box.start + 4 + 8)
    return timescale, duration


def _sps_full_range(avcc: bytes) -> bool:
    """``video_full_range_flag`` of the first SPS in an avcC record (False when unreadable)."""
    if len(avcc) < 8 or avcc[5] & 0x1F == 0:
        return False
    (length,) = struct.unpack_from(">H", avcc, 6)
    try:
        return h264sps.parse_sps(avcc[8 : 8 + length]).full_range
    except h264sps.SpsError:
        return False


def probe(data: bytes | memoryview) -> VideoInfo:
    """Parse *data* (the whole object) or raise :class:`ProbeError` saying why it cannot be used."""
    if len(data) < 16:
        raise ProbeError("Unsupported codec/format: the file is too small to be a video.")
    if aviprobe.is_avi(data):
        return aviprobe.probe_avi(data)
    try:
        return _probe(data)
    except struct.error as exc:
        raise ProbeError("Corrupt or truncated video file.") from exc


TOP_LEVEL = {b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"uuid", b"pnot", b"styp", b"sidx", b"moof"}


def _probe(data: bytes | memoryview) -> VideoInfo:
    if bytes(data[4:8]) not in TOP_LEVEL:
        raise ProbeError("Unsupported codec/format: the file is not an MP4, MOV or AVI video.")
    top = _boxes(data, 0, len(data))
    kinds = [b.kind for b in top]
    if b"moov" not in kinds:
        raise ProbeError("Unsupported codec/format: no MP4/MOV movie header found.")
    container = "mov"
    ftyp = next((b for b in top if b.kind == b"ftyp"), None)
    if ftyp is not None:
        brand = bytes(data[ftyp.start : ftyp.start + 4])
        container = "mov" if brand == b"qt  " else "mp4"
    mdat = [b for b in top if b.kind == b"mdat"]
    if not mdat or all(b.end - b.start == 0 for b in mdat):
        raise ProbeError("Unsupported codec/format: the file has no media data.")
    moov = next(b for b in top if b.kind == b"moov")
    mvhd = _find(data, moov, [b"mvhd"])
    video = None
    for trak in (b for b in _boxes(data, moov.start, moov.end) if b.kind == b"trak"):
        hdlr = _find(data, trak, [b"mdia", b"hdlr"])
        if hdlr is not None and bytes(data[hdlr.start + 8 : hdlr.start + 12]) == b"vide":
            video = trak
            break
    if video is None:
        raise ProbeError("Unsupported codec/format: the file has no video track.")
    stbl = _find(data, video, [b"mdia", b"minf", b"stbl"])
    mdhd = _find(data, video, [b"mdia", b"mdhd"])
    if stbl is None or mdhd is None:
        raise ProbeError("Corrupt video track: sample table missing.")
    stsd = _find(data, stbl, [b"stsd"])
    if stsd is None:
        raise ProbeError("Corrupt video track: no sample description.")
    entries = _boxes(data, stsd.start + 8, stsd.end)
    if not entries:
        raise ProbeError("Corrupt video track: no sample description.")
    entry = entries[0]
    if entry.kind not in H264_ENTRIES:
        codec = entry.kind.decode("latin-1").strip()
        raise ProbeError(f"Unsupported codec: {codec}. Amazon Rekognition Video supports H.264 video.")
    width, height = struct.unpack_from(">HH", data, entry.start + 24)
    children = {b.kind: b for b in _boxes(data, entry.start + 78, entry.end)}
    avcc = children.get(b"avcC")
    if avcc is None or data[avcc.start] != 1 or avcc.end - avcc.start < 7 or (data[avcc.start + 5] & 0x1F) == 0:
        raise ProbeError("Corrupt H.264 stream: missing decoder configuration (SPS/PPS).")
    colr = children.get(b"colr")
    if colr is not None and bytes(data[colr.start : colr.start + 4]) == b"nclx" and colr.end - colr.start >= 11:
        color_range = "FULL" if data[colr.start + 10] & 0x80 else "LIMITED"
    else:
        color_range = "FULL" if _sps_full_range(bytes(data[avcc.start : avcc.end])) else "LIMITED"

    media_scale, media_duration = _header_times(data, mdhd)
    if media_scale == 0:
        raise ProbeError("Corrupt video track: zero timescale.")
    samples, sample_time = 0, 0
    stts = _find(data, stbl, [b"stts"])
    if stts is not None:
        (count,) = struct.unpack_from(">I", data, stts.start + 4)
        for i in range(count):
            n, delta = struct.unpack_from(">II", data, stts.start + 8 + 8 * i)
            samples += n
            sample_time += n * delta
    stsz = _find(data, stbl, [b"stsz"])
    if stsz is not None:
        samples = max(samples, struct.unpack_from(">I", data, stsz.start + 8)[0])
    if samples == 0:
        raise ProbeError("Unsupported codec/format: the video track has no frames.")
    if mvhd is not None:
        movie_scale, movie_duration = _header_times(data, mvhd)
        duration_ms = round(movie_duration * 1000 / movie_scale) if movie_scale else 0
    else:
        duration_ms = 0
    if duration_ms == 0:
        duration_ms = round(media_duration * 1000 / media_scale)
    span = sample_time or media_duration
    frame_rate = round(samples * media_scale / span, 6) if span else 0.0
    if width == 0 or height == 0:
        tkhd = _find(data, video, [b"tkhd"])
        if tkhd is not None:
            w, h = struct.unpack_from(">II", data, tkhd.end - 8)
            width, height = w >> 16, h >> 16
    return VideoInfo("h264", duration_ms, FORMAT_NAME, float(frame_rate), width, height, color_range, container)
