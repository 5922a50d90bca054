"""Background work: ``QRunnable`` on a ``QThreadPool`` with a separate signals ``QObject``.

Results and errors reach the GUI thread through queued signals. Connect them to *methods of GUI-thread
QObjects* (a bare lambda may run on the worker thread in PySide6). Cancellation is cooperative: the
function receives a :class:`CancelToken` and checks it between pages or polls.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from gui.core.cancel import CancelToken
from gui.core.errors import UserMessage, explain

log = logging.getLogger(__name__)


class WorkerSignals(QObject):
    started = Signal()
    progress = Signal(object)  # any payload the task reports (rows, counts, ...)
    result = Signal(object)
    error = Signal(object)  # a UserMessage
    finished = Signal()  # always, after result/error or cancel


class Worker(QRunnable):
    """Runs ``fn(cancel, progress, *args)`` on the pool. ``progress(payload)`` emits ``signals.progress``."""

    def __init__(self, fn: Callable[..., Any], *args: Any, profile: str | None = None) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self.fn = fn
        self.args = args
        self.profile = profile
        self.cancel_token = CancelToken()
        self.signals = WorkerSignals()

    def cancel(self) -> None:
        self.cancel_token.cancel()

    def run(self) -> None:  # runs on a pool thread
        signals = self.signals
        try:
            signals.started.emit()
            value = self.fn(self.cancel_token, signals.progress.emit, *self.args)
            if not self.cancel_token.cancelled:
                signals.result.emit(value)
        except Exception as exc:
            message: UserMessage = explain(exc, profile=self.profile)
            if not message.expected:
                log.exception("Unexpected error in background task %s", getattr(self.fn, "__name__", self.fn))
            else:
                log.warning("Background task failed: %s", message)
            signals.error.emit(message)
        finally:
            signals.finished.emit()


def start(worker: Worker, pool: QThreadPool | None = None) -> Worker:
    (pool or QThreadPool.globalInstance()).start(worker)
    return worker
