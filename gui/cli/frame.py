"""``rekognition-labeler frame JOB_ID --at MS | --label NAME -o frame.png [--boxes]``.

Writes the frame shown at a moment (or at a label's best detection) as a PNG at the video's own
resolution, rotation applied, with the same boxes the window draws. The video is read from S3 with
ranged GETs (a few hundred kilobytes to a few megabytes), never downloaded whole.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from gui.cli.common import (
    EXIT_CONNECTION,
    EXIT_FAILED,
    EXIT_OK,
    EXIT_PENDING,
    EXIT_STORE,
    EXIT_USAGE,
    CliError,
    connection_for,
    exit_code_for,
    fail,
    open_store,
)
from gui.cli.results import fetch_target, find_job
from gui.core.errors import KnownError
from gui.core.export import format_time
from gui.core.jobstates import JobStatus
from gui.core.results_store import TIMESTAMPS, ResultsStore
from gui.core.s3range import OFFLINE, PAST_END, RangeSource, VideoUnavailable
from gui.options import add_connection_args

FRAME_EXIT_HELP = """\
exit codes:
  0    the PNG was written
  1    the video cannot be shown (deleted, access denied, changed since the job, empty, undecodable),
       the job failed, or the PNG could not be written
  2    bad arguments: no such job, a time past the end of the video, a label the job never detected
  3    no credentials, credentials rejected, or S3 could not be reached
  4    the job has not ended yet
  5    the job database or data folder is unusable
"""


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "frame",
        help="write the video frame at a moment (with its label boxes) as a PNG",
        description="Write the frame shown at a moment of a job's video as a PNG, at the video's own "
        "resolution, read from S3 with ranged GETs (no download of the whole video).",
        epilog=FRAME_EXIT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_connection_args(p)
    p.add_argument("job", metavar="JOB_ID", help="AWS JobId, or the local job number shown by 'status'")
    when = p.add_mutually_exclusive_group(required=True)
    when.add_argument("--at", type=int, metavar="MS", help="milliseconds from the start of the video")
    when.add_argument("--label", metavar="NAME", help="the moment of this label's highest-confidence detection")
    p.add_argument("-o", "--output", required=True, type=Path, metavar="FILE", help="the PNG to write")
    p.add_argument("--boxes", action="store_true",
                   help="draw the bounding boxes of the labels detected at that moment (always with --label)")


def run(args: argparse.Namespace, paths: Any, out: TextIO, err: TextIO) -> int:
    from gui.core.boxes import save_png  # Pillow: loaded only for this command
    from gui.core.frames import Video  # PyAV and numpy: loaded only for this command
    from gui.core.moments import BoxIndex, LabelMoments, pin_for_job, render_moment  # numpy, as above

    if args.at is not None and args.at < 0:
        raise CliError("--at must be 0 or more milliseconds", EXIT_USAGE)
    store = open_store(paths, err)
    results = None
    try:
        target = find_job(store, args.job)
        record = target.record
        if record is not None and record.status is not JobStatus.SUCCEEDED:
            code = EXIT_PENDING if record.status.is_active else EXIT_FAILED
            raise CliError(f"job {record.id} ({record.video_uri}) is {record.status.value}: no frames to show", code)
        try:
            results = ResultsStore(paths.results_db)
        except KnownError as exc:
            raise CliError(str(exc.message), EXIT_STORE) from exc
        boxes = args.boxes or args.label is not None
        need_results = boxes or record is None
        if need_results and not results.has_results(target.job_id, TIMESTAMPS):
            fetch_target(args, store, results, target, err)
        video_uri = record.video_uri if record is not None else ""
        if not video_uri:
            summary = results.summary(target.job_id)
            video_uri = summary.video_uri if summary is not None else ""
        if not video_uri:
            raise CliError(f"job {target.job_id}: the video it analysed is not known locally", EXIT_USAGE)
        at = args.at
        if args.label is not None:
            best = LabelMoments.from_store(results, target.job_id, args.label).best()
            if best is None:
                raise CliError(f"job {target.job_id} has no detection of the label '{args.label}'", EXIT_USAGE)
            at = best.timestamp_ms
        index = BoxIndex.from_store(results, target.job_id) if boxes else None
        conn = connection_for(args)
        try:
            client = conn.client("s3", record.region if record is not None else None)
        except Exception as exc:
            raise fail(exc, "cannot connect", conn) from exc
        pin = pin_for_job(record, video_uri)
        try:
            with Video(RangeSource(client, pin)) as video:
                rendered = render_moment(video, index, at, boxes=boxes)
        except VideoUnavailable as exc:
            code = {OFFLINE: EXIT_CONNECTION, PAST_END: EXIT_USAGE}.get(exc.reason, EXIT_FAILED)
            raise CliError(str(exc.message), code) from exc
        except Exception as exc:
            if exit_code_for(exc) == EXIT_CONNECTION:
                raise fail(exc, "cannot reach S3", conn) from exc
            raise fail(exc, "cannot read the video", conn) from exc
        try:
            save_png(rendered.rgb, args.output)
        except (OSError, ValueError) as exc:
            raise CliError(f"cannot write {args.output}: {getattr(exc, 'strerror', None) or exc}", EXIT_FAILED) from exc
        frame = rendered.frame
        drawn = f", {len(rendered.boxes)} box{'es' if len(rendered.boxes) != 1 else ''}" if boxes else ""
        print(f"wrote the {frame.width}x{frame.height} frame at {format_time(frame.time_ms)}{drawn} to {args.output}",
              file=out)
        return EXIT_OK
    finally:
        if results is not None:
            results.close()
        store.close()
