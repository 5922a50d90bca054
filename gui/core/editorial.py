"""Label markers as files editors import: EDLs, Final Cut Pro XML, FCPXML, OpenTimelineIO, CSV, WebVTT.

Each video becomes one timeline named after its S3 key, holding the whole video as one clip and one
marker per label span (:mod:`gui.core.markers`), frame-accurate at the video's edit rate
(:mod:`gui.core.timecode`). Per format:

- ``edl``: CMX 3600 through OpenTimelineIO's ``cmx_3600`` adapter; markers are ``* LOC:`` lines on
  the one event (the adapter writes the start and colour; a LOC line has no duration). The adapter
  writes no ``FCM:`` line, so one is added after the title: drop-frame timecode needs it.
- ``resolve-edl``: DaVinci Resolve's *timeline marker* EDL (Timelines > Import > Timeline Markers
  from EDL). Written here: the form is one one-frame event per marker followed by
  ``<note> |C:ResolveColor<Colour> |M:<name> |D:<frames>``, which the cmx_3600 adapter can neither
  write nor read (it knows only LOC comments).
- ``fcp7xml``: Final Cut Pro 7 XML (xmeml) through the ``fcp_xml`` adapter; the markers are sequence
  markers with the note as their comment (what Premiere Pro and Resolve import as timeline markers).
- ``fcpxml``: FCPXML 1.8 for Final Cut Pro, markers or keyword ranges on the clip. Written here: the
  ``fcpx_xml`` adapter (1.0) looks frame rates up by ``int(rate)``, so at 23.976/29.97/59.94 it writes
  ``frameDuration=""`` (a file Final Cut refuses) and its times are not on frame boundaries; it also
  writes no ``tcStart``/``tcFormat`` and turns red and green markers into to-do items. The adapter's
  reader still reads what is written here (the tests use it).
- ``otio``: OpenTimelineIO JSON: the timeline with its markers (colour, note and figures in metadata).
- ``markers-csv``: one row per marker.
- ``vtt-chapters``: a WebVTT chapters track: chapters may not overlap partially, so each stretch of
  the video gets one chapter titled with the labels seen in it.

Files are written atomically with the permissions the user's umask gives new files (not the private
0600 of the temporary file).
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Protocol
from xml.etree import ElementTree

from gui.core.atomic import atomic_write_text, export_mode
from gui.core.errors import KnownError
from gui.core.markers import RESOLVE_COLOURS, Marker, MarkerOptions, build_markers
from gui.core.results_store import SEGMENTS
from gui.core.safetext import safe_file_name
from gui.core.timecode import DEFAULT_START, EDL_START, EditRate, edit_rate

FORMATS = ("edl", "resolve-edl", "fcp7xml", "fcpxml", "otio", "markers-csv", "vtt-chapters")
FORMAT_NAMES = {
    "edl": "CMX 3600 EDL with markers",
    "resolve-edl": "DaVinci Resolve marker EDL",
    "fcp7xml": "Final Cut Pro 7 XML (Premiere Pro, Resolve)",
    "fcpxml": "FCPXML (Final Cut Pro)",
    "otio": "OpenTimelineIO (.otio)",
    "markers-csv": "Markers CSV",
    "vtt-chapters": "WebVTT chapters",
}
FORMAT_SUFFIXES = {
    "edl": ".edl",
    "resolve-edl": ".edl",
    "fcp7xml": ".xml",
    "fcpxml": ".fcpxml",
    "otio": ".otio",
    "markers-csv": ".csv",
    "vtt-chapters": ".vtt",
}
EDL_FORMATS = frozenset({"edl", "resolve-edl"})
FCPX_MODES = ("markers", "keywords")
CSV_HEADER = (
    "start",
    "end",
    "duration",
    "timecode in",
    "timecode out",
    "label",
    "confidence",
    "mean confidence",
    "categories",
    "colour",
)


class EditorialError(KnownError):
    pass


def default_start_timecode(fmt: str) -> str:
    """01:00:00:00 for EDLs (the editing convention), 00:00:00:00 for every other format."""
    return EDL_START if fmt in EDL_FORMATS else DEFAULT_START


def check_format(fmt: str) -> str:
    name = fmt.strip().lower()
    if name not in FORMATS:
        raise EditorialError(
            "Unknown export format", f"'{fmt}' is not a marker format.", "Use one of: " + ", ".join(FORMATS) + "."
        )
    return name


# ----------------------------------------------------------------------------------------------------------
# One video, ready to write
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MarkedVideo:
    """A job's video, its edit rate and its markers; frames are counted from the start of the video."""

    job_id: str
    name: str  # the S3 key (the timeline's name)
    uri: str
    rate: EditRate
    duration_frames: int
    markers: tuple[Marker, ...]
    width: int = 0  # VideoMetadata.FrameWidth/FrameHeight; 0 when not reported
    height: int = 0

    @property
    def file_name(self) -> str:
        return Path(self.name).name or self.job_id

    def span(self, marker: Marker) -> tuple[int, int]:
        """(first frame, frame count >= 1) of ``marker``."""
        start = self.rate.frames(marker.start_ms)
        end = self.rate.frames(marker.end_ms)
        return start, max(1, end - start)


@dataclass(frozen=True)
class JobSegments:
    """A job's video and its stored segments, read once: markers for any options come from it."""

    job_id: str
    name: str
    uri: str
    rate: EditRate
    duration_ms: int
    segments: tuple[Any, ...] = field(repr=False)
    width: int = 0
    height: int = 0
    unit: str = "segment"  # or "moment": the Library's moments (see :func:`load_moments`)


@dataclass(frozen=True)
class MomentSegment:
    """A Library moment (a label's merged span, its highest confidence) as a segment markers are made of."""

    label: str
    start_ms: int
    end_ms: int
    confidence: float
    categories: tuple[str, ...] = ()

    @property
    def timestamp_ms(self) -> int:
        return self.start_ms


class MomentLike(Protocol):
    """What :func:`load_moments` needs of a moment (:class:`gui.core.library.Moment`)."""

    @property
    def label(self) -> str: ...
    @property
    def start_ms(self) -> int: ...
    @property
    def end_ms(self) -> int: ...
    @property
    def confidence(self) -> float: ...


def load_job(store: Any, job_id: str) -> JobSegments:
    """Read ``job_id``'s segments and video metadata from the results store; EditorialError when the
    segments are not stored or the frame rate is unusable."""
    if store.summary(job_id) is None or not store.has_results(job_id, SEGMENTS):
        raise EditorialError(
            "No segments stored",
            f"The segment results of job {job_id} are not in the local cache; markers are made from segments.",
            "Fetch the job's results (both aggregations) first.",
        )
    segments = tuple(store.detections(job_id, SEGMENTS, sort="start"))
    return _job_video(store, job_id, segments)


def load_moments(store: Any, job_id: str, moments: Sequence[MomentLike], aggregation: str) -> JobSegments:
    """``moments`` of ``job_id`` (a Library match's: from either aggregation) ready to become markers, each
    with its label's categories from the stored results of ``aggregation``; EditorialError when the job's
    results are no longer stored or its frame rate is unusable."""
    try:
        categories = {s.label: s.categories for s in store.label_summary(job_id, aggregation)}
    except KnownError:
        categories = {}
    segments = tuple(
        MomentSegment(m.label, int(m.start_ms), int(m.end_ms), float(m.confidence), categories.get(m.label, ()))
        for m in moments
    )
    return _job_video(store, job_id, segments, unit="moment")


def _job_video(store: Any, job_id: str, segments: tuple[Any, ...], unit: str = "segment") -> JobSegments:
    """The job's video (name, edit rate, duration, size) from its stored VideoMetadata, with ``segments``."""
    summary = store.summary(job_id)
    if summary is None:
        raise EditorialError(
            "No results stored", f"The results of job {job_id} are no longer in the local cache.",
            "Open the job's results to fetch them again.",
        )
    metadata = summary.video_metadata or {}
    try:
        rate = edit_rate(metadata.get("FrameRate"))
    except KnownError as exc:
        raise EditorialError(
            "No frame rate", f"Job {job_id}: {exc.message.text}", exc.message.hint
        ) from exc
    uri = summary.video_uri or ""
    name = uri.split("/", 3)[3] if uri.startswith("s3://") and uri.count("/") >= 3 else (uri or job_id)
    return JobSegments(
        job_id, name, uri, rate, int(metadata.get("DurationMillis") or 0), segments,
        int(metadata.get("FrameWidth") or 0), int(metadata.get("FrameHeight") or 0), unit,
    )


def mark(job: JobSegments, options: MarkerOptions | None = None) -> MarkedVideo:
    """The markers of ``job`` under ``options`` (pure: no store access)."""
    markers = tuple(build_markers(job.segments, options, unit=job.unit))
    last = max((m.end_ms for m in markers), default=0)
    duration_frames = max(1, job.rate.frames(max(job.duration_ms, last)))
    return MarkedVideo(job.job_id, job.name, job.uri, job.rate, duration_frames, markers, job.width, job.height)


# ----------------------------------------------------------------------------------------------------------
# Writers: (video, start frame, options) -> text
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WriteOptions:
    start_timecode: str | None = None  # None: default_start_timecode(fmt)
    fcpx_mode: str = "markers"  # or "keywords"


def _otio_timeline(
    video: MarkedVideo, start: int, *, leading_gap: bool, clip_markers: bool, fcp_comment: bool = False
) -> Any:
    import opentimelineio as otio

    r = video.rate
    schema = otio.schema
    timeline = schema.Timeline(name=video.name)
    track = schema.Track(name="V1", kind=schema.TrackKind.Video)
    timeline.tracks.append(track)
    source_start = start if leading_gap else 0
    available = otio.opentime.TimeRange(r.rational(source_start), r.rational(video.duration_frames))
    reference = schema.ExternalReference(target_url=video.uri or video.name, available_range=available)
    clip = schema.Clip(name=video.file_name, media_reference=reference, source_range=available)
    if leading_gap:
        # An EDL's record timecode is the clip's place on the track: the gap puts it at the start timecode.
        if start:
            track.append(schema.Gap(source_range=otio.opentime.TimeRange(r.rational(0), r.rational(start))))
    else:
        timeline.global_start_time = r.rational(start)
    track.append(clip)
    for m in video.markers:
        first, frames = video.span(m)
        offset = source_start if clip_markers else 0
        marker = schema.Marker(
            name=m.label,
            marked_range=otio.opentime.TimeRange(r.rational(offset + first), r.rational(frames)),
            color=m.colour,
            comment=m.note,
            metadata={
                "rekognition": {
                    "max_confidence": round(m.max_confidence, 3),
                    **({"mean_confidence": round(m.mean_confidence, 3)} if m.unit == "segment" else {}),
                    "categories": list(m.categories),
                    f"{m.unit}s": m.segments,
                    "start_ms": m.start_ms,
                    "end_ms": m.end_ms,
                },
            },
        )
        if fcp_comment:  # the fcp_xml adapter writes a marker's <comment> from this metadata only
            marker.metadata["fcp_xml"] = {"comment": m.note}
        (clip.markers if clip_markers else timeline.tracks.markers).append(marker)
    timeline.metadata["rekognition"] = {
        "job_id": video.job_id,
        "video_uri": video.uri,
        "frame_rate": video.rate.reported,
        "edit_rate": f"{r.numerator}/{r.denominator}",
        "drop_frame": r.drop_frame,
    }
    return timeline


def _reel_name(file_name: str) -> str:
    """Up to 8 letters, digits or underscores from the file name (CMX 3600 reel names), else AX."""
    reel = re.sub(r"[^A-Za-z0-9_]+", "_", Path(file_name).stem).strip("_")[:8]
    return reel or "AX"


def _fcm(rate: EditRate) -> str:
    return "FCM: DROP FRAME" if rate.drop_frame else "FCM: NON-DROP FRAME"


def write_edl(video: MarkedVideo, start: int, options: WriteOptions) -> str:
    import opentimelineio as otio

    timeline = _otio_timeline(video, start, leading_gap=True, clip_markers=True)
    (clip,) = timeline.find_clips()
    # EDL fields are separated by spaces: the adapter would cut a reel name out of "take 1.mp4" as is
    clip.metadata["cmx_3600"] = {"reel": _reel_name(video.file_name)}
    text = otio.adapters.write_to_string(timeline, "cmx_3600", rate=video.rate.fps)
    lines = text.splitlines()
    at = 1 if lines and lines[0].startswith("TITLE:") else 0
    lines.insert(at, _fcm(video.rate))
    return "\n".join(lines) + "\n"


def _resolve_text(text: str) -> str:
    # '|' separates the fields of a Resolve marker line and a line break ends it
    return " ".join(text.replace("|", "/").split())


def write_resolve_edl(video: MarkedVideo, start: int, options: WriteOptions) -> str:
    r = video.rate
    lines = [f"TITLE: {_resolve_text(video.name)}", _fcm(r), ""]
    for n, m in enumerate(video.markers, start=1):
        first, frames = video.span(m)
        tc_in, tc_out = r.timecode(start + first), r.timecode(start + first + 1)
        # event numbers keep three digits up to 999 and simply grow beyond, as Resolve's own export does
        lines.append(f"{n:03d}  001      V     C        {tc_in} {tc_out} {tc_in} {tc_out}  ")
        colour = RESOLVE_COLOURS.get(m.colour, "Blue")
        lines.append(f"{_resolve_text(m.note)} |C:ResolveColor{colour} |M:{_resolve_text(m.label)} |D:{frames}")
        lines.append("")
    return "\n".join(lines)


def write_fcp7_xml(video: MarkedVideo, start: int, options: WriteOptions) -> str:
    import opentimelineio as otio

    timeline = _otio_timeline(video, start, leading_gap=False, clip_markers=False, fcp_comment=True)
    r = video.rate
    # the adapter takes the sequence timecode's rate from the start time; only the display format is ours
    timeline.metadata["fcp_xml"] = {"timecode": {"displayformat": "DF" if r.drop_frame else "NDF"}}
    return str(otio.adapters.write_to_string(timeline, "fcp_xml"))


def _fcpx_time(rate: EditRate, frames: int) -> str:
    """FCPXML's rational seconds, exactly on a frame: frames * denominator / numerator seconds."""
    if frames == 0:
        return "0s"
    value = Fraction(frames * rate.denominator, rate.numerator)
    return f"{value.numerator}s" if value.denominator == 1 else f"{value.numerator}/{value.denominator}s"


def write_fcpxml(video: MarkedVideo, start: int, options: WriteOptions) -> str:
    if options.fcpx_mode not in FCPX_MODES:
        raise EditorialError("Unknown FCPXML mode", f"'{options.fcpx_mode}': use markers or keywords.")
    r = video.rate
    duration = _fcpx_time(r, video.duration_frames)
    tc_format = "DF" if r.drop_frame else "NDF"
    root = ElementTree.Element("fcpxml", version="1.8")
    resources = ElementTree.SubElement(root, "resources")
    fmt = ElementTree.SubElement(
        resources, "format", id="r1", name=f"Rekognition {r.label}", frameDuration=_fcpx_time(r, 1)
    )
    if video.width and video.height:
        fmt.set("width", str(video.width))
        fmt.set("height", str(video.height))
    ElementTree.SubElement(
        resources, "asset", id="r2", name=video.file_name, src=video.uri or video.name, start="0s",
        duration=duration, hasVideo="1", hasAudio="0", format="r1",
    )
    library = ElementTree.SubElement(root, "library")
    event = ElementTree.SubElement(library, "event", name="Rekognition labels")
    project = ElementTree.SubElement(event, "project", name=video.name)
    sequence = ElementTree.SubElement(
        project, "sequence", format="r1", duration=duration, tcStart=_fcpx_time(r, start), tcFormat=tc_format
    )
    spine = ElementTree.SubElement(sequence, "spine")
    clip = ElementTree.SubElement(
        spine, "asset-clip", name=video.file_name, ref="r2", offset=_fcpx_time(r, start), start="0s",
        duration=duration, format="r1", tcFormat=tc_format,
    )
    tag = "keyword" if options.fcpx_mode == "keywords" else "marker"
    for m in video.markers:
        first, frames = video.span(m)
        ElementTree.SubElement(
            clip, tag, start=_fcpx_time(r, first), duration=_fcpx_time(r, frames), value=m.label, note=m.note
        )
    ElementTree.indent(root, space="    ")
    body = ElementTree.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE fcpxml>\n' + body + "\n"


def write_otio(video: MarkedVideo, start: int, options: WriteOptions) -> str:
    import opentimelineio as otio

    timeline = _otio_timeline(video, start, leading_gap=False, clip_markers=False)
    return str(otio.adapters.write_to_string(timeline, "otio_json"))


def _seconds(rate: EditRate, frames: int) -> str:
    return f"{rate.seconds(frames):.3f}"


def write_markers_csv(video: MarkedVideo, start: int, options: WriteOptions) -> str:
    """start/end/duration in seconds (on the frame grid); timecode out is the frame after the marker."""
    r = video.rate
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    for m in video.markers:
        first, frames = video.span(m)
        writer.writerow(
            (
                _seconds(r, first),
                _seconds(r, first + frames),
                _seconds(r, frames),
                r.timecode(start + first),
                r.timecode(start + first + frames),
                m.label,
                f"{m.max_confidence:.3f}",
                f"{m.mean_confidence:.3f}" if m.unit == "segment" else "",  # a moment keeps only its highest
                "; ".join(m.categories),
                m.colour,
            )
        )
    return buffer.getvalue()


def _vtt_time(seconds: float) -> str:
    ms = round(seconds * 1000)
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def _cue_text(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return " ".join(text.split())


def write_vtt_chapters(video: MarkedVideo, start: int, options: WriteOptions) -> str:
    """A WebVTT chapters track: HTML requires chapter cues to nest or not overlap at all, and label
    spans overlap freely, so the video is cut at every marker's start and end and each piece where
    labels are seen becomes one chapter titled with those labels (in order of their marker's start).
    Neighbouring pieces with the same labels are one chapter. Times are on the frame grid from the
    start of the video: players know no start timecode."""
    r = video.rate
    spans = []
    for m in video.markers:
        first, frames = video.span(m)
        spans.append((first, first + frames, m.label))
    cuts = sorted({t for a, b, _ in spans for t in (a, b)})
    chapters: list[list[Any]] = []  # [first frame, end frame, title]
    for a, b in zip(cuts, cuts[1:], strict=False):
        labels: list[str] = []
        for s0, s1, label in spans:  # spans are in start order
            if s0 <= a and s1 >= b and label not in labels:
                labels.append(label)
        if not labels:
            continue
        title = ", ".join(labels)
        if chapters and chapters[-1][1] == a and chapters[-1][2] == title:
            chapters[-1][1] = b
        else:
            chapters.append([a, b, title])
    lines = ["WEBVTT", "", "NOTE chapters: the labels seen in each stretch of " + _cue_text(video.name), ""]
    for n, (a, b, title) in enumerate(chapters, start=1):
        lines += [f"chapter-{n}", f"{_vtt_time(r.seconds(a))} --> {_vtt_time(r.seconds(b))}", _cue_text(title), ""]
    return "\n".join(lines)


WRITERS: dict[str, Callable[[MarkedVideo, int, WriteOptions], str]] = {
    "edl": write_edl,
    "resolve-edl": write_resolve_edl,
    "fcp7xml": write_fcp7_xml,
    "fcpxml": write_fcpxml,
    "otio": write_otio,
    "markers-csv": write_markers_csv,
    "vtt-chapters": write_vtt_chapters,
}


def render(video: MarkedVideo, fmt: str, options: WriteOptions | None = None) -> str:
    """The file's text for one video (no markers: EditorialError, nothing to write)."""
    fmt = check_format(fmt)
    options = options or WriteOptions()
    if not video.markers:
        raise EditorialError(
            "No markers", f"No label span of {video.name} passes the marker filters; nothing was written.",
            "Lower the minimum confidence or duration, or choose other labels or categories.",
        )
    problem = rate_problem(video.name, video.rate, fmt)
    if problem is not None:
        raise problem
    start = video.rate.parse(options.start_timecode or default_start_timecode(fmt))
    return WRITERS[fmt](video, start, options)


# Written by OpenTimelineIO adapters that count timecode with opentime: at another rate they refuse it, or
# read it as its NTSC neighbour (29 fps as 29.97 drop-frame) and would write wrong timecode.
OTIO_TIMECODE_FORMATS = frozenset({"edl", "fcp7xml"})


def rate_problem(name: str, rate: EditRate, fmt: str) -> EditorialError | None:
    """Why ``fmt`` cannot be written for a video at ``rate`` (None when it can)."""
    if fmt not in OTIO_TIMECODE_FORMATS or rate.standard:
        return None
    return EditorialError(
        "Frame rate not supported by this format",
        f"{name} runs at {rate.label} ({rate.reported:g} reported); {FORMAT_NAMES[fmt]} is written through "
        "OpenTimelineIO, whose timecode knows only the standard rates (23.976, 24, 25, 29.97, 30, 50, 59.94, "
        "60 fps).",
        "Export this video as " + ", ".join(f for f in FORMATS if f not in OTIO_TIMECODE_FORMATS) + ".",
    )


# ----------------------------------------------------------------------------------------------------------
# Export to disk
# ----------------------------------------------------------------------------------------------------------

@dataclass
class ExportResult:
    written: list[tuple[Path, int]] = field(default_factory=list)  # (file, markers)
    skipped: list[str] = field(default_factory=list)  # videos left out, and why
    notes: list[str] = field(default_factory=list)  # rate rounding and the like

    @property
    def marker_count(self) -> int:
        return sum(n for _, n in self.written)


def _safe_stem(name: str) -> str:
    return safe_file_name(Path(name).stem, "", default="markers")


def output_paths(videos: Sequence[MarkedVideo], fmt: str, output: Path, *, folder: bool) -> list[Path]:
    """One file per video: ``output`` itself for one video (unless it is a folder), else
    ``<output>/<key stem>.<suffix>``, the job id added where two videos share a stem."""
    if not folder:
        return [output]
    suffix = FORMAT_SUFFIXES[fmt]
    stems = [_safe_stem(v.name) for v in videos]
    seen: dict[str, int] = {}
    for s in stems:
        seen[s] = seen.get(s, 0) + 1
    return [
        output / (f"{s}-{v.job_id[:8]}{suffix}" if seen[s] > 1 else f"{s}{suffix}")
        for s, v in zip(stems, videos, strict=True)
    ]


def _check_writable(folder: Path) -> None:
    probe = folder
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    if not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK):
        raise EditorialError(
            "Folder not writable", f"Cannot write into '{folder}' (permission denied or not a folder).",
            "Choose another folder.",
        )


def export_markers(
    store: Any,
    job_ids: Sequence[str],
    fmt: str,
    output: Path,
    *,
    options: MarkerOptions | None = None,
    write: WriteOptions | None = None,
    cancel: Any = None,
) -> ExportResult:
    """Write ``fmt`` for each job's segments: to ``output`` for one job (a file, or into it when it is an
    existing folder), one file per video into the folder ``output`` for several (see :func:`write_markers`)."""
    fmt = check_format(fmt)
    _check_options(options)
    if not job_ids:
        raise EditorialError("No jobs", "Choose at least one job to export.")
    jobs = []
    for job_id in job_ids:
        _check_cancel(cancel)
        jobs.append(load_job(store, job_id))
    return write_markers(jobs, fmt, output, options=options, write=write, cancel=cancel)


def export_moments(
    store: Any,
    matches: Sequence[tuple[str, Sequence[MomentLike], str]],
    fmt: str,
    output: Path,
    *,
    options: MarkerOptions | None = None,
    write: WriteOptions | None = None,
    cancel: Any = None,
) -> ExportResult:
    """Write ``fmt`` for Library matches, given as (JobId, its matching moments, the aggregation indexed):
    each moment a marker (``options`` may still filter them), files as :func:`export_markers` writes them."""
    fmt = check_format(fmt)
    _check_options(options)
    if not matches:
        raise EditorialError("No videos", "Choose at least one video to export.")
    jobs = []
    for job_id, moments, aggregation in matches:
        _check_cancel(cancel)
        jobs.append(load_moments(store, job_id, moments, aggregation))
    return write_markers(jobs, fmt, output, options=options or MOMENT_OPTIONS, write=write, cancel=cancel)


MOMENT_OPTIONS = MarkerOptions(merge_gap_ms=0)  # one marker per Library moment (they never touch)


def _check_options(options: MarkerOptions | None) -> None:
    problems = options.problems() if options is not None else []
    if problems:
        raise EditorialError("Invalid marker options", "; ".join(problems) + ".")


def _check_cancel(cancel: Any) -> None:
    if cancel is not None and getattr(cancel, "cancelled", False):
        raise EditorialError("Export cancelled", "Nothing was written.")


def write_markers(
    jobs: Sequence[JobSegments],
    fmt: str,
    output: Path,
    *,
    options: MarkerOptions | None = None,
    write: WriteOptions | None = None,
    cancel: Any = None,
) -> ExportResult:
    """Write the markers of loaded ``jobs``: to ``output`` for one (a file, or into it when it is an existing
    folder), one file per video into the folder ``output`` for several.

    Everything is checked and rendered before the first file is written: a frame rate of 0, bad options or
    a timecode that does not parse raise EditorialError and nothing is written. A video whose filters leave
    no marker is skipped (and said so); when that leaves nothing at all, EditorialError and nothing is
    written."""
    fmt = check_format(fmt)
    options = options or MarkerOptions()
    write = write or WriteOptions()
    _check_options(options)
    if not jobs:
        raise EditorialError("No jobs", "Choose at least one job to export.")
    output = Path(output)
    folder = len(jobs) > 1 or output.is_dir()
    videos = []
    for job in jobs:
        _check_cancel(cancel)
        videos.append(mark(job, options))
    result = ExportResult()
    for v in videos:
        if v.rate.note and v.rate.note not in result.notes:
            result.notes.append(v.rate.note)
    with_markers = [v for v in videos if v.markers]
    for v in videos:
        if not v.markers:
            result.skipped.append(f"{v.name}: no label span passes the filters")
    if not with_markers:
        names = ", ".join(v.name for v in videos)
        raise EditorialError(
            "No markers", f"The filters leave no marker in {names}; nothing was written.",
            "Lower the minimum confidence or duration, or choose other labels or categories.",
        )
    paths = output_paths(with_markers, fmt, output, folder=folder)
    texts = [render(v, fmt, write) for v in with_markers]
    target_dir = output if folder else output.parent
    _check_writable(target_dir)
    mode = export_mode()
    for path, text, v in zip(paths, texts, with_markers, strict=True):
        try:
            atomic_write_text(path, text, mode=mode)
        except OSError as exc:
            raise EditorialError(
                "Export failed", f"Could not write '{path}': {exc.strerror or exc}.",
                "Choose another folder." if not result.written else
                f"{len(result.written)} file(s) were written before it.",
            ) from exc
        result.written.append((path, len(v.markers)))
    return result


@dataclass(frozen=True)
class MarkerCount:
    """What an export with given options would write (the dialog's preview)."""

    total: int
    problems: tuple[str, ...] = ()  # jobs that would make the export fail, and why
    notes: tuple[str, ...] = ()  # frame rates rounded and the like


def count_markers(jobs: Sequence[JobSegments], options: MarkerOptions, fmt: str | None = None) -> MarkerCount:
    """How many markers ``options`` leave in the loaded ``jobs`` (see :func:`load_job`), and, given the
    format, the videos it cannot be written for."""
    total = 0
    notes: list[str] = []
    problems: list[str] = []
    for job in jobs:
        total += len(build_markers(job.segments, options, unit=job.unit))
        if job.rate.note and job.rate.note not in notes:
            notes.append(job.rate.note)
        problem = rate_problem(job.name, job.rate, fmt) if fmt is not None else None
        if problem is not None:
            problems.append(str(problem.message))
    return MarkerCount(total, tuple(problems), tuple(notes))
