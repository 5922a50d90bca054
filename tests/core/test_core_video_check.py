"""The check before submitting, against the sandbox's demo files (read with ranged GETs through boto3)."""

from __future__ import annotations

import pytest

from gui.core.types import S3Object
from gui.core.video_check import refusal, refusals


@pytest.mark.parametrize(("key", "refused"), [
    ("city/city-traffic.mp4", False),
    ("family/pets/dog-park.mov", False),
    ("incoming/not-really-a-video.mp4", True),
    ("incoming/truncated-upload.mp4", True),
])
def test_demo_files(boto_client, key, refused):
    s3 = boto_client("s3")
    size = s3.head_object(Bucket="demo-videos", Key=key)["ContentLength"]
    why = refusal(s3, S3Object("demo-videos", key, size))
    assert (why is not None) is refused
    if refused:
        assert why.startswith("Not a video Rekognition can read")


def test_an_object_s3_cannot_read_is_left_to_the_job(boto_client):
    s3 = boto_client("s3")
    assert refusals(lambda bucket: s3, [S3Object("demo-videos", "nope/missing.mp4", 10)]) == []
