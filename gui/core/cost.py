"""Estimated cost of a batch, from a per-minute price the user can change in preferences.

Default: **$0.10 per minute** of stored video analysed for label detection (``DEFAULT_PRICE_PER_MINUTE``).

Source: the Amazon Rekognition pricing page, https://aws.amazon.com/rekognition/pricing/ ("Rekognition
Video — stored video analysis — Label Detection", US East (N. Virginia), first tier), which bills per
minute of video analysed and gives $0.10/min for label detection. The stored copies of that page we
could search render the price tables from templates, so the figure could not be re-read there: treat it
as the published first-tier rate at the time of writing, varying by region and over time. That is why it
is a preference and why the confirmation calls the figure an estimate.

Rekognition bills per minute of video, so a video's duration is rounded up to whole minutes here (our
assumption; AWS's page does not spell out partial-minute rounding). Videos of unknown duration are
counted apart, never guessed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from gui.core.wording import plural

DEFAULT_PRICE_PER_MINUTE = 0.10
PRICE_SOURCE = "https://aws.amazon.com/rekognition/pricing/ (Label Detection, stored video, US East, first tier)"


@dataclass(frozen=True)
class CostEstimate:
    videos: int
    known_videos: int  # videos whose duration is known
    known_seconds: float
    billed_minutes: int  # whole minutes over the known videos
    price_per_minute: float

    @property
    def unknown_videos(self) -> int:
        return self.videos - self.known_videos

    @property
    def cost(self) -> float:
        """Cost of the videos of known duration."""
        return self.billed_minutes * self.price_per_minute

    def describe(self) -> str:
        """One or two sentences for a confirmation dialog or the CLI."""
        if self.videos == 0:
            return "No videos."
        price = f"${self.price_per_minute:.2f} per minute"
        if self.known_videos == 0:
            return (
                f"Duration unknown for all {plural(self.videos, 'video')}: the cost is {price} of video "
                "(AWS reports each duration when its job ends)."
            )
        text = (
            f"Estimated cost: ${self.cost:,.2f} for {format_duration(self.known_seconds)} "
            f"of video ({plural(self.billed_minutes, 'billed minute')} at {price})"
        )
        if self.unknown_videos:
            text += f", plus {plural(self.unknown_videos, 'video')} of unknown duration"
        return text + "."


def estimate(durations_seconds: Iterable[float | None], price_per_minute: float = DEFAULT_PRICE_PER_MINUTE) -> CostEstimate:
    """``durations_seconds``: one entry per video, None where the duration is not known."""
    if price_per_minute < 0 or not math.isfinite(price_per_minute):
        raise ValueError("the price per minute must be a finite number ≥ 0")
    videos = known = minutes = 0
    seconds = 0.0
    for d in durations_seconds:
        videos += 1
        if d is None or d < 0 or not math.isfinite(d):
            continue
        known += 1
        seconds += d
        minutes += max(1, math.ceil(d / 60.0)) if d > 0 else 0
    return CostEstimate(videos, known, seconds, minutes, float(price_per_minute))


def format_duration(seconds: float) -> str:
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    if h:
        return f"{h} h {m:02d} min"
    if m:
        return f"{m} min {s:02d} s"
    return f"{s} s"
