"""Export stored results: JSON (the pages as AWS returned them), CSV (one row per detection), WebVTT
(one cue per segment). Files are written through :func:`gui.core.outputs.open_output`: atomically (a reader
sees the old file or the whole new one), following the umask, writing through devices and symlinks."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from gui.core.errors import KnownError
from gui.core.outputs import open_output
from gui.core.results_store import SEGMENTS, TIMESTAMPS, Detection, ResultsStore

FORMATS = ("json", "csv", "vtt")
FORMAT_NAMES = {"json": "JSON (pages as returned by AWS)", "csv": "CSV (one row per detection)", "vtt": "WebVTT"}
FORMAT_SUFFIXES = {"json": ".json", "csv": ".csv", "vtt": ".vtt"}

CSV_HEADER = (
    "aggregation",
    "timestamp_ms",
    "time",
    "start_ms",
    "end_ms",
    "duration_ms",
    "label",
    "confidence",
    "categories",
    "parents",
    "aliases",
    "instance_count",
    "instances",
)


def format_time(ms: int) -> str:
    """``HH:MM:SS.mmm`` (hours keep growing past 99), as WebVTT wants it."""
    ms = max(0, int(ms))
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


def default_aggregation(fmt: str) -> str:
    return SEGMENTS if fmt == "vtt" else TIMESTAMPS


def format_for_path(path: Path, fmt: str) -> tuple[Path, str]:
    """The file and format an export writes: a name ending in a known format's suffix names the format
    (``x.vtt`` is WebVTT whatever was chosen); a name without a suffix gets ``fmt``'s."""
    path = Path(path)
    by_suffix = {suffix: name for name, suffix in FORMAT_SUFFIXES.items()}
    if path.suffix.lower() in by_suffix:
        return path, by_suffix[path.suffix.lower()]
    if not path.suffix:
        return path.with_name(path.name + FORMAT_SUFFIXES[fmt]), fmt
    return path, fmt


def export_job(
    store: ResultsStore, job_id: str, fmt: str, out_path: Path, *, aggregation: str | None = None,
    search: str = "",
) -> int:
    """Write ``job_id``'s stored results to ``out_path``; returns how many pages (json), rows (csv) or
    cues (vtt) were written. ``aggregation`` defaults to TIMESTAMPS (SEGMENTS for vtt, the only choice).
    ``search`` keeps only the detections a search of the result keeps (CSV and WebVTT; JSON is AWS's pages
    as returned, always whole). Written through :func:`gui.core.outputs.open_output`: the file gets the
    permissions the user's umask gives new files; devices and symlinks are written through."""
    text, count = render_export(store, job_id, fmt, aggregation=aggregation, search=search)
    with open_output(Path(out_path), make_parents=True) as stream:
        stream.write(text)
    return count


def render_export(
    store: ResultsStore, job_id: str, fmt: str, *, aggregation: str | None = None, search: str = ""
) -> tuple[str, int]:
    """The text :func:`export_job` writes, and its count of pages, rows or cues."""
    fmt = fmt.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {FORMATS}, not {fmt!r}")
    aggregation = aggregation or default_aggregation(fmt)
    if fmt == "vtt" and aggregation != SEGMENTS:
        raise ValueError("WebVTT cues come from the SEGMENTS aggregation")
    if not store.has_results(job_id, aggregation):
        raise KnownError(
            "Results not stored",
            f"The {aggregation.lower()} results of job {job_id} are not in the local cache.",
            "Fetch them first (WebVTT needs the segments)." if fmt == "vtt" else "Fetch them first.",
        )
    if fmt == "json":
        if search.strip():
            raise ValueError("a JSON export holds AWS's pages whole; it cannot keep only matching detections")
        return _json(store, job_id, aggregation)
    if fmt == "csv":
        return _csv(store, job_id, aggregation, search)
    return _vtt(store, job_id, search)


def _json(store: ResultsStore, job_id: str, aggregation: str) -> tuple[str, int]:
    # The bodies are stored verbatim: join them into a JSON array without decoding and re-encoding.
    bodies = store.raw_pages(job_id, aggregation)
    return "[\n" + ",\n".join(bodies) + "\n]\n", len(bodies)


def _csv(store: ResultsStore, job_id: str, aggregation: str, search: str = "") -> tuple[str, int]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    rows = store.detections(job_id, aggregation, sort="timestamp", search=search)
    for d in rows:
        writer.writerow(_csv_row(aggregation, d))
    return buffer.getvalue(), len(rows)


def _csv_row(aggregation: str, d: Detection) -> tuple[object, ...]:
    return (
        aggregation,
        d.timestamp_ms,
        format_time(d.timestamp_ms),
        "" if d.start_ms is None else d.start_ms,
        "" if d.end_ms is None else d.end_ms,
        "" if d.duration_ms is None else d.duration_ms,
        d.label,
        f"{d.confidence:.3f}",
        "; ".join(d.categories),
        "; ".join(d.parents),
        "; ".join(d.aliases),
        d.instance_count,
        json.dumps(list(d.instances), separators=(",", ":")) if d.instances else "",
    )


def _cue_text(text: str) -> str:
    # A cue payload may not contain "-->" or a blank line; & and < start markup and must be escaped.
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return " ".join(text.split())


def _vtt(store: ResultsStore, job_id: str, search: str = "") -> tuple[str, int]:
    segments = store.detections(job_id, SEGMENTS, sort="start", search=search)  # cues must be in start-time order
    lines = ["WEBVTT", ""]
    for n, d in enumerate(segments, start=1):
        start = d.start_ms if d.start_ms is not None else d.timestamp_ms
        end = d.end_ms if d.end_ms is not None else start
        end = max(end, start + 1)  # WebVTT requires end > start; AWS may report one-frame segments as 0 ms
        lines += [
            str(n),
            f"{format_time(start)} --> {format_time(end)}",
            _cue_text(f"{d.label} ({d.confidence:.1f}%)"),
            "",
        ]
    return "\n".join(lines), len(segments)
