"""The label library: search across every stored job's labels, over the index in the results cache
(:mod:`gui.core.library_index`: its tables, moments, and the upkeep inside the results store's transactions).

**Upkeep here.** A job removed from the job list leaves the index at the next
:meth:`Library.sync_jobs` (and stays out: a tombstone in ``library_hidden``). Caches from before the index
existed are indexed once, in the background, by :meth:`Library.backfill`.

**Search.** :meth:`Library.search` compiles the query's tree (:mod:`gui.core.library_query`) into one SQL
``WHERE`` over ``library_videos`` (one ``IN`` subquery per term, answered from ``library_labels``'
primary key) and streams the matches, each with the moments of the terms that made it match.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Protocol

from gui.core.errors import KnownError
from gui.core.jobstore import JobStore
from gui.core.library_index import (
    MOMENT_GAP_MS,
    index_result,
    pending_jobs,
    preferred_result,
    remove_job,
)
from gui.core.library_query import (
    And,
    BucketTerm,
    CategoryTerm,
    LabelTerm,
    MatchAll,
    Node,
    Not,
    Or,
    PrefixTerm,
    parse,
    terms,
)
from gui.core.sqlite_store import ThreadConnections
from gui.core.taxonomy import load_taxonomy

log = logging.getLogger(__name__)

__all__ = ["MOMENT_GAP_MS", "BackfillProgress", "Library", "Moment", "VideoMatch", "prepare_library"]

# ----------------------------------------------------------------------------------------------------------
# What a search returns
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Moment:
    label: str
    start_ms: int
    end_ms: int
    confidence: float


@dataclass(frozen=True)
class VideoMatch:
    job_id: str
    bucket: str
    key: str
    duration_ms: int
    analysed_at: float | None  # seconds since the epoch: when the job ended (or its results were stored)
    label_count: int
    preset: str | None
    settings: str | None
    aggregation: str
    moments: tuple[Moment, ...] = field(default=(), compare=False)

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}" if self.bucket else self.key


@dataclass(frozen=True)
class BackfillProgress:
    done: int
    total: int


class Cancellable(Protocol):
    @property
    def cancelled(self) -> bool: ...


class JobSource(Protocol):
    """What :meth:`Library.sync_jobs` reads of the job store (:class:`gui.core.jobstore.JobStore`)."""

    def changed_since(self, version: int) -> Any: ...

    def by_job_id(self, job_id: str) -> Any: ...


# ----------------------------------------------------------------------------------------------------------
# Name resolution and compilation
# ----------------------------------------------------------------------------------------------------------


@cache
def _taxonomy_groups() -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]]]:
    """Lower-cased name -> the label and its aliases (synonyms); lower-cased category -> its labels."""
    taxonomy = load_taxonomy()
    synonyms: dict[str, frozenset[str]] = {}
    members: dict[str, set[str]] = {}
    for info in taxonomy.labels.values():
        group = frozenset((info.name, *info.aliases))
        for name in group:
            synonyms[name.lower()] = synonyms.get(name.lower(), frozenset()) | group
        members.setdefault(info.category.lower(), set()).add(info.name)
    return synonyms, {k: frozenset(v) for k, v in members.items()}


def name_synonyms(name: str) -> frozenset[str]:
    """``name`` and, when the taxonomy knows it, its label and that label's aliases."""
    return frozenset({name}) | _taxonomy_groups()[0].get(name.lower(), frozenset())


@dataclass
class CompiledQuery:
    node: Node
    where: str
    params: list[Any]
    labels: dict[int, frozenset[str]]  # id(term) -> the labels it stands for


def compile_query(conn: sqlite3.Connection, node: Node) -> CompiledQuery:
    """The SQL condition over ``library_videos AS v`` for ``node``, with its parameters."""
    labels: dict[int, frozenset[str]] = {}
    for term in terms(node):
        if isinstance(term, LabelTerm):
            labels[id(term)] = _lookup(conn, "name", name_synonyms(term.name), frozenset())
        elif isinstance(term, CategoryTerm):
            members = _taxonomy_groups()[1].get(term.name.lower(), frozenset())
            labels[id(term)] = _lookup(conn, "category", frozenset({term.name}), members)
    params: list[Any] = []
    where = _sql(node, labels, params)
    return CompiledQuery(node, where, params, labels)


def _lookup(conn: sqlite3.Connection, kind: str, names: frozenset[str], extra: frozenset[str]) -> frozenset[str]:
    rows = conn.execute(
        "SELECT DISTINCT label FROM library_vocab WHERE kind=? AND term IN (SELECT value FROM json_each(?))",
        (kind, json.dumps(sorted(names))),
    )
    return frozenset(r[0] for r in rows) | extra


def _sql(node: Node, labels: dict[int, frozenset[str]], params: list[Any]) -> str:
    if isinstance(node, MatchAll):
        return "1"
    if isinstance(node, LabelTerm | CategoryTerm):
        names = labels[id(node)]
        if not names:
            return "0"
        params.append(json.dumps(sorted(names)))
        sql = "v.job_id IN (SELECT job_id FROM library_labels WHERE label IN (SELECT value FROM json_each(?))"
        if node.threshold is not None:
            sql += " AND max_confidence " + (">=" if node.threshold.inclusive else ">") + " ?"
            params.append(node.threshold.value)
        return sql + ")"
    if isinstance(node, BucketTerm):
        params.append(node.name)
        return "v.bucket = ?"
    if isinstance(node, PrefixTerm):
        params.extend([len(node.prefix), node.prefix])
        return "substr(v.key, 1, ?) = ?"
    if isinstance(node, Not):
        return f"NOT ({_sql(node.item, labels, params)})"
    joiner = " AND " if isinstance(node, And) else " OR "
    return "(" + joiner.join(_sql(item, labels, params) for item in node.items) + ")"


def _holds(node: Node, video: VideoMatch, best: dict[str, float], labels: dict[int, frozenset[str]]) -> bool:
    """The query's truth for one video (``best``: label -> max confidence), as the SQL decides it."""
    if isinstance(node, MatchAll):
        return True
    if isinstance(node, LabelTerm | CategoryTerm):
        threshold = node.threshold
        return any(
            lbl in best and (threshold is None or threshold.admits(best[lbl])) for lbl in labels[id(node)]
        )
    if isinstance(node, BucketTerm):
        return video.bucket == node.name
    if isinstance(node, PrefixTerm):
        return video.key.startswith(node.prefix)
    if isinstance(node, Not):
        return not _holds(node.item, video, best, labels)
    if isinstance(node, And):
        return all(_holds(i, video, best, labels) for i in node.items)
    assert isinstance(node, Or)
    return any(_holds(i, video, best, labels) for i in node.items)


def _contributing(
    node: Node, video: VideoMatch, best: dict[str, float], labels: dict[int, frozenset[str]]
) -> list[LabelTerm | CategoryTerm]:
    """The label/category terms that make the video match (true, outside any NOT, on a true path)."""
    if isinstance(node, LabelTerm | CategoryTerm):
        return [node] if _holds(node, video, best, labels) else []
    if isinstance(node, And | Or):
        out: list[LabelTerm | CategoryTerm] = []
        for item in node.items:
            if _holds(item, video, best, labels):
                out.extend(_contributing(item, video, best, labels))
        return out
    return []


_CHUNK = 256  # videos whose moments are read with one query


def _with_moments(conn: sqlite3.Connection, videos: list[VideoMatch], compiled: CompiledQuery) -> list[VideoMatch]:
    """``videos`` with the moments of the terms that made each match (two queries for the lot)."""
    ids = json.dumps([v.job_id for v in videos])
    every = json.dumps(sorted(set().union(*compiled.labels.values())))
    best: dict[str, dict[str, float]] = {}
    for job_id, label, conf in conn.execute(
        "SELECT job_id, label, max_confidence FROM library_labels WHERE job_id IN (SELECT value FROM json_each(?))"
        " AND label IN (SELECT value FROM json_each(?))",
        (ids, every),
    ):
        best.setdefault(job_id, {})[label] = conf
    chosen = {v.job_id: _contributing(compiled.node, v, best.get(v.job_id, {}), compiled.labels) for v in videos}
    wanted = sorted({lbl for terms_ in chosen.values() for t in terms_ for lbl in compiled.labels[id(t)]})
    found: dict[str, list[Moment]] = {}
    if wanted:
        for job_id, *row in conn.execute(
            "SELECT job_id, label, start_ms, end_ms, confidence FROM library_moments"
            " WHERE job_id IN (SELECT value FROM json_each(?)) AND label IN (SELECT value FROM json_each(?))",
            (ids, json.dumps(wanted)),
        ):
            found.setdefault(job_id, []).append(Moment(*row))
    out = []
    for v in videos:
        terms_ = chosen[v.job_id]
        kept = [
            m for m in found.get(v.job_id, ())
            if any(m.label in compiled.labels[id(t)] and (t.threshold is None or t.threshold.admits(m.confidence))
                   for t in terms_)
        ]
        kept.sort(key=lambda m: (m.start_ms, m.label))
        out.append(VideoMatch(v.job_id, v.bucket, v.key, v.duration_ms, v.analysed_at, v.label_count, v.preset,
                              v.settings, v.aggregation, tuple(kept)))
    return out


# ----------------------------------------------------------------------------------------------------------
# The library
# ----------------------------------------------------------------------------------------------------------

_VIDEO_COLUMNS = "job_id, bucket, key, duration_ms, analysed_at, label_count, preset, settings, aggregation"


class Library:
    """Search and upkeep over the index in a results cache (open the :class:`ResultsStore` first: its
    migration creates the tables). Thread-safe: each thread gets its own connection."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._pool = ThreadConnections(self._connect)

    @classmethod
    def for_store(cls, store: Any) -> Library:
        """The library of an open :class:`gui.core.results_store.ResultsStore`."""
        return cls(store.path)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=10.0, check_same_thread=False, isolation_level=None)
        conn.execute("PRAGMA busy_timeout = 10000")
        return conn

    def _db(self) -> sqlite3.Connection:
        return self._pool.get()

    def release_connection(self) -> None:
        """Close the calling thread's connections (call it when a short-lived thread ends)."""
        self._pool.release()

    def close(self) -> None:
        self._pool.close_all()

    # -- search -----------------------------------------------------------------------------------------

    def search(
        self,
        query: str | Node,
        *,
        bucket: str | None = None,
        prefix: str | None = None,
        since: float | None = None,
        until: float | None = None,
        moments: bool = True,
        cancel: Cancellable | None = None,
    ) -> Iterator[VideoMatch]:
        """Matching videos ordered by bucket and key, streamed (the first come before the rest are read).

        ``query`` is parsed with :func:`gui.core.library_query.parse` (:class:`QueryError` when bad) before
        anything is yielded. ``bucket``/``prefix``/``since``/``until`` (epoch seconds, analysed at) narrow
        it further. Each match carries the moments of the terms that made it match, by start time.
        """
        node = parse(query) if isinstance(query, str) else query
        conn = self._db()
        compiled = compile_query(conn, node)
        where = [compiled.where]
        params = list(compiled.params)
        if bucket:
            where.append("v.bucket = ?")
            params.append(bucket)
        if prefix:
            where.append("substr(v.key, 1, ?) = ?")
            params.extend([len(prefix), prefix])
        if since is not None:
            where.append("v.analysed_at >= ?")
            params.append(float(since))
        if until is not None:
            where.append("v.analysed_at < ?")
            params.append(float(until))
        sql = f"SELECT {_VIDEO_COLUMNS} FROM library_videos AS v WHERE {' AND '.join(where)} ORDER BY bucket, key"
        return self._stream(conn, sql, params, compiled, moments, cancel)

    def _stream(
        self,
        conn: sqlite3.Connection,
        sql: str,
        params: list[Any],
        compiled: CompiledQuery,
        moments: bool,
        cancel: Cancellable | None,
    ) -> Iterator[VideoMatch]:
        reader = self._pool.borrow()  # a stream holds it until it ends; streams at once get one each
        try:
            reader.execute("BEGIN")  # one snapshot for the whole stream
            cursor = reader.execute(sql, params)
            size = 1  # the first match goes out at once; then chunks, whose moments are read together
            while True:
                if cancel is not None and cancel.cancelled:
                    return
                rows = cursor.fetchmany(size)
                if not rows:
                    return
                videos = [VideoMatch(r[0], r[1], r[2], int(r[3]), r[4], int(r[5]), r[6], r[7], r[8]) for r in rows]
                if moments and compiled.labels:
                    videos = _with_moments(reader, videos, compiled)
                yield from videos
                size = min(_CHUNK, size * 4)
        finally:
            self._pool.give_back(reader)

    def moments(self, job_id: str, labels: Sequence[str] | None = None) -> list[Moment]:
        """Every moment of a job (or of ``labels``), by start time."""
        sql = "SELECT label, start_ms, end_ms, confidence FROM library_moments WHERE job_id=?"
        params: list[Any] = [job_id]
        if labels is not None:
            sql += " AND label IN (SELECT value FROM json_each(?))"
            params.append(json.dumps(list(labels)))
        return [Moment(*r) for r in self._db().execute(sql + " ORDER BY start_ms, label", params)]

    def buckets(self) -> list[str]:
        return [r[0] for r in self._db().execute("SELECT DISTINCT bucket FROM library_videos ORDER BY bucket")]

    def video_count(self) -> int:
        return int(self._db().execute("SELECT COUNT(*) FROM library_videos").fetchone()[0])

    # -- upkeep -----------------------------------------------------------------------------------------

    def pending(self) -> list[str]:
        return pending_jobs(self._db())

    def backfill(
        self,
        *,
        progress: Callable[[BackfillProgress], Any] | None = None,
        cancel: Cancellable | None = None,
    ) -> int:
        """Index every stored job the index lacks (a cache from before the index; resumable: a cancelled
        backfill goes on from where it stopped). One short transaction per job. Returns how many."""
        conn = self._db()
        todo = pending_jobs(conn)
        done = 0
        if progress is not None:
            progress(BackfillProgress(0, len(todo)))
        for job_id in todo:
            if cancel is not None and cancel.cancelled:
                break
            conn.execute("BEGIN IMMEDIATE")
            try:
                rid = preferred_result(conn, job_id)
                if rid is not None and not conn.execute(
                    "SELECT 1 FROM library_videos WHERE job_id=?", (job_id,)
                ).fetchone():
                    index_result(conn, job_id, rid)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            done += 1
            if progress is not None:
                progress(BackfillProgress(done, len(todo)))
        if todo:
            log.info("Library: indexed %d of %d stored jobs", done, len(todo))
        return done

    def sync_jobs(self, jobs: JobSource) -> int:
        """Bring the job list's view of things into the index: jobs removed from the list leave it; the
        preset, settings and end time of the others are copied. Incremental (the job store's change
        version is remembered). Returns how many videos changed."""
        conn = self._db()
        row = conn.execute("SELECT value FROM library_state WHERE key='jobs_version'").fetchone()
        since = int(row[0]) if row else 0
        changes = jobs.changed_since(since)
        records = {r.job_id: r for r in changes.rows if r.job_id}
        unsynced = [r[0] for r in conn.execute("SELECT job_id FROM library_videos WHERE job_synced=0")]
        for job_id in unsynced:
            if job_id not in records:
                records[job_id] = jobs.by_job_id(job_id)
        if not records and changes.version == since:
            return 0
        changed = 0
        conn.execute("BEGIN IMMEDIATE")
        try:
            for job_id, record in records.items():
                changed += _apply_record(conn, job_id, record)
            conn.execute(
                "INSERT INTO library_state(key, value) VALUES ('jobs_version', ?)"
                " ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                (str(changes.version),),
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return changed


def _apply_record(conn: sqlite3.Connection, job_id: str, record: Any) -> int:
    indexed = conn.execute("SELECT 1 FROM library_videos WHERE job_id=?", (job_id,)).fetchone() is not None
    if record is None:
        conn.execute("UPDATE library_videos SET job_synced=2 WHERE job_id=? AND job_synced=0", (job_id,))
        return 0
    if record.removed:
        remove_job(conn, job_id, hide=True)
        return int(indexed)
    if not indexed:
        return 0
    conn.execute(
        "UPDATE library_videos SET preset=?, settings=?, analysed_at=COALESCE(?, analysed_at), job_synced=1"
        " WHERE job_id=?",
        (record.preset, describe_settings(record.settings_json), record.finished_at, job_id),
    )
    return 1


def describe_settings(settings_json: str | None) -> str:
    """A short text of a job's settings: MinConfidence, filters, JobTag."""
    try:
        data = json.loads(settings_json or "{}")
    except ValueError:
        return ""
    parts = [f"MinConfidence {float(data.get('min_confidence', 50.0)):g}"]
    filters = data.get("filters") or {}
    for key, text in (
        ("label_inclusions", "labels in"),
        ("label_exclusions", "labels out"),
        ("category_inclusions", "categories in"),
        ("category_exclusions", "categories out"),
    ):
        if filters.get(key):
            parts.append(f"{len(filters[key])} {text}")
    if data.get("job_tag"):
        parts.append(f"tag {data['job_tag']}")
    return ", ".join(parts)


def prepare_library(
    library: Library,
    jobs: JobSource | Path | None,
    *,
    announce: Callable[[int], Any] | None = None,
    progress: Callable[[BackfillProgress], Any] | None = None,
    cancel: Cancellable | None = None,
) -> list[str]:
    """The upkeep before a search, the same for the window and the CLI: index what a cache from before
    the index holds (``announce(total)`` first, when there is any), then bring in the job list's changes
    (removed jobs leave; presets and settings are copied). ``jobs``: an open job store, or the path of
    its database (opened and closed here; skipped when it does not exist). Returns warnings for the user."""
    warnings: list[str] = []
    pending = library.pending()
    if pending:
        if announce is not None:
            announce(len(pending))
        library.backfill(progress=progress, cancel=cancel)
    if jobs is None or (cancel is not None and cancel.cancelled):
        return warnings
    if not isinstance(jobs, Path):
        library.sync_jobs(jobs)
        return warnings
    if not jobs.exists():
        return warnings
    try:
        store = JobStore(jobs)
    except KnownError as exc:
        warnings.append(f"the job list could not be read, so removed jobs may still show: {exc.message}")
        return warnings
    try:
        library.sync_jobs(store)
    finally:
        store.close()
    return warnings
