"""``rekognition-labeler results JOB_ID [JOB_ID ...] --format edl|resolve-edl|...``: label markers for
editors (see :mod:`gui.core.editorial`). The results command (:mod:`gui.cli.results`) calls :func:`run`
for these formats; :func:`add_arguments` adds the marker options to its parser."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from gui.core.editorial import FCPX_MODES, FORMATS
from gui.core.markers import DEFAULT_MERGE_GAP_MS
from gui.core.paths import AppPaths

__all__ = ["FORMATS", "add_arguments", "run"]


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


def run(args: argparse.Namespace, paths: AppPaths, out: TextIO, err: TextIO) -> int:
    """Fetch (when not stored) and export each job's markers; the exit codes are the results command's."""
    from gui.cli import common
    from gui.cli.results import _fetch, open_results, succeeded_target
    from gui.core.editorial import WriteOptions, export_markers
    from gui.core.errors import KnownError, explain
    from gui.core.markers import MarkerOptions, split_list
    from gui.core.results_store import SEGMENTS
    from gui.core.timecode import TimecodeError

    options = MarkerOptions(
        labels=split_list(args.labels),
        categories=split_list(args.categories),
        min_confidence=args.min_confidence,
        min_duration_ms=args.min_duration,
        merge_gap_ms=args.merge_gap,
    )
    problems = options.problems()
    if problems:
        raise common.CliError("; ".join(problems), common.EXIT_USAGE)
    store = common.open_store(paths, err)
    results = None
    try:
        targets = [succeeded_target(store, text) for text in args.jobs]
        results = open_results(paths)
        for target in targets:
            if args.refetch or not results.has_results(target.job_id, SEGMENTS):
                _fetch(args, store, results, target, err)
        try:
            result = export_markers(
                results,
                [t.job_id for t in targets],
                args.format,
                Path(args.output),
                options=options,
                write=WriteOptions(start_timecode=args.start_timecode, fcpx_mode=args.fcpx),
            )
        except TimecodeError as exc:
            raise common.CliError(f"--start-timecode: {explain(exc)}", common.EXIT_USAGE) from exc
        except (KnownError, OSError) as exc:
            raise common.CliError(f"export failed: {explain(exc)}", common.EXIT_FAILED) from exc
        for note in result.notes:
            print(f"note: {note}", file=err)
        for skipped in result.skipped:
            print(f"skipped: {skipped}", file=err)
        for path, count in result.written:
            print(f"wrote {count} marker(s) to {path}", file=out)
        return common.EXIT_OK
    finally:
        if results is not None:
            results.close()
        store.close()
