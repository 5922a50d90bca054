"""``rekognition-labeler submit``: queue one job per video and start them, as the window does."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from gui.cli.common import (
    EXIT_CODES_HELP,
    EXIT_CONNECTION,
    EXIT_FAILED,
    EXIT_OK,
    EXIT_PENDING,
    EXIT_USAGE,
    CliError,
    connection_for,
    exit_code_for,
    fail,
    open_store,
)
from gui.core.channel_check import WHY_NO_MESSAGES, Level, blocking, check_channel
from gui.core.connection import Connection
from gui.core.cost import estimate
from gui.core.engine import JobEngine, JobPreferences, resolve_scope
from gui.core.errors import KnownError, UserMessage, error_code, explain
from gui.core.jobstates import JobStatus
from gui.core.jobstore import JobRecord, JobStore
from gui.core.paths import AppPaths
from gui.core.poller import PollPolicy
from gui.core.presets import PresetStore
from gui.core.s3browse import S3Browser, parse_s3_uri
from gui.core.safetext import visible
from gui.core.submitter import SubmitPolicy
from gui.core.types import JobSettings, NotificationChannel, S3Object
from gui.core.validation import notification_problems, settings_problems
from gui.core.wording import plural
from gui.options import add_connection_args, positive_float, positive_int


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "submit",
        help="queue and start label detection on videos",
        description="Queue one job per video and start them (at most K at once, as the window does). "
        "A video already submitted with the same settings is not submitted again (see --force); one "
        "whose job failed or was cancelled is retried.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_connection_args(p)
    p.add_argument("uris", nargs="+", metavar="s3://bucket/key-or-prefix/", help="videos, or prefixes ending in /")
    preset = p.add_mutually_exclusive_group()
    preset.add_argument("--preset", metavar="NAME", help="settings from a saved or built-in preset")
    preset.add_argument("--preset-file", metavar="FILE", type=Path, help="settings from a preset file")
    p.add_argument("--min-confidence", type=float, metavar="N", help="MinConfidence, 0-100 (overrides the preset)")
    p.add_argument("--job-tag", metavar="T", help="JobTag (overrides the preset)")
    p.add_argument("--sns-topic-arn", metavar="ARN",
                   help="NotificationChannel topic (with --role-arn; overrides the preset; '' for none)")
    p.add_argument("--role-arn", metavar="ARN",
                   help="NotificationChannel role Rekognition publishes through (with --sns-topic-arn)")
    p.add_argument("--check-channel", action="store_true",
                   help="before queueing, check the NotificationChannel (topic region, role, its trust and its "
                        "permission to publish); a sure problem stops with exit 2, an unknown is a warning")
    p.add_argument("--recursive", action="store_true", help="include videos in sub-folders of a prefix")
    p.add_argument("--wait", action="store_true", help="block until every job has ended")
    p.add_argument("--timeout", type=positive_float, metavar="S", help="with --wait: give up waiting after S seconds (exit 4)")
    p.add_argument("--force", action="store_true", help="submit videos again even if already submitted alike")
    p.add_argument("--max-concurrent", type=positive_int, metavar="K", help="jobs in progress at once (default: preferences)")
    p.add_argument("--poll-interval", type=positive_float, metavar="S", help="first status check after S s (default 5)")
    p.add_argument("--poll-max", type=positive_float, metavar="S", help="longest wait between checks of a job (default 60)")
    p.add_argument("--retry-max", type=positive_float, default=60.0, metavar="S",
                   help="longest wait between two retries after throttling or a dropped connection (default 60)")
    p.add_argument("--give-up-after", type=positive_float, default=120.0, metavar="S",
                   help="exit 3 when the endpoint stays unreachable this long (default 120)")
    p.add_argument("--progress", choices=("auto", "bar", "lines"), default="auto",
                   help="a progress bar on a terminal, plain lines otherwise (default auto)")


def settings_for(args: argparse.Namespace, paths: AppPaths) -> tuple[JobSettings, str | None]:
    """Settings from --preset/--preset-file (or defaults), then the flags; validated like the window."""
    settings = JobSettings()
    name: str | None = None
    if args.preset or args.preset_file:
        store = PresetStore(paths)
        if args.preset_file:
            try:
                preset = store.read_file(args.preset_file)
            except KnownError as exc:
                raise CliError(str(exc.message), EXIT_USAGE) from exc
        else:
            store.load()
            found = store.get(args.preset)
            if found is None:
                names = ", ".join(store.names()) or "none"
                raise CliError(f"no preset named '{args.preset}' (available: {names})", EXIT_USAGE)
            preset = found
        settings, name = preset.settings, preset.name
    if args.min_confidence is not None:
        settings = replace(settings, min_confidence=args.min_confidence)
    if args.job_tag is not None:
        settings = replace(settings, job_tag=args.job_tag or None)
    if args.sns_topic_arn is not None or args.role_arn is not None:
        topic, role = (args.sns_topic_arn or "").strip(), (args.role_arn or "").strip()
        problems = notification_problems(topic, role)
        if problems:
            raise CliError("invalid settings:\n  " + "\n  ".join(str(p) for p in problems), EXIT_USAGE)
        settings = replace(settings, notification=NotificationChannel(topic, role) if topic else None)
    problems = settings_problems(settings)
    if problems:
        raise CliError("invalid settings:\n  " + "\n  ".join(str(p) for p in problems), EXIT_USAGE)
    return settings, name


def expand_uris(conn: Connection, uris: Sequence[str], recursive: bool) -> tuple[list[S3Object], list[str], int]:
    """Videos named by ``uris`` (keys, or prefixes ending in '/'); problems; non-video objects skipped."""
    browser = S3Browser(conn.client, conn.region)
    videos: list[S3Object] = []
    problems: list[str] = []
    skipped = 0
    for uri in uris:
        try:
            bucket, key = parse_s3_uri(uri)
        except ValueError as exc:
            problems.append(f"{uri}: {exc}")
            continue
        try:
            browser.region_of(bucket)
        except Exception as exc:
            if exit_code_for(exc) == EXIT_CONNECTION:
                raise fail(exc, "cannot reach S3", conn) from exc
            if error_code(exc) in {"404", "NoSuchBucket", "NotFound"}:
                problems.append(f"{uri}: bucket '{bucket}' not found")
            else:
                problems.append(f"{uri}: {explain(exc)}")
            continue
        try:
            if key == "" or key.endswith("/"):
                found, other = _list_prefix(browser, bucket, key, recursive)
                skipped += other
                if not found:
                    hint = "" if recursive else " (add --recursive to include sub-folders)"
                    problems.append(f"{uri}: no videos there{hint}")
                videos += found
                continue
            obj = _head(browser, bucket, key)
            if obj is None and recursive:
                found, other = _list_prefix(browser, bucket, key + "/", True)
                if found:
                    videos += found
                    skipped += other
                    continue
            if obj is None:
                problems.append(f"{uri}: object not found")
            elif obj.ineligible_reason:
                problems.append(f"{uri}: {obj.ineligible_reason}")
            else:
                videos.append(obj)
        except Exception as exc:
            code = exit_code_for(exc)
            if code == EXIT_CONNECTION:
                raise fail(exc, "cannot reach S3", conn) from exc
            problems.append(f"{uri}: {explain(exc)}")
    return videos, problems, skipped


def _list_prefix(browser: S3Browser, bucket: str, prefix: str, recursive: bool) -> tuple[list[S3Object], int]:
    objects: list[S3Object] = []
    if recursive:
        objects = browser.all_videos(bucket, prefix)
    else:
        for page in browser.iter_prefix(bucket, prefix):
            objects += page.objects
    videos = [o for o in objects if o.ineligible_reason is None]
    return videos, len(objects) - len(videos)


def _head(browser: S3Browser, bucket: str, key: str) -> S3Object | None:
    s3 = browser.client_for(bucket)
    try:
        head = s3.head_object(Bucket=bucket, Key=key)
    except Exception as exc:
        if error_code(exc) in {"404", "NoSuchKey", "NotFound"}:
            return None
        raise
    etag = head.get("ETag")
    return S3Object(bucket, key, int(head.get("ContentLength") or 0), head.get("LastModified"),
                    etag.strip('"') if etag else None)


def check_notification_channel(settings: JobSettings, conn: Connection, err: TextIO) -> None:
    """Say what is wrong with the settings' NotificationChannel before anything is queued; CliError (exit 2)
    when completion messages would surely not arrive."""
    channel = settings.notification
    if channel is None:
        print("note: no NotificationChannel to check (the jobs are polled)", file=err)
        return
    findings = check_channel(conn.client, channel.sns_topic_arn, channel.role_arn, conn.region)
    for f in findings:
        if f.level is not Level.OK:
            print(f"{'error' if f.level is Level.PROBLEM else 'warning'}: {f.subject}: {f.message}", file=err)
    if blocking(findings):
        raise CliError(f"the notification channel would not deliver completion messages; nothing was queued. "
                       f"{WHY_NO_MESSAGES}", EXIT_USAGE)
    print("notification channel checked: " + ("OK" if all(f.level is Level.OK for f in findings)
                                               else "could not check everything, going on"), file=err)


def run(args: argparse.Namespace, paths: AppPaths, out: TextIO, err: TextIO) -> int:
    settings, preset = settings_for(args, paths)
    prefs = JobPreferences.load(paths)
    if args.max_concurrent is not None:
        if args.max_concurrent < 1:
            raise CliError("--max-concurrent must be at least 1", EXIT_USAGE)
        prefs.max_active = args.max_concurrent
    if args.poll_interval is not None:
        prefs.poll_first = max(0.01, args.poll_interval)
    if args.poll_max is not None:
        prefs.poll_max = max(prefs.poll_first, args.poll_max)
    prefs.poll_max = max(prefs.poll_max, prefs.poll_first)
    if args.retry_max <= 0:
        raise CliError("--retry-max must be more than 0", EXIT_USAGE)
    retry_max = args.retry_max
    conn = connection_for(args)
    store = open_store(paths, err)
    try:
        try:
            scope = resolve_scope(conn.client, conn.region, conn.endpoint_url)
        except Exception as exc:
            raise fail(exc, "cannot connect", conn) from exc
        if args.check_channel:
            check_notification_channel(settings, conn, err)
        videos, problems, skipped = expand_uris(conn, args.uris, args.recursive)
        if problems:
            for p in problems:
                print(f"error: {visible(str(p))}", file=err)
            raise CliError("nothing was queued", EXIT_USAGE)
        if skipped:
            print(f"note: {plural(skipped, 'object')} skipped (not videos Rekognition accepts)", file=err)

        tracker = _Tracker()
        engine = JobEngine(
            store,
            conn.client,
            scope,
            preferences=prefs,
            submit_policy=SubmitPolicy(max_active=prefs.max_active, limit_wait=min(5.0, retry_max),
                                       backoff_base=min(1.0, retry_max), backoff_max=retry_max),
            poll_policy=PollPolicy(first_delay=prefs.poll_first, max_interval=prefs.poll_max,
                                   min_gap=min(0.2, prefs.poll_first / 4), backoff_base=min(2.0, retry_max),
                                   backoff_max=retry_max),
            on_problem=tracker.problem,
        )
        plan = engine.plan(videos, settings, preset=preset)
        durations = [_duration(store, v) for v in videos]
        print(estimate(durations, prefs.price_per_minute).describe(), file=err)
        # The plan was a preview: another CLI or the window may have queued the same videos since; the
        # engine's rule (gui.core.duplicates) checks again in the insert's own transaction.
        outcome = engine.submit_plan(plan, settings, preset=preset, include_duplicates=args.force,
                                     retry_ended=True)
        records = list(outcome.added)
        resubmit = [r.id for r in outcome.retried]
        reused = len(outcome.skipped)
        tracked = [r.id for r in outcome.skipped] + [r.id for r in records] + resubmit
        print(
            f"queued {plural(len(records), 'new job')}"
            + (f", retrying {len(resubmit)}" if resubmit else "")
            + (f"; {reused} already submitted with the same settings (use --force to submit again)" if reused else ""),
            file=err,
        )
        return _run_until_done(engine, store, tracked, args, out, err, tracker)
    finally:
        store.close()


def _duration(store: JobStore, video: S3Object) -> float | None:
    ms = store.known_duration_ms(video.uri)
    return ms / 1000.0 if ms else None


class _Tracker:
    """Remembers the engine's problems (reported from its threads)."""

    def __init__(self) -> None:
        self.message: UserMessage | None = None
        self.since: float | None = None

    def problem(self, message: UserMessage | None) -> None:
        if message is None:
            self.message, self.since = None, None
        else:
            if self.since is None:
                self.since = time.monotonic()
            self.message = message


def _run_until_done(engine: JobEngine, store: JobStore, tracked: list[int], args: argparse.Namespace, out: TextIO,
                    err: TextIO, tracker: _Tracker) -> int:
    tty = args.progress == "bar" or (args.progress == "auto" and err.isatty())
    progress = ProgressReporter(err, tty=tty, wait=args.wait)
    deadline = time.monotonic() + args.timeout if args.timeout else None
    engine.start()
    try:
        while True:
            records = store.jobs(ids=tracked, include_removed=True) if tracked else []
            progress.update(records)
            if _done(records, args.wait):
                break
            paused = engine.paused
            if paused is not None:
                progress.close()
                raise CliError(f"submission paused: {paused}", EXIT_CONNECTION)
            if tracker.since is not None and time.monotonic() - tracker.since > args.give_up_after:
                progress.close()
                raise CliError(
                    f"giving up after {args.give_up_after:.0f} s: {tracker.message}. "
                    "Queued jobs stay in the job store; run the same command again to resume.",
                    EXIT_CONNECTION,
                )
            if deadline is not None and time.monotonic() > deadline:
                progress.close()
                print(f"timed out after {args.timeout:.0f} s; jobs continue (see 'rekognition-labeler status')",
                      file=err)
                return EXIT_PENDING
            time.sleep(0.2 if tty else 0.1)
    finally:
        engine.stop(timeout=5.0)
    progress.close()
    counts = {s: 0 for s in JobStatus}
    for r in records:
        counts[r.status] += 1
    parts = [f"{n} {s.value.lower()}" for s, n in counts.items() if n]
    print(", ".join(parts) if parts else "no jobs", file=out)
    if counts[JobStatus.FAILED] or counts[JobStatus.CANCELLED]:
        for r in records:
            if r.status in (JobStatus.FAILED, JobStatus.CANCELLED):
                print(f"{r.status.value}: {visible(r.video_uri)}: {visible(r.status_message or '')}", file=err)
        return EXIT_FAILED
    return EXIT_OK


def _done(records: Sequence[JobRecord], wait: bool) -> bool:
    if wait:
        return all(r.status.is_terminal for r in records)
    return all(r.status not in (JobStatus.QUEUED, JobStatus.SUBMITTING) for r in records)


class ProgressReporter:
    """A one-line bar redrawn in place on a terminal; otherwise one plain line per change of state."""

    WIDTH = 30

    def __init__(self, stream: TextIO, *, tty: bool, wait: bool, clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream
        self.tty = tty
        self.wait = wait
        self.clock = clock
        self._seen: dict[int, JobStatus] = {}
        self._drawn = False
        self._start = clock()

    def update(self, records: Sequence[JobRecord]) -> None:
        if self.tty:
            self._bar(records)
            return
        for r in records:
            if self._seen.get(r.id) is r.status:
                continue
            self._seen[r.id] = r.status
            if r.status is JobStatus.SUBMITTING or (r.status is JobStatus.QUEUED and not r.status_message):
                continue  # transient states: only noise in a log
            extra = ""
            if r.status is JobStatus.IN_PROGRESS and r.job_id:
                extra = f" {r.job_id}"
            elif r.status in (JobStatus.FAILED, JobStatus.CANCELLED) and r.status_message:
                extra = f" {r.status_message}"
            elif r.status is JobStatus.QUEUED and r.status_message:
                extra = f" ({r.status_message})"
            print(f"{r.status.value:<11} {visible(r.video_uri + extra)}", file=self.stream, flush=True)

    def _bar(self, records: Sequence[JobRecord]) -> None:
        total = len(records) or 1
        counts = {s: 0 for s in JobStatus}
        for r in records:
            counts[r.status] += 1
        ended = sum(counts[s] for s in JobStatus if s.is_terminal)
        done = ended if self.wait else ended + counts[JobStatus.IN_PROGRESS]
        filled = int(self.WIDTH * done / total)
        elapsed = int(self.clock() - self._start)
        line = (
            f"\r[{'#' * filled}{'.' * (self.WIDTH - filled)}] {done}/{len(records)} "
            f"{'ended' if self.wait else 'started'} · {counts[JobStatus.IN_PROGRESS]} in progress · "
            f"{counts[JobStatus.QUEUED] + counts[JobStatus.SUBMITTING]} queued · "
            f"{counts[JobStatus.FAILED]} failed · {elapsed // 60}:{elapsed % 60:02d}"
        )
        self.stream.write(line + "\x1b[K")
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        if self.tty and self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False


