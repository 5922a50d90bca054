"""The Library view: lists, sorts, filters, streams, latest search wins, exports and opens moments."""

from __future__ import annotations

import csv
import io
import time

import pytest
from library_support import det, downgrade_to_before_the_index, finished_record, store_job
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QTableView

from gui.core.paths import AppPaths
from gui.core.results_store import ResultsStore

PETS = ("Animals and Pets",)


@pytest.fixture
def paths(tmp_path):
    return AppPaths(tmp_path, tmp_path / "config", tmp_path / "cache", tmp_path / "logs").ensure()


@pytest.fixture
def filled(paths):
    with ResultsStore(paths.results_db) as store:
        store_job(store, "j1", "s3://home/family/dog.mp4", [det(0, "Dog", 95, cats=PETS), det(3000, "Dog", 70)],
                  duration_ms=30_000)
        store_job(store, "j2", "s3://home/family/cat.mp4", [det(0, "Cat", 90), det(200, "Beach", 80)],
                  duration_ms=5_000)
        store_job(store, "j3", "s3://home/work/car.mp4", [det(0, "Car", 99), det(1000, "Dog", 60)],
                  duration_ms=60_000)
        store_job(store, "j4", "s3://zoo/lion.mp4", [det(0, "Lion", 99)], duration_ms=1_000)
    return paths


@pytest.fixture
def make_view(qtbot):
    from gui.qt.library_view import LibraryView

    views = []

    def make(paths, **kwargs):
        view = LibraryView(paths, **kwargs)
        qtbot.addWidget(view)
        views.append(view)
        with qtbot.waitSignal(view.searchFinished, timeout=20_000):
            view.start()
        return view

    yield make
    for view in views:
        view.shutdown()


def search(qtbot, view, text):
    with qtbot.waitSignal(view.searchFinished, timeout=20_000) as blocker:
        view.set_query(text)
    return blocker.args[0]


def uris(view):
    return [m.uri for m in view.matches()]


def test_object_names_and_every_video_listed(filled, make_view):
    view = make_view(filled)
    assert view.objectName() == "libraryView"
    assert view.findChild(QLineEdit, "librarySearchEdit") is view.searchEdit
    assert view.findChild(QTableView, "libraryResults") is view.resultsTable
    assert uris(view) == ["s3://home/family/cat.mp4", "s3://home/family/dog.mp4", "s3://home/work/car.mp4",
                          "s3://zoo/lion.mp4"]
    assert view.caption.text() == "All 4 analysed videos"


def test_rows_sort_by_any_column(qtbot, filled, make_view):
    view = make_view(filled)
    view.resultsTable.sortByColumn(1, Qt.SortOrder.DescendingOrder)  # duration
    assert [m.duration_ms for m in view.matches()] == [60_000, 30_000, 5_000, 1_000]
    view.resultsTable.sortByColumn(4, Qt.SortOrder.AscendingOrder)  # labels
    assert [m.label_count for m in view.matches()] == [1, 1, 2, 2]


def test_search_as_you_type_and_moments_of_the_current_video(qtbot, filled, make_view):
    view = make_view(filled)
    with qtbot.waitSignal(view.searchFinished, timeout=20_000):
        qtbot.keyClicks(view.searchEdit, "Dog>=90")
    assert uris(view) == ["s3://home/family/dog.mp4"]
    assert view.caption.text() == "1 of 4 videos match"
    view.select_rows([0])
    assert view.momentsModel.rowCount() == 1
    assert view.momentsModel.item(0).confidence == 95.0


def test_the_filters_narrow_by_bucket_prefix_and_date(qtbot, filled, make_view):
    view = make_view(filled)
    assert [view.bucketCombo.itemText(i) for i in range(view.bucketCombo.count())] == ["All buckets", "home", "zoo"]
    with qtbot.waitSignal(view.searchFinished, timeout=20_000):
        view.bucketCombo.setCurrentIndex(2)
    assert uris(view) == ["s3://zoo/lion.mp4"]
    view.bucketCombo.setCurrentIndex(1)
    with qtbot.waitSignal(view.searchFinished, timeout=20_000):
        view.prefixEdit.setText("family/")
    assert uris(view) == ["s3://home/family/cat.mp4", "s3://home/family/dog.mp4"]
    with qtbot.waitSignal(view.searchFinished, timeout=20_000):
        view.sinceEdit.setDate(view.sinceEdit.date().currentDate().addDays(1))
        view.sinceCheck.setChecked(True)
    assert uris(view) == []
    assert view.caption.text() == "No video matches the filters (of 4 in the library)."


def test_the_latest_search_wins(qtbot, filled, make_view):
    view = make_view(filled)
    view.set_query("Dog")
    view.set_query("Lion OR Cat")
    with qtbot.waitSignal(view.searchFinished, timeout=20_000) as blocker:
        view.set_query("Car")
    assert blocker.args == [1]
    qtbot.wait(200)  # any older search that still reports is ignored
    assert uris(view) == ["s3://home/work/car.mp4"]


def test_a_bad_query_keeps_the_list_and_says_where(qtbot, filled, make_view):
    view = make_view(filled)
    search(qtbot, view, "Dog")
    assert search(qtbot, view, "Dog OR") == -1
    assert uris(view) == ["s3://home/family/dog.mp4", "s3://home/work/car.mp4"]
    assert "at character 7" in view.messageBar.text() and "last valid search" in view.messageBar.text()
    assert search(qtbot, view, "Dog OR Lion") == 3
    assert view.messageBar.text() == ""


def test_no_match_says_so(qtbot, filled, make_view):
    view = make_view(filled)
    assert search(qtbot, view, "Unicorn") == 0
    assert view.caption.text() == "No video matches “Unicorn” (of 4 in the library)."


def test_an_empty_library_says_how_videos_get_there(paths, make_view):
    view = make_view(paths)
    assert "No analysed videos yet" in view.caption.text()


def test_results_stream_in_batches(qtbot, paths, make_view, monkeypatch):
    import gui.qt.library_view as library_view

    monkeypatch.setattr(library_view, "BATCH_ROWS", 100)
    monkeypatch.setattr(library_view, "BATCH_SECONDS", 60.0)
    with ResultsStore(paths.results_db) as store:
        for i in range(450):
            store_job(store, f"j{i:03d}", f"s3://b/v{i:03d}.mp4", [det(0, "Dog", 90)])
    view = make_view(paths)
    inserted = []
    view.videosModel.rowsInserted.connect(lambda _p, first, last: inserted.append(last - first + 1))
    assert search(qtbot, view, "Dog") == 450
    assert len(view.matches()) == 450
    assert inserted == [1, 100, 100, 100, 100, 49]  # the first match alone, then batches


def test_export_writes_the_selected_videos_moments(qtbot, filled, make_view, tmp_path):
    view = make_view(filled)
    search(qtbot, view, "Dog OR Car")
    assert uris(view) == ["s3://home/family/dog.mp4", "s3://home/work/car.mp4"]
    assert not view.exportButton.isEnabled()  # nothing selected yet
    view.select_rows([0, 1])
    assert view.exportButton.isEnabled()
    target = tmp_path / "moments.csv"
    with qtbot.waitSignal(view.exported, timeout=20_000) as blocker:
        assert view.export_moments(str(target))
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert blocker.args == [str(target), 4]
    assert [(r["bucket"], r["key"], r["job_id"], r["label"], r["start_ms"], r["end"], r["confidence"])
            for r in rows] == [
        ("home", "family/dog.mp4", "j1", "Dog", "0", "00:00:00.000", "95.000"),
        ("home", "family/dog.mp4", "j1", "Dog", "3000", "00:00:03.000", "70.000"),
        ("home", "work/car.mp4", "j3", "Car", "0", "00:00:00.000", "99.000"),
        ("home", "work/car.mp4", "j3", "Dog", "1000", "00:00:01.000", "60.000"),
    ]


def test_the_selected_moments_export_as_editor_markers(qtbot, filled, make_view, tmp_path):
    """Two matching videos, four moments: the marker dialog is given those moments (not the jobs' segments,
    which these TIMESTAMPS-only jobs lack), one marker each, one file per video; read back with OTIO."""
    import opentimelineio as otio

    view = make_view(filled)
    search(qtbot, view, "Dog OR Car")
    assert not view.markersButton.isEnabled()  # nothing selected yet
    view.select_rows([0, 1])
    assert view.markersButton.isEnabled() and view.markersButton.objectName() == "libraryMarkersButton"
    dialog = view.export_markers()
    assert dialog is not None and dialog.isVisible()
    try:
        assert dialog.windowTitle() == "Export 4 moments of 2 videos as markers"
        assert dialog.mergeGap.value() == 0  # one marker per moment unless asked otherwise
        assert dialog.sourceLabel.text().startswith("The 4 moments your Library search matched, one marker each")
        qtbot.waitUntil(lambda: dialog.count == 4, timeout=10_000)
        dialog.set_format("otio")
        dialog.outputEdit.setText(str(tmp_path / "edit"))
        with qtbot.waitSignal(dialog.exported, timeout=20_000) as blocker:
            dialog.exportButton.click()
    finally:
        dialog.close()
    assert blocker.args[0].marker_count == 4
    assert sorted(p.name for p in (tmp_path / "edit").iterdir()) == ["car.otio", "dog.otio"]
    found = {}
    for name in ("dog", "car"):
        timeline = otio.adapters.read_from_file(str(tmp_path / "edit" / f"{name}.otio"))
        found[name] = [(m.name, round(m.marked_range.start_time.to_seconds(), 3), m.color, m.comment)
                       for m in timeline.tracks.markers]
    assert found["dog"] == [("Dog", 0.0, "CYAN", "Confidence max 95.0% (1 moment); Animals and Pets"),
                            ("Dog", 3.0, "CYAN", "Confidence max 70.0% (1 moment); Animals and Pets")]
    assert found["car"] == [("Car", 0.0, "WHITE", "Confidence max 99.0% (1 moment)"),
                            ("Dog", 1.0, "WHITE", "Confidence max 60.0% (1 moment)")]  # j3's Dog: no category
    assert "Exported 4 markers to 2 files" in view.statusLabel.text()
    # the CLI's search --markers writes the same files from the same data folder
    from gui.cli import main

    out, err = io.StringIO(), io.StringIO()
    assert main(["search", "Dog OR Car", "--markers", "otio", "-o", str(tmp_path / "cli"),
                 "--data-dir", str(filled.data_dir)], stdout=out, stderr=err) == 0, err.getvalue()
    for name in ("dog.otio", "car.otio"):
        assert (tmp_path / "cli" / name).read_text() == (tmp_path / "edit" / name).read_text()


def test_a_moment_opens_the_jobs_results_there(qtbot, filled, make_view):
    view = make_view(filled)
    search(qtbot, view, "Dog")
    view.select_rows([1])  # work/car.mp4: Dog at 1 s
    assert view.momentsModel.video.job_id == "j3"
    with qtbot.waitSignal(view.momentOpened, timeout=10_000) as blocker:
        view.momentsTable.setFocus()
        view.momentsTable.setCurrentIndex(view.momentsModel.index(0, 0))
        qtbot.keyClick(view.momentsTable, Qt.Key.Key_Return)
    assert blocker.args == ["j3", 1000]
    window = view._windows["j3"]
    qtbot.addWidget(window)
    assert window.view.job_id == "j3" and window.view.searchEdit.text() == "Dog"
    assert "Dog at 00:00:01" in window.view.statusLabel.text()
    view.resultsPool.waitForDone(10_000)
    # the open window follows the moment chosen next in the list
    search(qtbot, view, "Dog OR Car")
    view.select_rows([1])
    assert [m.label for m in view.momentsModel._rows] == ["Car", "Dog"]
    view.momentsTable.setCurrentIndex(view.momentsModel.index(0, 0))
    assert "Car at 00:00:00" in window.view.statusLabel.text()
    view.resultsPool.waitForDone(10_000)


def test_keyboard_only_from_the_search_to_a_moment(qtbot, filled, make_view):
    view = make_view(filled)
    view.show()
    search(qtbot, view, "Cat")
    view.focus_search()
    qtbot.keyClick(view.searchEdit, Qt.Key.Key_Return)  # -> the videos
    assert view.resultsTable.hasFocus() or view.focusWidget() is view.resultsTable
    view.resultsTable.setCurrentIndex(view.videosModel.index(0, 0))
    qtbot.keyClick(view.resultsTable, Qt.Key.Key_Return)  # -> its moments
    assert view.focusWidget() is view.momentsTable


def test_a_job_removed_from_the_list_leaves_the_view(qtbot, filled, make_view):
    from gui.core.jobstore import JobStore

    jobs = JobStore(filled.jobs_db)
    try:
        record = finished_record(jobs, "zoo", "lion.mp4", "j4", preset="Wildlife")
        view = make_view(filled)
        lion = [m for m in view.matches() if m.job_id == "j4"]
        assert lion and lion[0].preset == "Wildlife"
        jobs.remove(record.id)
        assert search(qtbot, view, "") == 3
        assert "s3://zoo/lion.mp4" not in uris(view)
    finally:
        jobs.close()


def test_an_old_cache_is_indexed_with_progress_when_the_view_opens(paths, make_view):
    with ResultsStore(paths.results_db) as store:
        for i in range(3):
            store_job(store, f"j{i}", f"s3://b/v{i}.mp4", [det(0, "Dog", 90)])
    downgrade_to_before_the_index(paths.results_db)
    started = time.monotonic()
    view = make_view(paths)
    assert len(view.matches()) == 3 and time.monotonic() - started < 20
    assert (view.progressBar.maximum(), view.progressBar.value()) == (3, 3)
    assert not view.progressBar.isVisible()


def test_an_old_cache_is_indexed_after_start_up_without_opening_the_library(qtbot, data_dir, monkeypatch):
    """After an upgrade the window indexes the old cache by itself (after start-up, on a worker, progress in
    the status bar); the Library tab is not built for it, and opening it later finds the work done."""
    import gui.qt.main_window as main_window
    from gui.app import create_window
    from gui.core.library import Library

    with ResultsStore(data_dir / "results.sqlite3") as store:
        for i in range(4):
            store_job(store, f"j{i}", f"s3://b/old{i}.mp4", [det(0, "Dog", 90)])
    downgrade_to_before_the_index(data_dir / "results.sqlite3")
    monkeypatch.setattr(main_window, "LIBRARY_INDEX_DELAY_MS", 50)
    window = create_window(["--data-dir", str(data_dir)])
    qtbot.addWidget(window)
    progress = []
    window.libraryTab.indexProgress.connect(lambda done, total: progress.append((done, total)))
    with qtbot.waitSignal(window.libraryTab.indexFinished, timeout=30_000) as blocker:
        window.show()
    assert blocker.args == [4]
    assert progress[0] == (0, 4) and progress[-1] == (4, 4)
    assert window.statusBar().currentMessage() == "Library ready: 4 stored jobs indexed for search."
    assert window.libraryTab._view is None  # the tab itself was not built for it
    with ResultsStore(data_dir / "results.sqlite3") as store:
        library = Library.for_store(store)
        assert library.pending() == [] and len(list(library.search("Dog"))) == 4
        library.close()
    # a second start has nothing left to index and says nothing about it
    window.close()
    again = create_window(["--data-dir", str(data_dir)])
    qtbot.addWidget(again)
    with qtbot.waitSignal(again.libraryTab.indexFinished, timeout=30_000) as blocker:
        again.show()
    assert blocker.args == [0] and "Library ready" not in again.statusBar().currentMessage()
    again.close()


def test_a_corrupt_cache_found_by_the_start_up_indexing_is_reported(qtbot, data_dir, monkeypatch):
    """The indexing may be the first to open the results cache: a corrupt file it keeps aside is said in the
    status bar and in the Library when it opens (the view's own opening then finds a healthy new file)."""
    import gui.qt.main_window as main_window
    from gui.app import create_window

    (data_dir / "results.sqlite3").write_bytes(b"this is not a database" * 100)
    monkeypatch.setattr(main_window, "LIBRARY_INDEX_DELAY_MS", 50)
    window = create_window(["--data-dir", str(data_dir)])
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.libraryTab.indexFinished, timeout=30_000):
        window.show()
    message = window.statusBar().currentMessage()
    assert message.startswith("Results cache: The results cache") and "could not be read" in message
    kept = [p.name for p in data_dir.iterdir() if p.name.startswith("results.sqlite3.corrupt-")]
    assert len(kept) == 1 and kept[0] in message
    window.tabs.setCurrentWidget(window.libraryTab)
    view = window.libraryTab.view
    qtbot.waitUntil(lambda: view.opened is not None, timeout=20_000)
    assert kept[0] in view.messageBar.label.text() and view.messageBar.isVisible()
    window.close()


def test_the_main_window_has_a_library_tab(qtbot, data_dir):
    from gui.app import create_window

    window = create_window(["--data-dir", str(data_dir)])
    qtbot.addWidget(window)
    window.show()
    assert window.tabs.tabText(1) == "&Library"
    assert window.findChild(QTableView, "libraryResults") is None  # built when first shown
    [find] = [a for a in window.menuBar().actions()[0].menu().actions() if "Library" in a.text()]
    find.trigger()
    assert window.tabs.currentWidget() is window.libraryTab
    view = window.libraryTab.view
    qtbot.waitUntil(lambda: view.opened is not None, timeout=20_000)
    assert window.findChild(QLineEdit, "librarySearchEdit") is view.searchEdit
    # the window's F5 and Ctrl+F serve the Library while its tab is shown
    qtbot.waitUntil(lambda: not view.searching, timeout=20_000)
    with qtbot.waitSignal(view.searchFinished, timeout=20_000):
        window.refresh_all()
    view.resultsTable.setFocus()
    window.focus_label_search()
    assert view.searchEdit.hasFocus() or window.focusWidget() is view.searchEdit
    window.close()


def test_refresh_shows_results_stored_meanwhile(qtbot, filled, make_view):
    view = make_view(filled)
    assert search(qtbot, view, "Bird") == 0
    with ResultsStore(filled.results_db) as store:
        store_job(store, "j9", "s3://home/birds/robin.mp4", [det(0, "Bird", 90)])
    with qtbot.waitSignal(view.searchFinished, timeout=20_000) as blocker:
        view.refresh()
    assert blocker.args == [1] and uris(view) == ["s3://home/birds/robin.mp4"]


def test_rows_streamed_under_another_sort_land_in_order_and_keep_the_selection(qtbot, filled, make_view,
                                                                              monkeypatch):
    import gui.qt.library_view as library_view

    monkeypatch.setattr(library_view, "BATCH_ROWS", 1)  # every match a batch of its own
    view = make_view(filled)
    view.resultsTable.sortByColumn(1, Qt.SortOrder.DescendingOrder)
    view.select_rows([1])  # dog.mp4, 30 s
    assert view.selected_matches()[0].key == "family/dog.mp4"
    assert search(qtbot, view, "NOT Unicorn") == 4
    assert [m.duration_ms for m in view.matches()] == [60_000, 30_000, 5_000, 1_000]
    assert [m.key for m in view.selected_matches()] == ["family/dog.mp4"]
    view.resultsTable.sortByColumn(0, Qt.SortOrder.AscendingOrder)  # back to bucket, key
    assert [m.key for m in view.matches()] == ["family/cat.mp4", "family/dog.mp4", "work/car.mp4", "lion.mp4"]
    assert [m.key for m in view.selected_matches()] == ["family/dog.mp4"]
