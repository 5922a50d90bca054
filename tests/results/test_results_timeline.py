"""Timeline binning (Python reference vs SQLite), ticks, and the widget's rows, bars and tooltips."""

from __future__ import annotations

import random

import pytest
from PySide6.QtCore import QPoint

from gui.core.results_store import SEGMENTS, TIMESTAMPS
from gui.qt.timeline import (
    TimelineWidget,
    build_timeline,
    format_tick,
    tick_step,
    timeline_from_runs,
)


def test_binning_of_moments_and_segments():
    spans = [("A", 0, 0), ("A", 10, 10), ("A", 500, 500), ("B", 100, 350), ("B", 300, 420), ("B", 900, 999)]
    data = build_timeline(spans, 1000, ["A", "B", "C"], bins=10)  # 100 ms per bin
    a, b, c = data.rows
    assert a.runs == ((0, 0, 2), (5, 5, 1))
    assert b.runs == ((1, 4, 2), (9, 9, 1))  # overlapping segments merge into one run
    assert c.runs == () and c.occurrences == 0
    assert (a.occurrences, b.occurrences) == (3, 3)
    assert data.count_at(0, 0) == 2 and data.count_at(0, 3) == 0 and data.count_at(1, 2) == 2


def test_labels_outside_the_order_are_left_out():
    data = build_timeline([("A", 0, 0), ("Z", 5, 5)], 10, ["A"], bins=10)
    assert [r.label for r in data.rows] == ["A"]


@pytest.mark.parametrize("aggregation", [TIMESTAMPS, SEGMENTS])
def test_sqlite_binning_equals_the_python_reference(store, aggregation):
    rnd = random.Random(5)
    labels = []
    for _ in range(4000):
        start = rnd.randrange(0, 120_000)
        item = {"Timestamp": start, "Label": {"Name": f"L{rnd.randrange(25)}", "Confidence": 70.0}}
        if aggregation == SEGMENTS:
            end = start + rnd.choice((0, 40, 500, 8000))
            item.update(StartTimestampMillis=start, EndTimestampMillis=end, DurationMillis=end - start)
        labels.append(item)
    rid = store.begin_result("job", aggregation)
    store.add_page(rid, 0, {"JobStatus": "SUCCEEDED", "Labels": labels})
    store.complete_result(rid, {"VideoMetadata": {"DurationMillis": 130_000}})
    order = [r.label for r in store.label_summary("job", aggregation)]
    for bins in (64, 2048):
        ours = timeline_from_runs(store.timeline_runs("job", aggregation, bins=bins, duration_ms=130_000), 130_000, order, bins=bins)
        reference = build_timeline(store.time_spans("job", aggregation), 130_000, order, bins=bins)
        assert ours == reference
        assert sum(r.occurrences for r in ours.rows) == 4000


def test_ticks():
    assert tick_step(10_000, 1000) == 1000  # 10 s over 1000 px: a tick a second (100 px apart)
    assert tick_step(3 * 3_600_000, 1000) == 900_000
    assert format_tick(65_000, 1000) == "1:05"
    assert format_tick(3_725_000, 60_000) == "1:02:05"
    assert format_tick(1_500, 500) == "0:01.5"


def test_widget_rows_filter_limit_and_tooltip(qtbot):
    widget = TimelineWidget()
    qtbot.addWidget(widget)
    widget.resize(900, 300)
    widget.show()
    spans = [(f"Label {i}", i * 100, i * 100 + 50) for i in range(30)]
    widget.set_data(build_timeline(spans, 3000, [f"Label {i}" for i in range(30)], bins=300), segments=True)
    assert len(widget.visible_labels()) == 30
    widget.set_max_rows(10)
    assert widget.visible_labels() == [f"Label {i}" for i in range(10)]
    widget.set_filter("label 2")  # the filter applies before the row limit
    assert widget.visible_labels() == ["Label 2", *(f"Label {i}" for i in range(20, 29))]
    widget.set_filter("LABEL 7")
    assert widget.visible_labels() == ["Label 7"]
    widget.set_filter("")
    widget.set_max_rows(200)
    # scrollable: 30 rows don't fit in 300 px
    assert widget.verticalScrollBar().maximum() > 0
    rect = widget.bar_rects(3)[0]
    text = widget.describe(rect.center())
    assert text.startswith("Label 3\n00:00:00.3") and "1 segment here" in text
    assert "not detected here" in widget.describe(QPoint(rect.right() + 200, rect.center().y()))
    assert widget.describe(QPoint(5, 5)) is None  # the axis


def test_widget_clicks_report_label_and_time(qtbot):
    from PySide6.QtCore import Qt

    widget = TimelineWidget()
    qtbot.addWidget(widget)
    widget.resize(600, 200)
    widget.show()
    widget.set_data(build_timeline([("Dog", 1000, 2000)], 4000, ["Dog"], bins=400), segments=True)
    rect = widget.bar_rects(0)[0]
    with qtbot.waitSignal(widget.timeClicked) as blocker:
        qtbot.mouseClick(widget.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    label, ms = blocker.args
    assert label == "Dog" and 1000 <= ms <= 2000
