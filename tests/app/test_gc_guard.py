"""Garbage cycles are collected on the GUI thread, from a timer, never by a worker thread's allocation."""

from __future__ import annotations

import gc
import threading

from PySide6.QtCore import QObject

from gui.qt import gc_guard


class _Cycle:
    def __init__(self) -> None:
        self.me = self
        self.qt = QObject()


def test_automatic_collection_is_off_and_the_timer_collects(qapp, qtbot):
    collector = gc_guard.install(qapp)
    assert gc_guard.install(qapp) is collector  # once per application
    assert not gc.isenabled()
    gc.collect()
    freed_on: list[str] = []

    class Watched(_Cycle):
        def __del__(self) -> None:
            freed_on.append(threading.current_thread().name)

    def make_garbage_on_a_worker() -> None:
        for _ in range(gc.get_threshold()[0] * 3):
            Watched()  # each one is a cycle: only the collector frees it

    worker = threading.Thread(target=make_garbage_on_a_worker, name="allocating-worker")
    worker.start()
    worker.join()
    assert freed_on == []  # the worker allocated far past the threshold and collected nothing
    qtbot.waitUntil(lambda: len(freed_on) > 0, timeout=5_000)
    assert set(freed_on) == {threading.main_thread().name}


def test_check_collects_nothing_under_the_threshold(qapp):
    collector = gc_guard.install(qapp)
    gc.collect()
    assert collector.check() == 0
