"""Deterministic simulated label detections on a video's real timeline.

No offline model of Rekognition exists, so labels are drawn from the real v3.0 taxonomy
(:mod:`gui.core.taxonomy`) with their real Categories and Aliases.  Only labels AWS lists as
bounding-box labels carry ``Instances``; a share of boxes sit across a frame edge, so their Left/Top fall
slightly outside 0..1 (botocore's BoundingBox: "the service can return coordinates that are outside the
image bounds").  ``Parents`` come from the documented pairs in ``gui/resources/labels/parents.json``
(:mod:`gui.sandbox.hierarchy`), and each ancestor is also detected as a label of its own at the same
timestamp, as AWS's samples show.  AggregateBy=SEGMENTS items carry no ``Instances`` member (the
developer guide: "If aggregating by SEGMENTS, information about detected instances with bounding boxes
are not returned"; its SEGMENTS sample omits the member).  The same object (bucket, key, size) always
yields the same detections.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
from collections.abc import Iterable, Sequence
from typing import Any

from gui.core.taxonomy import UNCATEGORIZED, LabelInfo, Taxonomy, load_taxonomy
from gui.sandbox.hierarchy import ancestors

DEFAULT_DENSITY = 10.0  # detections per second of video, before MinConfidence and filters
SAMPLE_INTERVAL_MS = 500  # Rekognition Video reports labels about twice a second


def seed_for(*parts: object) -> int:
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def label_payload(info: LabelInfo | None, name: str) -> dict[str, Any]:
    """Categories/Aliases/Parents of a label as the API returns them (without Confidence/Instances)."""
    parents = [{"Name": p} for p in ancestors(name)]
    if info is None:
        return {"Parents": parents, "Aliases": [], "Categories": []}
    categories = [] if info.category == UNCATEGORIZED else [{"Name": info.category}]
    return {"Parents": parents, "Aliases": [{"Name": a} for a in info.aliases], "Categories": categories}


# Words in an object's key that suggest what the video shows, so the demo's "beach-walk.mp4" returns people
# on a beach rather than a random draw. Every name is a real v3.0 label (a test checks it).
SCENE_HINTS: dict[str, tuple[str, ...]] = {
    "beach": ("Person", "Adult", "Beach", "Sea", "Sand", "Walking", "Outdoors", "Water"),
    "walk": ("Person", "Walking", "Outdoors"),
    "birthday": ("Person", "Child", "Party", "Cake", "Balloon", "Gift"),
    "party": ("Person", "Party", "Balloon"),
    "dog": ("Dog", "Pet", "Animal", "Park", "Grass", "Person"),
    "city": ("City", "Car", "Road", "Street", "Building", "Person", "Vehicle"),
    "traffic": ("Car", "Traffic Light", "Road", "Vehicle", "Truck"),
    "kitchen": ("Kitchen", "Cooking", "Food", "Person", "Adult"),
    "cooking": ("Cooking", "Food", "Person"),
    "mountain": ("Mountain", "Landscape", "Sky", "Nature", "Outdoors"),
    "drone": ("Landscape", "Outdoors", "Sky"),
    "clouds": ("Sky", "Cloud", "Nature", "Outdoors"),
    "soccer": ("Soccer", "Soccer Ball", "Sport", "Team", "Stadium", "Person", "Ball", "Grass"),
    "warehouse": ("Warehouse", "Box", "Cardboard", "Person", "Truck"),
    "forklift": ("Forklift", "Machine"),
    "phone": ("Person", "Adult", "Selfie"),
}


def scene_hints(key: str, taxonomy: Taxonomy | None = None) -> tuple[str, ...]:
    """Label names suggested by the words of an S3 key (see SCENE_HINTS), in a stable order."""
    taxonomy = taxonomy or load_taxonomy()
    words = re.split(r"[^a-z0-9]+", key.lower())
    names: dict[str, None] = {}
    for word in words:
        for name in SCENE_HINTS.get(word, ()):
            if name in taxonomy.labels:
                names.setdefault(name, None)
    return tuple(names)


def _scene(rng: random.Random, taxonomy: Taxonomy, size: int, hints: Sequence[str] = ()
           ) -> list[tuple[LabelInfo, float, float]]:
    """Pick the labels that 'appear' in this video: (label, base confidence, presence probability).

    Hinted labels come first, with high confidence and presence; the rest is drawn from a few themes.
    """
    hinted = [taxonomy.labels[n] for n in hints if n in taxonomy.labels][:size]
    by_cat = taxonomy.by_category()
    cats = [c for c in taxonomy.categories if by_cat.get(c)]
    themes = rng.sample(cats, k=min(len(cats), 3 + size // 12))
    pool: list[LabelInfo] = []
    for cat in themes:
        pool.extend(by_cat[cat])
    everything = list(taxonomy.labels.values())
    rng.shuffle(pool)
    chosen: dict[str, LabelInfo] = {info.name: info for info in hinted}
    for info in pool:
        if len(chosen) >= size * 3 // 4:
            break
        chosen.setdefault(info.name, info)
    while len(chosen) < min(size, len(everything)):
        info = rng.choice(everything)
        chosen.setdefault(info.name, info)
    scene = []
    hinted_names = {info.name for info in hinted}
    for info in chosen.values():
        if info.name in hinted_names:
            scene.append((info, rng.uniform(45, 99.5), rng.uniform(0.6, 0.95)))
            continue
        base = rng.choice((rng.uniform(80, 99.9), rng.uniform(55, 95), rng.uniform(30, 70)))
        scene.append((info, base, rng.uniform(0.35, 0.95)))
    if hinted:
        rng.shuffle(scene)  # hinted labels first would crowd out the rest of each sample
    return scene


# Share of tracks that sit across a frame edge, and how far past it (a fraction of the frame) they reach.
EDGE_SHARE = 0.2
EDGE_OVERSHOOT = 0.02

Track = tuple[float, float, float, float, int]  # left, top, width, height, edge (0: none, 1-4: L/T/R/B)


def _edge_tracks(seed: int, tracks: dict[str, list[tuple[float, float, float, float]]]) -> dict[str, list[Track]]:
    """Mark a share of tracks as crossing one frame edge (their own RNG: the detections themselves do not
    change with this)."""
    rng = random.Random(seed ^ 0x5EED_ED6E)
    return {name: [(*box, rng.randint(1, 4) if rng.random() < EDGE_SHARE else 0) for box in boxes]
            for name, boxes in tracks.items()}


def _instances(rng: random.Random, confidence: float, tracks: list[Track], t: float) -> list[dict[str, Any]]:
    out = []
    for left0, top0, width, height, edge in tracks:
        left = min(max(left0 + 0.05 * math.sin(t / 1700.0 + left0 * 7), 0.0), 1.0 - width)
        top = min(max(top0 + 0.04 * math.cos(t / 2300.0 + top0 * 5), 0.0), 1.0 - height)
        past = EDGE_OVERSHOOT * (0.25 + 0.75 * abs(math.sin(t / 900.0 + width * 11)))
        if edge == 1:
            left = -past
        elif edge == 2:
            top = -past
        elif edge == 3:
            left = 1.0 - width + past
        elif edge == 4:
            top = 1.0 - height + past
        out.append(
            {
                "BoundingBox": {"Width": round(width, 6), "Height": round(height, 6),
                                "Left": round(left, 6), "Top": round(top, 6)},
                "Confidence": round(min(100.0, max(0.0, confidence + rng.uniform(-6, 3))), 4),
            }
        )
    return out


def simulate(
    seed: int,
    duration_ms: int,
    *,
    density: float = DEFAULT_DENSITY,
    total: int | None = None,
    taxonomy: Taxonomy | None = None,
    hints: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """Detections (``{"Timestamp", "Label"}``) in timestamp order, unfiltered.

    *density* is detections per second of video; *total*, when given, is the exact number wanted
    (for benchmarks: 100,000 detections on a ten-second clip works).
    """
    taxonomy = taxonomy or load_taxonomy()
    rng = random.Random(seed)
    duration_ms = max(int(duration_ms), 1)
    wanted = total if total is not None else max(1, round(density * duration_ms / 1000.0))
    samples = max(1, duration_ms // SAMPLE_INTERVAL_MS)
    per_sample = math.ceil(wanted / samples)
    if per_sample > 40:  # a dense request: more samples, capped by one per millisecond
        samples = min(duration_ms, math.ceil(wanted / 40))
        per_sample = math.ceil(wanted / samples)
    interval = duration_ms / samples
    scene_size = min(len(taxonomy.labels), max(12, per_sample * 2))
    scene = _scene(rng, taxonomy, scene_size, hints)
    tracks = _edge_tracks(seed, {
        info.name: [
            (rng.uniform(0, 0.6), rng.uniform(0, 0.6), rng.uniform(0.08, 0.4), rng.uniform(0.08, 0.4))
            for _ in range(rng.choice((1, 1, 1, 2, 3)))
        ]
        for info, _, _ in scene
        if info.bounding_box
    })
    payloads = {info.name: label_payload(info, info.name) for info, _, _ in scene}
    for info, _, _ in scene:
        for parent in ancestors(info.name):
            payloads.setdefault(parent, label_payload(taxonomy.get(parent), parent))
    out: list[dict[str, Any]] = []
    for i in range(samples):
        if len(out) >= wanted:
            break
        t = int(i * interval)
        present = [s for s in scene if rng.random() < s[2]]
        if len(present) < per_sample:
            present += rng.sample([s for s in scene if s not in present], k=min(per_sample - len(present),
                                                                                 len(scene) - len(present)))
        present = present[:per_sample]
        present.sort(key=lambda s: s[0].name)
        sample: dict[str, dict[str, Any]] = {}
        for info, base, _ in present:
            conf = round(min(99.99, max(1.0, base + rng.uniform(-8, 8))), 4)
            label: dict[str, Any] = {"Name": info.name, "Confidence": conf, "Instances": []}
            if info.bounding_box:
                label["Instances"] = _instances(rng, conf, tracks[info.name], t)
            label.update(payloads[info.name])
            sample[info.name] = label
        for name in list(sample):  # ancestors are detected too, at least as confidently as the child
            for parent in ancestors(name):
                known = sample.get(parent)
                if known is None:
                    sample[parent] = {"Name": parent, "Confidence": sample[name]["Confidence"], "Instances": [],
                                      **payloads[parent]}
                elif known["Confidence"] < sample[name]["Confidence"] and not known["Instances"]:
                    known["Confidence"] = sample[name]["Confidence"]
        for name in sorted(sample):
            out.append({"Timestamp": t, "Label": sample[name]})
            if len(out) >= wanted:
                break
    return out


def complete_script(detections: Iterable[dict[str, Any]], taxonomy: Taxonomy | None = None
                    ) -> list[dict[str, Any]]:
    """Normalise a test's detection script: fill Categories/Aliases/Parents/Instances from the taxonomy
    and the documented hierarchy where absent, and sort by timestamp (stable).  A script is returned as
    written: ancestors are not added as labels of their own."""
    taxonomy = taxonomy or load_taxonomy()
    out = []
    for det in detections:
        label = dict(det["Label"])
        defaults = label_payload(taxonomy.get(label["Name"]), label["Name"])
        for key, value in defaults.items():
            label.setdefault(key, value)
        label.setdefault("Instances", [])
        label["Confidence"] = float(label.get("Confidence", 90.0))
        item = {k: v for k, v in det.items() if k != "Label"}
        item["Timestamp"] = int(det.get("Timestamp", 0))
        item["Label"] = label
        out.append(item)
    out.sort(key=lambda d: d["Timestamp"])
    return out


def _names(values: Sequence[str] | None) -> set[str]:
    return set(values or ())


def apply_filters(
    detections: Iterable[dict[str, Any]],
    min_confidence: float,
    general: dict[str, Sequence[str]] | None,
) -> list[dict[str, Any]]:
    """MinConfidence and the four GENERAL_LABELS filter lists, as the developer guide describes them.

    * A label is kept only with Confidence >= MinConfidence; instances under MinConfidence are dropped.
    * Names match exactly (the API's label and category names, case included).
    * Inclusion filters (labels, categories): when any is given, a label must match one of them
      (its name in LabelInclusionFilters *or* one of its categories in LabelCategoryInclusionFilters).
    * Exclusion filters then remove labels named in LabelExclusionFilters or with a category in
      LabelCategoryExclusionFilters; exclusion wins over inclusion.
    * Ancestors returned as labels of their own are judged by their own name and categories (the guide
      says nothing of filters and parents; this keeps each item's filtering independent).
    """
    general = general or {}
    inc_labels = _names(general.get("LabelInclusionFilters"))
    exc_labels = _names(general.get("LabelExclusionFilters"))
    inc_cats = _names(general.get("LabelCategoryInclusionFilters"))
    exc_cats = _names(general.get("LabelCategoryExclusionFilters"))
    out = []
    for det in detections:
        label = det["Label"]
        if label["Confidence"] < min_confidence:
            continue
        name = label["Name"]
        cats = {c["Name"] for c in label.get("Categories", ())}
        if (inc_labels or inc_cats) and not (name in inc_labels or cats & inc_cats):
            continue
        if name in exc_labels or cats & exc_cats:
            continue
        instances = label.get("Instances") or []
        kept = [i for i in instances if i.get("Confidence", 100.0) >= min_confidence]
        if len(kept) != len(instances):
            label = {**label, "Instances": kept}
            det = {**det, "Label": label}
        out.append(det)
    return out


def _typical_interval(timestamps: Sequence[int]) -> int:
    distinct = sorted(set(timestamps))
    deltas = sorted(b - a for a, b in zip(distinct, distinct[1:], strict=False))
    return deltas[len(deltas) // 2] if deltas else SAMPLE_INTERVAL_MS


def segments(detections: Sequence[dict[str, Any]], duration_ms: int | None = None) -> list[dict[str, Any]]:
    """AggregateBy=SEGMENTS: runs of the same label detected continuously (consecutive samples) become
    one item with Start/End/DurationMillis and no bounding boxes.  Ordered by start time, then name."""
    interval = _typical_interval([d["Timestamp"] for d in detections])
    max_gap = interval * 3 // 2
    by_name: dict[str, list[dict[str, Any]]] = {}
    for det in detections:
        by_name.setdefault(det["Label"]["Name"], []).append(det)
    out: list[dict[str, Any]] = []
    for runs in by_name.values():
        runs.sort(key=lambda d: d["Timestamp"])
        current: list[dict[str, Any]] = []
        for det in [*runs, None]:
            if det is not None and (not current or det["Timestamp"] - current[-1]["Timestamp"] <= max_gap):
                current.append(det)
                continue
            if current:
                start = current[0]["Timestamp"]
                end = current[-1]["Timestamp"] + interval
                if duration_ms is not None:
                    end = max(min(end, duration_ms), current[-1]["Timestamp"])
                first = current[0]["Label"]
                label = {  # no Instances member: the guide's SEGMENTS sample has none
                    "Name": first["Name"],
                    "Confidence": max(d["Label"]["Confidence"] for d in current),
                    "Parents": first.get("Parents", []),
                    "Aliases": first.get("Aliases", []),
                    "Categories": first.get("Categories", []),
                }
                out.append({"Timestamp": start, "Label": label, "StartTimestampMillis": start,
                            "EndTimestampMillis": end, "DurationMillis": end - start})
            current = [det] if det is not None else []
    out.sort(key=lambda d: (d["StartTimestampMillis"], d["Label"]["Name"]))
    return out
