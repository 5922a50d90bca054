"""Command-line options shared by the window and the CLI (no Qt, no boto3)."""

from __future__ import annotations

import argparse
from dataclasses import dataclass


@dataclass(frozen=True)
class AppOptions:
    demo: bool = False
    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    data_dir: str | None = None


def add_connection_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", metavar="NAME", help="AWS profile from ~/.aws (SSO and assume-role work)")
    parser.add_argument("--region", metavar="R", help="AWS region, e.g. us-east-1")
    parser.add_argument("--endpoint-url", metavar="URL", help="custom endpoint (S3-compatible store, the sandbox)")
    parser.add_argument(
        "--data-dir", metavar="DIR", help="where the job database, presets and caches live (default: user dirs)"
    )


def gui_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="rekognition-labeler",
        description="Amazon Rekognition Video label detection for videos in S3. "
        "Subcommands submit/status/results run headless (see 'rekognition-labeler submit --help').",
    )
    p.add_argument("--demo", action="store_true", help="start a local AWS sandbox with demo videos (no AWS needed)")
    add_connection_args(p)
    return p


def parse_gui_args(argv: list[str]) -> AppOptions:
    ns, _qt_args = gui_parser().parse_known_args(argv)
    return AppOptions(ns.demo, ns.profile, ns.region, ns.endpoint_url, ns.data_dir)
