"""The Qt models of the results view: qtmodeltester, windowed loading, sorting and searching."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from gui.core.results_fetch import fetch_and_store
from gui.core.results_store import SEGMENTS, TIMESTAMPS, LabelSummary
from gui.qt.results_models import DetectionsModel, LabelFilterProxy, LabelSummaryModel, label_matches
from gui.qt.results_window import suggested_file_name


@pytest.fixture
def fetched(scripted_job, store):
    fetch_and_store(scripted_job["client"], scripted_job["job_id"], store)
    return store, scripted_job["job_id"]


def _loaded(qtbot, model: DetectionsModel, rows: int | None = None) -> None:
    """Wait until the query has finished and every block the test touched has arrived."""
    qtbot.waitUntil(lambda: not model.busy, timeout=10_000)
    if rows is not None:
        assert model.rowCount() == rows


def _all_rows(qtbot, model: DetectionsModel) -> list:
    out = []
    for row in range(model.rowCount()):
        d = model.detection(row)
        if d is None:
            qtbot.waitUntil(lambda r=row: model.detection(r) is not None, timeout=10_000)
            d = model.detection(row)
        out.append(d)
    return out


def test_label_matches_label_or_category():
    item = LabelSummary("Golden Retriever", 3, 99.0, 90.0, 0, 10, ("Animals and Pets",))
    assert label_matches(item, "")
    assert label_matches(item, "retriever")
    assert label_matches(item, " PETS ")
    assert not label_matches(item, "cat food")


def test_suggested_file_name():
    assert suggested_file_name("s3://b/family/dog park.mov", "0123456789abcdef", "vtt") == "dog_park-labels-01234567.vtt"
    assert suggested_file_name("", "abc", "csv") == "results-labels-abc.csv"


def test_summary_model_and_proxy(qtmodeltester, fetched):
    store, job_id = fetched
    model = LabelSummaryModel()
    model.set_rows(store.label_summary(job_id))
    qtmodeltester.check(model)
    assert model.rowCount() == 7
    assert model.headerData(1, Qt.Orientation.Horizontal) == "Occurrences"

    model.sort(2, Qt.SortOrder.DescendingOrder)
    maxima = [model.row_item(r).max_confidence for r in range(model.rowCount())]
    assert maxima == sorted(maxima, reverse=True)
    model.sort(0, Qt.SortOrder.AscendingOrder)
    assert [model.data(model.index(r, 0)) for r in range(7)] == sorted(
        model.data(model.index(r, 0)) for r in range(7)
    )

    proxy = LabelFilterProxy()
    proxy.setSourceModel(model)
    proxy.set_text("dog")
    qtmodeltester.check(proxy)
    assert [proxy.data(proxy.index(r, 0)) for r in range(proxy.rowCount())] == ["Dog"]
    proxy.set_text("")
    assert proxy.rowCount() == 7

    model.set_rows(store.label_summary(job_id, SEGMENTS), segments=True)
    assert model.headerData(1, Qt.Orientation.Horizontal) == "Segments"


def test_detections_model_windows_sorts_and_searches(qtbot, qtmodeltester, fetched, results_pool, wait_pool):
    store, job_id = fetched
    model = DetectionsModel(store, results_pool)
    with qtbot.waitSignal(model.queryFinished, timeout=10_000) as blocker:
        model.set_query(job_id, TIMESTAMPS)
    assert blocker.args == [2500]
    _loaded(qtbot, model, 2500)
    assert model.detection(0) is None  # windowed: nothing loaded before it is asked for
    with qtbot.waitSignal(model.blockLoaded, timeout=10_000):
        pass
    assert model.data(model.index(0, 1)) == store.detections(job_id, limit=1)[0].label

    qtmodeltester.check(model)
    wait_pool()

    with qtbot.waitSignal(model.queryFinished, timeout=10_000):
        model.sort(2, Qt.SortOrder.DescendingOrder)  # Confidence
    rows = _all_rows(qtbot, model)
    expected = store.detections(job_id, sort="confidence", descending=True)
    assert [d.id for d in rows] == [d.id for d in expected]
    assert model.sort_key() == ("confidence", True)

    with qtbot.waitSignal(model.queryFinished, timeout=10_000) as blocker:
        model.set_search("car")
    assert blocker.args == [store.count_detections(job_id, search="car")]
    assert {d.label for d in _all_rows(qtbot, model)} == {"Car"}
    assert model.data(model.index(0, 2)).endswith("%")
    assert "Instance 1" in model.data(model.index(0, 0), Qt.ItemDataRole.ToolTipRole)

    with qtbot.waitSignal(model.queryFinished, timeout=10_000):
        model.set_query(job_id, SEGMENTS, search="")
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())] == [
        "Start",
        "End",
        "Duration",
        "Label",
        "Confidence",
    ]
    assert model.sort_key() == ("confidence", True)  # a column of both tables: the sort is kept
    assert model.rowCount() == store.count_detections(job_id, SEGMENTS)
    qtmodeltester.check(model)
    with qtbot.waitSignal(model.queryFinished, timeout=10_000):
        model.set_query(job_id, TIMESTAMPS, sort="start")  # not a TIMESTAMPS column: back to the first
    assert model.sort_key()[0] == "timestamp"


def test_stale_query_results_are_dropped(qtbot, fetched, results_pool, wait_pool):
    store, job_id = fetched
    model = DetectionsModel(store, results_pool)
    seen = []
    model.queryFinished.connect(seen.append)
    model.set_query(job_id, search="dog")
    model.set_query(job_id, search="")  # supersedes the first before it can be shown
    wait_pool()
    qtbot.waitUntil(lambda: not model.busy, timeout=10_000)
    assert seen == [2500]
