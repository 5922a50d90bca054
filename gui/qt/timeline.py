"""A custom-painted timeline: one row per label (most frequent first, scrollable) against video time.

Painting stays cheap for 100,000 detections because the detections are binned once, off the GUI thread
(:func:`build_timeline`, plain Python), into runs of consecutive non-empty bins per label. A paint then
only maps the runs of the visible rows to pixel columns, merging the ones that fall on the same pixels.
"""

from __future__ import annotations

import time
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QPoint, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFontMetrics, QMouseEvent, QPainter, QPaintEvent, QPalette, QResizeEvent
from PySide6.QtWidgets import QAbstractScrollArea, QToolTip, QWidget

from gui.core.palette import PALETTE
from gui.qt.text import plain_tooltip

DEFAULT_BINS = 2048
DEFAULT_MAX_ROWS = 200

_TICK_STEPS_MS = (
    100, 200, 250, 500, 1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000,
    900_000, 1_800_000, 3_600_000, 7_200_000,
)  # fmt: skip


@dataclass(frozen=True)
class TimelineRow:
    label: str
    occurrences: int
    runs: tuple[tuple[int, int, int], ...]  # (first bin, last bin, detections in the run), by first bin


@dataclass(frozen=True)
class TimelineData:
    duration_ms: int
    bins: int
    rows: tuple[TimelineRow, ...]

    @property
    def bin_ms(self) -> float:
        return self.duration_ms / self.bins if self.bins else 0.0

    def bin_of(self, ms: float) -> int:
        if self.duration_ms <= 0:
            return 0
        return max(0, min(self.bins - 1, int(ms * self.bins // self.duration_ms)))

    def count_at(self, row: int, bin_no: int) -> int:
        """Detections in the run of ``row`` that covers ``bin_no``; 0 when none does."""
        runs = self.rows[row].runs
        i = bisect_right(runs, (bin_no, _BIG, _BIG)) - 1
        if i >= 0 and runs[i][0] <= bin_no <= runs[i][1]:
            return runs[i][2]
        return 0


EMPTY = TimelineData(0, DEFAULT_BINS, ())
_BIG = 1 << 62


def timeline_from_runs(
    runs: Iterable[tuple[str, int, int, int]], duration_ms: int, order: Sequence[str], *, bins: int = DEFAULT_BINS
) -> TimelineData:
    """Assemble :class:`TimelineData` from ``ResultsStore.timeline_runs`` rows (label, first, last, count),
    keeping the labels in ``order`` (row order, most frequent first)."""
    by_label: dict[str, list[tuple[int, int, int]]] = {label: [] for label in order}
    for label, first, last, count in runs:
        target = by_label.get(label)
        if target is not None:
            target.append((first, last, count))
    rows = tuple(
        TimelineRow(label, sum(r[2] for r in by_label[label]), tuple(sorted(by_label[label]))) for label in order
    )
    return TimelineData(max(1, duration_ms), bins, rows)


def build_timeline(
    spans: Iterable[tuple[str, int, int]],
    duration_ms: int,
    order: Sequence[str],
    *,
    bins: int = DEFAULT_BINS,
) -> TimelineData:
    """Bin ``(label, start ms, end ms)`` spans (start == end for timestamps) per label, in Python.

    ``order`` gives the labels to keep, in row order (most frequent first). The view uses the same
    binning done by SQLite (:func:`timeline_from_runs`); this is its plain reference, and handy for
    spans that aren't in a store.
    """
    wanted = {label: i for i, label in enumerate(order)}
    spans = list(spans)
    if duration_ms <= 0:
        duration_ms = max((end for _, _, end in spans), default=0) + 1
    diffs: list[list[int] | None] = [None] * len(order)
    starts: list[list[int] | None] = [None] * len(order)
    counts = [0] * len(order)
    top = bins - 1
    for label, start, end in spans:
        i = wanted.get(label)
        if i is None:
            continue
        diff = diffs[i]
        if diff is None:
            diff = diffs[i] = [0] * (bins + 1)
            starts[i] = [0] * bins
        b0 = min(top, max(0, start * bins // duration_ms))
        b1 = min(top, max(b0, end * bins // duration_ms))
        diff[b0] += 1
        starts[i][b0] += 1  # type: ignore[index]
        diff[b1 + 1] -= 1
        counts[i] += 1
    rows = []
    for i, label in enumerate(order):
        diff = diffs[i]
        rows.append(TimelineRow(label, counts[i], _runs(diff, starts[i], bins) if diff is not None else ()))
    return TimelineData(duration_ms, bins, tuple(rows))


def _runs(diff: list[int], starts: list[int] | None, bins: int) -> tuple[tuple[int, int, int], ...]:
    """Runs of covered bins; each span lies in one run, so a run's count is the spans starting in it."""
    assert starts is not None
    runs = []
    level = 0
    start = -1
    count = 0
    for b in range(bins):
        level += diff[b]
        if level > 0:
            if start < 0:
                start, count = b, 0
            count += starts[b]
        elif start >= 0:
            runs.append((start, b - 1, count))
            start = -1
    if start >= 0:
        runs.append((start, bins - 1, count))
    return tuple(runs)


def format_tick(ms: int, step_ms: int) -> str:
    seconds, millis = divmod(int(ms), 1000)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
    if step_ms < 1000:
        if step_ms % 100 == 0:
            text += f".{millis // 100}"
        elif step_ms % 10 == 0:
            text += f".{millis // 10:02d}"
        else:
            text += f".{millis:03d}"
    return text


def format_ms(ms: int) -> str:
    seconds, millis = divmod(int(ms), 1000)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def tick_step(duration_ms: int, width_px: int, min_gap_px: int = 70) -> int:
    if duration_ms <= 0 or width_px <= 0:
        return 1000
    for step in _TICK_STEPS_MS:
        if step * width_px / duration_ms >= min_gap_px:
            return step
    return _TICK_STEPS_MS[-1]


class TimelineWidget(QAbstractScrollArea):
    """Labels (rows) against time (x). Hover for the label and time; click emits :attr:`timeClicked`."""

    timeClicked = Signal(str, int)  # label, ms
    seekRequested = Signal(int)  # ms: a click on the time axis

    ROW_HEIGHT = 18
    AXIS_HEIGHT = 24
    TICK_WIDTH = 3
    PAINT_BUDGET_S = 0.008  # rows whose bars aren't cached yet are drawn in the next paint past this

    def content_height(self) -> int:
        """Height that shows every visible row without scrolling."""
        return self.AXIS_HEIGHT + len(self._visible) * self.ROW_HEIGHT + 2 * self.frameWidth() + 2

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("timeline")
        self._data = EMPTY
        self._visible: list[int] = []  # indexes into data.rows after the text filter and the row limit
        self._filter = ""
        self._max_rows = DEFAULT_MAX_ROWS
        self._filter_labels: set[str] | None = None
        self._marker: tuple[str, int] | None = None
        self._cursor: int | None = None  # the frame view's current time
        self._colors: dict[str, str] = {}
        self._segments = False
        self._widest: int | None = None  # widest visible label, px
        self._spans: dict[tuple[int, int, int], list[tuple[int, int]]] = {}  # (row, left, width) -> spans
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.viewport().setMouseTracking(True)
        self.verticalScrollBar().setSingleStep(self.ROW_HEIGHT)
        self.setMinimumHeight(self.AXIS_HEIGHT + 4 * self.ROW_HEIGHT)
        self.setToolTip("")

    # -- data -------------------------------------------------------------------------------------------

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.FontChange:
            self._widest = None
        super().changeEvent(event)

    def set_data(self, data: TimelineData, *, segments: bool = False) -> None:
        self._data = data
        self._segments = segments
        self._refilter()

    def data(self) -> TimelineData:
        return self._data

    def set_filter(self, text: str, labels: set[str] | None = None) -> None:
        """Show the rows whose label contains ``text``, or, given ``labels`` (the labels a search of the
        result matches, by the one rule of :func:`gui.qt.results_models.label_matches`), exactly those."""
        self._filter = text.strip().lower()
        self._filter_labels = labels if self._filter else None
        self._refilter()

    def set_max_rows(self, rows: int) -> None:
        self._max_rows = max(1, rows)
        self._refilter()

    def set_marker(self, label: str | None, ms: int | None) -> None:
        """Highlight a detection (a vertical line at ``ms`` and its label's row); None clears it."""
        self._marker = None if label is None or ms is None else (label, int(ms))
        self.viewport().update()

    def set_cursor(self, ms: int | None) -> None:
        """The current time of the frame view (a vertical line across the plot); None hides it."""
        self._cursor = None if ms is None else int(ms)
        self.viewport().update()

    def cursor_ms(self) -> int | None:
        return self._cursor

    def set_colors(self, colors: dict[str, str]) -> None:
        """Colour per label (its category's, shared with the frame boxes); others use the palette."""
        self._colors = dict(colors)
        self.viewport().update()

    def row_color(self, label: str, index: int) -> str:
        return self._colors.get(label) or PALETTE[index % len(PALETTE)]

    def visible_labels(self) -> list[str]:
        return [self._data.rows[i].label for i in self._visible]

    def _refilter(self) -> None:
        rows = self._data.rows
        needle = self._filter
        wanted = self._filter_labels
        self._visible = [
            i for i, r in enumerate(rows)
            if not needle or (r.label in wanted if wanted is not None else needle in r.label.lower())
        ][: self._max_rows]
        self._widest = None
        self._spans.clear()
        self._update_scrollbar()
        self.viewport().update()

    # -- geometry ---------------------------------------------------------------------------------------

    def sizeHint(self) -> QSize:
        return QSize(800, self.AXIS_HEIGHT + 12 * self.ROW_HEIGHT + 2)

    def _gutter(self) -> int:
        if self._widest is None:
            fm = QFontMetrics(self.font())
            self._widest = max(
                (fm.horizontalAdvance(self._data.rows[i].label) for i in self._visible[:400]), default=60
            )
        return min(max(90, self._widest + 16), max(90, self.viewport().width() // 4))

    def _plot_rect(self) -> QRect:
        vp = self.viewport().rect()
        left = self._gutter()
        return QRect(left, self.AXIS_HEIGHT, max(1, vp.width() - left - 8), max(1, vp.height() - self.AXIS_HEIGHT))

    def _update_scrollbar(self) -> None:
        content = len(self._visible) * self.ROW_HEIGHT
        page = max(1, self.viewport().height() - self.AXIS_HEIGHT)
        bar = self.verticalScrollBar()
        bar.setPageStep(page)
        bar.setRange(0, max(0, content - page))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._update_scrollbar()

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        self.viewport().update()

    def _x_of(self, ms: float, plot: QRect) -> int:
        duration = self._data.duration_ms or 1
        return plot.left() + int(ms * plot.width() / duration)

    def _ms_of(self, x: int, plot: QRect) -> int:
        duration = self._data.duration_ms
        return max(0, min(duration, int((x - plot.left()) * duration / max(1, plot.width()))))

    def row_at(self, y: int) -> int | None:
        """Index into :meth:`visible_labels` for a viewport y, or None."""
        if y < self.AXIS_HEIGHT:
            return None
        row = (y - self.AXIS_HEIGHT + self.verticalScrollBar().value()) // self.ROW_HEIGHT
        return row if 0 <= row < len(self._visible) else None

    def _cached_spans(self, row: int, plot: QRect) -> list[tuple[int, int]] | None:
        return self._spans.get((self._visible[row], plot.left(), plot.width()))

    def _pixel_spans(self, row: int, plot: QRect) -> list[tuple[int, int]]:
        """(x, width) of the bars of visible row ``row``: the bins' runs mapped to pixel columns and
        merged where they touch, so a paint draws a few rectangles however many detections there are.
        Cached per row and plot geometry."""
        index = self._visible[row]
        key = (index, plot.left(), plot.width())
        spans = self._spans.get(key)
        if spans is not None:
            return spans
        if len(self._spans) > 4096:
            self._spans.clear()
        px_per_bin = plot.width() / max(1, self._data.bins)
        left = plot.left()
        tick = 0 if self._segments else self.TICK_WIDTH
        spans = []
        start = end = -1
        for first, last, _peak in self._data.rows[index].runs:
            x0 = left + int(first * px_per_bin)
            x1 = max(x0 + 1, left + int((last + 1) * px_per_bin))
            if x1 - x0 < tick:  # a moment: a visible tick around it
                x0 = max(left, (x0 + x1) // 2 - tick // 2)
                x1 = x0 + tick
            if x0 <= end:
                end = max(end, x1)
                continue
            if end >= 0:
                spans.append((start, end - start))
            start, end = x0, x1
        if end >= 0:
            spans.append((start, end - start))
        self._spans[key] = spans
        return spans

    def bar_rects(self, row: int) -> list[QRect]:
        """The rectangles a paint draws for visible row ``row`` (viewport coordinates)."""
        if not self._data.bins or not (0 <= row < len(self._visible)):
            return []
        plot = self._plot_rect()
        top = plot.top() + row * self.ROW_HEIGHT - self.verticalScrollBar().value() + 3
        height = self.ROW_HEIGHT - 6
        return [QRect(x, top, w, height) for x, w in self._pixel_spans(row, plot)]

    # -- painting ---------------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self.viewport())
        try:
            self._paint(painter)
        finally:
            painter.end()

    def _paint(self, painter: QPainter) -> None:
        pal = self.palette()
        vp = self.viewport().rect()
        painter.fillRect(vp, pal.color(QPalette.ColorRole.Base))
        text_color = pal.color(QPalette.ColorRole.Text)
        grid = QColor(text_color)
        grid.setAlpha(40)
        plot = self._plot_rect()
        fm = QFontMetrics(self.font())
        data = self._data
        if not self._visible:
            painter.setPen(pal.color(QPalette.ColorRole.PlaceholderText))
            message = "No labels match the search." if data.rows else "No detections to show."
            painter.drawText(vp, Qt.AlignmentFlag.AlignCenter, message)
            return

        first_row = self.verticalScrollBar().value() // self.ROW_HEIGHT
        last_row = min(len(self._visible) - 1, first_row + plot.height() // self.ROW_HEIGHT + 1)
        alt = pal.color(QPalette.ColorRole.AlternateBase)
        marker_label = self._marker[0] if self._marker else None
        painter.setClipRect(QRect(0, self.AXIS_HEIGHT, vp.width(), vp.height() - self.AXIS_HEIGHT))
        deadline = time.perf_counter() + self.PAINT_BUDGET_S
        deferred = False
        for row in range(first_row, last_row + 1):
            y = plot.top() + row * self.ROW_HEIGHT - self.verticalScrollBar().value()
            label = data.rows[self._visible[row]].label
            band = QRect(0, y, vp.width(), self.ROW_HEIGHT)
            if label == marker_label:
                highlight = QColor(pal.color(QPalette.ColorRole.Highlight))
                highlight.setAlpha(50)
                painter.fillRect(band, highlight)
            elif row % 2:
                painter.fillRect(band, alt)
            painter.setPen(text_color)
            name = fm.elidedText(label, Qt.TextElideMode.ElideRight, plot.left() - 10)
            painter.drawText(
                QRect(6, y, plot.left() - 10, self.ROW_HEIGHT),
                int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft),
                name,
            )
            spans = self._cached_spans(row, plot)
            if spans is None:
                if time.perf_counter() > deadline:
                    deferred = True  # the rest in the next paint: never block the GUI on a huge timeline
                    continue
                spans = self._pixel_spans(row, plot)
            color = QColor(self.row_color(label, self._visible[row]))
            for x, w in spans:
                painter.fillRect(x, y + 3, w, self.ROW_HEIGHT - 6, color)
        painter.setClipping(False)
        if deferred:
            QTimer.singleShot(0, self.viewport(), self.viewport().update)  # dropped if the view goes first
        self._paint_axis(painter, plot, fm, text_color, grid)
        if self._marker is not None:
            x = self._x_of(self._marker[1], plot)
            painter.setPen(QColor("#C00000"))
            painter.drawLine(x, self.AXIS_HEIGHT - 6, x, vp.bottom())
        if self._cursor is not None:
            x = self._x_of(self._cursor, plot)
            painter.fillRect(x - 1, 0, 3, vp.height(), QColor(0, 0, 0, 140))
            painter.fillRect(x, 0, 1, vp.height(), QColor("#FFFFFF"))

    def _paint_axis(self, painter: QPainter, plot: QRect, fm: QFontMetrics, text: QColor, grid: QColor) -> None:
        pal = self.palette()
        vp = self.viewport().rect()
        painter.fillRect(QRect(0, 0, vp.width(), self.AXIS_HEIGHT), pal.color(QPalette.ColorRole.Window))
        painter.setPen(text)
        painter.drawLine(plot.left(), self.AXIS_HEIGHT - 1, plot.right(), self.AXIS_HEIGHT - 1)
        duration = self._data.duration_ms
        widest = fm.horizontalAdvance(format_tick(duration, 10))  # the longest a label can be
        step = tick_step(duration, plot.width(), min_gap_px=widest + 16)
        painter.drawText(
            QRect(6, 0, plot.left() - 10, self.AXIS_HEIGHT),
            int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft),
            "Segments" if self._segments else "Label",
        )
        ms = 0
        last_right = -(10**6)
        while ms <= duration:
            x = self._x_of(ms, plot)
            painter.setPen(grid)
            painter.drawLine(x, self.AXIS_HEIGHT, x, vp.bottom())
            painter.setPen(text)
            painter.drawLine(x, self.AXIS_HEIGHT - 5, x, self.AXIS_HEIGHT - 1)
            label = format_tick(ms, step)
            w = fm.horizontalAdvance(label)
            tx = min(max(plot.left(), x - w // 2), vp.width() - w - 2)
            if tx >= last_right + 8:  # labels pushed in at the edges must not overlap their neighbours
                painter.drawText(QPoint(tx, self.AXIS_HEIGHT - 8), label)
                last_right = tx + w
            ms += step

    # -- interaction ------------------------------------------------------------------------------------

    def describe(self, pos: QPoint) -> str | None:
        """The tooltip text for a viewport position: label, time and what was detected there."""
        row = self.row_at(pos.y())
        plot = self._plot_rect()
        if row is None or pos.x() < plot.left() or pos.x() > plot.right() + 1:
            return None
        data = self._data
        index = self._visible[row]
        ms = self._ms_of(pos.x(), plot)
        # look one pixel either side: a single tick is one pixel wide
        half = data.duration_ms / max(1, plot.width())
        b0, b1 = data.bin_of(ms - half), data.bin_of(ms + half)
        count = max(data.count_at(index, b) for b in range(b0, b1 + 1))
        what = "segment" if self._segments else "detection"
        found = f"{count} {what}{'s' if count != 1 else ''} here" if count else "not detected here"
        return f"{data.rows[index].label}\n{format_ms(ms)} · {found}"

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            pos = event.pos()  # type: ignore[attr-defined]
            text = self.describe(pos)
            if text:
                QToolTip.showText(event.globalPos(), plain_tooltip(text), self.viewport())  # type: ignore[attr-defined]
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().viewportEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        pos = event.position().toPoint()
        row = self.row_at(pos.y())
        plot = self._plot_rect()
        if row is not None and pos.x() >= plot.left() and event.button() == Qt.MouseButton.LeftButton:
            self.timeClicked.emit(self._data.rows[self._visible[row]].label, self._ms_of(pos.x(), plot))
            event.accept()
            return
        if pos.y() < self.AXIS_HEIGHT and pos.x() >= plot.left() and event.button() == Qt.MouseButton.LeftButton:
            self.seekRequested.emit(self._ms_of(pos.x(), plot))
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.row_at(event.position().toPoint().y()) is not None:
            event.accept()  # the press was ours
            return
        super().mouseReleaseEvent(event)
