"""Demo seeding and fast bulk fills, checked through S3 over HTTP."""

from __future__ import annotations

import time

from sandbox_testkit import DEMO, client

from gui.core.types import S3Object
from gui.sandbox.mp4probe import probe


def _objects(sb, bucket: str, prefix: str = "") -> dict[str, int]:
    s3 = client(sb, "s3")
    out = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        out.update({o["Key"]: o["Size"] for o in page.get("Contents", [])})
    return out


def test_demo_bucket_has_every_kind_of_object(fast_sandbox):
    objects = _objects(fast_sandbox, DEMO)
    s3 = client(fast_sandbox, "s3")
    videos = {k: v for k, v in objects.items() if S3Object(DEMO, k, v).is_video}
    real = {}
    for key in videos:
        body = s3.get_object(Bucket=DEMO, Key=key)["Body"].read()
        try:
            real[key] = probe(body)
        except ValueError:
            continue
    playable = {k: i for k, i in real.items() if i.duration_ms <= 6 * 3600 * 1000}
    assert len(playable) >= 10
    assert {k.rsplit(".", 1)[1] for k in playable} == {"mp4", "mov"}
    assert {i.container for i in playable.values()} == {"mp4", "mov"}
    assert any(i.height > i.width for i in playable.values()), "one portrait video"
    assert len({i.duration_ms for i in playable.values()}) >= 8, "varied lengths"
    assert len({(i.width, i.height) for i in playable.values()}) >= 6, "varied sizes"
    assert any(k.endswith(".txt") for k in objects) and any(k.endswith(".jpg") for k in objects)
    broken = [k for k in videos if k not in real]
    assert broken, "a broken .mp4"
    assert any(k.count("/") >= 2 for k in objects), "nested prefixes"
    assert 300_000 < sum(objects.values()) < 3_000_000
    jpg = next(k for k in objects if k.endswith(".jpg"))
    assert s3.get_object(Bucket=DEMO, Key=jpg)["Body"].read()[:3] == b"\xff\xd8\xff"


def test_seed_demo_is_repeatable(make_sandbox):
    sb = make_sandbox()
    first = sb.seed_demo()
    second = sb.seed_demo()
    assert first == second
    assert _objects(sb, DEMO) == first


def test_put_object_and_create_bucket_go_straight_to_moto(make_sandbox):
    sb = make_sandbox()
    sb.create_bucket("direct-bucket")
    sb.create_bucket("direct-bucket")  # idempotent
    sb.put_object("direct-bucket", "a/b/c.mp4", b"12345")
    s3 = client(sb, "s3")
    assert s3.get_object(Bucket="direct-bucket", Key="a/b/c.mp4")["Body"].read() == b"12345"


def test_fill_prefix_is_fast_and_lists_through_s3(make_sandbox):
    sb = make_sandbox()
    began = time.perf_counter()
    assert sb.fill_prefix("bulk-bucket", "many/", 5000, size=200, video_ratio=0.6) == 5000
    elapsed = time.perf_counter() - began
    assert elapsed < 10, elapsed  # 100k takes seconds; 5k must be well under a second or two
    objects = _objects(sb, "bulk-bucket", "many/")
    assert len(objects) == 5000
    assert set(objects.values()) == {200}
    videos = [k for k in objects if S3Object("b", k).is_video]
    assert len(videos) == 3000
    assert any(k.endswith(".mov") for k in videos) and any(k.endswith(".txt") for k in objects)
    s3 = client(sb, "s3")
    folders = s3.list_objects_v2(Bucket="bulk-bucket", Delimiter="/")["CommonPrefixes"]
    assert folders == [{"Prefix": "many/"}]


def test_filled_videos_are_playable_when_large_enough(make_sandbox):
    sb = make_sandbox(job_seconds=0.01)
    sb.fill_prefix("bulk-videos", "big/", 3, size=60_000)
    sb.fill_prefix("bulk-videos", "tiny/", 2, size=100)
    rek = client(sb, "rekognition")
    from sandbox_testkit import start, wait_done

    big = wait_done(rek, start(rek, bucket="bulk-videos", key="big/item-000001.mp4"))
    tiny = wait_done(rek, start(rek, bucket="bulk-videos", key="tiny/item-000001.mp4"))
    assert big["JobStatus"] == "SUCCEEDED"
    assert tiny["JobStatus"] == "FAILED"


def _listing(s3, bucket: str, prefix: str, delimiter: str | None, page_size: int, v2: bool = True):
    keys, folders = [], []
    kwargs = {"Bucket": bucket, "Prefix": prefix, "PaginationConfig": {"PageSize": page_size}}
    if delimiter:
        kwargs["Delimiter"] = delimiter
    for page in s3.get_paginator("list_objects_v2" if v2 else "list_objects").paginate(**kwargs):
        keys += [o["Key"] for o in page.get("Contents", [])]
        folders += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
    return keys, folders


def _expected(names: set[str], prefix: str, delimiter: str | None):
    keys, folders = [], set()
    for name in sorted(names):
        if not name.startswith(prefix):
            continue
        rest = name[len(prefix):]
        if delimiter and delimiter in rest:
            folders.add(prefix + rest.split(delimiter)[0] + delimiter)
        else:
            keys.append(name)
    return keys, sorted(folders)


def test_listings_stay_exact_through_writes_and_deletes(make_sandbox):
    """The sandbox caches sorted listings per bucket; every write or delete must invalidate them."""
    sb = make_sandbox()
    names = {f"{top}/{mid}/obj-{i:03d}.mp4" for top in ("a", "b", "c") for mid in ("x", "y") for i in range(40)}
    names |= {f"a/file-{i}.txt" for i in range(30)} | {"root.txt", "zz/last.mov"}
    sb.create_bucket("listing")
    for name in names:
        sb.put_object("listing", name, b"v")
    s3 = client(sb, "s3")
    cases = [("", "/"), ("a/", "/"), ("a/", None), ("b/x/", "/"), ("", None), ("nothing/", "/")]

    def check() -> None:
        for prefix, delimiter in cases:
            for v2 in (True, False):
                got_keys, got_folders = _listing(s3, "listing", prefix, delimiter, 7, v2)
                want_keys, want_folders = _expected(names, prefix, delimiter)
                assert got_keys == want_keys, (prefix, delimiter, v2)
                assert sorted(set(got_folders)) == want_folders, (prefix, delimiter, v2)

    check()
    for name in sorted(names)[::5]:  # deletes over HTTP
        s3.delete_object(Bucket="listing", Key=name)
        names.discard(name)
    s3.put_object(Bucket="listing", Key="a/new-one.txt", Body=b"n")  # a write over HTTP
    names.add("a/new-one.txt")
    sb.put_object("listing", "b/x/direct.mp4", b"d")  # a direct write
    names.add("b/x/direct.mp4")
    check()
    s3.put_object(Bucket="listing", Key="over.txt", Body=b"1")
    assert {o["Key"]: o["Size"] for o in s3.list_objects_v2(Bucket="listing")["Contents"]}["over.txt"] == 1
    s3.put_object(Bucket="listing", Key="over.txt", Body=b"longer body")  # overwrite: the new size is listed
    assert {o["Key"]: o["Size"] for o in s3.list_objects_v2(Bucket="listing")["Contents"]}["over.txt"] == 11
