"""The one backoff rule for every retry in the app (submitter, poller, results fetching)."""

from __future__ import annotations

import random


def backoff_delay(attempt: int, base: float, maximum: float, rng: random.Random) -> float:
    """Seconds to wait before retry number ``attempt`` (1 for the first retry).

    Exponential growth (``base``, ``2 * base``, ``4 * base`` ...) capped at ``maximum``, with "equal
    jitter": half of that ceiling is fixed, the other half random, so retries of many callers spread out
    while none waits less than half the ceiling.
    """
    ceiling = min(maximum, base * (2 ** max(0, attempt - 1)))
    return ceiling / 2 + rng.uniform(0, ceiling / 2)
