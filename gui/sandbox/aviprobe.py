"""Read what Rekognition reports in ``VideoMetadata`` from an AVI (RIFF) file: the main header
(``avih``), the video stream's header and format (``strh``/``strf``), OpenDML's total frame count
(``odml/dmlh``) when present, and the H.264 SPS from the format's extra data or the first video chunk of
``movi``.  botocore's model lists ``.avi`` among the stored-video formats (VideoMetadata.Format:
"Possible values are MP4, MOV and AVI").  Only H.264 video is accepted, as for MP4/MOV.
"""

from __future__ import annotations

import struct

from gui.sandbox import h264sps
from gui.sandbox.videoinfo import ProbeError, VideoInfo

FORMAT_NAME = "AVI"
H264_FOURCCS = {b"H264", b"h264", b"X264", b"x264", b"AVC1", b"avc1", b"DAVC", b"davc", b"VSSH", b"vssh"}
LISTS = {b"RIFF", b"LIST"}


def is_avi(data: bytes | memoryview) -> bool:
    return bytes(data[0:4]) == b"RIFF" and bytes(data[8:12]) == b"AVI "


def _chunks(data: bytes | memoryview, start: int, end: int) -> list[tuple[bytes, int, int]]:
    """(fourcc, payload start, payload end) of the chunks in [start, end); a LIST's payload starts with
    its list type.  A truncated last chunk is cut at *end*."""
    out = []
    pos = start
    while pos + 8 <= end:
        kind, size = struct.unpack_from("<4sI", data, pos)
        payload = pos + 8
        stop = min(payload + size, end)
        out.append((kind, payload, stop))
        pos = payload + size + (size & 1)
    return out


def _list(data: bytes | memoryview, chunks: list[tuple[bytes, int, int]], list_type: bytes
          ) -> tuple[int, int] | None:
    for kind, start, stop in chunks:
        if kind in LISTS and bytes(data[start:start + 4]) == list_type:
            return start + 4, stop
    return None


def probe_avi(data: bytes | memoryview) -> VideoInfo:
    try:
        return _probe(data)
    except struct.error as exc:
        raise ProbeError("Corrupt or truncated AVI file.") from exc


def _probe(data: bytes | memoryview) -> VideoInfo:
    top = _chunks(data, 12, len(data))
    hdrl = _list(data, top, b"hdrl")
    if hdrl is None:
        raise ProbeError("Unsupported codec/format: no AVI header found.")
    header = _chunks(data, *hdrl)
    avih = next(((s, e) for k, s, e in header if k == b"avih"), None)
    if avih is None or avih[1] - avih[0] < 40:
        raise ProbeError("Corrupt AVI file: main header missing.")
    usec_per_frame, _, _, _, total_frames = struct.unpack_from("<5I", data, avih[0])
    main_width, main_height = struct.unpack_from("<2I", data, avih[0] + 32)
    video = None
    for kind, start, stop in header:
        if kind != b"LIST" or bytes(data[start:start + 4]) != b"strl":
            continue
        strl = _chunks(data, start + 4, stop)
        strh = next(((s, e) for k, s, e in strl if k == b"strh"), None)
        if strh is not None and bytes(data[strh[0]:strh[0] + 4]) == b"vids":
            video = (strh, next(((s, e) for k, s, e in strl if k == b"strf"), None))
            break
    if video is None:
        raise ProbeError("Unsupported codec/format: the file has no video track.")
    (strh_start, _), strf = video
    handler = bytes(data[strh_start + 4:strh_start + 8])
    scale, rate, _start, length = struct.unpack_from("<4I", data, strh_start + 20)
    compression = handler
    width, height = main_width, main_height
    extradata = b""
    if strf is not None and strf[1] - strf[0] >= 40:
        _, w, h, _, _, compression = struct.unpack_from("<IiiHH4s", data, strf[0])
        width, height = w, abs(h)
        extradata = bytes(data[strf[0] + 40:strf[1]])
    if compression not in H264_FOURCCS and handler not in H264_FOURCCS:
        codec = compression.decode("latin-1").strip("\x00 ") or handler.decode("latin-1").strip("\x00 ")
        raise ProbeError(f"Unsupported codec: {codec}. Amazon Rekognition Video supports H.264 video.")
    odml = _list(data, header, b"odml")
    if odml is not None:
        dmlh = next(((s, e) for k, s, e in _chunks(data, *odml) if k == b"dmlh"), None)
        if dmlh is not None and dmlh[1] - dmlh[0] >= 4:
            total_frames = max(total_frames, struct.unpack_from("<I", data, dmlh[0])[0])
    frames = max(length, total_frames)
    movi = _list(data, top, b"movi")
    if movi is None or movi[1] <= movi[0]:
        raise ProbeError("Unsupported codec/format: the file has no media data.")
    if frames == 0:
        raise ProbeError("Unsupported codec/format: the video track has no frames.")
    sps = _sps(extradata) or _sps_from_movi(data, *movi)
    if sps is None:
        raise ProbeError("Corrupt H.264 stream: missing decoder configuration (SPS/PPS).")
    if scale and rate:
        frame_rate = rate / scale
    elif usec_per_frame:
        frame_rate = 1_000_000 / usec_per_frame
    else:
        raise ProbeError("Corrupt AVI file: no frame rate.")
    duration_ms = round(frames * 1000 / frame_rate)
    if not width or not height:
        width, height = sps.width, sps.height
    return VideoInfo("h264", duration_ms, FORMAT_NAME, round(float(frame_rate), 6), width, height,
                     "FULL" if sps.full_range else "LIMITED", "avi")


def _sps(extradata: bytes) -> h264sps.Sps | None:
    if not extradata:
        return None
    try:
        if extradata[0] == 1 and len(extradata) > 8:  # an avcC record
            length = struct.unpack_from(">H", extradata, 6)[0]
            return h264sps.parse_sps(extradata[8:8 + length])
        return h264sps.first_sps(extradata)
    except (h264sps.SpsError, struct.error):
        return None


def _sps_from_movi(data: bytes | memoryview, start: int, end: int) -> h264sps.Sps | None:
    """The SPS in the first video chunks (``NNdc``/``NNdb``; inside ``rec `` lists too)."""
    seen = 0
    for kind, s, e in _chunks(data, start, end):
        if kind == b"LIST":
            found = _sps_from_movi(data, s + 4, e)
            if found is not None:
                return found
            continue
        if kind[2:4] not in (b"dc", b"db") or e <= s:
            continue
        try:
            found = h264sps.first_sps(bytes(data[s:e]))
        except h264sps.SpsError:
            found = None
        if found is not None:
            return found
        seen += 1
        if seen >= 8:
            return None
    return None
