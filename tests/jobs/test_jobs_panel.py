"""The Jobs panel end to end against a private sandbox: submit through the button and the confirmation,
watch rows go live, act on jobs, and share the job list with the CLI running in another process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from dataclasses import replace

import pytest
from jobs_helpers import FAST_POLL, FAST_SUBMIT, connect, demo_videos, wait_until
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QPushButton

from gui.core.jobstates import Action, JobStatus
from gui.core.paths import resolve_paths
from gui.core.types import SANDBOX_SCOPE, JobSettings
from gui.qt.job_model import STATUS, VIDEO
from gui.qt.jobs_panel import JobsPanel

# The offscreen platform plugin warns whenever a dialog is shown; the dialogs are what we test here.
pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


@pytest.fixture
def paths(tmp_path):
    """The same layout as ``--data-dir tmp_path/app`` gives the CLI (so both share one job store)."""
    return resolve_paths(tmp_path / "app").ensure()


@pytest.fixture
def panel(qtbot, paths):
    panels = []

    def make(**kw):
        kw.setdefault("submit_policy", FAST_SUBMIT)
        kw.setdefault("poll_policy", FAST_POLL)
        p = JobsPanel(paths, **kw)
        qtbot.addWidget(p)
        p.resize(1100, 380)
        panels.append(p)
        return p

    yield make
    for p in panels:
        p.shutdown()


def _statuses(p):
    return [p.model.record(i).status for i in range(p.model.rowCount())]


def _connect(qtbot, p, sb):
    conn = connect(sb)
    p.set_connection(conn)
    qtbot.waitUntil(lambda: p.engine is not None, timeout=15_000)
    return conn


def _confirm(qtbot, p):
    box = None

    def found():
        nonlocal box
        box = p.findChild(QMessageBox, "submitConfirmation")
        return box is not None and box.isVisible()

    qtbot.waitUntil(found, timeout=10_000)
    return box


def test_submit_two_demo_videos_both_succeed_with_labels(qtbot, panel, make_sandbox, tmp_path):
    sb = make_sandbox(seed_demo=True, job_seconds=0.5)
    p = panel()
    conn = _connect(qtbot, p, sb)
    videos = demo_videos(conn)[:2]
    p.set_sources(lambda: videos, lambda: JobSettings(min_confidence=60, job_tag="demo-run"), lambda: "Everything",
                  list)
    p.show()
    qtbot.mouseClick(p.submitButton, Qt.MouseButton.LeftButton)
    box = _confirm(qtbot, p)
    assert "2 videos" in box.text() and "$0.10 per minute" in box.text()
    assert "MinConfidence 60" in box.text()
    qtbot.mouseClick(box.findChild(QPushButton, "confirmSubmitButton"), Qt.MouseButton.LeftButton)

    ended = []
    p.jobEnded.connect(ended.append)
    qtbot.waitUntil(lambda: p.model.rowCount() == 2, timeout=10_000)
    qtbot.waitUntil(lambda: _statuses(p) == [JobStatus.SUCCEEDED] * 2, timeout=30_000)
    qtbot.waitUntil(lambda: all(p.model.record(i).label_count is not None for i in range(2)), timeout=30_000)
    assert {p.model.record(i).video_uri for i in range(2)} == {v.uri for v in videos}
    assert p.model.data(p.model.index(0, STATUS)) == "Succeeded"
    assert len(ended) == 2 and "2 succeeded" in p.summaryLabel.text()
    jobs = sb.jobs()
    assert len(jobs) == 2 and {j["JobTag"] for j in jobs} == {"demo-run"}
    assert {j["params"]["MinConfidence"] for j in jobs} == {60}
    p.grab().save(str(tmp_path / "jobs_panel.png"))
    if os.environ.get("JOBS_SCREENSHOT"):
        p.grab().save(os.environ["JOBS_SCREENSHOT"])

    # "Open results" opens the results view on the stored labels
    p.table.selectRow(0)
    assert p.actions[Action.OPEN_RESULTS].isEnabled() and not p.actions[Action.CANCEL].isEnabled()
    p.actions[Action.OPEN_RESULTS].trigger()
    qtbot.waitUntil(lambda: bool(p.results.windows), timeout=10_000)  # the results store opens in the background
    window = p.results.windows[-1]
    assert window.objectName() == "resultsWindow" and window.isVisible()
    assert window.view.job_id == p.proxy.record_at(p.proxy.index(0, 0)).job_id
    window.close()

    # Submitting the same videos again is caught: the confirmation says so and nothing new starts by default.
    qtbot.mouseClick(p.submitButton, Qt.MouseButton.LeftButton)
    box = _confirm(qtbot, p)
    assert "All 2 videos were already submitted with the same settings" in box.text()
    assert box.checkBox() is None
    assert box.findChild(QPushButton, "confirmSubmitButton").text() == "Submit 2 videos again"
    assert box.defaultButton() is not box.findChild(QPushButton, "confirmSubmitButton")  # Enter never re-bills
    assert sorted(box.detailedText().splitlines()) == sorted(v.uri for v in videos)  # the list, scrollable
    qtbot.keyClick(box, Qt.Key.Key_Return)
    qtbot.wait(300)
    assert p.model.rowCount() == 2 and len(sb.jobs()) == 2


def test_settings_errors_refuse_the_submission(qtbot, panel, make_sandbox):
    sb = make_sandbox(seed_demo=True)
    p = panel()
    conn = _connect(qtbot, p, sb)
    videos = demo_videos(conn)[:1]
    p.set_sources(lambda: videos, JobSettings, lambda: None, lambda: ["JobTag: 'a b' has a forbidden character"])
    qtbot.mouseClick(p.submitButton, Qt.MouseButton.LeftButton)
    box = p.findChild(QMessageBox, "submitRefused")
    assert box is not None and "forbidden character" in box.text()
    box.close()
    assert sb.start_requests == 0


def test_queue_of_ten_with_a_limit_of_two_and_cancel_retry(qtbot, panel, make_sandbox):
    sb = make_sandbox(job_seconds=0.6, max_concurrent_jobs=2)
    sb.fill_prefix("many", "v/", 10, size=40_000)
    p = panel(submit_policy=replace(FAST_SUBMIT, max_active=2))
    conn = _connect(qtbot, p, sb)
    from gui.core.types import S3Object

    listing = conn.client("s3").list_objects_v2(Bucket="many")["Contents"]
    videos = [S3Object("many", o["Key"], o["Size"]) for o in listing]
    p.submit_videos(videos, JobSettings())
    qtbot.waitUntil(lambda: p.model.rowCount() == 10, timeout=10_000)
    # cancel the last queued job from the panel's action, then queue it again with Retry
    p.proxy.set_statuses({JobStatus.QUEUED})
    qtbot.waitUntil(lambda: p.proxy.rowCount() > 0, timeout=5_000)
    last = p.proxy.rowCount() - 1
    record = p.proxy.record_at(p.proxy.index(last, VIDEO))
    p.table.selectRow(last)
    assert p.actions[Action.CANCEL].isEnabled()
    p.actions[Action.CANCEL].trigger()
    p.proxy.set_statuses(None)
    qtbot.waitUntil(lambda: p.model.record(p.model.row_of(record.id)).status is JobStatus.CANCELLED, timeout=5_000)
    p.trigger(Action.RETRY, [p.model.record(p.model.row_of(record.id))])
    qtbot.waitUntil(lambda: _statuses(p) == [JobStatus.SUCCEEDED] * 10, timeout=60_000)
    retried = p.model.record(p.model.row_of(record.id))
    assert retried.client_token != record.client_token
    starts = [(j["created"], j["completed"]) for j in sb.jobs()]
    assert len(starts) == 10
    from jobs_helpers import max_overlap

    assert max_overlap(sb.jobs()) <= 2


def test_cli_and_window_share_the_job_list(qtbot, panel, make_sandbox, paths):
    sb = make_sandbox(seed_demo=True, job_seconds=0.5)
    p = panel()
    conn = _connect(qtbot, p, sb)
    window_video, cli_video = demo_videos(conn)[:2]
    p.submit_videos([window_video], JobSettings())
    qtbot.waitUntil(lambda: p.model.rowCount() == 1, timeout=10_000)

    cmd = [sys.executable, "-m", "gui", "submit", "--endpoint-url", sb.endpoint_url, "--region", "us-east-1",
           "--data-dir", str(paths.data_dir), "--wait", "--poll-interval", "0.1", "--poll-max", "0.3",
           cli_video.uri]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # the CLI's job shows up in the window's list while the CLI runs (another process writing the store)
        qtbot.waitUntil(lambda: p.model.rowCount() == 2, timeout=20_000)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert out.strip() == "1 succeeded"
    qtbot.waitUntil(lambda: _statuses(p) == [JobStatus.SUCCEEDED] * 2, timeout=30_000)

    status = subprocess.run([sys.executable, "-m", "gui", "status", "--json", "--data-dir", str(paths.data_dir)],
                            capture_output=True, text=True, timeout=60)
    assert status.returncode == 0, status.stderr
    listed = {j["video"]: j for j in json.loads(status.stdout)}
    assert set(listed) == {window_video.uri, cli_video.uri}  # the window's job is in the CLI's list too
    assert {j["status"] for j in listed.values()} == {"SUCCEEDED"}
    assert len(sb.jobs()) == 2


def test_jobs_of_another_region_keep_running_while_the_list_shows_this_one(qtbot, panel, make_sandbox, paths):
    from gui.core.jobstore import JobStore, Scope, new_job

    sb = make_sandbox(seed_demo=True, job_seconds=0.3)
    conn = connect(sb)
    videos = demo_videos(conn)[:2]
    sb.create_bucket("videos-eu", region="eu-west-1")  # Rekognition reads only buckets of its own region
    for v in videos:
        sb.put_object("videos-eu", v.key, conn.client("s3").get_object(Bucket=v.bucket, Key=v.key)["Body"].read())
    videos = [replace(v, bucket="videos-eu") for v in videos]
    elsewhere = Scope(sb.account_id, "eu-west-1", SANDBOX_SCOPE)  # the sandbox is one scope whatever its port
    with JobStore(paths.jobs_db) as store:  # queued by another process (the CLI) in another region
        store.add_jobs([new_job(v.bucket, v.key, JobSettings(), elsewhere) for v in videos])
    p = panel()
    _connect(qtbot, p, sb)  # looking at us-east-1
    qtbot.waitUntil(lambda: elsewhere in p.engines, timeout=10_000)
    assert p.model.rowCount() == 0  # not this region's jobs
    with JobStore(paths.jobs_db) as store:
        wait_until(lambda: all(j.status is JobStatus.SUCCEEDED for j in store.jobs()), 30)
    assert len(sb.jobs()) == 2


class ThreadLog:
    """Wraps every public method of a store object so each call notes whether it ran on the GUI thread."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, bool]] = []
        self._lock = threading.Lock()

    def wrap(self, store, label: str):
        for name in dir(store):
            method = getattr(store, name)
            if name.startswith("_") or not callable(method):
                continue
            setattr(store, name, self._wrapped(method, f"{label}.{name}"))
        return store

    def _wrapped(self, method, name):
        def call(*args, **kwargs):
            with self._lock:
                self.calls.append((name, threading.current_thread() is threading.main_thread()))
            return method(*args, **kwargs)

        return call

    def on_gui_thread(self) -> list[str]:
        with self._lock:
            return [name for name, gui in self.calls if gui]

    def names(self) -> set[str]:
        with self._lock:
            return {name for name, _gui in self.calls}


def test_submit_videos_does_no_store_io_on_the_gui_thread(qtbot, panel, make_sandbox):
    sb = make_sandbox(seed_demo=True, job_seconds=0.3)
    p = panel()
    conn = _connect(qtbot, p, sb)
    videos = demo_videos(conn)[:2]
    log = ThreadLog()
    log.wrap(p.store, "jobs")
    p.store.version()  # the check itself can fail: a call from the GUI thread is seen
    assert log.on_gui_thread() == ["jobs.version"]
    log.calls.clear()

    p.submit_videos(videos, JobSettings())
    p.submit_videos(videos, JobSettings())  # again: the duplicate check reads the store too
    qtbot.waitUntil(lambda: p.model.rowCount() == 2, timeout=10_000)
    qtbot.waitUntil(lambda: _statuses(p) == [JobStatus.SUCCEEDED] * 2, timeout=30_000)
    assert {"jobs.add_unique_jobs", "jobs.changed_since"} <= log.names()  # planned, queued, refreshed
    assert log.on_gui_thread() == []
    assert len(sb.jobs()) == 2


def test_open_results_does_no_store_io_on_the_gui_thread(qtbot, panel, paths, monkeypatch):
    import gui.qt.job_feed as job_feed
    from gui.core.jobstore import JobStore, Scope, new_job

    with JobStore(paths.jobs_db) as store:  # a finished job whose results are not in the cache
        scope = Scope("123456789012", "us-east-1", "")
        (record,) = store.add_jobs([new_job("demo-videos", "family/pets/dog-park.mov", JobSettings(), scope)])
        assert store.mark_started(record.id, "job-without-results")
        assert store.mark_finished(record.id, JobStatus.SUCCEEDED)
    log = ThreadLog()
    real_open = job_feed.ResultsStore

    def open_logged(path):
        log.calls.append(("open results store", threading.current_thread() is threading.main_thread()))
        return log.wrap(real_open(path), "results")

    monkeypatch.setattr(job_feed, "ResultsStore", open_logged)
    p = panel()
    qtbot.waitUntil(lambda: p.model.rowCount() == 1, timeout=10_000)
    log.wrap(p.store, "jobs")
    for opened in (1, 2):  # the first opens the results store, the second reuses it
        p.open_results(p.model.record(0))
        qtbot.waitUntil(lambda n=opened: len(p.results.windows) == n, timeout=10_000)
        status = p.results.windows[-1].view.statusLabel
        qtbot.waitUntil(lambda s=status: "not in the local cache" in s.text(), timeout=10_000)
    assert {"open results store", "results.summary"} <= log.names()
    assert log.on_gui_thread() == []


@pytest.mark.parametrize(
    ("statuses", "connected", "expected"),
    [
        ([], True, set()),
        ([JobStatus.QUEUED], True, {Action.CANCEL}),
        ([JobStatus.QUEUED], False, set()),  # the engine cancels: not without a connection
        ([JobStatus.SUBMITTING], True, set()),
        ([JobStatus.IN_PROGRESS], True, {Action.COPY_JOB_ID}),
        ([JobStatus.SUCCEEDED], True,
         {Action.OPEN_RESULTS, Action.FETCH_RESULTS, Action.COPY_JOB_ID, Action.REMOVE}),
        ([JobStatus.SUCCEEDED], False, {Action.OPEN_RESULTS, Action.COPY_JOB_ID}),  # the cache opens offline
        ([JobStatus.SUCCEEDED, JobStatus.SUCCEEDED], True,  # "Open results" is for one job at a time
         {Action.FETCH_RESULTS, Action.COPY_JOB_ID, Action.REMOVE}),
        ([JobStatus.FAILED, JobStatus.QUEUED], True, {Action.RETRY, Action.REMOVE, Action.COPY_JOB_ID, Action.CANCEL}),
        ([JobStatus.CANCELLED], True, {Action.RETRY, Action.REMOVE}),
        ([JobStatus.CANCELLED], False, set()),
    ],
)
def test_enabled_actions_for_a_selection(statuses, connected, expected, tmp_path):
    from gui.core.jobstore import JobStore, Scope, new_job
    from gui.qt.job_model import enabled_actions

    with JobStore(tmp_path / "jobs.sqlite3") as store:
        (base,) = store.add_jobs([new_job("b", "v.mp4", JobSettings(), Scope("123456789012", "us-east-1", ""))])
    with_job_id = {JobStatus.IN_PROGRESS, JobStatus.SUCCEEDED, JobStatus.FAILED}  # AWS accepted these
    records = [replace(base, id=i, status=s, job_id=f"job-{i}" if s in with_job_id else None)
               for i, s in enumerate(statuses)]
    assert enabled_actions(records, connected=connected) == expected


def test_the_confirmation_says_when_the_preset_was_modified(qtbot, panel, make_sandbox):
    sb = make_sandbox(seed_demo=True)
    p = panel()
    conn = _connect(qtbot, p, sb)
    videos = demo_videos(conn)[:1]
    p.set_sources(lambda: videos, JobSettings, lambda: "Everything", list, lambda: True)
    qtbot.mouseClick(p.submitButton, Qt.MouseButton.LeftButton)
    box = _confirm(qtbot, p)
    assert "preset “Everything” (modified)" in box.text()
    assert "changed after the preset “Everything” was applied" in box.text()
    box.reject()
    assert sb.start_requests == 0
