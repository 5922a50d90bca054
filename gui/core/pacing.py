"""Request pacing: a token bucket per (operation, region), so the app stays inside Rekognition's
request-rate quotas instead of leaning on throttling retries.

The defaults are the documented default quotas (AWS General Reference, "Amazon Rekognition endpoints and
quotas", linked from the developer guide's ``limits`` page): ``StartLabelDetection`` (every stored-video
Start operation) 5 transactions per second; ``GetLabelDetection`` 20 per second in us-east-1, us-west-2 and
eu-west-1, 5 elsewhere.  The sandbox enforces the same figures (:mod:`gui.sandbox.quotas`) with the same
bucket, so one definition of the rule serves both sides.

Thread-safe; the clock and the sleep are injectable for tests.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

START = "StartLabelDetection"
GET = "GetLabelDetection"
START_TPS = 5.0
GET_TPS_HIGH = 20.0
GET_TPS_OTHER = 5.0
HIGH_GET_REGIONS = frozenset({"us-east-1", "us-west-2", "eu-west-1"})

Clock = Callable[[], float]
Sleep = Callable[[float], None]


def default_tps(operation: str, region: str) -> float | None:
    """The documented default quota of *operation* in *region*, None for operations without one here."""
    if operation == START:
        return START_TPS
    if operation == GET:
        return GET_TPS_HIGH if region in HIGH_GET_REGIONS else GET_TPS_OTHER
    return None


class TokenBucket:
    """*rate* tokens a second, holding at most *capacity* (default: one second's worth, at least 1).

    :meth:`try_acquire` takes a token if one is there (the service side: answer or refuse);
    :meth:`reserve` always takes one, possibly on credit, and says how long to wait before using it
    (the client side: callers queue up in arrival order without busy-waiting)."""

    def __init__(self, rate: float, capacity: float | None = None, *, clock: Clock = time.monotonic) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = float(rate)
        self.capacity = float(capacity if capacity is not None else max(1.0, rate))
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens = self.capacity
        self._stamp = clock()

    def _refill(self, now: float) -> None:
        if now > self._stamp:
            self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now

    def try_acquire(self) -> bool:
        with self._lock:
            self._refill(self._clock())
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return True
            return False

    def reserve(self) -> float:
        """Take a token now (going into debt if needed); the seconds to wait before the call may go."""
        with self._lock:
            self._refill(self._clock())
            self._tokens -= 1.0
            return 0.0 if self._tokens >= 0 else -self._tokens / self.rate


@dataclass(frozen=True)
class PaceKey:
    operation: str
    region: str
    endpoint: str = ""  # a quota belongs to one service: a local sandbox's budget is not AWS's


class Pacer:
    """One :class:`TokenBucket` per (operation, region), created on first use.

    *rates* overrides the defaults per operation (``{"GetLabelDetection": 10}``; 0 or None turns pacing of
    that operation off).  Client buckets hold one token (*burst* = 1): calls leave evenly spaced at the
    quota's rate, so bursts never reach the service."""

    def __init__(self, rates: Mapping[str, float | None] | None = None, *, burst: float = 1.0,
                 clock: Clock = time.monotonic, sleep: Sleep = time.sleep) -> None:
        self._rates = dict(rates or {})
        self._burst = burst
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._buckets: dict[PaceKey, TokenBucket | None] = {}
        self.waited = 0.0  # total seconds callers were held back
        self.calls = 0

    def rate(self, operation: str, region: str) -> float | None:
        if operation in self._rates:
            value = self._rates[operation]
            return float(value) if value else None
        return default_tps(operation, region)

    def bucket(self, operation: str, region: str, endpoint: str = "") -> TokenBucket | None:
        key = PaceKey(operation, region, endpoint)
        with self._lock:
            if key not in self._buckets:
                rate = self.rate(operation, region)
                self._buckets[key] = TokenBucket(rate, self._burst, clock=self._clock) if rate else None
            return self._buckets[key]

    def acquire(self, operation: str, region: str, cancel: Callable[[], bool] | None = None, *,
                endpoint: str = "") -> float:
        """Wait until a call of *operation* in *region* (at *endpoint*) may go; returns the seconds waited.
        With *cancel*, the wait is cut into short sleeps and ends early once it returns True."""
        bucket = self.bucket(operation, region, endpoint)
        with self._lock:
            self.calls += 1
        if bucket is None:
            return 0.0
        delay = bucket.reserve()
        if delay <= 0:
            return 0.0
        if cancel is None:
            self._sleep(delay)
        else:
            deadline = self._clock() + delay
            while not cancel():
                left = deadline - self._clock()
                if left <= 0:
                    break
                self._sleep(min(left, 0.05))
        with self._lock:
            self.waited += delay
        return delay


_SHARED = Pacer()


def shared_pacer() -> Pacer:
    """The process's one pacer: every StartLabelDetection / GetLabelDetection the app makes goes through it,
    so the submitter, the poller and the results fetch share each (operation, region) budget."""
    return _SHARED


def pace(operation: str, client_or_method: object, cancel: Callable[[], bool] | None = None) -> float:
    """Wait for a turn of *operation* on the shared pacer, for the region and endpoint the boto3 client (or
    one of its bound methods) calls; the seconds waited."""
    owner = getattr(client_or_method, "__self__", client_or_method)
    meta = getattr(owner, "meta", None)
    region = str(getattr(meta, "region_name", "") or "")
    endpoint = str(getattr(meta, "endpoint_url", "") or "")
    return _SHARED.acquire(operation, region, cancel, endpoint=endpoint)

