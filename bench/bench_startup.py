"""Start-up: process start to demo window shown, against a bare PySide6 window, as a ratio in one run.

Each sample is a fresh process. The child prints ``shown`` at its main window's first paint; the parent
measures the wall time from spawn to that line. Run: ``python3 -m bench.bench_startup``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

from bench._util import median, ratio_line

# Both children report from their window's first Paint event: the moment a person sees the window.
_REPORT = """
import sys
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication

class FirstPaint(QObject):
    seen = False
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and not self.seen:
            self.seen = True
            print("shown", flush=True)
            QTimer.singleShot(300, finish)
        return False
"""

BARE = _REPORT + """
from PySide6.QtWidgets import QMainWindow
app = QApplication(sys.argv)
w = QMainWindow(); w.resize(1400, 860)
watcher = FirstPaint(); w.installEventFilter(watcher)
def finish():
    w.close(); app.quit()
w.show()
app.exec()
"""

DEMO = _REPORT + """
from gui.app import create_window
w = create_window(["--demo", "--data-dir", sys.argv[1]])
app = QApplication.instance()
watcher = FirstPaint(); w.installEventFilter(watcher)
def finish():
    w.close(); app.quit()
def ready_check():
    if w._jobs_panel is not None:
        print("ready", flush=True)
    else:
        QTimer.singleShot(2, ready_check)
w.show()
QTimer.singleShot(0, ready_check)
app.exec()
"""


def _sample(code: str, *args: str) -> tuple[float, float | None]:
    """Seconds from spawn to the first paint, and to "ready" (all panes built) when the child reports it."""
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    assert proc.stdout is not None
    shown = ready = None
    for line in proc.stdout:
        if line.startswith("shown") and shown is None:
            shown = time.perf_counter() - t0
        elif line.startswith("ready") and ready is None:
            ready = time.perf_counter() - t0
    proc.wait(timeout=60)
    if shown is None:
        raise RuntimeError(f"child never showed a window: {proc.stderr.read() if proc.stderr else ''}")
    return shown, ready


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
    # An installed app has its bytecode compiled (pip does it); do the same so we do not time the compiler.
    import compileall
    from pathlib import Path

    import gui

    compileall.compile_dir(str(Path(gui.__file__).parent), quiet=1)
    bare, demo = [], []
    with tempfile.TemporaryDirectory() as tmp:
        ready = []
        for _ in range(runs):  # interleave to share the machine's noise
            bare.append(_sample(BARE)[0])
            shown, all_ready = _sample(DEMO, tmp)
            demo.append(shown)
            if all_ready is not None:
                ready.append(all_ready)
    print(ratio_line("window shown (demo vs bare QMainWindow)", demo, bare, target=2.0))
    if ready:
        print(ratio_line("all panes built (filters, jobs; sandbox still starting)", ready, bare))
    starts, seeds = _sandbox_times(max(3, runs // 2))
    print(f"sandbox import+start: median {median(starts):.3f}s; demo seeding: median {median(seeds):.3f}s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 7)
