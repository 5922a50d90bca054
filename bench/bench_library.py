"""Library search over a big synthetic results cache, beside a naive scan of the detections table.

The cache (default 10,000 videos, 10 million detections: 1,000 per video over 20 labels) is generated
directly into the results cache's own tables with bulk SQL (no pages: the raw page bodies a fetch also
keeps are left out), then indexed by the real upgrade path (:meth:`Library.backfill`). It is kept under
the temp dir and reused by later runs (``--rebuild`` makes it again). Label mix: Person is in every
other video (the "half the library" query), Dog in 1 of 5, Beach in 1 of 7, Cat in 1 of 13, the other
slots drawn from 300 real taxonomy labels; each video-label has its own confidence level.

Figures (medians of ``--runs``, worst too), each beside a naive scan in the same run:

* a typical query, two labels and a NOT with thresholds (``Dog>=80 Beach>=60 NOT Cat``), all matches
  with their moments; target median < 50 ms, worst < 200 ms. Naive: one pass over the detections table
  (best confidence per video and label of the three labels), the query decided in Python.
* a query matching half the library (``Person``): time to the first streamed match; target < 100 ms.
  Naive: the same pass over the detections table for Person.
* storing one job's results (1,000 detections: one page) with the index vs without it (the index call
  made a no-op); target ratio <= 2x.

* the GUI: the longest a 10 ms timer on the GUI thread waited while the Library view lists every video,
  while the typical query is typed, and while the half-library query streams; beside an idle window.

Run: ``python -m bench.bench_library [--videos N] [--detections N] [--runs R] [--rebuild] [--no-gui]``.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bench._util import median

LABELS_PER_VIDEO = 20
POOL = 300
TYPICAL = "Dog>=80 Beach>=60 NOT Cat"
HALF = "Person"
SPECIAL = ("Person", "Dog", "Beach", "Cat")


def cache_path(videos: int, detections: int) -> Path:
    """``<temp>/rekognition-labeler-bench/library-V-D/results.sqlite3``: a data folder the window can open."""
    root = Path(tempfile.gettempdir()) / "rekognition-labeler-bench"
    folder = root / f"library-{videos}-{detections}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "results.sqlite3"
    flat = root / f"library-{videos}-{detections}.sqlite3"  # where earlier runs kept it
    if flat.exists() and not path.exists():
        os.replace(flat, path)
    return path


def _pool() -> list[tuple[str, str, str, str]]:
    """(name, categories JSON as AWS returns it, aliases JSON as AWS returns it, categories as names)."""
    from gui.core.taxonomy import UNCATEGORIZED, load_taxonomy

    out = []
    for info in load_taxonomy().labels.values():
        if info.name in SPECIAL:
            continue
        cats = [] if info.category == UNCATEGORIZED else [info.category]
        out.append((info.name, json.dumps([{"Name": c} for c in cats]),
                    json.dumps([{"Name": a} for a in info.aliases]), json.dumps(cats)))
        if len(out) == POOL:
            break
    return out


def _special_rows() -> list[tuple[int, str, str, str, str]]:
    from gui.core.taxonomy import load_taxonomy

    tax = load_taxonomy()
    rows = []
    for slot, name in enumerate(SPECIAL):
        info = tax.labels[name]
        rows.append((slot, name, json.dumps([{"Name": info.category}]),
                     json.dumps([{"Name": a} for a in info.aliases]), json.dumps([info.category])))
    return rows


def generate(path: Path, videos: int, detections: int, log: Callable[[str], None]) -> None:
    """Write the synthetic cache at ``path`` (built beside it, then moved in place)."""
    from gui.core.library import Library
    from gui.core.results_store import ResultsStore

    per_video = max(LABELS_PER_VIDEO, detections // videos)
    building = path.with_name(path.name + ".building")
    for leftover in (building, Path(str(building) + "-wal"), Path(str(building) + "-shm")):
        leftover.unlink(missing_ok=True)
    ResultsStore(building).close()  # the real schema, at the current version
    t0 = time.perf_counter()
    conn = sqlite3.connect(building, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -200000")
    conn.execute("BEGIN")
    conn.execute("CREATE TEMP TABLE pool(rank INTEGER PRIMARY KEY, name TEXT, cats TEXT, aliases TEXT, names TEXT)")
    conn.executemany("INSERT INTO pool VALUES (?,?,?,?,?)", [(i, *row) for i, row in enumerate(_pool())])
    conn.execute("CREATE TEMP TABLE special(slot INTEGER PRIMARY KEY, name TEXT, cats TEXT, aliases TEXT,"
                 " names TEXT)")
    conn.executemany("INSERT INTO special VALUES (?,?,?,?,?)", _special_rows())
    conn.execute("CREATE TEMP TABLE vids(v INTEGER PRIMARY KEY)")
    conn.execute("WITH RECURSIVE n(v) AS (SELECT 0 UNION ALL SELECT v+1 FROM n WHERE v+1 < ?)"
                 " INSERT INTO vids SELECT v FROM n", (videos,))
    conn.execute("CREATE TEMP TABLE nums(i INTEGER PRIMARY KEY)")
    conn.execute("WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM n WHERE i+1 < ?)"
                 " INSERT INTO nums SELECT i FROM n", (per_video,))
    # which label fills each of a video's 20 slots, and how confident that video's detections of it are
    conn.execute(
        "CREATE TEMP TABLE vl(v INTEGER, slot INTEGER, name TEXT, cats TEXT, aliases TEXT, base REAL,"
        " PRIMARY KEY (v, slot)) WITHOUT ROWID"
    )
    conn.execute(
        f"""INSERT INTO vl
        SELECT vids.v, s.i,
               COALESCE(sp.name, p.name), COALESCE(sp.cats, p.cats), COALESCE(sp.aliases, p.aliases),
               50 + ((vids.v * 31 + s.i * 17) % 45)
        FROM vids JOIN nums AS s ON s.i < {LABELS_PER_VIDEO}
        LEFT JOIN special AS sp ON sp.slot = s.i AND (
            (s.i = 0 AND vids.v % 2 = 0) OR (s.i = 1 AND vids.v % 10 IN (1, 2))
            OR (s.i = 2 AND vids.v % 7 = 0) OR (s.i = 3 AND vids.v % 13 = 0))
        JOIN pool AS p ON p.rank = (vids.v * 7919 + s.i * 104729) % {POOL}"""
    )
    now = "2026-01-01T00:00:00+00:00"
    conn.execute(
        "INSERT INTO results(result_id, job_id, aggregation, complete, page_count, detection_count, label_count,"
        " started_at, completed_at) SELECT v + 1, printf('bench-%06d', v), 'TIMESTAMPS', 1, 1, ?, 0, ?, ?"
        " FROM vids", (per_video, now, now),
    )
    conn.execute(
        "INSERT INTO jobs(job_id, video_uri, job_tag, label_model_version, video_metadata)"
        " SELECT printf('bench-%06d', v), printf('s3://bench-%d/folder-%02d/video-%06d.mp4', v % 3, v % 50, v),"
        " NULL, '3.0', '{\"DurationMillis\": 600000, \"FrameRate\": 25.0}' FROM vids"
    )
    log(f"  videos and labels: {time.perf_counter() - t0:.1f} s")
    # every 20th detection is the same slot; odd slots pause 2 s every 10 samples (several moments)
    conn.execute(
        f"""INSERT INTO detections(result_id, timestamp_ms, label, confidence, instance_count, categories,
                                   parents, aliases, instances)
        SELECT vids.v + 1,
               (n.i / {LABELS_PER_VIDEO}) * 500
                 + CASE WHEN n.i % 2 = 1 THEN ((n.i / {LABELS_PER_VIDEO}) / 10) * 2000 ELSE 0 END,
               vl.name, vl.base + (n.i % 5), 0, vl.cats, '[]', vl.aliases, '[]'
        FROM vids CROSS JOIN nums AS n
        JOIN vl ON vl.v = vids.v AND vl.slot = n.i % {LABELS_PER_VIDEO}"""
    )
    log(f"  {videos * per_video:,} detections: {time.perf_counter() - t0:.1f} s")
    conn.execute(
        "INSERT INTO label_stats(result_id, label, occurrences, max_confidence, mean_confidence, first_ms,"
        " last_ms, categories, parents, aliases, search_text)"
        " SELECT result_id, label, COUNT(*), MAX(confidence), AVG(confidence), MIN(timestamp_ms),"
        " MAX(timestamp_ms), '[]', '[]', '[]', label FROM detections GROUP BY result_id, label"
    )
    for table in ("pool", "special"):
        conn.execute(
            f"UPDATE label_stats SET categories = t.names, search_text = label_stats.label || char(10) ||"
            f" (SELECT group_concat(value, char(10)) FROM json_each(t.names))"
            f" FROM {table} AS t WHERE t.name = label_stats.label"
        )
    conn.execute("UPDATE results SET label_count = (SELECT COUNT(*) FROM label_stats AS s"
                 " WHERE s.result_id = results.result_id)")
    conn.execute("COMMIT")
    conn.close()
    log(f"  label figures: {time.perf_counter() - t0:.1f} s")
    t1 = time.perf_counter()
    with ResultsStore(building) as store:
        lib = Library.for_store(store)
        done = lib.backfill()
        lib.close()
    log(f"  index built by Library.backfill ({done:,} jobs, one transaction each): "
        f"{time.perf_counter() - t1:.1f} s ({(time.perf_counter() - t1) / max(1, done) * 1000:.2f} ms a job)")
    conn = sqlite3.connect(building)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    os.replace(building, path)
    for suffix in ("-wal", "-shm"):
        Path(str(building) + suffix).unlink(missing_ok=True)


def size_on_disk(path: Path) -> int:
    return sum(p.stat().st_size for p in (path, Path(str(path) + "-wal")) if p.exists())


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    value = fn()
    return time.perf_counter() - t0, value


# -- naive baselines: straight over the detections table ------------------------------------------------


def naive_typical(conn: sqlite3.Connection) -> list[str]:
    best: dict[int, dict[str, float]] = {}
    for rid, label, conf in conn.execute(
        "SELECT result_id, label, MAX(confidence) FROM detections WHERE label IN ('Dog', 'Beach', 'Cat')"
        " GROUP BY result_id, label"
    ):
        best.setdefault(rid, {})[label] = conf
    hits = [rid for rid, b in best.items() if b.get("Dog", -1) >= 80 and b.get("Beach", -1) >= 60 and "Cat" not in b]
    return sorted(hits)


def naive_first(conn: sqlite3.Connection) -> Iterator[Any]:
    return iter(conn.execute("SELECT DISTINCT result_id FROM detections WHERE label = 'Person'"))


# -- the store cost -------------------------------------------------------------------------------------


def one_job_page(n: int, seed: int) -> dict[str, Any]:
    from gui.core.taxonomy import load_taxonomy

    names = list(load_taxonomy().labels.values())[seed % 50 : seed % 50 + LABELS_PER_VIDEO]
    labels = []
    for i in range(n):
        info = names[i % len(names)]
        labels.append({
            "Timestamp": (i // len(names)) * 500,
            "Label": {"Name": info.name, "Confidence": 50 + (i * 37 % 500) / 10, "Instances": [],
                      "Parents": [], "Aliases": [{"Name": a} for a in info.aliases],
                      "Categories": [{"Name": info.category}]},
        })
    return {"JobStatus": "SUCCEEDED", "Video": {"S3Object": {"Bucket": "bench-new", "Name": f"v{seed}.mp4"}},
            "VideoMetadata": {"DurationMillis": 600_000}, "LabelModelVersion": "3.0", "Labels": labels}


def store_one(store: Any, job_id: str, page: dict[str, Any]) -> None:
    rid = store.begin_result(job_id, "TIMESTAMPS")
    store.add_page(rid, 0, page)
    store.complete_result(rid, page)


def gui_stalls(data_dir: Path, videos: int) -> None:
    """The longest the GUI thread was blocked (a 10 ms QTimer's largest gap) while the Library view opens
    and lists every video, while the typical query is typed letter by letter, and while the half-library
    query streams; beside an idle window's gaps in the same run."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("QT_LOGGING_RULES", "qt.qpa.*=false")  # offscreen: "does not support propagateSizeHints"
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from gui.app import tune_process
    from gui.core.paths import AppPaths
    from gui.qt import gc_guard
    from gui.qt.library_view import LibraryView

    tune_process()  # as the app starts: switch interval, background threads below the GUI thread
    app = QApplication.instance() or QApplication([])
    gc_guard.install(app)  # as the app does: cyclic garbage collected on the GUI thread only
    gaps: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    def spin(until: Callable[[], bool], timeout: float = 60.0) -> None:
        end = time.monotonic() + timeout
        while not until() and time.monotonic() < end:
            app.processEvents()
            time.sleep(0.001)

    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(tick)
    timer.start()

    def measure(name: str, action: Callable[[], None], until: Callable[[], bool]) -> None:
        gaps.clear()
        last[0] = time.perf_counter()
        action()
        spin(until)
        ordered = sorted(gaps) or [0.0]
        print(f"  {name}: longest GUI stall {ordered[-1] * 1000:.0f} ms, median tick {median(ordered) * 1000:.0f} ms")

    end = time.monotonic() + 1.0
    measure("idle window (baseline)", lambda: None, lambda: time.monotonic() > end)
    paths = AppPaths(data_dir, data_dir / "config", data_dir / "cache", data_dir / "logs").ensure()
    view = LibraryView(paths)
    view.resize(1280, 760)
    view.show()
    finished: list[int] = []
    view.searchFinished.connect(finished.append)
    measure(f"open and list all {videos:,} videos", view.start, lambda: bool(finished))
    typed = iter(TYPICAL)

    def type_next() -> bool:
        ch = next(typed, None)
        if ch is None:
            return not view.searching
        view.searchEdit.insert(ch)
        end_at = time.monotonic() + 0.06  # a fast typist
        spin(lambda: time.monotonic() > end_at)
        return False

    finished.clear()
    measure(f"type {TYPICAL!r} (search as you type)", lambda: None, type_next)
    finished.clear()
    measure(f"search {HALF!r} ({videos // 2:,} videos stream in)", lambda: view.set_query(HALF), lambda: bool(finished))
    view.shutdown()
    timer.stop()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--videos", type=int, default=10_000)
    ap.add_argument("--detections", type=int, default=10_000_000)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--store-runs", type=int, default=20)
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--no-gui", action="store_true", help="skip the GUI-stall figures")
    ap.add_argument("--gui-only", action="store_true", help="only the GUI-stall figures (on the cached store)")
    args = ap.parse_args(argv)

    from gui.core import results_store as results_module
    from gui.core.library import Library
    from gui.core.results_store import ResultsStore

    path = cache_path(args.videos, args.detections)
    if args.gui_only and path.exists():
        print("the Library view (offscreen):")
        gui_stalls(path.parent, args.videos)
        return 0
    if args.rebuild or not path.exists():
        print(f"generating {args.videos:,} videos / {args.detections:,} detections into {path} …", flush=True)
        t0 = time.perf_counter()
        generate(path, args.videos, args.detections, lambda s: print(s, flush=True))
        print(f"  generated in {time.perf_counter() - t0:.1f} s", flush=True)
    else:
        print(f"reusing {path}")
    print(f"results cache size on disk: {size_on_disk(path) / 1e6:,.0f} MB "
          f"({args.videos:,} videos, {args.detections:,} detections, no raw pages)")

    store = ResultsStore(path)
    lib = Library.for_store(store)
    raw = sqlite3.connect(path)
    try:
        counts = raw.execute("SELECT (SELECT COUNT(*) FROM library_videos), (SELECT COUNT(*) FROM library_labels),"
                             " (SELECT COUNT(*) FROM library_moments)").fetchone()
        print(f"index: {counts[0]:,} videos, {counts[1]:,} video-labels, {counts[2]:,} moments")

        # 1. the typical query, all matches with their moments
        cold, first = timed(lambda: list(lib.search(TYPICAL)))
        ours = [timed(lambda: list(lib.search(TYPICAL)))[0] for _ in range(args.runs)]
        base = [timed(lambda: naive_typical(raw))[0] for _ in range(3)]
        naive_hits = naive_typical(raw)
        assert len(naive_hits) == len(first), (len(naive_hits), len(first))
        moments = sum(len(m.moments) for m in first)
        print(f"typical query {TYPICAL!r}: {len(first):,} videos, {moments:,} moments")
        print(f"  library: median {median(ours) * 1000:.1f} ms, worst {max(ours) * 1000:.1f} ms "
              f"(first, cold: {cold * 1000:.1f} ms)  targets: median < 50 ms, worst < 200 ms"
              f"  {'OK' if median(ours) < 0.05 and max(ours) < 0.2 else 'OVER TARGET'}")
        print(f"  naive scan of detections: median {median(base) * 1000:.0f} ms -> library is "
              f"{median(base) / median(ours):.0f}x faster")

        # 1b. typical queries over other labels: two labels of some video (so something matches), NOT a third
        names = [r[0] for r in raw.execute("SELECT label FROM library_labels GROUP BY label"
                                           " ORDER BY COUNT(*) DESC LIMIT 60")]
        varied = []
        for i in range(args.runs):
            job = raw.execute("SELECT job_id FROM library_videos ORDER BY job_id LIMIT 1 OFFSET ?",
                              ((i * 331) % max(1, counts[0]),)).fetchone()[0]
            own = [r[0] for r in raw.execute("SELECT label FROM library_labels WHERE job_id=? ORDER BY label",
                                             (job,))]
            a, b = own[i % len(own)], own[(i + 5) % len(own)]
            varied.append(f'"{a}">=60 "{b}" NOT "{names[(i + 13) % len(names)]}"')
        timings = [timed(lambda q=q: list(lib.search(q))) for q in varied]
        varied_times = [t for t, _ in timings]
        print(f"  {len(varied)} other typical queries (e.g. {varied[0]}; {median([len(v) for _, v in timings]):.0f}"
              f" videos each, median): median {median(varied_times) * 1000:.1f} ms, worst"
              f" {max(varied_times) * 1000:.1f} ms  {'OK' if median(varied_times) < 0.05 and max(varied_times) < 0.2 else 'OVER TARGET'}")

        # 2. half the library: time to the first streamed match
        def first_row() -> Any:
            stream = lib.search(HALF)
            row = next(stream)
            stream.close()
            return row

        ours_first = [timed(first_row)[0] for _ in range(args.runs)]
        all_half, half = timed(lambda: list(lib.search(HALF)))
        base_first = [timed(lambda: next(naive_first(raw)))[0] for _ in range(3)]
        base_all = timed(lambda: list(naive_first(raw)))[0]
        print(f"half the library {HALF!r}: {len(half):,} videos")
        print(f"  library first row: median {median(ours_first) * 1000:.1f} ms, worst {max(ours_first) * 1000:.1f} ms"
              f" (all {len(half):,} with moments: {all_half * 1000:.0f} ms)  target < 100 ms"
              f"  {'OK' if median(ours_first) < 0.1 else 'OVER TARGET'}")
        print(f"  naive scan of detections: first row {median(base_first) * 1000:.1f} ms, all {base_all * 1000:.0f} ms")

        # 3. storing one job's results (1,000 detections) with and without the index
        with_index, without = [], []
        real_index = results_module.library_index.index_result
        added = []
        try:
            for i in range(args.store_runs):
                for use_index in ((True, False) if i % 2 == 0 else (False, True)):
                    job_id = f"bench-new-{i}-{int(use_index)}"
                    page = one_job_page(1000, i)
                    results_module.library_index.index_result = (
                        real_index if use_index else (lambda conn, job_id, result_id: False))
                    elapsed = timed(lambda job_id=job_id, page=page: store_one(store, job_id, page))[0]
                    (with_index if use_index else without).append(elapsed)
                    added.append(job_id)
        finally:
            results_module.library_index.index_result = real_index
            for job_id in added:
                store.delete_job(job_id)
        ratio = median(with_index) / median(without)
        print(f"storing one job's results (1,000 detections): with the index {median(with_index) * 1000:.1f} ms,"
              f" without {median(without) * 1000:.1f} ms -> {ratio:.2f}x (target <= 2x)"
              f"  {'OK' if ratio <= 2 else 'OVER TARGET'}")
    finally:
        raw.close()
        lib.close()
        store.close()
    if not args.no_gui:
        print("the Library view (offscreen):")
        gui_stalls(path.parent, args.videos)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
