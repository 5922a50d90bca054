"""Completion notifications through SNS to SQS, and a script written for real AWS run unchanged."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from sandbox_testkit import CLIP, DEMO, REGION, client, start


def _queue_for_topic(sb: Any, name: str) -> tuple[str, str]:
    sns, sqs = client(sb, "sns"), client(sb, "sqs")
    topic_arn = sns.create_topic(Name=name)["TopicArn"]
    queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    return topic_arn, queue_url


def _receive(sb: Any, queue_url: str, timeout: float = 5.0) -> list[dict[str, Any]]:
    sqs = client(sb, "sqs")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
        if got:
            return got
    return []


def test_completion_is_published_with_the_aws_payload(fast_sandbox):
    topic_arn, queue_url = _queue_for_topic(fast_sandbox, "AmazonRekognitionNotifyTest")
    rek = client(fast_sandbox, "rekognition")
    role = fast_sandbox.create_notification_role()  # trusted by Rekognition, AmazonRekognitionServiceRole
    before = time.time()
    job = start(rek, JobTag="batch-7", NotificationChannel={"SNSTopicArn": topic_arn, "RoleArn": role})
    messages = _receive(fast_sandbox, queue_url)
    assert len(messages) == 1
    envelope = json.loads(messages[0]["Body"])
    assert envelope["Type"] == "Notification" and envelope["TopicArn"] == topic_arn
    payload = json.loads(envelope["Message"])
    assert payload == {
        "JobId": job,
        "Status": "SUCCEEDED",
        "API": "StartLabelDetection",
        "JobTag": "batch-7",
        "Timestamp": payload["Timestamp"],
        "Video": {"S3ObjectName": CLIP, "S3Bucket": DEMO},
    }
    assert before * 1000 - 1000 <= payload["Timestamp"] <= time.time() * 1000 + 1000
    record = next(j for j in fast_sandbox.jobs() if j["JobId"] == job)
    assert record["notified"] is True


def test_failed_jobs_are_notified_too_and_each_job_once(fast_sandbox):
    topic_arn, queue_url = _queue_for_topic(fast_sandbox, "AmazonRekognitionNotifyFailed")
    rek = client(fast_sandbox, "rekognition")
    channel = {"SNSTopicArn": topic_arn, "RoleArn": fast_sandbox.create_notification_role()}
    job = start(rek, key="incoming/not-really-a-video.mp4", NotificationChannel=channel)
    messages = _receive(fast_sandbox, queue_url)
    payloads = [json.loads(json.loads(m["Body"])["Message"]) for m in messages]
    assert [(p["JobId"], p["Status"]) for p in payloads] == [(job, "FAILED")]
    assert "JobTag" not in payloads[0]
    time.sleep(0.2)
    sqs = client(fast_sandbox, "sqs")
    for m in messages:
        sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])
    assert sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=0).get("Messages", []) == []


def test_no_notification_without_a_channel(fast_sandbox):
    _, queue_url = _queue_for_topic(fast_sandbox, "AmazonRekognitionUnused")
    rek = client(fast_sandbox, "rekognition")
    start(rek)
    time.sleep(0.3)
    assert client(fast_sandbox, "sqs").receive_message(QueueUrl=queue_url).get("Messages", []) == []


def test_a_missing_topic_does_not_break_the_job(fast_sandbox, caplog):
    rek = client(fast_sandbox, "rekognition")
    arn = f"arn:aws:sns:{REGION}:{fast_sandbox.account_id}:AmazonRekognitionDoesNotExist"
    job = start(rek, NotificationChannel={"SNSTopicArn": arn, "RoleArn": fast_sandbox.create_notification_role()})
    deadline = time.monotonic() + 5
    while not next(j for j in fast_sandbox.jobs() if j["JobId"] == job)["notification_problem"]:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert rek.get_label_detection(JobId=job)["JobStatus"] == "SUCCEEDED"
    assert "AmazonRekognitionDoesNotExist does not exist" in caplog.text


class VideoLabelsExample:
    """Written the way AWS's SDK example for stored-video analysis is: it creates an SNS topic named
    AmazonRekognition..., an SQS queue with a policy letting the topic send to it, subscribes the
    queue, creates an IAM role Rekognition can assume with a policy to publish to the topic, starts
    label detection with that NotificationChannel, waits on the queue, then pages the results.
    It uses only boto3 resources/clients; the sandbox changes nothing but the endpoint."""

    def __init__(self, session: Any, endpoint_url: str, bucket: str, video: str) -> None:
        self.session = session
        self.endpoint = endpoint_url
        self.bucket, self.video = bucket, video
        self.rek = session.client("rekognition", endpoint_url=endpoint_url)
        self.sns = session.resource("sns", endpoint_url=endpoint_url)
        self.sqs = session.resource("sqs", endpoint_url=endpoint_url)
        self.iam = session.resource("iam", endpoint_url=endpoint_url)
        self.job_id = ""

    def create_notification_channel(self, name: str) -> None:
        self.topic = self.sns.create_topic(Name=name)
        self.queue = self.sqs.create_queue(QueueName=name)
        queue_arn = self.queue.attributes["QueueArn"]
        self.queue.set_attributes(Attributes={"Policy": json.dumps({
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": "AllowTopicToSend",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": "SQS:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": self.topic.arn}},
            }],
        })})
        self.topic.subscribe(Protocol="sqs", Endpoint=queue_arn)
        self.role = self.iam.create_role(
            RoleName=name,
            AssumeRolePolicyDocument=json.dumps({
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"Service": "rekognition.amazonaws.com"},
                               "Action": "sts:AssumeRole"}],
            }),
        )
        policy = self.iam.create_policy(
            PolicyName=name,
            PolicyDocument=json.dumps({
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "SNS:Publish", "Resource": self.topic.arn}],
            }),
        )
        self.role.attach_policy(PolicyArn=policy.arn)

    def start(self) -> str:
        response = self.rek.start_label_detection(
            Video={"S3Object": {"Bucket": self.bucket, "Name": self.video}},
            NotificationChannel={"RoleArn": self.role.arn, "SNSTopicArn": self.topic.arn},
            MinConfidence=50,
            JobTag="DetectingLabels",
        )
        self.job_id = response["JobId"]
        return self.job_id

    def wait_for_completion(self, max_polls: int = 10) -> str:
        for _ in range(max_polls):
            for message in self.queue.receive_messages(MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                                       MessageAttributeNames=["All"]):
                notification = json.loads(message.body)
                status = json.loads(notification["Message"])
                message.delete()
                if status["JobId"] == self.job_id:
                    return status["Status"]
        raise TimeoutError("no completion message")

    def labels(self) -> list[dict[str, Any]]:
        found, token = [], None
        while True:
            kwargs = {"JobId": self.job_id, "MaxResults": 10, "SortBy": "TIMESTAMP"}
            if token:
                kwargs["NextToken"] = token
            page = self.rek.get_label_detection(**kwargs)
            assert page["VideoMetadata"]["Codec"] == "h264"
            found.extend(page["Labels"])
            token = page.get("NextToken")
            if not token:
                return found

    def delete_notification_channel(self) -> None:
        for policy in self.role.attached_policies.all():
            self.role.detach_policy(PolicyArn=policy.arn)
            policy.delete()
        self.role.delete()
        self.queue.delete()
        self.topic.delete()


def test_aws_sdk_example_runs_unchanged_but_for_the_endpoint(fast_sandbox):
    import boto3

    session = boto3.Session(aws_access_key_id="AKIAEXAMPLEEXAMPLE", aws_secret_access_key="secret",
                            region_name=REGION)
    example = VideoLabelsExample(session, fast_sandbox.endpoint_url, DEMO, "sports/soccer-match.mov")
    example.create_notification_channel(f"AmazonRekognitionExample{int(time.time() * 1000)}")
    job = example.start()
    assert example.wait_for_completion() == "SUCCEEDED"
    labels = example.labels()
    assert labels and all("Timestamp" in d and d["Label"]["Name"] for d in labels)
    example.delete_notification_channel()
    assert any(j["JobId"] == job and j["JobTag"] == "DetectingLabels" for j in fast_sandbox.jobs())
    sts = session.client("sts", endpoint_url=fast_sandbox.endpoint_url)
    assert sts.get_caller_identity()["Account"] == fast_sandbox.account_id


@pytest.mark.parametrize("service", ["s3", "sns", "sqs", "iam", "sts"])
def test_moto_services_answer_on_the_same_endpoint(fast_sandbox, service):
    c = client(fast_sandbox, service)
    calls = {
        "s3": lambda: c.list_buckets()["Buckets"],
        "sns": lambda: c.list_topics()["Topics"],
        "sqs": lambda: c.list_queues(),
        "iam": lambda: c.list_roles()["Roles"],
        "sts": lambda: c.get_caller_identity()["Account"],
    }
    assert calls[service]() is not None


def test_other_rekognition_operations_still_reach_moto(fast_sandbox):
    rek = client(fast_sandbox, "rekognition")
    job = rek.start_face_search(Video={"S3Object": {"Bucket": DEMO, "Name": CLIP}}, CollectionId="faces")["JobId"]
    assert job
    assert rek.get_face_search(JobId=job)["JobStatus"] in ("SUCCEEDED", "IN_PROGRESS")
    assert not any(j["JobId"] == job for j in fast_sandbox.jobs())  # not one of ours
