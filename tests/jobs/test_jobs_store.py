"""The SQLite job store: migrations, refusal of newer files, corrupt files kept aside, change tracking,
claims under a limit shared by two connections, and concurrent writers without "database is locked"."""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import threading

import pytest

from gui.core import jobstore, sqlite_store
from gui.core.jobstates import JobStatus
from gui.core.jobstore import SCHEMA_VERSION, JobStore, JobStoreError, Scope, new_job, settings_from_json
from gui.core.types import JobSettings, LabelFilters, NotificationChannel

SCOPE = Scope("111122223333", "us-east-1", "http://127.0.0.1:9")
OTHER = Scope("111122223333", "eu-west-1", "")


def _jobs(n, scope=SCOPE, settings=None, prefix="v"):
    settings = settings or JobSettings()
    return [new_job("bucket", f"{prefix}{i:03d}.mp4", settings, scope) for i in range(n)]


def never_abandoned(claimed_by, lease_until, now):
    return False


def _claim(store, scope=SCOPE, owner="me", max_active=20, limit=100, now=None):
    return store.claim(scope, owner=owner, max_active=max_active, limit=limit, lease_seconds=60,
                       is_abandoned=never_abandoned, now=now)


def _v1_database(path):
    """A database as version 1 of the app wrote it (the first migration only) with one job."""
    conn = sqlite3.connect(path)
    for statement in sqlite_store.statements(jobstore._MIGRATIONS[0]):
        conn.execute(statement)
    request = {"ClientRequestToken": "tok1", "MinConfidence": 50, "Video": {"S3Object": {"Bucket": "b", "Name": "a.mp4"}}}
    conn.execute(
        "INSERT INTO jobs (bucket, key, video_uri, settings_json, request_json, client_token, status, job_id, "
        "submitted_at, updated_at, account, region, endpoint, version) "
        "VALUES ('b', 'a.mp4', 's3://b/a.mp4', ?, ?, 'tok1', 'IN_PROGRESS', 'JOB1', 1.0, 1.0, '1', 'us-east-1', '', 1)",
        (jobstore.settings_to_json(JobSettings()), json.dumps(request)),
    )
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    return request


# -- migrations, versions, corruption ----------------------------------------------------------------------


def test_new_database_is_at_the_current_version_in_wal_mode(tmp_path):
    with JobStore(tmp_path / "jobs.sqlite3") as store:
        assert store.schema_version == SCHEMA_VERSION
        assert store.problem is None
    conn = sqlite3.connect(tmp_path / "jobs.sqlite3")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_migration_from_v1_keeps_rows_fills_new_columns_and_backs_up_first(tmp_path):
    path = tmp_path / "jobs.sqlite3"
    _v1_database(path)
    with JobStore(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        [job] = store.jobs()
        assert (job.job_id, job.status, job.client_token) == ("JOB1", JobStatus.IN_PROGRESS, "tok1")
        assert job.attempts == 0 and job.duration_ms is None and job.next_attempt_at == 0
        assert job.etag is None  # v4: rows queued before ETags were recorded keep none
        # The key of a v1 row, built by hand: SHA-256 of [account, region, endpoint, request without its
        # token] as JSON with sorted keys. Rows stored by older versions must keep matching new ones.
        text = '["1", "us-east-1", "", {"MinConfidence": 50, "Video": {"S3Object": {"Bucket": "b", "Name": "a.mp4"}}}]'
        assert job.dedupe_key == hashlib.sha256(text.encode()).hexdigest()
        assert job.dedupe_key == "c573284e214c5840b49ca2ed68f2705cfdae8f080fb541eedb1c189dd84a1eb1"
        assert store.backup is not None and store.backup.name == "jobs.sqlite3.bak-v1"
    backup = sqlite3.connect(tmp_path / "jobs.sqlite3.bak-v1")
    assert backup.execute("PRAGMA user_version").fetchone()[0] == 1
    assert backup.execute("SELECT job_id FROM jobs").fetchall() == [("JOB1",)]
    backup.close()


def test_failed_migration_rolls_back_and_leaves_the_old_version(tmp_path, monkeypatch):
    path = tmp_path / "jobs.sqlite3"
    _v1_database(path)

    def broken(conn):
        raise RuntimeError("boom")

    monkeypatch.setitem(jobstore._MIGRATIONS, 2, broken)
    with pytest.raises(RuntimeError):
        JobStore(path)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1  # the 1→2 step was rolled back too
    assert "dedupe_key" not in [r[1] for r in conn.execute("PRAGMA table_info(jobs)")]
    conn.close()


def test_database_from_a_newer_version_is_refused_and_untouched(tmp_path):
    path = tmp_path / "jobs.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE future (x)")
    conn.execute("PRAGMA user_version = 99")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(JobStoreError) as info:
        JobStore(path)
    assert info.value.message.title == "Job database from a newer version"
    assert "schema version 99" in info.value.message.text
    assert path.read_bytes() == before
    assert not list(tmp_path.glob("*.corrupt*"))


def test_corrupt_database_is_kept_aside_and_reported(tmp_path):
    path = tmp_path / "jobs.sqlite3"
    garbage = b"this is not an SQLite database, just bytes " * 100
    path.write_bytes(garbage)
    with JobStore(path) as store:
        aside = store.kept_aside
        assert aside is not None and re.fullmatch(r"jobs\.sqlite3\.corrupt-\d{8}T\d{12}Z", aside.name)
        assert store.problem is not None and f"kept as '{aside.name}'" in store.problem
        assert store.jobs() == []
        store.add_jobs(_jobs(1))  # the new store works
        assert len(store.jobs()) == 1
    assert aside.read_bytes() == garbage  # never deleted


def test_a_second_corrupt_file_does_not_overwrite_the_first(tmp_path):
    path = tmp_path / "jobs.sqlite3"
    (tmp_path / "jobs.sqlite3.corrupt").write_bytes(b"first")
    path.write_bytes(b"second corrupt file" * 50)
    with JobStore(path) as store:
        assert store.kept_aside is not None and store.kept_aside.name.startswith("jobs.sqlite3.corrupt-")
    assert (tmp_path / "jobs.sqlite3.corrupt").read_bytes() == b"first"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores file permissions")
def test_read_only_folder_gives_a_clear_error(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(JobStoreError) as info:
            JobStore(folder / "jobs.sqlite3")
        assert info.value.message.title == "Job database is read-only"
    finally:
        folder.chmod(0o700)


# -- rows and change tracking ---------------------------------------------------------------------------


def test_jobs_are_written_queued_with_their_own_token_and_exact_request(tmp_path):
    settings = JobSettings(LabelFilters(label_inclusions=("Dog",)), 70, "batch-1",
                           NotificationChannel("arn:aws:sns:us-east-1:111122223333:AmazonRekognitionX",
                                               "arn:aws:iam::111122223333:role/R"))
    with JobStore(tmp_path / "jobs.sqlite3") as store:
        records = store.add_jobs(_jobs(3, settings=settings))
        assert [r.status for r in records] == [JobStatus.QUEUED] * 3
        assert len({r.client_token for r in records}) == 3
        r = records[0]
        assert r.request["ClientRequestToken"] == r.client_token
        assert r.request["Settings"] == {"GeneralLabels": {"LabelInclusionFilters": ["Dog"]}}
        assert r.request["JobTag"] == "batch-1" and r.job_tag == "batch-1"
        assert settings_from_json(r.settings_json) == settings
        assert r.scope == SCOPE and r.video_uri == "s3://bucket/v000.mp4"


def test_changed_since_returns_only_what_changed_including_removals(tmp_path):
    with JobStore(tmp_path / "jobs.sqlite3") as store:
        records = store.add_jobs(_jobs(3))
        v0 = store.version()
        assert store.changed_since(v0).rows == ()
        store.cancel(records[1].id)
        changes = store.changed_since(v0)
        assert [r.id for r in changes.rows] == [records[1].id]
        assert changes.rows[0].status is JobStatus.CANCELLED
        store.remove(records[1].id)
        later = store.changed_since(changes.version)
        assert [(r.id, r.removed) for r in later.rows] == [(records[1].id, True)]
        assert [r.id for r in store.jobs()] == [records[0].id, records[2].id]
        assert not store.cancel(records[0].id + 1000)  # no such job: no change, no version bump
        assert store.version() == later.version


def test_other_process_changes_are_seen(tmp_path):
    path = tmp_path / "jobs.sqlite3"
    with JobStore(path) as window, JobStore(path) as cli:
        v = window.version()
        [r] = cli.add_jobs(_jobs(1))
        assert [x.id for x in window.changed_since(v).rows] == [r.id]


def test_cancel_only_a_queued_job_and_retry_gets_a_new_token(tmp_path):
    with JobStore(tmp_path / "jobs.sqlite3") as store:
        a, b = store.add_jobs(_jobs(2))
        [claimed] = _claim(store, limit=1)
        assert claimed.id == a.id and claimed.status is JobStatus.SUBMITTING
        assert not store.cancel(a.id)  # already being sent
        assert store.cancel(b.id)
        assert store.retry(a.id) is None  # not failed
        store.mark_failed(a.id, "Unable to get object metadata from S3.", error_code="InvalidS3ObjectException")
        retried = store.retry(a.id)
        assert retried is not None and retried.status is JobStatus.QUEUED
        assert retried.client_token != a.client_token
        assert retried.request["ClientRequestToken"] == retried.client_token
        assert retried.status_message is None and retried.error_code is None and retried.attempts == 0
        assert not store.remove(a.id)  # queued again: cannot leave the list
        assert store.remove(b.id)


def test_mark_finished_moves_an_in_progress_job_exactly_once(tmp_path):
    with JobStore(tmp_path / "jobs.sqlite3") as store:
        [r] = store.add_jobs(_jobs(1))
        _claim(store)
        assert store.mark_started(r.id, "JOB-1")
        assert store.mark_finished(r.id, JobStatus.SUCCEEDED, duration_ms=4000)
        assert not store.mark_finished(r.id, JobStatus.FAILED, message="late")
        assert not store.mark_started(r.id, "JOB-1")  # a late answer does not move it back
        done = store.get(r.id)
        assert done is not None and done.status is JobStatus.SUCCEEDED and done.duration_ms == 4000
        assert store.known_duration_ms(r.video_uri) == 4000
        assert store.set_results(r.id, label_count=12)
        assert store.get(r.id).label_count == 12 and store.get(r.id).results_fetched


# -- claims -------------------------------------------------------------------------------------------------


def test_claims_respect_the_limit_counting_jobs_already_in_progress(tmp_path):
    with JobStore(tmp_path / "jobs.sqlite3") as store:
        store.add_jobs(_jobs(10))
        store.add_jobs(_jobs(5, scope=OTHER, prefix="o"))  # another region: its own limit
        first = _claim(store, max_active=3)
        assert len(first) == 3
        for r in first[:2]:
            store.mark_started(r.id, f"JOB-{r.id}")
        assert _claim(store, max_active=3) == []  # 2 in progress + 1 submitting
        store.mark_finished(first[0].id, JobStatus.SUCCEEDED)
        assert len(_claim(store, max_active=3)) == 1
        assert len(_claim(store, scope=OTHER, max_active=3)) == 3


def test_two_connections_never_exceed_the_shared_limit(tmp_path):
    path = tmp_path / "jobs.sqlite3"
    with JobStore(path) as a, JobStore(path) as b:
        a.add_jobs(_jobs(40))
        got: list[int] = []
        lock = threading.Lock()

        def take(store, owner):
            for _ in range(20):
                rows = _claim(store, owner=owner, max_active=7, limit=2)
                with lock:
                    got.extend(r.id for r in rows)

        threads = [threading.Thread(target=take, args=(s, o)) for s, o in ((a, "a"), (b, "b"))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(got) == 7 and len(set(got)) == 7
        assert a.counts(SCOPE)[JobStatus.SUBMITTING] == 7


def test_queued_job_waits_for_its_retry_time(tmp_path):
    with JobStore(tmp_path / "jobs.sqlite3") as store:
        [r] = store.add_jobs(_jobs(1))
        _claim(store, now=100.0)
        assert store.requeue(r.id, next_attempt_at=160.0, message="Will retry", error_code="ThrottlingException")
        assert _claim(store, now=150.0) == []
        assert store.next_due(SCOPE) == 160.0
        [again] = _claim(store, now=161.0)
        assert again.client_token == r.client_token and again.attempts == 2


def test_abandoned_submissions_are_reclaimed_with_the_same_token(tmp_path):
    with JobStore(tmp_path / "jobs.sqlite3") as store:
        [r] = store.add_jobs(_jobs(1))
        _claim(store, owner="crashed")
        again = store.claim(SCOPE, owner="new", max_active=20, limit=5, lease_seconds=60,
                            is_abandoned=lambda owner, lease, now: owner == "crashed")
        assert [x.id for x in again] == [r.id]
        assert again[0].client_token == r.client_token and again[0].claimed_by == "new"


# -- concurrent writers ------------------------------------------------------------------------------------


def test_concurrent_writers_never_see_database_is_locked_and_lose_nothing(tmp_path):
    path = tmp_path / "jobs.sqlite3"
    stores = [JobStore(path, busy_timeout_ms=50) for _ in range(4)]  # tiny busy timeout: our retry loop must cope
    errors: list[BaseException] = []

    def writer(store, n):
        try:
            for i in range(25):
                [r] = store.add_jobs([new_job("b", f"w{n}-{i}.mp4", JobSettings(), SCOPE)])
                store.cancel(r.id)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(s, n)) for n, s in enumerate(stores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert errors == []
        rows = stores[0].jobs()
        assert len(rows) == 100 and all(r.status is JobStatus.CANCELLED for r in rows)
        assert len({r.version for r in rows}) == 100  # every write got its own version
    finally:
        for s in stores:
            s.close()


def test_many_openers_of_a_brand_new_database_never_see_locked(tmp_path):
    """Two CLI runs on a fresh data folder: switching a new file to WAL must wait out a concurrent opener."""
    import threading

    failures: list[BaseException] = []
    for attempt in range(60):
        path = tmp_path / f"fresh-{attempt}.sqlite3"
        barrier = threading.Barrier(3)

        def open_it(path=path, barrier=barrier) -> None:
            try:
                barrier.wait()
                JobStore(path).close()
            except BaseException as exc:
                failures.append(exc)

        threads = [threading.Thread(target=open_it) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    assert failures == []


def test_migration_fills_the_dedupe_key_of_every_scope_and_skips_unreadable_requests(tmp_path):
    path = tmp_path / "jobs.sqlite3"
    _v1_database(path)
    conn = sqlite3.connect(path)
    request = {"ClientRequestToken": "tok2", "MinConfidence": 60, "Video": {"S3Object": {"Bucket": "b", "Name": "é.mp4"}}}
    for token, text in (("tok2", json.dumps(request)), ("tok3", "not json")):
        conn.execute(
            "INSERT INTO jobs (bucket, key, video_uri, settings_json, request_json, client_token, status, "
            "submitted_at, updated_at, account, region, endpoint, version) VALUES ('b', 'é.mp4', 's3://b/é.mp4', "
            "?, ?, ?, 'QUEUED', 2.0, 2.0, '2', 'eu-west-1', 'http://127.0.0.1:9', 2)",
            (jobstore.settings_to_json(JobSettings()), text, token),
        )
    conn.commit()
    conn.close()
    with JobStore(path) as store:
        keys = {j.client_token: j.dedupe_key for j in store.jobs()}
    text = ('["2", "eu-west-1", "http://127.0.0.1:9", {"MinConfidence": 60, '
            '"Video": {"S3Object": {"Bucket": "b", "Name": "é.mp4"}}}]')
    assert keys["tok2"] == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert keys["tok3"] == ""  # left without a key: always submitted, never wrongly skipped


def test_the_etag_a_job_was_queued_with_is_kept_without_quotes(tmp_path):
    with JobStore(tmp_path / "jobs.sqlite3") as store:
        store.add_jobs([new_job("bucket", "a.mp4", JobSettings(), SCOPE, etag='"9b2cf535f27731c974343645a3985328"'),
                        new_job("bucket", "b.mp4", JobSettings(), SCOPE)])
        by_key = {job.key: job for job in store.jobs()}
    assert by_key["a.mp4"].etag == "9b2cf535f27731c974343645a3985328"
    assert by_key["b.mp4"].etag is None
