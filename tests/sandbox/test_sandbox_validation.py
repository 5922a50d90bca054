"""StartLabelDetection/GetLabelDetection validation, S3 checks, limits and idempotency (real HTTP)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sandbox_testkit import CLIP, DEMO, client, code_of, start, wait_done

VIDEO = {"S3Object": {"Bucket": DEMO, "Name": CLIP}}
TOPIC = "arn:aws:sns:us-east-1:123456789012:AmazonRekognitionTopic"
ROLE = "arn:aws:iam::123456789012:role/RekognitionRole"


def _settings(**filters: list[str]) -> dict[str, Any]:
    return {"Features": ["GENERAL_LABELS"], "Settings": {"GeneralLabels": filters}}


# (request overrides, the field the error must name)
INVALID_START = [
    pytest.param(_settings(LabelInclusionFilters=[f"L{i}" for i in range(101)]),
                 "settings.generalLabels.labelInclusionFilters", id="101-label-inclusions"),
    pytest.param(_settings(LabelExclusionFilters=["x" * 51]),
                 "settings.generalLabels.labelExclusionFilters.1.member", id="51-char-exclusion"),
    pytest.param(_settings(LabelCategoryInclusionFilters=["Animals and Pets", "Food & Drink"]),
                 "settings.generalLabels.labelCategoryInclusionFilters.2.member", id="ampersand-not-allowed"),
    pytest.param(_settings(LabelCategoryExclusionFilters=["Caf\u00e9"]),
                 "settings.generalLabels.labelCategoryExclusionFilters.1.member", id="e-acute-not-allowed"),
    pytest.param(_settings(LabelCategoryExclusionFilters=[str(i) for i in range(101)]),
                 "settings.generalLabels.labelCategoryExclusionFilters", id="101-category-exclusions"),
    pytest.param({"JobTag": "has space"}, "jobTag", id="jobtag-pattern"),
    pytest.param({"JobTag": "t" * 1025}, "jobTag", id="jobtag-too-long"),
    pytest.param({"JobTag": ""}, "jobTag", id="jobtag-empty"),
    pytest.param({"ClientRequestToken": "bad token!"}, "clientRequestToken", id="token-pattern"),
    pytest.param({"ClientRequestToken": "t" * 65}, "clientRequestToken", id="token-too-long"),
    pytest.param({"MinConfidence": 100.5}, "minConfidence", id="confidence-over-100"),
    pytest.param({"MinConfidence": -1}, "minConfidence", id="confidence-negative"),
    pytest.param({"Features": ["IMAGE_PROPERTIES"]}, "features.1.member", id="feature-enum"),
    pytest.param({"Features": ["GENERAL_LABELS", "GENERAL_LABELS"]}, "features", id="features-max-1"),
    pytest.param({"NotificationChannel": {"SNSTopicArn": "arn:aws:sqs:us-east-1:123456789012:q", "RoleArn": ROLE}},
                 "notificationChannel.sNSTopicArn", id="topic-arn-pattern"),
    pytest.param({"NotificationChannel": {"SNSTopicArn": "arn:aws:sns:us-east-1:12345:topic", "RoleArn": ROLE}},
                 "notificationChannel.sNSTopicArn", id="topic-arn-account"),
    pytest.param({"NotificationChannel": {"SNSTopicArn": "arn:aws:sns:us-east-1:\u0661\u0662\u0663\u0664\u0665"
                                                          "\u0666\u0667\u0668\u0669\u0660\u0661\u0662:topic",
                                          "RoleArn": ROLE}},
                 "notificationChannel.sNSTopicArn", id="topic-arn-non-ascii-digits"),  # Java's \w is ASCII
    pytest.param({"NotificationChannel": {"SNSTopicArn": TOPIC, "RoleArn": "arn:aws:iam::123456789012:user/me"}},
                 "notificationChannel.roleArn", id="role-arn-pattern"),
    pytest.param({"Video": {"S3Object": {"Bucket": "b!", "Name": CLIP}}}, "video.s3Object.bucket", id="bucket-pattern"),
    pytest.param({"Video": {"S3Object": {"Bucket": DEMO, "Name": "k" * 1025}}}, "video.s3Object.name",
                 id="key-too-long"),
]


@pytest.mark.parametrize(("overrides", "field"), INVALID_START)
def test_start_rejects_what_the_service_model_forbids(fast_sandbox, raw_rek, overrides, field):
    rek = raw_rek
    before = len(fast_sandbox.jobs())
    requests_before = fast_sandbox.start_requests
    params = {"Video": VIDEO, **overrides}
    with pytest.raises(rek.exceptions.InvalidParameterException) as excinfo:
        rek.start_label_detection(**params)
    message = excinfo.value.response["Error"]["Message"]
    assert f"at '{field}" in message
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert len(fast_sandbox.jobs()) == before  # nothing started
    assert fast_sandbox.start_requests == requests_before + 1  # but the request was counted


def test_allowed_characters_include_the_accented_letters_of_real_labels(rek):
    from gui.core.taxonomy import load_taxonomy

    accented = [n for n in load_taxonomy().labels if any(c in n for c in "àâèçñó")]
    assert accented  # the real taxonomy has such names (e.g. 'Piña Colada')
    job = start(rek, **_settings(LabelInclusionFilters=accented[:100], LabelCategoryInclusionFilters=["Food and Beverage"]))
    assert job
    with pytest.raises(rek.exceptions.InvalidParameterException):
        start(rek, **_settings(LabelInclusionFilters=["Café"]))  # é is outside the model's pattern


def test_limits_at_the_boundary_are_accepted(rek):
    job = start(
        rek,
        JobTag="t" * 1024,
        ClientRequestToken="a" * 64,
        MinConfidence=100,
        **_settings(LabelExclusionFilters=["x" * 50] * 100),
    )
    assert len(job) >= 1
    assert start(rek, MinConfidence=0)


def test_several_errors_are_all_named(raw_rek):
    rek = raw_rek
    with pytest.raises(rek.exceptions.InvalidParameterException) as excinfo:
        rek.start_label_detection(Video=VIDEO, JobTag="a b", MinConfidence=101)
    message = excinfo.value.response["Error"]["Message"]
    assert message.startswith("2 validation errors detected")
    assert "'jobTag'" in message and "'minConfidence'" in message


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"JobId": "x" * 65}, "jobId"),
        ({"JobId": "bad id"}, "jobId"),
        ({"JobId": "abc", "MaxResults": 0}, "maxResults"),
        ({"JobId": "abc", "SortBy": "CONFIDENCE"}, "sortBy"),
        ({"JobId": "abc", "AggregateBy": "FRAMES"}, "aggregateBy"),
        ({"JobId": "abc", "NextToken": "t" * 256}, "nextToken"),
    ],
)
def test_get_validates_too(raw_rek, params, field):
    rek = raw_rek
    with pytest.raises(rek.exceptions.InvalidParameterException) as excinfo:
        rek.get_label_detection(**params)
    assert f"'{field}'" in excinfo.value.response["Error"]["Message"]


def test_missing_bucket_or_object_is_invalid_s3_object(fast_sandbox, rek):
    before = len(fast_sandbox.jobs())
    with pytest.raises(rek.exceptions.InvalidS3ObjectException):
        start(rek, key="no/such/video.mp4")
    with pytest.raises(rek.exceptions.InvalidS3ObjectException):
        start(rek, bucket="no-such-bucket-anywhere")
    with pytest.raises(rek.exceptions.InvalidS3ObjectException):  # a version that does not exist
        rek.start_label_detection(Video={"S3Object": {"Bucket": DEMO, "Name": CLIP, "Version": "v-does-not-exist"}})
    assert len(fast_sandbox.jobs()) == before


def test_another_sandboxs_bucket_is_invisible(fast_sandbox, make_sandbox):
    other = make_sandbox(job_seconds=0.05)
    other.create_bucket("private-bucket")
    other.put_object("private-bucket", "clip.mp4", b"data")
    rek = client(fast_sandbox, "rekognition")
    with pytest.raises(rek.exceptions.InvalidS3ObjectException):
        start(rek, bucket="private-bucket", key="clip.mp4")
    assert other.account_id != fast_sandbox.account_id


def test_video_too_large_uses_the_settable_threshold(make_sandbox):
    sb = make_sandbox(seed_demo=True, job_seconds=0.05, max_video_bytes=50_000)
    rek = client(sb, "rekognition")
    with pytest.raises(rek.exceptions.VideoTooLargeException):
        start(rek, key="city/city-traffic.mp4")  # 134 KB
    assert start(rek, key="family/2024/birthday-party.mp4")  # 37 KB
    sb.max_video_bytes = 10 * 1024**3  # changeable at run time
    assert start(rek, key="city/city-traffic.mp4")
    assert len(sb.jobs()) == 2


def test_limit_exceeded_counts_jobs_in_progress(make_sandbox):
    sb = make_sandbox(seed_demo=True, job_seconds=0.6, max_concurrent_jobs=2)
    rek = client(sb, "rekognition")
    first, second = start(rek), start(rek)
    with pytest.raises(rek.exceptions.LimitExceededException) as excinfo:
        start(rek)
    assert code_of(excinfo) == "LimitExceededException"
    assert len(sb.jobs()) == 2
    wait_done(rek, first)
    wait_done(rek, second)
    assert start(rek)  # room again once they finished
    sb.max_concurrent_jobs = 1  # run-time change applies to the next request
    with pytest.raises(rek.exceptions.LimitExceededException):
        start(rek)


def test_same_token_same_parameters_returns_the_same_job(fast_sandbox, rek):
    before = len(fast_sandbox.jobs())
    params = {"ClientRequestToken": "idem-123", "JobTag": "tagA", "MinConfidence": 70}
    first = start(rek, **params)
    again = start(rek, **params)
    assert first == again
    assert len(fast_sandbox.jobs()) == before + 1
    wait_done(rek, first)
    assert start(rek, **params) == first  # still the same after completion


def test_same_token_other_parameters_is_a_mismatch(fast_sandbox, rek):
    first = start(rek, ClientRequestToken="idem-456", MinConfidence=70)
    count = len(fast_sandbox.jobs())
    with pytest.raises(rek.exceptions.IdempotentParameterMismatchException):
        start(rek, ClientRequestToken="idem-456", MinConfidence=80)
    with pytest.raises(rek.exceptions.IdempotentParameterMismatchException):
        start(rek, key="city/city-traffic.mp4", ClientRequestToken="idem-456", MinConfidence=70)
    assert len(fast_sandbox.jobs()) == count
    assert [j["JobId"] for j in fast_sandbox.jobs() if j["ClientRequestToken"] == "idem-456"] == [first]


def test_jobs_and_start_requests_count_from_the_sandbox_side(make_sandbox):
    sb = make_sandbox(seed_demo=True, job_seconds=0.05)
    rek = client(sb, "rekognition")
    job = start(rek, JobTag="counted", ClientRequestToken="tok-1")
    start(rek, JobTag="counted", ClientRequestToken="tok-1")  # idempotent repeat
    with pytest.raises(rek.exceptions.InvalidS3ObjectException):
        start(rek, key="missing.mp4")
    assert sb.start_requests == 3
    jobs = sb.jobs()
    assert len(jobs) == 1
    record = jobs[0]
    assert record["JobId"] == job
    assert record["ClientRequestToken"] == "tok-1"
    assert record["JobTag"] == "counted"
    assert record["Video"] == VIDEO
    assert record["params"]["JobTag"] == "counted"
    assert record["Status"] in ("IN_PROGRESS", "SUCCEEDED")
    time.sleep(0.1)
    assert sb.jobs()[0]["Status"] == "SUCCEEDED"
