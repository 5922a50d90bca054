"""The S3 video browser: buckets, folders, and a table that grows while a listing runs in the background.

Every S3 call runs as a task of the panel's :class:`gui.qt.workers.TaskRegistry` through :class:`gui.core.s3browse.S3Browser`.
Only the listing the user is looking at may touch the model: results from a listing the user navigated
away from are cancelled and, if already queued, ignored (checked with ``sender()``).
"""

from __future__ import annotations

import html
import logging
from typing import Any

from PySide6.QtCore import QItemSelection, QItemSelectionModel, QModelIndex, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gui.core.connection import Connection
from gui.core.errors import UserMessage
from gui.core.s3browse import (
    BucketInfo,
    Folder,
    ListingPage,
    S3Browser,
    breadcrumb,
    parent_prefix,
    parse_s3_uri,
)
from gui.core.selection import SelectionBasket
from gui.core.types import S3Object
from gui.qt.browser_model import MODIFIED, NAME, SIZE, TYPE, BrowserModel, BrowserProxy
from gui.qt.focus import chain
from gui.qt.text import plain_tooltip, shown
from gui.qt.theme import banner_style
from gui.qt.workers import Task, TaskRegistry

log = logging.getLogger(__name__)

BucketRole = Qt.ItemDataRole.UserRole + 1
FIRST_PAGE_SIZE = 200  # keys in the first ListObjectsV2 page: rows show sooner; later pages take 1000
BREADCRUMB_MAX_PARTS = 4


# ---- background jobs (worker threads) --------------------------------------------------------------------


def list_buckets_job(cancel: Any, progress: Any, browser: S3Browser) -> list[BucketInfo]:
    return browser.list_buckets()


def list_prefix_job(cancel: Any, progress: Any, browser: S3Browser, bucket: str, prefix: str) -> int:
    """Region first (so the user hears about another region at once), then the pages as they come."""
    progress(("region", bucket, browser.region_of(bucket)))
    pages = 0
    for page in browser.iter_prefix(bucket, prefix, cancel, first_page_size=FIRST_PAGE_SIZE):
        progress(("page", page))
        pages += 1
    return pages


def recursive_videos_job(cancel: Any, progress: Any, browser: S3Browser, bucket: str, prefix: str) -> list[S3Object]:
    found: list[S3Object] = []
    for batch in browser.iter_videos(bucket, prefix, cancel):
        found.extend(batch)
        progress(len(found))
    return found


def check_videos_job(cancel: Any, progress: Any, browser: S3Browser, videos: list[S3Object]) -> list[tuple[S3Object, str]]:
    from gui.core.video_check import refusals  # PyAV loads only when a selection is checked

    return refusals(browser.client_for, videos, lambda: cancel.cancelled)


def typed_prefix(key: str) -> str:
    """The folder to open for a typed key: ``a/b/`` as is, ``a/clip.mp4`` -> ``a/``, ``a/b`` -> ``a/b/``."""
    if not key or key.endswith("/"):
        return key
    last = key.rsplit("/", 1)[-1]
    if "." in last:
        return key[: len(key) - len(last)]
    return key + "/"


def _banner(widget: QLabel, message: UserMessage | None) -> None:
    if message is None:
        widget.clear()
        widget.setVisible(False)
        return
    text = f"<b>{html.escape(message.title)}</b>: {html.escape(message.text)}"
    if message.hint:
        text += f"<br>{html.escape(message.hint)}"
    widget.setText(text)
    widget.setVisible(True)


class BrowserPanel(QWidget):
    """Buckets list, breadcrumb navigation and the incremental object table."""

    selectionChanged = Signal(list)  # list[S3Object]: the selected eligible videos
    regionSwitchRequested = Signal(str)  # the bucket's region, when the user accepts to switch
    locationChanged = Signal(str, str)  # bucket, prefix
    listingFinished = Signal(int)  # rows listed in the current folder (also after Stop)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("browserPanel")
        self.tasks = TaskRegistry(self, max_threads=4, name="browserTasks")
        self._conn: Connection | None = None
        self._browser: S3Browser | None = None
        self._bucket: str | None = None
        self._prefix = ""
        self._bucket_region: str | None = None
        self._reopen: tuple[str, str] | None = None
        self._listing: Task | None = None
        self._buckets_job: Task | None = None
        self._recursive_job: Task | None = None
        self.basket = SelectionBasket()  # the videos picked, in every folder
        self._recursive_where = ""
        self._selection_note = ""  # what the last recursive pick added
        self._reselecting = False  # selecting basket rows as a folder lists: not a pick by the user
        self._checked: set[tuple[str, str, str | None]] = set()  # videos whose container was checked
        self._loading = False
        self._stopped = ""
        self._awaiting_drain = False
        self._last_selection: list[S3Object] = []
        self._build()
        self._set_not_connected()
        self._update_selection()

    # ---- widgets -------------------------------------------------------------------------------------

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.setObjectName("browserSplitter")
        split.setChildrenCollapsible(False)
        outer.addWidget(split)

        # buckets
        top = QWidget(split)
        tl = QVBoxLayout(top)
        tl.setContentsMargins(0, 0, 0, 0)
        self.browserFilterEdit = QLineEdit(top)
        self.browserFilterEdit.setObjectName("browserFilterEdit")
        self.browserFilterEdit.setPlaceholderText("Filter buckets")
        self.browserFilterEdit.setClearButtonEnabled(True)
        self.browserFilterEdit.textChanged.connect(self._filter_buckets)
        tl.addWidget(self.browserFilterEdit)
        self.bucketList = QListWidget(top)
        self.bucketList.setObjectName("bucketList")
        self.bucketList.setAccessibleName("Buckets")
        self.bucketList.setUniformItemSizes(True)
        self.bucketList.itemSelectionChanged.connect(self._on_bucket_selected)
        tl.addWidget(self.bucketList)
        self.bucketMessage = QLabel(top)
        self.bucketMessage.setObjectName("bucketMessage")
        self.bucketMessage.setWordWrap(True)
        tl.addWidget(self.bucketMessage)
        split.addWidget(top)

        # objects
        bottom = QWidget(split)
        bl = QVBoxLayout(bottom)
        bl.setContentsMargins(0, 0, 0, 0)
        nav = QHBoxLayout()
        self.upButton = QToolButton(bottom)
        self.upButton.setObjectName("upButton")
        self.upButton.setText("Up")
        self.upButton.setToolTip("Parent folder (Backspace)")
        self.upButton.clicked.connect(self.go_up)
        nav.addWidget(self.upButton)
        self.breadcrumbBar = QWidget(bottom)
        self.breadcrumbBar.setObjectName("breadcrumbBar")
        self._crumbs = QHBoxLayout(self.breadcrumbBar)
        self._crumbs.setContentsMargins(0, 0, 0, 0)
        self._crumbs.setSpacing(0)
        nav.addWidget(self.breadcrumbBar, 1)
        self.refreshButton = QToolButton(bottom)
        self.refreshButton.setObjectName("refreshButton")
        self.refreshButton.setText("Refresh")
        self.refreshButton.clicked.connect(self.refresh)
        nav.addWidget(self.refreshButton)
        bl.addLayout(nav)

        self.locationEdit = QLineEdit(bottom)
        self.locationEdit.setObjectName("locationEdit")
        self.locationEdit.setPlaceholderText("Go to s3://bucket/prefix/ (Enter)")
        self.locationEdit.setClearButtonEnabled(True)
        self.locationEdit.returnPressed.connect(self._go_to_typed_location)
        bl.addWidget(self.locationEdit)

        self.regionBanner = QFrame(bottom)
        self.regionBanner.setObjectName("regionBanner")
        self.regionBanner.setStyleSheet(banner_style("info", "#regionBanner", padding="0px"))
        rb = QHBoxLayout(self.regionBanner)
        rb.setContentsMargins(6, 4, 6, 4)
        self.regionLabel = QLabel(self.regionBanner)
        self.regionLabel.setObjectName("regionLabel")
        self.regionLabel.setWordWrap(True)
        rb.addWidget(self.regionLabel, 1)
        self.switchRegionButton = QPushButton(self.regionBanner)
        self.switchRegionButton.setObjectName("switchRegionButton")
        self.switchRegionButton.setAccessibleName("Switch Rekognition's region to the bucket's")
        self.switchRegionButton.clicked.connect(self._request_region_switch)
        rb.addWidget(self.switchRegionButton)
        self.regionBanner.setVisible(False)
        bl.addWidget(self.regionBanner)

        filters = QHBoxLayout()
        self.nameFilterEdit = QLineEdit(bottom)
        self.nameFilterEdit.setObjectName("nameFilterEdit")
        self.nameFilterEdit.setPlaceholderText("Filter names in this folder")
        self.nameFilterEdit.setClearButtonEnabled(True)
        filters.addWidget(self.nameFilterEdit, 1)
        self.videosOnlyCheck = QCheckBox("Videos only", bottom)
        self.videosOnlyCheck.setObjectName("videosOnlyCheck")
        self.videosOnlyCheck.setToolTip("Hide objects that are not MP4/MOV/M4V videos (folders stay)")
        filters.addWidget(self.videosOnlyCheck)
        bl.addLayout(filters)

        self.model = BrowserModel(self)
        self.model.drained.connect(self._on_model_drained)
        self.proxy = BrowserProxy(self.model, self)
        self.nameFilterEdit.textChanged.connect(self._on_name_filter)
        self.videosOnlyCheck.toggled.connect(self._on_videos_only)

        self.videoBrowser = QTableView(bottom)
        self.videoBrowser.setObjectName("videoBrowser")
        self.videoBrowser.setTabKeyNavigation(False)  # Tab leaves the table; arrows move inside it
        self.videoBrowser.setAccessibleName("Objects in this folder")
        self.videoBrowser.setModel(self.proxy)
        self.videoBrowser.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.videoBrowser.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.videoBrowser.setShowGrid(False)
        self.videoBrowser.setWordWrap(False)
        self.videoBrowser.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # keep the extension visible
        self.videoBrowser.setAlternatingRowColors(True)
        self.videoBrowser.verticalHeader().setVisible(False)
        self.videoBrowser.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.videoBrowser.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        header = self.videoBrowser.horizontalHeader()
        header.setSectionResizeMode(NAME, QHeaderView.ResizeMode.Stretch)
        fm = self.videoBrowser.fontMetrics()
        for col, sample in ((SIZE, "999.9 MB"), (MODIFIED, "2026-12-31 23:59"), (TYPE, "MP4 video")):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(col, fm.horizontalAdvance(sample) + 14)
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)  # S3's order until a header is clicked
        self.videoBrowser.setSortingEnabled(True)
        self.videoBrowser.doubleClicked.connect(self._on_double_clicked)
        self.videoBrowser.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.videoBrowser.customContextMenuRequested.connect(self._on_context_menu)
        self.videoBrowser.selectionModel().selectionChanged.connect(self._on_view_selection)
        self.proxy.rowsInserted.connect(self._on_rows_shown)
        open_action = QAction("Open", self.videoBrowser)
        open_action.setShortcuts([QKeySequence(Qt.Key.Key_Return), QKeySequence(Qt.Key.Key_Enter)])
        open_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        open_action.triggered.connect(self._open_current)
        up_action = QAction("Up", self.videoBrowser)
        up_action.setShortcut(QKeySequence(Qt.Key.Key_Backspace))
        up_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        up_action.triggered.connect(self.go_up)
        self.copyUriAction = QAction("Copy s3:// URI", self.videoBrowser)
        self.copyUriAction.setShortcut(QKeySequence.StandardKey.Copy)
        self.copyUriAction.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.copyUriAction.triggered.connect(self.copy_uris)
        self.videoBrowser.addActions([open_action, up_action, self.copyUriAction])
        bl.addWidget(self.videoBrowser, 1)

        self.browserMessage = QLabel(bottom)
        self.browserMessage.setObjectName("browserMessage")
        self.browserMessage.setWordWrap(True)
        self.browserMessage.setStyleSheet(banner_style("error", "#browserMessage", padding="4px"))
        self.browserMessage.setVisible(False)
        bl.addWidget(self.browserMessage)

        status = QHBoxLayout()
        self.listingStatus = QLabel(bottom)
        self.listingStatus.setObjectName("listingStatus")
        # a count that changes every page must not re-layout the panel each time
        self.listingStatus.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        status.addWidget(self.listingStatus, 1)
        self.stopButton = QPushButton("Stop", bottom)
        self.stopButton.setObjectName("stopButton")
        self.stopButton.setToolTip("Stop loading this folder (what is listed stays)")
        self.stopButton.clicked.connect(self.stop_listing)
        self.stopButton.setVisible(False)
        status.addWidget(self.stopButton)
        bl.addLayout(status)

        actions = QHBoxLayout()
        self.selectRecursiveButton = QPushButton("Select all videos (recursive)", bottom)
        self.selectRecursiveButton.setToolTip("Add every video under this folder, in all its subfolders, to the "
                                              "selection")
        self.selectRecursiveButton.setObjectName("selectRecursiveButton")
        self.selectRecursiveButton.clicked.connect(self.select_all_videos_recursive)
        actions.addWidget(self.selectRecursiveButton)
        self.copyUriButton = QPushButton("Copy s3:// URI", bottom)
        self.copyUriButton.setObjectName("copyUriButton")
        self.copyUriButton.clicked.connect(self.copy_uris)
        actions.addWidget(self.copyUriButton)
        actions.addStretch(1)
        bl.addLayout(actions)

        sel = QHBoxLayout()
        self.selectionLabel = QLabel("No videos selected.", bottom)
        self.selectionLabel.setObjectName("selectionLabel")
        self.selectionLabel.setWordWrap(True)
        self.selectionLabel.setTextFormat(Qt.TextFormat.PlainText)  # it names folders
        sel.addWidget(self.selectionLabel, 1)
        self.clearSelectionButton = QToolButton(bottom)
        self.clearSelectionButton.setObjectName("clearSelectionButton")
        self.clearSelectionButton.setText("Clear")
        self.clearSelectionButton.clicked.connect(self.clear_selection)
        self.reviewSelectionButton = QToolButton(bottom)
        self.reviewSelectionButton.setObjectName("reviewSelectionButton")
        self.reviewSelectionButton.setText("Review…")
        self.reviewSelectionButton.setToolTip("See every selected video, in every folder, and remove some")
        self.reviewSelectionButton.clicked.connect(self.review_selection)
        sel.addWidget(self.reviewSelectionButton)
        sel.addWidget(self.clearSelectionButton)
        bl.addLayout(sel)
        split.addWidget(bottom)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 4)
        split.setSizes([130, 520])

    # Below these widths of the table, the column is hidden so the name stays readable (the row's tooltip
    # still has everything).
    NARROW_HIDES = ((MODIFIED, 480), (TYPE, 340))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        # After the layout has given the table its new width (a timer bound to this panel: none after it goes).
        QTimer.singleShot(0, self, self._fit_columns_now)

    @Slot()
    def _fit_columns_now(self) -> None:
        self.fit_columns(self.videoBrowser.viewport().width())

    def fit_columns(self, width: int) -> None:
        for column, below in self.NARROW_HIDES:
            self.videoBrowser.setColumnHidden(column, width < below)

    # ---- connection ----------------------------------------------------------------------------------

    def set_connection(self, conn: Connection | None) -> None:
        """Use ``conn`` (a :class:`gui.core.connection.Connection`, or None) and list its buckets.

        With the same credentials in another region (a region switch), the open folder is reopened.
        """
        same = conn is not None and self._conn is not None and conn.same_account_as(self._conn)
        self._reopen = (self._bucket, self._prefix) if same and self._bucket else None
        self._cancel_all()
        self._conn = conn
        self._browser = S3Browser(conn, conn.region) if conn is not None else None
        self._bucket = None
        self._prefix = ""
        self._bucket_region = None
        self.model.clear()
        if not same:  # another account: its videos are not these
            self.basket.clear()
            self._selection_note = ""
        self._update_selection(force=True)
        if conn is None:
            self._set_not_connected()
            return
        self.refresh_buckets()

    def connection(self) -> Connection | None:
        return self._conn

    def _set_not_connected(self) -> None:
        self.bucketList.clear()
        _banner(self.bucketMessage, None)
        self.bucketMessage.setText("Not connected: connect to AWS (or start the demo) to see your buckets.")
        self.bucketMessage.setVisible(True)
        self._show_location()
        self.listingStatus.setText("")
        self._update_actions()

    @Slot()
    def refresh_buckets(self) -> None:
        if self._browser is None:
            return
        if self._buckets_job is not None:
            self._buckets_job.cancel()
        self.bucketList.clear()
        self.bucketMessage.setText("Loading buckets…")
        self.bucketMessage.setVisible(True)
        self._buckets_job = self._run(
            list_buckets_job, self._browser, on_result=self._on_buckets, on_error=self._on_buckets_error
        )

    @Slot(object)
    def _on_buckets(self, buckets: list[BucketInfo]) -> None:
        if not self._is_current(self._buckets_job):
            return
        self.bucketList.blockSignals(True)
        self.bucketList.clear()
        for b in buckets:
            item = QListWidgetItem(shown(b.name))  # an S3-compatible store may allow any name
            item.setData(BucketRole, b.name)
            tip = f"s3://{shown(b.name)}"
            if b.region:
                tip += f"\nRegion: {b.region}"
            if b.created:
                tip += f"\nCreated: {b.created.astimezone():%Y-%m-%d %H:%M}"
            item.setToolTip(plain_tooltip(tip))
            self.bucketList.addItem(item)
        self.bucketList.blockSignals(False)
        self._filter_buckets(self.browserFilterEdit.text())
        if buckets:
            self.bucketMessage.setVisible(False)
        else:
            self.bucketMessage.setText("No buckets in this account. Create one in S3, or type s3://bucket/ below.")
            self.bucketMessage.setVisible(True)
        reopen, self._reopen = self._reopen, None
        if reopen and reopen[0] in {b.name for b in buckets}:
            self._select_bucket_item(reopen[0])
            self.navigate(reopen[0], reopen[1])
        elif self._bucket:  # a bucket opened before the list arrived (typed, or by the main window)
            self._select_bucket_item(self._bucket)

    @Slot(object)
    def _on_buckets_error(self, message: UserMessage) -> None:
        if not self._is_current(self._buckets_job):
            return
        _banner(self.bucketMessage, message)
        self.bucketMessage.setText(
            self.bucketMessage.text() + "<br>You can still open a bucket you know: type s3://bucket/ below."
        )
        reopen, self._reopen = self._reopen, None
        if reopen:
            self.navigate(*reopen)

    @Slot(str)
    def _filter_buckets(self, text: str) -> None:
        needle = text.strip().casefold()
        for i in range(self.bucketList.count()):
            item = self.bucketList.item(i)
            item.setHidden(bool(needle) and needle not in item.text().casefold())

    def _select_bucket_item(self, name: str) -> None:
        self.bucketList.blockSignals(True)
        for i in range(self.bucketList.count()):
            item = self.bucketList.item(i)
            if item.data(BucketRole) == name:
                self.bucketList.setCurrentItem(item)
                break
        else:
            self.bucketList.clearSelection()
        self.bucketList.blockSignals(False)

    @Slot()
    def _on_bucket_selected(self) -> None:
        items = self.bucketList.selectedItems()
        if items:
            self.navigate(items[0].data(BucketRole), "")

    # ---- navigation ----------------------------------------------------------------------------------

    def location(self) -> tuple[str | None, str]:
        return self._bucket, self._prefix

    def navigate(self, bucket: str, prefix: str = "") -> None:
        """Show ``s3://bucket/prefix``: cancels the listing in flight, starts a new one in the background."""
        if self._browser is None:
            return
        self._cancel_listing()
        if self._recursive_job is not None:
            self._recursive_job.cancel()
            self._recursive_job = None
            self._update_selection(force=True)
        if bucket != self._bucket:
            self._bucket_region = self._browser.known_region(bucket)
        self._bucket, self._prefix = bucket, prefix
        self.model.clear()
        self._update_selection()
        _banner(self.browserMessage, None)
        self._show_location()
        self._show_region()
        self._loading = True
        self._stopped = ""
        self._awaiting_drain = False
        self.listingStatus.setText("Loading…")
        self.stopButton.setVisible(True)
        self._listing = self._run(
            list_prefix_job,
            self._browser,
            bucket,
            prefix,
            on_result=self._on_listing_done,
            on_error=self._on_listing_error,
            on_progress=self._on_listing_progress,
            on_finished=self._on_listing_finished,
        )
        self._update_actions()
        self.locationChanged.emit(bucket, prefix)

    @Slot()
    def refresh(self) -> None:
        if self._bucket:
            self.navigate(self._bucket, self._prefix)
        else:
            self.refresh_buckets()

    @Slot()
    def go_up(self) -> None:
        if self._bucket and self._prefix:
            self.navigate(self._bucket, parent_prefix(self._prefix))

    @Slot()
    def _go_to_typed_location(self) -> None:
        text = self.locationEdit.text().strip()
        if not text:
            return
        try:
            bucket, key = parse_s3_uri(text if text.startswith("s3://") else "s3://" + text)
        except ValueError as exc:
            _banner(self.browserMessage, UserMessage("Not an S3 location", str(exc), "Type s3://bucket/prefix/"))
            return
        prefix = typed_prefix(key)
        self._select_bucket_item(bucket)
        self.navigate(bucket, prefix)

    def _show_location(self) -> None:
        while self._crumbs.count():
            w = self._crumbs.takeAt(0).widget()
            if w is not None:
                w.hide()
                w.deleteLater()
        if not self._bucket:
            label = QLabel("No bucket open", self.breadcrumbBar)
            label.setEnabled(False)
            self._crumbs.addWidget(label)
            self._crumbs.addStretch(1)
            return
        crumbs: list[QWidget] = []
        parts = [(f"s3://{self._bucket}", "")] + breadcrumb(self._prefix)
        if len(parts) > BREADCRUMB_MAX_PARTS + 1:
            parts = parts[:1] + [("…", parts[-BREADCRUMB_MAX_PARTS - 1][1])] + parts[-BREADCRUMB_MAX_PARTS:]
        for i, (label, prefix) in enumerate(parts):
            if i:
                sep = QLabel("/", self.breadcrumbBar)
                self._crumbs.addWidget(sep)
            button = QToolButton(self.breadcrumbBar)
            button.setAutoRaise(True)
            button.setText(shown(label))
            button.setToolTip(plain_tooltip(shown(f"s3://{self._bucket}/{prefix}")))
            button.setProperty("prefix", prefix)
            button.clicked.connect(self._on_crumb)
            self._crumbs.addWidget(button)
            crumbs.append(button)
        self._crumbs.addStretch(1)
        chain([self.upButton, *crumbs, self.refreshButton])  # new buttons would otherwise Tab in last

    @Slot()
    def _on_crumb(self) -> None:
        button = self.sender()
        if self._bucket and button is not None:
            self.navigate(self._bucket, str(button.property("prefix") or ""))

    @Slot(object)
    def _on_double_clicked(self, index: Any) -> None:
        item = self.proxy.item(index.row())
        if isinstance(item, Folder):
            self.navigate(item.bucket, item.prefix)

    @Slot()
    def _open_current(self) -> None:
        index = self.videoBrowser.currentIndex()
        if index.isValid():
            self._on_double_clicked(index)

    # ---- the listing ---------------------------------------------------------------------------------

    @Slot(object)
    def _on_listing_progress(self, payload: tuple[Any, ...]) -> None:
        if not self._is_current(self._listing):
            return
        if payload[0] == "region":
            _kind, bucket, region = payload
            if bucket == self._bucket:
                self._bucket_region = region
                self._show_region()
            return
        page: ListingPage = payload[1]
        self.model.enqueue_rows(page.folders, page.rows)
        self._show_count(loading=page.more)

    @Slot(object)
    def _on_listing_done(self, pages: int) -> None:
        if not self._is_current(self._listing):
            return
        self._loading = False
        self._show_count(loading=False)

    @Slot(object)
    def _on_listing_error(self, message: UserMessage) -> None:
        if not self._is_current(self._listing):
            return
        self._loading = False
        self._stopped = "stopped by an error"
        _banner(self.browserMessage, message)
        self._show_count(loading=False, stopped=self._stopped)

    @Slot()
    def _on_listing_finished(self) -> None:
        sender = self.sender()
        if self._listing is not None and self._listing.signals is sender:
            self._loading = False
            self.stopButton.setVisible(False)
            self._listing = None
            self._awaiting_drain = True
            if not self.model.pending:
                self._on_model_drained()

    @Slot()
    def _on_model_drained(self) -> None:
        """The listing ended and every row it produced is in the model (inserted in timed chunks)."""
        if not self._awaiting_drain or self._listing is not None:
            return
        self._awaiting_drain = False
        self._show_count(loading=False, stopped=self._stopped)
        self.listingFinished.emit(self.model.rowCount())

    @Slot()
    def stop_listing(self) -> None:
        if self._listing is not None:
            self._listing.cancel()
            self._loading = False
            self._stopped = "stopped"
            self.stopButton.setVisible(False)
            self._show_count(loading=False, stopped=self._stopped)

    def is_loading(self) -> bool:
        return self._listing is not None

    def _show_count(self, *, loading: bool, stopped: str = "") -> None:
        folders = self.model.folder_count()
        objects = self.model.total_objects()
        videos = self.model.total_videos()
        if loading:
            text = f"Loading… {objects:,} objects so far ({videos:,} videos)"
        elif folders == 0 and objects == 0 and not stopped:
            text = "This bucket is empty." if not self._prefix else "This folder is empty."
        else:
            parts = []
            if folders:
                parts.append(f"{folders:,} folder{'s' if folders != 1 else ''}")
            parts.append(f"{objects:,} object{'s' if objects != 1 else ''}")
            parts.append(f"{videos:,} video{'s' if videos != 1 else ''}")
            text = ", ".join(parts)
            if stopped:
                text += f" ({stopped}; Refresh to list again)"
            hidden = self.model.rowCount() - self.proxy.rowCount()
            if hidden > 0:
                text += f"; {hidden:,} hidden by the filters"
        self.listingStatus.setText(text)

    # ---- regions -------------------------------------------------------------------------------------

    def bucket_region(self) -> str | None:
        """The open bucket's region (None until known)."""
        return self._bucket_region

    def _show_region(self) -> None:
        region = self._bucket_region
        home = self._conn.region if self._conn is not None else None
        if not self._bucket or not region or region == home:
            self.regionBanner.setVisible(False)
            return
        self.regionLabel.setText(
            f"<b>s3://{html.escape(self._bucket)}</b> is in <b>{html.escape(region)}</b>; you are connected to "
            f"{html.escape(home or '?')}. Browsing works (S3 calls go to {html.escape(region)}), but Rekognition "
            f"must run in the bucket's region: jobs for these videos need {html.escape(region)}."
        )
        self.switchRegionButton.setText(f"Switch to {region}")
        self.regionBanner.setVisible(True)

    @Slot()
    def _request_region_switch(self) -> None:
        if self._bucket_region:
            self.regionSwitchRequested.emit(self._bucket_region)

    # ---- filters -------------------------------------------------------------------------------------

    @Slot(bool)
    def _on_videos_only(self, on: bool) -> None:
        self.proxy.set_videos_only(on)
        self._show_count(loading=self._loading)

    @Slot(str)
    def _on_name_filter(self, text: str) -> None:
        self.proxy.set_name_filter(text)
        self._show_count(loading=self._loading)

    # ---- selection -----------------------------------------------------------------------------------

    def _selected_items(self) -> list[Folder | S3Object]:
        rows = sorted({i.row() for i in self.videoBrowser.selectionModel().selectedRows()})
        return [self.proxy.item(r) for r in rows]

    def selected_videos(self) -> list[S3Object]:
        """What a job submission would use: the basket (picks in every folder, eligible videos only)."""
        return self.basket.videos()

    def _objects_in(self, selection: QItemSelection) -> list[S3Object]:
        rows = sorted({i.row() for i in selection.indexes() if i.isValid()})
        items = [self.proxy.item(r) for r in rows]
        return [i for i in items if isinstance(i, S3Object)]

    @Slot(QItemSelection, QItemSelection)
    def _on_view_selection(self, selected: QItemSelection, deselected: QItemSelection) -> None:
        if self._reselecting:
            return
        self.basket.remove(self._objects_in(deselected))
        self.basket.add(self._objects_in(selected))
        self._selection_note = ""
        self._update_selection()

    @Slot(QModelIndex, int, int)
    def _on_rows_shown(self, parent: QModelIndex, first: int, last: int) -> None:
        """Rows of a folder coming back into view: those already in the basket show as selected."""
        if not len(self.basket):
            return
        model = self.videoBrowser.selectionModel()
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        self._reselecting = True
        try:
            for row in range(first, last + 1):
                item = self.proxy.item(row)
                if isinstance(item, S3Object) and item in self.basket:
                    model.select(self.proxy.index(row, 0), flags)
        finally:
            self._reselecting = False

    def _check_new_videos(self) -> None:
        """Check, in the background, the containers of videos new to the basket: what Rekognition would refuse
        (not a readable video, not H.264, over 6 hours) is taken out with the reason before any job starts."""
        if self._browser is None:
            return
        new = [v for v in self.basket.videos() if (v.bucket, v.key, v.version_id) not in self._checked]
        if not new:
            return
        self._checked.update((v.bucket, v.key, v.version_id) for v in new)
        self._run(check_videos_job, self._browser, new, on_result=self._on_videos_checked,
                  on_error=self._on_check_error)

    @Slot(object)
    def _on_videos_checked(self, refused: list[tuple[S3Object, str]]) -> None:
        taken = [obj for obj, why in refused if self.basket.refuse(obj, why)]
        if taken:
            self._on_removed_in_review(taken)  # deselects their rows here and says what is left

    @Slot(object)
    def _on_check_error(self, message: UserMessage) -> None:
        log.warning("Checking the selected videos failed: %s", message)

    def _update_selection(self, force: bool = False) -> None:
        videos = self.selected_videos()
        self._check_new_videos()
        text = self.basket.summary()
        if self._selection_note:
            text += f" — {self._selection_note}"
        self.selectionLabel.setText(text)
        self.clearSelectionButton.setEnabled(bool(videos) or bool(self.basket.refused))
        self.reviewSelectionButton.setEnabled(bool(videos) or bool(self.basket.refused))
        if force or videos != self._last_selection:
            self._last_selection = videos
            self.selectionChanged.emit(list(videos))

    @Slot()
    def clear_selection(self) -> None:
        self.basket.clear()
        self._selection_note = ""
        self._reselecting = True
        try:
            self.videoBrowser.clearSelection()
        finally:
            self._reselecting = False
        self._update_selection()

    @Slot()
    def review_selection(self) -> None:
        from gui.qt.basket_dialog import BasketDialog  # built when asked for

        dialog = BasketDialog(self.basket, self._on_removed_in_review, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def _on_removed_in_review(self, removed: list[S3Object]) -> None:
        model = self.videoBrowser.selectionModel()
        flags = QItemSelectionModel.SelectionFlag.Deselect | QItemSelectionModel.SelectionFlag.Rows
        gone = {(o.bucket, o.key, o.version_id) for o in removed}
        self._reselecting = True
        try:
            for row in range(self.proxy.rowCount()):
                item = self.proxy.item(row)
                if isinstance(item, S3Object) and (item.bucket, item.key, item.version_id) in gone:
                    model.select(self.proxy.index(row, 0), flags)
        finally:
            self._reselecting = False
        self._update_selection()

    def select_all_visible(self) -> None:
        self.videoBrowser.selectAll()

    @Slot()
    def select_all_videos_recursive(self) -> None:
        """Add every video under the open prefix, in all subfolders (listed in the background)."""
        if self._browser is None or not self._bucket:
            return
        if self._recursive_job is not None:
            self._recursive_job.cancel()
        self._recursive_where = shown(f"s3://{self._bucket}/{self._prefix}")
        self.selectionLabel.setText(f"Finding videos under {self._recursive_where}…")
        self._recursive_job = self._run(
            recursive_videos_job,
            self._browser,
            self._bucket,
            self._prefix,
            on_result=self._on_recursive_done,
            on_error=self._on_recursive_error,
            on_progress=self._on_recursive_progress,
        )

    @Slot(object)
    def _on_recursive_progress(self, count: int) -> None:
        if self._is_current(self._recursive_job):
            self.selectionLabel.setText(f"Finding videos under {self._recursive_where}… {count:,} so far")

    @Slot(object)
    def _on_recursive_done(self, videos: list[S3Object]) -> None:
        if not self._is_current(self._recursive_job):
            return
        self._recursive_job = None
        result = self.basket.add(videos)
        self._selection_note = f"{result.added:,} added from {self._recursive_where} (recursive)"
        if result.refused:
            self._selection_note += f", {len(result.refused):,} left out"
        self._on_rows_shown(QModelIndex(), 0, self.proxy.rowCount() - 1)
        self.videoBrowser.viewport().update()
        self._update_selection(force=True)

    @Slot(object)
    def _on_recursive_error(self, message: UserMessage) -> None:
        if not self._is_current(self._recursive_job):
            return
        self._recursive_job = None
        _banner(self.browserMessage, message)
        self._update_selection(force=True)

    # ---- copy and context menu -----------------------------------------------------------------------

    def selected_uris(self) -> list[str]:
        items = self._selected_items()
        if items:
            return [i.uri for i in items]
        if self._bucket:
            return [f"s3://{self._bucket}/{self._prefix}"]
        return []

    @Slot()
    def copy_uris(self) -> None:
        uris = self.selected_uris()
        if uris:
            QGuiApplication.clipboard().setText("\n".join(uris))
            self.listingStatus.setText(f"Copied {len(uris)} URI{'s' if len(uris) != 1 else ''}.")

    @Slot(object)
    def _on_context_menu(self, pos: Any) -> None:
        index = self.videoBrowser.indexAt(pos)
        menu = QMenu(self)
        if index.isValid():
            if not self.videoBrowser.selectionModel().isRowSelected(index.row()):
                self.videoBrowser.selectionModel().select(
                    index,
                    QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
                )
            item = self.proxy.item(index.row())
            if isinstance(item, Folder):
                menu.addAction("Open", self._open_current)
        menu.addAction(self.copyUriAction)
        menu.addAction("Select all videos under this prefix (recursive)", self.select_all_videos_recursive)
        menu.addAction("Refresh", self.refresh)
        menu.exec(self.videoBrowser.viewport().mapToGlobal(pos))

    def _update_actions(self) -> None:
        has_bucket = bool(self._bucket)
        self.upButton.setEnabled(has_bucket and bool(self._prefix))
        self.selectRecursiveButton.setEnabled(has_bucket)
        self.copyUriButton.setEnabled(has_bucket)
        self.refreshButton.setEnabled(self._browser is not None)

    # ---- workers -------------------------------------------------------------------------------------

    def _run(
        self,
        fn: Any,
        *args: Any,
        on_result: Any,
        on_error: Any,
        on_progress: Any = None,
        on_finished: Any = None,
    ) -> Task:
        profile = self._conn.spec.profile if self._conn is not None else None
        return self.tasks.run(fn, *args, on_result=on_result, on_error=on_error, on_progress=on_progress,
                              on_finished=on_finished, profile=profile)

    def _is_current(self, task: Task | None) -> bool:
        """True when the signal being handled comes from ``task`` (not a cancelled, older job)."""
        return task is not None and self.sender() is task.signals and not task.cancelled

    def _cancel_listing(self) -> None:
        if self._listing is not None:
            self._listing.cancel()
            self._listing = None
        self._loading = False
        self.stopButton.setVisible(False)

    def _cancel_all(self) -> None:
        self._cancel_listing()
        for job in (self._buckets_job, self._recursive_job):
            if job is not None:
                job.cancel()
        self._buckets_job = None
        self._recursive_job = None

    def shutdown(self, wait_ms: int = 5000) -> None:
        """Cancel every listing; wait (bounded) for the workers to notice."""
        self._cancel_all()
        self.tasks.close(wait_ms / 1000.0)
