"""S3 browser: listing a 20,000-object prefix in the panel vs raw boto3 on the same sandbox, in one run.

The sandbox runs in a child process (as AWS would be: not sharing this process's GIL) and is filled with
``Sandbox.fill_prefix``. Figures, medians over several runs, interleaved with the baseline:

(a) navigate() until the first rows are in the model  vs  one raw ListObjectsV2 page (1000 keys)
(b) navigate() until all rows are in the model         vs  a raw boto3 paginator over the prefix
(c) the largest gap between 10 ms QTimer ticks on the GUI thread during the listing (target <= 50 ms)
(d) memory growth per 10,000 rows in the model (tracemalloc, run apart from the timed runs; and RSS)

Run: ``python3 -m bench.bench_browser [runs] [objects]``.
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import time
import tracemalloc

from bench._util import median, ratio_line

BUCKET = "bench-videos"
PREFIX = "huge/"

CHILD = """
import sys, threading
from gui.sandbox import Sandbox
sb = Sandbox(port=0).start()
sb.fill_prefix(sys.argv[1], sys.argv[2], int(sys.argv[3]), size=64, video_ratio=0.8)
print("endpoint_url", sb.endpoint_url, flush=True)
sys.stdin.read()  # until the parent closes our stdin
sb.stop()
"""


def _start_sandbox(count: int) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, BUCKET, PREFIX, str(count)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("endpoint_url"):
        proc.kill()
        raise RuntimeError("the sandbox did not start")
    return proc, line.split()[1]


def _rss_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def main(runs: int = 5, count: int = 20_000) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")

    import boto3
    from PySide6.QtCore import QElapsedTimer, QEventLoop, QObject, Qt, QTimer, Slot
    from PySide6.QtWidgets import QApplication

    from gui.core.connection import Connection
    from gui.core.types import ConnectionSpec
    from gui.qt.browser_panel import FIRST_PAGE_SIZE, BrowserPanel

    class Probe(QObject):
        """Marks the first rows and the end of a listing; measures gaps between 10 ms timer ticks."""

        def __init__(self, panel: BrowserPanel) -> None:
            super().__init__()
            self.loop = QEventLoop()
            self.first: float | None = None
            self.done: float | None = None
            self.max_gap = 0.0
            self._clock = QElapsedTimer()
            self._last = 0
            self.timer = QTimer(self)
            self.timer.setTimerType(Qt.TimerType.PreciseTimer)
            self.timer.setInterval(10)
            self.timer.timeout.connect(self.tick)
            panel.model.rowsAppended.connect(self.rows)
            panel.listingFinished.connect(self.finished)

        def reset(self) -> None:
            self.first = self.done = None
            self.max_gap = 0.0
            self._clock.start()
            self._last = 0
            self.timer.start()

        @Slot()
        def tick(self) -> None:
            now = self._clock.elapsed()
            self.max_gap = max(self.max_gap, (now - self._last) / 1000.0)
            self._last = now

        @Slot(int)
        def rows(self, total: int) -> None:
            if self.first is None:
                self.first = time.perf_counter()

        @Slot(int)
        def finished(self, total: int) -> None:
            self.done = time.perf_counter()
            self.timer.stop()
            self.loop.quit()

    app = QApplication.instance() or QApplication([])
    proc, endpoint = _start_sandbox(count)
    try:
        conn = Connection(ConnectionSpec(source="default", region="us-east-1", endpoint_url=endpoint))
        raw = boto3.client("s3", region_name="us-east-1", endpoint_url=endpoint)
        panel = BrowserPanel()
        panel.resize(900, 700)
        panel.show()
        probe = Probe(panel)
        panel.set_connection(conn)
        while panel.bucketList.count() == 0:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)

        def ours() -> tuple[float, float, float, int]:
            panel.navigate(BUCKET, "")  # leave the big folder: the next navigate starts from empty
            while panel.is_loading() or panel.model.pending:
                app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            gc.collect()
            probe.reset()
            t0 = time.perf_counter()
            panel.navigate(BUCKET, PREFIX)
            probe.loop.exec()
            assert probe.first is not None and probe.done is not None
            rows = panel.model.rowCount()
            return probe.first - t0, probe.done - t0, probe.max_gap, rows

        def raw_page(max_keys: int = 1000) -> float:
            t0 = time.perf_counter()
            raw.list_objects_v2(Bucket=BUCKET, Prefix=PREFIX, Delimiter="/", MaxKeys=max_keys)
            return time.perf_counter() - t0

        def raw_all() -> tuple[float, int]:
            t0 = time.perf_counter()
            n = 0
            pages = raw.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=PREFIX, Delimiter="/")
            for page in pages:
                n += len(page.get("Contents", []))
            return time.perf_counter() - t0, n

        def raw_in_thread_gap() -> float:
            """The floor for (c): the same timer while a raw paginator runs in a plain thread."""
            import threading

            worker = threading.Thread(target=raw_all)
            loop = QEventLoop()
            poll = QTimer()
            poll.setInterval(20)
            poll.timeout.connect(lambda: None if worker.is_alive() else loop.quit())
            probe.reset()
            worker.start()
            poll.start()
            loop.exec()
            poll.stop()
            probe.timer.stop()
            worker.join()
            return probe.max_gap

        ours()  # warm-up: clients, bucket region, imports, caches on both sides
        raw_page()
        raw_all()
        first, full, gaps, base_page, base_small, base_all, floor = [], [], [], [], [], [], []
        for _ in range(runs):
            f, a, g, rows = ours()
            assert rows == count, f"listed {rows} rows, expected {count}"
            first.append(f)
            full.append(a)
            gaps.append(g)
            base_page.append(raw_page())
            base_small.append(raw_page(FIRST_PAGE_SIZE))
            t, n = raw_all()
            assert n == count
            base_all.append(t)
            floor.append(raw_in_thread_gap())

        # (d) memory: the rows held by the model, measured apart (tracemalloc slows everything down)
        panel.navigate(BUCKET, "")
        while panel.is_loading() or panel.model.pending:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        gc.collect()
        rss0 = _rss_bytes()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        probe.reset()
        panel.navigate(BUCKET, PREFIX)
        probe.loop.exec()
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
        rss = _rss_bytes() - rss0
        rows = panel.model.rowCount()
        panel.shutdown()
        panel.close()
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=30)

    print(f"S3 browser, prefix of {count:,} objects, sandbox in a child process, {runs} runs")
    print(ratio_line("(a) first rows in the model vs one raw ListObjectsV2 page", first, base_page, target=1.3))
    print(ratio_line(f"    overhead: the same vs a raw page of {FIRST_PAGE_SIZE} keys (the panel's first page)",
                     first, base_small))
    print(ratio_line("(b) full listing in the model vs raw boto3 paginator", full, base_all, target=1.15))
    verdict = "OK" if median(gaps) <= 0.050 and max(gaps) <= 0.050 else "OVER TARGET 50 ms"
    print(
        f"(c) largest gap between 10 ms GUI timer ticks during the listing: median {median(gaps) * 1000:.1f} ms, "
        f"worst {max(gaps) * 1000:.1f} ms  {verdict}; floor (raw paginator in a thread, idle GUI): median "
        f"{median(floor) * 1000:.1f} ms, worst {max(floor) * 1000:.1f} ms"
    )
    print(
        f"(d) memory per 10,000 rows: {held / rows * 10_000 / 1024**2:.2f} MiB held (tracemalloc), "
        f"RSS growth {rss / rows * 10_000 / 1024**2:.2f} MiB (first listing after a clear)"
    )


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
