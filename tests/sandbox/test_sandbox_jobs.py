"""Job lifecycle: IN_PROGRESS for job_seconds, then SUCCEEDED or FAILED from the real object bytes."""

from __future__ import annotations

import time

import pytest
from sandbox_testkit import CLIP, DEMO, client, code_of, start, wait_done


def test_job_is_in_progress_then_succeeds_after_job_seconds(make_sandbox):
    sb = make_sandbox(seed_demo=True, job_seconds=0.4)
    rek = client(sb, "rekognition")
    began = time.monotonic()
    job = start(rek)
    first = rek.get_label_detection(JobId=job)
    assert first["JobStatus"] == "IN_PROGRESS"
    assert first["Labels"] == []
    assert "VideoMetadata" not in first and "NextToken" not in first
    assert first["JobId"] == job
    done = wait_done(rek, job)
    elapsed = time.monotonic() - began
    assert done["JobStatus"] == "SUCCEEDED"
    assert 0.35 <= elapsed < 3.0
    assert sb.jobs()[0]["Status"] == "SUCCEEDED"


def test_job_seconds_can_change_at_run_time(make_sandbox):
    sb = make_sandbox(seed_demo=True, job_seconds=30)
    rek = client(sb, "rekognition")
    slow = start(rek)
    sb.job_seconds = 0.05
    fast = start(rek)
    assert wait_done(rek, fast)["JobStatus"] == "SUCCEEDED"
    assert rek.get_label_detection(JobId=slow)["JobStatus"] == "IN_PROGRESS"


def test_longer_videos_take_a_little_longer(make_sandbox):
    sb = make_sandbox(seed_demo=True, job_seconds=1.0)
    rek = client(sb, "rekognition")
    short = start(rek, key="family/2024/birthday-party.mp4")  # 3 s
    long = start(rek, key="archive/cctv-seven-hours.mp4")  # headers claim 7 h
    jobs = {j["JobId"]: j for j in sb.jobs()}
    assert jobs[short]["Status"] == jobs[long]["Status"] == "IN_PROGRESS"
    emulator = sb._emulator  # white-box: the deadlines themselves
    assert emulator._jobs[long].finish_at - emulator._jobs[long].created > \
        emulator._jobs[short].finish_at - emulator._jobs[short].created


@pytest.mark.parametrize(
    ("key", "fragment"),
    [
        ("incoming/not-really-a-video.mp4", "Unsupported codec/format"),
        ("incoming/truncated-upload.mp4", "truncated"),
        ("README.txt", "Unsupported codec/format"),
        ("family/2024/beach-walk-thumbnail.jpg", "Unsupported codec/format"),
        ("archive/cctv-seven-hours.mp4", "6 hours"),
    ],
)
def test_undecodable_or_too_long_videos_fail_with_a_status_message(rek, key, fragment):
    job = start(rek, key=key)
    resp = wait_done(rek, job)
    assert resp["JobStatus"] == "FAILED"
    assert fragment in resp["StatusMessage"]
    assert resp["Labels"] == []
    assert "VideoMetadata" not in resp
    assert resp["Video"] == {"S3Object": {"Bucket": DEMO, "Name": key}}


def test_a_non_h264_mp4_fails(fast_sandbox, rek):
    from gui.sandbox.seed import demo_file

    data = bytearray(demo_file("birthday-party.mp4"))
    at = data.index(b"avc1", data.index(b"stsd"))  # the sample entry, not the ftyp brand
    data[at : at + 4] = b"hev1"  # same container, another codec
    fast_sandbox.put_object(DEMO, "incoming/hevc.mp4", bytes(data))
    resp = wait_done(rek, start(rek, key="incoming/hevc.mp4"))
    assert resp["JobStatus"] == "FAILED"
    assert "hev1" in resp["StatusMessage"]


def test_the_object_is_read_when_the_job_starts(fast_sandbox, rek):
    """Overwriting a video with text before starting makes the job fail: the bytes are really read."""
    from gui.sandbox.seed import demo_file

    fast_sandbox.put_object(DEMO, "incoming/replaced.mp4", demo_file("dog-park.mov"))
    good = start(rek, key="incoming/replaced.mp4")
    fast_sandbox.put_object(DEMO, "incoming/replaced.mp4", b"now it is text")
    bad = start(rek, key="incoming/replaced.mp4")
    assert wait_done(rek, good)["JobStatus"] == "SUCCEEDED"
    assert wait_done(rek, bad)["JobStatus"] == "FAILED"


def test_a_specific_object_version_is_analysed(fast_sandbox, rek):
    s3 = client(fast_sandbox, "s3")
    s3.create_bucket(Bucket="versioned-videos")
    s3.put_bucket_versioning(Bucket="versioned-videos", VersioningConfiguration={"Status": "Enabled"})
    from gui.sandbox.seed import demo_file

    v1 = s3.put_object(Bucket="versioned-videos", Key="clip.mp4", Body=demo_file("dog-park.mov"))["VersionId"]
    s3.put_object(Bucket="versioned-videos", Key="clip.mp4", Body=b"broken later")
    video = {"S3Object": {"Bucket": "versioned-videos", "Name": "clip.mp4", "Version": v1}}
    job = rek.start_label_detection(Video=video)["JobId"]
    resp = wait_done(rek, job)
    assert resp["JobStatus"] == "SUCCEEDED"
    assert resp["Video"] == video
    latest = wait_done(rek, start(rek, bucket="versioned-videos", key="clip.mp4"))
    assert latest["JobStatus"] == "FAILED"


def test_unknown_job_id_is_an_error(rek):
    with pytest.raises(rek.exceptions.ResourceNotFoundException) as excinfo:
        rek.get_label_detection(JobId="0" * 64)
    assert code_of(excinfo) == "ResourceNotFoundException"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_job_ids_look_like_the_services(rek):
    job = start(rek)
    assert len(job) == 64 and all(c in "0123456789abcdef" for c in job)
    assert start(rek) != job


def test_jobs_of_one_sandbox_are_unknown_to_another(fast_sandbox, make_sandbox):
    job = start(client(fast_sandbox, "rekognition"))
    other = make_sandbox()
    rek = client(other, "rekognition")
    with pytest.raises(rek.exceptions.ResourceNotFoundException):
        rek.get_label_detection(JobId=job)
    assert other.jobs() == []
    assert any(j["JobId"] == job for j in fast_sandbox.jobs())


def test_default_job_settings(fast_sandbox, rek):
    job = start(rek, key=CLIP)
    record = next(j for j in fast_sandbox.jobs() if j["JobId"] == job)
    assert record["params"] == {"Video": {"S3Object": {"Bucket": DEMO, "Name": CLIP}}}
    assert record["JobTag"] is None and record["ClientRequestToken"] is None
