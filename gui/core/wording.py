"""Small wording helpers for messages: counts with the right noun, durations people read."""

from __future__ import annotations


def plural(count: int, noun: str, plural_noun: str | None = None) -> str:
    """``1 video``, ``0 videos``, ``3 videos``; ``plural_noun`` for irregular nouns (``1 match``/``2 matches``)."""
    word = noun if count == 1 else (plural_noun or noun + "s")
    return f"{count:,} {word}"


def clock(ms: int | float) -> str:
    """A duration as players show it: ``7:00:00``, ``1:02:03``, ``4:05`` (minutes:seconds under an hour).
    Rounded down to the second, so ``6:00:00.9`` is not shown as a limit-breaking ``6:00:01``."""
    total = max(0, int(ms)) // 1000
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"
