"""Background work: the one task registry of the window.

A :class:`TaskRegistry` runs plain functions on a ``QThreadPool`` as :class:`Task` runnables. A
``QRunnable`` is not a ``QObject``, so each task carries a :class:`TaskSignals` object created on the GUI
thread: results, errors, progress and the end of a task reach the GUI thread through queued signals.
Connect them to *methods of GUI-thread QObjects* (a bare lambda may run on the worker thread in PySide6).

Cancellation is cooperative: the function is called as ``fn(cancel, progress, *args)`` and checks the
:class:`~gui.core.cancel.CancelToken` between pages or polls. Every task stays tracked by its registry
until its ``finished`` signal was handled, so :meth:`TaskRegistry.cancel_all` reaches all of them and
:meth:`TaskRegistry.wait` (called when a panel or window closes) knows when none is left running.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from gui.core.cancel import CancelToken
from gui.core.errors import UserMessage, explain

log = logging.getLogger(__name__)

Callback = Callable[..., Any]

_background_nice = 0  # set once at start-up (gui.app.tune_process); 0 leaves background threads alone


class _ThreadState(threading.local):
    lowered = False  # this pool thread's priority was lowered already


_thread_state = _ThreadState()


def set_background_nice(nice: int) -> None:
    """How much lower than the GUI thread the threads of ``low_priority`` registries run (Linux ``nice``).

    Sorting 100,000 rows or binning a timeline is CPU work; on a busy machine with few cores the OS would
    otherwise share a core evenly between it and the GUI thread, and the GUI stutters. A process-wide
    choice: called once at start-up, never by a widget.
    """
    global _background_nice
    _background_nice = max(0, int(nice))


def _lower_this_thread() -> None:
    """Apply the background ``nice`` to the calling pool thread, once per thread (Linux; elsewhere no-op)."""
    nice = _background_nice
    if nice <= 0 or _thread_state.lowered:
        return
    _thread_state.lowered = True
    if sys.platform.startswith("linux"):
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)
        except OSError:  # pragma: no cover - not permitted: keep the normal priority
            pass


class TaskSignals(QObject):
    started = Signal()
    progress = Signal(object)  # any payload the task reports (rows, counts, ...)
    result = Signal(object)  # not emitted for a cancelled task
    error = Signal(object)  # a UserMessage
    finished = Signal()  # always, after result/error or cancel


class Task(QRunnable):
    """Runs ``fn(cancel, progress, *args)`` on a pool thread; ``progress(payload)`` emits ``signals.progress``."""

    def __init__(self, fn: Callable[..., Any], *args: Any, profile: str | None = None,
                 low_priority: bool = False) -> None:
        super().__init__()
        # The pool owns the runnable while it runs (so it outlives an owner that could not wait for it);
        # the registry keeps the Python side, with its signals, until its end was handled.
        self.setAutoDelete(True)
        self.fn = fn
        self.args = args
        self.profile = profile
        self.low_priority = low_priority
        self.cancel_token = CancelToken()
        self.signals = TaskSignals()
        self._done = threading.Event()
        self._discarded = False
        self.keep_on_close = False

    @property
    def name(self) -> str:
        return str(getattr(self.fn, "__name__", self.fn))

    def cancel(self) -> None:
        """Ask the function to stop at its next check (it still runs if queued, and reports the cancel)."""
        self.cancel_token.cancel()

    def discard(self) -> None:
        """Cancel, and do not run at all if still queued (its owner is closing)."""
        self._discarded = True
        self.cancel_token.cancel()

    @property
    def cancelled(self) -> bool:
        return self.cancel_token.cancelled

    @property
    def done(self) -> bool:
        """True once ``fn`` returned or raised (its signals may still be on their way to the GUI thread)."""
        return self._done.is_set()

    def run(self) -> None:  # runs on a pool thread
        signals = self.signals
        try:
            if self._discarded:  # its registry closed while it was queued: nothing to do
                return
            if self.low_priority:
                _lower_this_thread()
            signals.started.emit()
            value = self.fn(self.cancel_token, signals.progress.emit, *self.args)
            if not self.cancel_token.cancelled:
                signals.result.emit(value)
        except Exception as exc:
            message: UserMessage = explain(exc, profile=self.profile)
            if not message.expected:
                log.exception("Unexpected error in background task %s", self.name)
            else:
                log.warning("Background task %s failed: %s", self.name, message)
            signals.error.emit(message)
        finally:
            self._done.set()
            signals.finished.emit()


class TaskRegistry(QObject):
    """Every background task of one panel or window: run, cancel all, wait at close.

    ``pool``: share an existing pool (e.g. the results windows of one panel share two threads); otherwise
    the registry owns a pool of ``max_threads``. ``low_priority``: the tasks' threads run below the GUI
    thread (see :func:`set_background_nice`).
    """

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        max_threads: int = 2,
        pool: QThreadPool | None = None,
        low_priority: bool = False,
        name: str = "",
    ) -> None:
        super().__init__(parent)
        if name:
            self.setObjectName(name)
        self._owns_pool = pool is None
        if pool is None:
            pool = QThreadPool(self)
            pool.setMaxThreadCount(max_threads)
            if name:
                pool.setObjectName(name + "Pool")
        self.pool = pool
        self.low_priority = low_priority
        self._tasks: dict[int, Task] = {}  # by id(task.signals); touched on the GUI thread only
        self._closed = False

    def run(
        self,
        fn: Callable[..., Any],
        *args: Any,
        on_result: Callback | None = None,
        on_error: Callback | None = None,
        on_progress: Callback | None = None,
        on_finished: Callback | None = None,
        profile: str | None = None,
        keep_on_close: bool = False,
    ) -> Task:
        """Start ``fn(cancel, progress, *args)``; the ``on_*`` slots are connected before it starts.

        ``keep_on_close``: clean-up work (stopping an engine) that still runs, uncancelled, when the
        registry closes while it is queued; :meth:`close` waits for it like for the others.

        After :meth:`close` the task is not started: it is returned already cancelled and no slot is
        called (nothing ran)."""
        task = Task(fn, *args, profile=profile, low_priority=self.low_priority)
        task.keep_on_close = keep_on_close
        if self._closed:
            task.cancel()
            return task
        signals = task.signals
        if on_progress is not None:
            signals.progress.connect(on_progress)
        if on_result is not None:
            signals.result.connect(on_result)
        if on_error is not None:
            signals.error.connect(on_error)
        if on_finished is not None:
            signals.finished.connect(on_finished)
        signals.finished.connect(self._on_task_finished)  # last: the caller's slots run first
        self._tasks[id(signals)] = task
        self.pool.start(task)
        return task

    @Slot()
    def _on_task_finished(self) -> None:
        sender = self.sender()
        if sender is not None:
            self._tasks.pop(id(sender), None)

    def tasks(self) -> list[Task]:
        """The tasks whose end was not handled yet (running, queued, or finished a moment ago)."""
        return list(self._tasks.values())

    def running(self) -> int:
        """How many tasks have not returned yet."""
        return sum(1 for t in self._tasks.values() if not t.done)

    def cancel_all(self) -> None:
        for task in list(self._tasks.values()):
            task.cancel()

    def wait(self, timeout: float = 5.0) -> bool:
        """Block until every task of this registry has returned (at most ``timeout`` seconds).

        Returns True when none is left running. Only this registry's tasks are awaited, also on a
        shared pool."""
        deadline = time.monotonic() + max(0.0, timeout)
        for task in [t for t in self._tasks.values() if not t.done]:
            if not task._done.wait(max(0.0, deadline - time.monotonic())):
                return False
        if self._owns_pool:  # only our tasks run there: also let their threads leave run()
            return self.pool.waitForDone(max(0, int((deadline - time.monotonic()) * 1000)))
        return True

    def close(self, timeout: float = 5.0) -> bool:
        """At close of the owner: refuse new tasks, cancel all, wait for them (bounded)."""
        self._closed = True
        for task in list(self._tasks.values()):
            if not task.keep_on_close:
                task.discard()
        return self.wait(timeout)

    @property
    def closed(self) -> bool:
        return self._closed
