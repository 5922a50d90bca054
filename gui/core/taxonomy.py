"""The Rekognition label taxonomy shipped in ``resources/labels`` (AWS's v3.0 label files).

3,082 labels, 40 categories, aliases and the labels that can return bounding boxes.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import NamedTuple

from gui.resources_path import resources_dir

MAPPING_FILE = "AmazonRekognitionLabelsCategoriesMapping_v3.0.utf8.csv"
ALL_LABELS_FILE = "AmazonRekognitionAllLabels_v3.0.csv"
ALIASES_FILE = "AmazonRekognitionAliasLabels_v3.0.csv"
BBOX_FILE = "AmazonRekognitionBoundingBoxLabels_v3.0.csv"
CATEGORIES_FILE = "AmazonRekognitionLabelCategories_v3.0.csv"
UNCATEGORIZED = "Uncategorized"


class LabelInfo(NamedTuple):
    """One catalogue label (a NamedTuple: 3,082 of them are built at start-up, and tuples build fast)."""

    name: str
    category: str
    aliases: tuple[str, ...] = ()
    bounding_box: bool = False


@dataclass(frozen=True)
class Taxonomy:
    labels: dict[str, LabelInfo]  # by name, in catalogue order
    categories: tuple[str, ...]

    def by_category(self) -> dict[str, list[LabelInfo]]:
        out: dict[str, list[LabelInfo]] = {c: [] for c in self.categories}
        for info in self.labels.values():
            out.setdefault(info.category, []).append(info)
        return out

    def get(self, name: str) -> LabelInfo | None:
        return self.labels.get(name)

    @property
    def alias_to_label(self) -> dict[str, str]:
        return {a: info.name for info in self.labels.values() for a in info.aliases}


def _rows(path: Path) -> list[list[str]]:
    # utf-8-sig strips the BOM of AWS's own files; newline='' handles CRLF.
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    return [r for r in rows[1:] if r and r[0].strip()]


@cache
def load_taxonomy(folder: Path | None = None) -> Taxonomy:
    folder = folder or resources_dir() / "labels"
    categories = tuple(r[0].strip() for r in _rows(folder / CATEGORIES_FILE))
    category_of = {r[0].strip(): r[1].strip() for r in _rows(folder / MAPPING_FILE)}
    aliases: dict[str, tuple[str, ...]] = {}
    for r in _rows(folder / ALIASES_FILE):
        aliases[r[0].strip()] = tuple(a.strip() for a in r[1:] if a.strip())
    bbox_names = {r[0].strip() for r in _rows(folder / BBOX_FILE)}
    alias_owner = {a: lbl for lbl, al in aliases.items() for a in al}
    bbox = {alias_owner.get(n, n) for n in bbox_names}  # 'Dryer' and 'Flyer' are aliases
    labels: dict[str, LabelInfo] = {}
    for r in _rows(folder / ALL_LABELS_FILE):
        name = r[0].strip()
        # 'Riding Bicycle' has no category row in AWS's mapping: keep it, under "Uncategorized".
        labels[name] = LabelInfo(name, category_of.get(name, UNCATEGORIZED), aliases.get(name, ()), name in bbox)
    if any(i.category == UNCATEGORIZED for i in labels.values()):
        categories = (*categories, UNCATEGORIZED)
    return Taxonomy(labels, categories)
