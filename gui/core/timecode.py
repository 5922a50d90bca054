"""Frame-accurate edit rates and SMPTE timecode for editorial exports.

Rekognition reports ``VideoMetadata.FrameRate`` as a float (29.97002997, 25.0, ...). Editors count
frames at a handful of exact rates, so the reported rate is snapped to the nearest of
:data:`STANDARD_RATES` when it lies within 0.05% of it (29.97 and 29.97002997 are both 30000/1001;
30 is not, it is 0.1% away). NTSC rates 29.97 and 59.94 count drop-frame timecode (``;`` before
the frames), 23.976 counts non-drop (there is no 23.976 drop-frame standard).

Any other rate (a variable-frame-rate phone video averaging 29.6, or 12.5) is rounded to the nearest
whole number of frames per second, at least 1, counted non-drop: with a whole-number rate one second
of timecode is one second of video, so a marker is never more than half a frame from where the label
was seen and timecode never drifts from the clock. :attr:`EditRate.note` says so for the user.

Conversions use :mod:`opentimelineio.opentime` (``to_timecode``/``from_timecode``) at the standard rates.
OTIO knows only those: it refuses other rates (15, 12) and reads some as their NTSC neighbour (29 as
29.97 drop-frame), so a rounded rate counts its non-drop timecode itself, which at a whole number of
frames per second is plain arithmetic (frames = ((h * 60 + m) * 60 + s) * fps + f).
Milliseconds become frames by rounding to the nearest frame (half a frame rounds up), computed with
integers so that no float error moves a marker by a frame.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from gui.core.errors import KnownError

# (numerator, denominator) of frames per second
STANDARD_RATES: tuple[tuple[int, int], ...] = (
    (24000, 1001),
    (24, 1),
    (25, 1),
    (30000, 1001),
    (30, 1),
    (50, 1),
    (60000, 1001),
    (60, 1),
)
DROP_FRAME_RATES = frozenset({(30000, 1001), (60000, 1001)})
SNAP_TOLERANCE = 0.0005  # relative: 0.05%

EDL_START = "01:00:00:00"
DEFAULT_START = "00:00:00:00"

_TC = re.compile(r"^(\d{1,2}):(\d{2}):(\d{2})([:;.])(\d{2,3})$")


class TimecodeError(KnownError):
    pass


@dataclass(frozen=True)
class EditRate:
    """An exact editorial frame rate: ``numerator/denominator`` frames per second."""

    numerator: int
    denominator: int
    drop_frame: bool
    reported: float  # VideoMetadata.FrameRate as AWS reported it
    exact: bool  # False: a non-standard or variable rate rounded to a whole number

    @property
    def fraction(self) -> Fraction:
        return Fraction(self.numerator, self.denominator)

    @property
    def fps(self) -> float:
        return self.numerator / self.denominator

    @property
    def timebase(self) -> int:
        """The whole-number frame count per timecode second (30 for 29.97)."""
        return math.ceil(self.numerator / self.denominator)

    @property
    def ntsc(self) -> bool:
        return self.denominator == 1001

    @property
    def label(self) -> str:
        if self.denominator == 1:
            text = f"{self.numerator} fps"
        else:
            text = f"{self.numerator / self.denominator:.3f}".rstrip("0").rstrip(".") + " fps"
        return text + (" drop-frame" if self.drop_frame else "")

    @property
    def note(self) -> str:
        """Empty for a standard rate; otherwise how the reported rate was rounded."""
        if self.exact:
            return ""
        return (
            f"The video reports {self.reported:g} frames per second, which is not a standard editing rate "
            f"(it may be variable). Markers are placed on a {self.label} grid: each is within half a frame "
            "of where the label was seen, and the timecode keeps to the clock."
        )

    def frames(self, ms: int | float) -> int:
        """The nearest frame to ``ms`` milliseconds (half a frame rounds up)."""
        ms_q = Fraction(ms).limit_denominator(1000) if isinstance(ms, float) else Fraction(int(ms))
        exact = ms_q * self.numerator / (1000 * self.denominator)
        return math.floor(exact + Fraction(1, 2))

    def ms(self, frames: int) -> float:
        return frames * 1000 * self.denominator / self.numerator

    def seconds(self, frames: int) -> float:
        return frames * self.denominator / self.numerator

    def rational(self, frames: int) -> Any:
        """An ``opentimelineio.opentime.RationalTime`` (imported on use: the CLI starts without it)."""
        from opentimelineio import opentime

        return opentime.RationalTime(frames, self.fps)

    @property
    def standard(self) -> bool:
        """One of :data:`STANDARD_RATES` (those OpenTimelineIO's timecode functions know)."""
        return (self.numerator, self.denominator) in STANDARD_RATES

    def timecode(self, frames: int) -> str:
        """SMPTE timecode of an absolute frame number (``;`` before the frames when drop-frame)."""
        if frames < 0:
            raise TimecodeError("Timecode out of range", f"Frame {frames} is before 00:00:00:00.")
        if not self.standard:  # a whole-number rate, non-drop (see the module docstring)
            seconds, f = divmod(frames, self.numerator)
            minutes, s = divmod(seconds, 60)
            h, m = divmod(minutes, 60)
            digits = max(2, len(str(self.numerator - 1)))  # frames have two digits, three above 100 fps
            return f"{h:02d}:{m:02d}:{s:02d}:{f:0{digits}d}"
        from opentimelineio import opentime

        return opentime.to_timecode(self.rational(frames), self.fps, self.drop_frame)

    def parse(self, text: str) -> int:
        """The frame number of ``HH:MM:SS:FF`` (or ``;FF``) at this rate.

        At a drop-frame rate the text is read as drop-frame timecode whichever separator it uses
        (01:00:00:00 at 29.97 is the frame Resolve shows as 01:00:00;00)."""
        match = _TC.match(text.strip())
        if not match:
            raise TimecodeError(
                "Invalid timecode", f"'{text}' is not a timecode like 01:00:00:00.", "Use HH:MM:SS:FF."
            )
        hours, minutes, seconds, _sep, frames = match.groups()
        h, m, s, f = int(hours), int(minutes), int(seconds), int(frames)
        if m > 59 or s > 59 or f >= self.timebase:
            raise TimecodeError(
                "Invalid timecode",
                f"'{text}' is not a valid timecode at {self.label} (minutes and seconds 0-59, "
                f"frames 0-{self.timebase - 1}).",
            )
        dropped = 2 * self.timebase // 30  # frame numbers skipped at most minutes: 2 at 29.97, 4 at 59.94
        if self.drop_frame and s == 0 and m % 10 != 0 and f < dropped:
            raise TimecodeError(
                "Invalid timecode",
                f"'{text}' does not exist in {self.label} timecode (frames 0-{dropped - 1} are skipped at the "
                "start of each minute except every tenth).",
            )
        if not self.standard:
            return ((h * 60 + m) * 60 + s) * self.numerator + f
        separator = ";" if self.drop_frame else ":"
        normalized = f"{h:02d}:{m:02d}:{s:02d}{separator}{f:02d}"
        from opentimelineio import opentime

        return round(opentime.from_timecode(normalized, self.fps).value)


def edit_rate(frame_rate: float | int | str | None, *, drop_frame: bool | None = None) -> EditRate:
    """The editorial rate for a reported ``VideoMetadata.FrameRate`` (see the module docstring).

    ``drop_frame`` overrides the default (drop-frame at 29.97 and 59.94) where the rate allows it;
    asking drop-frame of another rate is refused."""
    try:
        reported = float(frame_rate) if frame_rate is not None else 0.0
    except (TypeError, ValueError):
        reported = 0.0
    if not math.isfinite(reported) or reported <= 0:
        raise TimecodeError(
            "No frame rate",
            f"The video's frame rate is {frame_rate!r}; markers need a frame rate above 0.",
            "Fetch the results again; if AWS reports no frame rate, the video cannot be exported as markers.",
        )
    best = min(STANDARD_RATES, key=lambda nd: abs(reported - nd[0] / nd[1]))
    std = best[0] / best[1]
    if abs(reported - std) / std <= SNAP_TOLERANCE:
        numerator, denominator, exact = best[0], best[1], True
    elif abs(reported - round(reported)) / reported <= SNAP_TOLERANCE:
        numerator, denominator, exact = max(1, round(reported)), 1, True
    else:
        numerator, denominator, exact = max(1, round(reported)), 1, False
    can_drop = (numerator, denominator) in DROP_FRAME_RATES
    if drop_frame and not can_drop:
        raise TimecodeError(
            "No drop-frame timecode", f"Drop-frame timecode exists at 29.97 and 59.94 fps, not at {reported:g}."
        )
    df = can_drop if drop_frame is None else drop_frame
    return EditRate(numerator, denominator, df, reported, exact)
