"""The "Labels and settings" pane: presets, the filter tree, job settings and the request preview.

Wiring for the main window::

    panel = FilterPanel(paths, parent)
    panel.settingsChanged.connect(window.on_settings_changed)   # re-check the Submit button
    panel.set_preview_videos(selected_videos)                    # list[S3Object]
    panel.set_connection_hint(region, endpoint_url, profile)     # used in the CLI preview
    if panel.is_valid(): submit(panel.current_settings())        # else show panel.validation_errors()
    panel.save_state()                                           # on close (changes are also saved
                                                                 # about a second after they happen)
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from gui.core.errors import KnownError, UserMessage
from gui.core.paths import AppPaths
from gui.core.presets import LoadReport, Preset, PresetStore
from gui.core.settings import JobState, load_job_state, save_job_state
from gui.core.taxonomy import Taxonomy, load_taxonomy
from gui.core.types import JobSettings, S3Object
from gui.core.validation import settings_problems
from gui.qt.filter_tree import AskText, FilterTree
from gui.qt.job_settings import JobSettingsWidget
from gui.qt.message_bar import MessageBar
from gui.qt.presets_bar import PresetDialogs, PresetsBar
from gui.qt.request_preview import RequestPreview
from gui.qt.workers import TaskRegistry

log = logging.getLogger(__name__)

AUTOSAVE_MS = 1000


@dataclass(frozen=True)
class SavedState:
    """What the panel reads from disk at start: the user's presets and the last used settings."""

    store: PresetStore
    report: LoadReport
    job_state: JobState


def load_saved_state(cancel: Any, progress: Any, paths: AppPaths, taxonomy: Taxonomy) -> SavedState:
    """Read the presets folder and the settings file (worker thread: files may be large or hostile)."""
    store = PresetStore(paths, taxonomy)
    report = store.load()
    return SavedState(store, report, load_job_state(paths, taxonomy))


class FilterPanel(QWidget):
    """Presets and settings are read on a worker; until then the built-in presets are offered and
    ``is_loaded()`` is False (``loaded`` is emitted once they are in)."""

    settingsChanged = Signal()
    loaded = Signal()

    def __init__(
        self,
        paths: AppPaths,
        parent: QWidget | None = None,
        *,
        taxonomy: Taxonomy | None = None,
        dialogs: PresetDialogs | None = None,
        ask_text: AskText | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("filterPanel")
        self.paths = paths
        self.taxonomy = taxonomy or load_taxonomy()
        self.store = PresetStore(paths, self.taxonomy)  # the built-in presets until the folder is read
        self._restoring = True
        self._save_failed = False
        self._loaded = False
        self._touched = False  # the user changed something before the saved state arrived

        self.presets_bar = PresetsBar(self.store, self.current_settings, self, dialogs=dialogs)
        self.message_bar = MessageBar("filterPanelMessage", "info", self)
        self.filter_tree = FilterTree(self.taxonomy, self, ask_text=ask_text)
        self.job_settings = JobSettingsWidget(self)
        self.preview = RequestPreview(self)

        self.bottom_tabs = QTabWidget(self)
        self.bottom_tabs.setObjectName("filterPanelTabs")
        self.bottom_tabs.setDocumentMode(True)
        self.bottom_tabs.addTab(self.job_settings, "Job settings")
        self.bottom_tabs.addTab(self.preview, "Request preview")
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.setObjectName("filterPanelSplitter")
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self.filter_tree)
        splitter.addWidget(self.bottom_tabs)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.presets_bar)
        layout.addWidget(self.message_bar)
        layout.addWidget(splitter, 1)
        self.clear_message()

        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(AUTOSAVE_MS)
        self._save_timer.timeout.connect(self.save_state)

        self.filter_tree.filtersChanged.connect(self._on_changed)
        self.job_settings.changed.connect(self._on_changed)
        self.presets_bar.presetApplied.connect(self.apply_preset)
        self.presets_bar.presetsChanged.connect(self._on_presets_changed)
        self.presets_bar.message.connect(self.show_message)

        self._restoring = False
        self._refresh()
        self.presets_bar.setEnabled(False)
        self.tasks = TaskRegistry(self, max_threads=1, name="filterPanelTasks")
        self.tasks.run(load_saved_state, paths, self.taxonomy, on_result=self._on_saved_state,
                       on_error=self._on_saved_state_error)

    def is_loaded(self) -> bool:
        return self._loaded

    @Slot(object)
    def _on_saved_state(self, saved: SavedState) -> None:
        self.store = saved.store
        self.presets_bar.store = saved.store
        report = saved.report
        self._restoring = True
        try:
            notes = self._restore(saved.job_state)
        finally:
            self._restoring = False
        self._finish_loading()
        problems = report.problems
        if problems or report.notices or notes:
            level = "warning" if problems else "info"
            self.show_message("\n".join([*problems, *report.notices, *notes]), level)

    @Slot(object)
    def _on_saved_state_error(self, message: UserMessage) -> None:
        self._finish_loading()
        self.show_message(f"Saved presets and settings could not be read: {message}", "warning")

    def _finish_loading(self) -> None:
        self._loaded = True
        self.presets_bar.setEnabled(True)
        self._refresh()
        self.settingsChanged.emit()  # the restored settings replace the defaults shown until now
        self.loaded.emit()

    # ---- contract with the main window --------------------------------------------------------------
    def current_settings(self) -> JobSettings:
        return JobSettings(
            filters=self.filter_tree.filters(),
            min_confidence=self.job_settings.min_confidence(),
            job_tag=self.job_settings.job_tag(),
            notification=self.job_settings.notification(),
        )

    def current_preset_name(self) -> str | None:
        return self.presets_bar.current_name()

    def set_preview_videos(self, videos: list[S3Object]) -> None:
        self.preview.set_videos(videos)

    def set_connection_hint(self, region: str | None, endpoint_url: str | None, profile: str | None) -> None:
        self.preview.set_connection_hint(region, endpoint_url, profile)

    def validation_errors(self) -> list[str]:
        return [p.message for p in settings_problems(self.current_settings())]

    def is_valid(self) -> bool:
        return not self.validation_errors()

    def save_state(self) -> None:
        """Persist the last used preset and settings (atomic; safe to call often)."""
        self._save_timer.stop()
        if not self._loaded:  # the saved state is not read yet: never overwrite it with defaults
            return
        try:
            save_job_state(self.paths, self.current_preset_name(), self.current_settings())
        except KnownError as exc:
            if not self._save_failed:  # say it once, not on every change
                self.show_message(str(exc.message), "warning")
            self._save_failed = True
        except OSError as exc:
            log.warning("Could not save the filter settings: %s", exc)

    # ---- presets -------------------------------------------------------------------------------------
    @Slot(object)
    def apply_preset(self, preset: Preset) -> None:
        """Put a preset's settings on screen (the bar already shows it as current)."""
        notes = self._apply_settings(preset.settings)
        notes = [*preset.notices, *notes]
        if notes:
            self.show_message("\n".join(notes), "info")
        self.presets_bar.set_modified(False)
        self._refresh()
        self.settingsChanged.emit()
        self.save_state()

    def _apply_settings(self, settings: JobSettings) -> list[str]:
        self._restoring = True
        try:
            notes = self.filter_tree.set_filters(settings.filters)
            notes += self.job_settings.set_values(
                settings.min_confidence, settings.job_tag, settings.notification
            )
        finally:
            self._restoring = False
        return notes

    def _restore(self, state: JobState) -> list[str]:
        notes = list(state.notices)
        if self._touched:  # what the user did meanwhile wins over the last session's settings
            self.presets_bar.select(self.presets_bar.current_name())
            return notes
        preset = self.store.get(state.preset_name) if state.preset_name else None
        if state.preset_name and preset is None:
            notes.append(f"The last used preset '{state.preset_name}' no longer exists.")
        if state.settings is not None:
            self._apply_settings(state.settings)
        elif preset is not None:
            self._apply_settings(preset.settings)
        self.presets_bar.select(preset.name if preset else None)
        return notes

    # ---- messages -------------------------------------------------------------------------------------
    @Slot(str, str)
    def show_message(self, text: str, level: str = "info") -> None:
        self.message_bar.show_message(text, level)

    @Slot()
    def clear_message(self) -> None:
        self.message_bar.clear_message()

    def message_text(self) -> str:
        return self.message_bar.text()

    # ---- internals ------------------------------------------------------------------------------------
    @Slot()
    def _on_presets_changed(self) -> None:
        self._refresh()
        self.save_state()

    @Slot()
    def _on_changed(self) -> None:
        if self._restoring:
            return
        self._touched = True
        self._refresh()
        self.settingsChanged.emit()
        self._save_timer.start()

    def _refresh(self) -> None:
        settings = self.current_settings()
        errors = [p.message for p in settings_problems(settings)]
        self.preview.set_settings(settings, errors)
        preset = self.presets_bar.current_preset()
        self.presets_bar.set_modified(preset is not None and preset.settings != settings)
        title = "Job settings" + (" ⚠" if self.job_settings.errors() else "")
        self.bottom_tabs.setTabText(0, title)
