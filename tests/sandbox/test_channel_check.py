"""gui.core.channel_check against the sandbox: its findings must agree with what the sandbox (and, by the
developer guide's rules, AWS) then does with the completion message.

Sources: developer guide ``api-video`` (topic in the endpoint's region; a role that lets Rekognition
publish), ``api-video-roles`` (trusted by rekognition.amazonaws.com; AmazonRekognitionServiceRole covers
topics named AmazonRekognition*), ``video-troubleshooting`` (a wrong channel means no message).
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError
from sandbox_testkit import REGION, client, start, wait_done

from gui.core.channel_check import WHY_NO_MESSAGES, Level, blocking, check_channel

SERVICE_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonRekognitionServiceRole"


def factory(sb: Any, deny: set[str] = frozenset()) -> Any:
    """Clients on the sandbox.  *deny* names operations to refuse with AccessDenied: moto's IAM does not
    enforce permissions, so a refused look-up is injected at the client (botocore's before-call event)."""

    def make(service: str, region: str | None = None) -> Any:
        c = client(sb, service, region=region or REGION)

        def refuse(model: Any, **_: Any) -> None:
            if model.name in deny:
                raise ClientError({"Error": {"Code": "AccessDenied", "Message": "not authorized"}}, model.name)

        c.meta.events.register(f"before-call.{c.meta.service_model.service_id.hyphenize()}.*", refuse)
        return c

    return make


def _setup(sb: Any, topic_name: str, role_name: str, *, trust_service: str = "rekognition.amazonaws.com",
           managed: bool = False, inline: dict[str, Any] | None = None, topic_region: str = REGION,
           create_role: bool = True) -> tuple[str, str]:
    topic = client(sb, "sns", region=topic_region).create_topic(Name=topic_name)["TopicArn"]
    role = f"arn:aws:iam::{sb.account_id}:role/{role_name}"
    if create_role:
        iam = client(sb, "iam")
        iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": trust_service}, "Action": "sts:AssumeRole"}]}))
        if managed:
            iam.attach_role_policy(RoleName=role_name, PolicyArn=SERVICE_POLICY)
        if inline:
            iam.put_role_policy(RoleName=role_name, PolicyName="p", PolicyDocument=json.dumps(inline))
    return topic, role


def _delivered(sb: Any, topic: str, role: str) -> bool:
    rek = client(sb, "rekognition")
    job = start(rek, NotificationChannel={"SNSTopicArn": topic, "RoleArn": role})
    wait_done(rek, job)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        rec = next(j for j in sb.job_listing() if j["JobId"] == job)
        if rec["NotificationPublished"] or rec["NotificationProblem"]:
            return bool(rec["NotificationPublished"])
        time.sleep(0.02)
    raise AssertionError("the sandbox never handled the completion")


def _levels(findings):
    return {f.subject: f.level for f in findings}


CASES = {
    "good": dict(topic_name="AmazonRekognitionCheckOk", role_name="CheckOk", managed=True),
    "missing-role": dict(topic_name="AmazonRekognitionCheckNoRole", role_name="CheckNoRole", create_role=False),
    "wrong-trust": dict(topic_name="AmazonRekognitionCheckTrust", role_name="CheckTrust", managed=True,
                        trust_service="lambda.amazonaws.com"),
    "managed-other-topic": dict(topic_name="jobs-done", role_name="CheckManagedOther", managed=True),
    "inline-topic": dict(topic_name="jobs-inline", role_name="CheckInline",
                         inline={"Version": "2012-10-17", "Statement": [
                             {"Effect": "Allow", "Action": "sns:Publish", "Resource": "arn:aws:sns:*:*:jobs-*"}]}),
    "other-region": dict(topic_name="AmazonRekognitionCheckWest", role_name="CheckWest", managed=True,
                         topic_region="us-west-2"),
}
EXPECTED = {  # subject -> level; anything not listed must be OK
    "good": {},
    "missing-role": {"role": Level.PROBLEM},
    "wrong-trust": {"trust": Level.PROBLEM},
    "managed-other-topic": {"permission": Level.PROBLEM},
    "inline-topic": {},
    "other-region": {"region": Level.PROBLEM},
}


# the check asks IAM's policy simulator first; without permission for it, it reads the role's policies
PATHS = {"simulator": frozenset(), "policies": frozenset({"SimulatePrincipalPolicy"})}


@pytest.mark.parametrize("path", list(PATHS))
@pytest.mark.parametrize("case", list(CASES))
def test_findings_agree_with_what_the_sandbox_delivers(fast_sandbox, case, path):
    kwargs = dict(CASES[case])
    kwargs["topic_name"] += path
    kwargs["role_name"] += path
    topic, role = _setup(fast_sandbox, **kwargs)
    findings = check_channel(factory(fast_sandbox, deny=PATHS[path]), topic, role, REGION)
    levels = _levels(findings)
    for subject, level in levels.items():
        assert level is EXPECTED[case].get(subject, Level.OK), (subject, findings)
    assert blocking(findings) is bool(EXPECTED[case])
    assert _delivered(fast_sandbox, topic, role) is not blocking(findings)


def test_the_findings_say_exactly_what_is_wrong(fast_sandbox):
    topic, role = _setup(fast_sandbox, topic_name="plain-topic", role_name="CheckWording", managed=True)
    text = [f.message for f in check_channel(factory(fast_sandbox), topic, role, REGION)
            if f.level is Level.PROBLEM]
    assert text == ["The role CheckWording may not publish (sns:Publish) to the topic plain-topic. Its "
                    "AmazonRekognitionServiceRole policy covers only topics whose name begins with "
                    "AmazonRekognition: rename the topic or allow sns:Publish on it."]
    region = check_channel(factory(fast_sandbox), topic, role, "eu-west-1")
    assert [f.message for f in region if f.subject == "region"] == [
        "The SNS topic is in us-east-1, but jobs are started in eu-west-1: Rekognition publishes only to "
        "topics in its own region. Use a topic in eu-west-1."]
    assert "role" in WHY_NO_MESSAGES and "region" in WHY_NO_MESSAGES and "topic's access policy" in WHY_NO_MESSAGES


def test_a_topic_that_does_not_exist(fast_sandbox):
    role = fast_sandbox.create_notification_role()
    topic = f"arn:aws:sns:{REGION}:{fast_sandbox.account_id}:AmazonRekognitionNeverMade"
    levels = _levels(check_channel(factory(fast_sandbox), topic, role, REGION))
    assert levels["topic"] is Level.PROBLEM


def test_without_permission_to_look_it_says_so_and_does_not_block(fast_sandbox):
    topic, role = _setup(fast_sandbox, topic_name="AmazonRekognitionCheckDenied", role_name="CheckDenied",
                         managed=True)
    denied = factory(fast_sandbox, deny={"GetRole", "GetTopicAttributes"})
    findings = check_channel(denied, topic, role, REGION)
    assert _levels(findings) == {"region": Level.OK, "topic": Level.UNKNOWN, "role": Level.UNKNOWN}
    assert not blocking(findings)
    assert any("iam:GetRole" in f.message for f in findings)


def test_unreadable_policies_are_unknown_not_a_problem(fast_sandbox):
    topic, role = _setup(fast_sandbox, topic_name="AmazonRekognitionCheckNoRead", role_name="CheckNoRead",
                         managed=True)
    denied = factory(fast_sandbox, deny={"SimulatePrincipalPolicy", "ListAttachedRolePolicies"})
    findings = check_channel(denied, topic, role, REGION)
    assert _levels(findings)["permission"] is Level.UNKNOWN and not blocking(findings)


@pytest.mark.parametrize(("path", "named"), [("simulator", "aws:SourceAccount"), ("policies", "OnlyFromMyAccount")])
def test_conditional_permissions_are_unknown(fast_sandbox, path, named):
    inline = {"Version": "2012-10-17", "Statement": [{"Sid": "OnlyFromMyAccount", "Effect": "Allow",
              "Action": "sns:Publish", "Resource": "*",
              "Condition": {"StringEquals": {"aws:SourceAccount": "111122223333"}}}]}
    topic, role = _setup(fast_sandbox, topic_name=f"jobs-conditional-{path}", role_name=f"CheckConditional{path}",
                         inline=inline)
    findings = check_channel(factory(fast_sandbox, deny=PATHS[path]), topic, role, REGION)
    permission = next(f for f in findings if f.subject == "permission")
    assert permission.level is Level.UNKNOWN and named in permission.message


def test_the_sandbox_answers_iams_policy_simulator_for_roles(fast_sandbox):
    """IAM's SimulatePrincipalPolicy (moto has none), with the sandbox's own policy reading."""
    iam = client(fast_sandbox, "iam")
    allowed, role = _setup(fast_sandbox, topic_name="AmazonRekognitionSim", role_name="SimRole", managed=True)
    other = allowed.replace("AmazonRekognitionSim", "plain-sim")
    denied = allowed + "Denied"  # named AmazonRekognition*, so the managed policy allows it, but:
    iam.put_role_policy(RoleName="SimRole", PolicyName="deny", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "sns:Publish", "Resource": denied}]}))
    answer = iam.simulate_principal_policy(PolicySourceArn=role, ActionNames=["sns:Publish"],
                                           ResourceArns=[allowed, other, denied])
    assert [(r["EvalResourceName"], r["EvalDecision"]) for r in answer["EvaluationResults"]] == [
        (allowed, "allowed"), (other, "implicitDeny"), (denied, "explicitDeny")]
    with pytest.raises(ClientError) as excinfo:
        iam.simulate_principal_policy(PolicySourceArn=role + "Missing", ActionNames=["sns:Publish"])
    assert excinfo.value.response["Error"]["Code"] == "NoSuchEntity"
    assert iam.get_role(RoleName="SimRole")["Role"]["Arn"] == role  # other IAM calls still reach moto
