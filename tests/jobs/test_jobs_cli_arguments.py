"""Bad arguments are usage errors (exit 2, one plain line) found before anything is queued or sent."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from gui.options import endpoint_url_arg, positive_float, region_arg

VIDEO = "s3://demo-videos/city/city-traffic.mp4"


def run(*args):
    return subprocess.run([sys.executable, "-m", "gui", *map(str, args)], capture_output=True, text=True,
                          timeout=60)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--endpoint-url", "not-a-url"], "'not-a-url' is not an endpoint URL"),
        (["--endpoint-url", "ftp://host"], "is not an endpoint URL"),
        (["--region", "us east 1"], "'us east 1' is not a region name"),
        (["--timeout", "-1", "--wait"], "--timeout: must be a number of seconds above 0 (got -1)"),
        (["--poll-interval", "0"], "--poll-interval: must be a number of seconds above 0 (got 0)"),
        (["--poll-interval", "-5"], "--poll-interval: must be a number of seconds above 0 (got -5)"),
        (["--poll-max", "nan"], "--poll-max: must be a number of seconds above 0 (got nan)"),
        (["--max-concurrent", "0"], "--max-concurrent: must be 1 or more (got 0)"),
    ],
)
def test_bad_submit_arguments_exit_2_and_queue_nothing(tmp_path, args, message):
    data = tmp_path / "app"
    proc = run("submit", "--data-dir", data, *args, VIDEO)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr and "Unexpected error" not in proc.stderr
    assert not (data / "jobs.sqlite3").exists() and not list(data.glob("**/*.sqlite3"))


def test_the_window_checks_the_same_arguments_before_qt():
    proc = run("--endpoint-url", "not-a-url")
    assert proc.returncode == 2 and "is not an endpoint URL" in proc.stderr


@pytest.mark.parametrize("good", ["http://127.0.0.1:4566", "https://s3.eu-west-1.amazonaws.com",
                                  "http://localhost:9000/path"])
def test_good_endpoints_pass(good):
    assert endpoint_url_arg(good) == good


@pytest.mark.parametrize("bad", ["http://", "http://host:99999", "127.0.0.1:4566", "http://a b"])
def test_bad_endpoints_fail(bad):
    with pytest.raises(argparse.ArgumentTypeError):
        endpoint_url_arg(bad)


@pytest.mark.parametrize("region", ["us-east-1", "us-gov-west-1", "cn-north-1", "eu-central-2"])
def test_real_region_names_pass(region):
    assert region_arg(region) == region


@pytest.mark.parametrize("text", ["0", "-0.5", "inf", "x"])
def test_positive_float_refuses(text):
    with pytest.raises(argparse.ArgumentTypeError):
        positive_float(text)
