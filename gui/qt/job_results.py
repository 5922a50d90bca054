"""The results windows opened from the Jobs panel, and the results store they share.

The store is opened in a background task on the first "Open results" (no store I/O on the GUI thread);
that first window opens as soon as the store is there. All windows share two
low-priority threads. A window closed by the user hides at once and goes when its tasks have ended; at
exit every window's tasks are awaited before the store is closed (closing it under a running query crashes
sqlite3).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QThreadPool, Signal, Slot
from PySide6.QtWidgets import QWidget

from gui.core.errors import UserMessage
from gui.core.jobstore import JobRecord, JobStore
from gui.core.paths import AppPaths
from gui.core.types import ClientFactory
from gui.qt.job_feed import open_results_cache
from gui.qt.workers import TaskRegistry

if TYPE_CHECKING:
    from gui.qt.results_window import ResultsWindow

log = logging.getLogger(__name__)


class ResultsWindows(QObject):
    """Opens and tracks results windows. ``failed(UserMessage)``: the results store could not be opened;
    ``notice(str)``: it opened but found something to tell (a corrupt file kept aside, a new one started);
    ``fetched``: a window fetched a job's results (its record changed)."""

    failed = Signal(object)
    notice = Signal(str)
    fetched = Signal()

    def __init__(self, paths: AppPaths, tasks: TaskRegistry, parent: QWidget) -> None:
        super().__init__(parent)
        self._owner = parent  # the windows' parent
        self.paths = paths
        self.tasks = tasks
        self.store: Any = None
        self.windows: list[ResultsWindow] = []
        self.pool = QThreadPool(self)
        self.pool.setObjectName("resultsPool")
        self.pool.setMaxThreadCount(2)
        self._opening = False
        self._closing = False
        self._wanted: list[tuple[JobRecord, JobStore | None, ClientFactory | None]] = []

    def prepare(self) -> None:
        """Open the results store in the background (once)."""
        if self.store is not None or self._opening or self._closing:
            return
        self._opening = True
        self.tasks.run(open_results_cache, self.paths, on_result=self._on_store, on_error=self._on_store_error)

    def open(
        self, record: JobRecord, job_store: JobStore | None, client_factory: ClientFactory | None
    ) -> ResultsWindow | None:
        """The window of ``record``, shown; None when the store is not open yet (the window follows)."""
        if self.store is None:
            self._wanted.append((record, job_store, client_factory))
            self.prepare()
            return None
        # Imported on first use: the results window's modules are not needed for the first paint.
        from gui.qt.results_window import open_results

        window = open_results(self._owner, record=record, store=self.store, job_store=job_store,
                              client_factory=client_factory, pool=self.pool)
        window.view.fetchFinished.connect(self.fetched)
        self.windows.append(window)
        window.destroyed.connect(self._forget)
        return window

    @Slot(object)
    def _on_store(self, store: Any) -> None:
        self._opening = False
        if self._closing:
            store.close()
            return
        self.store = store
        if store.problem:
            self.notice.emit(f"Results cache: {store.problem}")
        wanted, self._wanted = self._wanted, []
        for record, job_store, factory in wanted:
            self.open(record, job_store, factory)

    @Slot(object)
    def _on_store_error(self, message: UserMessage) -> None:
        self._opening = False
        self._wanted = []
        self.failed.emit(message)

    @Slot()
    def _forget(self) -> None:
        alive = []
        for w in self.windows:
            try:
                w.objectName()
                alive.append(w)
            except RuntimeError:  # already deleted
                pass
        self.windows = alive

    def close(self, *, close_store: bool) -> None:
        """Close every window (each waits for its tasks), then the store when ``close_store``."""
        self._closing = True
        for window in list(self.windows):
            window.view.shutdown(5.0)  # at exit the wait is fine: the store is closed next
            window.close()
        self.pool.waitForDone(5000)
        if self.store is not None and close_store:
            try:
                self.store.close()
            except Exception:
                log.exception("Closing the results store failed")
