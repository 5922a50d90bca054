"""The headless companion: ``rekognition-labeler submit | status | results`` (no Qt imported).

It uses the same job store, queue, ClientRequestTokens and retries as the window
(:class:`gui.core.submitter.JobEngine`), so jobs started here appear in the window's job list and the
other way round, and a job queued by one is started by whichever runs next.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from gui import cli_presets
from gui.core.errors import KnownError, UserMessage, error_code, explain
from gui.core.jobstates import JobStatus
from gui.core.jobstore import JobRecord, JobStore, JobStoreError
from gui.core.paths import AppPaths, resolve_paths
from gui.core.types import JobSettings, S3Object
from gui.options import add_connection_args, positive_float, positive_int

log = logging.getLogger(__name__)

EXIT_OK = 0  # every job succeeded (submit --wait), was started (submit), or the command did its work
EXIT_FAILED = 1  # at least one job failed or was cancelled; or results could not be exported
EXIT_USAGE = 2  # bad arguments, preset, settings or S3 URIs (nothing was queued)
EXIT_CONNECTION = 3  # no credentials, rejected credentials, or the endpoint could not be reached
EXIT_PENDING = 4  # --timeout passed with jobs still running, or results asked of a job not ended
EXIT_STORE = 5  # the job database or data folder is unusable (newer version, read-only, ...)
EXIT_INTERRUPTED = 130  # Ctrl-C / SIGTERM: queued jobs stay in the store and resume next time

EXIT_CODES_HELP = """\
exit codes:
  0    all jobs succeeded (--wait) or were started; status/results did their work
  1    at least one job failed or was cancelled; results could not be exported
  2    bad arguments, preset, settings or S3 URIs (nothing was queued)
  3    no credentials, credentials rejected, or the endpoint could not be reached
  4    --timeout passed with jobs still running; results asked of a job not ended yet
  5    the job database or data folder is unusable (newer version, read-only, ...)
  130  interrupted; queued jobs stay in the job store and resume on the next run
"""

CONNECTION_NAMES = frozenset(
    {
        "EndpointConnectionError", "ConnectTimeoutError", "ConnectionClosedError", "ReadTimeoutError",
        "NoCredentialsError", "PartialCredentialsError", "ProfileNotFound", "NoRegionError",
        "UnauthorizedSSOTokenError", "SSOTokenLoadError", "TokenRetrievalError", "ConnectionError",
    }
)
CONNECTION_CODES = frozenset(
    {
        "InvalidClientTokenId", "UnrecognizedClientException", "InvalidAccessKeyId", "SignatureDoesNotMatch",
        "IncompleteSignature", "ExpiredToken", "ExpiredTokenException",
    }
)


class CliError(Exception):
    """A message for stderr and the exit code that goes with it."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


# ----------------------------------------------------------------------------------------------------------
# Parser
# ----------------------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rekognition-labeler",
        description="Headless Amazon Rekognition Video label detection over the app's job store.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="{submit,status,results,presets}")

    p = sub.add_parser(
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

    s = sub.add_parser("status", help="list jobs from the job store", epilog=EXIT_CODES_HELP,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    add_connection_args(s)
    s.add_argument("--json", action="store_true", help="print JSON (one array of job objects)")
    s.add_argument("--status", dest="statuses", action="append", choices=[x.value for x in JobStatus],
                   help="only jobs in this state (repeatable)")
    s.add_argument("--refresh", action="store_true",
                   help="ask AWS for the status of jobs in progress first (needs a connection)")

    r = sub.add_parser("results", help="fetch (if needed) and export a job's labels", epilog=EXIT_CODES_HELP,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    add_connection_args(r)
    r.add_argument("job", metavar="JOB_ID", help="AWS JobId, or the local job number shown by 'status'")
    r.add_argument("--format", required=True, choices=("json", "csv", "vtt"))
    r.add_argument("-o", "--output", required=True, type=Path, metavar="FILE")
    r.add_argument("--refetch", action="store_true", help="fetch from AWS even if stored locally")
    cli_presets.add_parser(sub)
    return parser


# ----------------------------------------------------------------------------------------------------------
# Entry point
# ----------------------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    try:
        args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return int(exc.code or 0)
    paths = resolve_paths(args.data_dir)
    try:
        paths.ensure()
    except OSError as exc:
        print(f"error: cannot create the data folders under '{paths.data_dir}': {exc.strerror or exc}", file=err)
        return EXIT_STORE
    _setup_logging(paths)
    previous = _install_sigterm()
    try:
        if args.command == "submit":
            return cmd_submit(args, paths, out, err)
        if args.command == "status":
            return cmd_status(args, paths, out, err)
        if args.command == "presets":
            return cli_presets.run(args, paths, out, err)
        return cmd_results(args, paths, out, err)
    except CliError as exc:
        print(f"error: {exc}", file=err)
        return exc.code
    except JobStoreError as exc:
        print(f"error: {exc.message}", file=err)
        return EXIT_STORE
    except BrokenPipeError:  # `status | head`: the reader went away; stay quiet
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, out.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("interrupted: queued jobs stay in the job store and resume on the next run", file=err)
        return EXIT_INTERRUPTED
    finally:
        _restore_sigterm(previous)


def _setup_logging(paths: AppPaths) -> None:
    from gui.core.logs import setup_logging

    try:
        setup_logging(paths.log_file)
    except OSError as exc:  # a read-only log folder must not stop the CLI
        print(f"warning: no log file ({exc})", file=sys.stderr)


def _install_sigterm() -> Any:
    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    try:
        return signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread (tests calling main() from a thread)
        return None


def _restore_sigterm(previous: Any) -> None:
    if previous is not None:
        try:
            signal.signal(signal.SIGTERM, previous)
        except ValueError:
            pass


# ----------------------------------------------------------------------------------------------------------
# Shared helpers
# ----------------------------------------------------------------------------------------------------------


LOCAL_PLACEHOLDER_KEY = "sandbox"


def _chain_has_credentials() -> bool:
    import boto3

    try:
        return boto3.Session().get_credentials() is not None
    except Exception:  # a broken profile: let the normal path report it
        return True


def connection_for(args: argparse.Namespace) -> Any:
    """A :class:`gui.core.connection.Connection` from --profile/--region/--endpoint-url."""
    from gui.core.connection import Connection, default_region, profile_region
    from gui.core.types import ConnectionSpec

    local = ConnectionSpec(endpoint_url=args.endpoint_url).is_sandbox_like and not args.profile
    region = args.region or (profile_region(args.profile) if args.profile else None) or default_region()
    if not region and local:
        region = "us-east-1"  # the local sandbox's region; a loopback endpoint has no other
    if not region:
        raise CliError("no region: pass --region (or set one in your AWS profile)", EXIT_USAGE)
    spec = ConnectionSpec(
        source="profile" if args.profile else "default",
        profile=args.profile,
        region=region,
        endpoint_url=args.endpoint_url,
    )
    try:
        if local and not _chain_has_credentials():
            # The local sandbox takes any credentials; say so rather than fail with "no credentials".
            print("note: no AWS credentials found; using placeholder credentials for the local endpoint",
                  file=sys.stderr)
            spec = ConnectionSpec(source="access_key", region=region, endpoint_url=args.endpoint_url,
                                  access_key_id=LOCAL_PLACEHOLDER_KEY)
            return Connection(spec, secret_access_key=LOCAL_PLACEHOLDER_KEY, secret_is_real=False)
        return Connection(spec)
    except KnownError as exc:
        raise CliError(str(exc.message), EXIT_CONNECTION) from exc


def exit_code_for(exc: BaseException) -> int:
    if isinstance(exc, JobStoreError):
        return EXIT_STORE
    if isinstance(exc, CliError):
        return exc.code
    if type(exc).__name__ in CONNECTION_NAMES or error_code(exc) in CONNECTION_CODES:
        return EXIT_CONNECTION
    cause = exc.__cause__  # e.g. Connection's KnownError("Profile not found") raised from ProfileNotFound
    if isinstance(exc, KnownError) and cause is not None and type(cause).__name__ in CONNECTION_NAMES:
        return EXIT_CONNECTION
    return EXIT_FAILED


def _fail(exc: BaseException, what: str, conn: Any = None) -> CliError:
    spec = getattr(conn, "spec", None)
    message = explain(exc, profile=getattr(spec, "profile", None))
    if not message.expected:
        log.exception("%s failed", what)
    return CliError(f"{what}: {message}", exit_code_for(exc))


def open_store(paths: AppPaths, err: TextIO) -> JobStore:
    store = JobStore(paths.jobs_db)
    if store.problem:
        print(f"warning: {store.problem}", file=err)
    return store


def record_to_dict(r: JobRecord) -> dict[str, Any]:
    def iso(t: float | None) -> str | None:
        return datetime.fromtimestamp(t).astimezone().isoformat(timespec="seconds") if t else None

    return {
        "id": r.id,
        "video": r.video_uri,
        "status": r.status.value,
        "job_id": r.job_id,
        "job_tag": r.job_tag,
        "preset": r.preset,
        "message": r.status_message,
        "error_code": r.error_code,
        "submitted_at": iso(r.submitted_at),
        "started_at": iso(r.started_at),
        "finished_at": iso(r.finished_at),
        "label_count": r.label_count,
        "results_fetched": r.results_fetched,
        "duration_ms": r.duration_ms,
        "client_request_token": r.client_token,
        "attempts": r.attempts,
        "account": r.account,
        "region": r.region,
        "endpoint": r.endpoint or None,
    }


# ----------------------------------------------------------------------------------------------------------
# submit
# ----------------------------------------------------------------------------------------------------------


def settings_for(args: argparse.Namespace, paths: AppPaths) -> tuple[JobSettings, str | None]:
    """Settings from --preset/--preset-file (or defaults), then the flags; validated like the window."""
    from dataclasses import replace

    from gui.core.types import NotificationChannel
    from gui.core.validation import notification_problems, settings_problems

    settings = JobSettings()
    name: str | None = None
    if args.preset or args.preset_file:
        from gui.core.presets import PresetStore

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


def expand_uris(conn: Any, uris: Sequence[str], recursive: bool) -> tuple[list[S3Object], list[str], int]:
    """Videos named by ``uris`` (keys, or prefixes ending in '/'); problems; non-video objects skipped."""
    from gui.core.s3browse import S3Browser, parse_s3_uri

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
                raise _fail(exc, "cannot reach S3", conn) from exc
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
                raise _fail(exc, "cannot reach S3", conn) from exc
            problems.append(f"{uri}: {explain(exc)}")
    return videos, problems, skipped


def _list_prefix(browser: Any, bucket: str, prefix: str, recursive: bool) -> tuple[list[S3Object], int]:
    objects: list[S3Object] = []
    if recursive:
        objects = browser.all_videos(bucket, prefix)
    else:
        for page in browser.iter_prefix(bucket, prefix):
            objects += page.objects
    videos = [o for o in objects if o.ineligible_reason is None]
    return videos, len(objects) - len(videos)


def _head(browser: Any, bucket: str, key: str) -> S3Object | None:
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


def cmd_submit(args: argparse.Namespace, paths: AppPaths, out: TextIO, err: TextIO) -> int:
    from gui.core.cost import estimate
    from gui.core.poller import PollPolicy
    from gui.core.submitter import JobEngine, JobPreferences, SubmitPolicy, resolve_scope

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
            raise _fail(exc, "cannot connect", conn) from exc
        videos, problems, skipped = expand_uris(conn, args.uris, args.recursive)
        if problems:
            for p in problems:
                print(f"error: {p}", file=err)
            raise CliError("nothing was queued", EXIT_USAGE)
        if skipped:
            print(f"note: {skipped} object(s) skipped (not videos Rekognition accepts)", file=err)

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
        new = list(plan.new)
        tracked: list[int] = []
        resubmit: list[int] = []
        reused = 0
        for dup in plan.duplicates:
            if args.force:
                from gui.core.jobstore import new_job

                new.append(new_job(dup.video.bucket, dup.video.key, settings, scope, preset=preset,
                                   version_id=dup.video.version_id, size=dup.video.size or None))
            elif dup.existing.status in (JobStatus.FAILED, JobStatus.CANCELLED):
                resubmit.append(dup.existing.id)
            else:
                reused += 1
                tracked.append(dup.existing.id)
        durations = [_duration(store, v) for v in videos]
        print(estimate(durations, prefs.price_per_minute).describe(), file=err)
        if args.force:
            records = engine.enqueue(new)
        else:
            # The plan was a preview: another CLI or the window may have queued the same videos since.
            # The store checks again in the insert's own transaction; those it skips count as duplicates.
            added = engine.enqueue_unique(new)
            records = list(added.added)
            for skip in added.skipped:
                if skip.existing.status in (JobStatus.FAILED, JobStatus.CANCELLED):
                    resubmit.append(skip.existing.id)
                else:
                    reused += 1
                    tracked.append(skip.existing.id)
        tracked += [r.id for r in records]
        for row_id in resubmit:
            if engine.retry(row_id) is not None:
                tracked.append(row_id)
        print(
            f"queued {len(records)} new job(s)"
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


def _run_until_done(engine: Any, store: JobStore, tracked: list[int], args: argparse.Namespace, out: TextIO,
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
            if engine.submitter.paused is not None:
                progress.close()
                raise CliError(f"submission paused: {engine.submitter.paused}", EXIT_CONNECTION)
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
                print(f"{r.status.value}: {r.video_uri}: {r.status_message or ''}", file=err)
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
            print(f"{r.status.value:<11} {r.video_uri}{extra}", file=self.stream, flush=True)

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


# ----------------------------------------------------------------------------------------------------------
# status
# ----------------------------------------------------------------------------------------------------------


def cmd_status(args: argparse.Namespace, paths: AppPaths, out: TextIO, err: TextIO) -> int:
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
    from gui.core.poller import Poller
    from gui.core.submitter import resolve_scope

    conn = connection_for(args)
    try:
        scope = resolve_scope(conn.client, conn.region, conn.endpoint_url)
    except Exception as exc:
        raise _fail(exc, "cannot connect", conn) from exc
    poller = Poller(store, conn.client, scope)
    for job in store.jobs(scope, statuses=[JobStatus.IN_PROGRESS]):
        if job.job_id:
            poller.poll(job, time.time())
    if poller.problem is not None:
        raise CliError(f"cannot refresh: {poller.problem}", EXIT_CONNECTION)


def format_table(records: Sequence[JobRecord], *, now: float) -> str:
    from gui.core.cost import format_duration

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
                r.video_uri,
                r.job_id or "",
            )
        )
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
    for r, row in zip(records, rows, strict=True):
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if r.status in (JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.QUEUED) and r.status_message:
            lines.append(f"{'':>{widths[0]}}  ↳ {r.status_message}")
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------------------------------------
# results
# ----------------------------------------------------------------------------------------------------------


@dataclass
class _Target:
    job_id: str
    record: JobRecord | None


def cmd_results(args: argparse.Namespace, paths: AppPaths, out: TextIO, err: TextIO) -> int:
    try:
        from gui.core.export import default_aggregation, export_job
        from gui.core.results import ResultsStore
    except ImportError as exc:
        raise CliError(f"results are not available in this build ({exc})", EXIT_FAILED) from exc

    store = open_store(paths, err)
    results = None
    try:
        target = _find_job(store, args.job)
        if target.record is not None and target.record.status is not JobStatus.SUCCEEDED:
            r = target.record
            code = EXIT_PENDING if r.status.is_active else EXIT_FAILED
            raise CliError(f"job {r.id} ({r.video_uri}) is {r.status.value}: no results"
                           + (f" ({r.status_message})" if r.status_message else ""), code)
        try:
            results = ResultsStore(paths.results_db)
        except KnownError as exc:
            raise CliError(str(exc.message), EXIT_STORE) from exc
        if args.refetch or not results.has_results(target.job_id, default_aggregation(args.format)):
            _fetch(args, store, results, target, err)
        try:
            count = export_job(results, target.job_id, args.format, args.output)
        except (KnownError, OSError) as exc:
            raise CliError(f"export failed: {explain(exc)}", EXIT_FAILED) from exc
        unit = {"json": "page(s)", "csv": "row(s)", "vtt": "cue(s)"}[args.format]
        print(f"wrote {count} {unit} to {args.output}", file=out)
        return EXIT_OK
    finally:
        if results is not None:
            results.close()
        store.close()


def _find_job(store: JobStore, text: str) -> _Target:
    if text.isdigit() and len(text) < 12:
        record = store.get(int(text))
        if record is None:
            raise CliError(f"no job number {text} in the job store (see 'rekognition-labeler status')", EXIT_USAGE)
        if not record.job_id:
            raise CliError(f"job {text} ({record.video_uri}) has no AWS JobId yet ({record.status.value})",
                           EXIT_PENDING if record.status.is_active else EXIT_FAILED)
        return _Target(record.job_id, record)
    return _Target(text, store.by_job_id(text))


def _fetch(args: argparse.Namespace, store: JobStore, results: Any, target: _Target, err: TextIO) -> None:
    from gui.core.poller import fetch_job_results
    from gui.core.results import fetch_and_store

    conn = connection_for(args)
    print(f"fetching the results of {target.job_id}…", file=err)
    try:
        client = conn.client("rekognition")
        if target.record is not None:
            fetch_job_results(store, results, client, target.record)
        else:
            fetch_and_store(client, target.job_id, results)
    except Exception as exc:
        code = exit_code_for(exc)
        title = getattr(getattr(exc, "message", None), "title", "")
        if title == "Results not ready":
            code = EXIT_PENDING
        raise CliError(f"cannot fetch results: {explain(exc)}", code) from exc


if __name__ == "__main__":
    sys.exit(main())
