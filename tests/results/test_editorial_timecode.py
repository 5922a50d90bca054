"""Edit rates and timecode: the reported FrameRate snapped to an editing rate, known timecode values
(drop-frame included), nearest-frame rounding, start timecodes."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from gui.core.errors import KnownError
from gui.core.timecode import edit_rate


@pytest.mark.parametrize(
    ("reported", "fraction", "drop", "label"),
    [
        (23.976, Fraction(24000, 1001), False, "23.976 fps"),
        (23.976023976023978, Fraction(24000, 1001), False, "23.976 fps"),
        (24.0, Fraction(24), False, "24 fps"),
        (25, Fraction(25), False, "25 fps"),
        (29.97, Fraction(30000, 1001), True, "29.97 fps drop-frame"),
        (29.970029, Fraction(30000, 1001), True, "29.97 fps drop-frame"),
        (30.0, Fraction(30), False, "30 fps"),
        (50.0, Fraction(50), False, "50 fps"),
        (59.94, Fraction(60000, 1001), True, "59.94 fps drop-frame"),
        (60.0, Fraction(60), False, "60 fps"),
        (15.0, Fraction(15), False, "15 fps"),  # whole numbers are exact rates too
        ("25", Fraction(25), False, "25 fps"),
    ],
)
def test_reported_rates_snap_to_editing_rates(reported, fraction, drop, label):
    rate = edit_rate(reported)
    assert rate.fraction == fraction
    assert rate.drop_frame is drop
    assert rate.exact
    assert rate.note == ""
    assert rate.label == label


@pytest.mark.parametrize(("reported", "rounded"), [(29.6, 30), (12.3, 12), (0.4, 1), (119.2, 119)])
def test_non_standard_rates_round_to_whole_frames_and_say_so(reported, rounded):
    rate = edit_rate(reported)
    assert rate.fraction == rounded and not rate.drop_frame
    assert not rate.exact
    assert f"{reported:g}" in rate.note and "not a standard" in rate.note


@pytest.mark.parametrize("bad", [0, 0.0, -25, None, "", "abc", math.nan, math.inf])
def test_a_missing_or_zero_frame_rate_is_a_clear_error(bad):
    with pytest.raises(KnownError) as info:
        edit_rate(bad)
    assert info.value.message.title == "No frame rate"


def test_drop_frame_is_refused_where_no_such_timecode_exists():
    with pytest.raises(KnownError):
        edit_rate(25, drop_frame=True)
    assert not edit_rate(29.97, drop_frame=False).drop_frame
    assert edit_rate(29.97, drop_frame=False).timecode(1800) == "00:01:00:00"


@pytest.mark.parametrize(
    ("reported", "frame", "timecode"),
    [
        # 29.97 drop-frame: frames 0 and 1 of each minute are skipped except every tenth minute
        (29.97, 1799, "00:00:59;29"),
        (29.97, 1800, "00:01:00;02"),
        (29.97, 17982, "00:10:00;00"),
        (29.97, 17981, "00:09:59;29"),
        (29.97, 107892, "01:00:00;00"),
        # 59.94 drop-frame: four frame numbers skipped
        (59.94, 3599, "00:00:59;59"),
        (59.94, 3600, "00:01:00;04"),
        (59.94, 35964, "00:10:00;00"),
        # non-drop
        (23.976, 86400, "01:00:00:00"),
        (24, 86400, "01:00:00:00"),
        (25, 90000, "01:00:00:00"),
        (25, 90024, "01:00:00:24"),
        (30, 108000, "01:00:00:00"),
        (50, 180049, "01:00:00:49"),
        (60, 216000, "01:00:00:00"),
    ],
)
def test_known_timecodes(reported, frame, timecode):
    rate = edit_rate(reported)
    assert rate.timecode(frame) == timecode
    assert rate.parse(timecode) == frame


def test_start_timecode_at_drop_frame_rates_reads_as_drop_frame_whatever_the_separator():
    rate = edit_rate(29.97)
    assert rate.parse("01:00:00:00") == rate.parse("01:00:00;00") == 107892


@pytest.mark.parametrize(
    ("reported", "text"),
    [(25, "01:00:00:25"), (25, "1:60:00:00"), (25, "01:00:00"), (25, "nonsense"), (29.97, "00:01:00;01"),
     (59.94, "00:02:00;03")],
)
def test_invalid_timecodes_are_refused(reported, text):
    with pytest.raises(KnownError) as info:
        edit_rate(reported).parse(text)
    assert info.value.message.title == "Invalid timecode"


@pytest.mark.parametrize(
    ("reported", "ms", "frame"),
    [
        (25, 0, 0),
        (25, 19, 0),  # 0.475 frame
        (25, 20, 1),  # exactly half a frame rounds up
        (25, 1000, 25),
        (30, 16, 0),
        (30, 17, 1),
        (29.97, 1001, 30),  # exactly 30 frames at 30000/1001
        (29.97, 60_000, 1798),  # 1798.2: a minute of video is not 1800 frames at 29.97
        (23.976, 3_600_000, 86314),  # 86313.686...
        (59.94, 500, 30),  # 29.97 frames
    ],
)
def test_milliseconds_to_the_nearest_frame(reported, ms, frame):
    assert edit_rate(reported).frames(ms) == frame


@pytest.mark.parametrize(("reported", "frames", "timecode"), [
    (15.0, 15 * 3600 + 7, "01:00:00:07"),  # OpenTimelineIO refuses 15, 12 and 10 fps
    (12.3, 12 * 61 + 11, "00:01:01:11"),
    (10.0, 10 * 59 + 9, "00:00:59:09"),
    (29.4, 29 * 3600, "01:00:00:00"),  # OpenTimelineIO reads 29 as 29.97 drop-frame: 00:59:56;12 or so
    (23.2, 23 * 3600 + 22, "01:00:00:22"),  # ... and 23 as 23.976
    (119.2, 119 * 2 + 118, "00:00:02:118"),  # three-digit frames above 100 fps
])
def test_whole_number_rates_count_plain_non_drop_timecode_both_ways(reported, frames, timecode):
    rate = edit_rate(reported)
    assert not rate.standard and not rate.drop_frame
    assert rate.timecode(frames) == timecode
    assert rate.parse(timecode) == frames
    assert rate.parse("01:00:00:00") == 3600 * rate.numerator  # the EDL start, a whole hour of frames


def test_standard_rates_still_count_with_opentimelineio():
    assert edit_rate(25).standard and edit_rate(29.97).standard
    assert edit_rate(29.97).timecode(17982) == "00:10:00;00"  # drop-frame: ten minutes are 17,982 frames
    assert edit_rate(29.97).parse("00:10:00;00") == 17982
