"""What Rekognition Video would refuse, found before a job is started: a few ranged GETs (the container's
header and index) and one decoded frame per video, through PyAV, instead of a job that fails later.

Refused: an object PyAV cannot read as a video (a text file named ``.mp4``, a truncated upload), a codec other
than H.264, a video longer than 6 hours (Rekognition Video's limits for stored videos).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from gui.core.frames import Video
from gui.core.s3range import EMPTY, UNDECODABLE, ObjectPin, RangeSource, VideoUnavailable
from gui.core.types import MAX_VIDEO_SECONDS, S3Object
from gui.core.wording import clock

ACCEPTED_CODECS = frozenset({"h264"})
CHECK_CACHE_BYTES = 2 * 1024 * 1024  # a check reads the header, the index and one frame: a few blocks


def refusal(s3_client: Any, obj: S3Object) -> str | None:
    """Why Rekognition Video would refuse ``obj`` (one sentence), or None when it looks acceptable.
    S3 errors (access denied, gone, offline) are not refusals of the video: they propagate."""
    source = RangeSource(s3_client, ObjectPin(obj.bucket, obj.key, obj.version_id, obj.size or None),
                         cache_bytes=CHECK_CACHE_BYTES)
    video = Video(source, frame_cache_bytes=0)
    try:
        info = video.info()
    except VideoUnavailable as exc:
        if exc.reason not in (UNDECODABLE, EMPTY):
            raise  # S3 would not give the bytes (denied, gone, offline): not the video's fault
        return "Not a video Rekognition can read (the file is damaged, truncated or not a video)."
    except Exception as exc:  # PyAV's own errors for what is not a readable video
        if type(exc).__module__.startswith("botocore"):
            raise
        return "Not a video Rekognition can read (the file is damaged, truncated or not a video)."
    finally:
        video.close()
    if info.codec not in ACCEPTED_CODECS:
        return f"Not H.264 ({info.codec}): Rekognition Video analyses H.264 videos only."
    duration = max(info.duration_ms, info.declared_duration_ms)
    if duration > MAX_VIDEO_SECONDS * 1000:
        return (f"Longer than 6 hours ({clock(duration)} > {clock(MAX_VIDEO_SECONDS * 1000)}), the most "
                "Rekognition Video accepts for a stored video.")
    return None


def refusals(client_for: Callable[[str], Any], videos: Iterable[S3Object],
             cancelled: Callable[[], bool] = lambda: False) -> list[tuple[S3Object, str]]:
    """``(video, why)`` for each of ``videos`` Rekognition would refuse (``client_for(bucket)`` gives the S3
    client of the bucket's region); stops early when ``cancelled()``. Objects S3 would not read are skipped:
    the job reports those."""
    out: list[tuple[S3Object, str]] = []
    for obj in videos:
        if cancelled():
            break
        try:
            why = refusal(client_for(obj.bucket), obj)
        except Exception:  # S3 refused or was unreachable: not the video's fault; the job will say
            continue
        if why is not None:
            out.append((obj, why))
    return out
