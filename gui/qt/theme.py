"""Colours for messages, banners and states that stay readable on light and dark themes.

Every colour the app adds to Qt's palette goes through :func:`readable`: a hue is kept when it reaches
WCAG's 4.5:1 contrast on the background it is drawn on, and otherwise moved towards white (dark themes)
or black (light themes) until it does. Banners tint the window colour instead of fixing a light background.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QGuiApplication, QPalette

MIN_CONTRAST = 4.5  # WCAG 2 AA for body text
LEVEL_COLOURS = {"error": "#b00020", "warning": "#8a5a00", "info": "#1d3f63", "ok": "#2e7d32"}
BANNER_TINTS = {"error": "#e53935", "warning": "#f2b600", "info": "#4a90d9", "ok": "#43a047"}


def _linear(c: float) -> float:
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(colour: QColor) -> float:
    """WCAG relative luminance (0 black .. 1 white)."""
    return 0.2126 * _linear(colour.redF()) + 0.7152 * _linear(colour.greenF()) + 0.0722 * _linear(colour.blueF())


def contrast(a: QColor, b: QColor) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _mix(a: QColor, b: QColor, t: float) -> QColor:
    return QColor(
        round(a.red() + (b.red() - a.red()) * t),
        round(a.green() + (b.green() - a.green()) * t),
        round(a.blue() + (b.blue() - a.blue()) * t),
    )


def is_dark(background: QColor) -> bool:
    return luminance(background) < 0.2


def readable(colour: QColor | str, background: QColor) -> QColor:
    """``colour``, or the nearest colour of its hue line towards white/black, with ≥ 4.5:1 on ``background``."""
    base = QColor(colour)
    if contrast(base, background) >= MIN_CONTRAST:
        return base
    target = QColor("white") if is_dark(background) else QColor("black")
    for step in range(1, 21):
        candidate = _mix(base, target, step / 20)
        if contrast(candidate, background) >= MIN_CONTRAST:
            return candidate
    return target


def window_colour() -> QColor:
    return QGuiApplication.palette().color(QPalette.ColorRole.Window)


def text_colour(level: str, background: QColor | None = None) -> QColor:
    return readable(LEVEL_COLOURS[level], background or window_colour())


def text_style(level: str, extra: str = "") -> str:
    """A ``color: ...;`` style sheet fragment for a message of ``level`` on the window background."""
    return f"color: {text_colour(level).name()};{(' ' + extra) if extra else ''}"


def banner_colours(level: str, background: QColor | None = None) -> tuple[QColor, QColor, QColor]:
    """(background, border, text) for a banner of ``level``: the window colour tinted, and readable text."""
    window = background or window_colour()
    tint = QColor(BANNER_TINTS[level])
    fill = _mix(window, tint, 0.22 if is_dark(window) else 0.16)
    border = _mix(window, tint, 0.6)
    return fill, border, readable(LEVEL_COLOURS[level], fill)


def banner_style(level: str, selector: str = "QLabel", padding: str = "3px 6px") -> str:
    fill, border, text = banner_colours(level)
    return (f"{selector} {{ background: {fill.name()}; color: {text.name()}; border: 1px solid {border.name()}; "
            f"padding: {padding}; }}")
