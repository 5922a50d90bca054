"""gui.core.pacing: the documented default quotas and the token bucket that keeps calls inside them.

Source of the figures: the AWS General Reference's Amazon Rekognition quotas (linked from the developer
guide's ``limits`` page): StartLabelDetection 5 TPS; GetLabelDetection 20 TPS in us-east-1, us-west-2 and
eu-west-1, 5 TPS elsewhere; per operation and region.
"""

from __future__ import annotations

import threading
import time

import pytest

from gui.core.pacing import GET, START, Pacer, TokenBucket, default_tps


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.mark.parametrize(("operation", "region", "tps"), [
    (START, "us-east-1", 5), (START, "eu-central-1", 5), (START, "ap-southeast-2", 5),
    (GET, "us-east-1", 20), (GET, "us-west-2", 20), (GET, "eu-west-1", 20),
    (GET, "eu-central-1", 5), (GET, "ap-northeast-1", 5), (GET, "us-east-2", 5),
    ("DetectLabels", "us-east-1", None),
])
def test_documented_default_quotas(operation, region, tps):
    assert default_tps(operation, region) == tps


def test_bucket_holds_one_second_and_refills_at_its_rate():
    t = FakeTime()
    bucket = TokenBucket(5, clock=t.clock)
    assert [bucket.try_acquire() for _ in range(6)] == [True] * 5 + [False]
    t.now += 0.199
    assert bucket.try_acquire() is False
    t.now += 0.002  # 0.201 s: one token back
    assert bucket.try_acquire() is True and bucket.try_acquire() is False
    t.now += 10  # never more than the capacity
    assert sum(bucket.try_acquire() for _ in range(20)) == 5


def _go_times(pacer: Pacer, t: FakeTime, operation: str, region: str, n: int) -> list[float]:
    out = []
    for _ in range(n):
        pacer.acquire(operation, region)
        out.append(round(t.now - 1000.0, 6))
    return out


@pytest.mark.parametrize(("operation", "region", "gap"), [
    (START, "us-east-1", 0.2), (GET, "us-east-1", 0.05), (GET, "eu-west-1", 0.05), (GET, "sa-east-1", 0.2)])
def test_pacer_spaces_calls_at_the_quota(operation, region, gap):
    t = FakeTime()
    pacer = Pacer(clock=t.clock, sleep=t.sleep)
    times = _go_times(pacer, t, operation, region, 6)
    assert times == [round(i * gap, 6) for i in range(6)]


def test_pacer_keeps_one_bucket_per_operation_and_region():
    t = FakeTime()
    pacer = Pacer(clock=t.clock, sleep=t.sleep)
    pacer.acquire(START, "us-east-1")
    assert pacer.acquire(START, "eu-west-1") == 0.0  # another region: its own bucket
    assert pacer.acquire(GET, "us-east-1") == 0.0  # another operation: its own bucket
    assert pacer.acquire(START, "us-east-1") == pytest.approx(0.2)


def test_rates_override_and_zero_turns_pacing_off():
    t = FakeTime()
    pacer = Pacer({START: 2, GET: 0}, clock=t.clock, sleep=t.sleep)
    assert _go_times(pacer, t, START, "us-east-1", 3) == [0.0, 0.5, 1.0]
    before = t.now
    for _ in range(50):
        assert pacer.acquire(GET, "us-east-1") == 0.0
    assert t.now == before and pacer.calls == 53


def test_a_cancelled_wait_ends_early():
    t = FakeTime()
    pacer = Pacer({START: 0.5}, clock=t.clock, sleep=t.sleep)
    pacer.acquire(START, "us-east-1")
    cancelled = iter([False, False, True])
    pacer.acquire(START, "us-east-1", cancel=lambda: next(cancelled))
    assert t.sleeps == [0.05, 0.05]  # short sleeps, then it stopped waiting


def test_pacer_is_thread_safe_and_holds_the_rate_across_threads():
    rate, threads, each = 400.0, 8, 20
    pacer = Pacer({GET: rate})
    stamps: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(each):
            pacer.acquire(GET, "us-east-1")
            with lock:
                stamps.append(time.monotonic())

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    t0 = time.monotonic()
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    n = threads * each
    assert len(stamps) == n
    assert time.monotonic() - t0 >= (n - 1) / rate * 0.95  # never faster than the rate
    stamps.sort()
    window = [s for s in stamps if s - stamps[0] < 0.1]
    assert len(window) <= rate * 0.1 + 2


def test_app_calls_share_a_budget_per_region_and_endpoint(monkeypatch):
    import boto3

    from gui.core import pacing

    t = FakeTime()
    monkeypatch.setattr(pacing, "_SHARED", Pacer(clock=t.clock, sleep=t.sleep))

    def rek(region, endpoint=None):
        return boto3.client("rekognition", region_name=region, endpoint_url=endpoint,
                            aws_access_key_id="x", aws_secret_access_key="y")

    a, same = rek("us-east-1"), rek("us-east-1")
    assert pacing.pace(START, a) == 0.0
    assert pacing.pace(START, same.start_label_detection) == pytest.approx(0.2)  # one AWS budget
    assert pacing.pace(START, rek("eu-west-1")) == 0.0
    assert pacing.pace(START, rek("us-east-1", "http://127.0.0.1:4566")) == 0.0  # a local service: its own
    assert pacing.pace(GET, a) == 0.0 and pacing.pace(GET, a) == pytest.approx(0.05)
