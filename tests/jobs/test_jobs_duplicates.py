"""Nothing doubled: two submitters racing on the same videos (the window's confirmation dialog open while the
CLI submits the same prefix, or two CLI processes) queue, and start, each video once.

The race: a submitter *plans* (finds which videos were already submitted alike), the user takes time to
confirm, then it *inserts*. Before the fix the check and the insert were separate transactions, so two
submitters that both planned before either inserted both queued every video (the control test below
shows the old two-step sequence doing exactly that). A ``threading.Barrier`` between plan and insert makes
that interleaving certain instead of lucky. Counts come from the store and from the sandbox's own side.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections import Counter
from dataclasses import replace

from jobs_helpers import FAST_POLL, FAST_SUBMIT, connect, wait_until

from gui.core.duplicates import plan_jobs
from gui.core.engine import JobEngine, resolve_scope
from gui.core.jobstates import JobStatus
from gui.core.jobstore import JobStore, Scope, new_job
from gui.core.types import JobSettings, S3Object

N = 30
SCOPE = Scope("123456789012", "us-east-1", "http://127.0.0.1:1")
SETTINGS = JobSettings(min_confidence=60.0, job_tag="race")


def _videos(bucket: str = "race-bucket", prefix: str = "race/") -> list[S3Object]:
    return [S3Object(bucket, f"{prefix}v{i:02d}.mp4", 40_000) for i in range(N)]


def _race(path, steps, n_racers: int = 2) -> list:
    """Run ``steps(store, barrier)`` in ``n_racers`` threads, each with its own JobStore connection.

    The file is created first, as the window has it open already (two connections creating a brand-new
    file at the same instant can get "database is locked" from ``PRAGMA journal_mode = WAL``: a separate
    matter from this race)."""
    JobStore(path).close()
    barrier = threading.Barrier(n_racers, timeout=20)
    results: list = [None] * n_racers
    errors: list[BaseException] = []

    def racer(i: int) -> None:
        try:
            with JobStore(path) as store:
                results[i] = steps(store, barrier)
        except BaseException as exc:  # reported below: a failure in a thread must fail the test
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=racer, args=(i,)) for i in range(n_racers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    assert not any(t.is_alive() for t in threads)
    return results


def test_control_the_old_plan_then_insert_sequence_doubles_every_video(tmp_path):
    """The interleaving the fix must survive: both plan (no duplicates yet), then both insert."""
    path = tmp_path / "jobs.sqlite3"

    def old_steps(store: JobStore, barrier: threading.Barrier) -> int:
        plan = plan_jobs(store, SCOPE, _videos(), SETTINGS)
        barrier.wait()  # both "dialogs" are open: neither has inserted yet
        return len(store.add_jobs(plan.new))

    assert _race(path, old_steps) == [N, N]
    with JobStore(path) as store:
        assert len(store.jobs()) == 2 * N  # the hole: every video queued twice


def test_racing_submitters_queue_each_video_once_and_report_the_rest_as_skipped(tmp_path):
    path = tmp_path / "jobs.sqlite3"

    def new_steps(store: JobStore, barrier: threading.Barrier):
        plan = plan_jobs(store, SCOPE, _videos(), SETTINGS)
        assert plan.duplicates == ()
        barrier.wait()
        return store.add_unique_jobs(plan.new)

    results = _race(path, new_steps)
    assert sorted(len(r.added) for r in results) == [0, N]  # the write lock serialises them: one wins all
    assert sum(len(r.skipped) for r in results) == N
    with JobStore(path) as store:
        rows = store.jobs()
        assert len(rows) == N
        assert Counter(r.dedupe_key for r in rows).most_common(1)[0][1] == 1
        winner = next(r for r in results if r.added)
        loser = next(r for r in results if r.skipped)
        # each skipped job names the row that made it a duplicate, as plan() does
        assert {s.existing.id for s in loser.skipped} == {r.id for r in rows} == {r.id for r in winner.added}
        assert all(s.job.dedupe_key == s.existing.dedupe_key for s in loser.skipped)


def test_the_rule_is_plans_rule(tmp_path):
    """Skipped exactly when plan() would call it a duplicate: same scope, bucket, key, version and settings,
    a row not removed, whatever its status; a different setting, version or scope is a new job."""
    videos = _videos()[:4]
    with JobStore(tmp_path / "jobs.sqlite3") as store:
        first = store.add_unique_jobs(plan_jobs(store, SCOPE, videos, SETTINGS).new)
        assert len(first.added) == 4 and first.skipped == ()
        failed, cancelled, removed, _queued = first.added
        store.mark_failed(failed.id, "refused")
        store.cancel(cancelled.id)
        store.cancel(removed.id)
        store.remove(removed.id)

        fresh = [new_job(v.bucket, v.key, SETTINGS, SCOPE, size=v.size) for v in videos]  # as if planned earlier
        plan_now = plan_jobs(store, SCOPE, videos, SETTINGS)
        again = store.add_unique_jobs(fresh)
        assert [s.job.key for s in again.skipped] == [d.video.key for d in plan_now.duplicates]
        assert {s.existing.status for s in again.skipped} == {JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.QUEUED}
        assert [r.key for r in again.added] == [removed.key]  # a removed row does not count

        other = [
            plan_jobs(store, SCOPE, videos[:1], replace(SETTINGS, min_confidence=61.0)).new[0],
            plan_jobs(store, replace(SCOPE, region="eu-west-1"), videos[:1], SETTINGS).new[0],
            plan_jobs(store, SCOPE, [replace(videos[0], version_id="v2")], SETTINGS).new[0],
        ]
        assert len(store.add_unique_jobs(other).added) == 3
        # the same video twice in one call: the second is a duplicate of the first
        twice = plan_jobs(store, SCOPE, [S3Object("race-bucket", "new.mp4")], SETTINGS).new * 2
        twice = [twice[0], replace(twice[1], client_token="other-token")]
        result = store.add_unique_jobs(twice)
        assert len(result.added) == 1 and result.skipped[0].existing.id == result.added[0].id
        # add_jobs (--force, "submit again") still writes duplicates
        assert len(store.add_jobs([new_job(v.bucket, v.key, SETTINGS, SCOPE) for v in videos])) == 4


def _fill(sb, prefix="race/") -> list[S3Object]:
    sb.fill_prefix("race-bucket", prefix, N, size=40_000)
    listing = connect(sb).client("s3").list_objects_v2(Bucket="race-bucket", Prefix=prefix)["Contents"]
    return [S3Object("race-bucket", o["Key"], o["Size"]) for o in listing]


def _one_sandbox_job_per_video(sb) -> None:
    started = Counter((j["Video"]["S3Object"]["Bucket"], j["Video"]["S3Object"]["Name"]) for j in sb.jobs())
    assert len(sb.jobs()) == N, len(sb.jobs())
    assert len(started) == N and set(started.values()) == {1}


def test_two_engines_racing_start_each_video_once_on_the_sandbox(make_sandbox, tmp_path):
    """Window and CLI alike: plan, (dialog open) barrier, enqueue_unique; both engines then run."""
    sb = make_sandbox(job_seconds=0.2)
    videos = _fill(sb)
    conn = connect(sb)
    scope = resolve_scope(conn.client, "us-east-1", sb.endpoint_url)
    path = tmp_path / "jobs.sqlite3"
    engines: list[JobEngine] = []
    lock = threading.Lock()

    def steps(store: JobStore, barrier: threading.Barrier):
        engine = JobEngine(store, conn.client, scope, submit_policy=FAST_SUBMIT, poll_policy=FAST_POLL)
        engine.start()
        with lock:
            engines.append(engine)
        try:
            plan = engine.plan(videos, JobSettings())
            barrier.wait()
            result = engine.enqueue_unique(plan.new)
            wait_until(lambda: all(j.status.is_terminal for j in store.jobs()) and len(store.jobs()) == N, 60)
            return result
        finally:
            assert engine.stop(5)

    results = _race(path, steps)
    assert sorted(len(r.added) for r in results) == [0, N]
    assert sum(len(r.skipped) for r in results) == N
    with JobStore(path) as store:
        assert [j.status for j in store.jobs()] == [JobStatus.SUCCEEDED] * N
    _one_sandbox_job_per_video(sb)


def test_window_dialog_open_while_the_cli_submits_the_same_prefix(make_sandbox, tmp_path):
    """The window planned (nothing submitted yet) and shows its dialog; meanwhile the CLI, a separate
    process, submits and runs the same prefix. Confirming then queues nothing: all 30 are skipped."""
    from gui.qt.job_feed import enqueue_planned

    sb = make_sandbox(job_seconds=0.2)
    videos = _fill(sb)
    conn = connect(sb)
    scope = resolve_scope(conn.client, "us-east-1", sb.endpoint_url)
    data = tmp_path / "app"
    from gui.core.paths import resolve_paths

    paths = resolve_paths(data_dir=data)
    with JobStore(paths.jobs_db) as store:
        engine = JobEngine(store, conn.client, scope, submit_policy=FAST_SUBMIT, poll_policy=FAST_POLL)
        plan = engine.plan(videos, JobSettings())  # the confirmation dialog is now open
        assert len(plan.new) == N and plan.duplicates == ()

        proc = subprocess.run(
            [sys.executable, "-m", "gui", "submit", "--endpoint-url", sb.endpoint_url, "--region", "us-east-1",
             "--data-dir", str(data), "--poll-interval", "0.1", "--poll-max", "0.3", "--wait",
             "s3://race-bucket/race/"],
            capture_output=True, text=True, timeout=120,
        )
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.strip() == f"{N} succeeded"

        engine.start()
        try:
            assert enqueue_planned(None, None, engine, plan, False, JobSettings(), None) == (0, N)  # user clicks Start
        finally:
            assert engine.stop(5)
        assert len(store.jobs()) == N
    _one_sandbox_job_per_video(sb)


def test_a_planned_job_records_the_listed_etag_and_its_frames_are_pinned_to_it(tmp_path):
    from gui.core.moments import pin_for_job

    with JobStore(tmp_path / "jobs.sqlite3") as store:
        video = S3Object("race-bucket", "etag/v.mp4", 40_000, etag="0f343b0931126a20f133d67c2b018a3b-2")
        plan = plan_jobs(store, SCOPE, [video], SETTINGS)
        assert [job.etag for job in plan.new] == ["0f343b0931126a20f133d67c2b018a3b-2"]
        [record] = store.add_jobs(plan.new)
    pin = pin_for_job(record)
    assert (pin.etag, pin.size) == ("0f343b0931126a20f133d67c2b018a3b-2", 40_000)
