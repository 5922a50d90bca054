"""Fault injection for Rekognition calls: a share of requests answer a retryable error instead."""

from __future__ import annotations

import random
import threading

from gui.sandbox.apierrors import ApiError

# (code, HTTP status, message) — the retryable errors the Rekognition API reference lists.
FAULTS: tuple[tuple[str, int, str], ...] = (
    ("ThrottlingException", 500, "Rate exceeded"),
    ("ProvisionedThroughputExceededException", 400,
     "Provisioned rate exceeded: the number of requests exceeded your throughput limit."),
    ("InternalServerError", 500, "Internal server error"),
)


class FaultInjector:
    """``rate`` in [0, 1] is read on every call, so it can change at run time; ``seed`` makes the
    sequence of faults reproducible."""

    def __init__(self, seed: int | None = None) -> None:
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self.injected = 0

    def reseed(self, seed: int | None) -> None:
        with self._lock:
            self._rng.seed(seed)

    def maybe_fail(self, rate: float) -> ApiError | None:
        if rate <= 0:
            return None
        with self._lock:
            if self._rng.random() >= rate:
                return None
            code, status, message = self._rng.choice(FAULTS)
            self.injected += 1
        return ApiError(code, message, status)
