"""The local results cache: every page of GetLabelDetection kept in SQLite, one job at a time.

AWS keeps results for 7 days only, and paging through 100,000 detections takes a while, so each job's
results are stored once (the pages exactly as boto3 returned them, for the JSON export, plus one
normalized row per detection with indexes for sorting and filtering) and opened from here afterwards.
:mod:`gui.core.results_fetch` fills it.

The file is opened through :class:`gui.core.sqlite_store.SQLiteFile` (versioned schema, WAL, busy timeout,
corrupt files kept aside). Each thread gets its own connection, so readers run while a fetch writes.

A fetch writes into a new, *partial* result (its id is never reused: AUTOINCREMENT) and swaps it in only
when the last page has arrived, so a failed or cancelled re-fetch never loses results already kept. Two
fetches of the same job at once (the window and the CLI) each write their own partial result; at
completion the one that started last wins and the other's pages are discarded, so exactly one result
per job and aggregation is stored.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import itemgetter
from pathlib import Path
from typing import Any

from gui.core import library_index
from gui.core.errors import KnownError
from gui.core.sqlite_store import Migration, OpenedFile, Schema, SQLiteFile, ThreadConnections

log = logging.getLogger(__name__)


TIMESTAMPS = "TIMESTAMPS"
SEGMENTS = "SEGMENTS"
AGGREGATIONS = (TIMESTAMPS, SEGMENTS)
PAGE_SIZE = 1000  # GetLabelDetection's maximum MaxResults

SCHEMA_VERSION = 3  # 3: the label library's index (gui/core/library_index.py)
BUSY_TIMEOUT_MS = 10_000
# A partial result nobody has added a page to for this long was left by a fetch that died (a live fetch
# writes a page every few seconds, retries included): the next fetch of that job removes it.
STALE_PARTIAL_SECONDS = 600.0

# Columns the detections query may sort by (public name -> SQL expression).
SORT_COLUMNS = {
    "timestamp": "timestamp_ms",
    "label": "label COLLATE NOCASE",
    "confidence": "confidence",
    "instances": "instance_count",
    "start": "start_ms",
    "end": "end_ms",
    "duration": "duration_ms",
}

_MIGRATIONS: dict[int, Migration] = {
    # version n -> n+1
    0: """
    CREATE TABLE jobs (
        job_id TEXT PRIMARY KEY,
        video_uri TEXT,
        job_tag TEXT,
        label_model_version TEXT,
        video_metadata TEXT NOT NULL DEFAULT '{}'
    );
    CREATE TABLE results (
        result_id INTEGER PRIMARY KEY,
        job_id TEXT NOT NULL,
        aggregation TEXT NOT NULL,
        complete INTEGER NOT NULL DEFAULT 0,
        page_count INTEGER NOT NULL DEFAULT 0,
        detection_count INTEGER NOT NULL DEFAULT 0,
        label_count INTEGER NOT NULL DEFAULT 0,
        started_at TEXT NOT NULL,
        completed_at TEXT
    );
    CREATE UNIQUE INDEX results_one_complete ON results(job_id, aggregation) WHERE complete = 1;
    CREATE TABLE pages (
        result_id INTEGER NOT NULL,
        page_no INTEGER NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (result_id, page_no)
    ) WITHOUT ROWID;
    CREATE TABLE detections (
        id INTEGER PRIMARY KEY,
        result_id INTEGER NOT NULL,
        timestamp_ms INTEGER NOT NULL,
        start_ms INTEGER,
        end_ms INTEGER,
        duration_ms INTEGER,
        label TEXT NOT NULL,
        confidence REAL NOT NULL,
        instance_count INTEGER NOT NULL,
        categories TEXT NOT NULL,
        parents TEXT NOT NULL,
        aliases TEXT NOT NULL,
        instances TEXT NOT NULL
    );
    CREATE INDEX detections_by_time ON detections(result_id, timestamp_ms);
    CREATE TABLE label_stats (
        result_id INTEGER NOT NULL,
        label TEXT NOT NULL,
        occurrences INTEGER NOT NULL,
        max_confidence REAL NOT NULL,
        mean_confidence REAL NOT NULL,
        first_ms INTEGER NOT NULL,
        last_ms INTEGER NOT NULL,
        categories TEXT NOT NULL,
        parents TEXT NOT NULL DEFAULT '[]',
        aliases TEXT NOT NULL DEFAULT '[]',
        search_text TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (result_id, label)
    ) WITHOUT ROWID;
    """,
    # v2: result ids are never reused (AUTOINCREMENT), so a fetch can never write into another fetch's
    # result; ``touched_at`` tells a live partial result from one left by a fetch that died. Pages and
    # rows of results that no longer exist (left by the race this fixes) are dropped.
    1: """
    CREATE TABLE results_v2 (
        result_id INTEGER PRIMARY KEY AUTOINCREMENT,
        job_id TEXT NOT NULL,
        aggregation TEXT NOT NULL,
        complete INTEGER NOT NULL DEFAULT 0,
        page_count INTEGER NOT NULL DEFAULT 0,
        detection_count INTEGER NOT NULL DEFAULT 0,
        label_count INTEGER NOT NULL DEFAULT 0,
        started_at TEXT NOT NULL,
        completed_at TEXT,
        touched_at REAL NOT NULL DEFAULT 0
    );
    INSERT INTO results_v2(result_id, job_id, aggregation, complete, page_count, detection_count, label_count,
                           started_at, completed_at)
        SELECT result_id, job_id, aggregation, complete, page_count, detection_count, label_count, started_at,
               completed_at FROM results;
    DROP TABLE results;
    ALTER TABLE results_v2 RENAME TO results;
    CREATE UNIQUE INDEX results_one_complete ON results(job_id, aggregation) WHERE complete = 1;
    DELETE FROM pages WHERE result_id NOT IN (SELECT result_id FROM results);
    DELETE FROM detections WHERE result_id NOT IN (SELECT result_id FROM results);
    DELETE FROM label_stats WHERE result_id NOT IN (SELECT result_id FROM results);
    """,
    2: library_index.SCHEMA_SQL,  # the label library's index; existing jobs are indexed by Library.backfill
}


def _schema() -> Schema:
    return Schema(
        "Results cache",
        SCHEMA_VERSION,
        _MIGRATIONS,
        error=ResultsStoreError,
        fresh="a new, empty cache was started",
        synchronous="NORMAL",  # a crash may lose the last pages of a fetch: it is simply fetched again
    )


# ----------------------------------------------------------------------------------------------------------
# Value types
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResultSummary:
    """What one stored job holds. ``detection_count``/``label_count`` are for TIMESTAMPS when it is stored."""

    job_id: str
    label_count: int
    detection_count: int
    video_metadata: dict[str, Any]
    aggregations: tuple[str, ...] = ()  # the aggregations stored completely
    segment_count: int | None = None  # None: SEGMENTS not stored
    page_count: int = 0
    video_uri: str = ""
    job_tag: str = ""
    label_model_version: str = ""

    @property
    def duration_ms(self) -> int:
        return int(self.video_metadata.get("DurationMillis") or 0)


@dataclass(frozen=True)
class LabelSummary:
    label: str
    occurrences: int
    max_confidence: float
    mean_confidence: float
    first_ms: int
    last_ms: int  # last timestamp (TIMESTAMPS) or last segment end (SEGMENTS)
    categories: tuple[str, ...]
    parents: tuple[str, ...] = ()  # the label's ancestors (Car -> Vehicle, Transportation)
    # what a search matches: the name, categories, parents and aliases (the rule of every search of a result)
    search_text: str = ""


@dataclass(frozen=True)
class Detection:
    id: int
    timestamp_ms: int
    label: str
    confidence: float
    instance_count: int
    start_ms: int | None = None
    end_ms: int | None = None
    duration_ms: int | None = None
    categories: tuple[str, ...] = ()
    parents: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    instances: tuple[dict[str, Any], ...] = field(default=(), compare=False)



class ResultsStoreError(KnownError):
    pass


# ----------------------------------------------------------------------------------------------------------
# The store
# ----------------------------------------------------------------------------------------------------------


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _names_of(text: str | None) -> list[str]:
    """Names from a stored list: AWS's ``[{"Name": ...}]`` objects, or plain names."""
    items = json.loads(text) if text else []
    return [item.get("Name", "") if isinstance(item, dict) else str(item) for item in items]


class ResultsStore(OpenedFile):
    """SQLite cache of label-detection results, opened through :class:`gui.core.sqlite_store.SQLiteFile`.

    Opening a file that is not a database keeps it aside (``<name>.corrupt-<timestamp>``) and starts
    afresh; ``problem``/``kept_aside`` say what happened so the app can tell the user. A file written by a
    newer app version is refused with :class:`ResultsStoreError` and left untouched.
    """

    def __init__(
        self, path: Path, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS, clock: Callable[[], float] = time.time
    ) -> None:
        self.path = Path(path)
        self.clock = clock  # when a partial result was last written to (stale partial results)
        self._file = SQLiteFile(self.path, _schema(), busy_timeout_ms=busy_timeout_ms)
        self._pool = ThreadConnections(self._file.connect)
        self._closed = False
        self._pool.adopt(self._file.open())

    # -- connections ------------------------------------------------------------------------------------

    def _db(self) -> sqlite3.Connection:
        if self._closed:
            raise ResultsStoreError("Results cache closed", f"'{self.path}' was closed.")
        return self._pool.get()

    def release_connection(self) -> None:
        """Close the calling thread's connection (call it when a short-lived thread ends)."""
        self._pool.release()

    def close(self) -> None:
        self._pool.close_all()
        self._closed = True

    def __enter__(self) -> ResultsStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        return int(self._db().execute("PRAGMA user_version").fetchone()[0])

    # -- writing (used by fetch_and_store) ----------------------------------------------------------------

    def begin_result(self, job_id: str, aggregation: str) -> int:
        """Start a partial result and return its id (never one used before). Partial results no fetch has
        written to for :data:`STALE_PARTIAL_SECONDS` (left by a fetch that died) are dropped, whatever
        their job; a partial result another fetch is still writing is left alone."""
        check_aggregation(aggregation)
        conn = self._db()
        now = self.clock()
        with self._file.transaction(conn):
            stale = [
                r[0]
                for r in conn.execute(
                    "SELECT result_id FROM results WHERE complete=0 AND touched_at < ?",
                    (now - STALE_PARTIAL_SECONDS,),
                )
            ]
            for rid in stale:
                _delete_result_rows(conn, rid)
            cur = conn.execute(
                "INSERT INTO results(job_id, aggregation, started_at, touched_at) VALUES (?,?,?,?)",
                (job_id, aggregation, _now(), now),
            )
        return int(cur.lastrowid or 0)

    def add_page(self, result_id: int, page_no: int, page: dict[str, Any], body: str | None = None) -> int:
        """Store one GetLabelDetection response and its detections; returns how many detections.

        ``body`` is the response's JSON text as received; without it the parsed ``page`` is encoded
        (ResponseMetadata, which botocore adds, is left out). SQLite's JSON functions split the page
        into rows in C, which keeps storing cheap next to fetching.
        """
        if body is None:
            body = json.dumps(
                {k: v for k, v in page.items() if k != "ResponseMetadata"}, ensure_ascii=False, separators=(",", ":")
            )
        conn = self._db()
        with self._file.transaction(conn):
            touched = conn.execute(
                "UPDATE results SET touched_at=? WHERE result_id=? AND complete=0", (self.clock(), result_id)
            ).rowcount
            if not touched:
                raise ResultsStoreError("Result missing", f"Result {result_id} is no longer in the cache.")
            conn.execute("INSERT INTO pages(result_id, page_no, body) VALUES (?,?,?)", (result_id, page_no, body))
            cur = conn.execute(_INSERT_DETECTIONS, {"rid": result_id, "body": body})
        return int(cur.rowcount)

    def complete_result(self, result_id: int, page: dict[str, Any]) -> bool:
        """Compute the per-label figures, record the job's metadata, and swap the result in, all in one
        transaction. When a fetch of the same job that started later has already completed, its result
        stays and this one's pages are discarded: returns False (True: this result is the stored one)."""
        conn = self._db()
        with self._file.transaction(conn):
            row = conn.execute(
                "SELECT job_id, aggregation FROM results WHERE result_id=? AND complete=0", (result_id,)
            ).fetchone()
            if row is None:
                raise ResultsStoreError("Result missing", f"Result {result_id} is not in the cache.")
            job_id, aggregation = row
            newer = conn.execute(
                "SELECT 1 FROM results WHERE job_id=? AND aggregation=? AND complete=1 AND result_id>?",
                (job_id, aggregation, result_id),
            ).fetchone()
            if newer is not None:
                _delete_result_rows(conn, result_id)
                return False
            end_expr = "COALESCE(end_ms, timestamp_ms)" if aggregation == SEGMENTS else "timestamp_ms"
            conn.execute(
                "INSERT INTO label_stats(result_id, label, occurrences, max_confidence, mean_confidence,"
                " first_ms, last_ms, categories, parents, aliases) SELECT result_id, label, COUNT(*),"
                f" MAX(confidence), AVG(confidence), MIN(timestamp_ms), MAX({end_expr}), MAX(categories),"
                " MAX(parents), MAX(aliases) FROM detections WHERE result_id=? GROUP BY label",
                (result_id,),
            )
            # per label (a few thousand at most): AWS's [{"Name": ...}] lists -> names, and the search text
            updates = []
            for label, cats, parents, aliases in conn.execute(
                "SELECT label, categories, parents, aliases FROM label_stats WHERE result_id=?", (result_id,)
            ).fetchall():
                names = [_names_of(cats), _names_of(parents), _names_of(aliases)]
                search = "\n".join([label, *names[0], *names[1], *names[2]])
                updates.append((*(json.dumps(n) for n in names), search, result_id, label))
            conn.executemany(
                "UPDATE label_stats SET categories=?, parents=?, aliases=?, search_text=?"
                " WHERE result_id=? AND label=?",
                updates,
            )
            counts = conn.execute(
                "SELECT (SELECT COUNT(*) FROM pages WHERE result_id=?),"
                " (SELECT COALESCE(SUM(occurrences),0) FROM label_stats WHERE result_id=?),"
                " (SELECT COUNT(*) FROM label_stats WHERE result_id=?)",
                (result_id, result_id, result_id),
            ).fetchone()
            for (old,) in conn.execute(
                "SELECT result_id FROM results WHERE job_id=? AND aggregation=? AND complete=1",
                (job_id, aggregation),
            ).fetchall():
                _delete_result_rows(conn, old)
            conn.execute(
                "UPDATE results SET complete=1, page_count=?, detection_count=?, label_count=?, completed_at=?"
                " WHERE result_id=?",
                (*counts, _now(), result_id),
            )
            s3 = (page.get("Video") or {}).get("S3Object") or {}
            uri = f"s3://{s3['Bucket']}/{s3['Name']}" if s3.get("Bucket") and s3.get("Name") else None
            conn.execute(
                "INSERT INTO jobs(job_id, video_uri, job_tag, label_model_version, video_metadata)"
                " VALUES (?,?,?,?,?) ON CONFLICT(job_id) DO UPDATE SET"
                " video_uri=COALESCE(excluded.video_uri, jobs.video_uri),"
                " job_tag=COALESCE(excluded.job_tag, jobs.job_tag),"
                " label_model_version=COALESCE(excluded.label_model_version, jobs.label_model_version),"
                " video_metadata=excluded.video_metadata",
                (
                    job_id,
                    uri,
                    page.get("JobTag"),
                    page.get("LabelModelVersion"),
                    json.dumps(page.get("VideoMetadata") or {}),
                ),
            )
            library_index.index_result(conn, job_id, result_id)  # the library index, in this transaction
        return True

    def discard_result(self, result_id: int) -> None:
        """Drop a partial result (after a failure or cancel). A complete one is left alone."""
        conn = self._db()
        with self._file.transaction(conn):
            row = conn.execute("SELECT complete FROM results WHERE result_id=?", (result_id,)).fetchone()
            if row is not None and not row[0]:
                _delete_result_rows(conn, result_id)

    def delete_job(self, job_id: str) -> None:
        conn = self._db()
        with self._file.transaction(conn):
            for (rid,) in conn.execute("SELECT result_id FROM results WHERE job_id=?", (job_id,)).fetchall():
                _delete_result_rows(conn, rid)
            conn.execute("DELETE FROM jobs WHERE job_id=?", (job_id,))
            library_index.remove_job(conn, job_id)  # the label library's index, in this transaction

    # -- reading ------------------------------------------------------------------------------------------

    def result_id(self, job_id: str, aggregation: str = TIMESTAMPS) -> int | None:
        row = (
            self._db()
            .execute(
                "SELECT result_id FROM results WHERE job_id=? AND aggregation=? AND complete=1",
                (job_id, aggregation),
            )
            .fetchone()
        )
        return None if row is None else int(row[0])

    def has_results(self, job_id: str, aggregation: str = TIMESTAMPS) -> bool:
        return self.result_id(job_id, aggregation) is not None

    def job_ids(self) -> list[str]:
        rows = self._db().execute("SELECT DISTINCT job_id FROM results WHERE complete=1 ORDER BY job_id")
        return [r[0] for r in rows]

    def summary(self, job_id: str) -> ResultSummary | None:
        conn = self._db()
        rows = conn.execute(
            "SELECT aggregation, page_count, detection_count, label_count FROM results"
            " WHERE job_id=? AND complete=1",
            (job_id,),
        ).fetchall()
        if not rows:
            return None
        by_agg = {r[0]: r[1:] for r in rows}
        job = conn.execute(
            "SELECT video_uri, job_tag, label_model_version, video_metadata FROM jobs WHERE job_id=?", (job_id,)
        ).fetchone() or (None, None, None, "{}")
        main = by_agg.get(TIMESTAMPS) or by_agg[SEGMENTS]
        return ResultSummary(
            job_id=job_id,
            label_count=int(main[2]),
            detection_count=int(main[1]),
            video_metadata=json.loads(job[3] or "{}"),
            aggregations=tuple(a for a in AGGREGATIONS if a in by_agg),
            segment_count=int(by_agg[SEGMENTS][1]) if SEGMENTS in by_agg else None,
            page_count=int(main[0]),
            video_uri=job[0] or "",
            job_tag=job[1] or "",
            label_model_version=job[2] or "",
        )

    def label_summary(self, job_id: str, aggregation: str = TIMESTAMPS) -> list[LabelSummary]:
        """One row per label, most frequent first (ties by name)."""
        rid = self._require(job_id, aggregation)
        rows = self._db().execute(
            "SELECT label, occurrences, max_confidence, mean_confidence, first_ms, last_ms, categories, parents,"
            " search_text FROM label_stats WHERE result_id=? ORDER BY occurrences DESC, label",
            (rid,),
        )
        return [
            LabelSummary(r[0], int(r[1]), float(r[2]), float(r[3]), int(r[4]), int(r[5]), tuple(json.loads(r[6])),
                         tuple(json.loads(r[7] or "[]")), r[8] or "")
            for r in rows
        ]

    def count_detections(self, job_id: str, aggregation: str = TIMESTAMPS, *, search: str = "") -> int:
        rid = self._require(job_id, aggregation)
        where, params = _where(rid, search)
        return int(self._db().execute(f"SELECT COUNT(*) FROM detections WHERE {where}", params).fetchone()[0])

    def detection_ids(
        self,
        job_id: str,
        aggregation: str = TIMESTAMPS,
        *,
        sort: str = "timestamp",
        descending: bool = False,
        search: str = "",
    ) -> array[int]:
        """The ids of the matching detections in display order: a compact index for windowed views."""
        rid = self._require(job_id, aggregation)
        where, params = _where(rid, search)
        order = _order(sort, descending)
        rows = self._db().execute(f"SELECT id FROM detections WHERE {where} ORDER BY {order}", params).fetchall()
        # map/itemgetter: a C loop, no bytecode, so a GUI thread waiting for the GIL isn't kept waiting
        return array("q", map(itemgetter(0), rows))

    def detections(
        self,
        job_id: str,
        aggregation: str = TIMESTAMPS,
        *,
        sort: str = "timestamp",
        descending: bool = False,
        search: str = "",
        offset: int = 0,
        limit: int | None = None,
    ) -> list[Detection]:
        """A sorted, filtered page of detections (``limit=None``: all from ``offset``)."""
        rid = self._require(job_id, aggregation)
        where, params = _where(rid, search)
        sql = f"SELECT {_DETECTION_COLUMNS} FROM detections WHERE {where} ORDER BY {_order(sort, descending)}"
        sql += " LIMIT ? OFFSET ?"
        params = (*params, -1 if limit is None else int(limit), int(offset))
        return [_detection(r) for r in self._db().execute(sql, params)]

    def detections_by_id(self, ids: Sequence[int]) -> list[Detection]:
        """Detections for the given ids, in the order given (unknown ids are skipped)."""
        if not ids:
            return []
        found: dict[int, Detection] = {}
        conn = self._db()
        step = 900  # stay under SQLite's host-parameter limit on old builds
        for start in range(0, len(ids), step):
            part = list(ids[start : start + step])
            marks = ",".join("?" * len(part))
            for r in conn.execute(f"SELECT {_DETECTION_COLUMNS} FROM detections WHERE id IN ({marks})", part):
                d = _detection(r)
                found[d.id] = d
        return [found[i] for i in ids if i in found]

    def time_spans(self, job_id: str, aggregation: str = TIMESTAMPS) -> list[tuple[str, int, int]]:
        """(label, start ms, end ms) for every detection; for TIMESTAMPS start == end. For timelines."""
        rid = self._require(job_id, aggregation)
        cur = self._db().execute(
            "SELECT label, timestamp_ms, COALESCE(end_ms, timestamp_ms) FROM detections WHERE result_id=?",
            (rid,),
        )
        return cur.fetchall()

    def timeline_runs(
        self, job_id: str, aggregation: str = TIMESTAMPS, *, bins: int = 2048, duration_ms: int = 0
    ) -> list[tuple[str, int, int, int]]:
        """Detections binned over ``[0, duration_ms)`` into ``bins`` columns, merged per label into runs
        of touching or overlapping bins: ``(label, first bin, last bin, detections in the run)``, ordered
        by label then first bin. SQLite does the work (window functions), off the GIL, so a GUI thread
        stays responsive while a worker prepares a timeline of 100,000 detections."""
        rid = self._require(job_id, aggregation)
        if duration_ms <= 0:
            row = self._db().execute(
                "SELECT MAX(COALESCE(end_ms, timestamp_ms)) FROM detections WHERE result_id=?", (rid,)
            ).fetchone()
            duration_ms = int(row[0] or 0) + 1
        params = {"rid": rid, "bins": int(bins), "top": int(bins) - 1, "dur": int(duration_ms)}
        return self._db().execute(_TIMELINE_RUNS, params).fetchall()

    def pages(self, job_id: str, aggregation: str = TIMESTAMPS) -> list[dict[str, Any]]:
        """The GetLabelDetection responses as returned (without ResponseMetadata), in order."""
        return [json.loads(body) for body in self.raw_pages(job_id, aggregation)]

    def raw_pages(self, job_id: str, aggregation: str = TIMESTAMPS) -> list[str]:
        rid = self._require(job_id, aggregation)
        rows = self._db().execute("SELECT body FROM pages WHERE result_id=? ORDER BY page_no", (rid,))
        return [r[0] for r in rows]

    def _require(self, job_id: str, aggregation: str) -> int:
        check_aggregation(aggregation)
        rid = self.result_id(job_id, aggregation)
        if rid is None:
            raise ResultsStoreError(
                "No stored results",
                f"The {aggregation.lower()} results of job {job_id} are not in the local cache.",
                "Fetch the results first.",
            )
        return rid


def check_aggregation(aggregation: str) -> None:
    if aggregation not in AGGREGATIONS:
        raise ValueError(f"aggregation must be one of {AGGREGATIONS}, not {aggregation!r}")


def _delete_result_rows(conn: sqlite3.Connection, result_id: int) -> None:
    for table in ("detections", "pages", "label_stats", "results"):
        conn.execute(f"DELETE FROM {table} WHERE result_id=?", (result_id,))


_LIST = "COALESCE(json_extract(l.value, '$.Label.{0}'), '[]')"
_INSERT_DETECTIONS = (
    "INSERT INTO detections(result_id, timestamp_ms, start_ms, end_ms, duration_ms, label, confidence,"
    " instance_count, categories, parents, aliases, instances)"
    " SELECT :rid, COALESCE(json_extract(l.value, '$.Timestamp'), 0),"
    " json_extract(l.value, '$.StartTimestampMillis'), json_extract(l.value, '$.EndTimestampMillis'),"
    " json_extract(l.value, '$.DurationMillis'), COALESCE(json_extract(l.value, '$.Label.Name'), ''),"
    " COALESCE(json_extract(l.value, '$.Label.Confidence'), 0.0),"
    " COALESCE(json_array_length(l.value, '$.Label.Instances'), 0),"
    f" {_LIST.format('Categories')}, {_LIST.format('Parents')}, {_LIST.format('Aliases')},"
    f" {_LIST.format('Instances')}"
    " FROM json_each(:body, '$.Labels') AS l ORDER BY l.key"
)

_TIMELINE_RUNS = """
WITH spans AS (
    SELECT label,
           MIN(:top, MAX(0, timestamp_ms * :bins / :dur)) AS b0,
           MIN(:top, MAX(0, COALESCE(end_ms, timestamp_ms) * :bins / :dur)) AS b1
    FROM detections WHERE result_id = :rid
), marked AS (
    SELECT label, b0, b1,
           CASE WHEN b0 <= 1 + MAX(b1) OVER (PARTITION BY label ORDER BY b0, b1
                                            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
                THEN 0 ELSE 1 END AS starts
    FROM spans
), grouped AS (
    SELECT label, b0, b1, SUM(starts) OVER (PARTITION BY label ORDER BY b0, b1 ROWS UNBOUNDED PRECEDING) AS run
    FROM marked
)
SELECT label, MIN(b0), MAX(b1), COUNT(*) FROM grouped GROUP BY label, run ORDER BY label, MIN(b0)
"""

_DETECTION_COLUMNS = (
    "id, timestamp_ms, label, confidence, instance_count, start_ms, end_ms, duration_ms,"
    " categories, parents, aliases, instances"
)


def _detection(r: Sequence[Any]) -> Detection:
    return Detection(
        id=r[0],
        timestamp_ms=r[1],
        label=r[2],
        confidence=r[3],
        instance_count=r[4],
        start_ms=r[5],
        end_ms=r[6],
        duration_ms=r[7],
        categories=tuple(_names_of(r[8])),
        parents=tuple(_names_of(r[9])),
        aliases=tuple(_names_of(r[10])),
        instances=tuple(json.loads(r[11])),
    )


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _where(result_id: int, search: str) -> tuple[str, tuple[Any, ...]]:
    """Search matches the label name, its categories, aliases or parents (case-insensitive substring)."""
    text = search.strip()
    if not text:
        return "result_id=?", (result_id,)
    # per label, not per row: label_stats holds each label's names and categories as one search text
    clause = (
        "result_id=? AND label IN (SELECT label FROM label_stats WHERE result_id=?"
        " AND search_text LIKE ? ESCAPE '\\')"
    )
    return clause, (result_id, result_id, f"%{_like_escape(text)}%")


def _order(sort: str, descending: bool) -> str:
    column = SORT_COLUMNS.get(sort)
    if column is None:
        raise ValueError(f"sort must be one of {sorted(SORT_COLUMNS)}, not {sort!r}")
    direction = "DESC" if descending else "ASC"
    tiebreak = "" if column == "timestamp_ms" else f", timestamp_ms {direction}"
    return f"{column} {direction}{tiebreak}, id {direction}"
