"""Worker processes for the results-cache race tests (no tests here).

Each worker is a separate, spawned process that waits for commands; every trial both workers meet at a
shared barrier and then open or fetch at the same moment. Workers live for the whole test so the cost of
starting Python and importing boto3 is paid once, not per trial.
"""

from __future__ import annotations

import multiprocessing as mp
import traceback
from pathlib import Path
from typing import Any

from results_support import rekognition

START_TIMEOUT = 60.0


def worker(endpoint_url: str, commands: Any, answers: Any, barrier: Any) -> None:
    """Commands: ``("open", path)`` opens a brand-new results cache (and job store) at the barrier, then
    fetches the job; ``("fetch", path, job_id)`` opens an existing cache, then fetches at the barrier.
    Answers ``("ok", result_id)`` or ``("error", traceback text)``."""
    from gui.core.jobstore import JobStore
    from gui.core.results_fetch import fetch_and_store
    from gui.core.results_store import ResultsStore

    client = rekognition(endpoint_url)
    answers.put(("ready", None))
    while True:
        command = commands.get()
        if command is None:
            return
        kind, path, job_id = command
        try:
            if kind == "open":
                barrier.wait(START_TIMEOUT)
                with JobStore(Path(path).with_name("jobs.sqlite3")):
                    pass
                store = ResultsStore(Path(path))
            else:
                store = ResultsStore(Path(path))
                barrier.wait(START_TIMEOUT)
            try:
                fetch_and_store(client, job_id, store)
                answers.put(("ok", store.result_id(job_id)))
            finally:
                store.close()
        except BaseException:
            answers.put(("error", traceback.format_exc()))


class Workers:
    """Two spawned worker processes sharing one barrier."""

    def __init__(self, endpoint_url: str, count: int = 2) -> None:
        ctx = mp.get_context("spawn")
        self.barrier = ctx.Barrier(count)
        self.answers = ctx.Queue()
        self.commands = [ctx.Queue() for _ in range(count)]
        self.processes = [
            ctx.Process(target=worker, args=(endpoint_url, q, self.answers, self.barrier), daemon=True)
            for q in self.commands
        ]
        for p in self.processes:
            p.start()
        for _ in self.processes:
            kind, _detail = self.answers.get(timeout=START_TIMEOUT)
            assert kind == "ready"

    def run(self, kind: str, path: Path, job_id: str) -> list[tuple[str, Any]]:
        for q in self.commands:
            q.put((kind, str(path), job_id))
        return [self.answers.get(timeout=START_TIMEOUT) for _ in self.commands]

    def close(self) -> None:
        for q in self.commands:
            q.put(None)
        for p in self.processes:
            p.join(10)
            if p.is_alive():
                p.terminate()
