"""``rekognition-labeler search QUERY [--json] [--moments] [--markers FORMAT -o PATH]``: the Library view's
search, headless; ``--markers`` writes the matching moments as editor markers, as the view's export does.

It answers from the local results cache exactly as the window's Library view does (the same index, the
same :meth:`gui.core.library.Library.search`), after the same upkeep: jobs removed from the job list leave
the index, and a cache from before the index is indexed first (once).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, TextIO

from gui.cli.common import EXIT_FAILED, EXIT_OK, EXIT_STORE, EXIT_USAGE
from gui.cli.markers import run_export
from gui.core.editorial import FCPX_MODES, FORMATS, WriteOptions, export_moments
from gui.core.errors import KnownError
from gui.core.export import format_time
from gui.core.library import Library, prepare_library
from gui.core.library_export import iso_time, match_to_dict
from gui.core.library_query import QueryError
from gui.core.paths import AppPaths
from gui.core.results_store import ResultsStore
from gui.options import add_connection_args

# The CLI's exit codes (gui.cli.common) with this command's meanings.
EXIT_MATCHES = EXIT_OK
EXIT_NO_MATCH = EXIT_FAILED
EXIT_BAD_QUERY = EXIT_USAGE

GRAMMAR_HELP = """\
query grammar:
  Dog                      videos where a Dog label was detected (aliases match: Human finds Person)
  "Soccer Ball"            quotes for names with spaces
  Dog>=90   Dog>90         a minimum confidence (0-100) for that term
  category:"Animals and Pets"   any label of a category (category:Food>=80 too)
  bucket:my-videos         videos in that bucket;  prefix:family/2024/  keys starting so
  Dog Beach                both (AND is implied);  Dog OR Cat;  NOT Cat;  ( ) to group
  precedence: NOT, then AND, then OR; AND/OR/NOT are keywords in capitals only

output: one video per line (uri, job id, duration, analysed at, label count, preset), tab-separated;
  --moments adds one indented line per matching moment (label, start, end, confidence).
  --markers FORMAT -o PATH writes the matching moments as editor markers instead (one marker per moment;
  edl, resolve-edl, fcp7xml, fcpxml, otio, markers-csv, vtt-chapters), one file per video into the
  folder PATH when several videos match, and prints one "wrote" line per file.

exit codes:
  0    at least one video matched
  1    no video matched (nothing written), or the markers could not be written
  2    the query or an option is not valid (the message says where)
  5    the results cache is unusable (newer version, unreadable, ...)
"""


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "search",
        help="find videos (and moments) in the stored results",
        description="Search every analysed video in the local results cache, as the window's Library does.",
        epilog=GRAMMAR_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_connection_args(p)
    p.add_argument("query", metavar="QUERY", help='e.g. \'Dog>=90 Beach NOT Cat\' (quote it for the shell)')
    p.add_argument("--json", action="store_true", help="print one JSON array of matching videos")
    p.add_argument("--moments", action="store_true", help="list the matching moments of each video")
    p.add_argument("--markers", choices=FORMATS, metavar="FORMAT",
                   help="write the matching moments as editor markers: " + ", ".join(FORMATS))
    p.add_argument("-o", "--output", type=Path, metavar="FILE_OR_FOLDER",
                   help="with --markers: the file (one video) or folder (several) to write")
    p.add_argument("--start-timecode", metavar="TC",
                   help="with --markers: timeline start (default 01:00:00:00 for EDLs, 00:00:00:00 otherwise)")
    p.add_argument("--fcpx", choices=FCPX_MODES, default="markers",
                   help="with --markers fcpxml: moments as markers or as keyword ranges (default markers)")


def run(args: argparse.Namespace, paths: AppPaths, out: TextIO, err: TextIO) -> int:
    if (args.markers is None) != (args.output is None):
        print("error: --markers FORMAT and -o PATH go together", file=err)
        return EXIT_USAGE
    if args.markers is not None and args.json:
        print("error: --markers writes files; it does not go with --json", file=err)
        return EXIT_USAGE
    try:
        store = ResultsStore(paths.results_db)
    except KnownError as exc:
        print(f"error: {exc.message}", file=err)
        return EXIT_STORE
    library = Library.for_store(store)
    try:
        if store.problem:
            print(f"warning: {store.problem}", file=err)

        def announce(total: int) -> None:
            print(f"indexing {total} stored job(s) for the library (once)…", file=err)

        for warning in prepare_library(library, paths.jobs_db, announce=announce):
            print(f"warning: {warning}", file=err)
        try:
            matches = library.search(args.query)
        except QueryError as exc:
            print(f"error: bad query: {exc}", file=err)
            print("  " + exc.pointer().replace("\n", "\n  "), file=err)
            return EXIT_BAD_QUERY
        if args.markers is not None:
            return _write_markers(store, list(matches), args, out, err)
        count = _write_json(matches, out, args.moments) if args.json else _write_lines(matches, out, args.moments)
        return EXIT_MATCHES if count else EXIT_NO_MATCH
    finally:
        library.close()
        store.close()


def _write_json(matches: Any, out: TextIO, moments: bool) -> int:
    count = 0
    out.write("[")
    for match in matches:  # streamed: the first videos print before the last are read
        out.write(",\n" if count else "\n")
        out.write(json.dumps(match_to_dict(match, moments=moments), ensure_ascii=False))
        count += 1
    out.write("\n]\n" if count else "]\n")
    out.flush()
    return count


def _write_lines(matches: Any, out: TextIO, moments: bool) -> int:
    count = 0
    for m in matches:
        fields = [m.uri, m.job_id, format_time(m.duration_ms), iso_time(m.analysed_at) or "",
                  f"{m.label_count} label{'' if m.label_count == 1 else 's'}", m.preset or ""]
        out.write("\t".join(fields).rstrip("\t") + "\n")
        if moments:
            for x in m.moments:
                out.write(f"\t{x.label}\t{format_time(x.start_ms)}\t{format_time(x.end_ms)}\t{x.confidence:.1f}\n")
        count += 1
    out.flush()
    return count


def _write_markers(store: ResultsStore, matches: list[Any], args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """The moments of ``matches`` as editor markers (the Library view's export, same defaults)."""
    with_moments = [m for m in matches if m.moments]
    if not with_moments:
        print("no video matched: nothing written", file=err)
        return EXIT_NO_MATCH
    write = WriteOptions(start_timecode=args.start_timecode, fcpx_mode=args.fcpx)
    return run_export(
        lambda: export_moments(store, [(m.job_id, m.moments, m.aggregation) for m in with_moments], args.markers,
                               Path(args.output), write=write),
        out, err,
    )
