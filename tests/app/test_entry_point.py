"""The entry point answers --help, --version, typos and a missing display before any Qt object exists."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

import pytest

from gui import __version__
from gui.cli import build_parser
from gui.options import CLI_COMMANDS, display_problem, unknown_command_message


def run_entry(*args: str, display: bool = False) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    if display:
        env["QT_QPA_PLATFORM"] = "offscreen"
    return subprocess.run([sys.executable, "-m", "gui", *args], env=env, capture_output=True, text=True,
                          timeout=60)


def test_help_without_a_display_prints_usage_and_exits_0():
    done = run_entry("--help")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: rekognition-labeler")
    assert "--demo" in done.stdout and "submit" in done.stdout
    assert "xcb" not in done.stderr and "Traceback" not in done.stderr


def test_version_prints_the_package_version():
    done = run_entry("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"rekognition-labeler {__version__}"


def test_mistyped_subcommand_is_a_usage_error_with_a_suggestion():
    done = run_entry("sumbit", "s3://b/k.mp4")
    assert done.returncode == 2
    assert "unknown command 'sumbit'" in done.stderr
    assert "Did you mean 'submit'?" in done.stderr
    assert "Traceback" not in done.stderr


def test_unknown_option_is_a_usage_error():
    done = run_entry("--demoo")
    assert done.returncode == 2
    assert "unrecognized arguments: --demoo" in done.stderr


def test_window_without_a_display_says_so_in_one_line_and_exits_3():
    done = run_entry()
    assert done.returncode == 3
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "DISPLAY" in lines[0] and "WAYLAND_DISPLAY" in lines[0]
    assert "QT_QPA_PLATFORM=offscreen" in lines[0] and "Xvfb" in lines[0]


@pytest.mark.parametrize(
    ("env", "platform", "blocked"),
    [
        ({}, "linux", True),
        ({"DISPLAY": ":0"}, "linux", False),
        ({"WAYLAND_DISPLAY": "wayland-0"}, "linux", False),
        ({"QT_QPA_PLATFORM": "offscreen"}, "linux", False),
        ({"QT_QPA_PLATFORM": "xcb"}, "linux", True),
        ({}, "win32", False),
        ({}, "darwin", False),
    ],
)
def test_display_problem_table(env, platform, blocked):
    assert (display_problem(env, platform) is not None) is blocked


def test_no_suggestion_for_a_word_far_from_every_command():
    assert "Did you mean" not in unknown_command_message("zzzz")
    assert unknown_command_message("stauts").endswith("Did you mean 'status'?")


def test_the_entry_point_knows_every_cli_subcommand():
    parser = build_parser()
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert set(CLI_COMMANDS) == set(subparsers.choices)
