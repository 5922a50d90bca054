"""The window skeleton: built by create_window, sensible layout, demo sandbox started and stopped cleanly."""

from __future__ import annotations

import threading

from PySide6.QtCore import QThreadPool
from PySide6.QtWidgets import QMainWindow

from gui.app import create_window


def test_create_window_builds_main_window(qtbot, data_dir):
    window = create_window(["--data-dir", str(data_dir)])
    qtbot.addWidget(window)
    assert isinstance(window, QMainWindow)
    assert window.objectName() == "MainWindow"
    assert not window.findChild(type(window.sandboxBanner), "sandboxBanner").isVisible()
    assert (data_dir / "logs").is_dir()  # paths honoured --data-dir


def test_demo_window_connects_to_a_sandbox_and_closes_cleanly(qtbot, data_dir):
    before = {t.ident for t in threading.enumerate()}
    window = create_window(["--demo", "--data-dir", str(data_dir)])
    qtbot.addWidget(window)
    window.show()
    banner = window.findChild(type(window.sandboxBanner), "sandboxBanner")
    assert banner.isVisible() and "simulated" in banner.text()
    qtbot.waitUntil(lambda: window.sandbox is not None, timeout=30_000)
    endpoint = window.sandbox.endpoint_url
    assert endpoint.startswith("http://127.0.0.1:")
    window.close()
    assert window.sandbox is None
    # No thread left running once the window is closed (the sandbox's server threads included). Qt's pool
    # threads that ran Python code stay listed as "dummy" threads on Python 3.11 even after they end;
    # the pools themselves must be idle.
    def python_threads() -> set[int | None]:
        return {t.ident for t in threading.enumerate()
                if t.is_alive() and not isinstance(t, threading._DummyThread)}

    qtbot.waitUntil(lambda: not (python_threads() - before), timeout=10_000)
    pools = [QThreadPool.globalInstance(), *window.findChildren(QThreadPool)]
    qtbot.waitUntil(lambda: all(p.activeThreadCount() == 0 for p in pools), timeout=10_000)
