"""Preset picker and actions: save, delete, rename, duplicate, import, export.

Every question to the user goes through a :class:`PresetDialogs` object, so tests inject answers
instead of clicking modal boxes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMenu,
    QMessageBox,
    QSizePolicy,
    QToolButton,
    QWidget,
)

from gui.core.errors import KnownError
from gui.core.presets import Preset, PresetExists, PresetStore, export_settings
from gui.core.safetext import safe_file_name
from gui.core.types import JobSettings
from gui.qt.text import plain_message_box, shown
from gui.qt.theme import text_style


class PresetDialogs:
    """The questions the bar asks. Subclass (or pass another object with these methods) in tests."""

    def confirm(self, parent: QWidget, title: str, text: str) -> bool:
        box = plain_message_box(QMessageBox.Icon.Question, title, text,
                                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, parent)
        return box.exec() == QMessageBox.StandardButton.Yes

    def ask_text(self, parent: QWidget, title: str, prompt: str, default: str = "") -> str | None:
        text, ok = QInputDialog.getText(parent, title, prompt, text=default)
        return text if ok else None

    def open_path(self, parent: QWidget) -> Path | None:
        path, _ = QFileDialog.getOpenFileName(parent, "Import preset", "", "Preset files (*.json)")
        return Path(path) if path else None

    def save_path(self, parent: QWidget, suggested: str) -> Path | None:
        path, _ = QFileDialog.getSaveFileName(parent, "Export preset", suggested, "Preset files (*.json)")
        return Path(path) if path else None


class PresetsBar(QWidget):
    """``presetApplied(Preset)``: the user picked (or imported) a preset; apply its settings.
    ``presetsChanged()``: the list or the current preset changed without applying settings.
    ``message(text, level)``: something to show inline ("info" or "warning")."""

    presetApplied = Signal(object)
    presetsChanged = Signal()  # saved, renamed, deleted, duplicated or imported: the current one may differ
    message = Signal(str, str)

    def __init__(
        self,
        store: PresetStore,
        current_settings: Callable[[], JobSettings],
        parent: QWidget | None = None,
        *,
        dialogs: PresetDialogs | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("presetsBar")
        self.store = store
        self._current_settings = current_settings
        self.dialogs = dialogs or PresetDialogs()
        self._modified = False

        self.combo = QComboBox(self)
        self.combo.setObjectName("presetCombo")
        self.combo.setMinimumContentsLength(10)
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.combo.setPlaceholderText("Choose a preset…")
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.combo.setMinimumContentsLength(10)
        self.combo.setToolTip("Saved filters and settings. Built-in presets (in italics) are read-only.")
        self.combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.modified_label = QLabel("", self)
        self.modified_label.setObjectName("presetModifiedLabel")
        self.modified_label.setStyleSheet(text_style("warning", "font-style: italic;"))
        self.save_button = QToolButton(self)
        self.save_button.setText("Save…")
        self.save_button.setObjectName("savePresetButton")
        self.save_button.setToolTip("Save the current filters and settings as a preset (new, or over one).")
        self.delete_button = QToolButton(self)
        self.delete_button.setText("Delete")
        self.delete_button.setObjectName("deletePresetButton")
        self.more_button = QToolButton(self)
        self.more_button.setObjectName("presetMoreButton")
        self.more_button.setText("More")
        self.more_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.more_button)
        self.rename_action = self._action(menu, "Rename…", "renamePresetAction", self.rename_current)
        self.duplicate_action = self._action(
            menu, "Duplicate", "duplicatePresetAction", self.duplicate_current
        )
        menu.addSeparator()
        self.import_action = self._action(menu, "Import…", "importPresetAction", self.import_preset)
        self.export_action = self._action(menu, "Export…", "exportPresetAction", self.export_current)
        self.more_button.setMenu(menu)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.combo, 1)
        layout.addWidget(self.modified_label)
        layout.addWidget(self.save_button)
        layout.addWidget(self.delete_button)
        layout.addWidget(self.more_button)

        self.combo.activated.connect(self._on_activated)
        self.save_button.clicked.connect(self.save_current)
        self.delete_button.clicked.connect(self.delete_current)
        self.reload_combo(None)

    def _action(self, menu: QMenu, text: str, name: str, slot: Callable[[], object]) -> QAction:
        action = menu.addAction(text)
        action.setObjectName(name)
        action.triggered.connect(slot)
        return action

    # ---- state --------------------------------------------------------------------------------------
    def current_name(self) -> str | None:
        data = self.combo.currentData()
        return data if isinstance(data, str) else None

    def current_preset(self) -> Preset | None:
        name = self.current_name()
        return self.store.get(name) if name else None

    def reload_combo(self, select: str | None) -> None:
        self.combo.blockSignals(True)
        try:
            self.combo.clear()
            italic = self.combo.font()
            italic.setItalic(True)
            presets = self.store.presets()
            for preset in presets:
                if not preset.builtin and self.combo.count() and self._is_builtin_row(self.combo.count() - 1):
                    self.combo.insertSeparator(self.combo.count())
                self.combo.addItem(shown(preset.name), preset.name)
                row = self.combo.count() - 1
                if preset.builtin:
                    self.combo.setItemData(row, italic, Qt.ItemDataRole.FontRole)
                    self.combo.setItemData(
                        row,
                        "Built-in preset (read-only): duplicate it to change it.",
                        Qt.ItemDataRole.ToolTipRole,
                    )
            self.combo.setCurrentIndex(self.combo.findData(select) if select else -1)
        finally:
            self.combo.blockSignals(False)
        self._update_enabled()

    def _is_builtin_row(self, row: int) -> bool:
        name = self.combo.itemData(row)
        return isinstance(name, str) and self.store.is_builtin(name)

    def select(self, name: str | None) -> None:
        """Show ``name`` as the current preset without applying it (e.g. when restoring the last state)."""
        self.reload_combo(name if name and name in self.store else None)

    def set_modified(self, modified: bool) -> None:
        self._modified = modified and self.current_name() is not None
        self.modified_label.setText("modified" if self._modified else "")
        self.modified_label.setToolTip("The settings differ from the saved preset." if self._modified else "")

    def is_modified(self) -> bool:
        return self._modified

    def _update_enabled(self) -> None:
        preset = self.current_preset()
        user = preset is not None and not preset.builtin
        self.delete_button.setEnabled(user)
        self.rename_action.setEnabled(user)
        self.duplicate_action.setEnabled(preset is not None)
        self.delete_button.setToolTip(
            "Delete this preset (asks first)." if user else "Built-in presets cannot be deleted."
        )

    # ---- actions -------------------------------------------------------------------------------------
    @Slot(int)
    def _on_activated(self, row: int) -> None:
        self.apply(self.combo.itemData(row))

    def apply(self, name: str) -> None:
        preset = self.store.get(name)
        if preset is None:
            return
        self.select(preset.name)
        self._update_enabled()
        self.presetApplied.emit(preset)
        self.set_modified(False)

    def _fail(self, exc: KnownError) -> None:
        self.message.emit(str(exc.message), "warning")

    @Slot()
    def save_current(self) -> Preset | None:
        current = self.current_preset()
        default = current.name if current is not None and not current.builtin else ""
        name = self.dialogs.ask_text(self, "Save preset", "Preset name:", default)
        if name is None or not name.strip():
            return None
        name = name.strip()
        settings = self._current_settings()
        try:
            if self.store.is_builtin(name):
                raise KnownError(
                    "Built-in preset",
                    f"'{name}' is a built-in preset and cannot be overwritten.",
                    "Pick another name.",
                )
            overwrite = False
            if name in self.store:
                if not self.dialogs.confirm(
                    self,
                    "Replace preset",
                    f"A preset named '{name}' exists. Replace it with the current settings?",
                ):
                    return None
                overwrite = True
            preset = self.store.save(name, settings, overwrite=overwrite)
        except KnownError as exc:
            self._fail(exc)
            return None
        self.select(preset.name)
        self.set_modified(False)
        self.presetsChanged.emit()
        self.message.emit(f"Saved preset '{preset.name}'.", "info")
        return preset

    @Slot()
    def delete_current(self) -> bool:
        preset = self.current_preset()
        if preset is None or preset.builtin:
            return False
        if not self.dialogs.confirm(
            self, "Delete preset", f"Delete the preset '{preset.name}'? This cannot be undone."
        ):
            return False
        try:
            self.store.delete(preset.name)
        except KnownError as exc:
            self._fail(exc)
            return False
        self.select(None)
        self.set_modified(False)
        self.presetsChanged.emit()
        self.message.emit(f"Deleted preset '{preset.name}'.", "info")
        return True

    @Slot()
    def rename_current(self) -> Preset | None:
        preset = self.current_preset()
        if preset is None or preset.builtin:
            return None
        name = self.dialogs.ask_text(self, "Rename preset", "New name:", preset.name)
        if name is None or not name.strip() or name.strip() == preset.name:
            return None
        try:
            renamed = self.store.rename(preset.name, name)
        except KnownError as exc:
            self._fail(exc)
            return None
        modified = self._modified
        self.select(renamed.name)
        self.set_modified(modified)
        self.presetsChanged.emit()
        return renamed

    @Slot()
    def duplicate_current(self) -> Preset | None:
        preset = self.current_preset()
        if preset is None:
            return None
        try:
            copy = self.store.duplicate(preset.name)
        except KnownError as exc:
            self._fail(exc)
            return None
        self.apply(copy.name)
        self.message.emit(f"Created '{copy.name}'.", "info")
        return copy

    @Slot()
    def import_preset(self) -> Preset | None:
        path = self.dialogs.open_path(self)
        if path is None:
            return None
        try:
            incoming = self.store.read_file(path)
            name: str | None = incoming.name
            overwrite = False
            if self.store.is_builtin(incoming.name) or incoming.name in self.store:
                clash = self.store.get(incoming.name)
                if (
                    clash is not None
                    and not clash.builtin
                    and self.dialogs.confirm(
                        self,
                        "Replace preset",
                        f"A preset named '{clash.name}' exists. Replace it with the imported one?",
                    )
                ):
                    overwrite = True
                else:
                    name = self.dialogs.ask_text(
                        self,
                        "Import preset",
                        "Save the imported preset as:",
                        self.store.unique_name(incoming.name),
                    )
                    if name is None or not name.strip():
                        return None
            preset = self.store.import_file(path, name=name, overwrite=overwrite)
        except PresetExists as exc:
            self._fail(exc)
            return None
        except KnownError as exc:
            self._fail(exc)
            return None
        self.apply(preset.name)
        notes = " ".join(preset.notices)
        self.message.emit(f"Imported '{preset.name}' from '{path.name}'. {notes}".strip(), "info")
        return preset

    @Slot()
    def export_current(self) -> Path | None:
        """Export what is on screen, under the current preset's name (or 'My settings')."""
        name = self.current_name() or "My settings"
        path = self.dialogs.save_path(self, safe_file_name(name, ".json", default="preset"))
        if path is None:
            return None
        try:
            written = export_settings(name, self._current_settings(), path)
        except OSError as exc:
            self.message.emit(f"Could not export to '{path}': {exc.strerror or exc}.", "warning")
            return None
        self.message.emit(f"Exported '{name}' to '{written}'.", "info")
        return written
