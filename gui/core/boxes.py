"""Label boxes drawn on a frame, and thumbnail crops: Pillow, no Qt, so the CLI and the window draw alike.

Rekognition gives each Instance a ``BoundingBox`` as ratios of the frame's width and height (Left,
Top, Width, Height); a box is clamped to the frame (AWS documents that values may fall outside 0-1
when the object runs off the edge). The caption is the label and its confidence, as in the tables.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from gui.core.palette import label_color


@dataclass(frozen=True)
class Box:
    label: str
    confidence: float  # the label's confidence at that moment, as the tables show it
    left: float  # ratios of the frame, clamped to [0, 1]
    top: float
    width: float
    height: float
    color: str  # "#RRGGBB"

    @property
    def caption(self) -> str:
        return f"{self.label} {self.confidence:.1f} %"

    def pixels(self, frame_width: int, frame_height: int) -> tuple[int, int, int, int]:
        """(x0, y0, x1, y1) inclusive, inside the frame."""
        x0 = int(round(self.left * frame_width))
        y0 = int(round(self.top * frame_height))
        x1 = int(round((self.left + self.width) * frame_width)) - 1
        y1 = int(round((self.top + self.height) * frame_height)) - 1
        x0 = min(max(0, x0), frame_width - 1)
        y0 = min(max(0, y0), frame_height - 1)
        return x0, y0, min(max(x0, x1), frame_width - 1), min(max(y0, y1), frame_height - 1)


def _clamp(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0.0
    return min(1.0, max(0.0, number))


def box_of(label: str, confidence: float, categories: Sequence[str], bounding_box: dict[str, Any]) -> Box | None:
    """A clamped :class:`Box`, or None when the box lies wholly outside the frame or is empty."""
    left, top = float(bounding_box.get("Left") or 0), float(bounding_box.get("Top") or 0)
    right = left + float(bounding_box.get("Width") or 0)
    bottom = top + float(bounding_box.get("Height") or 0)
    x0, y0, x1, y1 = _clamp(left), _clamp(top), _clamp(right), _clamp(bottom)
    if x1 <= x0 or y1 <= y0:
        return None
    return Box(label, float(confidence), x0, y0, x1 - x0, y1 - y0, label_color(label, categories))


def boxes_of(detections: Iterable[Any]) -> list[Box]:
    """One box per Instance of each detection (objects with label, confidence, categories, instances)."""
    out: list[Box] = []
    for d in detections:
        for instance in d.instances or ():
            bb = instance.get("BoundingBox") if isinstance(instance, dict) else None
            if bb:
                box = box_of(d.label, d.confidence, d.categories, bb)
                if box is not None:
                    out.append(box)
    return out


@lru_cache(maxsize=8)
def _font(size: int) -> Any:
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)
    except (TypeError, ImportError, OSError):  # Pillow without FreeType: the fixed bitmap font
        return ImageFont.load_default()


def _rgb(color: str) -> tuple[int, int, int]:
    c = color.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def draw_boxes(rgb: np.ndarray, boxes: Sequence[Box]) -> np.ndarray:
    """A copy of ``rgb`` (H, W, 3 uint8) with each box outlined and captioned; line and text scale with
    the frame so a 4K frame and a thumbnail both read."""
    from PIL import Image, ImageDraw

    image = Image.fromarray(rgb, "RGB")
    if not boxes:
        return np.asarray(image).copy()
    height, width = rgb.shape[0], rgb.shape[1]
    line = max(1, round(min(width, height) / 180))
    font = _font(max(11, round(min(width, height) / 28)))
    draw = ImageDraw.Draw(image)
    for box in boxes:
        x0, y0, x1, y1 = box.pixels(width, height)
        color = _rgb(box.color)
        draw.rectangle((x0, y0, x1, y1), outline=color, width=line)
        text = box.caption
        tx0, ty0, tx1, ty1 = draw.textbbox((0, 0), text, font=font)
        tw, th = tx1 - tx0 + 6, ty1 - ty0 + 4
        # above the box when there is room, else inside its top edge; never off the frame
        cx = min(max(0, x0), max(0, width - tw))
        cy = y0 - th if y0 - th >= 0 else min(y0 + line, max(0, height - th))
        draw.rectangle((cx, cy, cx + tw - 1, cy + th - 1), fill=color)
        draw.text((cx + 3 - tx0, cy + 2 - ty0), text, fill=(255, 255, 255), font=font)
    return np.asarray(image).copy()


def crop(rgb: np.ndarray, box: Box | None, size: tuple[int, int], margin: float = 0.1) -> np.ndarray:
    """A thumbnail of at most ``size`` (width, height), aspect kept: the box with a margin, else the frame."""
    from PIL import Image

    height, width = rgb.shape[0], rgb.shape[1]
    image = Image.fromarray(rgb, "RGB")
    if box is not None:
        x0, y0, x1, y1 = box.pixels(width, height)
        mx, my = int((x1 - x0 + 1) * margin), int((y1 - y0 + 1) * margin)
        image = image.crop((max(0, x0 - mx), max(0, y0 - my), min(width, x1 + 1 + mx), min(height, y1 + 1 + my)))
    image.thumbnail(size)
    return np.asarray(image).copy()


def png_bytes(rgb: np.ndarray) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.fromarray(rgb, "RGB").save(out, format="PNG")
    return out.getvalue()


def save_png(rgb: np.ndarray, path: Any) -> None:
    from PIL import Image

    Image.fromarray(rgb, "RGB").save(path, format="PNG")
