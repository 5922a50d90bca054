"""The window's entry: ``create_window(argv)`` (a testing seam) and ``main(argv)``."""

from __future__ import annotations

import logging
import sys

from PySide6.QtWidgets import QApplication, QMainWindow

from gui import APP_NAME
from gui.core.logs import setup_logging
from gui.core.paths import resolve_paths
from gui.options import parse_gui_args

log = logging.getLogger(__name__)


def _ensure_app(argv: list[str]) -> QApplication:
    app = QApplication.instance()
    if app is None:
        app = QApplication([sys.argv[0] if sys.argv else "rekognition-labeler", *argv])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName("rekognition-video-labeler")
    return app  # type: ignore[return-value]


def create_window(argv: list[str]) -> QMainWindow:
    """Build the main window (objectName ``MainWindow``) from CLI-style arguments, without ``exec()``."""
    from gui.qt.main_window import MainWindow

    options = parse_gui_args(argv)
    _ensure_app(argv)
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
