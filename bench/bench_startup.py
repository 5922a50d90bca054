"""Start-up: process start to demo window shown, against a bare PySide6 window, as a ratio in one run.

Each sample is a fresh process. The child prints ``shown`` from the first event-loop turn after show(); the
parent measures the wall time from spawn to that line. Run: ``python3 -m bench.bench_startup``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

from bench._util import median, ratio_line

BARE = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv)
w = QMainWindow(); w.resize(1400, 860); w.show()
QTimer.singleShot(0, lambda: (print("shown", flush=True), app.quit()))
app.exec()
"""

DEMO = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from gui.app import create_window
w = create_window(["--demo", "--data-dir", sys.argv[1]])
w.show()
app = QApplication.instance()
def done():
    print("shown", flush=True)
    w.close()
    app.quit()
QTimer.singleShot(0, done)
app.exec()
"""


def _sample(code: str, *args: str) -> float:
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("shown"):
            elapsed = time.perf_counter() - t0
            break
    else:
        raise RuntimeError(f"child never showed a window: {proc.stderr.read() if proc.stderr else ''}")
    proc.wait(timeout=60)
    return elapsed


def _sandbox_times(runs: int) -> tuple[list[float], list[float]]:
    code = (
        "import time; t=time.perf_counter()\n"
        "from gui.sandbox import Sandbox\n"
        "sb=Sandbox(port=0); sb.start(); t1=time.perf_counter()\n"
        "sb.seed_demo(); t2=time.perf_counter(); sb.stop()\n"
        "print(t1-t, t2-t1)\n"
    )
    starts, seeds = [], []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
        a, b = out.stdout.split()
        starts.append(float(a))
        seeds.append(float(b))
    return starts, seeds


def main(runs: int = 7) -> None:
    bare, demo = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(runs):  # interleave to share the machine's noise
            bare.append(_sample(BARE))
            demo.append(_sample(DEMO, tmp))
    print(ratio_line("window shown (demo vs bare QMainWindow)", demo, bare, target=2.0))
    starts, seeds = _sandbox_times(max(3, runs // 2))
    print(f"sandbox import+start: median {median(starts):.3f}s; demo seeding: median {median(seeds):.3f}s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 7)
