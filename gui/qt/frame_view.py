"""The frame view: the video frame at the selected moment, with its label boxes, beside the results.

All fetching and decoding runs as tasks of the view's :class:`~gui.qt.workers.TaskRegistry`, on a
small pool shared by the frame views;
the GUI thread only swaps in the finished ``QImage``. At most one decode is in flight: a newer request
replaces the waiting one, so holding an arrow key or playing on a slow machine drops frames instead of
queuing them. Playback asks for the frame due *now* (by the wall clock) each time the previous one
has arrived, so it keeps the video's pace when decoding keeps up and skips frames when it does not.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import QRect, QSize, Qt, QThreadPool, QTimer, Signal, Slot
from PySide6.QtGui import QColor, QImage, QKeySequence, QPainter, QPaintEvent, QPalette, QPixmap, QShortcut
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from gui.core.boxes import draw_boxes
from gui.core.errors import UserMessage
from gui.core.export import format_time
from gui.core.moments import JobFrames, Rendered, ThumbnailCache, moment_ms, pin_for_job, thumbnail_folder
from gui.core.results_store import TIMESTAMPS, ResultsStore
from gui.core.s3range import VideoUnavailable
from gui.qt import shortcuts
from gui.qt.workers import Task, TaskRegistry

log = logging.getLogger(__name__)

_POOL: QThreadPool | None = None


def frames_pool() -> QThreadPool:
    """Two threads: one for the view's frames, one for thumbnails (apart from the tables' pool)."""
    global _POOL
    if _POOL is None:
        _POOL = QThreadPool()
        _POOL.setObjectName("framesPool")
        _POOL.setMaxThreadCount(2)
    return _POOL


def to_qimage(rgb: Any) -> QImage:
    """A QImage owning a copy of an (H, W, 3) uint8 array (safe to build on a worker thread)."""
    rgb = np.ascontiguousarray(rgb)
    height, width = int(rgb.shape[0]), int(rgb.shape[1])
    image = QImage(rgb.data, width, height, int(rgb.strides[0]), QImage.Format.Format_RGB888)
    return image.copy()


@dataclass(frozen=True)
class Shown:
    """A decoded moment for the GUI thread."""

    request: int
    ms: float  # the moment asked for (a detection's time), inside the frame's interval
    start_ms: float
    end_ms: float
    plain: QImage  # the frame at its own resolution
    boxed: QImage  # with the boxes, at the size the pane shows it
    fitted: QImage  # the plain frame at that size (what the canvas shows with boxes off)
    boxes: int
    width: int
    height: int
    frame_rate: float
    duration_ms: int


def _fit(width: int, height: int, into: tuple[int, int]) -> tuple[int, int]:
    scale = min(into[0] / width, into[1] / height)
    return max(1, int(width * scale)), max(1, int(height * scale))


def _scaled(rgb: Any, display: tuple[int, int] | None) -> Any:
    """``rgb`` fitted to the pane, on the worker (the GUI thread then paints it 1:1, even for 4K)."""
    if display is None or display[0] < 16 or display[1] < 16:
        return rgb
    from PIL import Image

    size = _fit(int(rgb.shape[1]), int(rgb.shape[0]), display)
    if size == (rgb.shape[1], rgb.shape[0]):
        return rgb
    return np.asarray(Image.fromarray(rgb, "RGB").resize(size, Image.Resampling.BILINEAR))


def _shown(request: int, frames: JobFrames, rendered: Rendered, ms: float | None = None,
           display: tuple[int, int] | None = None) -> Shown:
    info = frames.video().info()
    plain = to_qimage(rendered.frame.rgb)
    scaled = _scaled(rendered.frame.rgb, display)
    fitted = plain if scaled is rendered.frame.rgb else to_qimage(scaled)
    # boxes drawn at the size shown: their captions stay legible on a small or a 4K frame
    boxed = to_qimage(draw_boxes(scaled, rendered.boxes)) if rendered.boxes else fitted
    at = rendered.frame.start_ms if ms is None or not rendered.frame.covers(ms) else ms
    return Shown(request, at, rendered.frame.start_ms, rendered.frame.end_ms, plain, boxed, fitted,
                 len(rendered.boxes),
                 rendered.frame.width, rendered.frame.height, info.frame_rate, info.duration_ms)


def _render_task(cancel: Any, progress: Any, frames: JobFrames, request: int, display: tuple[int, int] | None,
                 ms: float, step: int) -> Shown:
    if step:
        return _shown(request, frames, frames.step(ms, step), None, display)
    return _shown(request, frames, frames.render(ms), ms, display)


def _moment_task(cancel: Any, progress: Any, frames: JobFrames, request: int, display: tuple[int, int] | None,
                 label: str, aggregation: str, ms: float, direction: int) -> Shown | None:
    """The next (+1), previous (-1) or best (0) detection of ``label``, rendered; None when there is none."""
    moments = frames.moments(label, aggregation)
    if direction > 0:
        found = moments.after(ms)
    elif direction < 0:
        found = moments.before(ms)
    else:
        found = moments.best()
    if found is None:
        return None
    at = moment_ms(found, aggregation)
    return _shown(request, frames, frames.render(at), at, display)


def _thumbnails_task(cancel: Any, progress: Callable[[object], None], frames: JobFrames, labels: Sequence[str],
                     aggregation: str) -> int:
    made = 0
    for label in labels:
        if cancel.cancelled:
            break
        try:
            png = frames.thumbnail(label, aggregation)
        except VideoUnavailable:
            raise
        except Exception:  # one bad moment costs its thumbnail, not the others
            log.warning("thumbnail for %s failed", label, exc_info=True)
            continue
        if png:
            image = QImage.fromData(png, "PNG")
            if not image.isNull():
                progress((label, image))
                made += 1
    return made


class FrameCanvas(QWidget):
    """Paints the current frame fitted to the widget, aspect kept (portrait too), centred."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("frameImage")
        self._image: QImage | None = None
        self._scaled: QPixmap | None = None
        self.placeholder = "Select a detection to see its frame."
        self.setMinimumSize(160, 90)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_image(self, image: QImage | None) -> None:
        self._image = image
        self._scaled = None
        self.update()

    def image(self) -> QImage | None:
        return self._image

    def target_rect(self) -> QRect:
        """Where the frame is drawn: the largest rectangle of the frame's aspect inside the widget."""
        if self._image is None or self._image.isNull():
            return QRect()
        size = QSize(self._image.width(), self._image.height()).scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        x = (self.width() - size.width()) // 2
        y = (self.height() - size.height()) // 2
        return QRect(x, y, size.width(), size.height())

    def sizeHint(self) -> QSize:
        return QSize(480, 270)

    def resizeEvent(self, event: Any) -> None:
        self._scaled = None
        super().resizeEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        try:
            painter.fillRect(self.rect(), QColor("#202020"))
            target = self.target_rect()
            if target.isEmpty() or self._image is None:
                painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
                painter.drawText(self.rect().adjusted(8, 8, -8, -8),
                                 int(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap), self.placeholder)
                return
            if self._scaled is None or self._scaled.size() != target.size():
                self._scaled = QPixmap.fromImage(self._image.scaled(
                    target.size(), Qt.AspectRatioMode.IgnoreAspectRatio, Qt.TransformationMode.SmoothTransformation))
            painter.drawPixmap(target.topLeft(), self._scaled)
        finally:
            painter.end()


class FrameView(QWidget):
    """The frame at the selected moment (objectName ``frameView``); ``frameTime`` shows HH:MM:SS.mmm.

    Keys (anywhere in the host given to :meth:`install_shortcuts`, and on the view itself): Left/Right
    the previous/next detection of the selected label, Shift+Left/Right one frame, Space play/pause,
    B boxes on/off.
    """

    frameShown = Signal(int)  # ms of the frame now shown
    failed = Signal(object)  # UserMessage: why no frame can be shown
    thumbnailReady = Signal(str, QImage)  # label, image

    def __init__(
        self,
        store: ResultsStore,
        job_id: str,
        *,
        video_uri: str = "",
        record: Any = None,
        client_factory: Callable[..., Any] | None = None,
        pool: QThreadPool | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("frameView")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.store = store
        self.job_id = job_id
        self.video_uri = video_uri or (record.video_uri if record is not None else "")
        self.record = record
        self.client_factory = client_factory
        self.tasks = TaskRegistry(self, pool=pool or frames_pool(), name="frameTasks")
        self.aggregation = TIMESTAMPS
        self.label: str | None = None
        self.last_message: UserMessage | None = None
        self.thumbnails: dict[str, QImage] = {}
        self._frames: JobFrames | None = None
        self._request = 0
        self._running: Task | None = None
        self._pending: tuple[Callable[..., Any], tuple[Any, ...]] | None = None
        self._running_task: tuple[Callable[..., Any] | None, tuple[Any, ...]] = (None, ())
        self._shown: Shown | None = None
        self._ms = 0.0
        self._thumb_worker: Task | None = None
        self._play_origin: tuple[float, float] | None = None  # (wall clock, video ms) when play started
        self._build()

    # -- layout -------------------------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.setSpacing(4)
        caption = QLabel("Frame", self)
        caption.setStyleSheet("font-weight: bold;")
        layout.addWidget(caption)
        self.canvas = FrameCanvas(self)
        layout.addWidget(self.canvas, 1)
        bar = QHBoxLayout()
        self.playButton = QPushButton("Play", self)
        self.playButton.setObjectName("framePlay")
        self.playButton.setToolTip("Play / pause (Space)")
        self.playButton.setCheckable(True)
        self.playButton.toggled.connect(self._on_play_toggled)
        bar.addWidget(self.playButton)
        self.timeLabel = QLabel("--:--:--.---", self)
        self.timeLabel.setObjectName("frameTime")
        self.timeLabel.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.timeLabel.setToolTip("Time of the frame shown. Left/Right: previous/next detection of the "
                                  "selected label; Shift+Left/Right: one frame")
        font = self.timeLabel.font()
        font.setFamily("monospace")
        font.setStyleHint(font.StyleHint.Monospace)
        self.timeLabel.setFont(font)
        bar.addWidget(self.timeLabel)
        bar.addStretch(1)
        self.boxesCheck = QCheckBox("Boxes", self)
        self.boxesCheck.setObjectName("frameBoxes")
        self.boxesCheck.setToolTip("Draw the bounding box of every label detected in this frame (B)")
        self.boxesCheck.setChecked(True)
        self.boxesCheck.toggled.connect(self._on_boxes_toggled)
        bar.addWidget(self.boxesCheck)
        layout.addLayout(bar)
        self.messageLabel = QLabel("", self)
        self.messageLabel.setObjectName("frameMessage")
        self.messageLabel.setWordWrap(False)
        self.messageLabel.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.messageLabel)
        self._resize_timer = QTimer(self)
        self._resize_timer.setSingleShot(True)
        self._resize_timer.setInterval(150)
        self._resize_timer.timeout.connect(self._redraw)
        self._play_timer = QTimer(self)
        self._play_timer.setSingleShot(True)
        self._play_timer.timeout.connect(self._play_tick)
        self.install_shortcuts(self)

    def install_shortcuts(self, host: QWidget) -> None:
        """The frame keys on ``host`` and its children (text fields keep their own arrow keys)."""
        keys: tuple[tuple[shortcuts.Shortcut, Callable[[], None]], ...] = (
            (shortcuts.NEXT_DETECTION, self.next_detection),
            (shortcuts.PREVIOUS_DETECTION, self.previous_detection),
            (shortcuts.NEXT_FRAME, self.next_frame),
            (shortcuts.PREVIOUS_FRAME, self.previous_frame),
            (shortcuts.PLAY, self.toggle_play),
            (shortcuts.BOXES, self.toggle_boxes),
        )
        for listed, slot in keys:  # the keys as Help > Keyboard shortcuts lists them
            for sequence in shortcuts.sequences(listed):
                shortcut = QShortcut(QKeySequence(sequence), host)
                shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
                shortcut.activated.connect(slot)

    # -- state --------------------------------------------------------------------------------------------

    @property
    def current_ms(self) -> int:
        return int(round(self._ms))

    @property
    def busy(self) -> bool:
        return self._running is not None or self._pending is not None

    @property
    def playing(self) -> bool:
        return self._play_origin is not None

    @property
    def boxes_visible(self) -> bool:
        return self.boxesCheck.isChecked()

    def shown_image(self) -> QImage | None:
        """The image on the canvas (with or without boxes, as the toggle says)."""
        return self.canvas.image()

    def shown(self) -> Shown | None:
        return self._shown

    def frames(self) -> JobFrames | None:
        """The job's frame source (created on first use; None when the video cannot be named)."""
        if self._frames is None:
            if self.client_factory is None:
                self._fail(UserMessage("No connection", "Connect to AWS to see the frames."))
                return None
            try:
                pin = pin_for_job(self.record, self.video_uri)
            except ValueError:
                self._fail(UserMessage("Video unknown", "The job's video is not known locally."))
                return None
            region = getattr(self.record, "region", None) or None
            factory = self.client_factory
            self._frames = JobFrames(self.store, self.job_id, pin, _S3Client(factory, region),
                                     thumbnails=ThumbnailCache(thumbnail_folder(self.store)))
        return self._frames

    # -- public API ---------------------------------------------------------------------------------------

    def set_aggregation(self, aggregation: str) -> None:
        self.aggregation = aggregation

    def set_label(self, label: str | None) -> None:
        """The label Left/Right step through."""
        self.label = label or None

    def show_at(self, ms: int | float, label: str | None = None) -> None:
        """Show the frame at ``ms`` (and make ``label`` the selected one when given)."""
        if label:
            self.label = label
        self._ms = max(0.0, float(ms))
        self._set_time(self._ms)
        self._submit(_render_task, (self._ms, 0))

    def show_best(self, label: str) -> None:
        """Show the highest-confidence detection of ``label``."""
        self.label = label
        self._submit(_moment_task, (label, self.aggregation, self._ms, 0))

    @Slot()
    def next_detection(self) -> None:
        if self.label:
            self._submit(_moment_task, (self.label, self.aggregation, self._moment_anchor(), 1))

    @Slot()
    def previous_detection(self) -> None:
        if self.label:
            self._submit(_moment_task, (self.label, self.aggregation, self._moment_anchor(), -1))

    def _moment_anchor(self) -> float:
        """The time Left/Right step from: the requested moment (a detection time), not the frame's start."""
        return self._ms

    @Slot()
    def next_frame(self) -> None:
        self._step(1)

    @Slot()
    def previous_frame(self) -> None:
        self._step(-1)

    def _step(self, frames: int) -> None:
        """Steps add up: a key pressed again before the last step arrived goes one frame further."""
        self.pause()
        anchor, count = self._frame_anchor(), 0
        for fn, args in (self._pending or (None, ()), self._running_task):
            if fn is _render_task and args[1]:
                anchor, count = args
                break
        self._submit(_render_task, (anchor, count + frames))

    def _frame_anchor(self) -> float:
        shown = self._shown
        return shown.start_ms if shown is not None else self._ms

    @Slot()
    def toggle_play(self) -> None:
        self.playButton.setChecked(not self.playButton.isChecked())

    def play(self) -> None:
        self.playButton.setChecked(True)

    def pause(self) -> None:
        self.playButton.setChecked(False)

    def set_boxes_visible(self, visible: bool) -> None:
        self.boxesCheck.setChecked(visible)

    @Slot()
    def toggle_boxes(self) -> None:
        self.boxesCheck.setChecked(not self.boxesCheck.isChecked())

    def make_thumbnails(self, labels: Sequence[str]) -> bool:
        """Thumbnails of each label's best detection, in the background (``thumbnailReady`` per label)."""
        if self.client_factory is None or self._thumb_worker is not None:
            return False
        frames = self.frames()
        if frames is None:
            return False
        wanted = [label for label in labels if label not in self.thumbnails]
        if not wanted:
            return False
        self._thumb_worker = self._run(_thumbnails_task, frames, wanted, self.aggregation,
                                       on_progress=self._on_thumbnail, on_error=self._on_thumbnails_error,
                                       on_finished=self._on_thumbnails_finished)
        return True

    def shutdown(self, timeout: float = 5.0) -> bool:
        """Stop playing and the view's tasks (a decode running ends first, at most ``timeout`` seconds),
        then release the decoders. True when no task is left running (call again until it is)."""
        self._play_timer.stop()
        self._play_origin = None
        self._pending = None
        ended = self.tasks.close(timeout)
        if ended and self._frames is not None:
            frames, self._frames = self._frames, None
            frames.close()  # nothing decodes any more: quick
        return ended

    # -- work ---------------------------------------------------------------------------------------------

    def _submit(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        self._pending = (fn, args)
        if self._running is None:
            self._run_pending()

    def _run_pending(self) -> None:
        if self._pending is None:
            return
        frames = self.frames()
        if frames is None:
            self._pending = None
            return
        fn, args = self._pending
        self._pending = None
        self._running_task = (fn, args)
        self._request += 1
        display = (self.canvas.width(), self.canvas.height())
        self._running = self._run(fn, frames, self._request, display, *args, on_result=self._on_shown,
                                  on_error=self._on_error, on_finished=self._on_finished)

    def _run(self, fn: Callable[..., Any], *args: Any, on_result: Callable[..., Any] | None = None,
             on_error: Callable[..., Any] | None = None, on_progress: Callable[..., Any] | None = None,
             on_finished: Callable[..., Any] | None = None) -> Task:
        """Start ``fn(cancel, progress, *args)`` as a task of the view; the slots are connected first."""
        return self.tasks.run(fn, *args, on_result=on_result, on_error=on_error, on_progress=on_progress,
                              on_finished=on_finished)

    @Slot(object)
    def _on_shown(self, shown: Shown | None) -> None:
        if shown is None:
            self._set_message(f"No further detection of {self.label} that way." if self.label else "")
            return
        if self._pending is not None and not self.playing:
            return  # superseded: the newer request is about to run
        self._shown = shown
        self._ms = shown.ms
        self.canvas.set_image(shown.boxed if self.boxes_visible else shown.fitted)
        self._set_time(shown.start_ms)
        self.last_message = None
        self._set_message(f"{shown.width}×{shown.height}" + (f" · {shown.boxes} box{'es' if shown.boxes != 1 else ''}"
                                                              if shown.boxes else ""))
        self.frameShown.emit(int(round(shown.start_ms)))

    @Slot(object)
    def _on_error(self, message: UserMessage) -> None:
        self.pause()
        self._fail(message)

    def _fail(self, message: UserMessage) -> None:
        self.last_message = message
        self.canvas.set_image(None)
        self.canvas.placeholder = message.title
        self._set_message(str(message), error=True)
        self.failed.emit(message)

    @Slot()
    def _on_finished(self) -> None:
        self._running = None
        self._running_task = (None, ())
        if self._pending is not None:
            self._run_pending()
        elif self.playing:
            self._schedule_play()

    @Slot(object)
    def _on_thumbnail(self, payload: object) -> None:
        if isinstance(payload, tuple) and len(payload) == 2:
            label, image = payload
            self.thumbnails[label] = image
            self.thumbnailReady.emit(label, image)

    @Slot(object)
    def _on_thumbnails_error(self, message: UserMessage) -> None:
        log.info("thumbnails stopped: %s", message)

    @Slot()
    def _on_thumbnails_finished(self) -> None:
        self._thumb_worker = None

    # -- playback -----------------------------------------------------------------------------------------

    @Slot(bool)
    def _on_play_toggled(self, on: bool) -> None:
        self.playButton.setText("Pause" if on else "Play")
        if on:
            start = self._shown.start_ms if self._shown is not None else self._ms
            duration = self._shown.duration_ms if self._shown is not None else 0
            if duration and start >= duration - 50:
                start = 0.0
            self._play_origin = (time.monotonic(), start)
            if self._running is None:
                self._play_tick()
        else:
            self._play_origin = None
            self._play_timer.stop()

    def _schedule_play(self) -> None:
        """Ask for the next frame when it is due (now, if decoding has fallen behind)."""
        if self._play_origin is None or self._shown is None:
            return
        wall, video = self._play_origin
        due = wall + (self._shown.end_ms - video) / 1000.0
        self._play_timer.start(max(0, int((due - time.monotonic()) * 1000)))

    @Slot()
    def _play_tick(self) -> None:
        if self._play_origin is None:
            return
        wall, video = self._play_origin
        now_ms = video + (time.monotonic() - wall) * 1000.0
        if self._shown is not None and self._shown.duration_ms and now_ms >= self._shown.duration_ms:
            self.pause()
            return
        if self._shown is not None and now_ms < self._shown.end_ms:
            now_ms = self._shown.end_ms  # the next frame, never the same one again
        self._ms = now_ms
        self._submit(_render_task, (now_ms, 0))

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        if self._shown is not None and not self.playing:
            self._resize_timer.start()

    @Slot()
    def _redraw(self) -> None:
        """The same moment again, boxes drawn for the new size of the pane."""
        if self._shown is not None and not self.playing and self.last_message is None:
            self._submit(_render_task, (self._shown.ms, 0))

    # -- text ---------------------------------------------------------------------------------------------

    @Slot(bool)
    def _on_boxes_toggled(self, on: bool) -> None:
        if self._shown is not None:
            self.canvas.set_image(self._shown.boxed if on else self._shown.fitted)

    def _set_time(self, ms: float) -> None:
        self.timeLabel.setText(format_time(int(round(ms))))

    def _set_message(self, text: str, *, error: bool = False) -> None:
        self.messageLabel.setStyleSheet("color: #b00020;" if error else "color: palette(placeholder-text);")
        metrics = self.messageLabel.fontMetrics()
        self.messageLabel.setToolTip(text if error else "")
        self.messageLabel.setText(metrics.elidedText(text, Qt.TextElideMode.ElideRight, max(200, self.width() - 8)))


class _S3Client:
    """Calls the connection's client factory for S3 in the job's region (on the worker, when first needed)."""

    def __init__(self, factory: Callable[..., Any], region: str | None) -> None:
        self.factory = factory
        self.region = region

    def __call__(self) -> Any:
        return self.factory("s3", self.region) if self.region else self.factory("s3")
