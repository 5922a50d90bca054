"""Export label markers for editors: one dialog with the format, the marker options, where to write,
and a live count of the markers that will be written.

A worker reads the jobs' segments from the results cache once; each change of the options is counted
on a worker from those (after typing pauses), and only the newest count is shown. One job writes one
file; several jobs write one file per video into a folder.

From the Library the dialog is given the *moments* a search matched instead (``moments``): each moment
becomes a marker (no merging by default; the options can still narrow them), for the same formats.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QThreadPool, QTimer, Signal, Slot
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from gui.core.editorial import (
    FORMAT_NAMES,
    FORMAT_SUFFIXES,
    FORMATS,
    MOMENT_OPTIONS,
    ExportResult,
    JobSegments,
    MarkerCount,
    MomentLike,
    WriteOptions,
    count_markers,
    default_start_timecode,
    export_markers,
    export_moments,
    load_job,
    load_moments,
)
from gui.core.errors import KnownError, UserMessage
from gui.core.markers import DEFAULT_MERGE_GAP_MS, MarkerOptions, split_list
from gui.core.paths import AppPaths
from gui.core.results_store import ResultsStore
from gui.qt.tables import SaveDialog, default_save_dialog
from gui.qt.workers import TaskRegistry

# JobId -> (the moments a Library search matched in that job's video, the aggregation they were indexed from)
MomentsByJob = dict[str, tuple[Sequence[MomentLike], str]]
# (parent, caption, suggested folder) -> chosen folder, or ""
FolderDialog = Callable[[QWidget, str, str], str]

FORMAT_HINTS = {
    "edl": "CMX 3600 with * LOC markers (Avid, Resolve, most conform tools). Markers have a start only.",
    "resolve-edl": "DaVinci Resolve: Timelines > Import > Timeline Markers from EDL. Colour, name, note, duration.",
    "fcp7xml": "Premiere Pro: File > Import. Resolve: File > Import > Timeline. Sequence markers with notes.",
    "fcpxml": "Final Cut Pro: File > Import > XML. Resolve reads it too.",
    "otio": "OpenTimelineIO, for pipelines and otioview.",
    "markers-csv": "One row per marker: times, timecodes, label, confidence, categories.",
    "vtt-chapters": "WebVTT chapters for players: each stretch of video named after the labels seen in it.",
}


def _folder_dialog(parent: QWidget, caption: str, suggested: str) -> str:
    return QFileDialog.getExistingDirectory(parent, caption, suggested)


def _stem(video_uri: str, job_id: str) -> str:
    name = video_uri.rstrip("/").rsplit("/", 1)[-1] or job_id
    return re.sub(r"[^\w.-]+", "_", Path(name).stem or "markers")


@contextmanager
def _results(source: Any) -> Iterator[Any]:
    """``source`` is an open ResultsStore (used as is) or AppPaths: then the results cache is opened for
    this task alone (on its worker thread) and closed when it ends."""
    if not isinstance(source, AppPaths):
        yield source
        return
    store = ResultsStore(source.results_db)
    try:
        yield store
    finally:
        store.close()


def _load_task(cancel: Any, progress: Any, source: Any, job_ids: list[str],
               moments: MomentsByJob | None = None) -> tuple[list[JobSegments], list[str]]:
    """Every job's segments (or its given moments), read once (the counts that follow need no store access)."""
    loaded, problems = [], []
    with _results(source) as store:
        for job_id in job_ids:
            try:
                if moments is None:
                    loaded.append(load_job(store, job_id))
                else:
                    loaded.append(load_moments(store, job_id, *moments[job_id]))
            except KnownError as exc:
                problems.append(str(exc.message))
    return loaded, problems


def _count_task(cancel: Any, progress: Any, jobs: list[JobSegments], options: MarkerOptions, fmt: str,
                generation: int) -> tuple[int, MarkerCount]:
    return generation, count_markers(jobs, options, fmt)


def _export_task(cancel: Any, progress: Any, source: Any, job_ids: list[str], fmt: str, output: str,
                 options: MarkerOptions, write: WriteOptions, moments: MomentsByJob | None = None) -> ExportResult:
    with _results(source) as store:
        if moments is None:
            return export_markers(store, job_ids, fmt, Path(output), options=options, write=write, cancel=cancel)
        matches = [(job_id, *moments[job_id]) for job_id in job_ids]
        return export_moments(store, matches, fmt, Path(output), options=options, write=write, cancel=cancel)


class MarkerExportDialog(QDialog):
    """objectName ``markerExportDialog``. ``jobs`` are (JobId, video URI) pairs; ``store`` an open
    ResultsStore, or the app's paths (each task then opens the results cache on its own thread);
    ``moments`` (from the Library): the moments to export per job instead of the jobs' segments."""

    exported = Signal(object)  # ExportResult
    counted = Signal(int)  # the preview's marker count, each time it is updated

    def __init__(
        self,
        store: Any | AppPaths,
        jobs: Sequence[tuple[str, str]],
        *,
        pool: QThreadPool | None = None,
        save_dialog: SaveDialog | None = None,
        folder_dialog: FolderDialog | None = None,
        start_folder: Path | None = None,
        moments: MomentsByJob | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("markerExportDialog")
        self.store = store
        self.jobs = list(jobs)
        self.moments = moments
        # pool: share the opener's threads (the results windows' pool); otherwise one of its own
        self.tasks = TaskRegistry(self, pool=pool, max_threads=1, low_priority=True, name="markerExportTasks")
        self.save_dialog: SaveDialog = save_dialog or default_save_dialog
        self.folder_dialog: FolderDialog = folder_dialog or _folder_dialog
        self.folder = start_folder or Path.home()
        self.count: int | None = None
        self.last_message: UserMessage | None = None
        self._generation = 0
        self._loaded: tuple[list[JobSegments], list[str]] | None = None  # segments read once, problems
        self._exporting = False
        several = len(self.jobs) > 1
        # how many moments the Library gave (None: the jobs' segments are exported)
        self.moment_count = None if moments is None else sum(len(moments[j][0]) for j, _ in self.jobs)
        if self.moment_count is not None:
            total = self.moment_count
            of = f" of {len(self.jobs)} videos" if several else ""
            self.setWindowTitle(f"Export {total:,} moment{'s' if total != 1 else ''}{of} as markers")
        else:
            self.setWindowTitle(f"Export markers of {len(self.jobs)} videos" if several else "Export markers")
        self._build(several)
        self._count_timer = QTimer(self)
        self._count_timer.setSingleShot(True)
        self._count_timer.setInterval(150)
        self._count_timer.timeout.connect(self._start_count)
        self._on_format_changed()
        self.previewLabel.setText("Reading the segments…" if moments is None else "Reading the videos…")
        self.tasks.run(_load_task, self.store, [j for j, _ in self.jobs], moments, on_result=self._on_loaded,
                       on_error=self._on_count_error)

    # -- layout -----------------------------------------------------------------------------------------

    def _build(self, several: bool) -> None:
        layout = QVBoxLayout(self)
        if self.moment_count is not None:  # from the Library: say what is exported
            total = self.moment_count
            self.sourceLabel = QLabel(
                f"The {total:,} moment{'s' if total != 1 else ''} your Library search matched, one marker each "
                "(\u201cMerge gaps up to\u201d joins close ones of a label).", self)
            self.sourceLabel.setObjectName("markerSource")
            self.sourceLabel.setWordWrap(True)
            layout.addWidget(self.sourceLabel)
        form = QFormLayout()
        self.formatBox = QComboBox(self)
        self.formatBox.setObjectName("markerFormat")
        for fmt in FORMATS:
            self.formatBox.addItem(FORMAT_NAMES[fmt], fmt)
        self.formatBox.currentIndexChanged.connect(self._on_format_changed)
        form.addRow("&Format:", self.formatBox)
        self.formatHint = QLabel(self)
        self.formatHint.setObjectName("markerFormatHint")
        self.formatHint.setWordWrap(True)
        form.addRow("", self.formatHint)
        self.fcpxMode = QComboBox(self)
        self.fcpxMode.setObjectName("markerFcpxMode")
        self.fcpxMode.addItem("Markers", "markers")
        self.fcpxMode.addItem("Keyword ranges", "keywords")
        form.addRow("FCPXML &as:", self.fcpxMode)

        self.labelsEdit = QLineEdit(self)
        self.labelsEdit.setObjectName("markerLabels")
        self.labelsEdit.setPlaceholderText("all labels (or: Car, Person)")
        form.addRow("&Labels:", self.labelsEdit)
        self.categoriesEdit = QLineEdit(self)
        self.categoriesEdit.setObjectName("markerCategories")
        self.categoriesEdit.setPlaceholderText("all categories (or: Animals and Pets)")
        form.addRow("&Categories:", self.categoriesEdit)
        self.minConfidence = QDoubleSpinBox(self)
        self.minConfidence.setObjectName("markerMinConfidence")
        self.minConfidence.setRange(0.0, 100.0)
        self.minConfidence.setDecimals(1)
        self.minConfidence.setSuffix(" %")
        form.addRow("Minimum c&onfidence:", self.minConfidence)
        self.minDuration = QSpinBox(self)
        self.minDuration.setObjectName("markerMinDuration")
        self.minDuration.setRange(0, 3_600_000)
        self.minDuration.setSingleStep(100)
        self.minDuration.setSuffix(" ms")
        form.addRow("Minimum &duration:", self.minDuration)
        self.mergeGap = QSpinBox(self)
        self.mergeGap.setObjectName("markerMergeGap")
        self.mergeGap.setRange(0, 600_000)
        self.mergeGap.setSingleStep(250)
        self.mergeGap.setSuffix(" ms")
        if self.moments is None:
            self.mergeGap.setValue(DEFAULT_MERGE_GAP_MS)
            self.mergeGap.setToolTip("Segments of the same label closer than this become one marker")
        else:  # the Library's moments are merged spans already: one marker each unless asked
            self.mergeGap.setValue(MOMENT_OPTIONS.merge_gap_ms)
            self.mergeGap.setToolTip("Moments of the same label closer than this become one marker")
        form.addRow("&Merge gaps up to:", self.mergeGap)
        self.startTimecode = QLineEdit(self)
        self.startTimecode.setObjectName("markerStartTimecode")
        self.startTimecode.setToolTip("The timeline's first frame; empty: the format's usual start")
        form.addRow("&Start timecode:", self.startTimecode)

        row = QHBoxLayout()
        self.outputEdit = QLineEdit(self)
        self.outputEdit.setObjectName("markerOutput")
        self.browseButton = QPushButton("&Browse…", self)
        self.browseButton.setObjectName("markerBrowse")
        self.browseButton.clicked.connect(self._on_browse)
        row.addWidget(self.outputEdit, 1)
        row.addWidget(self.browseButton)
        output_label = QLabel("Into &folder:" if several else "&File:", self)
        output_label.setBuddy(self.outputEdit)
        form.addRow(output_label, row)
        layout.addLayout(form)

        self.previewLabel = QLabel(self)
        self.previewLabel.setObjectName("markerPreview")
        self.previewLabel.setWordWrap(True)
        self.previewLabel.setStyleSheet("font-weight: bold;")
        layout.addWidget(self.previewLabel)
        self.noteLabel = QLabel(self)
        self.noteLabel.setObjectName("markerNote")
        self.noteLabel.setWordWrap(True)
        self.noteLabel.setVisible(False)
        layout.addWidget(self.noteLabel)
        self.statusLabel = QLabel(self)
        self.statusLabel.setObjectName("markerStatus")
        self.statusLabel.setWordWrap(True)
        layout.addWidget(self.statusLabel)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.exportButton = self.buttons.addButton("&Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.exportButton.setObjectName("markerExportButton")
        self.exportButton.setDefault(True)
        self.buttons.accepted.connect(self.export)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

        for edit in (self.labelsEdit, self.categoriesEdit):
            edit.textChanged.connect(self.refresh_count)
        for spin in (self.minConfidence, self.minDuration, self.mergeGap):
            spin.valueChanged.connect(self.refresh_count)
        self.outputEdit.setText(str(self._suggested_output()))
        self.setMinimumWidth(520)

    # -- state ------------------------------------------------------------------------------------------

    @property
    def fmt(self) -> str:
        return str(self.formatBox.currentData())

    def options(self) -> MarkerOptions:
        return MarkerOptions(
            labels=split_list(self.labelsEdit.text()),
            categories=split_list(self.categoriesEdit.text()),
            min_confidence=float(self.minConfidence.value()),
            min_duration_ms=int(self.minDuration.value()),
            merge_gap_ms=int(self.mergeGap.value()),
        )

    def write_options(self) -> WriteOptions:
        return WriteOptions(start_timecode=self.startTimecode.text().strip() or None,
                            fcpx_mode=str(self.fcpxMode.currentData()))

    def set_format(self, fmt: str) -> None:
        self.formatBox.setCurrentIndex(FORMATS.index(fmt))

    def _suggested_output(self) -> Path:
        if len(self.jobs) > 1:
            return self.folder / "markers"
        job_id, uri = self.jobs[0] if self.jobs else ("", "")
        return self.folder / f"{_stem(uri, job_id)}-markers{FORMAT_SUFFIXES[self.fmt]}"

    @Slot()
    def _on_format_changed(self) -> None:
        fmt = self.fmt
        self.formatHint.setText(FORMAT_HINTS[fmt])
        self.fcpxMode.setEnabled(fmt == "fcpxml")
        self.startTimecode.setPlaceholderText(default_start_timecode(fmt))
        if len(self.jobs) == 1:  # keep the file name, change the extension
            current = Path(self.outputEdit.text()) if self.outputEdit.text() else self._suggested_output()
            self.outputEdit.setText(str(current.with_suffix(FORMAT_SUFFIXES[fmt])))
        self.refresh_count()  # a format may not be writable for every video (its frame rate)

    @Slot()
    def _on_browse(self) -> None:
        current = self.outputEdit.text() or str(self._suggested_output())
        if len(self.jobs) > 1:
            chosen = self.folder_dialog(self, "Export markers into folder", current)
        else:
            name_filter = f"{FORMAT_NAMES[self.fmt]} (*{FORMAT_SUFFIXES[self.fmt]});;All files (*)"
            chosen = self.save_dialog(self, "Export markers", current, name_filter)
        if chosen:
            self.outputEdit.setText(chosen)

    # -- counting ---------------------------------------------------------------------------------------

    @Slot()
    def refresh_count(self, *_: Any) -> None:
        """Count again once the options stop changing for a moment."""
        self._generation += 1
        if self._loaded is not None:
            self.previewLabel.setText("Counting markers…")
            self._count_timer.start()

    @Slot(object)
    def _on_loaded(self, value: tuple[list[JobSegments], list[str]]) -> None:
        self._loaded = value
        self.refresh_count()

    @Slot()
    def _start_count(self) -> None:
        if self._loaded is None:
            return  # the count follows the reading
        options = self.options()
        problems = options.problems()
        if problems:
            self._show_count(MarkerCount(0, tuple(problems)))
            return
        loaded, load_problems = self._loaded
        if load_problems:
            self._show_count(MarkerCount(0, tuple(load_problems)))
            return
        self.tasks.run(_count_task, loaded, options, self.fmt, self._generation, on_result=self._on_counted,
                       on_error=self._on_count_error)

    @Slot(object)
    def _on_counted(self, value: tuple[int, MarkerCount]) -> None:
        generation, count = value
        if generation == self._generation:
            self._show_count(count)

    @Slot(object)
    def _on_count_error(self, message: UserMessage) -> None:
        self.last_message = message
        self.previewLabel.setText(str(message))

    def _show_count(self, count: MarkerCount) -> None:
        total = count.total
        self.count = total
        videos = len(self.jobs)
        if total:
            where = f" for {videos} videos" if videos > 1 else ""
            text = f"{total:,} marker{'s' if total != 1 else ''} will be written{where}."
        else:
            text = "No marker passes these options: nothing would be written."
        if count.problems:
            text += "\n" + "\n".join(count.problems)
        self.previewLabel.setText(text)
        self.noteLabel.setText("\n".join(count.notes))
        self.noteLabel.setVisible(bool(count.notes))
        self.exportButton.setEnabled(total > 0 and not count.problems and not self._exporting)
        self.counted.emit(total)

    # -- export -----------------------------------------------------------------------------------------

    @Slot()
    def export(self) -> bool:
        """Write the files on a worker; the dialog closes when they are written, stays open on an error."""
        output = self.outputEdit.text().strip()
        if not output:
            self._set_status("Choose where to write the markers.", error=True)
            return False
        if self._exporting:
            return False
        self._exporting = True
        self.exportButton.setEnabled(False)
        self._set_status(f"Writing {FORMAT_NAMES[self.fmt]}…")
        self.tasks.run(_export_task, self.store, [j for j, _ in self.jobs], self.fmt, output, self.options(),
                       self.write_options(), self.moments, on_result=self._on_exported,
                       on_error=self._on_export_error, on_finished=self._on_export_finished)
        return True

    @Slot(object)
    def _on_exported(self, result: ExportResult) -> None:
        files = len(result.written)
        text = f"Wrote {result.marker_count:,} markers to {files} file{'s' if files != 1 else ''}."
        self._set_status(text)
        self.exported.emit(result)
        self.accept()

    @Slot(object)
    def _on_export_error(self, message: UserMessage) -> None:
        self.last_message = message
        self._set_status(str(message), error=True)

    @Slot()
    def _on_export_finished(self) -> None:
        self._exporting = False
        self.exportButton.setEnabled(bool(self.count))

    def _set_status(self, text: str, *, error: bool = False) -> None:
        self.statusLabel.setText(text)
        self.statusLabel.setStyleSheet("color: #b00020;" if error else "")

    # -- tasks ------------------------------------------------------------------------------------------

    def busy(self) -> bool:
        return bool(self.tasks.tasks()) or self._count_timer.isActive()

    def done(self, result: int) -> None:
        """Closing cancels what is under way: counts stop; an export stops if it has not begun writing
        (files being written are finished, each whole)."""
        self._count_timer.stop()
        self.tasks.cancel_all()
        super().done(result)

    def closeEvent(self, event: QCloseEvent) -> None:
        self._count_timer.stop()
        super().closeEvent(event)


def open_marker_export(
    parent: QWidget | None, store: Any | AppPaths, jobs: Sequence[tuple[str, str]], *,
    pool: QThreadPool | None = None,
    start_folder: Path | None = None,
    moments: MomentsByJob | None = None,
) -> MarkerExportDialog:
    """Show the dialog (window-modal, not blocking) and return it."""
    dialog = MarkerExportDialog(store, jobs, pool=pool, start_folder=start_folder, moments=moments, parent=parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # one per click: do not pile up in the parent
    dialog.open()
    return dialog
