"""Filter tree: build time for 3,082 labels and search time per keystroke, against plain-Qt baselines.

* Build: parse the taxonomy CSVs (uncached) + our model + proxy + the shown FilterTree widget, painted,
  vs a QStandardItemModel holding the same 41 groups / 3,082 rows (4 columns) in a shown QTreeView.
* Search: type words letter by letter into ``filterSearchEdit``; each keystroke = filter + expand/collapse
  + one event-loop turn (paint). Baseline: QSortFilterProxyModel.setFilterFixedString (C++ matching,
  names only, recursive) on the QStandardItemModel, same expansion and paint.

Run: ``python3 -m bench.bench_filters`` (offscreen by default).
"""

from __future__ import annotations

import os
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QApplication, QTreeView

from bench._util import median, ratio_line
from gui.core.taxonomy import load_taxonomy
from gui.qt.filter_tree import FilterTree

BUILD_RUNS = 15
WORDS = ("bicycle", "kid", "mountain", "poodle", "sky", "aircraft carrier")
SIZE = (470, 800)


def _settle(app: QApplication) -> None:
    app.processEvents()
    app.processEvents()


def build_ours(app: QApplication) -> tuple[float, FilterTree]:
    t0 = time.perf_counter()
    taxonomy = load_taxonomy.__wrapped__()  # type: ignore[attr-defined]  # the CSVs, uncached
    tree = FilterTree(taxonomy)
    tree.resize(*SIZE)
    tree.show()
    _settle(app)
    return time.perf_counter() - t0, tree


def build_baseline(app: QApplication) -> tuple[float, QTreeView, QSortFilterProxyModel]:
    taxonomy = load_taxonomy()
    t0 = time.perf_counter()
    model = QStandardItemModel(0, 4)
    model.setHorizontalHeaderLabels(["Label", "Include", "Exclude", "Aliases"])
    for cat, infos in taxonomy.by_category().items():
        parent = QStandardItem(f"{cat} ({len(infos)})")
        for info in infos:
            row = [
                QStandardItem(info.name),
                QStandardItem(),
                QStandardItem(),
                QStandardItem(", ".join(info.aliases)),
            ]
            for item in row[1:3]:
                item.setCheckable(True)
            parent.appendRow(row)
        model.appendRow([parent, QStandardItem(), QStandardItem(), QStandardItem()])
    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(model)
    proxy.setRecursiveFilteringEnabled(True)
    proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    view = QTreeView()
    view.setUniformRowHeights(True)
    view.setModel(proxy)
    view.resize(*SIZE)
    view.show()
    _settle(app)
    return time.perf_counter() - t0, view, proxy


def type_ours(app: QApplication, tree: FilterTree) -> list[float]:
    samples = []
    for word in WORDS:
        for i in range(1, len(word) + 1):
            t0 = time.perf_counter()
            tree.search_edit.setText(word[:i])
            _settle(app)
            samples.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        tree.search_edit.clear()
        _settle(app)
        samples.append(time.perf_counter() - t0)
    return samples


def type_baseline(app: QApplication, view: QTreeView, proxy: QSortFilterProxyModel) -> list[float]:
    samples = []
    for word in WORDS:
        for i in range(1, len(word) + 1):
            t0 = time.perf_counter()
            proxy.setFilterFixedString(word[:i])
            view.expandAll()
            _settle(app)
            samples.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        proxy.setFilterFixedString("")
        view.collapseAll()
        _settle(app)
        samples.append(time.perf_counter() - t0)
    return samples


def main() -> None:
    app = QApplication.instance() or QApplication([])
    load_taxonomy()  # warm imports and the file cache once, for both sides
    ours_build: list[float] = []
    base_build: list[float] = []
    keep: list[object] = []
    for _ in range(BUILD_RUNS):
        t, tree = build_ours(app)
        ours_build.append(t)
        tb, view, proxy = build_baseline(app)
        base_build.append(tb)
        keep = [tree, view, proxy]
    tree, view, proxy = keep  # type: ignore[assignment]
    n_labels = tree.model.rowCount() and sum(
        tree.model.rowCount(tree.model.index(r, 0)) for r in range(tree.model.rowCount())
    )
    print(f"Filter tree: {n_labels} labels in {tree.model.rowCount() - 1} groups + custom group")
    print(ratio_line("Tree build (CSV parse + model + widget shown)", ours_build, base_build, unit="s"))
    print(
        f"  ours median {median(ours_build) * 1000:.1f} ms, baseline median {median(base_build) * 1000:.1f} ms"
    )

    ours_keys = type_ours(app, tree)  # type: ignore[arg-type]
    base_keys = type_baseline(app, view, proxy)  # type: ignore[arg-type]
    ours_keys += type_ours(app, tree)  # type: ignore[arg-type]
    base_keys += type_baseline(app, view, proxy)  # type: ignore[arg-type]
    print(ratio_line("Search per keystroke (filter + expand + paint)", ours_keys, base_keys, unit="s"))
    print(
        f"  ours median {median(ours_keys) * 1000:.2f} ms, max {max(ours_keys) * 1000:.1f} ms; "
        f"baseline median {median(base_keys) * 1000:.2f} ms; {len(ours_keys)} keystrokes over {WORDS}"
    )


if __name__ == "__main__":
    main()
