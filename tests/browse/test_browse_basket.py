"""The selection basket keeps videos across folders and refuses, with a reason, what Rekognition refuses."""

from __future__ import annotations

from datetime import UTC, datetime

from gui.core.selection import SelectionBasket, folder_of
from gui.core.types import MAX_VIDEO_BYTES, S3Object

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def video(key, size=1000, bucket="b", version=None):
    return S3Object(bucket, key, size, NOW, None, version)


def test_videos_from_several_folders_stay_in_order():
    basket = SelectionBasket()
    basket.add([video("a/1.mp4"), video("a/2.mov")])
    basket.add([video("b/3.avi"), video("a/1.mp4")])  # a repeat is not added twice
    assert [v.key for v in basket.videos()] == ["a/1.mp4", "a/2.mov", "b/3.avi"]
    assert basket.folders() == ["s3://b/a/", "s3://b/b/"]
    assert basket.summary() == "3 videos selected in 2 folders"


def test_refused_objects_never_count_and_keep_their_reason():
    basket = SelectionBasket()
    result = basket.add([video("a/notes.txt"), video("a/big.mp4", MAX_VIDEO_BYTES + 1), video("a/empty.mp4", 0),
                         video("a/ok.mp4")])
    assert result.added == 1
    reasons = {o.key: r for o, r in result.refused}
    assert reasons["a/notes.txt"].startswith("Not a video")
    assert reasons["a/big.mp4"].startswith("Larger than 10 GB")
    assert reasons["a/empty.mp4"].startswith("Empty object")
    assert [v.key for v in basket.videos()] == ["a/ok.mp4"]
    assert basket.summary() == "1 video selected; 3 left out (Rekognition would refuse them: see Review)"


def test_versions_are_distinct_entries_and_remove_drops_one():
    basket = SelectionBasket()
    basket.add([video("a/x.mp4", version="v1"), video("a/x.mp4", version="v2")])
    assert len(basket) == 2
    assert basket.remove([video("a/x.mp4", version="v1")]) == 1
    assert [v.version_id for v in basket.videos()] == ["v2"]
    assert video("a/x.mp4", version="v2") in basket and video("a/x.mp4", version="v1") not in basket


def test_folder_of_a_key_at_the_bucket_root():
    assert folder_of(video("clip.mp4")) == "s3://b/"
    assert folder_of(video("x/y/clip.mp4")) == "s3://b/x/y/"


def test_refuse_takes_a_video_out_with_its_reason():
    basket = SelectionBasket()
    basket.add([video("a/x.mp4"), video("a/y.mp4")])
    assert basket.refuse(video("a/x.mp4"), "Not H.264 (hevc)")
    assert [v.key for v in basket.videos()] == ["a/y.mp4"]
    assert [r for _o, r in basket.refused.values()] == ["Not H.264 (hevc)"]
    assert not basket.refuse(video("a/z.mp4"), "never added")
    assert len(basket.refused) == 1
