"""``rekognition-labeler results JOB_ID [JOB_ID ...] --format edl|resolve-edl|...``: label markers for
editors (see :mod:`gui.core.editorial`). The results command (:mod:`gui.cli.results`) finds and fetches
the jobs, then calls :func:`export` for these formats; :func:`add_arguments` adds the marker options."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from gui.cli.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, CliError
from gui.core.editorial import FCPX_MODES, FORMATS, ExportResult, WriteOptions, export_markers
from gui.core.errors import KnownError, explain
from gui.core.markers import DEFAULT_MERGE_GAP_MS, MarkerOptions, split_list
from gui.core.timecode import TimecodeError
from gui.core.wording import plural

__all__ = ["FORMATS", "add_arguments", "export", "marker_options", "run_export"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "marker formats",
        "edl, resolve-edl, fcp7xml, fcpxml, otio, markers-csv, vtt-chapters: one marker per label span "
        "(segments merged across short gaps). Several jobs: one file per video into the folder -o.",
    )
    group.add_argument("--labels", metavar="A,B", default="", help="only these labels (comma-separated)")
    group.add_argument("--categories", metavar="C,D", default="", help="only labels in these categories")
    group.add_argument("--min-confidence", type=float, default=0.0, metavar="N",
                       help="leave out segments below N%% confidence (default 0)")
    group.add_argument("--min-duration", type=int, default=0, metavar="MS",
                       help="leave out markers shorter than MS milliseconds (default 0)")
    group.add_argument("--merge-gap", type=int, default=DEFAULT_MERGE_GAP_MS, metavar="MS",
                       help=f"merge segments of a label less than MS apart (default {DEFAULT_MERGE_GAP_MS})")
    group.add_argument("--start-timecode", metavar="TC",
                       help="timeline start (default 01:00:00:00 for EDLs, 00:00:00:00 otherwise)")
    group.add_argument("--fcpx", choices=FCPX_MODES, default="markers",
                       help="fcpxml: label spans as markers or as keyword ranges (default markers)")


def marker_options(args: argparse.Namespace) -> MarkerOptions:
    """The marker options of the command line; CliError (usage) when out of range."""
    options = MarkerOptions(
        labels=split_list(args.labels),
        categories=split_list(args.categories),
        min_confidence=args.min_confidence,
        min_duration_ms=args.min_duration,
        merge_gap_ms=args.merge_gap,
    )
    problems = options.problems()
    if problems:
        raise CliError("; ".join(problems), EXIT_USAGE)
    return options


def export(args: argparse.Namespace, results: Any, job_ids: list[str], out: TextIO, err: TextIO) -> int:
    """Write the markers of ``job_ids`` (their segments stored in ``results``) as ``args`` ask."""
    options = marker_options(args)
    write = WriteOptions(start_timecode=args.start_timecode, fcpx_mode=args.fcpx)
    return run_export(
        lambda: export_markers(results, job_ids, args.format, Path(args.output), options=options, write=write),
        out, err,
    )


def run_export(write: Callable[[], ExportResult], out: TextIO, err: TextIO) -> int:
    """Run a marker export (a job's segments, or the Library's moments) and say what it wrote: one "wrote"
    line per file on ``out``, notes and skipped videos on ``err``; CliError when it fails."""
    try:
        result = write()
    except TimecodeError as exc:
        raise CliError(f"--start-timecode: {explain(exc)}", EXIT_USAGE) from exc
    except (KnownError, OSError) as exc:
        raise CliError(f"export failed: {explain(exc)}", EXIT_FAILED) from exc
    for note in result.notes:
        print(f"note: {note}", file=err)
    for skipped in result.skipped:
        print(f"skipped: {skipped}", file=err)
    for path, count in result.written:
        print(f"wrote {plural(count, 'marker')} to {path}", file=out)
    return EXIT_OK
