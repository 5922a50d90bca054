"""Cost estimate: whole billed minutes per video, unknown durations counted apart, the price a preference."""

from __future__ import annotations

import math

import pytest

from gui.core.cost import DEFAULT_PRICE_PER_MINUTE, estimate, format_duration
from gui.core.engine import JobPreferences


def test_default_price_is_ten_cents_a_minute_and_preferences_start_from_it(tmp_path):
    assert DEFAULT_PRICE_PER_MINUTE == 0.10
    assert JobPreferences().price_per_minute == DEFAULT_PRICE_PER_MINUTE


def test_minutes_are_rounded_up_per_video():
    e = estimate([30.0, 60.0, 61.0, 3600.0])  # 1 + 1 + 2 + 60 minutes
    assert e.billed_minutes == 64 and e.known_videos == 4 and e.unknown_videos == 0
    assert math.isclose(e.cost, 6.40)
    assert e.describe() == (
        "Estimated cost: $6.40 for 1 h 02 min of video (64 billed minutes at $0.10 per minute)."
    )


def test_unknown_durations_are_counted_apart_and_never_guessed():
    e = estimate([120.0, None, None], price_per_minute=0.12)
    assert e.billed_minutes == 2 and math.isclose(e.cost, 0.24)
    assert e.describe().endswith("plus 2 videos of unknown duration.")
    assert "unknown for all 3" in estimate([None, None, None]).describe()
    assert estimate([]).describe() == "No videos."


def test_bad_prices_are_refused():
    for price in (-0.1, float("nan"), float("inf")):
        with pytest.raises(ValueError):
            estimate([60.0], price)


def test_price_preference_round_trips_through_the_settings_file(tmp_path):
    from gui.core.paths import resolve_paths

    paths = resolve_paths(tmp_path / "app").ensure()
    prefs = JobPreferences(max_active=7, price_per_minute=0.085, auto_fetch=False,
                           completion_queues={"arn:aws:sns:us-east-1:1:T": "http://q"})
    prefs.save(paths)
    loaded = JobPreferences.load(paths)
    assert (loaded.max_active, loaded.price_per_minute, loaded.auto_fetch) == (7, 0.085, False)
    assert loaded.completion_queues == {"arn:aws:sns:us-east-1:1:T": "http://q"}
    assert '"jobs"' in paths.settings_file.read_text()


def test_format_duration():
    assert format_duration(5) == "5 s"
    assert format_duration(75) == "1 min 15 s"
    assert format_duration(3 * 3600 + 61) == "3 h 01 min"
