"""The ResultsView and open_results against the sandbox: fetch with progress, summary, detections,
aggregation switch, search, export through an injected save dialog, cancel, and the timeline's pixels."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QPushButton
from results_support import DEMO_BUCKET, SCRIPT_SIZE, SCRIPTED_VIDEO, rekognition

from gui.core.results_fetch import fetch_and_store
from gui.core.results_store import SEGMENTS, TIMESTAMPS
from gui.qt.results_window import ResultsView, open_results

# the offscreen platform says this whenever a top-level window with size hints is shown; harmless
pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

VIDEO_URI = f"s3://{DEMO_BUCKET}/{SCRIPTED_VIDEO}"


class FakeSaveDialog:
    """Stands in for QFileDialog: records what it was asked and answers with a chosen path."""

    def __init__(self, answer: Path | None) -> None:
        self.answer = answer
        self.asked: list[tuple[str, str]] = []

    def __call__(self, parent: Any, caption: str, suggested: str, name_filter: str) -> str:
        self.asked.append((suggested, name_filter))
        return str(self.answer) if self.answer else ""


def _factory(sandbox: Any) -> Any:
    def make(service: str, region: str | None = None) -> Any:
        assert service == "rekognition"
        return rekognition(sandbox.endpoint_url)

    return make


@pytest.fixture
def cached(scripted_job, store):
    fetch_and_store(scripted_job["client"], scripted_job["job_id"], store)
    return store, scripted_job["job_id"]


def _open_cached(qtbot, store, job_id, pool, **kw) -> ResultsView:
    view = ResultsView(store, job_id, video_uri=VIDEO_URI, pool=pool, **kw)
    qtbot.addWidget(view)
    view.resize(1200, 800)
    view.show()
    with qtbot.waitSignal(view.loaded, timeout=10_000) as blocker:
        view.start()
    assert blocker.args == [TIMESTAMPS]
    qtbot.waitUntil(lambda: view.detectionsModel.rowCount() > 0, timeout=10_000)
    return view


def test_view_shows_summary_and_detections_from_the_store(qtbot, cached, results_pool, wait_pool):
    store, job_id = cached
    view = _open_cached(qtbot, store, job_id, results_pool)
    assert view.objectName() == "resultsView"
    assert view.findChild(QPushButton, "exportButton") is view.exportButton
    assert view.summaryModel.rowCount() == 7
    assert view.detectionsModel.rowCount() == SCRIPT_SIZE
    assert not view.fetchProgress.isVisible()  # cached: nothing to fetch
    top = view.summaryModel.row_item(0)
    assert top.occurrences == max(r.occurrences for r in store.label_summary(job_id))
    assert "2,500 detections" in view.titleLabel.text() and "7 labels" in view.titleLabel.text()
    assert view.detectionsCaption.text() == "Detections (2,500)"
    assert view.timeline.visible_labels() == [r.label for r in store.label_summary(job_id)]


def test_switching_to_segments_and_back(qtbot, cached, results_pool, wait_pool):
    store, job_id = cached
    view = _open_cached(qtbot, store, job_id, results_pool)
    segments = store.count_detections(job_id, SEGMENTS)
    with qtbot.waitSignal(view.detectionsModel.queryFinished, timeout=10_000) as blocker:
        view.segmentsButton.click()
    assert blocker.args == [segments]
    assert view.aggregation == SEGMENTS
    assert view.summaryModel.headerData(1, Qt.Orientation.Horizontal) == "Segments"
    assert view.detectionsCaption.text() == f"Segments ({segments:,})"
    assert sum(view.summaryModel.row_item(r).occurrences for r in range(7)) == segments
    with qtbot.waitSignal(view.detectionsModel.queryFinished, timeout=10_000) as blocker:
        view.timestampsButton.click()
    assert blocker.args == [SCRIPT_SIZE]


def test_search_filters_summary_detections_and_timeline(qtbot, cached, results_pool, wait_pool):
    store, job_id = cached
    view = _open_cached(qtbot, store, job_id, results_pool)
    with qtbot.waitSignal(view.detectionsModel.queryFinished, timeout=10_000) as blocker:
        qtbot.keyClicks(view.searchEdit, "bicy")  # typed: applied after a short pause
    assert blocker.args == [store.count_detections(job_id, search="bicy")]
    assert view.summaryProxy.rowCount() == 1
    assert view.timeline.visible_labels() == ["Bicycle"]
    assert "matching the search" in view.detectionsCaption.text()


def test_open_results_fetches_in_the_background_with_progress(qtbot, scripted, scripted_job, store, job_store,
                                                              job_record, results_pool, wait_pool):
    job_id = scripted_job["job_id"]
    window = open_results(None, record=job_record, store=store, job_store=job_store,
                          client_factory=_factory(scripted), pool=results_pool)
    qtbot.addWidget(window)
    view = window.view
    progress_seen: list[Any] = []
    qtbot.waitUntil(lambda: view.fetching, timeout=10_000)
    view._fetch.signals.progress.connect(progress_seen.append)
    assert view.fetchProgress.isVisible() and view.cancelFetchButton.isVisible()
    with qtbot.waitSignal(view.fetchFinished, timeout=20_000) as blocker:
        pass
    summary = blocker.args[0]
    assert (summary.detection_count, summary.aggregations) == (SCRIPT_SIZE, (TIMESTAMPS, SEGMENTS))
    qtbot.waitUntil(lambda: view.detectionsModel.rowCount() == SCRIPT_SIZE, timeout=10_000)
    assert not view.fetchProgress.isVisible()
    assert progress_seen, "progress reached the GUI"
    assert window.windowTitle() == f"Labels — {VIDEO_URI}"
    assert store.has_results(job_id, SEGMENTS)
    # the one job-level fetch noted the results on the job's record (the job list shows the label count)
    updated = job_store.get(job_record.id)
    assert updated.results_fetched and updated.label_count == summary.label_count == 7


def test_cancel_fetch(qtbot, scripted, scripted_job, store, job_store, job_record, results_pool, wait_pool):
    view = ResultsView(store, scripted_job["job_id"], client_factory=_factory(scripted), job_store=job_store,
                       record=job_record, pool=results_pool)
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.fetchFailed, timeout=10_000) as blocker:
        assert view.fetch()
        view.cancelFetchButton.click()  # before the first page arrives
    assert blocker.args[0].title == "Fetch cancelled"
    qtbot.waitUntil(lambda: not view.fetching, timeout=10_000)
    assert store.summary(scripted_job["job_id"]) is None
    assert not job_store.get(job_record.id).results_fetched


def test_without_a_client_an_uncached_job_says_so(qtbot, store, results_pool, wait_pool):
    view = ResultsView(store, "job-not-here", pool=results_pool)
    qtbot.addWidget(view)
    view.start()
    status = view.findChild(QLabel, "resultsStatus")
    qtbot.waitUntil(lambda: "not in the local cache" in status.text(), timeout=10_000)


def test_export_csv_through_the_save_dialog(qtbot, cached, tmp_path, results_pool, wait_pool):
    store, job_id = cached
    dialog = FakeSaveDialog(tmp_path / "chosen.csv")
    view = _open_cached(qtbot, store, job_id, results_pool, save_dialog=dialog)
    view.exportFormat.setCurrentIndex(view.exportFormat.findData("csv"))
    with qtbot.waitSignal(view.exported, timeout=20_000) as blocker:
        view.exportButton.click()
    assert blocker.args == [str(tmp_path / "chosen.csv"), SCRIPT_SIZE]
    suggested, name_filter = dialog.asked[0]
    assert suggested.endswith(f"dog-park-labels-{job_id[:8]}.csv") and "*.csv" in name_filter
    with (tmp_path / "chosen.csv").open(newline="", encoding="utf-8") as fh:
        assert sum(1 for _ in csv.reader(fh)) == SCRIPT_SIZE + 1


def test_export_cancelled_in_the_dialog_writes_nothing(qtbot, cached, tmp_path, results_pool, wait_pool):
    store, job_id = cached
    view = _open_cached(qtbot, store, job_id, results_pool, save_dialog=FakeSaveDialog(None))
    assert view.export("json") is False
    assert list(tmp_path.glob("*.json")) == []


def test_vtt_export_fetches_the_segments_first(qtbot, scripted, scripted_job, store, job_store, job_record,
                                               results_pool, tmp_path, wait_pool):
    job_id = scripted_job["job_id"]
    fetch_and_store(scripted_job["client"], job_id, store, aggregations=(TIMESTAMPS,))
    view = _open_cached(qtbot, store, job_id, results_pool, client_factory=_factory(scripted), job_store=job_store,
                        record=job_record)
    out = tmp_path / "labels.vtt"
    with qtbot.waitSignal(view.exported, timeout=20_000) as blocker:
        assert view.export("vtt", str(out))
    segments = store.count_detections(job_id, SEGMENTS)
    assert blocker.args == [str(out), segments]
    assert out.read_text(encoding="utf-8").startswith("WEBVTT\n")


def _colored(image, rect, color: QColor) -> int:
    hits = 0
    for x in range(rect.left(), rect.right() + 1):
        for y in range(rect.top(), rect.bottom() + 1):
            if image.pixelColor(x, y) == color:
                hits += 1
    return hits


def test_timeline_paints_bars_where_the_labels_occur(qtbot, cached, results_pool, wait_pool, tmp_path):
    store, job_id = cached
    view = _open_cached(qtbot, store, job_id, results_pool)
    view.set_aggregation(SEGMENTS)
    qtbot.waitUntil(lambda: view.timeline.data().rows and view.aggregation == SEGMENTS, timeout=10_000)
    qtbot.waitUntil(lambda: view.detectionsCaption.text().startswith("Segments"), timeout=10_000)
    timeline = view.timeline
    image = timeline.viewport().grab().toImage()
    timeline.viewport().grab().save(str(tmp_path / "timeline.png"))
    rects = timeline.bar_rects(0)
    assert rects, "the most frequent label has bars"
    color = QColor(timeline.row_color(timeline.visible_labels()[0], 0))
    painted = sum(_colored(image, r, color) for r in rects)
    area = sum(r.width() * r.height() for r in rects)
    assert painted >= area * 0.9
    # a row with no bars is not painted in a bar colour
    row_band = rects[0].adjusted(0, 0, 0, 0)
    row_band.setLeft(0)
    row_band.setRight(5)
    assert _colored(image, row_band, color) == 0
    # the tooltip names the label and the time
    centre = rects[0].center()
    text = timeline.describe(centre)
    assert text.startswith(timeline.visible_labels()[0] + "\n") and "here" in text


@pytest.mark.parametrize(("key", "modifier"), [(Qt.Key.Key_Escape, Qt.KeyboardModifier.NoModifier),
                                               (Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier)])
def test_esc_and_ctrl_w_close_the_results_window(qtbot, cached, results_pool, wait_pool, key, modifier):
    from gui.qt.results_window import ResultsWindow

    store, job_id = cached
    view = ResultsView(store, job_id, video_uri=VIDEO_URI, pool=results_pool)
    window = ResultsWindow(view)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window, key, modifier)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=5_000)


def test_one_search_rule_for_the_summary_the_timeline_and_the_detections(qtbot, cached, results_pool, wait_pool):
    """A category, a parent or an alias keeps the same labels in the summary table, the timeline and the
    detections (the timeline used to match names only)."""
    store, job_id = cached
    view = _open_cached(qtbot, store, job_id, results_pool)
    summary = store.label_summary(job_id)
    probes = set()
    for item in summary:
        probes.update(c for c in item.categories[:1])
        probes.update(p for p in item.parents[:1])
    assert probes, "the scripted job has labels with categories or parents"
    not_by_name = 0
    for text in sorted(probes)[:6]:
        view.set_search(text)
        table = {view.summaryProxy.index(r, 0).data() for r in range(view.summaryProxy.rowCount())}
        timeline = set(view.timeline.visible_labels())
        detections = {d.label for d in store.detections(job_id, search=text)}
        assert table and table == timeline == detections, text
        not_by_name += sum(1 for label in table if text.lower() not in label.lower())
    assert not_by_name > 0  # some labels were kept for their category or parent, not their name


def test_the_file_name_extension_names_the_format(qtbot, cached, tmp_path, results_pool, wait_pool):
    store, job_id = cached
    view = _open_cached(qtbot, store, job_id, results_pool, save_dialog=FakeSaveDialog(tmp_path / "labels.json"))
    view.exportFormat.setCurrentIndex(view.exportFormat.findData("csv"))  # the box says CSV, the name JSON
    with qtbot.waitSignal(view.exported, timeout=20_000):
        view.exportButton.click()
    assert (tmp_path / "labels.json").read_text().lstrip().startswith("[")  # JSON pages, not CSV


def test_a_search_exports_the_matching_rows_and_says_so(qtbot, cached, tmp_path, results_pool, wait_pool):
    store, job_id = cached
    summary = store.label_summary(job_id)
    label = summary[0].label
    view = _open_cached(qtbot, store, job_id, results_pool, save_dialog=FakeSaveDialog(tmp_path / "some.csv"))
    view.set_search(label)
    matching = store.count_detections(job_id, search=label)
    assert 0 < matching < SCRIPT_SIZE
    view.exportFormat.setCurrentIndex(view.exportFormat.findData("csv"))
    with qtbot.waitSignal(view.exported, timeout=20_000) as blocker:
        view.exportButton.click()
    assert blocker.args[1] == matching
    assert f"Exported {matching:,} matching rows of {SCRIPT_SIZE:,}" in view.statusLabel.text()
    view.exportMatchingCheck.setChecked(False)
    view.save_dialog = FakeSaveDialog(tmp_path / "all.csv")
    with qtbot.waitSignal(view.exported, timeout=20_000) as blocker:
        view.exportButton.click()
    assert blocker.args[1] == SCRIPT_SIZE and f"Exported all {SCRIPT_SIZE:,} rows" in view.statusLabel.text()


def test_exports_follow_the_umask(qtbot, cached, tmp_path, results_pool, wait_pool):
    import os

    store, job_id = cached
    old = os.umask(0o022)
    try:
        from gui.core.export import export_job

        export_job(store, job_id, "csv", tmp_path / "u.csv")
    finally:
        os.umask(old)
    assert (tmp_path / "u.csv").stat().st_mode & 0o777 == 0o644


def test_a_timeline_click_or_a_summary_row_selects_the_matching_detection(qtbot, cached, results_pool, wait_pool):
    store, job_id = cached
    view = _open_cached(qtbot, store, job_id, results_pool)
    detections = store.detections(job_id)
    target = detections[len(detections) // 2]
    view._on_timeline_clicked(target.label, target.timestamp_ms)

    def selected():
        rows = view.detectionsTable.selectionModel().selectedRows()
        return view.detectionsModel.detection(rows[0].row()) if rows else None

    qtbot.waitUntil(lambda: selected() is not None and selected().label == target.label, timeout=10_000)
    assert selected().timestamp_ms == target.timestamp_ms
    best = max((d for d in detections if d.label == detections[0].label), key=lambda d: d.confidence)
    row = next(r for r in range(view.summaryProxy.rowCount())
               if view.summaryProxy.index(r, 0).data() == detections[0].label)
    view.summaryTable.selectRow(row)
    qtbot.waitUntil(lambda: selected() is not None and selected().id == best.id, timeout=10_000)
