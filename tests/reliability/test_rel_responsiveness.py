"""Responsiveness, measured in a fresh interpreter as the app runs.

The cases live in ``rel_responsiveness_cases.py`` (not collected on its own: no ``test_`` prefix). They run
in a child pytest so that the heap left by hundreds of earlier tests in this process -- whose garbage
collection pauses hold the GIL and are not the app's -- does not count against the 50 ms budget. The
child still fails if anything blocks the GUI thread, and its control case proves the check can fail.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

CASES = Path(__file__).with_name("rel_responsiveness_cases.py")


@pytest.mark.slow
def test_gui_never_blocks_over_50ms_in_a_fresh_process():
    root = CASES.parents[2]
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(CASES)],
        cwd=root, env=env, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    assert " passed" in proc.stdout and "failed" not in proc.stdout
