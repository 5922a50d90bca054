"""Concurrency: the window's job store (threads of this process) and the CLI (a child process) write the
same SQLite file at once, and another program holds its write lock for longer than the busy timeout.
No "database is locked" reaches anyone, no row is lost, the window's incremental view misses nothing."""

from __future__ import annotations

import sqlite3
import subprocess
import threading
import time
from collections import Counter

import pytest
from rel_helpers import CLI_FAST, cli_command, conn_args, peek_counts, raw_failures, service_jobs, wait_until

from gui.core.jobstates import JobStatus
from gui.core.jobstore import BUSY_TIMEOUT_MS, JobStore, Scope, new_job
from gui.core.leases import claim_is_abandoned
from gui.core.paths import resolve_paths
from gui.core.types import JobSettings

VIDEOS = 60
BUCKET = "conc-videos"
# The window's rows belong to another account/region/endpoint, so the CLI's engine leaves them alone and
# this test decides their every state change.
WINDOW_SCOPE = Scope("999999999999", "eu-west-1", "http://window.invalid")
LOCK_HOLD_SECONDS = BUSY_TIMEOUT_MS / 1000 + 1.5  # longer than SQLite's busy timeout alone would wait


class WindowWriter(threading.Thread):
    """What the window does to the store, as fast as it can: queue, claim, start, finish, fetch,
    cancel, retry, remove. Remembers the state each row must end in and every error it met."""

    def __init__(self, store: JobStore) -> None:
        super().__init__(name="window-writer", daemon=True)
        self.store = store
        self.expected: dict[str, tuple[JobStatus, bool]] = {}  # token -> (status, removed)
        self.errors: list[BaseException] = []
        self.stop = threading.Event()
        self.rounds = 0

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                self.one_round()
                self.rounds += 1
        except BaseException as exc:
            self.errors.append(exc)

    def one_round(self) -> None:
        n = self.rounds
        jobs = [new_job("window-bucket", f"round-{n:04d}/clip-{i}.mp4", JobSettings(), WINDOW_SCOPE)
                for i in range(4)]
        records = self.store.add_jobs(jobs)
        # One IN_PROGRESS row stays per round: no limit of active jobs may stop a long run (paced starts make
        # the CLI side take longer, so the window runs more rounds).
        claimed = self.store.claim(WINDOW_SCOPE, owner=f"window:{n}", max_active=10**9, limit=3, lease_seconds=60,
                                   is_abandoned=claim_is_abandoned)
        assert [r.id for r in claimed] == [r.id for r in records[:3]]
        for r in claimed:
            assert self.store.mark_started(r.id, f"job-{r.client_token}")
        for r in claimed[:2]:
            assert self.store.mark_finished(r.id, JobStatus.SUCCEEDED, duration_ms=1000)
            assert self.store.set_results(r.id, label_count=n)
        first, second, third, fourth = records
        self.expected[first.client_token] = (JobStatus.SUCCEEDED, False)
        self.expected[second.client_token] = (JobStatus.SUCCEEDED, True)
        assert self.store.remove(second.id)
        self.expected[third.client_token] = (JobStatus.IN_PROGRESS, False)
        assert self.store.cancel(fourth.id)
        retried = self.store.retry(fourth.id)  # a new token: the row is the same, the token changes
        assert retried is not None and retried.status is JobStatus.QUEUED
        assert self.store.cancel(fourth.id)  # nothing left queued: the next round claims its own rows
        self.expected[retried.client_token] = (JobStatus.CANCELLED, False)
        time.sleep(0.002)


class WindowView(threading.Thread):
    """The jobs panel's refresh: ``changed_since`` over and over, keeping the latest version of each row."""

    def __init__(self, store: JobStore) -> None:
        super().__init__(name="window-view", daemon=True)
        self.store = store
        self.rows: dict[int, object] = {}
        self.version = 0
        self.errors: list[BaseException] = []
        self.stop = threading.Event()

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                self.refresh()
                time.sleep(0.01)
            self.refresh()
        except BaseException as exc:
            self.errors.append(exc)

    def refresh(self) -> None:
        changes = self.store.changed_since(self.version)
        assert changes.version >= self.version
        self.version = changes.version
        for row in changes.rows:
            self.rows[row.id] = row


def hold_write_lock(db, seconds: float, held: threading.Event) -> None:
    """Another program (a backup tool, a stalled process) holding the write lock for ``seconds``."""
    conn = sqlite3.connect(str(db), timeout=30, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        held.set()
        time.sleep(seconds)
        conn.execute("COMMIT")
    finally:
        conn.close()


@pytest.mark.slow
def test_window_and_cli_write_the_same_store_at_once(make_sandbox, tmp_path):
    sb = make_sandbox(job_seconds=0.2)
    sb.fill_prefix(BUCKET, "cli/", VIDEOS, size=40_000)
    data = tmp_path / "app"
    paths = resolve_paths(data).ensure()
    # Separate connections, as in the app: the window's writer and its view each open the file.
    writer_store, view_store = JobStore(paths.jobs_db), JobStore(paths.jobs_db)
    writer, view = WindowWriter(writer_store), WindowView(view_store)
    cli = None
    try:
        writer.start()
        view.start()
        cli = subprocess.Popen(
            cli_command("submit", *conn_args(sb.endpoint_url, data), *CLI_FAST, "--retry-max", "0.5", "--wait",
                        f"s3://{BUCKET}/cli/"),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        # Once the CLI is busy submitting and polling, a third party holds the write lock past the busy
        # timeout: both the CLI and the window must wait it out (the store retries), not fail.
        wait_until(lambda: peek_counts(paths.jobs_db).get("IN_PROGRESS", 0) >= 5, timeout=60,
                   what="the CLI's jobs in progress")
        held = threading.Event()
        hog = threading.Thread(target=hold_write_lock, args=(paths.jobs_db, LOCK_HOLD_SECONDS, held))
        hog.start()
        assert held.wait(30)
        rounds_before = writer.rounds
        hog.join()
        out, err = cli.communicate(timeout=180)
        time.sleep(0.3)  # a few more window rounds after the CLI is done
    finally:
        # The writer first: the view's last refresh must come after the writer's last change.
        writer.stop.set()
        writer.join(60)
        view.stop.set()
        view.join(60)
        if cli is not None and cli.poll() is None:
            cli.kill()
            cli.communicate(timeout=30)

    assert writer.errors == [] and view.errors == []
    assert cli.returncode == 0, err
    assert out.strip() == f"{VIDEOS} succeeded"
    assert raw_failures(err) == [] and "locked" not in err.lower() and "busy" not in err.lower()
    assert writer.rounds > rounds_before, "the window made no progress after the lock was released"

    with writer_store:
        every = writer_store.jobs(include_removed=True)
    view_store.close()
    raw = sqlite3.connect(str(paths.jobs_db))
    try:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"  # readers never block the writer
    finally:
        raw.close()
    cli_rows = [r for r in every if r.scope != WINDOW_SCOPE]
    window_rows = [r for r in every if r.scope == WINDOW_SCOPE]

    # The CLI's jobs: one row per video, all succeeded, one sandbox job each.
    assert len(cli_rows) == VIDEOS and {r.status for r in cli_rows} == {JobStatus.SUCCEEDED}
    names = Counter(j["Key"] for j in service_jobs(sb.endpoint_url))
    assert len(names) == VIDEOS and set(names.values()) == {1}
    assert {r.job_id for r in cli_rows} == {j["JobId"] for j in service_jobs(sb.endpoint_url)}

    # The window's rows: every one it wrote is there, in the state it last set.
    assert len(window_rows) == 4 * writer.rounds
    assert {r.client_token: (r.status, r.removed) for r in window_rows} == writer.expected
    assert len(writer.expected) == 4 * writer.rounds

    # The window's incremental view saw every row, in its final version (removed ones flagged).
    assert {r.id: (r.status, r.removed, r.version) for r in view.rows.values()} == {
        r.id: (r.status, r.removed, r.version) for r in every
    }
