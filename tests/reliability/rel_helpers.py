"""Helpers for the reliability suite (a uniquely named module: tests import it by name)."""

from __future__ import annotations

import base64
import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CHILD_SCRIPT = HERE / "rel_sandbox_child.py"
REGION = "us-east-1"
# Fast engine timings for the CLI: first status check after 0.1 s, at most every 0.5 s.
CLI_FAST = ("--poll-interval", "0.1", "--poll-max", "0.5")


def wait_until(predicate: Callable[[], Any], timeout: float = 30.0, interval: float = 0.05,
               what: str = "condition") -> Any:
    """Poll ``predicate`` until it returns something truthy (returned); fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {timeout} s")
        time.sleep(interval)


def service_jobs(endpoint_url: str) -> list[dict[str, Any]]:
    """The jobs the sandbox started, as its own ``GET /_sandbox/jobs`` lists them (JobId, Bucket, Key,
    ClientRequestToken, Status, ...): the service's view, whichever process the sandbox runs in."""
    import urllib.request

    with urllib.request.urlopen(endpoint_url + "/_sandbox/jobs", timeout=30) as resp:
        return list(json.load(resp)["Jobs"])


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def conn_args(endpoint_url: str, data_dir: Path | str) -> list[str]:
    return ["--endpoint-url", endpoint_url, "--region", REGION, "--data-dir", str(data_dir)]


def cli_command(*args: object) -> list[str]:
    return [sys.executable, "-m", "gui", *map(str, args)]


def run_cli(*args: object, timeout: float = 120, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m gui ARGS`` in a child process (what a script would run)."""
    return subprocess.run(cli_command(*args), capture_output=True, text=True, timeout=timeout,
                          env=env if env is not None else dict(os.environ))


def cli_in_process(*args: object) -> tuple[int, str, str]:
    """``gui.cli.main(ARGS)`` in this process (fast); returns (exit code, stdout, stderr)."""
    from gui import cli

    out, err = io.StringIO(), io.StringIO()
    code = cli.main([str(a) for a in args], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def demo_bytes(name: str) -> bytes:
    from gui.sandbox.seed import demo_file

    return demo_file(name)


class ChildSandbox:
    """A :class:`gui.sandbox.Sandbox` in a child process (see rel_sandbox_child.py).

    ``kill()`` is SIGKILL (every connection drops at once); a new ChildSandbox on the same ``port`` comes
    back at the same endpoint_url, with none of the old one's buckets or jobs.
    """

    def __init__(self, log_path: Path, env: dict[str, str] | None = None, **config: Any) -> None:
        config.setdefault("port", 0)
        self._log = open(log_path, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, str(CHILD_SCRIPT), json.dumps(config)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log, text=True,
            env=env if env is not None else dict(os.environ),
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line.startswith("endpoint_url "):
            self.kill()
            raise RuntimeError(f"the child sandbox did not start (see {log_path})")
        self.endpoint_url = line.split()[1]

    def call(self, op: str, **kwargs: Any) -> Any:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"op": op, **kwargs}) + "\n")
        self.proc.stdin.flush()
        reply = json.loads(self.proc.stdout.readline())
        if "error" in reply:
            raise RuntimeError(f"child sandbox {op}: {reply['error']}")
        return reply["ok"]

    def jobs(self) -> list[dict[str, Any]]:
        return list(self.call("jobs"))

    def stats(self) -> dict[str, int]:
        return dict(self.call("stats"))

    def put_object(self, bucket: str, key: str, body: bytes) -> None:
        self.call("put_object", bucket=bucket, key=key, body=base64.b64encode(body).decode())

    def fill_prefix(self, bucket: str, prefix: str, count: int, size: int = 1024, video_ratio: float = 1.0) -> int:
        return int(self.call("fill_prefix", bucket=bucket, prefix=prefix, count=count, size=size,
                             video_ratio=video_ratio))

    def seed_demo(self) -> dict[str, int]:
        return dict(self.call("seed_demo"))

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL: the sandbox vanishes mid-request, as a crash or a pulled cable would."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        self._close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.write(json.dumps({"op": "stop"}) + "\n")
                self.proc.stdin.flush()
                self.proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.send_signal(signal.SIGKILL)
                self.proc.wait(timeout=10)
        self._close()

    def _close(self) -> None:
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass
        self._log.close()


def store_records(db: Path) -> list[Any]:
    """Every row of the job store at ``db`` (removed ones included), read with the product's own store."""
    from gui.core.jobstore import JobStore

    with JobStore(db) as store:
        return store.jobs(include_removed=True)


def status_counts(records: Sequence[Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in records:
        counts[r.status.value] = counts.get(r.status.value, 0) + 1
    return counts


def peek_counts(db: Path) -> dict[str, int]:
    """Status counts read straight from SQLite, read-only (for watching another process's progress
    without side effects: a missing file or table reads as empty)."""
    import sqlite3

    if not db.exists():
        return {}
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error:
        return {}
    try:
        rows = conn.execute("SELECT status, count(*) FROM jobs GROUP BY status").fetchall()
    except sqlite3.Error:
        return {}
    finally:
        conn.close()
    return {str(s): int(n) for s, n in rows}


RAW_FAILURES = ("Traceback", "database is locked", "OperationalError", "DatabaseError:", "KeyError",
                "AttributeError", "TypeError", "NameError", "Exception:")


def raw_failures(text: str) -> list[str]:
    """Signs that a crash or a raw exception reached the user instead of a message."""
    return [marker for marker in RAW_FAILURES if marker in text]
