"""The log: credentials redacted whatever the level (botocore DEBUG with a session token included) and
whichever handler receives the record; control characters cannot forge a line; the file is private."""

from __future__ import annotations

import io
import logging
import os
import stat
import sys
from collections.abc import Iterator

import boto3
import pytest
from botocore.config import Config

from gui.core.logs import setup_logging

REGION = "us-east-1"


@pytest.fixture
def debug_log(tmp_path) -> Iterator[tuple]:
    root = logging.getLogger()
    level = root.level
    log_file = tmp_path / "logs" / "app.log"
    setup_logging(log_file, level=logging.DEBUG)
    botocore_log = logging.getLogger("botocore")
    # What boto3.set_stream_logger("botocore") does: DEBUG on, and a handler of its own.
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    botocore_log.addHandler(handler)
    botocore_log.setLevel(logging.DEBUG)
    try:
        yield log_file, stream
    finally:
        botocore_log.removeHandler(handler)
        setup_logging(None)
        root.setLevel(level)


def test_botocore_debug_with_a_session_token_logs_no_credential(sandbox, debug_log):
    log_file, stream = debug_log
    sts = boto3.client("sts", region_name=REGION, endpoint_url=sandbox.endpoint_url,
                       aws_access_key_id="AKIAREDACTIONTEST01", aws_secret_access_key="testing-secret-0123")
    creds = sts.get_session_token()["Credentials"]
    token, key_id, secret = creds["SessionToken"], creds["AccessKeyId"], creds["SecretAccessKey"]
    assert len(token) > 20
    session = boto3.Session(aws_access_key_id=key_id, aws_secret_access_key=secret, aws_session_token=token,
                            region_name=REGION)
    s3 = session.client("s3", endpoint_url=sandbox.endpoint_url)
    s3.list_buckets()
    for version in ("s3v4", "s3"):  # SigV4 and legacy SigV2 presigned links
        signer = session.client("s3", endpoint_url=sandbox.endpoint_url, config=Config(signature_version=version))
        url = signer.generate_presigned_url("get_object", Params={"Bucket": "demo-videos", "Key": "a.mp4"})
        logging.getLogger("gui.test").info("link %s", url)
    for handler in logging.getLogger().handlers:
        handler.flush()

    file_text = log_file.read_text(encoding="utf-8")
    for text in (file_text, stream.getvalue()):
        # botocore really logged the signed request (the test would pass on an empty log otherwise)
        assert "X-Amz-Security-Token" in text and "Authorization" in text
        assert token not in text and secret not in text
        assert f"Credential={key_id}" not in text and f"X-Amz-Credential={key_id}" not in text
    assert "Signature=***" in file_text
    assert "'X-Amz-Security-Token': b'***'" in file_text
    assert "'Authorization': b'***'" in file_text
    assert "x-amz-security-token:***" in file_text  # the canonical request botocore logs
    assert "X-Amz-Signature=***" in file_text and "X-Amz-Security-Token=***" in file_text


def test_a_newline_or_escape_in_a_message_cannot_forge_a_log_line(tmp_path):
    root = logging.getLogger()
    level = root.level
    log_file = tmp_path / "logs" / "app.log"
    setup_logging(log_file)
    try:
        key = "clip.mp4\n2026-01-01 00:00:00,000 INFO gui.core.engine Started job for s3://x/y\x1b[2J\u202e"
        logging.getLogger("gui.test").warning("Could not read %s", key)
        for handler in root.handlers:
            handler.flush()
    finally:
        setup_logging(None)
        root.setLevel(level)
    lines = log_file.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1, lines
    assert "clip.mp4⟨U+000A⟩2026-01-01" in lines[0] and "⟨U+001B⟩[2J⟨U+202E⟩" in lines[0]
    assert "\x1b" not in lines[0] and "\u202e" not in lines[0]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_log_file_and_folder_are_private_under_a_permissive_umask(tmp_path):
    root = logging.getLogger()
    level = root.level
    log_dir = tmp_path / "logs"
    log_dir.mkdir(mode=0o755)
    os.chmod(log_dir, 0o755)
    old = tmp_path / "logs" / "old.log"
    old.write_text("from an older version\n")
    os.chmod(old, 0o644)
    previous_umask = os.umask(0o000)
    try:
        for log_file in (tmp_path / "fresh" / "app.log", old):
            setup_logging(log_file)
            logging.getLogger("gui.test").warning("hello")
            assert stat.S_IMODE(log_file.stat().st_mode) == 0o600, log_file
            assert stat.S_IMODE(log_file.parent.stat().st_mode) == 0o700, log_file.parent
    finally:
        os.umask(previous_umask)
        setup_logging(None)
        root.setLevel(level)
