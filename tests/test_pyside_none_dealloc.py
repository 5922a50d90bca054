"""Regression: PySide6 6.12.0 on CPython 3.11 aborts with ``Fatal Python error: none_dealloc`` after tens of
thousands of calls that return None. We pin 6.11.3 on 3.11; this test runs 100k such calls in a child."""

from __future__ import annotations

import os
import subprocess
import sys

CODE = """
from PySide6.QtWidgets import QApplication
app = QApplication([])
for _ in range(100_000):
    app.processEvents()
import PySide6
print("survived", PySide6.__version__)
"""


def test_many_none_returning_calls_do_not_abort():
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, timeout=300, env=env)
    assert "none_dealloc" not in proc.stderr
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.startswith("survived")
