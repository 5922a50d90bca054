"""The thread loop shared by the submitter, the poller and the results fetcher.

A subclass implements :meth:`BackgroundLoop.step` (one round of work that returns how many seconds to
wait before the next). :meth:`start` runs rounds on a daemon thread until :meth:`request_stop`;
:meth:`wake` cuts a wait short. Callbacks run on that thread and go through :meth:`_callback`, so a
failing callback is logged and never stops the loop.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from gui.core.cancel import CancelToken
from gui.core.errors import UserMessage

log = logging.getLogger(__name__)


class BackgroundLoop:
    """Start, stop, wake and one :meth:`step` at a time; ``on_change``/``on_problem`` guarded."""

    thread_name = "background-loop"
    error_wait = 2.0  # seconds before the next round after a step raised

    def __init__(
        self,
        *,
        on_change: Callable[[], None] | None = None,
        on_problem: Callable[[UserMessage | None], None] | None = None,
    ) -> None:
        self.on_change = on_change
        self.on_problem = on_problem
        self.problem: UserMessage | None = None  # the last problem reported, None when fine
        self._stop = CancelToken()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    # -- one round (subclasses) ---------------------------------------------------------------------------

    def step(self) -> float:
        """Do one round of work; return the seconds to wait before the next (0: go on at once)."""
        raise NotImplementedError

    def _wait_after_step(self) -> float:
        return self.step()

    def _closed(self) -> None:
        """Called once the thread has ended (or was never started) after :meth:`stop`."""

    # -- control ------------------------------------------------------------------------------------------

    @property
    def stopping(self) -> bool:
        return self._stop.cancelled

    @property
    def cancel_token(self) -> CancelToken:
        """Cancelled once a stop was requested: pass it to long calls made from :meth:`step`."""
        return self._stop

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def request_stop(self) -> None:
        """Ask the thread to end after the round in flight; returns at once."""
        self._stop.cancel()
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> bool:
        """Request the stop and wait; True when the thread has ended within ``timeout``."""
        self.request_stop()
        ended = True
        if self._thread is not None:
            self._thread.join(timeout)
            ended = not self._thread.is_alive()
        if ended:
            self._closed()
        return ended

    def _run(self) -> None:
        while not self._stop.cancelled:
            try:
                wait = self._wait_after_step()
            except Exception:  # the loop must survive a bug; it is logged
                log.exception("%s: step failed", self.thread_name)
                wait = self.error_wait
            if wait > 0 and not self._stop.cancelled:
                self._wake.wait(wait)
            self._wake.clear()

    # -- callbacks ----------------------------------------------------------------------------------------

    @staticmethod
    def _callback(callback: Callable[..., Any] | None, *args: Any) -> None:
        """Call ``callback(*args)`` if set; log (never raise) what it raises."""
        if callback is None:
            return
        try:
            callback(*args)
        except Exception:
            log.exception("callback %r failed", callback)

    def _report(self, message: UserMessage | None) -> None:
        self.problem = message
        self._callback(self.on_problem, message)

    def _changed(self) -> None:
        self._callback(self.on_change)
