"""Review the selection basket: every video picked (in every folder), remove some, and see what was left
out and why."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gui.core.s3browse import human_size
from gui.core.selection import SelectionBasket
from gui.core.types import S3Object
from gui.qt.text import plain_tooltip, shown

ObjectRole = Qt.ItemDataRole.UserRole + 1


class BasketDialog(QDialog):
    def __init__(self, basket: SelectionBasket, on_removed: Callable[[list[S3Object]], None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("basketDialog")
        self.setWindowTitle("Selected videos")
        self._basket = basket
        self._on_removed = on_removed
        self.summary = QLabel(self)
        self.summary.setObjectName("basketSummary")
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.videos = QListWidget(self)
        self.videos.setObjectName("basketVideos")
        self.videos.setAccessibleName("Selected videos")
        self.videos.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.remove_button = QPushButton("&Remove from the selection", self)
        self.remove_button.setObjectName("basketRemoveButton")
        self.remove_button.clicked.connect(self.remove_selected)
        self.left_out_label = QLabel("Left out (Rekognition would refuse these):", self)
        self.left_out = QListWidget(self)
        self.left_out.setObjectName("basketLeftOut")
        self.left_out.setAccessibleName("Left out, with the reason")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.videos, 3)
        layout.addWidget(self.remove_button)
        layout.addWidget(self.left_out_label)
        layout.addWidget(self.left_out, 1)
        layout.addWidget(buttons)
        self.resize(640, 480)
        self._fill()

    def _fill(self) -> None:
        self.videos.clear()
        for obj in self._basket.videos():
            item = QListWidgetItem(shown(obj.uri))
            item.setData(ObjectRole, obj)
            item.setToolTip(plain_tooltip(f"{shown(obj.uri)}\n{human_size(obj.size)}"))
            self.videos.addItem(item)
        self.left_out.clear()
        for obj, reason in self._basket.refused.values():
            item = QListWidgetItem(f"{shown(obj.uri)} — {shown(reason)}")
            item.setData(ObjectRole, obj)
            self.left_out.addItem(item)
        self.left_out.setVisible(bool(self._basket.refused))
        self.left_out_label.setVisible(bool(self._basket.refused))
        self.summary.setText(self._basket.summary() + ".")
        self.remove_button.setEnabled(len(self._basket) > 0)

    @Slot()
    def remove_selected(self) -> None:
        chosen = [item.data(ObjectRole) for item in self.videos.selectedItems()]
        if chosen:
            self._basket.remove(chosen)
            self._on_removed(chosen)
            self._fill()
