"""The label library's index, in the results cache: its tables, and the upkeep the results store calls
inside its own transactions (so the index never lags the cache).

Per video (one job's results) a row in ``library_videos`` (bucket, key, duration, when it was analysed,
its preset and settings, its label count), per video and label a row in ``library_labels`` (max and mean
confidence, number of moments, total time on screen) and the *moments* themselves in ``library_moments``
(start, end, highest confidence). ``library_vocab`` maps every name a label answers to (its own name, the
aliases and parents the results carry) and its categories to the label. ``library_hidden`` keeps jobs
removed from the job list out.

**Moments.** A job indexed from its SEGMENTS results (AWS's own aggregation; preferred when stored) has
one moment per segment, overlapping or touching segments of a label merged. A job with TIMESTAMPS only
has one moment per run of detections of a label that are at most :data:`MOMENT_GAP_MS` apart (from the
first to the last detection of the run). A moment's confidence is the highest in it, so a label's max
confidence is the max over its moments and ``Dog>=90`` matches a video exactly when one of its Dog
moments does. Time on screen is the sum of the moments' lengths.

:func:`index_result` runs in the transaction that completes a result (a refetch replaces the job's
entries), :func:`remove_job` in the one that deletes a job. Search lives in :mod:`gui.core.library`.
"""

from __future__ import annotations

import json
import sqlite3

MOMENT_GAP_MS = 1000  # TIMESTAMPS: detections of a label at most this far apart are one moment
_SEGMENTS = "SEGMENTS"  # gui.core.results_store.SEGMENTS (not imported: the results store imports this module)

SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS library_videos (
    job_id TEXT PRIMARY KEY,
    result_id INTEGER NOT NULL,
    aggregation TEXT NOT NULL,
    bucket TEXT NOT NULL,
    key TEXT NOT NULL,
    duration_ms INTEGER NOT NULL DEFAULT 0,
    analysed_at REAL,
    label_count INTEGER NOT NULL DEFAULT 0,
    moment_count INTEGER NOT NULL DEFAULT 0,
    preset TEXT,
    settings TEXT,
    job_synced INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS library_videos_place ON library_videos(bucket, key);
CREATE TABLE IF NOT EXISTS library_labels (
    label TEXT NOT NULL,
    job_id TEXT NOT NULL,
    max_confidence REAL NOT NULL,
    mean_confidence REAL NOT NULL,
    detections INTEGER NOT NULL,
    moments INTEGER NOT NULL,
    on_screen_ms INTEGER NOT NULL,
    first_ms INTEGER NOT NULL,
    PRIMARY KEY (label, job_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS library_labels_by_job ON library_labels(job_id);
CREATE TABLE IF NOT EXISTS library_moments (
    job_id TEXT NOT NULL,
    label TEXT NOT NULL,
    start_ms INTEGER NOT NULL,
    end_ms INTEGER NOT NULL,
    confidence REAL NOT NULL,
    PRIMARY KEY (job_id, label, start_ms)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS library_vocab (
    kind TEXT NOT NULL,
    term TEXT NOT NULL COLLATE NOCASE,
    label TEXT NOT NULL,
    PRIMARY KEY (kind, term, label)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS library_hidden (job_id TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS library_state (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID
"""


def schema_statements() -> list[str]:
    return [s.strip() for s in SCHEMA_SQL.split(";") if s.strip()]


def ensure_schema(conn: sqlite3.Connection) -> None:
    """Create the index tables (idempotent); the results store's migration runs this in its transaction."""
    for statement in schema_statements():
        conn.execute(statement)


# ----------------------------------------------------------------------------------------------------------
# Upkeep: called inside the results store's transactions
# ----------------------------------------------------------------------------------------------------------

_MOMENTS_SQL = """
WITH spans AS (
    SELECT label, COALESCE(start_ms, timestamp_ms) AS s,
           MAX(COALESCE(end_ms, timestamp_ms), COALESCE(start_ms, timestamp_ms)) AS e, confidence AS c
    FROM detections WHERE result_id = :rid
), marked AS (
    SELECT label, s, e, c,
           CASE WHEN s <= :gap + MAX(e) OVER (PARTITION BY label ORDER BY s, e
                                              ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
                THEN 0 ELSE 1 END AS starts
    FROM spans
), grouped AS (
    SELECT label, s, e, c, SUM(starts) OVER (PARTITION BY label ORDER BY s, e ROWS UNBOUNDED PRECEDING) AS run
    FROM marked
)
INSERT INTO library_moments(job_id, label, start_ms, end_ms, confidence)
SELECT :job, label, MIN(s), MAX(e), MAX(c) FROM grouped GROUP BY label, run
"""

_LABELS_SQL = """
INSERT INTO library_labels(label, job_id, max_confidence, mean_confidence, detections, moments, on_screen_ms,
                           first_ms)
SELECT m.label, :job, MAX(m.confidence), COALESCE(s.mean_confidence, AVG(m.confidence)),
       COALESCE(s.occurrences, COUNT(*)), COUNT(*), SUM(m.end_ms - m.start_ms), MIN(m.start_ms)
FROM library_moments AS m LEFT JOIN label_stats AS s ON s.result_id = :rid AND s.label = m.label
WHERE m.job_id = :job GROUP BY m.label
"""

_VOCAB_SQL = """
INSERT OR IGNORE INTO library_vocab(kind, term, label)
SELECT 'name', label, label FROM label_stats WHERE result_id = :rid
UNION ALL SELECT 'name', j.value, s.label FROM label_stats AS s, json_each(s.aliases) AS j WHERE s.result_id = :rid
UNION ALL SELECT 'name', j.value, s.label FROM label_stats AS s, json_each(s.parents) AS j WHERE s.result_id = :rid
UNION ALL SELECT 'category', j.value, s.label FROM label_stats AS s, json_each(s.categories) AS j
          WHERE s.result_id = :rid
"""


def split_uri(uri: str | None) -> tuple[str, str]:
    """``s3://bucket/key`` -> (bucket, key); anything else -> ("", text)."""
    text = uri or ""
    if text.startswith("s3://"):
        bucket, _, key = text[5:].partition("/")
        return bucket, key
    return "", text


def index_result(conn: sqlite3.Connection, job_id: str, result_id: int) -> bool:
    """(Re)index ``job_id`` from the complete result ``result_id``; runs inside the caller's transaction.

    SEGMENTS are preferred: a TIMESTAMPS result does not replace a stored SEGMENTS one. A job removed from
    the job list (hidden) is not indexed again. Returns whether the job's entries were written.
    """
    row = conn.execute(
        "SELECT aggregation, completed_at, label_count FROM results WHERE result_id=? AND complete=1", (result_id,)
    ).fetchone()
    if row is None:
        return False
    aggregation, completed_at, _labels = row
    if conn.execute("SELECT 1 FROM library_hidden WHERE job_id=?", (job_id,)).fetchone():
        return False
    if aggregation != _SEGMENTS and conn.execute(
        "SELECT 1 FROM results WHERE job_id=? AND aggregation=? AND complete=1 AND result_id<>?",
        (job_id, _SEGMENTS, result_id),
    ).fetchone():
        return False
    conn.execute("DELETE FROM library_moments WHERE job_id=?", (job_id,))
    conn.execute("DELETE FROM library_labels WHERE job_id=?", (job_id,))
    gap = 0 if aggregation == _SEGMENTS else MOMENT_GAP_MS
    params = {"rid": result_id, "job": job_id, "gap": gap}
    conn.execute(_MOMENTS_SQL, params)
    conn.execute(_LABELS_SQL, params)
    conn.execute(_VOCAB_SQL, params)
    job = conn.execute("SELECT video_uri, video_metadata FROM jobs WHERE job_id=?", (job_id,)).fetchone()
    bucket, key = split_uri(job[0] if job else None)
    duration = 0
    if job and job[1]:
        try:
            duration = int(json.loads(job[1]).get("DurationMillis") or 0)
        except (ValueError, TypeError, AttributeError):
            duration = 0
    conn.execute(
        "INSERT INTO library_videos(job_id, result_id, aggregation, bucket, key, duration_ms, analysed_at,"
        " label_count, moment_count)"
        " VALUES (:job, :rid, :agg, :bucket, :key, :dur, CAST(strftime('%s', :done) AS REAL),"
        " (SELECT COUNT(*) FROM library_labels WHERE job_id=:job),"
        " (SELECT COUNT(*) FROM library_moments WHERE job_id=:job))"
        " ON CONFLICT(job_id) DO UPDATE SET result_id=excluded.result_id, aggregation=excluded.aggregation,"
        " bucket=excluded.bucket, key=excluded.key, duration_ms=excluded.duration_ms,"
        " analysed_at=CASE WHEN library_videos.job_synced=1 THEN library_videos.analysed_at"
        " ELSE excluded.analysed_at END,"
        " label_count=excluded.label_count, moment_count=excluded.moment_count",
        {"job": job_id, "rid": result_id, "agg": aggregation, "bucket": bucket, "key": key, "dur": duration,
         "done": completed_at},
    )
    return True


def remove_job(conn: sqlite3.Connection, job_id: str, *, hide: bool = False) -> None:
    """Drop a job's entries (inside the caller's transaction); ``hide`` keeps it out for good (a job
    removed from the job list), so neither a backfill nor a later fetch brings it back."""
    for table in ("library_moments", "library_labels", "library_videos"):
        conn.execute(f"DELETE FROM {table} WHERE job_id=?", (job_id,))
    if hide:
        conn.execute("INSERT OR IGNORE INTO library_hidden(job_id) VALUES (?)", (job_id,))


def preferred_result(conn: sqlite3.Connection, job_id: str) -> int | None:
    """The complete result the index uses for a job: SEGMENTS when stored, else TIMESTAMPS."""
    row = conn.execute(
        "SELECT result_id FROM results WHERE job_id=? AND complete=1 ORDER BY aggregation=? DESC, result_id DESC",
        (job_id, _SEGMENTS),
    ).fetchone()
    return None if row is None else int(row[0])


def pending_jobs(conn: sqlite3.Connection) -> list[str]:
    """Jobs with complete results that are not indexed (nor hidden): what a backfill will index."""
    rows = conn.execute(
        "SELECT DISTINCT job_id FROM results WHERE complete=1"
        " AND job_id NOT IN (SELECT job_id FROM library_videos)"
        " AND job_id NOT IN (SELECT job_id FROM library_hidden) ORDER BY job_id"
    )
    return [r[0] for r in rows]
