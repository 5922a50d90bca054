"""Who gets the completion message: the service role and the topic's region (issue 11, items 1 and 2).

Sources (AWS Rekognition developer guide):
- ``api-video``: "The Amazon SNS topic must be in the same AWS region as the Amazon Rekognition Video
  endpoint that you're calling. NotificationChannel also contains the ARN for a role that allows Amazon
  Rekognition Video to publish to the Amazon SNS topic."
- ``api-video-roles``: the service role is created for the Rekognition use case (trusted by
  rekognition.amazonaws.com); "AmazonRekognitionServiceRole gives Amazon Rekognition Video access to Amazon
  SNS topics that are prefixed with AmazonRekognition"; for another topic, a policy allowing
  ``sns:Publish`` on that topic's ARN.
- ``video-troubleshooting``, "I never receive the completion status that's sent to the Amazon SNS topic":
  the guide treats a wrong role or topic as a message that never arrives (the Start call is not refused),
  so the sandbox runs the job and publishes nothing.
- botocore's model, ``S3Object``: "The region for the S3 bucket containing the S3 object must match the
  region you use for Amazon Rekognition operations."  A bucket elsewhere is answered as AWS answers an
  object it cannot read: ``InvalidS3ObjectException`` ("Check object key, region and/or access
  permissions").
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError
from sandbox_testkit import CLIP, DEMO, REGION, client, code_of, start, wait_done

TRUST_REKOGNITION = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "rekognition.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
SERVICE_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonRekognitionServiceRole"


def _topic_and_queue(sb: Any, name: str, region: str = REGION) -> tuple[str, str]:
    sns, sqs = client(sb, "sns", region=region), client(sb, "sqs", region=region)
    topic = sns.create_topic(Name=name)["TopicArn"]
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    return topic, url


def _role(sb: Any, name: str, trust: dict[str, Any] = TRUST_REKOGNITION, *, managed: str | None = None,
          inline: dict[str, Any] | None = None) -> str:
    iam = client(sb, "iam")
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    if managed:
        iam.attach_role_policy(RoleName=name, PolicyArn=managed)
    if inline:
        iam.put_role_policy(RoleName=name, PolicyName="publish", PolicyDocument=json.dumps(inline))
    return arn


def _publish_policy(resource: str, effect: str = "Allow") -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{"Effect": effect, "Action": "sns:Publish", "Resource": resource}]}


def _outcome(sb: Any, job: str, queue_url: str, region: str = REGION) -> tuple[list[str], dict[str, Any]]:
    """(job ids in the messages that arrived, the service's own record of the job)."""
    rek = client(sb, "rekognition", region=region)
    assert wait_done(rek, job)["JobStatus"] == "SUCCEEDED"  # the job itself always runs
    deadline = time.monotonic() + 5
    while True:
        record = next(j for j in sb.job_listing() if j["JobId"] == job)
        if record["NotificationPublished"] or record["NotificationProblem"] or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    got = client(sb, "sqs", region=region).receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10,
                                                           WaitTimeSeconds=1).get("Messages", [])
    return [json.loads(json.loads(m["Body"])["Message"])["JobId"] for m in got], record


def _run(sb: Any, topic: str, role: str, region: str = REGION) -> str:
    rek = client(sb, "rekognition", region=region)
    return start(rek, NotificationChannel={"SNSTopicArn": topic, "RoleArn": role})


def test_managed_service_role_publishes_to_amazonrekognition_topics(fast_sandbox):
    topic, url = _topic_and_queue(fast_sandbox, "AmazonRekognitionRolesOk")
    role = _role(fast_sandbox, "RekRoleManaged", managed=SERVICE_POLICY)
    job = _run(fast_sandbox, topic, role)
    arrived, record = _outcome(fast_sandbox, job, url)
    assert arrived == [job]
    assert record["NotificationPublished"] is True and record["NotificationProblem"] is None


def test_managed_service_role_does_not_cover_other_topic_names(fast_sandbox):
    topic, url = _topic_and_queue(fast_sandbox, "video-jobs-done")
    role = _role(fast_sandbox, "RekRoleManagedOther", managed=SERVICE_POLICY)
    job = _run(fast_sandbox, topic, role)
    arrived, record = _outcome(fast_sandbox, job, url)
    assert arrived == []
    assert record["NotificationPublished"] is False
    assert "not allowed sns:Publish" in record["NotificationProblem"]


def test_a_role_that_does_not_exist_gets_no_message_but_the_job_runs(fast_sandbox):
    topic, url = _topic_and_queue(fast_sandbox, "AmazonRekognitionNoRole")
    job = _run(fast_sandbox, topic, f"arn:aws:iam::{fast_sandbox.account_id}:role/NoSuchRole")
    arrived, record = _outcome(fast_sandbox, job, url)
    assert arrived == [] and "does not exist" in record["NotificationProblem"]


def test_a_role_rekognition_cannot_assume_gets_no_message(fast_sandbox):
    topic, url = _topic_and_queue(fast_sandbox, "AmazonRekognitionWrongTrust")
    ec2_trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    role = _role(fast_sandbox, "RekRoleEc2Trust", ec2_trust, managed=SERVICE_POLICY)
    arrived, record = _outcome(fast_sandbox, _run(fast_sandbox, topic, role), url)
    assert arrived == [] and "does not trust rekognition.amazonaws.com" in record["NotificationProblem"]


@pytest.mark.parametrize(("resource", "delivered"), [
    ("{topic}", True),                                     # the guide's single-topic policy
    ("arn:aws:sns:us-east-1:{account}:video-*", True),     # wildcards match as IAM matches them
    ("arn:aws:sns:*:*:*", True),
    ("arn:aws:sns:us-east-1:{account}:other-topic", False),
    ("arn:aws:sns:us-east-1:{account}:VIDEO-*", False),    # resources match case-sensitively
])
def test_inline_policies_are_evaluated(fast_sandbox, resource, delivered):
    name = f"video-inline-{abs(hash(resource)) % 10**8}"
    topic, url = _topic_and_queue(fast_sandbox, name)
    policy = _publish_policy(resource.format(topic=topic, account=fast_sandbox.account_id))
    role = _role(fast_sandbox, f"RekRoleInline{abs(hash(resource)) % 10**8}", inline=policy)
    job = _run(fast_sandbox, topic, role)
    arrived, record = _outcome(fast_sandbox, job, url)
    assert (arrived == [job]) is delivered
    assert record["NotificationPublished"] is delivered


def test_an_explicit_deny_beats_the_managed_allow(fast_sandbox):
    topic, url = _topic_and_queue(fast_sandbox, "AmazonRekognitionDenied")
    role = _role(fast_sandbox, "RekRoleDenied", managed=SERVICE_POLICY, inline=_publish_policy(topic, "Deny"))
    arrived, record = _outcome(fast_sandbox, _run(fast_sandbox, topic, role), url)
    assert arrived == [] and record["NotificationPublished"] is False


def test_a_topic_in_another_region_gets_no_message(fast_sandbox):
    topic, url = _topic_and_queue(fast_sandbox, "AmazonRekognitionWest", region="us-west-2")
    assert ":us-west-2:" in topic
    role = fast_sandbox.create_notification_role()
    job = _run(fast_sandbox, topic, role, region=REGION)  # endpoint: us-east-1
    rek = client(fast_sandbox, "rekognition")
    assert wait_done(rek, job)["JobStatus"] == "SUCCEEDED"
    deadline = time.monotonic() + 5
    while not next(j for j in fast_sandbox.job_listing() if j["JobId"] == job)["NotificationProblem"]:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    record = next(j for j in fast_sandbox.job_listing() if j["JobId"] == job)
    assert record["NotificationProblem"] == "the SNS topic is in us-west-2, the Rekognition endpoint in us-east-1"
    sqs = client(fast_sandbox, "sqs", region="us-west-2")
    assert sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", []) == []


def test_the_same_topic_from_its_own_region_is_delivered(fast_sandbox):
    topic, url = _topic_and_queue(fast_sandbox, "AmazonRekognitionWestOk", region="us-west-2")
    fast_sandbox.create_bucket("videos-west", region="us-west-2")
    from gui.sandbox.seed import demo_file

    fast_sandbox.put_object("videos-west", "clip.mp4", demo_file("beach-walk.mp4"))
    rek = client(fast_sandbox, "rekognition", region="us-west-2")
    job = start(rek, bucket="videos-west", key="clip.mp4",
                NotificationChannel={"SNSTopicArn": topic, "RoleArn": fast_sandbox.create_notification_role()})
    arrived, record = _outcome(fast_sandbox, job, url, region="us-west-2")
    assert arrived == [job] and record["Region"] == "us-west-2"


def test_a_bucket_in_another_region_is_an_invalid_s3_object(fast_sandbox):
    from gui.sandbox.seed import demo_file

    fast_sandbox.create_bucket("videos-eu", region="eu-west-1")
    fast_sandbox.put_object("videos-eu", "clip.mp4", demo_file("beach-walk.mp4"))
    with pytest.raises(ClientError) as excinfo:
        start(client(fast_sandbox, "rekognition"), bucket="videos-eu", key="clip.mp4")  # endpoint us-east-1
    assert code_of(excinfo) == "InvalidS3ObjectException"
    assert "region" in excinfo.value.response["Error"]["Message"]
    eu = client(fast_sandbox, "rekognition", region="eu-west-1")
    assert wait_done(eu, start(eu, bucket="videos-eu", key="clip.mp4"))["JobStatus"] == "SUCCEEDED"
    # the demo bucket (us-east-1) is still fine from us-east-1
    assert start(client(fast_sandbox, "rekognition"), bucket=DEMO, key=CLIP)


def test_the_seeded_demo_has_a_working_service_role(fast_sandbox):
    from gui.sandbox.sandbox import DEMO_ROLE_NAME

    role = client(fast_sandbox, "iam").get_role(RoleName=DEMO_ROLE_NAME)["Role"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "rekognition.amazonaws.com"}
    topic, url = _topic_and_queue(fast_sandbox, "AmazonRekognitionDemoRole")
    job = _run(fast_sandbox, topic, role["Arn"])
    assert _outcome(fast_sandbox, job, url)[0] == [job]
