"""Message, hint and banner colours reach 4.5:1 contrast on a light and on a dark theme."""

from __future__ import annotations

import re

import pytest
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from gui.qt.message_bar import MessageBar
from gui.qt.theme import LEVEL_COLOURS, banner_colours, contrast, readable

DARK = {"Window": "#1e1e1e", "WindowText": "#e6e6e6", "Base": "#252526", "Text": "#e6e6e6"}


@pytest.fixture
def dark_palette(qapp):
    saved = QPalette(qapp.palette())
    palette = QPalette(saved)
    for role, colour in DARK.items():
        palette.setColor(getattr(QPalette.ColorRole, role), QColor(colour))
    QApplication.setPalette(palette)
    yield palette
    QApplication.setPalette(saved)


def _colours(style: str) -> dict[str, QColor]:
    return {k: QColor(v) for k, v in re.findall(r"(background|color): (#[0-9a-fA-F]{6})", style)}


def test_contrast_of_known_pairs():
    assert contrast(QColor("black"), QColor("white")) == pytest.approx(21.0)
    assert contrast(QColor("white"), QColor("white")) == pytest.approx(1.0)
    assert contrast(QColor("#777777"), QColor("white")) == pytest.approx(4.48, abs=0.01)


def test_a_readable_colour_is_kept_and_an_unreadable_one_is_moved():
    assert readable("#b00020", QColor("white")) == QColor("#b00020")
    moved = readable("#b00020", QColor("#1e1e1e"))
    assert moved != QColor("#b00020")
    assert contrast(moved, QColor("#1e1e1e")) >= 4.5


@pytest.mark.parametrize("level", sorted(LEVEL_COLOURS))
@pytest.mark.parametrize("window", ["#ffffff", "#efefef", "#1e1e1e", "#000000", "#3c3f41"])
def test_banner_text_is_readable_on_its_own_background(level, window):
    fill, _border, text = banner_colours(level, QColor(window))
    assert contrast(text, fill) >= 4.5


@pytest.mark.parametrize("level", ["warning", "info"])
def test_message_bar_on_a_dark_theme(qtbot, dark_palette, level):
    from gui.qt import message_bar

    message_bar.MESSAGE_STYLE.clear()  # computed per palette
    bar = MessageBar("testMessage", level)
    qtbot.addWidget(bar)
    bar.show_message("A limit was reached", level)
    colours = _colours(bar.level_style())
    assert contrast(colours["color"], colours["background"]) >= 4.5
    assert colours["background"].lightness() < 128  # a dark banner on a dark window, not a light patch
    message_bar.MESSAGE_STYLE.clear()


def test_job_settings_hint_on_a_dark_theme(qtbot, dark_palette):
    from gui.qt.job_settings import JobSettingsWidget

    widget = JobSettingsWidget()
    qtbot.addWidget(widget)
    widget.job_tag_edit.setText("bad tag!")
    assert "bad tag!" in widget.job_tag_hint.text()
    colour = _colours(widget.job_tag_hint.styleSheet())["color"]
    assert contrast(colour, QColor(DARK["Window"])) >= 4.5
