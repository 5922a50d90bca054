"""Label names in the results window's tooltips (timeline, summary, detections) show as text: a results
page from a hostile endpoint may name a label anything."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QHelpEvent
from qt_render import rendered

from gui.qt import timeline
from gui.qt.timeline import TimelineWidget, build_timeline

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


def test_timeline_tooltip_is_plain(qtbot, monkeypatch):
    name = '<img src="file:///etc/hostname"> label'
    widget = TimelineWidget()
    qtbot.addWidget(widget)
    widget.resize(900, 300)
    widget.show()
    widget.set_data(build_timeline([(name, 0, 500)], 1000, [name], bins=100), segments=True)
    shown: list[str] = []
    monkeypatch.setattr(timeline.QToolTip, "showText", lambda pos, text, *rest: shown.append(text))
    center = widget.bar_rects(0)[0].center()
    event = QHelpEvent(QEvent.Type.ToolTip, center, widget.viewport().mapToGlobal(center))
    widget.viewportEvent(event)
    assert len(shown) == 1 and rendered(shown[0]).startswith(name + "\n"), shown


def test_results_tooltips_are_plain():
    from gui.core.results_store import Detection, LabelSummary
    from gui.qt.results_models import LabelSummaryModel, _tooltip

    name = "<font size=7 color=red>APPROVED"
    tip = _tooltip(Detection(1, 0, name, 99.0, 0, categories=("&lt;x&gt;",)))
    assert rendered(tip).startswith(f"{name} at ") and "Categories: &lt;x&gt;" in rendered(tip)
    model = LabelSummaryModel()
    model.set_rows([LabelSummary(name, 1, 99.0, 99.0, 0, 0, ("&lt;x&gt;",))])
    tip = model.data(model.index(0, 0), Qt.ItemDataRole.ToolTipRole)
    assert rendered(tip).startswith(f"{name}\nCategories: &lt;x&gt;\n")
