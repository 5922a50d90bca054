"""Cyclic garbage collection on the GUI thread only.

Python's cyclic collector runs on whichever thread happens to allocate past its threshold. When a cycle
holding Qt wrappers (a closed window, a dialog and its slots) is collected on a worker thread, the Qt
objects are deleted there, and Qt crashes. So the app turns automatic collection off and runs it from a
timer on the GUI thread, with the collector's own thresholds: the same amount of collecting, on the one
thread where deleting Qt objects is safe. (Reference counting, which frees almost everything, is untouched.)
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Slot

CHECK_MS = 250


class GuiThreadCollector(QObject):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("guiThreadCollector")
        self.thresholds = gc.get_threshold()
        self._timer = QTimer(self)
        self._timer.setInterval(CHECK_MS)
        self._timer.timeout.connect(self.check)
        gc.disable()
        self._timer.start()

    @Slot()
    def check(self) -> int:
        """Collect the oldest generation whose count passed its threshold; the number of objects freed."""
        counts = gc.get_count()
        t0, t1, t2 = self.thresholds
        if counts[0] <= t0:
            return 0
        if counts[2] > t2:
            return gc.collect(2)
        if counts[1] > t1:
            return gc.collect(1)
        return gc.collect(0)

    def stop(self) -> None:
        self._timer.stop()
        gc.enable()


def install(app: QCoreApplication) -> GuiThreadCollector:
    """Once per application: the collector lives as long as ``app``."""
    existing = app.findChild(GuiThreadCollector, "guiThreadCollector")
    if existing is not None:
        return existing
    collector = GuiThreadCollector(app)
    app.aboutToQuit.connect(collector.stop)
    return collector
