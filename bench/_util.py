"""Small helpers shared by the benchmarks: medians and ratio lines."""

from __future__ import annotations

import statistics
from collections.abc import Sequence


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def ratio_line(name: str, ours: Sequence[float], base: Sequence[float], target: float | None = None,
               unit: str = "s") -> str:
    mo, mb = median(ours), median(base)
    ratio = mo / mb if mb else float("inf")
    verdict = "" if target is None else ("  OK" if ratio <= target else f"  OVER TARGET {target}x")
    return f"{name}: ours {mo:.3f}{unit} vs baseline {mb:.3f}{unit} -> ratio {ratio:.2f}x (median of {len(ours)}){verdict}"
