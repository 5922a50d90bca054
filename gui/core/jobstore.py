"""The local job store: one SQLite file (``paths.jobs_db``) shared by the window and the CLI.

AWS has no API that lists label-detection jobs, so this file *is* the job list. It must survive
crashes and two processes writing at once:

- The file is opened through :class:`gui.core.sqlite_store.SQLiteFile`: versioned schema and migrations
  (backup first, newer files refused), WAL, busy timeout, write transactions that wait out another
  writer, a corrupt file kept aside and reported in :attr:`JobStore.problem`.
- Every write bumps a store-wide version counter and stamps the rows it changed, so a view asks
  :meth:`JobStore.changed_since` for just what changed (including rows written by another process).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from gui.core.errors import KnownError
from gui.core.jobstates import JobStatus
from gui.core.request import build_start_request
from gui.core.sqlite_store import (
    BUSY_TIMEOUT_MS,
    LOCK_RETRY_SECONDS,
    Migration,
    OpenedFile,
    Schema,
    SQLiteFile,
)
from gui.core.types import JobSettings, LabelFilters, NotificationChannel

log = logging.getLogger(__name__)

SCHEMA_VERSION = 4

# Migrations (see gui.core.sqlite_store.Schema): _MIGRATIONS[n] turns a version-n database into n+1.
_MIGRATIONS: dict[int, Migration] = {
    0: """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
    INSERT INTO meta (key, value) VALUES ('version', 0);
    CREATE TABLE jobs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        bucket TEXT NOT NULL,
        key TEXT NOT NULL,
        version_id TEXT,
        video_uri TEXT NOT NULL,
        size INTEGER,
        preset TEXT,
        settings_json TEXT NOT NULL,
        request_json TEXT NOT NULL,
        client_token TEXT NOT NULL UNIQUE,
        status TEXT NOT NULL,
        job_id TEXT,
        job_tag TEXT,
        status_message TEXT,
        submitted_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        started_at REAL,
        finished_at REAL,
        label_count INTEGER,
        results_fetched INTEGER NOT NULL DEFAULT 0,
        account TEXT NOT NULL DEFAULT '',
        region TEXT NOT NULL,
        endpoint TEXT NOT NULL DEFAULT '',
        notification_json TEXT,
        removed INTEGER NOT NULL DEFAULT 0,
        version INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX jobs_by_version ON jobs(version);
    CREATE INDEX jobs_by_status ON jobs(status, account, region, endpoint);
    CREATE INDEX jobs_by_job_id ON jobs(job_id);
    """,
    # v2: leases so a crashed process's half-submitted jobs are picked up again; AWS's error code next to
    # its message; the video's duration (from VideoMetadata) for cost figures; a key to spot a video
    # submitted twice with the same settings; the time before which a queued job must not be retried.
    1: """
    ALTER TABLE jobs ADD COLUMN error_code TEXT;
    ALTER TABLE jobs ADD COLUMN duration_ms INTEGER;
    ALTER TABLE jobs ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE jobs ADD COLUMN next_attempt_at REAL NOT NULL DEFAULT 0;
    ALTER TABLE jobs ADD COLUMN claimed_by TEXT;
    ALTER TABLE jobs ADD COLUMN lease_until REAL;
    ALTER TABLE jobs ADD COLUMN dedupe_key TEXT NOT NULL DEFAULT '';
    CREATE INDEX jobs_by_dedupe ON jobs(dedupe_key);
    """,
}


def _fill_dedupe_keys(conn: sqlite3.Connection) -> None:
    """v2 → v3 step for rows written before dedupe keys existed."""
    rows = conn.execute("SELECT id, account, region, endpoint, request_json FROM jobs WHERE dedupe_key = ''")
    for row_id, account, region, endpoint, request_json in rows.fetchall():
        try:
            key = dedupe_key(Scope(account, region, endpoint), json.loads(request_json))
        except ValueError:
            continue
        conn.execute("UPDATE jobs SET dedupe_key = ? WHERE id = ?", (key, row_id))


_MIGRATIONS[2] = _fill_dedupe_keys
# v4: the video's ETag when it was queued (from the listing or a HEAD), so frames read later are of the
# object the job analysed (If-Match); older rows keep NULL and fall back to size and submission time.
_MIGRATIONS[3] = "ALTER TABLE jobs ADD COLUMN etag TEXT;"


def _schema() -> Schema:
    return Schema(
        "Job database",
        SCHEMA_VERSION,
        _MIGRATIONS,
        error=JobStoreError,
        fresh="a new, empty job list was started",
        synchronous="FULL",  # a committed job survives a crash or power cut
        check_on_open=True,
    )


# ----------------------------------------------------------------------------------------------------------
# Values
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """The account, region and endpoint a job belongs to (AWS's limits and job ids are per scope)."""

    account: str
    region: str
    endpoint: str = ""  # "" for AWS itself; a URL for the sandbox or another endpoint

    def describe(self) -> str:
        where = self.endpoint or "AWS"
        return f"account {self.account or '?'} · {self.region} · {where}"


@dataclass(frozen=True)
class NewJob:
    """What :meth:`JobStore.add_jobs` needs; see :func:`new_job`."""

    bucket: str
    key: str
    version_id: str | None
    size: int | None
    preset: str | None
    settings_json: str
    request_json: str
    client_token: str
    job_tag: str | None
    notification_json: str | None
    scope: Scope
    dedupe_key: str
    etag: str | None = None  # without quotes, as listings give it


@dataclass(frozen=True)
class JobRecord:
    id: int
    bucket: str
    key: str
    version_id: str | None
    video_uri: str
    size: int | None
    preset: str | None
    settings_json: str
    request_json: str
    client_token: str
    status: JobStatus
    job_id: str | None
    job_tag: str | None
    status_message: str | None
    submitted_at: float
    updated_at: float
    started_at: float | None
    finished_at: float | None
    label_count: int | None
    results_fetched: bool
    account: str
    region: str
    endpoint: str
    notification_json: str | None
    removed: bool
    version: int
    error_code: str | None
    duration_ms: int | None
    attempts: int
    next_attempt_at: float
    claimed_by: str | None
    lease_until: float | None
    dedupe_key: str
    etag: str | None

    @property
    def scope(self) -> Scope:
        return Scope(self.account, self.region, self.endpoint)

    @property
    def request(self) -> dict[str, Any]:
        """The exact StartLabelDetection parameters (ClientRequestToken included)."""
        return json.loads(self.request_json)

    @property
    def settings(self) -> JobSettings:
        return settings_from_json(self.settings_json)

    def elapsed(self, now: float) -> float:
        """Seconds from submission to the end (or to ``now`` while the job is active)."""
        end = self.finished_at if self.finished_at is not None else now
        return max(0.0, end - self.submitted_at)


_COLUMNS = tuple(f.name for f in fields(JobRecord))


@dataclass(frozen=True)
class SkippedJob:
    """A job :meth:`JobStore.add_unique_jobs` did not write: ``existing`` already had its dedupe key."""

    job: NewJob
    existing: JobRecord


@dataclass(frozen=True)
class AddResult:
    """What :meth:`JobStore.add_unique_jobs` wrote (QUEUED, in input order) and what it skipped."""

    added: tuple[JobRecord, ...]
    skipped: tuple[SkippedJob, ...]


@dataclass(frozen=True)
class Changes:
    version: int  # pass this to the next changed_since()
    rows: tuple[JobRecord, ...]  # changed rows in version order; a row with removed=True left the list


def settings_to_json(settings: JobSettings) -> str:
    return json.dumps(asdict(settings), sort_keys=True, ensure_ascii=False)


def settings_from_json(text: str) -> JobSettings:
    data = json.loads(text)
    f = data.get("filters") or {}
    n = data.get("notification")
    return JobSettings(
        filters=LabelFilters(**{k: tuple(v) for k, v in f.items()}),
        min_confidence=data.get("min_confidence", 50.0),
        job_tag=data.get("job_tag"),
        notification=NotificationChannel(**n) if n else None,
    )


def new_token() -> str:
    """A ClientRequestToken: 1-64 characters of ``[a-zA-Z0-9-_]``."""
    return uuid.uuid4().hex


def dedupe_key(scope: Scope, request: dict[str, Any]) -> str:
    """Same scope and same request (token aside) → same key: the same video submitted twice alike."""
    body = {k: v for k, v in request.items() if k != "ClientRequestToken"}
    text = json.dumps([scope.account, scope.region, scope.endpoint, body], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def new_job(
    bucket: str,
    key: str,
    settings: JobSettings,
    scope: Scope,
    *,
    preset: str | None = None,
    version_id: str | None = None,
    size: int | None = None,
    etag: str | None = None,
    token: str | None = None,
) -> NewJob:
    """A job ready for the store, with its own ClientRequestToken and its exact request parameters."""
    token = token or new_token()
    request = build_start_request(bucket, key, settings, client_request_token=token, version_id=version_id)
    notification = asdict(settings.notification) if settings.notification else None
    return NewJob(
        bucket=bucket,
        key=key,
        version_id=version_id,
        size=size,
        preset=preset,
        settings_json=settings_to_json(settings),
        request_json=json.dumps(request, sort_keys=True, ensure_ascii=False),
        client_token=token,
        job_tag=settings.job_tag,
        notification_json=json.dumps(notification, sort_keys=True) if notification else None,
        scope=scope,
        dedupe_key=dedupe_key(scope, request),
        etag=etag.strip('"') if etag else None,
    )


# ----------------------------------------------------------------------------------------------------------
# Errors
# ----------------------------------------------------------------------------------------------------------


class JobStoreError(KnownError):
    pass


# ----------------------------------------------------------------------------------------------------------
# The store
# ----------------------------------------------------------------------------------------------------------


class JobStore(OpenedFile):
    """Thread-safe (one connection behind a lock); several processes may open the same file.

    Open with ``JobStore(path)``; check :attr:`problem` (a message when a corrupt file was kept aside).
    Raises :class:`JobStoreError` for a newer-version file, a read-only file or folder.
    """

    def __init__(
        self,
        path: Path,
        *,
        clock: Callable[[], float] = time.time,
        busy_timeout_ms: int = BUSY_TIMEOUT_MS,
        lock_retry_seconds: float = LOCK_RETRY_SECONDS,
    ) -> None:
        self.path = Path(path)
        self.clock = clock
        self.busy_timeout_ms = busy_timeout_ms
        self.lock_retry_seconds = lock_retry_seconds
        self._lock = threading.RLock()
        self._file = SQLiteFile(
            self.path, _schema(), busy_timeout_ms=busy_timeout_ms, lock_retry_seconds=lock_retry_seconds
        )
        self._conn: sqlite3.Connection | None = self._file.open()

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> JobStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        with self._read() as conn:
            return int(conn.execute("PRAGMA user_version").fetchone()[0])

    # -- transactions -------------------------------------------------------------------------------------

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._conn is None:
                raise JobStoreError("Job database closed", f"'{self.path}' was closed.")
            yield self._conn

    @contextmanager
    def _write(self) -> Iterator[tuple[sqlite3.Connection, int]]:
        """A write transaction; yields (connection, the version number to stamp on changed rows)."""
        with self._lock:
            if self._conn is None:
                raise JobStoreError("Job database closed", f"'{self.path}' was closed.")
            with self._file.transaction(self._conn) as conn:
                version = conn.execute(
                    "UPDATE meta SET value = value + 1 WHERE key = 'version' RETURNING value"
                ).fetchone()[0]
                yield conn, int(version)

    # -- reading ------------------------------------------------------------------------------------------

    def version(self) -> int:
        with self._read() as conn:
            return int(conn.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()[0])

    def changed_since(self, version: int) -> Changes:
        """Rows changed after ``version`` (removed ones included, flagged), and the version to ask next."""
        with self._read() as conn:
            conn.execute("BEGIN")  # one snapshot for both queries
            try:
                current = int(conn.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()[0])
                rows = conn.execute(
                    f"SELECT {', '.join(_COLUMNS)} FROM jobs WHERE version > ? ORDER BY version, id", (version,)
                ).fetchall()
            finally:
                conn.execute("COMMIT")
        return Changes(current, tuple(_record(r) for r in rows))

    def get(self, row_id: int) -> JobRecord | None:
        return self._one("id = ?", (row_id,))

    def by_token(self, token: str) -> JobRecord | None:
        return self._one("client_token = ?", (token,))

    def by_job_id(self, job_id: str) -> JobRecord | None:
        return self._one("job_id = ? ORDER BY id DESC", (job_id,))

    def _one(self, where: str, args: tuple[Any, ...]) -> JobRecord | None:
        with self._read() as conn:
            row = conn.execute(f"SELECT {', '.join(_COLUMNS)} FROM jobs WHERE {where} LIMIT 1", args).fetchone()
        return _record(row) if row else None

    def jobs(
        self,
        scope: Scope | None = None,
        *,
        statuses: Sequence[JobStatus] | None = None,
        include_removed: bool = False,
        ids: Sequence[int] | None = None,
    ) -> list[JobRecord]:
        where, args = _scope_where(scope)
        if statuses is not None:
            where.append(f"status IN ({', '.join('?' * len(statuses))})")
            args += [str(s) for s in statuses]
        if not include_removed:
            where.append("removed = 0")
        if ids is not None:
            where.append(f"id IN ({', '.join('?' * len(ids))})")
            args += list(ids)
        sql = f"SELECT {', '.join(_COLUMNS)} FROM jobs"
        if where:
            sql += " WHERE " + " AND ".join(where)
        with self._read() as conn:
            rows = conn.execute(sql + " ORDER BY id", args).fetchall()
        return [_record(r) for r in rows]

    def counts(self, scope: Scope | None = None) -> dict[JobStatus, int]:
        where, args = _scope_where(scope)
        where.append("removed = 0")
        with self._read() as conn:
            rows = conn.execute(
                "SELECT status, count(*) FROM jobs WHERE " + " AND ".join(where) + " GROUP BY status", args
            ).fetchall()
        result = {s: 0 for s in JobStatus}
        for status, n in rows:
            result[JobStatus(status)] = n
        return result

    def find_by_dedupe_keys(self, keys: Sequence[str]) -> dict[str, JobRecord]:
        """The newest job (removed ones aside) for each key that has one."""
        found: dict[str, JobRecord] = {}
        keys = list(dict.fromkeys(keys))
        with self._read() as conn:
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                rows = conn.execute(
                    f"SELECT {', '.join(_COLUMNS)} FROM jobs WHERE removed = 0 AND dedupe_key IN "
                    f"({', '.join('?' * len(chunk))}) ORDER BY id",
                    chunk,
                ).fetchall()
                for row in rows:
                    record = _record(row)
                    found[record.dedupe_key] = record
        return found

    def known_duration_ms(self, video_uri: str) -> int | None:
        """A video's duration learned from an earlier job (AWS returns it in VideoMetadata)."""
        with self._read() as conn:
            row = conn.execute(
                "SELECT duration_ms FROM jobs WHERE video_uri = ? AND duration_ms IS NOT NULL "
                "ORDER BY id DESC LIMIT 1",
                (video_uri,),
            ).fetchone()
        return int(row[0]) if row else None

    # -- writing ------------------------------------------------------------------------------------------

    def add_jobs(self, new_jobs: Sequence[NewJob]) -> list[JobRecord]:
        """Write jobs as QUEUED, all in one transaction (all or none), and return them.

        No duplicate check: this is "submit again anyway" (``--force``, the window's box). Use
        :meth:`add_unique_jobs` to skip videos already submitted alike.
        """
        return list(self._insert(new_jobs, skip_duplicates=False).added)

    def add_unique_jobs(self, new_jobs: Sequence[NewJob]) -> AddResult:
        """Write jobs as QUEUED except those already submitted alike; the check and the insert are one
        write transaction, so two submitters racing on the same videos cannot both queue one.

        The rule is :func:`gui.core.duplicates.plan_jobs`'s: a job is skipped when a row that is not
        removed has the same :func:`dedupe_key` (scope + the request without its token: bucket, key,
        version, every setting), whatever that row's status. A job earlier in ``new_jobs`` counts too.
        A job with an empty key (never made by :func:`new_job`) is always written.
        """
        return self._insert(new_jobs, skip_duplicates=True)

    def _insert(self, new_jobs: Sequence[NewJob], *, skip_duplicates: bool) -> AddResult:
        if not new_jobs:
            return AddResult((), ())
        now = self.clock()
        skipped_ids: list[tuple[NewJob, int]] = []
        added_ids: list[int] = []
        with self._write() as (conn, version):
            for job in new_jobs:
                if skip_duplicates and job.dedupe_key:
                    row = conn.execute(
                        "SELECT id FROM jobs WHERE removed = 0 AND dedupe_key = ? ORDER BY id DESC LIMIT 1",
                        (job.dedupe_key,),
                    ).fetchone()
                    if row is not None:
                        skipped_ids.append((job, int(row[0])))
                        continue
                cur = conn.execute(
                    "INSERT INTO jobs (bucket, key, version_id, video_uri, size, preset, settings_json, "
                    "request_json, client_token, status, job_tag, submitted_at, updated_at, account, region, "
                    "endpoint, notification_json, version, dedupe_key, etag, next_attempt_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
                    (
                        job.bucket,
                        job.key,
                        job.version_id,
                        f"s3://{job.bucket}/{job.key}",
                        job.size,
                        job.preset,
                        job.settings_json,
                        job.request_json,
                        job.client_token,
                        str(JobStatus.QUEUED),
                        job.job_tag,
                        now,
                        now,
                        job.scope.account,
                        job.scope.region,
                        job.scope.endpoint,
                        job.notification_json,
                        version,
                        job.dedupe_key,
                        job.etag,
                    ),
                )
                added_ids.append(int(cur.lastrowid or 0))
            if not added_ids:
                conn.execute("UPDATE meta SET value = value - 1 WHERE key = 'version'")  # nothing changed
            ids = added_ids + [row_id for _job, row_id in skipped_ids]
            by_id: dict[int, JobRecord] = {}
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                rows = conn.execute(
                    f"SELECT {', '.join(_COLUMNS)} FROM jobs WHERE id IN ({', '.join('?' * len(chunk))})", chunk
                ).fetchall()
                by_id.update((r.id, r) for r in map(_record, rows))
        return AddResult(
            tuple(by_id[i] for i in added_ids),
            tuple(SkippedJob(job, by_id[row_id]) for job, row_id in skipped_ids),
        )

    def claim(
        self,
        scope: Scope,
        *,
        owner: str,
        max_active: int,
        limit: int,
        lease_seconds: float,
        is_abandoned: Callable[[str | None, float | None, float], bool],
        now: float | None = None,
    ) -> list[JobRecord]:
        """Atomically take jobs to submit: SUBMITTING (state set here) and leased to ``owner``.

        First half-submitted jobs whose owner is gone (a crash: same token, so AWS returns the same
        JobId), then queued jobs that are due, while fewer than ``max_active`` jobs of ``scope`` are
        submitting or in progress. The count and the claim happen in one write transaction, so two
        processes sharing the store never exceed the limit between them.
        """
        now = self.clock() if now is None else now
        where, args = _scope_where(scope)
        scope_sql = " AND ".join(where)
        with self._write() as (conn, version):
            submitting = conn.execute(
                f"SELECT id, claimed_by, lease_until FROM jobs WHERE {scope_sql} AND status = ? ORDER BY id",
                [*args, str(JobStatus.SUBMITTING)],
            ).fetchall()
            stale = [r[0] for r in submitting if is_abandoned(r[1], r[2], now)][:limit]
            in_progress = conn.execute(
                f"SELECT count(*) FROM jobs WHERE {scope_sql} AND status = ?", [*args, str(JobStatus.IN_PROGRESS)]
            ).fetchone()[0]
            free = max(0, max_active - in_progress - len(submitting))
            take = max(0, min(free, limit - len(stale)))
            queued = []
            if take:
                queued = [
                    r[0]
                    for r in conn.execute(
                        f"SELECT id FROM jobs WHERE {scope_sql} AND status = ? AND next_attempt_at <= ? "
                        "ORDER BY next_attempt_at > 0, id LIMIT ?",
                        [*args, str(JobStatus.QUEUED), now, take],
                    ).fetchall()
                ]
            ids = stale + queued
            if not ids:
                conn.execute("UPDATE meta SET value = value - 1 WHERE key = 'version'")  # nothing changed
                return []
            marks = ", ".join("?" * len(ids))
            conn.execute(
                f"UPDATE jobs SET status = ?, claimed_by = ?, lease_until = ?, attempts = attempts + 1, "
                f"updated_at = ?, version = ? WHERE id IN ({marks})",
                [str(JobStatus.SUBMITTING), owner, now + lease_seconds, now, version, *ids],
            )
            rows = conn.execute(f"SELECT {', '.join(_COLUMNS)} FROM jobs WHERE id IN ({marks}) ORDER BY id", ids)
            return [_record(r) for r in rows.fetchall()]

    def next_due(self, scope: Scope) -> float | None:
        """When the earliest queued job of ``scope`` may be tried (None: nothing queued)."""
        where, args = _scope_where(scope)
        with self._read() as conn:
            row = conn.execute(
                f"SELECT min(next_attempt_at) FROM jobs WHERE {' AND '.join(where)} AND status = ?",
                [*args, str(JobStatus.QUEUED)],
            ).fetchone()
        return None if row[0] is None else float(row[0])

    def _update(self, row_id: int, when_status: Sequence[JobStatus] | None, **values: Any) -> bool:
        values.setdefault("updated_at", self.clock())
        sets = ", ".join(f"{k} = ?" for k in values)
        args: list[Any] = [str(v) if isinstance(v, JobStatus) else v for v in values.values()]
        sql = f"UPDATE jobs SET {sets}, version = ? WHERE id = ?"
        with self._write() as (conn, version):
            extra: list[Any] = []
            if when_status is not None:
                sql += f" AND status IN ({', '.join('?' * len(when_status))})"
                extra = [str(s) for s in when_status]
            changed = conn.execute(sql, [*args, version, row_id, *extra]).rowcount
            if not changed:
                conn.execute("UPDATE meta SET value = value - 1 WHERE key = 'version'")
        return bool(changed)

    def mark_started(self, row_id: int, job_id: str, *, started_at: float | None = None) -> bool:
        """AWS accepted the job. Ignored if the job already moved on (another process got there first)."""
        now = self.clock() if started_at is None else started_at
        return self._update(
            row_id,
            [JobStatus.SUBMITTING, JobStatus.QUEUED],
            status=JobStatus.IN_PROGRESS,
            job_id=job_id,
            started_at=now,
            status_message=None,
            error_code=None,
            claimed_by=None,
            lease_until=None,
        )

    def requeue(self, row_id: int, *, next_attempt_at: float, message: str | None, error_code: str | None = None,
                count_attempt: bool = True) -> bool:
        """Back to QUEUED with the same token (a retry later); ``count_attempt=False`` undoes the claim's count."""
        values: dict[str, Any] = {
            "status": JobStatus.QUEUED,
            "next_attempt_at": next_attempt_at,
            "status_message": message,
            "error_code": error_code,
            "claimed_by": None,
            "lease_until": None,
        }
        if not count_attempt:
            return self._update_expr(row_id, [JobStatus.SUBMITTING], "attempts = max(0, attempts - 1)", **values)
        return self._update(row_id, [JobStatus.SUBMITTING], **values)

    def _update_expr(self, row_id: int, when_status: Sequence[JobStatus], expr: str, **values: Any) -> bool:
        values.setdefault("updated_at", self.clock())
        sets = ", ".join(f"{k} = ?" for k in values)
        args = [str(v) if isinstance(v, JobStatus) else v for v in values.values()]
        with self._write() as (conn, version):
            changed = conn.execute(
                f"UPDATE jobs SET {sets}, {expr}, version = ? WHERE id = ? "
                f"AND status IN ({', '.join('?' * len(when_status))})",
                [*args, version, row_id, *[str(s) for s in when_status]],
            ).rowcount
            if not changed:
                conn.execute("UPDATE meta SET value = value - 1 WHERE key = 'version'")
        return bool(changed)

    def mark_failed(self, row_id: int, message: str, *, error_code: str | None = None,
                    job_id: str | None = None) -> bool:
        values: dict[str, Any] = {
            "status": JobStatus.FAILED,
            "status_message": message,
            "error_code": error_code,
            "finished_at": self.clock(),
            "claimed_by": None,
            "lease_until": None,
        }
        if job_id:
            values["job_id"] = job_id
        return self._update(row_id, [JobStatus.QUEUED, JobStatus.SUBMITTING, JobStatus.IN_PROGRESS], **values)

    def mark_finished(self, row_id: int, status: JobStatus, *, message: str | None = None,
                      duration_ms: int | None = None, finished_at: float | None = None) -> bool:
        """AWS says the job ended (SUCCEEDED or FAILED). Only an in-progress job moves, exactly once."""
        if status not in (JobStatus.SUCCEEDED, JobStatus.FAILED):
            raise ValueError(f"not an end state: {status}")
        values: dict[str, Any] = {
            "status": status,
            "status_message": message,
            "finished_at": self.clock() if finished_at is None else finished_at,
        }
        if duration_ms is not None:
            values["duration_ms"] = int(duration_ms)
        return self._update(row_id, [JobStatus.IN_PROGRESS], **values)

    def set_results(self, row_id: int, *, label_count: int, duration_ms: int | None = None) -> bool:
        values: dict[str, Any] = {"label_count": int(label_count), "results_fetched": 1}
        if duration_ms:
            values["duration_ms"] = int(duration_ms)
        return self._update(row_id, None, **values)

    def set_message(self, row_id: int, message: str | None) -> bool:
        return self._update(row_id, None, status_message=message)

    def cancel(self, row_id: int) -> bool:
        """Take a queued job out of the queue. False when it was no longer queued (already being sent)."""
        return self._update(
            row_id, [JobStatus.QUEUED], status=JobStatus.CANCELLED, finished_at=self.clock(),
            status_message="Cancelled before it was sent to AWS.",
        )

    def retry(self, row_id: int) -> JobRecord | None:
        """Queue a failed or cancelled job again with a NEW ClientRequestToken (the old one would make AWS
        return the old, failed job). Returns the updated record, or None if the job was not retryable."""
        record = self.get(row_id)
        if record is None or record.status not in (JobStatus.FAILED, JobStatus.CANCELLED):
            return None
        token = new_token()
        request = record.request
        request["ClientRequestToken"] = token
        now = self.clock()
        ok = self._update(
            row_id,
            [JobStatus.FAILED, JobStatus.CANCELLED],
            status=JobStatus.QUEUED,
            client_token=token,
            request_json=json.dumps(request, sort_keys=True, ensure_ascii=False),
            job_id=None,
            status_message=None,
            error_code=None,
            submitted_at=now,
            started_at=None,
            finished_at=None,
            label_count=None,
            results_fetched=0,
            attempts=0,
            next_attempt_at=0,
            claimed_by=None,
            lease_until=None,
        )
        return self.get(row_id) if ok else None

    def remove(self, row_id: int) -> bool:
        """Hide an ended job from the list. The row is kept (marked removed): nothing is ever deleted."""
        terminal = [JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED]
        return self._update(row_id, terminal, removed=1)


# ----------------------------------------------------------------------------------------------------------


def _scope_where(scope: Scope | None) -> tuple[list[str], list[Any]]:
    if scope is None:
        return [], []
    return ["account = ?", "region = ?", "endpoint = ?"], [scope.account, scope.region, scope.endpoint]


def _record(row: Sequence[Any]) -> JobRecord:
    data = dict(zip(_COLUMNS, row, strict=True))
    data["status"] = JobStatus(data["status"])
    data["results_fetched"] = bool(data["results_fetched"])
    data["removed"] = bool(data["removed"])
    return JobRecord(**data)


def host_name() -> str:
    try:
        return os.uname().nodename
    except AttributeError:  # Windows
        return os.environ.get("COMPUTERNAME", "localhost")
