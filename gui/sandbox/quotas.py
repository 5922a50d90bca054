"""Request-rate quotas the sandbox enforces on StartLabelDetection and GetLabelDetection.

Defaults are the documented default quotas (see :mod:`gui.core.pacing`): Start 5 TPS; Get 20 TPS in
us-east-1, us-west-2 and eu-west-1, 5 elsewhere; per operation and per region, as AWS counts them.  Each
(operation, region) has a token bucket holding one second's worth of calls.  Beyond it the call answers
``ProvisionedThroughputExceededException`` (HTTP 400), which botocore's model documents for both
operations as "The number of requests exceeded your throughput limit."
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from gui.core.pacing import GET, START, TokenBucket, default_tps
from gui.sandbox.apierrors import ApiError

QUOTA_ERROR = "ProvisionedThroughputExceededException"
QUOTA_MESSAGE = ("Provisioned rate exceeded: the number of requests exceeded your throughput limit "
                 "of {rate:g} per second for {operation} in {region}.")


class QuotaKeeper:
    """*start_tps* / *get_tps* are read through callables on every call (the Sandbox's attributes, which
    may change at run time): None uses the documented default for the region, 0 turns the quota off."""

    def __init__(self, start_tps: Callable[[], float | None], get_tps: Callable[[], float | None]) -> None:
        self._settings = {START: start_tps, GET: get_tps}
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, str, float], TokenBucket] = {}
        self.refused = 0

    def rate(self, operation: str, region: str) -> float | None:
        setting = self._settings.get(operation)
        if setting is None:
            return None
        value = setting()
        if value is None:
            return default_tps(operation, region)
        return float(value) if value > 0 else None

    def check(self, operation: str, region: str) -> ApiError | None:
        """None when the call may go on; the error to answer when it is over the quota."""
        rate = self.rate(operation, region)
        if rate is None:
            return None
        key = (operation, region, rate)
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = TokenBucket(rate)
        if bucket.try_acquire():
            return None
        with self._lock:
            self.refused += 1
        return ApiError(QUOTA_ERROR, QUOTA_MESSAGE.format(rate=rate, operation=operation, region=region))
