"""The one task registry (gui.qt.workers.TaskRegistry): results, errors and progress reach GUI-thread slots
by signal; cancel_all and close reach every task; wait() knows when none is left; windows and panels leave
no task running once closed."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QObject, QThreadPool, Slot

from gui.core.errors import KnownError, UserMessage
from gui.qt.workers import Task, TaskRegistry

WAIT = 10_000


class Receiver(QObject):
    """GUI-thread slots that note what arrived and on which thread."""

    def __init__(self) -> None:
        super().__init__()
        self.results: list[Any] = []
        self.errors: list[UserMessage] = []
        self.progress: list[Any] = []
        self.finished = 0
        self.threads: set[int] = set()

    def _seen(self) -> None:
        self.threads.add(threading.get_ident())

    @Slot(object)
    def on_result(self, value: Any) -> None:
        self._seen()
        self.results.append(value)

    @Slot(object)
    def on_error(self, message: UserMessage) -> None:
        self._seen()
        self.errors.append(message)

    @Slot(object)
    def on_progress(self, payload: Any) -> None:
        self._seen()
        self.progress.append(payload)

    @Slot()
    def on_finished(self) -> None:
        self._seen()
        self.finished += 1


@pytest.fixture
def registry(qapp: Any) -> Any:
    tasks = TaskRegistry(max_threads=2)
    yield tasks
    assert tasks.close(WAIT / 1000), "a task of the test is still running"


@pytest.fixture
def receiver(qapp: Any) -> Receiver:
    return Receiver()


def _slots(r: Receiver) -> dict[str, Any]:
    return {"on_result": r.on_result, "on_error": r.on_error, "on_progress": r.on_progress,
            "on_finished": r.on_finished}


def _worker_thread(cancel: Any, progress: Any, n: int) -> tuple[int, int]:
    for i in range(n):
        progress(i)
    return threading.get_ident(), n


def test_results_and_progress_reach_gui_thread_slots(qtbot, registry, receiver):
    main = threading.get_ident()
    registry.run(_worker_thread, 3, **_slots(receiver))
    qtbot.waitUntil(lambda: receiver.finished == 1, timeout=WAIT)
    (worker, n), = receiver.results
    assert n == 3 and worker != main  # ran on a pool thread
    assert receiver.progress == [0, 1, 2] and receiver.errors == []
    assert receiver.threads == {main}  # every slot ran on the GUI thread
    qtbot.waitUntil(lambda: registry.tasks() == [], timeout=WAIT)  # tracked until its end was handled


def _fails_expectedly(cancel: Any, progress: Any) -> None:
    raise KnownError("Bucket not found", "demo-videos does not exist.", hint="Check the name.")


def _fails_with_a_bug(cancel: Any, progress: Any) -> None:
    raise ZeroDivisionError("division by zero")


def test_errors_are_returned_by_signal_as_user_messages(qtbot, registry, receiver, caplog):
    registry.run(_fails_expectedly, **_slots(receiver))
    registry.run(_fails_with_a_bug, **_slots(receiver))
    qtbot.waitUntil(lambda: receiver.finished == 2, timeout=WAIT)
    assert receiver.results == []
    by_title = {m.title: m for m in receiver.errors}
    known = by_title.pop("Bucket not found")
    assert known.expected and known.text == "demo-videos does not exist." and known.hint == "Check the name."
    (bug,) = by_title.values()
    assert not bug.expected  # a bug: reported, and logged with its traceback
    assert "division by zero" not in bug.title
    assert any(r.exc_info and r.exc_info[0] is ZeroDivisionError for r in caplog.records)


def _until_cancelled(cancel: Any, progress: Any, started: threading.Event, seconds: float) -> str:
    started.set()
    if cancel.wait(seconds):
        return "cancelled"
    return "ran out"


def test_cancel_all_reaches_every_task_and_no_result_follows(qtbot, registry, receiver):
    started = [threading.Event(), threading.Event()]
    for event in started:
        registry.run(_until_cancelled, event, 30.0, **_slots(receiver))
    assert all(e.wait(WAIT / 1000) for e in started)
    assert registry.running() == 2
    t0 = time.monotonic()
    registry.cancel_all()
    assert registry.wait(5.0)
    assert time.monotonic() - t0 < 5.0  # both noticed the cancel, neither waited its 30 s
    assert registry.running() == 0
    qtbot.waitUntil(lambda: receiver.finished == 2, timeout=WAIT)
    assert receiver.results == [] and receiver.errors == []  # a cancelled task reports nothing but its end


def _blocked(cancel: Any, progress: Any, release: threading.Event) -> str:
    release.wait(30)
    return "released"


def test_wait_is_bounded_and_true_only_when_none_is_left(qtbot, registry, receiver):
    release = threading.Event()
    registry.run(_blocked, release, **_slots(receiver))
    t0 = time.monotonic()
    assert registry.wait(0.2) is False  # still running: wait says so after its timeout
    assert 0.15 <= time.monotonic() - t0 < 3.0
    assert registry.running() == 1
    release.set()
    assert registry.wait(5.0) is True
    assert registry.running() == 0 and registry.pool.activeThreadCount() == 0
    qtbot.waitUntil(lambda: receiver.results == ["released"], timeout=WAIT)


def _note(cancel: Any, progress: Any, ran: list[str], name: str) -> None:
    ran.append(name)


def test_close_cancels_waits_and_drops_queued_work_but_not_clean_up(qtbot, qapp, receiver):
    tasks = TaskRegistry(max_threads=1)
    started, ran = threading.Event(), []
    tasks.run(_until_cancelled, started, 30.0, **_slots(receiver))
    assert started.wait(WAIT / 1000)
    tasks.run(_note, ran, "queued")  # behind the first: never starts
    tasks.run(_note, ran, "clean-up", keep_on_close=True)  # e.g. stopping an engine: still runs
    assert tasks.close(5.0) is True
    assert ran == ["clean-up"]
    assert tasks.running() == 0 and tasks.pool.activeThreadCount() == 0
    late = tasks.run(_note, ran, "after close", **_slots(receiver))
    assert isinstance(late, Task) and late.cancelled
    qtbot.wait(100)
    assert ran == ["clean-up"]  # nothing starts on a closed registry
    qtbot.waitUntil(lambda: receiver.finished == 1, timeout=WAIT)  # only the first task's end
    assert receiver.results == []


def test_registries_sharing_a_pool_wait_for_their_own_tasks_only(qtbot, qapp):
    pool = QThreadPool()
    pool.setMaxThreadCount(2)
    mine, other = TaskRegistry(pool=pool), TaskRegistry(pool=pool)
    release = threading.Event()
    other.run(_blocked, release)
    mine.run(_worker_thread, 1)
    try:
        assert mine.wait(5.0) is True  # the other registry's blocked task does not count
        assert other.wait(0.1) is False
    finally:
        release.set()
        assert other.close(5.0) and mine.close(5.0)
        assert pool.waitForDone(WAIT)


# -- windows and panels leave nothing running ------------------------------------------------------------


class SlowResultsStore:
    """Stands in for the results cache: ``summary`` takes ``seconds`` (a large job's first read)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.entered = threading.Event()
        self.left = threading.Event()

    def summary(self, job_id: str) -> None:
        self.entered.set()
        time.sleep(self.seconds)
        self.left.set()
        return None


def test_no_task_left_running_after_a_results_window_closes(qtbot, qapp):
    from gui.qt.results_window import ResultsView, ResultsWindow

    store = SlowResultsStore(0.4)
    view = ResultsView(store, "job-1")  # type: ignore[arg-type]
    window = ResultsWindow(view)
    tasks, model_tasks = view.tasks, view.detectionsModel.tasks
    window.show()
    view.start()
    assert store.entered.wait(WAIT / 1000)  # the load is running on the view's thread
    assert tasks.running() == 1
    t0 = time.monotonic()
    with qtbot.waitSignal(window.destroyed, timeout=WAIT):
        window.close()
        assert time.monotonic() - t0 < 0.2  # the GUI thread did not wait for the 0.4 s read
        assert not window.isVisible()  # gone for the user at once
        assert not store.left.is_set()
    # the window went only once its task had ended: nothing of it runs any more
    assert store.left.is_set()
    assert tasks.closed and tasks.running() == 0 and tasks.tasks() == []
    assert model_tasks.closed and model_tasks.running() == 0


def test_a_standalone_results_view_waits_for_its_tasks_when_shut_down(qtbot, qapp):
    from gui.qt.results_window import ResultsView

    store = SlowResultsStore(0.3)
    view = ResultsView(store, "job-1")  # type: ignore[arg-type]
    view.start()
    assert store.entered.wait(WAIT / 1000)
    assert view.shutdown(5.0) is True  # bounded wait: the store may be closed right after
    assert store.left.is_set() and view.tasks.running() == 0
    assert view.tasks.pool.activeThreadCount() == 0
    view.deleteLater()


def test_no_task_left_running_after_the_panels_shut_down(qtbot, tmp_path: Path):
    from gui.core.paths import resolve_paths
    from gui.options import AppOptions
    from gui.qt.browser_panel import BrowserPanel
    from gui.qt.connection_panel import ConnectionPanel
    from gui.qt.jobs_panel import JobsPanel

    paths = resolve_paths(tmp_path / "app").ensure()
    jobs = JobsPanel(paths)
    browser = BrowserPanel()
    connection = ConnectionPanel(paths, AppOptions(), auto_connect=False)
    for widget in (jobs, browser, connection):
        qtbot.addWidget(widget)
    qtbot.waitUntil(lambda: jobs.store is not None, timeout=WAIT)
    for panel in (jobs, browser, connection):
        panel.shutdown()
        assert panel.tasks.closed and panel.tasks.running() == 0, type(panel).__name__
        assert panel.tasks.pool.activeThreadCount() == 0, type(panel).__name__
