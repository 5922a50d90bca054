"""The client-side limits are AWS's own: compared with botocore's service model and exercised."""

from __future__ import annotations

import gzip
import json
import os
import re

import botocore
import pytest

from gui.core import validation as v
from gui.core.taxonomy import load_taxonomy
from gui.core.types import JobSettings, LabelFilters, NotificationChannel


@pytest.fixture(scope="module")
def shapes() -> dict:
    path = os.path.join(os.path.dirname(botocore.__file__), "data/rekognition/2016-06-27/service-2.json.gz")
    with gzip.open(path) as fh:
        return json.load(fh)["shapes"]


def test_patterns_and_limits_are_botocores(shapes):
    value = shapes["GeneralLabelsFilterValue"]
    assert v.FILTER_VALUE_PATTERN == value["pattern"]
    assert v.MAX_FILTER_VALUE_CHARS == value["max"]
    assert v.MAX_FILTER_ITEMS == shapes["GeneralLabelsFilterList"]["max"]
    assert v.JOB_TAG_PATTERN == shapes["JobTag"]["pattern"]
    assert v.JOB_TAG_MAX_CHARS == shapes["JobTag"]["max"]
    assert v.SNS_TOPIC_ARN_PATTERN == shapes["SNSTopicArn"]["pattern"]
    assert v.ROLE_ARN_PATTERN == shapes["RoleArn"]["pattern"]
    assert v.MIN_CONFIDENCE_RANGE == (shapes["Percent"]["min"], shapes["Percent"]["max"])
    members = shapes["GeneralLabelsSettings"]["members"]
    assert set(v.FILTER_FIELDS) == set(members)


def test_the_quote_dash_underscore_is_a_range_as_in_the_regex():
    # ' (0x27) to _ (0x5F): punctuation such as * + , / : ; < = > ? @ [ \ ] ^ is admitted.
    for ch in "*+,/:;<=>?@[\\]^_'-()." + "09AZaz àâèçñó":
        assert v.filter_value_problem(f"a{ch}b") is None, ch
    # outside the range and not listed: refused, and the message names the character and the field.
    for ch in '!"#$%&`{|}~é€\t':
        message = v.filter_value_problem(f"a{ch}b", "LabelExclusionFilters")
        assert message is not None, ch
        assert "LabelExclusionFilters" in message and "Exclude labels" in message
    assert "'!'" in v.filter_value_problem("Cat!")
    # Python's own reading of the same class agrees character by character over ASCII.
    allowed = {chr(c) for c in range(32, 127) if re.fullmatch(v.FILTER_VALUE_PATTERN, chr(c))}
    assert allowed == {chr(c) for c in range(0x27, 0x60)} | set("abcdefghijklmnopqrstuvwxyz ")


def test_every_catalogue_name_is_acceptable():
    tax = load_taxonomy()
    bad = [n for n in [*tax.labels, *tax.categories] if v.filter_value_problem(n)]
    assert bad == []


def test_length_and_count_limits():
    assert v.filter_value_problem("x" * 50) is None
    message = v.filter_value_problem("x" * 51)
    assert message and "51 characters" in message and "at most 50" in message
    assert v.filter_value_problem("  ") is not None
    ok = LabelFilters(label_inclusions=tuple(f"L{i}" for i in range(100)))
    assert v.filters_problems(ok) == []
    over = LabelFilters(category_exclusions=tuple(f"C{i}" for i in range(101)))
    problems = v.filters_problems(over)
    assert [p.field for p in problems] == ["LabelCategoryExclusionFilters"]
    assert "101 items" in problems[0].message and "at most 100" in problems[0].message


def test_same_name_in_include_and_exclude_is_a_problem():
    problems = v.filters_problems(LabelFilters(label_inclusions=("Car",), label_exclusions=("Car",)))
    assert len(problems) == 1 and "'Car'" in problems[0].message


@pytest.mark.parametrize(
    ("tag", "ok"),
    [
        (None, True),
        ("", True),
        ("wildlife-2024_v1.2:a+b=c/d", True),
        ("has space", False),
        ("é", False),
        ("x" * 1024, True),
        ("x" * 1025, False),
    ],
)
def test_job_tag(tag, ok):
    assert (v.job_tag_problem(tag) is None) is ok


def test_job_tag_message_names_the_character():
    assert "a space" in v.job_tag_problem("a b")
    assert "'#'" in v.job_tag_problem("a#b")


@pytest.mark.parametrize(
    ("arn", "ok"),
    [
        ("arn:aws:sns:us-east-1:123456789012:AmazonRekognitionTopic", True),
        ("arn:aws:sns:us-east-1:123456789012:other", True),
        ("arn:aws:sns:us-east-1:12345678901:Topic", False),  # 11-digit account
        ("arn:aws:sqs:us-east-1:123456789012:Topic", False),
        ("arn:aws:sns:us-east-1:123456789012:", False),
        ("arn:aws:sns:us-east-1:١٢٣٤٥٦٧٨٩٠١٢:Topic", False),  # Java's \w is ASCII-only
        ("", False),
    ],
)
def test_sns_topic_arn(arn, ok):
    assert (v.sns_topic_problem(arn) is None) is ok


@pytest.mark.parametrize(
    ("arn", "ok"),
    [
        ("arn:aws:iam::123456789012:role/RekognitionSNS", True),
        ("arn:aws:iam::123456789012:role/path/to/Role-1_a@b.c", True),
        ("arn:aws:iam::123456789012:user/Bob", False),
        ("arn:aws:iam::12345678901:role/R", False),
        ("arn:aws:iam::123456789012:role/with space", False),
    ],
)
def test_role_arn(arn, ok):
    assert (v.role_arn_problem(arn) is None) is ok


def test_topic_name_warning():
    assert v.sns_topic_warning("arn:aws:sns:us-east-1:123456789012:AmazonRekognitionJobs") is None
    warning = v.sns_topic_warning("arn:aws:sns:us-east-1:123456789012:jobs")
    assert warning and "'jobs'" in warning and "AmazonRekognition" in warning
    assert v.sns_topic_warning("not an arn") is None  # the error says it already


def test_notification_needs_both_arns():
    fields = [
        p.field for p in v.notification_problems("arn:aws:sns:us-east-1:123456789012:AmazonRekognitionX", "")
    ]
    assert fields == ["RoleArn"]
    assert v.notification_problems("", "") == []


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        (0, True),
        (100, True),
        (55.5, True),
        (-1, False),
        (100.5, False),
        (float("nan"), False),
        ("50", False),
        (True, False),
    ],
)
def test_min_confidence(value, ok):
    assert (v.min_confidence_problem(value) is None) is ok


def test_settings_problems_collects_every_field():
    settings = JobSettings(
        LabelFilters(label_inclusions=("Cat!",)),
        min_confidence=101,
        job_tag="a b",
        notification=NotificationChannel("nope", "arn:aws:iam::123456789012:role/R"),
    )
    fields = {p.field for p in v.settings_problems(settings)}
    assert fields == {"LabelInclusionFilters", "MinConfidence", "JobTag", "SNSTopicArn"}
    assert v.settings_problems(JobSettings()) == []
