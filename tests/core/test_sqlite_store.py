"""The one versioned-SQLite helper: private files whatever the umask, migrations run once under the lock,
backups before migrating, newer files refused, corrupt files kept aside with their -wal/-shm, one
classification of SQLite failures, writers that wait out a lock and then say so clearly."""

from __future__ import annotations

import os
import re
import sqlite3
import stat
import threading

import pytest

from gui.core.errors import KnownError, UserMessage
from gui.core.sqlite_store import Fault, Schema, SQLiteFile, ThreadConnections, classify

V1 = "CREATE TABLE items (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL)"
V2 = "ALTER TABLE items ADD COLUMN note TEXT; CREATE INDEX items_by_name ON items(name)"


class StoreError(KnownError):
    pass


def _schema(version=2, migrations=None, **kw):
    return Schema("Test database", version, migrations if migrations is not None else {0: V1, 1: V2},
                  error=StoreError, fresh="a new, empty test file was started", **kw)


def _mode(path):
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def test_a_new_file_is_at_the_current_version_in_wal_mode(tmp_path):
    f = SQLiteFile(tmp_path / "t.sqlite3", _schema())
    conn = f.open()
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
        assert "note" in [r[1] for r in conn.execute("PRAGMA table_info(items)")]
        assert (f.problem, f.kept_aside, f.backup) == (None, None, None)  # nothing to back up in a new file
    finally:
        conn.close()


def test_folder_database_wal_shm_and_backup_are_private_under_umask_022(tmp_path, umask_022):
    folder = tmp_path / "new" / "data"
    path = folder / "t.sqlite3"
    conn = SQLiteFile(path, _schema(version=1)).open()
    with conn:
        conn.execute("INSERT INTO items(name) VALUES ('a')")
    assert _mode(folder) == 0o700
    for p in (path, path.with_name("t.sqlite3-wal"), path.with_name("t.sqlite3-shm")):
        assert p.exists() and _mode(p) == 0o600, p
    conn.close()
    migrated = SQLiteFile(path, _schema(version=2))
    migrated.open().close()
    assert migrated.backup is not None and _mode(migrated.backup) == 0o600


def test_an_existing_world_readable_database_is_made_private(tmp_path, umask_022):
    path = tmp_path / "t.sqlite3"
    SQLiteFile(path, _schema()).open().close()
    path.chmod(0o644)
    SQLiteFile(path, _schema()).open().close()
    assert _mode(path) == 0o600


def test_migrating_an_existing_file_backs_it_up_first_and_keeps_its_rows(tmp_path):
    path = tmp_path / "t.sqlite3"
    conn = SQLiteFile(path, _schema(version=1)).open()
    conn.execute("INSERT INTO items(name) VALUES ('kept')")
    conn.close()
    f = SQLiteFile(path, _schema(version=2))
    conn = f.open()
    assert conn.execute("SELECT name, note FROM items").fetchall() == [("kept", None)]
    conn.close()
    assert f.backup == tmp_path / "t.sqlite3.bak-v1"
    backup = sqlite3.connect(f.backup)
    try:
        assert backup.execute("PRAGMA user_version").fetchone()[0] == 1
        assert backup.execute("SELECT name FROM items").fetchall() == [("kept",)]
        assert "note" not in [r[1] for r in backup.execute("PRAGMA table_info(items)")]
    finally:
        backup.close()


def test_the_version_is_read_again_under_the_lock(tmp_path):
    """Another process migrates the file between our first look at the version and our lock: the
    migrations must not run a second time (that was 'table ... already exists')."""
    path = tmp_path / "t.sqlite3"
    runs = []

    def step0(conn):
        runs.append("0")
        conn.execute(V1)

    schema = _schema(version=1, migrations={0: step0})

    class Overtaken(SQLiteFile):
        def _switch_to_wal(self, conn):  # runs after the version was read, before the lock is taken
            mode = super()._switch_to_wal(conn)
            SQLiteFile(self.path, schema).open().close()
            return mode

    Overtaken(path, schema).open().close()
    assert runs == ["0"]


def test_many_threads_opening_a_brand_new_file_run_the_ddl_once(tmp_path):
    runs = []
    errors = []

    def step0(conn):
        runs.append(1)
        conn.execute(V1)

    schema = _schema(version=1, migrations={0: step0})
    for trial in range(10):
        path = tmp_path / f"fresh-{trial}.sqlite3"
        barrier = threading.Barrier(4)

        def open_it(path=path, barrier=barrier):
            try:
                barrier.wait()
                SQLiteFile(path, schema).open().close()
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=open_it) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    assert errors == [] and len(runs) == 10


def test_a_failed_migration_changes_nothing(tmp_path):
    path = tmp_path / "t.sqlite3"
    SQLiteFile(path, _schema(version=1)).open().close()
    with pytest.raises(sqlite3.OperationalError):  # a bug in a migration is not dressed up as a user error
        SQLiteFile(path, _schema(version=2, migrations={0: V1, 1: "ALTER TABLE items ADD COLUMN x; NOT SQL"})).open()
    con = sqlite3.connect(path)
    try:
        assert con.execute("PRAGMA user_version").fetchone()[0] == 1
        assert "x" not in [r[1] for r in con.execute("PRAGMA table_info(items)")]
    finally:
        con.close()
    assert not list(tmp_path.glob("*.corrupt*"))


def test_a_file_from_a_newer_version_is_refused_untouched(tmp_path):
    path = tmp_path / "t.sqlite3"
    SQLiteFile(path, _schema(version=2)).open().close()
    before = path.read_bytes()
    with pytest.raises(StoreError) as info:
        SQLiteFile(path, _schema(version=1, migrations={0: V1})).open()
    assert info.value.message.title == "Test database from a newer version"
    assert info.value.message.text.endswith("has schema version 2; this app understands up to 1.")
    assert path.read_bytes() == before and not list(tmp_path.glob("*.bak*"))


def test_a_corrupt_file_is_kept_aside_with_its_wal_and_shm(tmp_path):
    path = tmp_path / "t.sqlite3"
    path.write_bytes(b"not a database at all " * 300)
    (tmp_path / "t.sqlite3-wal").write_bytes(b"old wal")
    (tmp_path / "t.sqlite3-shm").write_bytes(b"old shm")
    f = SQLiteFile(path, _schema())
    conn = f.open()
    conn.close()
    aside = f.kept_aside
    assert aside is not None and re.fullmatch(r"t\.sqlite3\.corrupt-\d{8}T\d{12}Z", aside.name)
    assert aside.read_bytes() == b"not a database at all " * 300
    assert (tmp_path / f"{aside.name}-wal").read_bytes() == b"old wal"
    assert (tmp_path / f"{aside.name}-shm").exists()  # a shared-memory index: SQLite may rewrite it
    assert f.problem == (
        f"The test database '{path}' could not be read (file is not a database). "
        f"It was kept as '{aside.name}' and a new, empty test file was started."
    )
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 2


def test_a_second_corrupt_file_gets_a_name_of_its_own(tmp_path):
    path = tmp_path / "t.sqlite3"
    names = set()
    for _ in range(2):
        path.write_bytes(b"garbage " * 600)
        f = SQLiteFile(path, _schema())
        f.open().close()
        names.add(f.kept_aside)
    assert len(names) == 2 and all(p.read_bytes() == b"garbage " * 600 for p in names)


def test_a_file_another_process_already_replaced_is_not_kept_aside_again(tmp_path):
    path = tmp_path / "t.sqlite3"
    path.write_bytes(b"garbage " * 600)
    slow = SQLiteFile(path, _schema())
    with pytest.raises(sqlite3.DatabaseError) as info:
        slow._open_once(keep_aside=False)  # sees the corrupt file...
    fast = SQLiteFile(path, _schema())
    fast.open().close()  # ...which another opener keeps aside and replaces first
    slow._keep_corrupt_aside(info.value)
    assert slow.kept_aside is None and slow.problem is None
    assert len(list(tmp_path.glob("t.sqlite3.corrupt-*"))) == 1
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 2


def test_a_damaged_file_is_detected_when_the_schema_asks_for_a_check(tmp_path):
    path = tmp_path / "t.sqlite3"
    conn = SQLiteFile(path, _schema()).open()
    conn.executemany("INSERT INTO items(name) VALUES (?)", [(f"item-{i:05d}" * 20,) for i in range(2000)])
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    data = bytearray(path.read_bytes())
    data[4096 * 3 : 4096 * 6] = b"\xa5" * (3 * 4096)  # pages overwritten, the header still says SQLite
    path.write_bytes(bytes(data))
    f = SQLiteFile(path, _schema(check_on_open=True))
    f.open().close()
    assert f.kept_aside is not None and f.kept_aside.read_bytes() == bytes(data)


# -- classification and messages ---------------------------------------------------------------------------


def _error(make):
    try:
        make()
    except sqlite3.Error as exc:
        return exc
    raise AssertionError("no error")


def test_one_classification_of_sqlite_failures(tmp_path):
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"x" * 5000)
    good = tmp_path / "good.sqlite3"
    sqlite3.connect(good).execute("CREATE TABLE t (x)").connection.close()
    holder = sqlite3.connect(good, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        busy = _error(lambda: sqlite3.connect(good, timeout=0).execute("INSERT INTO t VALUES (1)"))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    ro = _error(lambda: sqlite3.connect(f"file:{good}?mode=ro", uri=True).execute("INSERT INTO t VALUES (1)"))
    missing = _error(lambda: sqlite3.connect(f"file:{tmp_path}/no/such/dir/x.db?mode=rw", uri=True))
    corrupt = _error(lambda: sqlite3.connect(garbage).execute("SELECT * FROM sqlite_master").fetchall())
    syntax = _error(lambda: sqlite3.connect(good).execute("NOT SQL"))
    constraint = _error(lambda: sqlite3.connect(":memory:").execute("SELECT json('{')"))
    assert classify(corrupt) is Fault.CORRUPT
    assert classify(busy) is Fault.BUSY
    assert classify(ro) is Fault.READ_ONLY
    assert classify(missing) is Fault.READ_ONLY
    assert classify(syntax) is Fault.OTHER
    assert classify(constraint) is Fault.OTHER
    assert classify(ValueError("database is locked")) is Fault.OTHER  # only SQLite's own errors count
    # without SQLite's result code, the message decides
    assert classify(sqlite3.OperationalError("database is locked")) is Fault.BUSY
    assert classify(sqlite3.DatabaseError("database disk image is malformed")) is Fault.CORRUPT
    assert classify(sqlite3.OperationalError("attempt to write a readonly database")) is Fault.READ_ONLY
    assert classify(sqlite3.OperationalError("database or disk is full")) is Fault.FULL


def test_messages_for_what_the_user_can_act_on(tmp_path):
    f = SQLiteFile(tmp_path / "t.sqlite3", _schema(), lock_retry_seconds=3)
    where = f"'{f.path}'"

    def message(exc):
        known = f.error(exc)
        assert isinstance(known, StoreError)
        return known.message

    assert message(sqlite3.OperationalError("attempt to write a readonly database")) == UserMessage(
        "Test database is read-only", f"Cannot write {where} (attempt to write a readonly database).",
        "Check the permissions of the data folder, or choose another one with --data-dir.")
    assert message(sqlite3.OperationalError("database is locked")) == UserMessage(
        "Test database busy", "Another program kept 't.sqlite3' locked for over 3 s.",
        "Nothing was lost; try again in a moment.")
    assert message(sqlite3.OperationalError("database or disk is full")) == UserMessage(
        "Cannot write the test database", f"{where}: database or disk is full.", "Free some disk space and try again.")
    assert message(sqlite3.DatabaseError("file is not a database")) == UserMessage(
        "Test database is damaged", f"{where}: file is not a database.",
        "Restart the app: the damaged file is then kept aside and a new one started.")
    assert f.error(sqlite3.OperationalError("no such table: x")) is None


def test_a_writer_waits_out_a_lock_held_longer_than_the_busy_timeout(tmp_path):
    f = SQLiteFile(tmp_path / "t.sqlite3", _schema(), busy_timeout_ms=20, lock_retry_seconds=10)
    conn = f.open()
    holder = f.connect()
    holder.execute("BEGIN IMMEDIATE")
    timer = threading.Timer(0.5, lambda: holder.execute("COMMIT"))
    timer.start()
    try:
        with f.transaction(conn):
            conn.execute("INSERT INTO items(name) VALUES ('after the lock')")
    finally:
        timer.join()
        holder.close()
    assert conn.execute("SELECT name FROM items").fetchall() == [("after the lock",)]
    conn.close()


def test_a_lock_held_too_long_is_reported_and_nothing_is_written(tmp_path):
    f = SQLiteFile(tmp_path / "t.sqlite3", _schema(), busy_timeout_ms=20, lock_retry_seconds=0.3)
    conn = f.open()
    holder = f.connect()
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreError) as info, f.transaction(conn):
            conn.execute("INSERT INTO items(name) VALUES ('never')")
        assert info.value.message.title == "Test database busy"
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert conn.execute("SELECT count(*) FROM items").fetchone()[0] == 0
    conn.close()


def test_a_failing_transaction_is_rolled_back(tmp_path):
    f = SQLiteFile(tmp_path / "t.sqlite3", _schema())
    conn = f.open()
    with pytest.raises(RuntimeError), f.transaction(conn):
        conn.execute("INSERT INTO items(name) VALUES ('rolled back')")
        raise RuntimeError("boom")
    with pytest.raises(sqlite3.IntegrityError), f.transaction(conn):  # a bug passes through unchanged
        conn.execute("INSERT INTO items(name) VALUES (NULL)")
    assert conn.execute("SELECT count(*) FROM items").fetchone()[0] == 0
    assert conn.in_transaction is False
    conn.close()


def test_a_schema_must_have_every_migration():
    with pytest.raises(ValueError):
        Schema("Test database", 3, {0: V1, 2: V2})


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_a_folder_that_cannot_be_created_is_a_clear_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(StoreError) as info:
        SQLiteFile(blocker / "data" / "t.sqlite3", _schema()).open()
    assert info.value.message.title == "Cannot create the data folder"
    assert "Not a directory" in info.value.message.text


def test_the_apps_data_folder_is_created_private_under_umask_022(tmp_path, umask_022):
    from gui.core.jobstore import JobStore
    from gui.core.paths import resolve_paths
    from gui.core.results_store import ResultsStore

    paths = resolve_paths(tmp_path / "app").ensure()
    assert _mode(paths.data_dir) == 0o700
    with JobStore(paths.jobs_db), ResultsStore(paths.results_db):
        for name in ("jobs.sqlite3", "results.sqlite3"):
            for suffix in ("", "-wal", "-shm"):
                p = paths.data_dir / f"{name}{suffix}"
                assert p.exists() and _mode(p) == 0o600, p


# -- one connection per thread ------------------------------------------------------------------------------


def _pool(tmp_path):
    path = tmp_path / "pool.sqlite3"
    return ThreadConnections(lambda: sqlite3.connect(path, check_same_thread=False, isolation_level=None))


def test_each_thread_gets_its_own_connection_and_keeps_it(tmp_path):
    pool = _pool(tmp_path)
    mine = pool.get()
    assert pool.get() is mine
    seen = []
    thread = threading.Thread(target=lambda: seen.extend([pool.get(), pool.get()]))
    thread.start()
    thread.join()
    assert seen[0] is seen[1] and seen[0] is not mine
    assert pool.open_count == 2
    pool.close_all()
    assert pool.open_count == 0
    for conn in (mine, seen[0]):
        with pytest.raises(sqlite3.ProgrammingError):
            conn.execute("SELECT 1")
    assert pool.get() is not mine  # a new one after close_all


def test_borrowed_readers_are_reused_after_their_read_and_released_with_the_thread(tmp_path):
    pool = _pool(tmp_path)
    own = pool.get()
    own.execute("CREATE TABLE t (x)")
    first, second = pool.borrow(), pool.borrow()  # two long reads at once: two connections
    assert len({id(own), id(first), id(second)}) == 3
    first.execute("BEGIN")
    first.execute("SELECT * FROM t").fetchall()
    pool.give_back(first)
    assert not first.in_transaction  # its snapshot ended
    assert pool.borrow() is first  # reused: opening one costs more than a query
    pool.give_back(first)
    pool.give_back(second)
    assert pool.open_count == 3
    pool.release()  # the thread's own and its spares
    assert pool.open_count == 0
    for conn in (own, first, second):
        with pytest.raises(sqlite3.ProgrammingError):
            conn.execute("SELECT 1")
    pool.release()  # nothing left: no error
