"""The main window: connection + browser | filters + settings | jobs."""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QThreadPool, Slot
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QGroupBox,
    QLabel,
    QMainWindow,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from gui import APP_NAME
from gui.core.errors import UserMessage
from gui.core.paths import AppPaths
from gui.options import AppOptions
from gui.qt.workers import Worker, start

log = logging.getLogger(__name__)

SANDBOX_NOTE = (
    "Local sandbox: you are connected to a simulated AWS on this computer. "
    "Its labels are simulated, not produced by Amazon Rekognition."
)


def _start_demo_sandbox(cancel: Any, progress: Any) -> Any:
    from gui.sandbox import Sandbox

    sandbox = Sandbox(port=0, seed_demo=True)
    sandbox.start()
    return sandbox


class MainWindow(QMainWindow):
    def __init__(self, options: AppOptions, paths: AppPaths) -> None:
        super().__init__()
        self.setObjectName("MainWindow")
        self.setWindowTitle(APP_NAME + (" — demo (local sandbox)" if options.demo else ""))
        self.options = options
        self.paths = paths
        self.sandbox: Any = None
        self.pool = QThreadPool(self)
        self._closing = False

        central = QWidget(self)
        outer = QVBoxLayout(central)
        outer.setContentsMargins(6, 6, 6, 6)
        self.sandboxBanner = QLabel(SANDBOX_NOTE, central)
        self.sandboxBanner.setObjectName("sandboxBanner")
        self.sandboxBanner.setWordWrap(True)
        self.sandboxBanner.setStyleSheet(
            "QLabel { background: #fff4ce; color: #5c4400; border: 1px solid #e0c36a; padding: 4px 8px; }"
        )
        self.sandboxBanner.setVisible(bool(options.demo))
        outer.addWidget(self.sandboxBanner)

        splitter = QSplitter(central)
        splitter.setObjectName("mainSplitter")
        self.browserPane = self._pane("Videos in S3", "Connect to AWS, then pick videos.")
        self.filtersPane = self._pane("Labels and settings", "Label filters, MinConfidence, presets.")
        self.jobsPane = self._pane("Jobs", "Submitted jobs and their status.")
        for pane in (self.browserPane, self.filtersPane, self.jobsPane):
            splitter.addWidget(pane)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 3)
        splitter.setStretchFactor(2, 4)
        outer.addWidget(splitter, 1)
        self.setCentralWidget(central)
        self.resize(1400, 860)
        self.statusBar().showMessage("Ready")

        if options.demo:
            self.statusBar().showMessage("Starting the local sandbox…")
            worker = Worker(_start_demo_sandbox)
            worker.signals.result.connect(self._on_sandbox_ready)
            worker.signals.error.connect(self._on_sandbox_error)
            start(worker, self.pool)

    def _pane(self, title: str, hint: str) -> QGroupBox:
        box = QGroupBox(title, self)
        lay = QVBoxLayout(box)
        label = QLabel(hint, box)
        label.setWordWrap(True)
        label.setStyleSheet("color: palette(mid);")
        lay.addWidget(label)
        lay.addStretch(1)
        return box

    @Slot(object)
    def _on_sandbox_ready(self, sandbox: Any) -> None:
        if self._closing:
            sandbox.stop()
            return
        self.sandbox = sandbox
        self.statusBar().showMessage(f"Local sandbox running at {sandbox.endpoint_url}")
        log.info("Demo sandbox at %s", sandbox.endpoint_url)

    @Slot(object)
    def _on_sandbox_error(self, message: UserMessage) -> None:
        self.statusBar().showMessage(f"The local sandbox failed to start: {message}")

    def shutdown(self) -> None:
        """Stop background work and the sandbox; idempotent."""
        self._closing = True
        self.pool.waitForDone(10_000)
        if self.sandbox is not None:
            self.sandbox.stop()
            self.sandbox = None

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)
