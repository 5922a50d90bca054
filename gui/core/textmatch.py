"""How well a name (and its aliases) matches what the user typed: the ranking rule of every search box.

Lower is better: the exact name, then an exact alias, then the name starting with the text, then an alias
starting with it, then a word of the name starting with it (after a space, '-', '/', '(' ...), then a word of
an alias, then the text anywhere. ``None``: no match. Matching ignores case (``str.casefold``).
"""

from __future__ import annotations

from collections.abc import Sequence

EXACT_NAME, EXACT_ALIAS, NAME_PREFIX, ALIAS_PREFIX, NAME_WORD, ALIAS_WORD, ANYWHERE = range(7)


def _word_start(needle: str, text: str) -> bool:
    start = text.find(needle)
    while start > 0:
        if not text[start - 1].isalnum():
            return True
        start = text.find(needle, start + 1)
    return start == 0


def match_rank(needle: str, name: str, aliases: Sequence[str] = ()) -> int | None:
    """The rank of ``name``/``aliases`` for ``needle`` (already casefolded and stripped), or None."""
    name = name.casefold()
    folded = [a.casefold() for a in aliases]
    if name == needle:
        return EXACT_NAME
    if needle in folded:
        return EXACT_ALIAS
    if name.startswith(needle):
        return NAME_PREFIX
    if any(a.startswith(needle) for a in folded):
        return ALIAS_PREFIX
    if _word_start(needle, name):
        return NAME_WORD
    if any(_word_start(needle, a) for a in folded):
        return ALIAS_WORD
    if needle in name or any(needle in a for a in folded):
        return ANYWHERE
    return None
