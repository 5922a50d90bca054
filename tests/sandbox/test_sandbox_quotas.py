"""Request-rate quotas (issue 11, item 8).

Sources: the developer guide's ``limits`` page ("Default quotas": TPS limits are per API operation and per
region, "Other API operations and regions are not affected") links the AWS General Reference's Amazon
Rekognition quotas, whose defaults are: StartLabelDetection (all stored-video Start operations) 5
transactions per second; GetLabelDetection 20 per second in us-east-1, us-west-2 and eu-west-1, 5 in other
regions.  botocore's model documents ``ProvisionedThroughputExceededException`` for both operations: "The
number of requests exceeded your throughput limit."  (HTTP 400, a retryable throttling error to botocore.)
"""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError
from sandbox_testkit import client, code_of, start

MISSING_JOB = "0" * 64


def _burst(call: Any, n: int) -> tuple[int, int, float]:
    """(answered, refused for the quota, seconds taken) for *n* calls back to back."""
    answered = refused = 0
    t0 = time.monotonic()
    for _ in range(n):
        try:
            call()
            answered += 1
        except ClientError as exc:
            if code_of_error(exc) == "ProvisionedThroughputExceededException":
                assert exc.response["ResponseMetadata"]["HTTPStatusCode"] == 400
                refused += 1
            else:
                answered += 1  # the service answered (e.g. ResourceNotFound): the quota let it through
    return answered, refused, time.monotonic() - t0


def code_of_error(exc: ClientError) -> str:
    return exc.response["Error"]["Code"]


def _get(sb: Any, region: str) -> Any:
    rek = client(sb, "rekognition", region=region)
    return lambda: rek.get_label_detection(JobId=MISSING_JOB)


def _within(answered: int, rate: float, seconds: float) -> bool:
    """A bucket of one second's worth, refilled at *rate*: at most rate + rate*seconds (+1 for timing)."""
    return rate <= answered <= rate + rate * seconds + 1


@pytest.mark.parametrize(("region", "rate"), [
    ("us-east-1", 20), ("us-west-2", 20), ("eu-west-1", 20), ("ap-southeast-2", 5), ("eu-central-1", 5)])
def test_get_label_detection_quota_per_region(make_sandbox, region, rate):
    sb = make_sandbox()
    answered, refused, seconds = _burst(_get(sb, region), 40)
    assert refused > 0 and _within(answered, rate, seconds), (answered, refused, seconds)
    assert sb.throttled == refused


def test_start_label_detection_quota_is_five_per_second(make_sandbox):
    sb = make_sandbox(seed_demo=True, job_seconds=30, max_concurrent_jobs=100)
    rek = client(sb, "rekognition")
    answered, refused, seconds = _burst(lambda: start(rek), 15)
    assert refused > 0 and _within(answered, 5, seconds), (answered, refused, seconds)
    assert len(sb.jobs()) == answered  # a refused call starts nothing


def test_quotas_are_counted_per_operation_and_region(make_sandbox):
    # one call a second, so the buckets do not refill while the test looks (the machine may be slow)
    sb = make_sandbox(seed_demo=True, job_seconds=30, max_concurrent_jobs=100, start_tps=1, get_tps=1)
    answered, refused, _ = _burst(_get(sb, "us-east-1"), 5)  # us-east-1's Get bucket is now empty
    assert answered >= 1 and refused >= 1
    assert start(client(sb, "rekognition"))  # Start has its own bucket
    with pytest.raises(ClientError) as excinfo:
        _get(sb, "eu-west-1")()  # another region has its own bucket: it answers (the job is unknown)
    assert code_of(excinfo) == "ResourceNotFoundException"


def test_the_quota_refills_at_its_rate(make_sandbox):
    sb = make_sandbox(get_tps=10)
    call = _get(sb, "us-east-1")
    _burst(call, 30)
    time.sleep(0.5)  # five tokens back
    answered, refused, seconds = _burst(call, 12)
    assert 5 <= answered <= 5 + 10 * seconds + 1 and refused > 0


def test_quotas_are_settable_and_zero_turns_them_off(make_sandbox):
    sb = make_sandbox(seed_demo=True, job_seconds=30, max_concurrent_jobs=100, start_tps=0, get_tps=0)
    assert _burst(_get(sb, "us-east-1"), 60)[1] == 0
    rek = client(sb, "rekognition")
    assert _burst(lambda: start(rek), 25)[1] == 0
    sb.get_tps = 3  # read on every call
    answered, refused, seconds = _burst(_get(sb, "us-east-1"), 20)
    assert refused > 0 and _within(answered, 3, seconds)


def test_the_command_line_sets_the_quotas():
    proc = subprocess.Popen([sys.executable, "-m", "gui.sandbox", "--start-tps", "0", "--get-tps", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = proc.stdout.readline().strip()
        assert line.startswith("endpoint_url ")

        class Endpoint:
            endpoint_url = line.split(" ", 1)[1]

        answered, refused, seconds = _burst(_get(Endpoint, "us-east-1"), 12)
        assert refused > 0 and _within(answered, 2, seconds)
    finally:
        proc.terminate()
        proc.wait(10)
        proc.stdout.close()


def test_negative_rates_are_a_usage_error():
    proc = subprocess.run([sys.executable, "-m", "gui.sandbox", "--get-tps", "-1"], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 2 and "--get-tps" in proc.stderr
