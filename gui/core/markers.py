"""Editorial markers from label segments: one marker per continuous span of a label.

Input is the SEGMENTS aggregation of GetLabelDetection (each detection a start, an end, a
confidence). Per label, segments are merged when the next one starts no later than ``merge_gap_ms``
after the current span ends (touching and overlapping segments always merge). Filters apply to the
segments before merging (labels, categories, minimum confidence) and to the merged spans after
(minimum duration), so a low-confidence segment never stretches a marker.

A marker's name is its label; its note gives the highest and the mean confidence of the segments
merged into it (a plain mean, one vote per segment) and the label's categories. Its colour comes from
the label's first category through :data:`CATEGORY_COLOURS`.

Colour palette (the names are OpenTimelineIO's ``MarkerColor``; :data:`RESOLVE_COLOURS` maps them to
DaVinci Resolve's marker colours):

=========  ==========================================================================================
RED        Public Safety, Weapons and Military, Damage Detection, Medical
ORANGE     Vehicles and Automotive, Transport and Logistics, Tools and Machinery
YELLOW     Text and Documents, Symbols and Flags, Education, Technology and Computing, Offices and
           Workspaces
GREEN      Nature and Outdoors, Plants and Flowers
CYAN       Animals and Pets, Sports, Travel and Adventure, Popular Landmarks, Events and Attractions
BLUE       Person Description, Actions, Expressions and Emotions, Profession, Health and Fitness, Beauty
           and Personal Care, Apparel and Accessories
PURPLE     Buildings and Architecture, Home and Indoors, Furniture and Furnishings, Home Appliances,
           Kitchen and Dining, Everyday Objects
MAGENTA    Performing Arts, Hobbies and Interests, Toys and Gaming, Religion, Food and Beverage
PINK       Colors and Visual Composition, Patterns and Shapes, Materials
WHITE      anything else (no category, or one newer than this table)
=========  ==========================================================================================
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

DEFAULT_MERGE_GAP_MS = 1000
DEFAULT_COLOUR = "WHITE"

_GROUPS: dict[str, tuple[str, ...]] = {
    "RED": ("Public Safety", "Weapons and Military", "Damage Detection", "Medical"),
    "ORANGE": ("Vehicles and Automotive", "Transport and Logistics", "Tools and Machinery"),
    "YELLOW": (
        "Text and Documents",
        "Symbols and Flags",
        "Education",
        "Technology and Computing",
        "Offices and Workspaces",
    ),
    "GREEN": ("Nature and Outdoors", "Plants and Flowers"),
    "CYAN": ("Animals and Pets", "Sports", "Travel and Adventure", "Popular Landmarks", "Events and Attractions"),
    "BLUE": (
        "Person Description",
        "Actions",
        "Expressions and Emotions",
        "Profession",
        "Health and Fitness",
        "Beauty and Personal Care",
        "Apparel and Accessories",
    ),
    "PURPLE": (
        "Buildings and Architecture",
        "Home and Indoors",
        "Furniture and Furnishings",
        "Home Appliances",
        "Kitchen and Dining",
        "Everyday Objects",
    ),
    "MAGENTA": ("Performing Arts", "Hobbies and Interests", "Toys and Gaming", "Religion", "Food and Beverage"),
    "PINK": ("Colors and Visual Composition", "Patterns and Shapes", "Materials"),
}
CATEGORY_COLOURS: dict[str, str] = {cat: colour for colour, cats in _GROUPS.items() for cat in cats}

# OTIO MarkerColor name -> DaVinci Resolve marker colour (Resolve has no orange, magenta or white;
# its nearest are Sand, Fuchsia and Cream).
RESOLVE_COLOURS: dict[str, str] = {
    "RED": "Red",
    "ORANGE": "Sand",
    "YELLOW": "Yellow",
    "GREEN": "Green",
    "CYAN": "Cyan",
    "BLUE": "Blue",
    "PURPLE": "Purple",
    "MAGENTA": "Fuchsia",
    "PINK": "Pink",
    "WHITE": "Cream",
}


class SegmentLike(Protocol):
    """What a marker is built from: :class:`gui.core.results_store.Detection` of the SEGMENTS aggregation."""

    @property
    def label(self) -> str: ...
    @property
    def confidence(self) -> float: ...
    @property
    def timestamp_ms(self) -> int: ...
    @property
    def start_ms(self) -> int | None: ...
    @property
    def end_ms(self) -> int | None: ...
    @property
    def categories(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class MarkerOptions:
    labels: tuple[str, ...] = ()  # empty: every label (names compare case-insensitively)
    categories: tuple[str, ...] = ()  # empty: every category; else a label in any of them
    min_confidence: float = 0.0  # per segment, before merging
    min_duration_ms: int = 0  # per merged marker
    merge_gap_ms: int = DEFAULT_MERGE_GAP_MS

    def problems(self) -> list[str]:
        out = []
        if not 0 <= self.min_confidence <= 100:
            out.append(f"minimum confidence must be 0-100, not {self.min_confidence:g}")
        if self.min_duration_ms < 0:
            out.append(f"minimum duration must be 0 ms or more, not {self.min_duration_ms}")
        if self.merge_gap_ms < 0:
            out.append(f"merge gap must be 0 ms or more, not {self.merge_gap_ms}")
        return out


@dataclass(frozen=True)
class Marker:
    label: str
    start_ms: int
    end_ms: int
    max_confidence: float
    mean_confidence: float
    categories: tuple[str, ...]
    segments: int  # how many segments (or library moments, see ``unit``) were merged into it
    unit: str = "segment"  # "moment": made from the Library's moments, whose confidence is their highest

    @property
    def duration_ms(self) -> int:
        return self.end_ms - self.start_ms

    @property
    def colour(self) -> str:
        return colour_for(self.categories)

    @property
    def note(self) -> str:
        text = f"Confidence max {self.max_confidence:.1f}%"
        if self.unit == "segment":  # a moment's own mean is not kept: a mean of maxima would mislead
            text += f", mean {self.mean_confidence:.1f}%"
        text += f" ({self.segments} {self.unit}{'s' if self.segments != 1 else ''})"
        if self.categories:
            text += "; " + ", ".join(self.categories)
        return text


def colour_for(categories: Sequence[str]) -> str:
    """The palette colour of the first category (WHITE when there is none or it is unknown)."""
    return CATEGORY_COLOURS.get(categories[0], DEFAULT_COLOUR) if categories else DEFAULT_COLOUR


def split_list(text: str) -> tuple[str, ...]:
    """``"Car, Person"`` -> ``("Car", "Person")`` (empty items dropped)."""
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _span(segment: SegmentLike) -> tuple[int, int]:
    start = segment.start_ms if segment.start_ms is not None else segment.timestamp_ms
    end = segment.end_ms if segment.end_ms is not None else start
    return int(start), max(int(start), int(end))


def _wanted(segment: SegmentLike, options: MarkerOptions, labels: set[str], categories: set[str]) -> bool:
    if labels and segment.label.casefold() not in labels:
        return False
    if categories and not any(c.casefold() in categories for c in segment.categories):
        return False
    return segment.confidence >= options.min_confidence


def build_markers(
    segments: Iterable[SegmentLike], options: MarkerOptions | None = None, *, unit: str = "segment"
) -> list[Marker]:
    """Markers from ``segments`` (any order), sorted by start time, then label; ``unit`` names what the
    segments are in the markers' notes."""
    options = options or MarkerOptions()
    labels = {name.casefold() for name in options.labels}
    categories = {name.casefold() for name in options.categories}
    by_label: dict[str, list[tuple[int, int, float, tuple[str, ...]]]] = {}
    for seg in segments:
        if _wanted(seg, options, labels, categories):
            start, end = _span(seg)
            by_label.setdefault(seg.label, []).append((start, end, float(seg.confidence), tuple(seg.categories)))
    markers: list[Marker] = []
    for label, spans in by_label.items():
        spans.sort()
        run: list[tuple[int, int, float, tuple[str, ...]]] = []
        run_end = 0
        for span in spans:
            if run and span[0] <= run_end + options.merge_gap_ms:
                run.append(span)
                run_end = max(run_end, span[1])
                continue
            if run:
                markers.append(_marker(label, run, run_end, unit))
            run, run_end = [span], span[1]
        if run:
            markers.append(_marker(label, run, run_end, unit))
    kept = [m for m in markers if m.duration_ms >= options.min_duration_ms]
    kept.sort(key=lambda m: (m.start_ms, m.label.casefold(), m.end_ms))
    return kept


def _marker(label: str, run: list[tuple[int, int, float, tuple[str, ...]]], end: int, unit: str) -> Marker:
    confidences = [c for _, _, c, _ in run]
    categories = next((cats for *_, cats in run if cats), ())
    return Marker(
        label=label,
        start_ms=run[0][0],
        end_ms=end,
        max_confidence=max(confidences),
        mean_confidence=sum(confidences) / len(confidences),
        categories=categories,
        segments=len(run),
        unit=unit,
    )
