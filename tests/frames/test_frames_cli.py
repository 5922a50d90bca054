"""``rekognition-labeler frame`` in a subprocess against the sandbox: the PNG equals an independent decode
of the same frame, boxes are drawn, ``--label`` picks the best detection, and each bad input gets its
documented exit code and a one-line message (no traceback)."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import numpy as np
import pytest
from frames_support import (
    TEST_BUCKET,
    client,
    make_video,
    mean_abs_diff,
    png_pixels,
    reference_at,
    start_and_wait,
)

from gui import cli
from gui.core.palette import PALETTE

SCRIPTED = "cli/scripted.mp4"
DELETED = "cli/deleted.mp4"
CHANGED = "cli/changed.mp4"
SIZE = (320, 192)
SCRIPT = [
    {"Timestamp": 1000, "Label": {"Name": "Car", "Confidence": 91.2, "Instances": [
        {"BoundingBox": {"Left": 0.25, "Top": 0.25, "Width": 0.5, "Height": 0.5}, "Confidence": 90.0}]}},
    {"Timestamp": 1500, "Label": {"Name": "Tree", "Confidence": 88.0}},
    {"Timestamp": 2000, "Label": {"Name": "Car", "Confidence": 97.5, "Instances": [
        {"BoundingBox": {"Left": 0.1, "Top": 0.3, "Width": 0.3, "Height": 0.3}, "Confidence": 96.0}]}},
    {"Timestamp": 2000, "Label": {"Name": "Dog", "Confidence": 80.0, "Instances": [
        {"BoundingBox": {"Left": 0.6, "Top": 0.5, "Width": 0.3, "Height": 0.6}, "Confidence": 79.0}]}},
]


def run(*args, timeout=120):
    proc = subprocess.run([sys.executable, "-m", "gui", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


@pytest.fixture(scope="module")
def jobs(sb, tmp_path_factory):
    """Three finished jobs in a job store (scripted detections on the first), by video key."""
    data = tmp_path_factory.mktemp("frames-cli")
    body = make_video(seconds=4, size=SIZE)
    s3 = client(sb, "s3")
    for key in (SCRIPTED, DELETED, CHANGED):
        s3.put_object(Bucket=TEST_BUCKET, Key=key, Body=body)
    sb.set_detection_script(TEST_BUCKET, SCRIPTED, SCRIPT)
    conn = ["--endpoint-url", sb.endpoint_url, "--region", "us-east-1", "--data-dir", data]
    proc = run("submit", *conn, "--poll-interval", "0.1", "--poll-max", "0.3", "--wait",
               *(f"s3://{TEST_BUCKET}/{k}" for k in (SCRIPTED, DELETED, CHANGED)))
    assert proc.returncode == cli.EXIT_OK, proc.stderr
    status = json.loads(run("status", "--json", "--data-dir", data).stdout)
    ids = {j["video"].split(f"s3://{TEST_BUCKET}/", 1)[1]: str(j["id"]) for j in status}
    return {"conn": conn, "ids": ids, "body": body, "data": data}


def test_frame_png_is_the_frame_at_that_moment(jobs, tmp_path):
    out = tmp_path / "plain.png"
    proc = run("frame", *jobs["conn"], jobs["ids"][SCRIPTED], "--at", "1500", "-o", out)
    assert proc.returncode == cli.EXIT_OK, proc.stderr
    # 25 fps: the frame starting at 1480 ms is the one shown at 1500 ms
    assert proc.stdout.strip() == f"wrote the 320x192 frame at 00:00:01.480 to {out}"
    pixels = png_pixels(out)
    assert pixels.shape == (SIZE[1], SIZE[0], 3)
    assert mean_abs_diff(pixels, reference_at(jobs["body"], 1500)) < 0.5
    assert mean_abs_diff(pixels, reference_at(jobs["body"], 1520)) > 1  # and not its neighbour


def test_boxes_are_drawn_for_every_instance_at_that_moment(jobs, tmp_path):
    out = tmp_path / "boxes.png"
    proc = run("frame", *jobs["conn"], jobs["ids"][SCRIPTED], "--at", "2000", "--boxes", "-o", out)
    assert proc.returncode == cli.EXIT_OK, proc.stderr
    assert "2 boxes" in proc.stdout
    pixels = png_pixels(out)
    plain = reference_at(jobs["body"], 2000)
    palette = {tuple(int(c[i : i + 2], 16) for i in (1, 3, 5)) for c in PALETTE}
    # the Car box's left edge (x = 0.1 * 320 = 32, y from 0.3 * 192 to 0.6 * 192) and the Dog box's,
    # which runs off the bottom and is clamped onto the last row
    assert tuple(pixels[86, 32]) in palette and tuple(pixels[191, 230]) in palette
    assert mean_abs_diff(pixels[70:100, 60:100], plain[70:100, 60:100]) < 0.5  # inside the box: the picture
    changed = np.abs(pixels.astype(int) - plain.astype(int)).sum(axis=2) > 30
    assert changed[40:58, 30:140].any(), "a caption above the Car box"


def test_label_shows_its_best_detection_with_boxes(jobs, tmp_path):
    best, at = tmp_path / "best.png", tmp_path / "at.png"
    proc = run("frame", *jobs["conn"], jobs["ids"][SCRIPTED], "--label", "Car", "-o", best)
    assert proc.returncode == cli.EXIT_OK, proc.stderr
    assert "frame at 00:00:02.000, 2 boxes" in proc.stdout  # 97.5 % beats 91.2 %
    assert run("frame", *jobs["conn"], jobs["ids"][SCRIPTED], "--at", "2000", "--boxes", "-o", at).returncode == 0
    assert (png_pixels(best) == png_pixels(at)).all()


def test_timestamp_past_the_end_is_a_usage_error(jobs, tmp_path):
    proc = run("frame", *jobs["conn"], jobs["ids"][SCRIPTED], "--at", "60000", "-o", tmp_path / "x.png")
    assert proc.returncode == cli.EXIT_USAGE
    assert proc.stderr.strip().splitlines()[-1].startswith("error: Past the end of the video: 00:01:00.000")
    assert not (tmp_path / "x.png").exists()


def test_unknown_label_and_unknown_job_are_usage_errors(jobs, tmp_path):
    proc = run("frame", *jobs["conn"], jobs["ids"][SCRIPTED], "--label", "Unicorn", "-o", tmp_path / "x.png")
    assert proc.returncode == cli.EXIT_USAGE and "no detection of the label 'Unicorn'" in proc.stderr
    proc = run("frame", *jobs["conn"], "999", "--at", "0", "-o", tmp_path / "x.png")
    assert proc.returncode == cli.EXIT_USAGE and "no job number 999" in proc.stderr


def test_deleted_video_fails_clearly(sb, jobs, tmp_path):
    client(sb, "s3").delete_object(Bucket=TEST_BUCKET, Key=DELETED)
    proc = run("frame", *jobs["conn"], jobs["ids"][DELETED], "--at", "0", "-o", tmp_path / "x.png")
    assert proc.returncode == cli.EXIT_FAILED
    assert f"error: Video not found: s3://{TEST_BUCKET}/{DELETED} is no longer in S3" in proc.stderr


def test_video_replaced_after_the_job_fails_clearly(sb, jobs, tmp_path):
    time.sleep(1.1)  # S3 dates have one-second resolution
    client(sb, "s3").put_object(Bucket=TEST_BUCKET, Key=CHANGED, Body=make_video(seconds=4, size=SIZE, fps=30))
    proc = run("frame", *jobs["conn"], jobs["ids"][CHANGED], "--at", "0", "-o", tmp_path / "x.png")
    assert proc.returncode == cli.EXIT_FAILED
    assert "error: Video changed since the job" in proc.stderr


@pytest.mark.parametrize(("body", "expected"), [(b"", "Empty video"), (b"not a video at all " * 500,
                                                                      "Cannot decode the video")])
def test_empty_or_undecodable_object_fails_clearly(sb, jobs, tmp_path, body, expected):
    """A job known only by its JobId (not in the job store): results are fetched, the object named by
    GetLabelDetection is read, and what it has become is reported."""
    key = f"cli/overwritten-{len(body)}.mp4"
    s3 = client(sb, "s3")
    s3.put_object(Bucket=TEST_BUCKET, Key=key, Body=jobs["body"])
    job_id = start_and_wait(client(sb, "rekognition"), TEST_BUCKET, key)
    s3.put_object(Bucket=TEST_BUCKET, Key=key, Body=body)
    proc = run("frame", *jobs["conn"], job_id, "--at", "0", "-o", tmp_path / "x.png")
    assert proc.returncode == cli.EXIT_FAILED, proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith(f"error: {expected}")


def test_unreachable_endpoint_is_a_connection_error(jobs, tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends: nothing listens there
    conn = ["--endpoint-url", f"http://127.0.0.1:{port}", "--region", "us-east-1", "--data-dir", jobs["data"]]
    proc = run("frame", *conn, jobs["ids"][SCRIPTED], "--at", "0", "-o", tmp_path / "x.png")
    assert proc.returncode == cli.EXIT_CONNECTION, proc.stderr
    assert "S3 unreachable" in proc.stderr


def test_help_documents_the_exit_codes():
    proc = run("frame", "--help")
    assert proc.returncode == 0
    for code in ("0 ", "1 ", "2 ", "3 ", "4 ", "5 "):
        assert f"\n  {code}" in proc.stdout
