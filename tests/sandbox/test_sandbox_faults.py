"""Fault injection: a share of Rekognition calls answer retryable errors; faults never start jobs."""

from __future__ import annotations

from collections import Counter

import pytest
from botocore.exceptions import ClientError
from sandbox_testkit import CLIP, DEMO, client, start

# These tests send tens of calls back to back to measure fault injection; the request-rate quotas
# (test_sandbox_quotas.py) would refuse most of them first, so they are off here.
NO_QUOTAS = {"start_tps": 0, "get_tps": 0}
FAULT_STATUS = {"ThrottlingException": 500, "ProvisionedThroughputExceededException": 400,
                "InternalServerError": 500}


def _outcomes(rek, calls: int) -> list[str]:
    out = []
    for _ in range(calls):
        try:
            rek.get_label_detection(JobId="0" * 64)
            out.append("ok")
        except ClientError as exc:
            out.append(exc.response["Error"]["Code"])
    return out


def test_every_call_faults_at_rate_one_and_no_job_starts(make_sandbox):
    sb = make_sandbox(**NO_QUOTAS, seed_demo=True, job_seconds=0.05, fault_rate=1.0)
    rek = client(sb, "rekognition")
    seen = Counter()
    for _ in range(30):
        with pytest.raises(ClientError) as excinfo:
            start(rek)
        code = excinfo.value.response["Error"]["Code"]
        seen[code] += 1
        assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == FAULT_STATUS[code]
    assert set(seen) == set(FAULT_STATUS)  # all three kinds show up
    assert sb.jobs() == []
    assert sb.start_requests == 30 and sb.faults_injected == 30
    s3 = client(sb, "s3")
    assert s3.head_object(Bucket=DEMO, Key=CLIP)["ContentLength"] > 0  # other services are not affected


def test_modelled_exception_classes_are_raised(make_sandbox):
    sb = make_sandbox(**NO_QUOTAS, seed_demo=True, fault_rate=1.0, fault_seed=3)
    rek = client(sb, "rekognition")
    classes = (rek.exceptions.ThrottlingException, rek.exceptions.ProvisionedThroughputExceededException,
               rek.exceptions.InternalServerError)
    for _ in range(10):
        with pytest.raises(classes):
            rek.get_label_detection(JobId="abc")


def test_rate_is_roughly_the_share_and_reproducible_with_a_seed(make_sandbox):
    a = make_sandbox(**NO_QUOTAS, fault_rate=0.3, fault_seed=42)
    b = make_sandbox(**NO_QUOTAS, fault_rate=0.3, fault_seed=42)
    first, second = _outcomes(client(a, "rekognition"), 150), _outcomes(client(b, "rekognition"), 150)
    assert first == second
    faults = sum(o in FAULT_STATUS for o in first)
    assert 0.15 * 150 <= faults <= 0.45 * 150
    assert Counter(first)["ResourceNotFoundException"] == 150 - faults  # the rest are real answers


def test_rate_changes_at_run_time(make_sandbox):
    sb = make_sandbox(**NO_QUOTAS, fault_rate=1.0)
    rek = client(sb, "rekognition")
    assert set(_outcomes(rek, 5)) <= set(FAULT_STATUS)
    sb.fault_rate = 0.0
    assert _outcomes(rek, 5) == ["ResourceNotFoundException"] * 5


def _seed_with(pattern: list[bool], rate: float) -> int:
    """A fault seed whose first calls fault (True) or pass (False) as *pattern* says."""
    from gui.sandbox.faults import FaultInjector

    for seed in range(1000):
        injector = FaultInjector(seed)
        if [injector.maybe_fail(rate) is not None for _ in pattern] == pattern:
            return seed
    raise AssertionError("no seed found")


def test_botocore_retries_get_through_and_start_exactly_one_job(make_sandbox):
    seed = _seed_with([True, False, False], 0.5)  # one fault, then a retry that passes
    sb = make_sandbox(**NO_QUOTAS, seed_demo=True, job_seconds=0.05, fault_rate=0.5, fault_seed=seed)
    rek = client(sb, "rekognition", retries=3)
    job = start(rek, ClientRequestToken="retry-me")
    assert sb.start_requests == 2 and sb.faults_injected == 1
    assert [j["JobId"] for j in sb.jobs()] == [job]
    assert start(rek, ClientRequestToken="retry-me") == job
    assert len(sb.jobs()) == 1
