"""Switching a SQLite database to WAL, safely when several processes open a new file at once."""

from __future__ import annotations

import sqlite3
import time


def switch_to_wal(conn: sqlite3.Connection, timeout_s: float) -> str:
    """``PRAGMA journal_mode = WAL``, retried; returns the journal mode now in force.

    SQLite does not apply the busy timeout to this statement, so two processes opening a brand-new database
    at once (two CLI runs on a fresh data folder, the window and the CLI) could otherwise see "database is
    locked".
    """
    deadline = time.monotonic() + max(timeout_s, 1.0)
    delay = 0.005
    while True:
        try:
            return str(conn.execute("PRAGMA journal_mode = WAL").fetchone()[0])
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc).lower() or time.monotonic() >= deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.1)
