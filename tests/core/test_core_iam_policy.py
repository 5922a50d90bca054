"""gui.core.iam_policy: the simple identity-policy reading the sandbox and the channel check share."""

from __future__ import annotations

import json
import urllib.parse

import pytest

from gui.core.iam_policy import Decision, evaluate, matches, parse_document, trusts_service

TOPIC = "arn:aws:sns:us-east-1:111122223333:AmazonRekognitionJobs"


def _doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


@pytest.mark.parametrize(("pattern", "value", "ignore_case", "expected"), [
    ("arn:aws:sns:*:*:AmazonRekognition*", TOPIC, False, True),
    ("arn:aws:sns:*:*:amazonrekognition*", TOPIC, False, False),
    ("arn:aws:sns:us-east-1:111122223333:AmazonRekognitionJob?", TOPIC, False, True),
    ("arn:aws:sns:us-east-1:111122223333:AmazonRekognitionJob", TOPIC, False, False),  # whole value
    ("SNS:Publish", "sns:Publish", True, True),
    ("sns:Pub*", "sns:Publish", True, True),
    ("sns:List*", "sns:Publish", True, False),
])
def test_wildcards(pattern, value, ignore_case, expected):
    assert matches(pattern, value, ignore_case=ignore_case) is expected


def test_allow_deny_and_implicit_deny():
    allow = _doc({"Effect": "Allow", "Action": ["sns:Publish"], "Resource": "arn:aws:sns:*:*:AmazonRekognition*"})
    deny = _doc({"Effect": "Deny", "Action": "sns:*", "Resource": TOPIC})
    assert evaluate([allow], "sns:Publish", TOPIC).decision is Decision.ALLOW
    assert evaluate([allow, deny], "sns:Publish", TOPIC).decision is Decision.EXPLICIT_DENY
    assert evaluate([allow], "sns:Publish", TOPIC.replace("AmazonRekognition", "")).decision is Decision.IMPLICIT_DENY
    assert evaluate([], "sns:Publish", TOPIC).decision is Decision.IMPLICIT_DENY


def test_not_action_and_not_resource():
    doc = _doc({"Effect": "Allow", "NotAction": "iam:*", "NotResource": "arn:aws:sns:*:*:Secret*"})
    assert evaluate([doc], "sns:Publish", TOPIC).allowed
    assert not evaluate([doc], "iam:PassRole", TOPIC).allowed
    assert not evaluate([doc], "sns:Publish", "arn:aws:sns:us-east-1:111122223333:SecretTopic").allowed


def test_conditional_statements_are_reported_not_guessed():
    doc = _doc({"Sid": "Cond", "Effect": "Allow", "Action": "sns:Publish", "Resource": "*",
                "Condition": {"Bool": {"aws:SecureTransport": "true"}}})
    result = evaluate([doc], "sns:Publish", TOPIC)
    assert result.decision is Decision.IMPLICIT_DENY and result.conditional == ("Cond",)


def test_trust_policies():
    service = _doc({"Effect": "Allow", "Principal": {"Service": ["ec2.amazonaws.com", "rekognition.amazonaws.com"]},
                    "Action": "sts:AssumeRole"})
    other = _doc({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"})
    denied = _doc(service["Statement"][0], {"Effect": "Deny", "Principal": "*", "Action": "sts:*"})
    user_only = _doc({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:user/me"},
                      "Action": "sts:AssumeRole"})
    assert trusts_service(service) and not trusts_service(other) and not trusts_service(denied)
    assert not trusts_service(user_only)


def test_documents_parse_from_iam_answers():
    doc = _doc({"Effect": "Allow", "Action": "sns:Publish", "Resource": TOPIC})
    assert parse_document(json.dumps(doc)) == doc
    assert parse_document(urllib.parse.quote(json.dumps(doc))) == doc  # GetRole/GetPolicyVersion encoding
    assert parse_document(doc) == doc and parse_document(None) == {}
    with pytest.raises(ValueError):
        parse_document("[1, 2]")
