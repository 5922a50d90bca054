"""The marker export dialog (pytest-qt): the format list, the live marker count as options change, the
files it writes (read back by OpenTimelineIO), several jobs into a folder, errors shown in place, and
the results window's button that opens it."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from editorial_support import otio_read, read_resolve_edl, segment, segments_page, store_pages
from PySide6.QtCore import Qt, QThreadPool
from PySide6.QtWidgets import QPushButton

from gui.core.editorial import FORMAT_NAMES, FORMATS
from gui.qt.export_dialog import MarkerExportDialog

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

LABELS = [
    segment("Car", 0, 1000, 95.0, "Vehicles and Automotive"),
    segment("Car", 1500, 2500, 60.0, "Vehicles and Automotive"),
    segment("Dog", 5000, 7000, 80.0, "Animals and Pets"),
    segment("Person", 9000, 9100, 99.0, "Person Description"),
]


@pytest.fixture
def pool():
    p = QThreadPool()
    p.setMaxThreadCount(1)
    yield p
    assert p.waitForDone(10_000)


@pytest.fixture
def jobs(store):
    store_pages(store, "job-1", [segments_page(LABELS, 25.0, key="cam a/take 1.mp4")])
    store_pages(store, "job-2", [segments_page(LABELS[:1], 29.97, key="cam b/take 2.mp4")])
    return store


class FakeSave:
    def __init__(self, answer: Path) -> None:
        self.answer = answer
        self.asked: list[tuple[str, str]] = []

    def __call__(self, parent, caption, suggested, name_filter):
        self.asked.append((suggested, name_filter))
        return str(self.answer)


def _counted(qtbot, dialog, action):
    with qtbot.waitSignal(dialog.counted, timeout=10_000) as blocker:
        action()
    return blocker.args[0]


def test_offers_every_marker_format(qtbot, jobs, pool, tmp_path):
    dialog = MarkerExportDialog(jobs, [("job-1", "s3://footage/cam a/take 1.mp4")], pool=pool, start_folder=tmp_path)
    qtbot.addWidget(dialog)
    items = [(dialog.formatBox.itemData(i), dialog.formatBox.itemText(i)) for i in range(dialog.formatBox.count())]
    assert items == [(f, FORMAT_NAMES[f]) for f in FORMATS]
    assert [f for f, _ in items] == ["edl", "resolve-edl", "fcp7xml", "fcpxml", "otio", "markers-csv", "vtt-chapters"]
    # the start timecode shows each format's default, and the file name follows the format
    dialog.set_format("resolve-edl")
    assert dialog.startTimecode.placeholderText() == "01:00:00:00"
    assert dialog.outputEdit.text() == str(tmp_path / "take_1-markers.edl")
    dialog.set_format("fcpxml")
    assert dialog.startTimecode.placeholderText() == "00:00:00:00"
    assert dialog.outputEdit.text().endswith("take_1-markers.fcpxml")
    assert dialog.fcpxMode.isEnabled()
    dialog.set_format("otio")
    assert not dialog.fcpxMode.isEnabled()


def test_preview_count_follows_the_options(qtbot, jobs, pool, tmp_path):
    dialog = MarkerExportDialog(jobs, [("job-1", "s3://footage/cam a/take 1.mp4")], pool=pool, start_folder=tmp_path)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.count is not None, timeout=10_000)
    assert dialog.count == 3  # Car (two segments merged), Dog, Person
    assert dialog.previewLabel.text() == "3 markers will be written."
    assert _counted(qtbot, dialog, lambda: dialog.mergeGap.setValue(0)) == 4
    assert _counted(qtbot, dialog, lambda: dialog.minConfidence.setValue(70)) == 3  # the 60% Car goes
    assert _counted(qtbot, dialog, lambda: dialog.minDuration.setValue(1500)) == 1  # only Dog is that long
    assert _counted(qtbot, dialog, lambda: dialog.minDuration.setValue(0)) == 3
    assert _counted(qtbot, dialog, lambda: dialog.labelsEdit.setText("car, person")) == 2
    assert _counted(qtbot, dialog, lambda: dialog.categoriesEdit.setText("Animals and Pets")) == 0
    assert dialog.previewLabel.text().startswith("No marker passes these options")
    assert not dialog.exportButton.isEnabled()
    assert _counted(qtbot, dialog, lambda: dialog.labelsEdit.setText("")) == 1
    assert dialog.exportButton.isEnabled()


def test_typing_counts_once_after_a_pause(qtbot, jobs, pool, tmp_path):
    dialog = MarkerExportDialog(jobs, [("job-1", "s3://footage/cam a/take 1.mp4")], pool=pool, start_folder=tmp_path)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.count is not None and not dialog.busy(), timeout=10_000)
    counts = []
    dialog.counted.connect(counts.append)
    for text in ("D", "Do", "Dog"):
        dialog.labelsEdit.setText(text)
    qtbot.waitUntil(lambda: bool(counts) and not dialog.busy(), timeout=10_000)
    assert counts == [1]


def test_writes_the_file_and_closes(qtbot, jobs, pool, tmp_path):
    dialog = MarkerExportDialog(jobs, [("job-1", "s3://footage/cam a/take 1.mp4")], pool=pool, start_folder=tmp_path)
    qtbot.addWidget(dialog)
    dialog.set_format("resolve-edl")
    out = tmp_path / "chosen.edl"
    dialog.save_dialog = FakeSave(out)
    qtbot.mouseClick(dialog.browseButton, Qt.MouseButton.LeftButton)
    assert dialog.outputEdit.text() == str(out)
    assert "(*.edl)" in dialog.save_dialog.asked[0][1]
    qtbot.waitUntil(lambda: dialog.count == 3, timeout=10_000)
    with qtbot.waitSignal(dialog.exported, timeout=10_000) as blocker:
        dialog.exportButton.click()
    result = blocker.args[0]
    assert result.written == [(out, 3)]
    parsed = read_resolve_edl(out.read_text(), Fraction(25))
    assert [(m["name"], m["frame"] - 90000, m["duration"]) for m in parsed["markers"]] == [
        ("Car", 0, 63), ("Dog", 125, 50), ("Person", 225, 3)]
    assert dialog.result() == dialog.DialogCode.Accepted


def test_several_jobs_into_a_folder(qtbot, jobs, pool, tmp_path):
    pairs = [("job-1", "s3://footage/cam a/take 1.mp4"), ("job-2", "s3://footage/cam b/take 2.mp4")]
    dialog = MarkerExportDialog(jobs, pairs, pool=pool, start_folder=tmp_path)
    qtbot.addWidget(dialog)
    assert dialog.windowTitle() == "Export markers of 2 videos"
    assert dialog.outputEdit.text() == str(tmp_path / "markers")
    qtbot.waitUntil(lambda: dialog.count == 4, timeout=10_000)
    assert dialog.previewLabel.text() == "4 markers will be written for 2 videos."
    dialog.set_format("otio")
    with qtbot.waitSignal(dialog.exported, timeout=10_000):
        dialog.exportButton.click()
    assert sorted(p.name for p in (tmp_path / "markers").iterdir()) == ["take_1.otio", "take_2.otio"]
    assert otio_read(tmp_path / "markers" / "take_2.otio", "otio_json").name == "cam b/take 2.mp4"


def test_an_error_is_shown_and_the_dialog_stays_open(qtbot, jobs, pool, tmp_path):
    dialog = MarkerExportDialog(jobs, [("job-1", "s3://footage/cam a/take 1.mp4")], pool=pool, start_folder=tmp_path)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.count == 3, timeout=10_000)
    dialog.startTimecode.setText("99:99")
    dialog.export()
    qtbot.waitUntil(lambda: dialog.last_message is not None, timeout=10_000)
    assert dialog.statusLabel.text().startswith("Invalid timecode")
    assert dialog.isVisible()
    assert list(tmp_path.glob("*.edl")) == [] and not Path(dialog.outputEdit.text()).exists()


def test_a_rounded_frame_rate_is_noted(qtbot, store, pool, tmp_path):
    store_pages(store, "job-vfr", [segments_page(LABELS, 29.6)])
    dialog = MarkerExportDialog(store, [("job-vfr", "s3://footage/phone.mp4")], pool=pool, start_folder=tmp_path)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.count is not None, timeout=10_000)
    assert "29.6 frames per second" in dialog.noteLabel.text() and not dialog.noteLabel.isHidden()


def test_a_job_without_segments_says_so_in_the_preview(qtbot, store, pool, tmp_path):
    store_pages(store, "job-t", [segments_page(LABELS, 25.0)], "TIMESTAMPS")
    dialog = MarkerExportDialog(store, [("job-t", "s3://footage/x.mp4")], pool=pool, start_folder=tmp_path)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.count is not None, timeout=10_000)
    assert dialog.count == 0
    assert "No segments stored" in dialog.previewLabel.text()
    assert not dialog.exportButton.isEnabled()


def test_the_results_window_opens_it(qtbot, jobs, pool, tmp_path, wait_pool):
    from gui.qt.results_window import ResultsView

    view = ResultsView(jobs, "job-1", video_uri="s3://footage/cam a/take 1.mp4", pool=pool)
    qtbot.addWidget(view)
    button = view.findChild(QPushButton, "exportMarkersButton")
    assert button is not None and button.text() == "Export markers…"
    dialog = view.export_markers()
    assert isinstance(dialog, MarkerExportDialog) and dialog.isVisible()
    assert dialog.jobs == [("job-1", "s3://footage/cam a/take 1.mp4")]
    qtbot.waitUntil(lambda: dialog.count == 3, timeout=10_000)
    dialog.reject()
    qtbot.waitUntil(lambda: view.findChild(MarkerExportDialog) is None, timeout=5_000)  # not piled up


def test_a_format_that_cannot_carry_the_videos_rate_is_said_before_exporting(qtbot, store, pool, tmp_path):
    """A 15 fps screen recording: the EDL (OpenTimelineIO's timecode knows only standard rates) is refused in
    the preview with the formats that work, and choosing one of those enables the export again."""
    store_pages(store, "job-15", [segments_page(LABELS, 15.0, key="screen/rec.mp4")])
    dialog = MarkerExportDialog(store, [("job-15", "s3://footage/screen/rec.mp4")], pool=pool, start_folder=tmp_path)
    qtbot.addWidget(dialog)
    assert dialog.fmt == "edl"  # the first format
    qtbot.waitUntil(lambda: dialog.count is not None, timeout=10_000)
    assert dialog.count == 3  # the two Car segments merge
    assert "Frame rate not supported by this format" in dialog.previewLabel.text()
    assert "screen/rec.mp4 runs at 15 fps" in dialog.previewLabel.text()
    assert not dialog.exportButton.isEnabled()
    _counted(qtbot, dialog, lambda: dialog.set_format("resolve-edl"))
    assert "not supported" not in dialog.previewLabel.text() and dialog.exportButton.isEnabled()
    dialog.outputEdit.setText(str(tmp_path / "rec.edl"))
    with qtbot.waitSignal(dialog.exported, timeout=10_000):
        dialog.exportButton.click()
    assert "01:00:00:00" in (tmp_path / "rec.edl").read_text()
