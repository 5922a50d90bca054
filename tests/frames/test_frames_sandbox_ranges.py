"""The sandbox answers ranged GETs by reading only the range (gui/sandbox/fastrange.py), with S3's
semantics: RFC 9110 byte ranges ``a-b``, ``a-`` and the suffix ``-n`` as the GetObject ``Range``
parameter documents, 206 with ``Content-Range``, 416 ``InvalidRange`` past the end, preconditions
(If-Match) checked, and the ETag right even when the first requests on a new object come at once."""

from __future__ import annotations

import random
import threading

import pytest
from botocore.exceptions import ClientError
from frames_support import TEST_BUCKET, client


@pytest.fixture(scope="module")
def blob(sb):
    data = random.Random(9).randbytes(9 * 1024 * 1024 + 5)  # larger than moto's in-memory spool
    client(sb, "s3").put_object(Bucket=TEST_BUCKET, Key="ranges/blob.bin", Body=data)
    return data


@pytest.mark.parametrize(("spec", "start", "stop"), [
    ("bytes=0-0", 0, 1), ("bytes=100-199", 100, 200), ("bytes=9437180-", 9437180, None),
    ("bytes=-7", -7, None), ("bytes=9437000-99999999", 9437000, None),
])
def test_ranges_return_exactly_those_bytes(sb, blob, spec, start, stop):
    response = client(sb, "s3").get_object(Bucket=TEST_BUCKET, Key="ranges/blob.bin", Range=spec)
    body = response["Body"].read()
    assert body == blob[start:stop]
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 206
    first = start if start >= 0 else len(blob) + start
    assert response["ContentRange"] == f"bytes {first}-{first + len(body) - 1}/{len(blob)}"


def test_range_past_the_end_is_invalid_range(sb, blob):
    with pytest.raises(ClientError) as info:
        client(sb, "s3").get_object(Bucket=TEST_BUCKET, Key="ranges/blob.bin", Range=f"bytes={len(blob)}-")
    assert info.value.response["Error"]["Code"] == "InvalidRange"


def test_if_match_is_still_checked_on_ranges(sb, blob):
    s3 = client(sb, "s3")
    etag = s3.head_object(Bucket=TEST_BUCKET, Key="ranges/blob.bin")["ETag"]
    assert s3.get_object(Bucket=TEST_BUCKET, Key="ranges/blob.bin", Range="bytes=5-9", IfMatch=etag)["Body"].read() \
        == blob[5:10]
    with pytest.raises(ClientError) as info:
        s3.get_object(Bucket=TEST_BUCKET, Key="ranges/blob.bin", Range="bytes=5-9", IfMatch='"0000"')
    assert info.value.response["Error"]["Code"] == "PreconditionFailed"


def test_concurrent_first_reads_of_a_new_object_agree_on_its_etag(sb):
    import hashlib

    s3 = client(sb, "s3")
    for n in range(3):
        data = random.Random(n).randbytes(12 * 1024 * 1024)
        key = f"ranges/fresh-{n}.bin"
        sb.put_object(TEST_BUCKET, key, data)  # straight into moto: its ETag is not computed yet
        etags: list[str] = []

        def read(offset: int, key: str = key, etags: list[str] = etags) -> None:
            etags.append(s3.get_object(Bucket=TEST_BUCKET, Key=key, Range=f"bytes={offset}-{offset + 99}")["ETag"])

        threads = [threading.Thread(target=read, args=(i * 1_000_000,)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert set(etags) == {f'"{hashlib.md5(data).hexdigest()}"'}
