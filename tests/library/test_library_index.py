"""Index upkeep: same transaction as the results, refetch replaces, delete and list removal leave, an
upgraded cache is indexed once in the background with progress."""

from __future__ import annotations

import sqlite3

import pytest
from library_support import det, downgrade_to_before_the_index, finished_record, keys, store_job

from gui.core import library_index
from gui.core.library import BackfillProgress, Library
from gui.core.results_store import SCHEMA_VERSION, ResultsStore


def test_the_schema_version_includes_the_index(store):
    assert store.schema_version == SCHEMA_VERSION
    tables = {r[0] for r in store._db().execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"library_videos", "library_labels", "library_moments", "library_vocab"} <= tables


def test_storing_results_indexes_them_in_the_same_transaction(store, library, monkeypatch):
    def broken(conn, job_id, result_id):
        conn.execute("INSERT INTO library_videos(job_id) VALUES (NULL)")  # fails: NOT NULL columns

    monkeypatch.setattr(library_index, "index_result", broken)
    with pytest.raises(sqlite3.IntegrityError):
        store_job(store, "j1", "s3://b/a.mp4", [det(0, "Dog", 90)])
    assert not store.has_results("j1")  # the results rolled back with the index
    monkeypatch.undo()
    store_job(store, "j1", "s3://b/a.mp4", [det(0, "Dog", 90)])
    assert store.has_results("j1") and keys(library.search("Dog")) == ["a.mp4"]


def test_a_refetch_replaces_the_jobs_entries(store, library):
    store_job(store, "j1", "s3://b/a.mp4", [det(0, "Dog", 90), det(0, "Cat", 90)])
    store_job(store, "j1", "s3://b/a.mp4", [det(0, "Bird", 80)])
    assert keys(library.search("Dog OR Cat")) == []
    [m] = list(library.search("Bird"))
    assert m.label_count == 1 and len(m.moments) == 1
    assert store._db().execute("SELECT COUNT(*) FROM library_labels").fetchone()[0] == 1


def test_deleting_a_job_leaves_the_index(store, library):
    store_job(store, "j1", "s3://b/a.mp4", [det(0, "Dog", 90)])
    store_job(store, "j2", "s3://b/b.mp4", [det(0, "Dog", 90)])
    store.delete_job("j1")
    assert keys(library.search("Dog")) == ["b.mp4"]
    conn = store._db()
    for table in ("library_videos", "library_labels", "library_moments"):
        assert conn.execute(f"SELECT COUNT(*) FROM {table} WHERE job_id='j1'").fetchone()[0] == 0


def test_a_failed_fetch_leaves_the_index_alone(store, library):
    store_job(store, "j1", "s3://b/a.mp4", [det(0, "Dog", 90)])
    rid = store.begin_result("j1", "TIMESTAMPS")
    store.add_page(rid, 0, {"Labels": [det(0, "Cat", 90)]})
    store.discard_result(rid)
    assert keys(library.search("Dog")) == ["a.mp4"] and keys(library.search("Cat")) == []


def test_a_job_removed_from_the_list_leaves_the_index_and_stays_out(tmp_path, store, library):
    from gui.core.jobstore import JobStore

    jobs = JobStore(tmp_path / "jobs.sqlite3")
    try:
        kept = finished_record(jobs, "b", "a.mp4", "j1", preset="Pets", min_confidence=70, finished_at=1.7e9)
        gone = finished_record(jobs, "b", "b.mp4", "j2")
        store_job(store, "j1", "s3://b/a.mp4", [det(0, "Dog", 90)])
        store_job(store, "j2", "s3://b/b.mp4", [det(0, "Dog", 90)])
        assert library.sync_jobs(jobs) == 2
        [first, _second] = list(library.search("Dog"))
        assert (first.preset, first.settings, first.analysed_at) == ("Pets", "MinConfidence 70", 1.7e9)
        assert kept.job_id == "j1"

        assert jobs.remove(gone.id)
        assert library.sync_jobs(jobs) == 1
        assert keys(library.search("Dog")) == ["a.mp4"]
        assert library.sync_jobs(jobs) == 0  # incremental: nothing new
        assert library.pending() == [] and library.backfill() == 0  # not brought back
        store_job(store, "j2", "s3://b/b.mp4", [det(0, "Dog", 90)])  # nor by a later fetch
        assert keys(library.search("Dog")) == ["a.mp4"]
        # a refetch of the kept job keeps what the job list said about it
        store_job(store, "j1", "s3://b/a.mp4", [det(0, "Dog", 95)])
        [again] = list(library.search("Dog"))
        assert (again.preset, again.analysed_at) == ("Pets", 1.7e9)
    finally:
        jobs.close()


def test_an_upgraded_cache_is_indexed_once_with_progress(tmp_path):
    path = tmp_path / "results.sqlite3"
    with ResultsStore(path) as old:
        for i in range(5):
            store_job(old, f"j{i}", f"s3://b/v{i}.mp4", [det(0, "Dog", 60 + i), det(0, "Cat", 50)])
        store_job(old, "j0", "s3://b/v0.mp4", [det(0, "Dog", 99, end=800)], aggregation="SEGMENTS")
    downgrade_to_before_the_index(path)

    with ResultsStore(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        library = Library.for_store(store)
        try:
            assert keys(library.search("Dog")) == []  # not indexed yet
            assert library.pending() == [f"j{i}" for i in range(5)]
            seen: list[BackfillProgress] = []

            class StopAfterTwo:
                @property
                def cancelled(self) -> bool:
                    return len(seen) > 2

            assert library.backfill(progress=seen.append, cancel=StopAfterTwo()) == 2
            assert library.pending() == ["j2", "j3", "j4"]  # resumable
            seen.clear()
            assert library.backfill(progress=seen.append) == 3
            assert seen == [BackfillProgress(n, 3) for n in range(4)]
            assert library.backfill() == 0  # once
            assert keys(library.search("Dog>=62")) == ["v0.mp4", "v2.mp4", "v3.mp4", "v4.mp4"]
            [v0] = list(library.search("Dog bucket:b prefix:v0"))
            assert v0.aggregation == "SEGMENTS" and v0.moments[0].end_ms == 800  # segments preferred
        finally:
            library.close()
