"""Responsiveness: while the browser lists a big folder, while jobs are submitted and polled (and their
results fetched by the engine), and while the results view fetches a large result, the GUI thread's
event loop never stalls for more than 50 ms.

How it is measured: a 10 ms precise QTimer on the GUI thread; the largest gap between two ticks is how
long the event loop was unable to run. Clients, imports and caches are warmed up first, so a measurement
covers the work itself from its very first moment (nothing at the start of a phase is ignored).

Robustness on a shared 2-core machine: other processes can steal the CPU for tens of milliseconds at
random. A phase is therefore measured up to three times and judged by the median: it passes when its
first attempt stays under the limit, or when at least two of three do. Work done on the GUI thread shows
in every attempt, so it still fails: ``test_the_probe_catches_a_blocked_gui_thread`` runs the same listing
synchronously on the GUI thread (the bug this guards against) and the same judgement must fail it.

The sandbox runs in a child process, as AWS would: its request handling must not compete for this
process's GIL and be blamed on the GUI.
"""

from __future__ import annotations

import gc
import statistics
from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import QElapsedTimer, QObject, Qt, QTimer, Slot
from PySide6.QtWidgets import QMessageBox, QPushButton
from rel_helpers import REGION, ChildSandbox

from gui.app import tune_process
from gui.core.connection import Connection
from gui.core.jobstates import JobStatus
from gui.core.jobstore import JobStore
from gui.core.paths import resolve_paths
from gui.core.poller import PollPolicy
from gui.core.results_store import ResultsStore
from gui.core.submitter import SubmitPolicy
from gui.core.types import ConnectionSpec, JobSettings, S3Object
from gui.qt.browser_panel import BrowserPanel
from gui.qt.jobs_panel import JobsPanel
from gui.qt.results_window import ResultsView

pytestmark = [
    pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints"),
    pytest.mark.slow,
]

LIMIT = 0.050  # seconds: the longest the GUI may be unresponsive
TICK_MS = 10
ATTEMPTS = 3
WAIT = 60_000
BUCKET = "resp-videos"
BIG_FOLDER = "many/"
BIG_FOLDER_OBJECTS = 3_000
JOB_VIDEOS = 12
DETECTIONS_PER_JOB = 3_000


class GapProbe(QObject):
    """The largest gap between ticks of a 10 ms timer on the GUI thread, between start() and stop()."""

    def __init__(self) -> None:
        super().__init__()
        self.timer = QTimer(self)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self.tick)
        self.clock = QElapsedTimer()
        self.last = 0
        self.max_gap = 0.0

    def start(self) -> None:
        self.max_gap = 0.0
        self.clock.start()
        self.last = 0
        self.timer.start()

    def stop(self) -> float:
        self.tick()  # a block right before the end counts too
        self.timer.stop()
        return self.max_gap

    @Slot()
    def tick(self) -> None:
        now = self.clock.elapsed()
        self.max_gap = max(self.max_gap, (now - self.last) / 1000.0)
        self.last = now


def judged(attempt: Callable[[int], float]) -> tuple[float, list[float]]:
    """Run ``attempt(i)`` (returning its max gap) once, or three times when the first is over the limit;
    return (the median, all gaps)."""
    gaps = [attempt(0)]
    if gaps[0] > LIMIT:
        gaps += [attempt(i) for i in range(1, ATTEMPTS)]
    return statistics.median(gaps), gaps


@pytest.fixture(scope="module", autouse=True)
def _app_sized_heap() -> Any:
    """Freeze what earlier tests left in this process (in-process sandboxes, moto's backends, thousands of
    boto3 objects) out of the garbage collector's view, as the app freezes its start-up objects
    (gui.core.connection.settle_gc). Otherwise a full collection -- triggered by any thread's allocations,
    holding the GIL -- walks a heap far bigger than the app's and its pause (70-80 ms measured at the end of
    a full test run, against 25-40 ms in a fresh process) would be blamed on the GUI."""
    gc.collect()
    gc.freeze()
    tune_process()  # the start-up settings of the app (switch interval, background priority)
    yield
    # No gc.unfreeze(): it would also thaw what the app itself froze (settle_gc), which later tests check.


@pytest.fixture(scope="module")
def child_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Any:
    log = tmp_path_factory.mktemp("resp") / "sandbox.log"
    sb = ChildSandbox(log, seed_demo=True, job_seconds=0.5, detections_per_job=DETECTIONS_PER_JOB)
    try:
        sb.fill_prefix(BUCKET, BIG_FOLDER, BIG_FOLDER_OBJECTS, size=64, video_ratio=0.8)
        sb.fill_prefix(BUCKET, "jobs/", JOB_VIDEOS * ATTEMPTS, size=40_000)  # real clips: jobs succeed
        yield sb
    finally:
        sb.stop()


@pytest.fixture
def conn(child_sandbox: Any) -> Connection:
    return Connection(ConnectionSpec(source="env", region=REGION, endpoint_url=child_sandbox.endpoint_url))


@pytest.fixture
def probe() -> GapProbe:
    return GapProbe()


def _browser(qtbot: Any, conn: Connection) -> BrowserPanel:
    panel = BrowserPanel()
    qtbot.addWidget(panel)
    panel.resize(900, 600)
    panel.show()
    panel.set_connection(conn)
    qtbot.waitUntil(lambda: panel.bucketList.count() > 0, timeout=WAIT)
    with qtbot.waitSignal(panel.listingFinished, timeout=WAIT):  # warm-up: clients, bucket region, caches
        panel.navigate(BUCKET, BIG_FOLDER)
    return panel


def _listing_attempt(qtbot: Any, panel: BrowserPanel, probe: GapProbe) -> Callable[[int], float]:
    def attempt(_i: int) -> float:
        with qtbot.waitSignal(panel.listingFinished, timeout=WAIT):
            panel.navigate(BUCKET, "")  # leave the folder so the next listing starts from an empty table
        probe.start()
        with qtbot.waitSignal(panel.listingFinished, timeout=WAIT):
            panel.navigate(BUCKET, BIG_FOLDER)
        gap = probe.stop()
        assert panel.model.rowCount() == BIG_FOLDER_OBJECTS
        return gap

    return attempt


def test_listing_a_big_folder_keeps_the_gui_responsive(qtbot, conn, probe):
    panel = _browser(qtbot, conn)
    try:
        median, gaps = judged(_listing_attempt(qtbot, panel, probe))
    finally:
        panel.shutdown()
    assert median <= LIMIT, f"GUI blocked during listing: gaps {[round(g * 1000) for g in gaps]} ms"


class SyncLister(QObject):
    """The bug this suite guards against: an S3 listing run on the GUI thread, from a slot."""

    def __init__(self, conn: Connection) -> None:
        super().__init__()
        self.conn = conn
        self.keys = 0

    @Slot()
    def list_now(self) -> None:
        s3 = self.conn.client("s3")
        self.keys = 0
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=BIG_FOLDER, Delimiter="/"):
            self.keys += len(page.get("Contents", []))


def test_the_probe_catches_a_blocked_gui_thread(qtbot, conn, probe):
    """Control: the same measurement and judgement, with the listing done on the GUI thread, must fail."""
    lister = SyncLister(conn)
    lister.list_now()  # warm-up, as for the real test

    def attempt(_i: int) -> float:
        lister.keys = 0
        probe.start()
        QTimer.singleShot(30, lister.list_now)
        qtbot.waitUntil(lambda: lister.keys == BIG_FOLDER_OBJECTS, timeout=WAIT)
        qtbot.wait(30)
        return probe.stop()

    median, gaps = judged(attempt)
    assert len(gaps) == ATTEMPTS and median > LIMIT, f"the probe missed a blocked GUI thread: {gaps}"


def _click_confirm(qtbot: Any, panel: JobsPanel) -> None:
    def box() -> QMessageBox | None:
        found = panel.findChild(QMessageBox, "submitConfirmation")
        return found if found is not None and found.isVisible() else None

    qtbot.waitUntil(lambda: box() is not None, timeout=WAIT)
    confirm = box().findChild(QPushButton, "confirmSubmitButton")
    qtbot.mouseClick(confirm, Qt.MouseButton.LeftButton)


def test_submitting_polling_and_fetching_keep_the_gui_responsive(qtbot, conn, probe, tmp_path):
    paths = resolve_paths(tmp_path / "app").ensure()
    panel = JobsPanel(paths, submit_policy=SubmitPolicy(backoff_base=0.05, backoff_max=0.5, limit_wait=0.3,
                                                        idle_wait=0.1),
                      poll_policy=PollPolicy(first_delay=0.2, max_interval=0.5, min_gap=0.02, idle_wait=0.1))
    qtbot.addWidget(panel)
    panel.resize(1100, 500)
    panel.show()
    try:
        panel.set_connection(conn)
        qtbot.waitUntil(lambda: panel.engine is not None, timeout=WAIT)
        conn.client("rekognition")  # warm-up: the engine's clients and the results store exist
        keys = sorted(o["Key"] for o in conn.client("s3").list_objects_v2(Bucket=BUCKET, Prefix="jobs/")["Contents"])
        batches = [[S3Object(BUCKET, k) for k in keys[a * JOB_VIDEOS:(a + 1) * JOB_VIDEOS]] for a in range(ATTEMPTS)]

        def attempt(i: int) -> float:
            videos = batches[i]
            uris = {v.uri for v in videos}
            panel.set_sources(lambda: videos, lambda: JobSettings(min_confidence=50 + i), lambda: None, list)

            def done() -> bool:
                mine = [r for r in panel.model.records() if r.video_uri in uris]
                return len(mine) == len(videos) and all(
                    r.status is JobStatus.SUCCEEDED and r.results_fetched for r in mine)

            probe.start()
            qtbot.mouseClick(panel.submitButton, Qt.MouseButton.LeftButton)  # plan on a worker, then confirm
            _click_confirm(qtbot, panel)
            qtbot.waitUntil(done, timeout=WAIT)  # submitted, polled, SUCCEEDED, results fetched and stored
            return probe.stop()

        median, gaps = judged(attempt)
    finally:
        panel.shutdown()
    assert median <= LIMIT, f"GUI blocked during submission/polling: gaps {[round(g * 1000) for g in gaps]} ms"

    # Fetching a large result in the results view (a fresh results store each time: from AWS, with progress).
    records = [r for r in panel.model.records() if r.job_id]
    assert records
    job_store = JobStore(paths.jobs_db)  # the panel closed its own

    def fetch_attempt(i: int) -> float:
        store = ResultsStore(tmp_path / f"results-view-{i}.sqlite3")
        view = ResultsView(store, records[i].job_id or "", video_uri="s3://resp-videos/jobs/",
                           client_factory=conn.client, job_store=job_store, record=records[i])
        qtbot.addWidget(view)
        view.resize(1100, 700)
        view.show()
        try:
            probe.start()
            with qtbot.waitSignal(view.fetchFinished, timeout=WAIT) as finished:
                assert view.fetch()
            qtbot.waitUntil(lambda: view.summary is not None and not view.fetching, timeout=WAIT)
            gap = probe.stop()
            assert finished.args[0].label_count > 0
            return gap
        finally:
            # The view's loads (summary, timeline) may still be reading the store; ResultsStore.close()
            # closes every thread's connection, so the view waits for its tasks first.
            assert view.shutdown(WAIT / 1000)
            view.close()
            store.close()

    try:
        median, gaps = judged(fetch_attempt)
    finally:
        job_store.close()
    assert median <= LIMIT, f"GUI blocked while fetching results: gaps {[round(g * 1000) for g in gaps]} ms"
