"""Command-line options shared by the window and the CLI (no Qt, no boto3)."""

from __future__ import annotations

import argparse
import difflib
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from gui import __version__

# The headless subcommands (gui/cli). tests/app/test_entry_point.py checks this against the CLI's parser.
CLI_COMMANDS = ("submit", "status", "results", "presets", "frame", "search", "credentials")
EXIT_NO_DISPLAY = 3  # the window cannot open: no display to draw on
# Qt platform plugins that draw without a display server.
HEADLESS_PLATFORMS = ("offscreen", "minimal", "vnc", "eglfs", "linuxfb", "vkkhrdisplay")


@dataclass(frozen=True)
class AppOptions:
    demo: bool = False
    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    data_dir: str | None = None


# botocore's own check of a region name (botocore.utils.validate_region_name): letters, digits and hyphens.
_REGION_RE = re.compile(r"^[a-zA-Z0-9](?:[a-zA-Z0-9\-]{0,61}[a-zA-Z0-9])?$")


def region_arg(text: str) -> str:
    """argparse type for --region: a name botocore accepts (it would raise deep inside the first call)."""
    if not _REGION_RE.fullmatch(text):
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a region name (letters, digits and hyphens, e.g. us-east-1)"
        )
    return text


def endpoint_url_arg(text: str) -> str:
    """argparse type for --endpoint-url: an http(s) URL with a host, as botocore requires."""
    parsed = urlsplit(text.strip())
    try:
        port_ok = parsed.port is None or 0 < parsed.port < 65536
    except ValueError:
        port_ok = False
    if parsed.scheme not in ("http", "https") or not parsed.hostname or not port_ok or " " in text.strip():
        raise argparse.ArgumentTypeError(
            f"'{text}' is not an endpoint URL (expected http:// or https:// and a host, e.g. http://127.0.0.1:4566)"
        )
    return text.strip()


def positive_float(text: str) -> float:
    """argparse type for durations and intervals: a number above zero."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number of seconds above 0 (got {text})")
    return value


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more (got {text})")
    return value


def add_connection_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", metavar="NAME", help="AWS profile from ~/.aws (SSO and assume-role work)")
    parser.add_argument("--region", metavar="R", type=region_arg, help="AWS region, e.g. us-east-1")
    parser.add_argument("--endpoint-url", metavar="URL", type=endpoint_url_arg,
                        help="custom endpoint (S3-compatible store, the sandbox)")
    parser.add_argument(
        "--data-dir", metavar="DIR", help="where the job database, presets and caches live (default: user dirs)"
    )


def gui_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="rekognition-labeler",
        description="Amazon Rekognition Video label detection for videos in S3. "
        "Subcommands submit/status/results run headless (see 'rekognition-labeler submit --help').",
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    p.add_argument("--demo", action="store_true", help="start a local AWS sandbox with demo videos (no AWS needed)")
    add_connection_args(p)
    p.epilog = "Headless commands: " + ", ".join(CLI_COMMANDS) + " (each has --help)."
    return p


def unknown_command_message(word: str) -> str:
    """The argparse error for a word that is no subcommand, with the closest one when there is one."""
    close = difflib.get_close_matches(word, CLI_COMMANDS, n=1, cutoff=0.6)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    return f"unknown command '{word}' (choose from {', '.join(CLI_COMMANDS)}).{hint}"


def display_problem(env: Mapping[str, str] | None = None, platform: str | None = None) -> str | None:
    """Why the window cannot open here, in one line, or None when a display (or a headless Qt platform)
    is there. Only X11/Wayland systems need a display server; Windows and macOS always have one."""
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    if not platform.startswith("linux") and "bsd" not in platform:
        return None
    qpa = env.get("QT_QPA_PLATFORM", "").split(":")[0].strip()
    if qpa in HEADLESS_PLATFORMS:
        return None
    if env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"):
        return None
    return ("no display to open the window on (neither DISPLAY nor WAYLAND_DISPLAY is set). Use "
            "QT_QPA_PLATFORM=offscreen, run it under Xvfb (xvfb-run rekognition-labeler), or use the headless "
            "commands: " + ", ".join(CLI_COMMANDS) + ".")


def parse_gui_args(argv: list[str]) -> AppOptions:
    ns, _qt_args = gui_parser().parse_known_args(argv)
    return AppOptions(ns.demo, ns.profile, ns.region, ns.endpoint_url, ns.data_dir)
