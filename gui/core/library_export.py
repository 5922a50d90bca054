"""The library's matches as data: one dict per video (the CLI's JSON), and moments as CSV rows."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gui.core.atomic import atomic_write_text
from gui.core.export import format_time
from gui.core.library import VideoMatch

MOMENTS_CSV_HEADER = (
    "bucket", "key", "job_id", "label", "start_ms", "end_ms", "start", "end", "confidence",
)


def iso_time(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(float(epoch), UTC).isoformat(timespec="seconds")


def match_to_dict(match: VideoMatch, *, moments: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "uri": match.uri,
        "bucket": match.bucket,
        "key": match.key,
        "job_id": match.job_id,
        "duration_ms": match.duration_ms,
        "analysed_at": iso_time(match.analysed_at),
        "preset": match.preset,
        "settings": match.settings,
        "label_count": match.label_count,
        "aggregation": match.aggregation,
    }
    if moments:
        data["moments"] = [
            {"label": m.label, "start_ms": m.start_ms, "end_ms": m.end_ms, "confidence": m.confidence}
            for m in match.moments
        ]
    return data


def moment_rows(matches: Iterable[VideoMatch]) -> Iterable[tuple[Any, ...]]:
    for match in matches:
        for m in match.moments:
            yield (match.bucket, match.key, match.job_id, m.label, m.start_ms, m.end_ms,
                   format_time(m.start_ms), format_time(m.end_ms), f"{m.confidence:.3f}")


def moments_csv(matches: Iterable[VideoMatch]) -> tuple[str, int]:
    """CSV text of every moment of ``matches`` (header first) and the number of moment rows."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(MOMENTS_CSV_HEADER)
    count = 0
    for row in moment_rows(matches):
        writer.writerow(row)
        count += 1
    return buf.getvalue(), count


def export_moments_csv(matches: Iterable[VideoMatch], path: Path) -> int:
    """Write the moments atomically (a reader sees the old file or the whole new one); returns the rows."""
    text, count = moments_csv(matches)
    atomic_write_text(Path(path), text)
    return count
