"""Shared core pieces: taxonomy, request building, versioned JSON, atomic writes, redaction, error mapping."""

from __future__ import annotations

import json
import logging
import shlex

import pytest

from gui.core import jsonstore, logs
from gui.core.atomic import atomic_write_text, keep_aside
from gui.core.errors import KnownError, explain, is_retryable
from gui.core.paths import resolve_paths
from gui.core.request import build_start_request, to_cli
from gui.core.taxonomy import UNCATEGORIZED, load_taxonomy
from gui.core.types import JobSettings, LabelFilters, NotificationChannel, S3Object


def test_taxonomy_matches_aws_files():
    tax = load_taxonomy()
    assert len(tax.labels) == 3082
    real_categories = [c for c in tax.categories if c != UNCATEGORIZED]
    assert len(real_categories) == 40
    assert tax.get("Aardvark").category == "Animals and Pets"
    assert tax.get("Child").aliases == ("Kid",)
    assert tax.get("Poster").aliases == ("Brochure", "Flyer")
    # 'Dryer' and 'Flyer' are listed as bounding-box labels but are aliases: they mark Washer and Poster.
    assert tax.get("Washer").bounding_box and tax.get("Poster").bounding_box
    assert tax.get("Person").bounding_box and not tax.get("Aardvark").bounding_box
    assert tax.get("Riding Bicycle").category == UNCATEGORIZED
    assert "Crème Brûlée" not in tax.labels  # sanity: names are as AWS spells them
    assert any(not n.isascii() for n in tax.labels)  # accented names survived decoding


def test_request_only_sends_nonempty_filters_and_features():
    plain = build_start_request("b", "v.mp4", JobSettings())
    assert plain == {"Video": {"S3Object": {"Bucket": "b", "Name": "v.mp4"}}, "MinConfidence": 50}
    settings = JobSettings(
        LabelFilters(label_inclusions=("Dog",), category_exclusions=("Text and Documents",)),
        min_confidence=72.5,
        job_tag="batch-1",
        notification=NotificationChannel("arn:aws:sns:us-east-1:123456789012:AmazonRekognitionT", "arn:aws:iam::123456789012:role/R"),
    )
    params = build_start_request("b", "v.mp4", settings, client_request_token="tok-1", version_id="v1")
    assert params["Features"] == ["GENERAL_LABELS"]
    assert params["Settings"] == {
        "GeneralLabels": {"LabelInclusionFilters": ["Dog"], "LabelCategoryExclusionFilters": ["Text and Documents"]}
    }
    assert params["Video"]["S3Object"]["Version"] == "v1"
    assert params["MinConfidence"] == 72.5 and params["ClientRequestToken"] == "tok-1"


def test_cli_command_round_trips_the_parameters():
    settings = JobSettings(LabelFilters(label_exclusions=("Dog's Toy",)), job_tag="t")
    params = build_start_request("my bucket", "a b/ç.mp4", settings)
    cmd = to_cli(params, region="eu-west-1")
    argv = shlex.split(cmd)
    assert argv[:3] == ["aws", "rekognition", "start-label-detection"]
    assert json.loads(argv[argv.index("--video") + 1]) == params["Video"]
    # The AWS guide's own example misspells the key; ours must be the real one.
    assert "GeneralLabels" in json.loads(argv[argv.index("--settings") + 1])
    assert argv[argv.index("--features") + 1] == "GENERAL_LABELS"
    assert argv[-2:] == ["--region", "eu-west-1"]


def test_versioned_json_migrates_refuses_newer_and_keeps_corrupt(tmp_path):
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"schema_version": 1, "name": "x"}))
    res = jsonstore.load_versioned(path, 2, {1: lambda d: {**d, "added": True}}, what="preset")
    assert res.data == {"schema_version": 2, "name": "x", "added": True}

    path.write_text(json.dumps({"schema_version": 9}))
    with pytest.raises(KnownError) as err:
        jsonstore.load_versioned(path, 2, what="preset")
    assert "newer" in str(err.value) and path.exists()

    path.write_text("{not json")
    res = jsonstore.load_versioned(path, 2, what="preset")
    assert res.data is None and res.kept_aside is not None
    assert res.kept_aside.read_text() == "{not json" and not path.exists()
    assert str(path) in res.problem


def test_atomic_write_and_keep_aside_never_overwrite(tmp_path):
    p = tmp_path / "f.json"
    atomic_write_text(p, "one")
    atomic_write_text(p, "two")
    assert p.read_text() == "two"
    assert [x.name for x in tmp_path.iterdir()] == ["f.json"]  # no temp files left
    first = keep_aside(p)
    atomic_write_text(p, "three")
    second = keep_aside(p)
    assert first != second and first.read_text() == "two" and second.read_text() == "three"


def test_log_redaction_of_registered_secrets_and_presigned_urls(tmp_path):
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    logs.register_secret(secret)
    log_file = tmp_path / "app.log"
    logs.setup_logging(log_file)
    try:
        log = logging.getLogger("test.redaction")
        log.warning("using %s", secret)
        log.warning("url https://b.s3.amazonaws.com/k?X-Amz-Signature=abcdef123&X-Amz-Credential=AKIA/x")
        log.warning("aws_secret_access_key = hunter2hunter2")
        try:
            raise RuntimeError(f"boom {secret}")
        except RuntimeError:
            log.exception("failed")
    finally:
        logs.setup_logging(None)
    text = log_file.read_text()
    assert secret not in text and "abcdef123" not in text and "hunter2hunter2" not in text
    assert text.count("***") >= 4 and "boom" in text


def test_error_messages_are_actionable():
    from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

    denied = ClientError(
        {"Error": {"Code": "AccessDenied", "Message": "User x is not authorized to perform: s3:ListBucket on y"}},
        "ListObjectsV2",
    )
    assert "s3:ListBucket" in explain(denied).hint
    assert "aws sso login --profile dev" in explain(
        type("UnauthorizedSSOTokenError", (Exception,), {})("token expired"), profile="dev"
    ).hint
    assert explain(NoCredentialsError()).title == "No AWS credentials found"
    assert explain(EndpointConnectionError(endpoint_url="http://127.0.0.1:1")).title == "Endpoint unreachable"
    throttled = ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow"}}, "GetLabelDetection")
    assert is_retryable(throttled) and not is_retryable(denied)
    assert explain(ValueError("x")).expected is False


def test_s3object_eligibility():
    assert S3Object("b", "a/clip.MOV", 10).ineligible_reason is None
    assert "Not a video" in S3Object("b", "notes.txt").ineligible_reason
    assert "10 GB" in S3Object("b", "big.mp4", 11 * 1024**3).ineligible_reason


def test_paths_under_data_dir(tmp_path):
    p = resolve_paths(tmp_path).ensure()
    assert p.jobs_db.parent == tmp_path and p.settings_file.is_relative_to(tmp_path)
    assert p.log_dir.is_dir() and p.config_dir.is_dir()
