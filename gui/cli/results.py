"""``rekognition-labeler results``: fetch a job's labels (if not stored yet) and export them."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from gui.cli import markers
from gui.cli.common import (
    EXIT_CODES_HELP,
    EXIT_FAILED,
    EXIT_OK,
    EXIT_PENDING,
    EXIT_STORE,
    EXIT_USAGE,
    CliError,
    connection_for,
    exit_code_for,
    open_store,
)
from gui.core.engine import fetch_job_results
from gui.core.errors import KnownError, explain
from gui.core.export import default_aggregation, render_export
from gui.core.jobstates import JobStatus
from gui.core.jobstore import JobRecord, JobStore
from gui.core.outputs import OutputError, describe, open_output
from gui.core.paths import AppPaths
from gui.core.results_fetch import fetch_and_store
from gui.core.results_store import SEGMENTS, ResultsStore
from gui.core.safetext import visible
from gui.core.wording import plural
from gui.options import add_connection_args


def add_parser(subparsers: Any) -> None:
    r = subparsers.add_parser("results", help="fetch (if needed) and export a job's labels", epilog=EXIT_CODES_HELP,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    add_connection_args(r)
    r.add_argument("jobs", nargs="+", metavar="JOB_ID",
                   help="AWS JobId, or the local job number shown by 'status' (several: marker formats)")
    r.add_argument("--format", required=True, choices=("json", "csv", "vtt", *markers.FORMATS))
    r.add_argument("-o", "--output", required=True, type=Path, metavar="FILE_OR_FOLDER",
                   help="the file to write (- for stdout), or the folder for marker formats")
    r.add_argument("--parents", action="store_true", help="create the output file's folder if it is missing")
    r.add_argument("--refetch", action="store_true", help="fetch from AWS even if stored locally")
    markers.add_arguments(r)


@dataclass
class _Target:
    job_id: str
    record: JobRecord | None


def run(args: argparse.Namespace, paths: AppPaths, out: TextIO, err: TextIO) -> int:
    marker_format = args.format in markers.FORMATS
    if marker_format:
        markers.marker_options(args)  # usage errors before anything is fetched
    elif len(args.jobs) > 1:
        raise CliError(f"--format {args.format} exports one job at a time", EXIT_USAGE)
    # markers are made from segments
    aggregation = SEGMENTS if marker_format else default_aggregation(args.format)
    store = open_store(paths, err)
    results = None
    try:
        targets = [_succeeded_target(store, text) for text in args.jobs]
        try:
            results = ResultsStore(paths.results_db)
        except KnownError as exc:
            raise CliError(str(exc.message), EXIT_STORE) from exc
        for target in targets:
            if args.refetch or not results.has_results(target.job_id, aggregation):
                fetch_target(args, store, results, target, err)
        if marker_format:
            return markers.export(args, results, [t.job_id for t in targets], out, err)
        target = targets[0]
        try:  # gui.core.outputs: '-' is stdout, devices and symlinks written through, atomic otherwise
            with open_output(args.output, make_parents=args.parents, stdout=out) as stream:
                try:
                    text, count = render_export(results, target.job_id, args.format)
                except KnownError as exc:
                    raise CliError(f"export failed: {explain(exc)}", EXIT_FAILED) from exc
                stream.write(text)
        except OutputError as exc:
            raise CliError(exc.message.text, EXIT_USAGE) from exc
        unit = {"json": "page", "csv": "row", "vtt": "cue"}[args.format]
        print(f"wrote {plural(count, unit)} to {describe(args.output)}", file=err if str(args.output) == "-" else out)
        return EXIT_OK
    finally:
        if results is not None:
            results.close()
        store.close()


def _succeeded_target(store: JobStore, text: str) -> _Target:
    """The job named by ``text``; CliError unless it succeeded (or is not in the job store)."""
    target = find_job(store, text)
    if target.record is not None and target.record.status is not JobStatus.SUCCEEDED:
        r = target.record
        code = EXIT_PENDING if r.status.is_active else EXIT_FAILED
        raise CliError(f"job {r.id} ({visible(r.video_uri)}) is {r.status.value}: no results"
                       + (f" ({visible(r.status_message)})" if r.status_message else ""), code)
    return target


def find_job(store: JobStore, text: str) -> _Target:
    if text.isdigit() and len(text) < 12:
        record = store.get(int(text))
        if record is None:
            raise CliError(f"no job number {text} in the job store (see 'rekognition-labeler status')", EXIT_USAGE)
        if not record.job_id:
            raise CliError(f"job {text} ({visible(record.video_uri)}) has no AWS JobId yet ({record.status.value})",
                           EXIT_PENDING if record.status.is_active else EXIT_FAILED)
        return _Target(record.job_id, record)
    return _Target(text, store.by_job_id(text))


def fetch_target(args: argparse.Namespace, store: JobStore, results: ResultsStore, target: _Target, err: TextIO) -> None:
    conn = connection_for(args)
    print(f"fetching the results of {target.job_id}…", file=err)
    try:
        client = conn.client("rekognition")
        if target.record is not None:
            fetch_job_results(store, results, client, target.record)
        else:  # a JobId this job store does not know (started elsewhere): nothing to update
            fetch_and_store(client, target.job_id, results)
    except Exception as exc:
        code = exit_code_for(exc)
        if isinstance(exc, KnownError) and exc.message.title == "Results not ready":
            code = EXIT_PENDING
        raise CliError(f"cannot fetch results: {explain(exc)}", code) from exc
