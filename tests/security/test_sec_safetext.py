"""gui.core.safetext: control, bidi and invisible characters shown as markers; RTL runs isolated."""

from __future__ import annotations

import pytest

from gui.core.safetext import FSI, PDI, isolate, visible


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("clip\u202egnp.mp4", "clip⟨U+202E⟩gnp.mp4"),
        ("a\nb\rc\td", "a⟨U+000A⟩b⟨U+000D⟩c⟨U+0009⟩d"),
        ("\x1b[31mred\x1b[0m", "⟨U+001B⟩[31mred⟨U+001B⟩[0m"),
        ("nul\x00del\x7fc1\x85", "nul⟨U+0000⟩del⟨U+007F⟩c1⟨U+0085⟩"),
        ("zero\u200bwidth\ufeff", "zero⟨U+200B⟩width⟨U+FEFF⟩"),
        ("iso\u2066late\u2069 mark\u200f", "iso⟨U+2066⟩late⟨U+2069⟩ mark⟨U+200F⟩"),
        ("line\u2028sep", "line⟨U+2028⟩sep"),
    ],
)
def test_unsafe_characters_become_visible_markers(raw, shown):
    assert visible(raw) == shown


@pytest.mark.parametrize("name", ["family/2024/birthday party.mp4", "Café – été.mov", "日本語.mp4", "a&b<c>.mp4"])
def test_ordinary_names_are_unchanged(name):
    assert visible(name) == name and isolate(name) == name


def test_right_to_left_text_is_isolated_so_it_cannot_reorder_its_neighbours():
    assert isolate("וידאו.mp4") == f"{FSI}וידאו.mp4{PDI}"
    assert isolate("فيديو\u202e.mp4") == f"{FSI}فيديو⟨U+202E⟩.mp4{PDI}"


@pytest.mark.parametrize(
    ("stem", "expected"),
    [
        ("../../x", "x.json"),
        ("..\\..\\windows\\system32", "windows_system32.json"),
        ("/etc/passwd", "etc_passwd.json"),
        ("People and vehicles", "People_and_vehicles.json"),
        (".hidden", "hidden.json"),
        ("--force", "force.json"),
        ("..", "export.json"),
        ("", "export.json"),
        ("CON", "_CON.json"),
        ("nul.txt", "_nul.txt.json"),
        ("clip\u202egnp", "clip_gnp.json"),
        ("Été 2024 – vidéo", "Été_2024_vidéo.json"),
        ("x" * 300, "x" * 120 + ".json"),
    ],
)
def test_suggested_file_names_are_one_plain_name(stem, expected):
    from gui.core.safetext import safe_file_name

    assert safe_file_name(stem, ".json") == expected
