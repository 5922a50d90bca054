"""One versioned SQLite file: the helper every store of the app (jobs, results) opens its database with.

What it guarantees, so no store writes it again:

- ``PRAGMA user_version`` + linear migrations. They run inside ``BEGIN IMMEDIATE`` and the version is read
  again once the write lock is held, so two processes creating a brand-new file at the same moment never
  both run the DDL. An existing file is backed up (``<name>.bak-v<old version>``) before it is migrated.
- A file written by a newer version of the app is refused (:class:`KnownError`) and left untouched.
- WAL journal (switching to it is retried: SQLite does not apply the busy timeout to that statement),
  ``busy_timeout``, and write transactions that keep retrying "database is locked" for a while.
- A file that is not a readable database is kept aside with its ``-wal``/``-shm`` as
  ``<name>.corrupt-<timestamp>`` (never deleted), a new one is started and :attr:`SQLiteFile.problem` says so.
- One classification of SQLite failures (:func:`classify`: corrupt, busy, read-only, disk full) and one set
  of messages for them (:meth:`SQLiteFile.error`).
- Private files: the folder is created 0700 and the database, its ``-wal``/``-shm`` and backups are 0600,
  whatever the umask.
"""

from __future__ import annotations

import enum
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn

from gui.core.errors import KnownError

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5_000
LOCK_RETRY_SECONDS = 30.0  # on top of busy_timeout: how long a write keeps trying before giving up
FOLDER_MODE = 0o700
FILE_MODE = 0o600
SIDE_SUFFIXES = ("-wal", "-shm")

Migration = str | Callable[[sqlite3.Connection], None]


class Fault(enum.Enum):
    """What went wrong with a database, as far as the user is concerned."""

    CORRUPT = "corrupt"  # not a database, or damaged: keep it aside
    BUSY = "busy"  # another connection holds the lock: wait and retry
    READ_ONLY = "read-only"  # permissions, a read-only file system, a folder that cannot be opened
    FULL = "full"  # disk full or an I/O error
    OTHER = "other"  # a bug (bad SQL, a constraint): let it through with its traceback


# SQLite's primary result codes (https://www.sqlite.org/rescode.html)
_CODES = {
    11: Fault.CORRUPT,  # SQLITE_CORRUPT
    26: Fault.CORRUPT,  # SQLITE_NOTADB
    5: Fault.BUSY,  # SQLITE_BUSY
    6: Fault.BUSY,  # SQLITE_LOCKED
    8: Fault.READ_ONLY,  # SQLITE_READONLY
    14: Fault.READ_ONLY,  # SQLITE_CANTOPEN
    3: Fault.READ_ONLY,  # SQLITE_PERM
    23: Fault.READ_ONLY,  # SQLITE_AUTH
    13: Fault.FULL,  # SQLITE_FULL
    10: Fault.FULL,  # SQLITE_IOERR
}
_TEXTS = (
    ("file is not a database", Fault.CORRUPT),
    ("malformed", Fault.CORRUPT),
    ("file is encrypted", Fault.CORRUPT),
    ("locked", Fault.BUSY),
    ("busy", Fault.BUSY),
    ("readonly", Fault.READ_ONLY),
    ("read-only", Fault.READ_ONLY),
    ("unable to open database", Fault.READ_ONLY),
    ("disk is full", Fault.FULL),
    ("disk i/o error", Fault.FULL),
)


def classify(exc: BaseException) -> Fault:
    """The one classification of SQLite failures, by SQLite's result code; by the message only for an
    error raised without one."""
    if not isinstance(exc, sqlite3.Error):
        return Fault.OTHER
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):  # SQLite's own code is the truth ("malformed JSON" is not a damaged file)
        return _CODES.get(code & 0xFF, Fault.OTHER)
    text = str(exc).lower()
    for needle, fault in _TEXTS:
        if needle in text:
            return fault
    return Fault.OTHER


@dataclass(frozen=True)
class Schema:
    """What a store's file holds: ``migrations[n]`` turns a version-``n`` file into version ``n + 1``
    (0 = empty file); an SQL script, or a function of the connection, run inside the migration
    transaction."""

    title: str  # "Job database", "Results cache": the start of every message about the file
    version: int
    migrations: Mapping[int, Migration]
    error: type[KnownError] = KnownError
    fresh: str = "a new, empty file was started"  # what replacing a corrupt file means for the user
    synchronous: str = "FULL"  # NORMAL: a crash may lose the last commits (fine for a re-fetchable cache)
    check_on_open: bool = False  # PRAGMA quick_check before use (reads the whole file: small files only)

    def __post_init__(self) -> None:
        missing = [n for n in range(self.version) if n not in self.migrations]
        if missing:
            raise ValueError(f"{self.title}: no migration from version(s) {missing}")


def statements(script: str) -> list[str]:
    """An SQL script as statements (``executescript`` would commit the migration transaction)."""
    return [s.strip() for s in script.split(";") if s.strip()]


def corrupt_name(path: Path, stamp: str) -> Path:
    return path.with_name(f"{path.name}.corrupt-{stamp}")


class SQLiteFile:
    """One database file with a versioned schema. :meth:`open` the first connection (it prepares the file);
    :meth:`connect` more (one per thread); :meth:`transaction` for every write.

    After :meth:`open`: :attr:`problem` (a message when a corrupt file was kept aside), :attr:`kept_aside`
    (where it went) and :attr:`backup` (the copy made before migrating, if any).
    """

    def __init__(
        self,
        path: Path,
        schema: Schema,
        *,
        busy_timeout_ms: int = BUSY_TIMEOUT_MS,
        lock_retry_seconds: float = LOCK_RETRY_SECONDS,
    ) -> None:
        self.path = Path(path)
        self.schema = schema
        self.busy_timeout_ms = busy_timeout_ms
        self.lock_retry_seconds = lock_retry_seconds
        self.problem: str | None = None
        self.kept_aside: Path | None = None
        self.backup: Path | None = None
        self._identity: tuple[int, int] | None = None

    # -- opening ------------------------------------------------------------------------------------------

    def open(self) -> sqlite3.Connection:
        """The first connection: folder and file created private, newer files refused, WAL on, migrations
        run; a corrupt file is kept aside and a new one started. Raises ``schema.error`` (a
        :class:`KnownError`) for what the user can act on."""
        self._ensure_folder()
        try:
            return self._open_once(keep_aside=True)
        except sqlite3.DatabaseError as exc:
            if classify(exc) is not Fault.CORRUPT:
                self._reraise(exc)
        try:  # the corrupt file was kept aside: start a new one
            return self._open_once(keep_aside=False)
        except sqlite3.DatabaseError as exc:
            self._reraise(exc)

    def connect(self) -> sqlite3.Connection:
        """Another connection to the prepared file (autocommit; transactions are explicit)."""
        conn = self._connection()
        try:
            self._configure(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def _connection(self) -> sqlite3.Connection:
        return sqlite3.connect(
            str(self.path), timeout=self.busy_timeout_ms / 1000, isolation_level=None, check_same_thread=False
        )

    def _configure(self, conn: sqlite3.Connection) -> None:
        conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
        conn.execute(f"PRAGMA synchronous = {self.schema.synchronous}")
        conn.execute("PRAGMA foreign_keys = ON")

    def _ensure_folder(self) -> None:
        folder = self.path.parent
        if folder.is_dir():
            return
        try:
            folder.mkdir(parents=True, exist_ok=True)
            os.chmod(folder, FOLDER_MODE)
        except OSError as exc:
            raise self.schema.error(
                "Cannot create the data folder", f"'{folder}': {exc.strerror or exc}."
            ) from exc

    def _create_file(self) -> None:
        """Create the file 0600 (SQLite gives its -wal/-shm the same mode); an empty file is a database."""
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE)
        except FileExistsError:
            return
        except OSError:
            return  # sqlite3.connect reports it (read-only folder, not a folder...)
        try:
            os.fchmod(fd, FILE_MODE)
        finally:
            os.close(fd)

    def _tighten(self) -> None:
        for p in (self.path, *self._sides(self.path)):
            try:
                if p.exists() and (p.stat().st_mode & 0o777) != FILE_MODE:
                    os.chmod(p, FILE_MODE)
            except OSError:
                log.warning("Could not make %s private", p)

    def _open_once(self, *, keep_aside: bool) -> sqlite3.Connection:
        self._create_file()
        self._identity = _identity(self.path)
        conn = self._connection()
        try:
            self._configure(conn)
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            self._refuse_newer(version)
            if version > 0:
                # Reading the schema detects a file that is not a database before anything changes.
                conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
                if self.schema.check_on_open:
                    result = conn.execute("PRAGMA quick_check").fetchone()[0]
                    if result != "ok":
                        raise sqlite3.DatabaseError(f"database disk image is malformed ({result})")
            mode = self._switch_to_wal(conn)
            if mode.lower() != "wal":
                log.info("%s %s runs in journal mode %s", self.schema.title, self.path, mode)
            if version < self.schema.version:
                self._migrate(conn)
            self._tighten()
            return conn
        except sqlite3.DatabaseError as exc:
            if keep_aside and classify(exc) is Fault.CORRUPT:
                self._keep_corrupt_aside(exc)  # before closing: closing deletes the -wal/-shm of a bad file
            conn.close()
            raise
        except BaseException:
            conn.close()
            raise

    def _refuse_newer(self, version: int) -> None:
        if version > self.schema.version:
            raise self.schema.error(
                f"{self.schema.title} from a newer version",
                f"'{self.path}' has schema version {version}; this app understands up to {self.schema.version}.",
                "Update the app. The file was left untouched.",
            )

    def _switch_to_wal(self, conn: sqlite3.Connection) -> str:
        """``PRAGMA journal_mode = WAL``, retried while another opener holds the lock."""
        deadline = time.monotonic() + max(self.busy_timeout_ms / 1000, 1.0)
        delay = 0.005
        while True:
            try:
                return str(conn.execute("PRAGMA journal_mode = WAL").fetchone()[0])
            except sqlite3.OperationalError as exc:
                if classify(exc) is not Fault.BUSY or time.monotonic() >= deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 0.1)

    def _migrate(self, conn: sqlite3.Connection) -> None:
        self._begin(conn)
        try:
            current = int(conn.execute("PRAGMA user_version").fetchone()[0])  # another process may have won
            self._refuse_newer(current)
            if current < self.schema.version and current > 0:
                self._back_up(current)
            start = current
            while current < self.schema.version:
                step = self.schema.migrations[current]
                if callable(step):
                    step(conn)
                else:
                    for statement in statements(step):
                        conn.execute(statement)
                current += 1
                conn.execute(f"PRAGMA user_version = {current}")
            conn.execute("COMMIT")
        except BaseException:
            _rollback(conn)
            raise
        if start > 0 and current != start:  # a new file is no news (logging on a Qt pool thread registers it)
            log.info("%s %s migrated from schema version %d to %d", self.schema.title, self.path, start, current)

    def _back_up(self, version: int) -> None:
        """A consistent copy of the file as it is before migrating (taken under the write lock)."""
        target = self.path.with_name(f"{self.path.name}.bak-v{version}")
        for p in (target, *self._sides(target)):
            p.unlink(missing_ok=True)
        fd = os.open(target, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, FILE_MODE)
        os.fchmod(fd, FILE_MODE)
        os.close(fd)
        # The backup reads through a second connection: SQLite refuses to back up from a connection that
        # is inside a write transaction, and ours holds the lock so the file cannot change meanwhile.
        source = self.connect()
        copy = sqlite3.connect(str(target))
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
        self.backup = target
        log.info("Backed up %s to %s before migrating from v%d", self.path, target, version)

    @staticmethod
    def _sides(path: Path) -> list[Path]:
        return [path.with_name(path.name + suffix) for suffix in SIDE_SUFFIXES]

    def _keep_corrupt_aside(self, exc: BaseException) -> None:
        """Rename the file and its -wal/-shm to ``<name>.corrupt-<timestamp>[-wal|-shm]``. When another
        process got there first (the file is no longer the one that failed to open), nothing is renamed."""
        if _identity(self.path) != self._identity:
            log.info("%s %s was already replaced by another process", self.schema.title, self.path)
            return
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        aside = corrupt_name(self.path, stamp)
        n = 1
        while aside.exists():
            n += 1
            aside = corrupt_name(self.path, f"{stamp}-{n}")
        os.replace(self.path, aside)
        for side, target in zip(self._sides(self.path), self._sides(aside), strict=True):
            if side.exists():
                os.replace(side, target)
        self.kept_aside = aside
        self.problem = (
            f"The {self.schema.title.lower()} '{self.path}' could not be read ({exc}). "
            f"It was kept as '{aside.name}' and {self.schema.fresh}."
        )
        log.error("%s", self.problem)

    # -- writing ------------------------------------------------------------------------------------------

    def _begin(self, conn: sqlite3.Connection) -> None:
        """``BEGIN IMMEDIATE``: the write lock up front, waiting out another writer for up to
        ``lock_retry_seconds`` (on top of the busy timeout) instead of failing."""
        deadline = time.monotonic() + self.lock_retry_seconds
        delay = 0.01
        while True:
            try:
                conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if classify(exc) is not Fault.BUSY or time.monotonic() > deadline:
                    raise
                time.sleep(delay)
                delay = min(0.5, delay * 2)

    @contextmanager
    def transaction(self, conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
        """A write transaction on ``conn``: committed when the block ends, rolled back on an exception.
        SQLite failures the user can act on become ``schema.error``; others (bugs) pass unchanged."""
        try:
            self._begin(conn)
        except sqlite3.Error as exc:
            self._reraise(exc)
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException as exc:
            _rollback(conn)
            if isinstance(exc, sqlite3.Error):
                self._reraise(exc)
            raise

    # -- errors -------------------------------------------------------------------------------------------

    def error(self, exc: sqlite3.Error) -> KnownError | None:
        """The message for a failure the user can act on; None for a bug."""
        title = self.schema.title
        fault = classify(exc)
        make = self.schema.error
        if fault is Fault.READ_ONLY:
            return make(
                f"{title} is read-only",
                f"Cannot write '{self.path}' ({exc}).",
                "Check the permissions of the data folder, or choose another one with --data-dir.",
            )
        if fault is Fault.BUSY:
            return make(
                f"{title} busy",
                f"Another program kept '{self.path.name}' locked for over {self.lock_retry_seconds:.0f} s.",
                "Nothing was lost; try again in a moment.",
            )
        if fault is Fault.FULL:
            return make(f"Cannot write the {title.lower()}", f"'{self.path}': {exc}.",
                        "Free some disk space and try again.")
        if fault is Fault.CORRUPT:
            return make(f"{title} is damaged", f"'{self.path}': {exc}.",
                        "Restart the app: the damaged file is then kept aside and a new one started.")
        return None

    def _reraise(self, exc: sqlite3.Error) -> NoReturn:
        known = self.error(exc)
        if known is None:
            raise exc
        raise known from exc


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def _rollback(conn: sqlite3.Connection) -> None:
    try:
        conn.execute("ROLLBACK")
    except sqlite3.Error:
        pass  # no transaction left (SQLite already rolled it back)


class OpenedFile:
    """What every store says about the file it opened through its :class:`SQLiteFile` (``self._file``)."""

    _file: SQLiteFile

    @property
    def problem(self) -> str | None:
        """A message when a corrupt file was kept aside on opening (None: all well)."""
        return self._file.problem

    @property
    def kept_aside(self) -> Path | None:
        return self._file.kept_aside

    @property
    def backup(self) -> Path | None:
        """The copy made before migrating an older file, if any."""
        return self._file.backup


class _ThisThread(threading.local):
    conn: sqlite3.Connection | None = None  # the thread's connection for short statements
    spares: list[sqlite3.Connection]  # its connections lent for long reads, between reads

    def __init__(self) -> None:
        self.spares = []


class ThreadConnections:
    """Connections to one database file, one per thread (SQLite connections are not shared between
    threads), opened by ``connect`` on first use, and every one tracked so :meth:`close_all` ends them.

    A thread may also :meth:`borrow` extra connections for reads that stay open while it runs other
    statements (a streamed search); :meth:`give_back` keeps them for the thread's next borrow, as opening
    one costs more than a typical query."""

    def __init__(self, connect: Callable[[], sqlite3.Connection]) -> None:
        self._connect = connect
        self._local = _ThisThread()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    def _track(self, conn: sqlite3.Connection) -> sqlite3.Connection:
        with self._lock:
            self._all.append(conn)
        return conn

    def _forget(self, conn: sqlite3.Connection) -> None:
        with self._lock:
            if conn in self._all:
                self._all.remove(conn)
        conn.close()

    def adopt(self, conn: sqlite3.Connection) -> sqlite3.Connection:
        """Make ``conn`` (opened elsewhere, e.g. by :meth:`SQLiteFile.open`) the calling thread's."""
        self._local.conn = self._track(conn)
        return conn

    def get(self) -> sqlite3.Connection:
        """The calling thread's connection (opened now on its first use)."""
        conn = self._local.conn
        if conn is None:
            conn = self.adopt(self._connect())
        return conn

    def borrow(self) -> sqlite3.Connection:
        """A connection of the calling thread's own for one long read (a spare, or a new one)."""
        if self._local.spares:
            return self._local.spares.pop()
        return self._track(self._connect())

    def give_back(self, conn: sqlite3.Connection) -> None:
        """End ``conn``'s read transaction and keep it for the thread's next :meth:`borrow` (a connection
        that cannot end it is closed instead)."""
        try:
            if conn.in_transaction:
                conn.execute("COMMIT")
        except sqlite3.Error:
            self._forget(conn)
            return
        self._local.spares.append(conn)

    def release(self) -> None:
        """Close the calling thread's connections (when a short-lived thread ends)."""
        spares, self._local.spares = self._local.spares, []
        for spare in spares:
            self._forget(spare)
        own = self._local.conn
        if own is not None:
            self._local.conn = None
            self._forget(own)

    @property
    def open_count(self) -> int:
        """How many connections are open (every thread's, spares included)."""
        with self._lock:
            return len(self._all)

    def close_all(self) -> None:
        """Close every connection of every thread."""
        with self._lock:
            conns, self._all = self._all, []
        for conn in conns:
            try:
                conn.close()
            except sqlite3.Error:  # pragma: no cover - closing a broken handle
                pass
        self._local = _ThisThread()
