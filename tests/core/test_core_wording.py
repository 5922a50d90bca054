"""Counts and durations in messages."""

from __future__ import annotations

import pytest

from gui.core.wording import clock, plural


@pytest.mark.parametrize(
    ("count", "noun", "irregular", "text"),
    [(0, "video", None, "0 videos"), (1, "video", None, "1 video"), (2, "video", None, "2 videos"),
     (1_000, "job", None, "1,000 jobs"), (1, "match", "matches", "1 match"), (3, "match", "matches", "3 matches")],
)
def test_plural(count, noun, irregular, text):
    assert plural(count, noun, irregular) == text


@pytest.mark.parametrize(
    ("ms", "text"),
    [(0, "0:00"), (4_999, "0:04"), (245_000, "4:05"), (3_723_000, "1:02:03"), (25_200_000, "7:00:00"),
     (21_600_999, "6:00:00"), (-5, "0:00")],
)
def test_clock(ms, text):
    assert clock(ms) == text
