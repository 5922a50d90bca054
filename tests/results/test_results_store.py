"""The results cache: schema version and migrations, corrupt files kept aside, newer files refused,
and the sort/search/paging queries the views use."""

from __future__ import annotations

import re
import sqlite3
import threading

import pytest
from results_support import SCRIPT_SIZE, script

from gui.core import results_store as results_module
from gui.core import sqlite_store
from gui.core.errors import explain
from gui.core.results_store import (
    SCHEMA_VERSION,
    SEGMENTS,
    TIMESTAMPS,
    ResultsStore,
    ResultsStoreError,
    ResultSummary,
)


def _page(labels, token=None):
    page = {
        "JobStatus": "SUCCEEDED",
        "VideoMetadata": {"Codec": "h264", "DurationMillis": 60_000, "Format": "QuickTime / MOV", "FrameRate": 30.0},
        "Labels": labels,
        "LabelModelVersion": "3.0",
        "JobId": "job-1",
        "Video": {"S3Object": {"Bucket": "b", "Name": "v.mp4"}},
        "ResponseMetadata": {"HTTPStatusCode": 200},
    }
    if token:
        page["NextToken"] = token
    return page


def _store_pages(store, job_id, pages, aggregation=TIMESTAMPS):
    rid = store.begin_result(job_id, aggregation)
    for n, page in enumerate(pages):
        store.add_page(rid, n, page)
    store.complete_result(rid, pages[-1])


def _labels(n):
    items = script(n)
    for item in items:
        item["Label"].setdefault("Categories", [{"Name": "Scripted " + item["Label"]["Name"][0]}])
    return items


@pytest.fixture
def filled(store):
    items = _labels(SCRIPT_SIZE)
    _store_pages(store, "job-1", [_page(items[:1000], "t1"), _page(items[1000:2000], "t2"), _page(items[2000:])])
    return store, items


def test_a_new_store_has_the_current_schema_and_wal(tmp_path):
    with ResultsStore(tmp_path / "r.sqlite3") as store:
        assert store.schema_version == SCHEMA_VERSION
        assert store.problem is None
        mode = store._db().execute("PRAGMA journal_mode").fetchone()[0]
        assert mode.lower() == "wal"
        assert store._db().execute("PRAGMA busy_timeout").fetchone()[0] >= 1000


def test_results_survive_reopening(tmp_path, filled):
    store, _ = filled
    path = store.path
    store.close()
    with ResultsStore(path) as again:
        assert again.summary("job-1").detection_count == SCRIPT_SIZE
        assert again.job_ids() == ["job-1"]


def test_migrations_run_in_order_and_in_a_transaction(tmp_path, monkeypatch):
    path = tmp_path / "r.sqlite3"
    with ResultsStore(path):
        pass
    # a hypothetical next version adds a column; the data of the current version must survive
    monkeypatch.setattr(results_module, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    monkeypatch.setitem(results_module._MIGRATIONS, SCHEMA_VERSION, "ALTER TABLE jobs ADD COLUMN note TEXT")
    with ResultsStore(path) as store:
        assert store.schema_version == SCHEMA_VERSION + 1
        assert store.backup is not None and store.backup.name == f"r.sqlite3.bak-v{SCHEMA_VERSION}"
        columns = [r[1] for r in store._db().execute("PRAGMA table_info(jobs)")]
        assert "note" in columns


def test_a_failing_migration_changes_nothing(tmp_path, monkeypatch):
    path = tmp_path / "r.sqlite3"
    with ResultsStore(path):
        pass
    monkeypatch.setattr(results_module, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    monkeypatch.setitem(
        results_module._MIGRATIONS, SCHEMA_VERSION, "ALTER TABLE jobs ADD COLUMN note TEXT; THIS IS NOT SQL"
    )
    with pytest.raises(sqlite3.OperationalError):
        ResultsStore(path)
    assert path.exists() and not path.with_name(path.name + ".corrupt").exists()
    con = sqlite3.connect(path)
    try:
        assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert "note" not in [r[1] for r in con.execute("PRAGMA table_info(jobs)")]
    finally:
        con.close()


def test_a_corrupt_file_is_kept_aside_and_reported(tmp_path):
    path = tmp_path / "r.sqlite3"
    garbage = b"this is not an SQLite database\n" * 200
    path.write_bytes(garbage)
    with ResultsStore(path) as store:
        assert store.kept_aside is not None
        assert re.fullmatch(r"r\.sqlite3\.corrupt-\d{8}T\d{12}Z", store.kept_aside.name)
        assert store.kept_aside.read_bytes() == garbage
        assert f"kept as '{store.kept_aside.name}'" in store.problem
        assert store.schema_version == SCHEMA_VERSION  # a fresh, working cache
        assert store.job_ids() == []


def test_a_file_from_a_newer_version_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "r.sqlite3"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE future (x)")
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    con.commit()
    con.close()
    before = path.read_bytes()
    with pytest.raises(ResultsStoreError) as info:
        ResultsStore(path)
    assert "newer version" in explain(info.value).title
    assert path.read_bytes() == before
    assert not path.with_name(path.name + ".corrupt").exists()


def test_summary_and_label_figures(filled):
    store, items = filled
    summary = store.summary("job-1")
    assert (summary.detection_count, summary.label_count, summary.page_count) == (SCRIPT_SIZE, 7, 3)
    assert summary.video_metadata["DurationMillis"] == 60_000
    assert summary.video_uri == "s3://b/v.mp4" and summary.label_model_version == "3.0"
    dogs = [i for i in items if i["Label"]["Name"] == "Dog"]
    dog = next(r for r in store.label_summary("job-1") if r.label == "Dog")
    assert dog.occurrences == len(dogs)
    assert dog.max_confidence == pytest.approx(max(i["Label"]["Confidence"] for i in dogs))
    assert dog.mean_confidence == pytest.approx(sum(i["Label"]["Confidence"] for i in dogs) / len(dogs))
    assert dog.first_ms == min(i["Timestamp"] for i in dogs)
    assert dog.last_ms == max(i["Timestamp"] for i in dogs)
    assert dog.categories == ("Scripted D",)


@pytest.mark.parametrize(
    ("sort", "key"),
    [
        ("confidence", lambda i: i["Label"]["Confidence"]),
        ("label", lambda i: i["Label"]["Name"].lower()),
        ("timestamp", lambda i: i["Timestamp"]),
        ("instances", lambda i: len(i["Label"].get("Instances") or [])),
    ],
)
def test_sorting_both_ways(filled, sort, key):
    store, items = filled
    for descending in (False, True):
        rows = store.detections("job-1", sort=sort, descending=descending)
        values = [key(i) for i in items]
        assert len(rows) == SCRIPT_SIZE
        got = [
            {"confidence": d.confidence, "label": d.label.lower(), "timestamp": d.timestamp_ms, "instances": d.instance_count}[
                sort
            ]
            for d in rows
        ]
        assert got == sorted(values, reverse=descending)
        ids = store.detection_ids("job-1", sort=sort, descending=descending)
        assert list(ids) == [d.id for d in rows]


def test_search_matches_labels_and_categories_case_insensitively(filled):
    store, items = filled
    assert store.count_detections("job-1", search="dog") == sum(i["Label"]["Name"] == "Dog" for i in items)
    assert store.count_detections("job-1", search="scripted b") == sum(
        i["Label"]["Name"] in ("Bicycle", "Building") for i in items
    )
    assert store.count_detections("job-1", search="no such thing") == 0
    # LIKE wildcards are literal
    assert store.count_detections("job-1", search="%") == 0
    assert store.count_detections("job-1", search="_") == 0


def test_paging_is_a_window_of_the_full_order(filled):
    store, _ = filled
    everything = store.detections("job-1", sort="confidence", descending=True, search="a")
    window = store.detections("job-1", sort="confidence", descending=True, search="a", offset=700, limit=250)
    assert window == everything[700:950]
    ids = store.detection_ids("job-1", sort="confidence", descending=True, search="a")
    assert store.detections_by_id(list(ids[700:950])) == window


def test_unknown_sort_column_and_aggregation_are_rejected(filled):
    store, _ = filled
    with pytest.raises(ValueError):
        store.detections("job-1", sort="id; DROP TABLE detections")
    with pytest.raises(ValueError):
        store.detections("job-1", "FRAMES")
    with pytest.raises(ResultsStoreError):
        store.detections("job-1", SEGMENTS)  # not stored


def test_delete_job(filled):
    store, _ = filled
    store.delete_job("job-1")
    assert store.summary("job-1") is None
    assert store._db().execute("SELECT COUNT(*) FROM detections").fetchone()[0] == 0


def test_reading_from_several_threads_while_writing(filled):
    store, _ = filled
    errors = []

    def read() -> None:
        try:
            for _ in range(20):
                assert store.count_detections("job-1") == SCRIPT_SIZE
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            store.release_connection()

    threads = [threading.Thread(target=read) for _ in range(3)]
    for t in threads:
        t.start()
    _store_pages(store, "job-2", [_page(_labels(300))])
    for t in threads:
        t.join()
    assert errors == []
    assert store.job_ids() == ["job-1", "job-2"]


def _detection(ms, name, *, aliases=(), categories=(), parents=()):
    return {
        "Timestamp": ms,
        "Label": {
            "Name": name,
            "Confidence": 90.0,
            "Aliases": [{"Name": a} for a in aliases],
            "Categories": [{"Name": c} for c in categories],
            "Parents": [{"Name": p} for p in parents],
            "Instances": [],
        },
    }


@pytest.fixture
def named(store):
    """Three labels whose alias, category and parent names appear nowhere else."""
    items = [
        _detection(0, "Automobile", aliases=("Motorcar",), categories=("Vehicles and Automotive",),
                   parents=("Transportation",)),
        _detection(40, "Golden Retriever", aliases=("Yellow Retriever",), categories=("Animals and Pets",),
                   parents=("Dog", "Mammal")),
        _detection(80, "Automobile", aliases=("Motorcar",), categories=("Vehicles and Automotive",),
                   parents=("Transportation",)),
        _detection(120, "Oak", categories=("Nature and Outdoors",), parents=("Plant",)),
    ]
    _store_pages(store, "job-n", [_page(items)])
    return store


@pytest.mark.parametrize(
    ("search", "labels"),
    [
        ("motorcar", ["Automobile", "Automobile"]),  # an alias
        ("YELLOW retr", ["Golden Retriever"]),  # an alias, any case
        ("animals and pets", ["Golden Retriever"]),  # a category
        ("outdoors", ["Oak"]),  # a category
        ("mammal", ["Golden Retriever"]),  # a parent
        ("transportation", ["Automobile", "Automobile"]),  # a parent
        ("plant", ["Oak"]),  # a parent
        ("oak", ["Oak"]),  # the name itself
        ("retriever motorcar", []),  # one phrase, not a list of words
    ],
)
def test_search_finds_a_label_by_alias_category_or_parent(named, search, labels):
    assert [d.label for d in named.detections("job-n", search=search)] == labels
    assert named.count_detections("job-n", search=search) == len(labels)
    assert len(named.detection_ids("job-n", search=search)) == len(labels)


def test_stored_detections_keep_aliases_categories_and_parents(named):
    [dog] = named.detections("job-n", search="retriever")
    assert (dog.aliases, dog.categories, dog.parents) == (("Yellow Retriever",), ("Animals and Pets",),
                                                          ("Dog", "Mammal"))


# -- two fetches of one job at once ------------------------------------------------------------------------


class Clock:
    def __init__(self, now=1_000_000.0):
        self.now = now

    def __call__(self):
        return self.now


def _begin_with_pages(store, job_id, labels):
    rid = store.begin_result(job_id, TIMESTAMPS)
    store.add_page(rid, 0, _page(labels))
    return rid


def _stored_rows(store):
    con = store._db()
    return {
        "results": con.execute("SELECT result_id, complete FROM results ORDER BY result_id").fetchall(),
        "pages": con.execute("SELECT result_id, page_no FROM pages ORDER BY result_id, page_no").fetchall(),
        "detections": con.execute("SELECT DISTINCT result_id FROM detections ORDER BY result_id").fetchall(),
    }


def test_a_fetch_never_removes_another_fetchs_live_partial_result(tmp_path):
    clock = Clock()
    with ResultsStore(tmp_path / "r.sqlite3", clock=clock) as store:
        first = _begin_with_pages(store, "job-1", _labels(10))
        clock.now += results_module.STALE_PARTIAL_SECONDS - 1  # the first fetch is slow, not dead
        second = _begin_with_pages(store, "job-1", _labels(20))
        assert second > first
        assert _stored_rows(store)["results"] == [(first, 0), (second, 0)]
        store.add_page(first, 1, _page(_labels(5)))  # the first fetch can go on writing


def test_a_partial_result_left_by_a_dead_fetch_is_removed_by_the_next_fetch(tmp_path):
    clock = Clock()
    with ResultsStore(tmp_path / "r.sqlite3", clock=clock) as store:
        dead = _begin_with_pages(store, "job-1", _labels(10))
        dead_other_job = _begin_with_pages(store, "job-3", _labels(10))
        clock.now += results_module.STALE_PARTIAL_SECONDS / 2
        live = _begin_with_pages(store, "job-2", _labels(10))
        clock.now += results_module.STALE_PARTIAL_SECONDS / 2 + 1
        fresh = store.begin_result("job-1", TIMESTAMPS)
        rows = _stored_rows(store)
        assert dead_other_job not in [rid for rid, _ in rows["results"]]  # any job's dead leftovers go
        assert rows["results"] == [(live, 0), (fresh, 0)]  # a partial result written to recently stays
        assert rows["pages"] == [(live, 0)] and rows["detections"] == [(live,)]
        with pytest.raises(ResultsStoreError):
            store.add_page(dead, 1, _page(_labels(5)))  # a late writer cannot bring it back


@pytest.mark.parametrize("order", ["first completes first", "second completes first"])
def test_the_fetch_that_started_last_is_kept_and_the_other_discarded(tmp_path, order):
    with ResultsStore(tmp_path / "r.sqlite3") as store:
        first = _begin_with_pages(store, "job-1", _labels(10))
        second = _begin_with_pages(store, "job-1", _labels(20))
        if order == "first completes first":
            assert store.complete_result(first, _page([])) is True
            assert store.result_id("job-1") == first
            assert store.complete_result(second, _page([])) is True
        else:
            assert store.complete_result(second, _page([])) is True
            assert store.complete_result(first, _page([])) is False  # the loser's pages are discarded
        assert store.result_id("job-1") == second
        assert store.summary("job-1").detection_count == 20
        rows = _stored_rows(store)
        assert rows == {"results": [(second, 1)], "pages": [(second, 0)], "detections": [(second,)]}


def test_result_ids_are_never_reused(tmp_path):
    with ResultsStore(tmp_path / "r.sqlite3") as store:
        rid = _begin_with_pages(store, "job-1", _labels(3))
        store.discard_result(rid)
        again = store.begin_result("job-1", TIMESTAMPS)
        assert again > rid
        store.complete_result(again, _page([]))
        store.delete_job("job-1")
        assert store.begin_result("job-1", TIMESTAMPS) > again


def test_a_complete_result_is_not_discarded_and_cannot_be_completed_twice(tmp_path):
    with ResultsStore(tmp_path / "r.sqlite3") as store:
        rid = _begin_with_pages(store, "job-1", _labels(3))
        store.complete_result(rid, _page([]))
        store.discard_result(rid)
        assert store.result_id("job-1") == rid
        with pytest.raises(ResultsStoreError):
            store.complete_result(rid, _page([]))
        with pytest.raises(ResultsStoreError):
            store.add_page(rid, 5, _page(_labels(1)))  # pages go to partial results only


def _v1_cache(path):
    """A results cache as version 1 wrote it: one complete result, and the pages of a result that the
    race of two fetches deleted (orphans)."""
    con = sqlite3.connect(path)
    for statement in sqlite_store.statements(results_module._MIGRATIONS[0]):
        con.execute(statement)
    con.execute("INSERT INTO results(result_id, job_id, aggregation, complete, page_count, detection_count,"
                " label_count, started_at) VALUES (7, 'job-1', 'TIMESTAMPS', 1, 1, 1, 1, 'x')")
    con.execute("INSERT INTO pages VALUES (7, 0, '{}'), (8, 0, '{}')")
    con.execute("INSERT INTO detections(result_id, timestamp_ms, label, confidence, instance_count, categories,"
                " parents, aliases, instances) VALUES (7, 0, 'Dog', 90, 0, '[]', '[]', '[]', '[]'),"
                " (8, 0, 'Cat', 90, 0, '[]', '[]', '[]', '[]')")
    con.execute("PRAGMA user_version = 1")
    con.commit()
    con.close()


def test_migration_to_v2_keeps_results_drops_orphans_and_never_reuses_ids(tmp_path):
    path = tmp_path / "r.sqlite3"
    _v1_cache(path)
    with ResultsStore(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert store.backup is not None and store.backup.name == "r.sqlite3.bak-v1"
        assert store.result_id("job-1") == 7
        assert _stored_rows(store) == {"results": [(7, 1)], "pages": [(7, 0)], "detections": [(7,)]}
        rid = store.begin_result("job-1", TIMESTAMPS)
        store.discard_result(rid)
        assert store.begin_result("job-1", TIMESTAMPS) > rid > 7


def _segment(start, end, name):
    return {"Timestamp": start, "StartTimestampMillis": start, "EndTimestampMillis": end,
            "DurationMillis": end - start, "Label": {"Name": name, "Confidence": 80.0}}


def test_the_summary_of_a_job_with_both_aggregations(store):
    page = _page([_detection(0, "Dog"), _detection(40, "Dog"), _detection(80, "Cat")])
    page["JobTag"] = "batch-7"
    _store_pages(store, "job-1", [page])
    _store_pages(store, "job-1", [_page([_segment(0, 80, "Dog")])], SEGMENTS)
    assert store.summary("job-1") == ResultSummary(
        job_id="job-1",
        label_count=2,
        detection_count=3,
        video_metadata={"Codec": "h264", "DurationMillis": 60_000, "Format": "QuickTime / MOV", "FrameRate": 30.0},
        aggregations=(TIMESTAMPS, SEGMENTS),
        segment_count=1,
        page_count=1,
        video_uri="s3://b/v.mp4",
        job_tag="batch-7",
        label_model_version="3.0",
    )
    assert store.summary("job-1").duration_ms == 60_000
    assert store.summary("job-2") is None


def test_the_summary_of_a_job_with_segments_only_and_no_metadata(store):
    bare = {"JobStatus": "SUCCEEDED", "Labels": [_segment(0, 500, "Oak"), _segment(100, 900, "Oak"),
                                                _segment(0, 200, "Sky")]}
    rid = store.begin_result("job-s", SEGMENTS)
    store.add_page(rid, 0, bare)
    store.add_page(rid, 1, {"JobStatus": "SUCCEEDED", "Labels": [_segment(900, 950, "Sky")]})
    store.complete_result(rid, bare)
    assert store.summary("job-s") == ResultSummary(
        job_id="job-s", label_count=2, detection_count=4, video_metadata={}, aggregations=(SEGMENTS,),
        segment_count=4, page_count=2, video_uri="", job_tag="", label_model_version="",
    )
    assert store.summary("job-s").duration_ms == 0
    [oak, sky] = sorted(store.label_summary("job-s", SEGMENTS), key=lambda s: s.label)
    assert (oak.occurrences, oak.first_ms, oak.last_ms) == (2, 0, 900)  # SEGMENTS: the last segment's end
    assert (sky.occurrences, sky.first_ms, sky.last_ms) == (2, 0, 950)
    assert store.job_ids() == ["job-s"] and not store.has_results("job-s") and store.has_results("job-s", SEGMENTS)


def test_deleting_a_job_removes_every_row_of_it_and_nothing_else(store):
    _store_pages(store, "job-1", [_page([_detection(0, "Dog")])])
    _store_pages(store, "job-1", [_page([_segment(0, 80, "Dog")])], SEGMENTS)
    _store_pages(store, "job-2", [_page([_detection(0, "Cat")])])
    partial = store.begin_result("job-1", TIMESTAMPS)
    store.add_page(partial, 0, _page([_detection(5, "Owl")]))
    store.delete_job("job-1")
    con = store._db()
    keep = store.result_id("job-2")
    for table in ("results", "pages", "detections", "label_stats"):
        assert con.execute(f"SELECT DISTINCT result_id FROM {table}").fetchall() == [(keep,)], table
    assert con.execute("SELECT job_id FROM jobs").fetchall() == [("job-2",)]


def test_a_thread_releases_its_connection_and_gets_a_new_one_later(store):
    first = store._db()
    before = store._pool.open_count
    store.release_connection()
    with pytest.raises(sqlite3.ProgrammingError):
        first.execute("SELECT 1")  # closed
    assert store._pool.open_count == before - 1  # and no longer tracked
    again = store._db()
    assert again is not first and again.execute("SELECT 1").fetchone() == (1,)
    store.release_connection()
    store.release_connection()  # nothing left to release: no error
    store.close()
    with pytest.raises(ResultsStoreError):
        store.summary("job-1")


def test_the_results_windows_opener_tells_of_a_corrupt_cache_it_kept_aside(qtbot, tmp_path):
    """Whoever opens the cache first must say what it found: the job list's results opener included."""
    from PySide6.QtWidgets import QWidget

    from gui.core.paths import AppPaths
    from gui.qt.job_results import ResultsWindows
    from gui.qt.workers import TaskRegistry

    paths = AppPaths(tmp_path, tmp_path / "config", tmp_path / "cache", tmp_path / "logs").ensure()
    paths.results_db.write_bytes(b"not a database at all" * 200)
    owner = QWidget()
    qtbot.addWidget(owner)
    tasks = TaskRegistry(owner, name="testTasks")
    windows = ResultsWindows(paths, tasks, owner)
    with qtbot.waitSignal(windows.notice, timeout=20_000) as blocker:
        windows.prepare()
    [kept] = [p.name for p in tmp_path.iterdir() if p.name.startswith("results.sqlite3.corrupt-")]
    assert blocker.args[0].startswith("Results cache: The results cache") and kept in blocker.args[0]
    qtbot.waitUntil(lambda: windows.store is not None, timeout=5_000)
    windows.store.close()
    tasks.close()
