"""Frames from S3 without Qt: the ranged-GET file, PyAV decoding to the exact frame (pixels compared with
an independent decode of the same bytes), rotation, the refusals, boxes and thumbnails."""

from __future__ import annotations

import io
import random
import time

import numpy as np
import pytest
from botocore.exceptions import ClientError
from frames_support import (
    CITY,
    DEMO_BUCKET,
    DOG,
    TEST_BUCKET,
    client,
    make_video,
    mean_abs_diff,
    reference_at,
    reference_frames,
)

from gui.core.boxes import Box, box_of, boxes_of, crop, draw_boxes
from gui.core.frames import Video
from gui.core.moments import BoxIndex, LabelMoments, ThumbnailCache, moment_ms
from gui.core.palette import PALETTE, category_color, label_color
from gui.core.results_store import SEGMENTS, Detection
from gui.core.s3range import (
    CHANGED,
    DENIED,
    EMPTY,
    GONE,
    PAST_END,
    UNDECODABLE,
    ObjectPin,
    RangeSource,
    VideoUnavailable,
    _unavailable,
)


def put(sb, key, body):
    s3 = client(sb, "s3")
    s3.put_object(Bucket=TEST_BUCKET, Key=key, Body=body)
    return s3


def source(sb, key, bucket=TEST_BUCKET, **kwargs):
    pin_args = {k: kwargs.pop(k) for k in ("version_id", "size", "unmodified_since", "etag") if k in kwargs}
    return RangeSource(client(sb, "s3"), ObjectPin(bucket, key, **pin_args), **kwargs)


# -- the ranged file --------------------------------------------------------------------------------------


def test_range_file_reads_exactly_the_objects_bytes_at_random_offsets(sb):
    data = random.Random(1).randbytes(3 * 1024 * 1024 + 17)
    put(sb, "bytes.bin", data)
    src = source(sb, "bytes.bin", block_size=64 * 1024, cache_bytes=1024 * 1024)
    f = src.open()
    rng = random.Random(2)
    for _ in range(60):
        pos = rng.randrange(0, len(data))
        n = rng.choice([1, 100, 5000, 70_000, 300_000])
        f.seek(pos)
        assert f.read(n) == data[pos : pos + n]
        assert f.tell() == min(len(data), pos + n)
    f.seek(-10, io.SEEK_END)
    assert f.read() == data[-10:]
    assert f.read(5) == b""  # at the end
    assert src.cached_bytes() <= 1024 * 1024  # the cache stays within its bound
    assert 0 < src.bytes_fetched < 60 * 400_000


def test_sequential_reads_fetch_ahead_so_few_requests_cover_a_long_read(sb):
    data = bytes(range(256)) * 8192  # 2 MiB
    put(sb, "seq.bin", data)
    src = source(sb, "seq.bin", block_size=64 * 1024, max_read_ahead=8)
    f = src.open()
    got = b"".join(iter(lambda: f.read(32 * 1024), b""))
    assert got == data
    blocks = len(data) // (64 * 1024)
    assert src.requests - 1 < blocks / 3, src.requests  # minus the HEAD; one GET per block would be 32
    assert src.bytes_fetched == len(data)  # nothing fetched twice


def test_zero_byte_object_is_refused_clearly(sb):
    put(sb, "empty.mp4", b"")
    with pytest.raises(VideoUnavailable) as info:
        source(sb, "empty.mp4").open()
    assert info.value.reason == EMPTY and "zero-byte" in str(info.value)


def test_deleted_object_is_gone(sb):
    s3 = put(sb, "gone.mp4", make_video(seconds=1))
    s3.delete_object(Bucket=TEST_BUCKET, Key="gone.mp4")
    with pytest.raises(VideoUnavailable) as info:
        Video(source(sb, "gone.mp4")).frame_at(0)
    assert info.value.reason == GONE and "no longer in S3" in str(info.value)


def test_object_replaced_after_the_job_is_changed(sb):
    put(sb, "replaced.mp4", make_video(seconds=1))
    submitted = time.time()
    time.sleep(1.1)  # S3 dates have one-second resolution
    put(sb, "replaced.mp4", make_video(seconds=1, size=(96, 64)))
    with pytest.raises(VideoUnavailable) as info:
        Video(source(sb, "replaced.mp4", unmodified_since=submitted)).frame_at(0)
    assert info.value.reason == CHANGED
    # not changed since a later moment: it opens
    assert Video(source(sb, "replaced.mp4", unmodified_since=time.time() + 1)).frame_at(0).width == 96


def test_object_replaced_in_the_same_second_with_the_same_size_is_changed_by_its_etag(sb):
    """The job records the ETag the listing gave; S3 answers 412 to ``If-Match`` with another ETag (GetObject's
    IfMatch, botocore's s3 model), which neither the size nor a one-second If-Unmodified-Since can tell."""
    first, second = random.Random(21).randbytes(300_000), random.Random(22).randbytes(300_000)
    s3 = put(sb, "same-size.bin", first)
    recorded = s3.head_object(Bucket=TEST_BUCKET, Key="same-size.bin")["ETag"].strip('"')
    assert source(sb, "same-size.bin", etag=recorded, size=len(first)).open().read(5) == first[:5]
    assert source(sb, "same-size.bin", etag=f'"{recorded}"').open().read(5) == first[:5]  # quotes or none
    put(sb, "same-size.bin", second)
    with pytest.raises(VideoUnavailable) as info:
        source(sb, "same-size.bin", etag=recorded, size=len(first), unmodified_since=time.time() + 5).open()
    assert info.value.reason == CHANGED
    # without the ETag, the same pin opens the new bytes: the ETag is what tells them apart
    assert source(sb, "same-size.bin", size=len(first), unmodified_since=time.time() + 5).open().read(5) \
        == second[:5]


def test_object_of_another_size_than_the_job_recorded_is_changed(sb):
    body = make_video(seconds=1)
    put(sb, "resized.mp4", body)
    with pytest.raises(VideoUnavailable) as info:
        source(sb, "resized.mp4", size=len(body) + 1).open()
    assert info.value.reason == CHANGED and f"{len(body):,} bytes now" in str(info.value)


def test_object_replaced_while_reading_fails_instead_of_mixing_two_files(sb):
    data = random.Random(3).randbytes(512 * 1024)
    put(sb, "midway.bin", data)
    src = source(sb, "midway.bin", block_size=64 * 1024)
    f = src.open()
    assert f.read(10) == data[:10]
    put(sb, "midway.bin", random.Random(4).randbytes(512 * 1024))  # same size, new ETag
    f.seek(300 * 1024)
    with pytest.raises(VideoUnavailable) as info:
        f.read(10)
    assert info.value.reason == CHANGED


def test_version_named_by_the_job_is_read_even_after_an_overwrite(sb):
    s3 = client(sb, "s3")
    s3.create_bucket(Bucket="frame-versions")
    s3.put_bucket_versioning(Bucket="frame-versions", VersioningConfiguration={"Status": "Enabled"})
    first = make_video(seconds=1, size=(160, 96))
    version = s3.put_object(Bucket="frame-versions", Key="v.mp4", Body=first)["VersionId"]
    s3.put_object(Bucket="frame-versions", Key="v.mp4", Body=make_video(seconds=1, size=(96, 64)))
    frame = Video(source(sb, "v.mp4", bucket="frame-versions", version_id=version)).frame_at(0)
    assert (frame.width, frame.height) == (160, 96)
    s3.delete_object(Bucket="frame-versions", Key="v.mp4", VersionId=version)
    with pytest.raises(VideoUnavailable) as info:
        source(sb, "v.mp4", bucket="frame-versions", version_id=version).open()
    assert info.value.reason == GONE and version in str(info.value)


def test_access_denied_and_precondition_codes_map_to_reasons():
    """moto does not enforce bucket policies, so S3's refusals are built as botocore raises them."""
    pin = ObjectPin("b", "k.mp4")

    def error(code, status, op="GetObject"):
        return ClientError({"Error": {"Code": code, "Message": "x"}, "ResponseMetadata": {"HTTPStatusCode": status}},
                           op)

    assert _unavailable(error("AccessDenied", 403), pin).reason == DENIED
    assert "s3:GetObject" in _unavailable(error("403", 403, "HeadObject"), pin).message.hint
    assert _unavailable(error("PreconditionFailed", 412), pin).reason == CHANGED
    assert _unavailable(error("412", 412, "HeadObject"), pin).reason == CHANGED
    assert _unavailable(error("NoSuchKey", 404), pin).reason == GONE
    other = error("InternalError", 500)
    assert _unavailable(other, pin) is other  # not ours to explain: passed through


# -- decoding ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("bucket", "key"), [(DEMO_BUCKET, CITY), (DEMO_BUCKET, DOG)], ids=["mp4", "mov"])
def test_frame_at_matches_an_independent_decode_of_the_file(sb, bucket, key):
    data = client(sb, "s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    frames = reference_frames(data)
    video = Video(source(sb, key, bucket=bucket))
    info = video.info()
    assert (info.width, info.height) == (frames[0][1].shape[1], frames[0][1].shape[0])
    last = frames[-1][0]
    rng = random.Random(5)
    moments = [0, 1, frames[7][0], frames[7][0] - 0.5, last, *(rng.uniform(0, last) for _ in range(6))]
    for ms in moments + sorted(moments, reverse=True):  # forward, then seeking back
        got = video.frame_at(ms)
        assert got.start_ms <= max(ms, 0) < got.end_ms or ms >= last
        assert mean_abs_diff(got.rgb, reference_at(data, ms)) < 0.5, ms
    video.close()


def test_moov_at_the_end_needs_a_small_share_of_the_bytes(sb):
    body = make_video(seconds=60, size=(320, 180), gop=50)
    assert body.find(b"moov") > body.find(b"mdat") > 0  # the index really is at the end
    put(sb, "moov-last.mp4", body)
    src = source(sb, "moov-last.mp4", block_size=16 * 1024)
    frame = Video(src).frame_at(43_000)
    assert frame.start_ms == 43_000
    assert mean_abs_diff(frame.rgb, reference_at(body, 43_000)) < 0.5
    assert src.bytes_fetched < len(body) * 0.3, (src.bytes_fetched, len(body))
    # nothing between the header and the keyframe before 43 s was read
    middle = range(int(len(body) * 0.2) // src.block_size, int(len(body) * 0.6) // src.block_size)
    assert not [i for i in src._blocks if i in middle]


def test_next_and_previous_frame_step_one_frame(sb):
    body = make_video(seconds=2, fps=25)
    put(sb, "steps.mp4", body)
    video = Video(source(sb, "steps.mp4"))
    frame = video.frame_at(1000)
    after = video.next_frame(frame)
    assert (after.start_ms, video.previous_frame(after).start_ms) == (1040, 1000)
    assert mean_abs_diff(after.rgb, reference_at(body, 1040)) < 0.5
    first = video.frame_at(0)
    assert video.previous_frame(first) is first  # the start stays the start


def test_rotation_is_applied_as_players_do(sb):
    """Display matrix 90° counter-clockwise: the stored top-left marker ends up bottom-left, and the
    160x96 picture shows as 96x160."""
    body = make_video(seconds=1, size=(160, 96), rotation=90)
    assert reference_frames(body)[0][2] == 90
    put(sb, "rotated.mp4", body)
    video = Video(source(sb, "rotated.mp4"))
    info = video.info()
    assert (info.width, info.height, info.rotation) == (96, 160, 90)
    rgb = video.frame_at(0).rgb
    assert rgb.shape == (160, 96, 3)
    assert rgb[-6, 6].min() > 220, "marker bottom-left"
    assert rgb[6, 6].max() < 230 or rgb[6, 6].min() < 200, "not top-left any more"
    assert mean_abs_diff(rgb, np.rot90(reference_at(body, 0), 1)) < 0.5


def test_timestamp_past_the_end_is_refused(sb):
    put(sb, "short.mp4", make_video(seconds=1))
    video = Video(source(sb, "short.mp4"))
    with pytest.raises(VideoUnavailable) as info:
        video.frame_at(60_000)
    assert info.value.reason == PAST_END and "00:01:00.000" in str(info.value)
    assert video.frame_at(990).start_ms == 960  # the last frame still shows


@pytest.mark.parametrize("key", ["incoming/not-really-a-video.mp4", "incoming/truncated-upload.mp4"])
def test_undecodable_video_is_refused_clearly(sb, key):
    keys = {o["Key"] for o in client(sb, "s3").list_objects_v2(Bucket=DEMO_BUCKET)["Contents"]}
    assert key in keys
    with pytest.raises(VideoUnavailable) as info:
        Video(source(sb, key, bucket=DEMO_BUCKET)).frame_at(0)
    assert info.value.reason == UNDECODABLE and key in str(info.value)


# -- boxes, moments, thumbnails ---------------------------------------------------------------------------


def _detection(i, ms, label, confidence, boxes=(), categories=("Vehicles",), start=None):
    instances = tuple({"BoundingBox": dict(zip(("Left", "Top", "Width", "Height"), b, strict=True)),
                       "Confidence": 90.0 + n} for n, b in enumerate(boxes))
    return Detection(i, ms, label, confidence, len(instances), start_ms=start, categories=tuple(categories),
                     instances=instances)


def test_boxes_are_clamped_captioned_and_coloured_by_category():
    d = _detection(1, 0, "Car", 81.66, [(0.5, 0.5, 0.8, 0.8), (1.2, 0.1, 0.2, 0.2), (-0.1, -0.1, 0.3, 0.4)])
    boxes = boxes_of([d])
    assert len(boxes) == 2  # the one right of the frame is dropped
    assert boxes[0].caption == "Car 81.7 %"
    assert (boxes[0].left, boxes[0].top, round(boxes[0].width, 6), round(boxes[0].height, 6)) == (0.5, 0.5, 0.5, 0.5)
    assert (boxes[1].left, boxes[1].top) == (0.0, 0.0)
    assert boxes[0].color == category_color("Vehicles") == label_color("Car", ["Vehicles"]) and boxes[0].color in PALETTE
    assert box_of("X", 50, (), {"Left": 0.2, "Top": 0.2, "Width": 0, "Height": 0.1}) is None
    assert label_color("Lonely") == category_color("Lonely")


def test_drawn_boxes_outline_the_instance_and_stay_inside_the_frame():
    rgb = np.zeros((100, 200, 3), dtype=np.uint8)
    box = Box("Dog", 90.0, 0.25, 0.5, 0.5, 0.6, "#D55E00")  # runs off the bottom
    out = draw_boxes(rgb, [box])
    assert out.shape == rgb.shape and not out[..., :].any(axis=2)[0:40, 0:40].any()
    assert tuple(out[75, 50]) == (0xD5, 0x5E, 0x00)  # left edge of the box
    assert tuple(out[99, 100]) == (0xD5, 0x5E, 0x00)  # bottom edge clamped onto the last row
    assert not out[70:95, 60:140].any()  # inside stays untouched
    assert (out[0:50, 50:150] != 0).any()  # the caption above the box
    assert not rgb.any()  # the input is not drawn on


def test_box_index_gives_the_detections_inside_a_frame():
    dets = [_detection(1, 1000, "Car", 80, [(0, 0, 0.1, 0.1)]), _detection(2, 1020, "Dog", 70, [(0, 0, 0.1, 0.1)]),
            _detection(3, 1040, "Car", 60, [(0, 0, 0.1, 0.1)])]
    index = BoxIndex(dets)

    class F:
        start_ms, end_ms = 1000.0, 1040.0

        def covers(self, ms):
            return self.start_ms <= ms < self.end_ms

    assert [d.id for d in index.at(F())] == [1, 2]
    assert [d.id for d in index.at(F(), 1040)] == [1, 2, 3]


def test_label_moments_step_and_pick_the_best():
    dets = [_detection(1, 500, "Car", 70), _detection(2, 1500, "Car", 95), _detection(3, 2500, "Car", 95),
            _detection(4, 900, "Dog", 99)]
    moments = LabelMoments("Car", [d for d in dets if d.label == "Car"])
    assert moments.after(500).id == 2 and moments.after(2500) is None
    assert moments.before(1500).id == 1 and moments.before(500) is None
    assert moments.best().id == 2  # the earliest of the most confident
    seg = _detection(5, 3000, "Car", 50, start=2800)
    assert moment_ms(seg, SEGMENTS) == 2800 and moment_ms(seg) == 3000


def test_thumbnail_crop_keeps_aspect_and_the_cache_stays_bounded(tmp_path):
    rgb = np.zeros((360, 640, 3), dtype=np.uint8)
    rgb[180:270, 320:480] = (0, 255, 0)
    thumb = crop(rgb, Box("X", 1, 0.5, 0.5, 0.25, 0.25, "#000000"), (56, 32), margin=0)
    assert thumb.shape[1] <= 56 and thumb.shape[0] <= 32 and thumb[thumb.shape[0] // 2, thumb.shape[1] // 2, 1] > 200
    whole = crop(rgb, None, (56, 32))
    assert whole.shape[:2] == (32, 56) or whole.shape[:2] == (31, 56)
    from gui.core.moments import PRUNE_EVERY

    cache = ThumbnailCache(tmp_path / "thumbs", max_bytes=10_000)
    for i in range(40):
        cache.put(f"k{i}", bytes(1000))
        assert cache.total_bytes() <= 10_000 + (PRUNE_EVERY - 1) * 1000
    cache.prune()
    assert cache.total_bytes() <= 10_000
    assert cache.get("k39") == bytes(1000) and cache.get("k0") is None  # the oldest went first


def test_moments_from_a_stored_job_keep_the_labels_own_rows_and_every_box(sb, tmp_path, monkeypatch):
    """Search matches substrings ("Car" finds "Car Dealership"): a label's moments are its own rows only;
    the box index pages through the stored detections (a small page here) and keeps those with boxes."""
    from frames_support import start_and_wait

    from gui.core import moments
    from gui.core.results_fetch import fetch_and_store
    from gui.core.results_store import ResultsStore

    box = {"BoundingBox": {"Left": 0.1, "Top": 0.1, "Width": 0.2, "Height": 0.2}, "Confidence": 90.0}
    script = [{"Timestamp": t, "Label": {"Name": name, "Confidence": conf, "Instances": inst}}
              for t, name, conf, inst in [(0, "Car", 70.0, [box]), (500, "Car Dealership", 99.0, []),
                                          (1000, "Car", 95.0, [box, box]), (1500, "Tree", 60.0, []),
                                          (2000, "Car", 80.0, []), (2500, "Dog", 85.0, [box])]]
    put(sb, "moments.mp4", make_video(seconds=3))
    sb.set_detection_script(TEST_BUCKET, "moments.mp4", script)
    rekognition = client(sb, "rekognition")
    job_id = start_and_wait(rekognition, TEST_BUCKET, "moments.mp4")
    store = ResultsStore(tmp_path / "results.sqlite3")
    try:
        fetch_and_store(rekognition, job_id, store)
        car = LabelMoments.from_store(store, job_id, "Car")
        assert car.times == [0, 1000, 2000] and car.best().timestamp_ms == 1000
        monkeypatch.setattr(moments, "PAGE", 2)
        index = BoxIndex.from_store(store, job_id)
        assert sorted((d.timestamp_ms, d.label) for d in index.between(0, 10_000)) == [
            (0, "Car"), (1000, "Car"), (2500, "Dog")]
    finally:
        store.close()
