"""The window's entry: ``create_window(argv)`` (a testing seam) and ``main(argv)``."""

from __future__ import annotations

import logging
import sys

from PySide6.QtWidgets import QApplication, QMainWindow

from gui import APP_NAME
from gui.core.logs import setup_logging
from gui.core.paths import resolve_paths
from gui.options import parse_gui_args
from gui.qt import gc_guard
from gui.qt.main_window import MainWindow
from gui.qt.workers import set_background_nice

log = logging.getLogger(__name__)

GUI_SWITCH_INTERVAL = 0.001  # seconds; CPython's default is 0.005
BACKGROUND_NICE = 10  # background tasks of the results window run this much below the GUI thread (Linux)


def tune_process() -> None:
    """Process-wide settings for a responsive window, made once at start-up (never by a widget).

    - GIL switch interval: a waiting thread asks the running one to drop the GIL after
      ``sys.getswitchinterval()``. Listing pages are parsed by botocore in pure Python on a worker; with
      the default 5 ms every paint of a table (hundreds of short calls into the model) waits for those
      slices. 1 ms halves the paint time under load at a negligible cost in thread switches. Never raised.
    - Background priority: the threads of low-priority task registries (sorting 100,000 detections,
      binning a timeline) run at a lower OS priority, so the GUI thread wins a busy core
      (:func:`gui.qt.workers.set_background_nice`).

    botocore's service models are kept out of later garbage collections when the first client of a
    service is made (:func:`gui.core.connection.settle_gc`): they do not exist before that.
    """
    if sys.getswitchinterval() > GUI_SWITCH_INTERVAL:
        sys.setswitchinterval(GUI_SWITCH_INTERVAL)
    set_background_nice(BACKGROUND_NICE)


def _ensure_app(argv: list[str]) -> QApplication:
    app = QApplication.instance()
    if app is None:
        app = QApplication([sys.argv[0] if sys.argv else "rekognition-labeler", *argv])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName("rekognition-video-labeler")
    return app  # type: ignore[return-value]


def create_window(argv: list[str]) -> QMainWindow:
    """Build the main window (objectName ``MainWindow``) from CLI-style arguments, without ``exec()``."""
    options = parse_gui_args(argv)
    app = _ensure_app(argv)
    gc_guard.install(app)  # Qt objects in garbage cycles are deleted on the GUI thread, never a worker's
    tune_process()
    paths = resolve_paths(options.data_dir).ensure()
    setup_logging(paths.log_file)
    return MainWindow(options, paths)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parse_gui_args(argv)  # --help and bad options answer before any Qt object exists
    app = _ensure_app(argv)
    window = create_window(argv)
    window.show()
    code = app.exec()
    return int(code)


if __name__ == "__main__":
    sys.exit(main())
