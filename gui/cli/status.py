"""``rekognition-labeler status``: list jobs from the job store (optionally asking AWS first)."""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TextIO

from gui.cli.common import (
    EXIT_CODES_HELP,
    EXIT_CONNECTION,
    EXIT_OK,
    CliError,
    connection_for,
    fail,
    open_store,
    record_to_dict,
)
from gui.core.cost import format_duration
from gui.core.engine import resolve_scope
from gui.core.jobstates import JobStatus
from gui.core.jobstore import JobRecord, JobStore
from gui.core.paths import AppPaths
from gui.core.poller import Poller
from gui.core.safetext import visible
from gui.options import add_connection_args


def add_parser(subparsers: Any) -> None:
    s = subparsers.add_parser("status", help="list jobs from the job store", epilog=EXIT_CODES_HELP,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    add_connection_args(s)
    s.add_argument("--json", action="store_true", help="print JSON (one array of job objects)")
    s.add_argument("--status", dest="statuses", action="append", choices=[x.value for x in JobStatus],
                   help="only jobs in this state (repeatable)")
    s.add_argument("--refresh", action="store_true",
                   help="ask AWS for the status of jobs in progress first (needs a connection)")


def run(args: argparse.Namespace, paths: AppPaths, out: TextIO, err: TextIO) -> int:
    store = open_store(paths, err)
    try:
        if args.refresh:
            _refresh(args, store)
        statuses = [JobStatus(s) for s in args.statuses] if args.statuses else None
        records = store.jobs(statuses=statuses)
        if args.region:
            records = [r for r in records if r.region == args.region]
        if args.endpoint_url:
            records = [r for r in records if r.endpoint == args.endpoint_url]
        if args.json:
            json.dump([record_to_dict(r) for r in records], out, indent=2)
            out.write("\n")
        else:
            out.write(format_table(records, now=time.time()))
        return EXIT_OK
    finally:
        store.close()


def _refresh(args: argparse.Namespace, store: JobStore) -> None:
    conn = connection_for(args)
    try:
        scope = resolve_scope(conn.client, conn.region, conn.endpoint_url)
    except Exception as exc:
        raise fail(exc, "cannot connect", conn) from exc
    poller = Poller(store, conn.client, scope)
    for job in store.jobs(scope, statuses=[JobStatus.IN_PROGRESS]):
        if job.job_id:
            poller.poll(job, time.time())
    if poller.problem is not None:
        raise CliError(f"cannot refresh: {poller.problem}", EXIT_CONNECTION)


def format_table(records: Sequence[JobRecord], *, now: float) -> str:
    if not records:
        return "no jobs\n"
    header = ("ID", "STATUS", "SUBMITTED", "ELAPSED", "LABELS", "VIDEO", "JOB ID")
    rows = []
    for r in records:
        rows.append(
            (
                str(r.id),
                r.status.value,
                datetime.fromtimestamp(r.submitted_at).strftime("%Y-%m-%d %H:%M"),
                format_duration(r.elapsed(now)),
                "" if r.label_count is None else str(r.label_count),
                visible(r.video_uri),
                visible(r.job_id or ""),
            )
        )
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
    for r, row in zip(records, rows, strict=True):
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if r.status in (JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.QUEUED) and r.status_message:
            lines.append(f"{'':>{widths[0]}}  ↳ {visible(r.status_message)}")
    return "\n".join(lines) + "\n"
