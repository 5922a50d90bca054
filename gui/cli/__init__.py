"""The headless companion: ``rekognition-labeler submit | status | results | presets | frame | search`` (no Qt).

It uses the same job store, queue, ClientRequestTokens and retries as the window
(:class:`gui.core.engine.JobEngine`), so jobs started here appear in the window's job list and the
other way round, and a job queued by one is started by whichever runs next.

One module per command (``submit``, ``status``, ``results``), each with ``add_parser(subparsers)`` and
``run(args, paths, out, err) -> int``; what they share is in :mod:`gui.cli.common`.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TextIO

from gui.cli import credentials, frame, presets, results, search, status, submit
from gui.cli.common import (
    EXIT_CODES_HELP,
    EXIT_CONNECTION,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PENDING,
    EXIT_STORE,
    EXIT_USAGE,
    CliError,
    install_sigterm,
    restore_sigterm,
    setup_logging,
)
from gui.core.jobstore import JobStoreError
from gui.core.paths import resolve_paths
from gui.core.safetext import visible

__all__ = [
    "EXIT_CONNECTION",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_PENDING",
    "EXIT_STORE",
    "EXIT_USAGE",
    "build_parser",
    "main",
]

COMMANDS = {
    "submit": submit, "status": status, "results": results, "presets": presets, "frame": frame,
    "search": search, "credentials": credentials,
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rekognition-labeler",
        description="Headless Amazon Rekognition Video label detection over the app's job store.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="{" + ",".join(COMMANDS) + "}")
    for module in COMMANDS.values():
        module.add_parser(sub)
    return parser


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
    setup_logging(paths)
    previous = install_sigterm()
    try:
        return COMMANDS[args.command].run(args, paths, out, err)
    except CliError as exc:
        print(f"error: {visible(str(exc), keep_newlines=True)}", file=err)
        return exc.code
    except JobStoreError as exc:
        print(f"error: {visible(str(exc.message), keep_newlines=True)}", file=err)
        return EXIT_STORE
    except BrokenPipeError:  # `status | head`: the reader went away; stay quiet
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
        restore_sigterm(previous)
