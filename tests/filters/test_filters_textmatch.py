"""The ranking rule of the search boxes, as a table (lower ranks are listed first)."""

from __future__ import annotations

import pytest

from gui.core.textmatch import (
    ALIAS_PREFIX,
    ALIAS_WORD,
    ANYWHERE,
    EXACT_ALIAS,
    EXACT_NAME,
    NAME_PREFIX,
    NAME_WORD,
    match_rank,
)


@pytest.mark.parametrize(
    ("needle", "name", "aliases", "rank"),
    [
        ("cat", "Cat", (), EXACT_NAME),
        ("kitty", "Cat", ("Kitty",), EXACT_ALIAS),
        ("cat", "Cathedral", (), NAME_PREFIX),
        ("pup", "Dog", ("Puppy",), ALIAS_PREFIX),
        ("cat", "Wild Cat", (), NAME_WORD),
        ("cat", "Non-Cat Animal", (), NAME_WORD),
        ("cat", "Animal (Cat)", (), NAME_WORD),
        ("cat", "Pet", ("House Cat",), ALIAS_WORD),
        ("cat", "Publication", (), ANYWHERE),
        ("cat", "Medication", (), ANYWHERE),
        ("cat", "Dog", ("Bobcat",), ANYWHERE),
        ("cat", "Dog", ("Puppy",), None),
        ("cat", "Bobcat Cat", (), NAME_WORD),  # a later word start counts even after an inner match
    ],
)
def test_match_rank_table(needle, name, aliases, rank):
    assert match_rank(needle, name, aliases) == rank


def test_ranks_order_exact_prefix_word_anywhere():
    assert EXACT_NAME < EXACT_ALIAS < NAME_PREFIX < ALIAS_PREFIX < NAME_WORD < ALIAS_WORD < ANYWHERE
