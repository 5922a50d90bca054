"""gui.core.s3browse against the sandbox over real HTTP: listings, pages, cancel, regions, odd keys."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from browse_helpers import Flag, connect_to, iam_enforced, raw_folder, record_calls

from gui.core.connection import Connection
from gui.core.errors import explain, is_retryable
from gui.core.s3browse import (
    S3Browser,
    breadcrumb,
    classify,
    human_size,
    parent_prefix,
    parse_s3_uri,
    type_label,
)
from gui.core.types import MAX_VIDEO_BYTES, VIDEO_EXTENSIONS, ConnectionSpec, S3Object

DEMO = "demo-videos"


def _listed(browser: S3Browser, bucket: str, prefix: str) -> tuple[set[str], set[str]]:
    folders: set[str] = set()
    keys: set[str] = set()
    for page in browser.iter_prefix(bucket, prefix):
        folders |= {f.prefix for f in page.folders}
        keys |= {o.key for o in page.objects}
    return folders, keys


def test_demo_bucket_nested_prefixes_match_a_raw_listing(sandbox, sandbox_conn, boto_client):
    s3 = boto_client("s3")
    browser = S3Browser(sandbox_conn, sandbox_conn.region)
    assert DEMO in [b.name for b in browser.list_buckets()]
    seen_nested = 0
    todo = [""]
    while todo:  # walk every folder of the demo bucket
        prefix = todo.pop()
        expected = raw_folder(s3, DEMO, prefix)
        assert _listed(browser, DEMO, prefix) == expected
        todo.extend(expected[0])
        seen_nested += prefix.count("/") >= 2
    assert seen_nested >= 1, "the demo bucket should have folders two levels deep"


def test_large_prefix_arrives_page_by_page(make_sandbox):
    sb = make_sandbox()
    sb.fill_prefix("big", "many/", 2500, size=16, video_ratio=0.6)
    conn = connect_to(sb)
    browser = S3Browser(conn, conn.region)
    pages = list(browser.iter_prefix("big", "many/", page_size=1000, first_page_size=1000))
    assert [len(p.objects) for p in pages] == [1000, 1000, 500]
    assert [p.more for p in pages] == [True, True, False]
    objects = [o for p in pages for o in p.objects]
    _, raw_keys = raw_folder(conn.client("s3"), "big", "many/")
    assert {o.key for o in objects} == raw_keys
    assert sum(o.is_video for o in objects) == sum(k.endswith(VIDEO_EXTENSIONS) for k in raw_keys)


def test_cancel_stops_the_listing_between_pages(make_sandbox):
    sb = make_sandbox()
    sb.fill_prefix("big", "p/", 3000, size=8)
    conn = connect_to(sb)
    calls = record_calls(conn.client("s3"), "ListObjectsV2")
    browser = S3Browser(conn, conn.region)
    flag = Flag()
    pages = []
    for page in browser.iter_prefix("big", "p/", flag):
        pages.append(page)
        flag.cancelled = True
    assert len(pages) == 1 and pages[0].more
    assert len(calls) == 1  # no request after the cancel


def test_bucket_in_another_region_is_listed_in_its_region(make_sandbox):
    sb = make_sandbox()
    sb.create_bucket("eu-clips", region="eu-west-1")
    sb.put_object("eu-clips", "clip.mp4", b"\0" * 10)
    conn = connect_to(sb)  # connected to us-east-1
    home_calls = record_calls(conn.client("s3"), "ListObjectsV2")
    eu_calls = record_calls(conn.client("s3", "eu-west-1"), "ListObjectsV2")
    browser = S3Browser(conn, conn.region)
    assert browser.region_of("eu-clips") == "eu-west-1"
    assert {o.key for p in browser.iter_prefix("eu-clips") for o in p.objects} == {"clip.mp4"}
    assert home_calls == []
    assert [c["region"] for c in eu_calls] == ["eu-west-1"]


@pytest.mark.parametrize(
    "key",
    ["with space/my clip.mp4", "unicodé/vidéo ü 日本.mov", "plus+sign/a+b.mp4", "top+level file.m4v"],
)
def test_unusual_keys_round_trip(make_sandbox, key):
    sb = make_sandbox()
    sb.create_bucket("odd")
    sb.put_object("odd", key, b"abc")
    conn = connect_to(sb)
    browser = S3Browser(conn, conn.region)
    folder = key.rsplit("/", 1)[0] + "/" if "/" in key else ""
    if folder:
        folders, _ = _listed(browser, "odd", "")
        assert folders == {folder}
    _, keys = _listed(browser, "odd", folder)
    assert keys == {key}
    assert [o.key for o in browser.all_videos("odd")] == [key]
    head = conn.client("s3").head_object(Bucket="odd", Key=key)  # the key works for a later call
    assert head["ContentLength"] == 3


def test_empty_bucket_lists_one_empty_page(make_sandbox):
    sb = make_sandbox()
    sb.create_bucket("empty")
    conn = connect_to(sb)
    pages = list(S3Browser(conn, conn.region).iter_prefix("empty"))
    assert len(pages) == 1
    assert pages[0].folders == [] and pages[0].objects == [] and not pages[0].more


def test_recursive_videos_under_a_prefix(sandbox, sandbox_conn, boto_client):
    s3 = boto_client("s3")
    raw = [
        o["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=DEMO, Prefix="family/")
        for o in page.get("Contents", [])
    ]
    expected = sorted(k for k in raw if k.lower().endswith(VIDEO_EXTENSIONS))
    assert len(expected) >= 2
    found = S3Browser(sandbox_conn, "us-east-1").all_videos(DEMO, "family/")
    assert sorted(o.key for o in found) == expected
    assert all(o.bucket == DEMO and o.size > 0 for o in found)


def test_missing_listbucket_permission_names_it(limited_user):
    sb, key_id, secret = limited_user(["s3:ListAllMyBuckets", "s3:GetBucketLocation", "sts:GetCallerIdentity"])
    spec = ConnectionSpec(source="access_key", access_key_id=key_id, endpoint_url=sb.endpoint_url)
    conn = Connection(spec, secret_access_key=secret)
    browser = S3Browser(conn, conn.region)
    with iam_enforced(sb):
        assert [b.name for b in browser.list_buckets()] == [DEMO]
        with pytest.raises(ClientError) as info:
            browser.all_videos(DEMO)
    message = explain(info.value)
    assert message.title == "Access denied"
    assert "s3:ListBucket" in message.hint


def test_connection_test_reports_missing_listallmybuckets(limited_user):
    sb, key_id, secret = limited_user(["sts:GetCallerIdentity"])
    spec = ConnectionSpec(source="access_key", access_key_id=key_id, endpoint_url=sb.endpoint_url)
    with iam_enforced(sb):
        identity = Connection(spec, secret_access_key=secret).test_connection()
    assert identity.arn.endswith(":user/viewer")
    assert identity.bucket_count is None
    assert "s3:ListAllMyBuckets" in (identity.buckets_problem or "")


@pytest.mark.parametrize(
    ("wrong", "title"),
    [("key", "Invalid access key"), ("secret", "Wrong secret access key")],
)
def test_invalid_key_or_secret_is_explained(limited_user, wrong, title):
    sb, key_id, secret = limited_user(["sts:GetCallerIdentity", "s3:ListAllMyBuckets"])
    if wrong == "key":
        key_id = "AKIA" + "Z" * 16
    else:
        secret = secret[::-1]
    spec = ConnectionSpec(source="access_key", access_key_id=key_id, endpoint_url=sb.endpoint_url)
    with iam_enforced(sb), pytest.raises(ClientError) as info:
        Connection(spec, secret_access_key=secret).test_connection()
    assert explain(info.value).title == title


def test_throttling_is_explained_and_retryable():
    # S3 throttling cannot be provoked in the sandbox (its fault injection covers Rekognition only):
    # a ClientError shaped exactly as botocore builds it from S3's 503 SlowDown answer.
    exc = ClientError(
        {
            "Error": {"Code": "SlowDown", "Message": "Please reduce your request rate."},
            "ResponseMetadata": {"HTTPStatusCode": 503, "HTTPHeaders": {}},
        },
        "ListObjectsV2",
    )
    message = explain(exc)
    assert message.title == "AWS is busy" and "SlowDown" in message.text
    assert is_retryable(exc)


def test_access_denied_without_action_in_message_names_the_operation_permission():
    exc = ClientError(
        {"Error": {"Code": "AccessDenied", "Message": "Access Denied"}, "ResponseMetadata": {"HTTPStatusCode": 403}},
        "GetBucketLocation",
    )
    assert "s3:GetBucketLocation" in explain(exc).hint


@pytest.mark.parametrize(
    ("size", "text"),
    [(0, "0 B"), (1023, "1023 B"), (1536, "1.5 KB"), (5 * 1024**2, "5.0 MB"), (MAX_VIDEO_BYTES, "10.0 GB")],
)
def test_human_size(size, text):
    assert human_size(size) == text


def test_path_helpers():
    assert parent_prefix("a/b/") == "a/" and parent_prefix("a/") == "" and parent_prefix("") == ""
    assert breadcrumb("a/b c/") == [("a", "a/"), ("b c", "a/b c/")]
    assert breadcrumb("") == []
    assert parse_s3_uri("s3://bkt/x+y/z é.mp4") == ("bkt", "x+y/z é.mp4")
    with pytest.raises(ValueError):
        parse_s3_uri("https://bkt/x")


def test_classification_and_ineligible_reason():
    small = S3Object("b", "v/clip.MP4", size=10)
    huge = S3Object("b", "v/huge.mov", size=MAX_VIDEO_BYTES + 1)
    text = S3Object("b", "notes.txt", size=10)
    assert (classify(small), classify(huge), classify(text)) == ("video", "too-large", "other")
    assert small.ineligible_reason is None
    assert "10 GB" in (huge.ineligible_reason or "")
    assert type_label(small) == "MP4 video" and type_label(text) == "TXT file"
