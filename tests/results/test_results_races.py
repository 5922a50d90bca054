"""Two processes on one results cache at the same moment (separate spawned processes, a shared barrier):
opening a brand-new cache, and fetching the same job's results. Thirty trials each; every trial must end
without an error and with exactly one stored result per aggregation."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
from race_support import Workers
from results_support import SCRIPT_SIZE

from gui.core.results_store import SEGMENTS, TIMESTAMPS, ResultsStore

TRIALS = 30


@pytest.fixture(scope="module")
def workers(scripted: Any) -> Iterator[Workers]:
    w = Workers(scripted.endpoint_url)
    try:
        yield w
    finally:
        w.close()


def _stored(path: Any, job_id: str) -> dict[str, Any]:
    con = sqlite3.connect(path)
    try:
        rows = con.execute(
            "SELECT aggregation, result_id, complete, detection_count FROM results WHERE job_id=?", (job_id,)
        ).fetchall()
        orphans = con.execute(
            "SELECT COUNT(*) FROM pages WHERE result_id NOT IN (SELECT result_id FROM results)"
        ).fetchone()[0]
    finally:
        con.close()
    return {"rows": rows, "orphans": orphans}


def _check_trial(path: Any, job_id: str, answers: list[tuple[str, Any]]) -> list[str]:
    problems = [detail for kind, detail in answers if kind != "ok"]
    stored = _stored(path, job_id)
    complete = [(agg, n) for agg, _rid, done, n in stored["rows"] if done]
    if sorted(agg for agg, _n in complete) != [SEGMENTS, TIMESTAMPS]:
        problems.append(f"stored results: {stored['rows']}")
    if any(agg == TIMESTAMPS and n != SCRIPT_SIZE for agg, n in complete):
        problems.append(f"wrong detection count: {stored['rows']}")
    if stored["orphans"]:
        problems.append(f"{stored['orphans']} pages of no result")
    with ResultsStore(path) as store:
        summary = store.summary(job_id)
        if summary is None or summary.detection_count != SCRIPT_SIZE:
            problems.append(f"summary: {summary}")
    return problems


def test_two_processes_opening_a_brand_new_cache_at_once(workers, scripted_job, tmp_path):
    job_id = scripted_job["job_id"]
    failures = []
    for trial in range(TRIALS):
        path = tmp_path / f"trial-{trial}" / "results.sqlite3"
        answers = workers.run("open", path, job_id)
        problems = _check_trial(path, job_id, answers)
        if problems:
            failures.append((trial, problems))
    assert failures == [], f"{len(failures)} of {TRIALS} trials failed: {failures[:3]}"


def test_two_processes_fetching_the_same_job_at_once(workers, scripted_job, tmp_path):
    job_id = scripted_job["job_id"]
    failures = []
    for trial in range(TRIALS):
        path = tmp_path / f"trial-{trial}" / "results.sqlite3"
        ResultsStore(path).close()  # the cache exists; only the fetches race
        answers = workers.run("fetch", path, job_id)
        problems = _check_trial(path, job_id, answers)
        if problems:
            failures.append((trial, problems))
    assert failures == [], f"{len(failures)} of {TRIALS} trials failed: {failures[:3]}"
