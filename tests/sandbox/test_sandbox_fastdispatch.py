"""moto's dispatcher lists its package folder on every request; the sandbox takes that listing once
(gui/sandbox/fastdispatch.py). The routing it feeds must not change: the same names in the same order,
and requests over HTTP still reach S3, SNS and SQS while the folder cannot be listed."""

from __future__ import annotations

import os

import moto.backends
from sandbox_testkit import client

from gui.sandbox import fastdispatch


def test_the_listing_is_moto_s_own(fast_sandbox):
    assert list(moto.backends.list_of_moto_modules()) == list(fastdispatch.ORIGINAL())
    assert {"s3", "sns", "sqs", "iam", "sts"} <= set(moto.backends.list_of_moto_modules())


def _calls(fast_sandbox, s3):
    bucket = s3.list_buckets()["Buckets"][0]["Name"]
    s3.head_bucket(Bucket=bucket)
    assert "Topics" in client(fast_sandbox, "sns").list_topics()
    assert client(fast_sandbox, "sqs").list_queues()["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_requests_route_without_listing_the_folder(fast_sandbox, s3, monkeypatch):
    _calls(fast_sandbox, s3)  # first calls load service models (a one-time listing of their own)
    listed: list[str] = []
    listdir = os.listdir

    def counting(path="."):
        listed.append(os.fspath(path))
        return listdir(path)

    monkeypatch.setattr(os, "listdir", counting)
    for _ in range(3):
        _calls(fast_sandbox, s3)
    assert listed == []
