"""Label thumbnails in the summary table: a delegate that shows each label's best-detection crop.

The thumbnails are made in the background by :meth:`FrameView.make_thumbnails`; the delegate draws
whatever has arrived (rows without one yet look as before), so the table model stays untouched.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSize, Qt, Slot
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem, QTableView, QWidget

from gui.core.moments import THUMBNAIL_SIZE

ROW_HEIGHT = THUMBNAIL_SIZE[1] + 4
EXTRA_WIDTH = THUMBNAIL_SIZE[0] + 8  # what column 0 needs on top of the label's text


class ThumbnailDelegate(QStyledItemDelegate):
    """Column 0 of the summary: the label's thumbnail (when made) before its name."""

    def __init__(self, table: QTableView, parent: QWidget | None = None) -> None:
        super().__init__(parent or table)
        self.table = table
        self.icons: dict[str, QIcon] = {}

    def initStyleOption(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:
        super().initStyleOption(option, index)
        icon = self.icons.get(str(index.data(Qt.ItemDataRole.DisplayRole) or ""))
        if icon is not None:
            option.features |= QStyleOptionViewItem.ViewItemFeature.HasDecoration  # type: ignore[operator]
            option.icon = icon
            option.decorationSize = QSize(*THUMBNAIL_SIZE)

    def has(self, label: str) -> bool:
        return label in self.icons

    @Slot(str, QImage)
    def add(self, label: str, image: QImage) -> None:
        self.icons[label] = QIcon(QPixmap.fromImage(image))
        self.table.viewport().update()


def attach_thumbnails(table: QTableView, frame_view: Any) -> ThumbnailDelegate:
    """Show ``frame_view``'s label thumbnails in column 0 of ``table`` (rows grow to fit them)."""
    delegate = ThumbnailDelegate(table)
    table.setItemDelegateForColumn(0, delegate)
    header = table.verticalHeader()
    header.setDefaultSectionSize(max(header.defaultSectionSize(), ROW_HEIGHT))
    frame_view.thumbnailReady.connect(delegate.add)
    return delegate
