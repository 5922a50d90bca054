"""Colours shared by the timeline and the frame boxes: one colour per label category, stable across runs."""

from __future__ import annotations

import zlib
from collections.abc import Sequence

# Distinguishable colours (Okabe-Ito-like, readable on light and dark backgrounds).
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#8C6BB1", "#B8860B")


def category_color(category: str) -> str:
    """The colour of a category (a CRC of its name picks the palette entry: the same in every run)."""
    return PALETTE[zlib.crc32(category.strip().lower().encode("utf-8")) % len(PALETTE)]


def label_color(label: str, categories: Sequence[str] = ()) -> str:
    """A label takes the colour of its first category; a label without categories, its own."""
    return category_color(categories[0] if categories else label)
