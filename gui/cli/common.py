"""What the CLI's commands share: exit codes, errors, the connection, the job store, JSON rows."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from datetime import datetime
from typing import Any, TextIO

from gui.core.connection import Connection, default_region, profile_region
from gui.core.errors import ErrorKind, KnownError, classify, explain
from gui.core.jobstore import JobRecord, JobStore, JobStoreError
from gui.core.logs import setup_logging as setup_log_file
from gui.core.paths import AppPaths
from gui.core.types import ConnectionSpec

log = logging.getLogger("gui.cli")

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
  2    bad arguments, preset, settings or S3 URIs (nothing was queued); an output file that cannot be written
  3    no credentials, credentials rejected, or the endpoint could not be reached
  4    --timeout passed with jobs still running; results asked of a job not ended yet
  5    the job database or data folder is unusable (newer version, read-only, ...)
  130  interrupted; queued jobs stay in the job store and resume on the next run
"""


class CliError(Exception):
    """A message for stderr and the exit code that goes with it."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def setup_logging(paths: AppPaths) -> None:
    try:
        setup_log_file(paths.log_file)
    except OSError as exc:  # a read-only log folder must not stop the CLI
        print(f"warning: no log file ({exc})", file=sys.stderr)


def install_sigterm() -> Any:
    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    try:
        return signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread (tests calling main() from a thread)
        return None


def restore_sigterm(previous: Any) -> None:
    if previous is not None:
        try:
            signal.signal(signal.SIGTERM, previous)
        except ValueError:
            pass


LOCAL_PLACEHOLDER_KEY = "sandbox"


def _chain_has_credentials() -> bool:
    import boto3  # boto3 costs ~0.3 s to import: only the commands that connect pay for it

    try:
        return boto3.Session().get_credentials() is not None
    except Exception:  # a broken profile: let the normal path report it
        return True


def connection_for(args: argparse.Namespace) -> Connection:
    """A :class:`gui.core.connection.Connection` from --profile/--region/--endpoint-url."""
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
    """The documented exit code for an error (see ``EXIT_CODES_HELP``)."""
    if isinstance(exc, JobStoreError):
        return EXIT_STORE
    if isinstance(exc, CliError):
        return exc.code
    if classify(exc) in (ErrorKind.CONNECTION, ErrorKind.AUTH):
        return EXIT_CONNECTION
    return EXIT_FAILED


def fail(exc: BaseException, what: str, conn: Connection | None = None) -> CliError:
    """A :class:`CliError` saying what failed and why; a bug is logged with its traceback."""
    message = explain(exc, profile=conn.spec.profile if conn is not None else None)
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


