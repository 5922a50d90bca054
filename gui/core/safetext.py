"""Untrusted text (S3 keys, folder and preset names, AWS messages) made safe to show.

An S3 key may hold any Unicode character: control characters (ESC sequences reach a terminal raw, a
newline splits a table row or forges a log line) and bidirectional formatting characters (``U+202E``
makes ``clip\\u202Egnp.mp4`` display as ``clip4pm.png``). :func:`visible` replaces every such character
with a marker that shows which one it was (``⟨U+202E⟩``), so the text displays as what it is; the CLI,
the log and the window all use it. :func:`isolate` also wraps text that contains right-to-left
characters in a first-strong isolate, so a Hebrew or Arabic name cannot reorder the text around it.
"""

from __future__ import annotations

import re
import unicodedata

FSI = "\u2068"  # FIRST STRONG ISOLATE
PDI = "\u2069"  # POP DIRECTIONAL ISOLATE

# Explicit bidi embeddings, overrides, isolates and marks, plus the invisible characters that can
# hide or split a name (zero-width space/joiners, word joiner, BOM, soft hyphen, Hangul fillers...).
_BIDI_AND_INVISIBLE = (
    "\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\u206a-\u206f\ufeff\u00ad\u115f\u1160"
    "\u3164\uffa0\ufff9-\ufffb"
)
# C0 controls (newline, CR, tab, ESC...), DEL, C1 controls, line/paragraph separators, the above.
_UNSAFE = re.compile(f"[\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029{_BIDI_AND_INVISIBLE}]")


# The blocks holding every right-to-left character (a cheap first test; the exact one is Unicode's class).
_MAYBE_RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefe\U00010800-\U00010fff\U0001e800-\U0001efff]")


def marker(char: str) -> str:
    """The visible stand-in for one unsafe character: ``⟨U+001B⟩``."""
    return f"⟨U+{ord(char):04X}⟩"


def _marker(match: re.Match[str]) -> str:
    return marker(match.group(0))


def visible(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` with every control, bidi-formatting and invisible character shown as ``⟨U+XXXX⟩``.

    Letters, digits, punctuation and spaces are left alone, so ordinary names are unchanged.
    ``keep_newlines``: a message of several lines keeps its line breaks (``\n`` only).
    """
    if text.isprintable() and not _UNSAFE.search(text):
        return text
    if keep_newlines:
        return "\n".join(_UNSAFE.sub(_marker, line) for line in text.split("\n"))
    return _UNSAFE.sub(_marker, text)


def has_rtl(text: str) -> bool:
    """True when ``text`` has right-to-left letters or Arabic digits (they reorder neighbouring text)."""
    if text.isascii() or not _MAYBE_RTL.search(text):
        return False
    return any(unicodedata.bidirectional(c) in ("R", "AL", "AN") for c in text)


def isolate(text: str) -> str:
    """:func:`visible` text; wrapped in FSI…PDI when it holds right-to-left characters.

    For untrusted text placed inside a sentence of the user interface.
    """
    shown = visible(text)
    return f"{FSI}{shown}{PDI}" if has_rtl(shown) else shown


_FILE_UNSAFE = re.compile(r"[^\w.-]+")  # \w: letters and digits of any script, and "_"
_WINDOWS_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL"] + [f"COM{n}" for n in range(1, 10)] + [f"LPT{n}" for n in range(1, 10)]
)
MAX_FILE_STEM = 120


def safe_file_name(stem: str, suffix: str, *, default: str = "export") -> str:
    """A file name to suggest for ``stem`` (a preset name, a video's name): one plain name in the chosen
    folder, whatever ``stem`` holds.

    Path separators, ``..``, spaces, control and bidi characters become ``_`` runs; leading dots and
    dashes go (no hidden file, nothing that reads as a command-line option); Windows device names are
    prefixed. ``suffix`` (e.g. ``".json"``) is appended.
    """
    name = _FILE_UNSAFE.sub("_", stem).lstrip(".-_").rstrip(". _")[:MAX_FILE_STEM].rstrip(". _")
    if not name:
        name = default
    if name.split(".", 1)[0].upper() in _WINDOWS_RESERVED:
        name = f"_{name}"
    return name + suffix
