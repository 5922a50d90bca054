"""The browser panel and its model with pytest-qt, against the sandbox over real HTTP."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from browse_helpers import connect_to, iam_enforced, raw_folder, record_calls
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QToolButton

from gui.core.connection import Connection
from gui.core.s3browse import Folder
from gui.core.types import MAX_VIDEO_BYTES, VIDEO_EXTENSIONS, ConnectionSpec, S3Object
from gui.qt.browser_model import NAME, SIZE, BrowserModel, BrowserProxy, ItemRole, KindRole
from gui.qt.browser_panel import BrowserPanel, typed_prefix

DEMO = "demo-videos"
WAIT = 20_000

# The offscreen platform plugin warns whenever a shown top-level widget's size constraints change;
# it is about the test platform, not the app.
pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


@pytest.fixture
def browser(qtbot):
    panel = BrowserPanel()
    qtbot.addWidget(panel)
    panel.resize(700, 800)
    panel.show()
    yield panel
    panel.shutdown()


def connect(qtbot, panel: BrowserPanel, conn: Connection) -> None:
    panel.set_connection(conn)
    qtbot.waitUntil(lambda: panel.bucketList.count() > 0, timeout=WAIT)


def open_folder(qtbot, panel: BrowserPanel, bucket: str, prefix: str = "") -> None:
    with qtbot.waitSignal(panel.listingFinished, timeout=WAIT):
        panel.navigate(bucket, prefix)


def shown_rows(panel: BrowserPanel) -> list:
    return [panel.proxy.item(r) for r in range(panel.proxy.rowCount())]


def proxy_row_of(panel: BrowserPanel, predicate) -> int:
    return next(r for r in range(panel.proxy.rowCount()) if predicate(panel.proxy.item(r)))


def test_demo_bucket_click_double_click_breadcrumb_and_up(qtbot, browser, sandbox, sandbox_conn, boto_client):
    s3 = boto_client("s3")
    s3_client = sandbox_conn.client("s3")
    lists = record_calls(s3_client, "ListObjectsV2")
    lists += record_calls(s3_client, "ListBuckets")
    lists += record_calls(s3_client, "HeadBucket")
    connect(qtbot, browser, sandbox_conn)
    item = browser.bucketList.findItems(DEMO, Qt.MatchFlag.MatchExactly)[0]
    with qtbot.waitSignal(browser.listingFinished, timeout=WAIT):
        qtbot.mouseClick(
            browser.bucketList.viewport(), Qt.MouseButton.LeftButton, pos=browser.bucketList.visualItemRect(item).center()
        )
    folders, keys = raw_folder(s3, DEMO, "")
    rows = shown_rows(browser)
    assert {r.prefix for r in rows if isinstance(r, Folder)} == folders
    assert {r.key for r in rows if isinstance(r, S3Object)} == keys
    assert all(isinstance(r, Folder) for r in rows[: len(folders)])  # folders first

    # double-click a folder that has subfolders
    target = next(f for f in sorted(folders) if raw_folder(s3, DEMO, f)[0])
    row = proxy_row_of(browser, lambda r: isinstance(r, Folder) and r.prefix == target)
    rect = browser.videoBrowser.visualRect(browser.proxy.index(row, NAME))
    with qtbot.waitSignal(browser.listingFinished, timeout=WAIT):
        # a real double-click: press/release, then the double-click event on the same row
        qtbot.mouseClick(browser.videoBrowser.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(browser.videoBrowser.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert browser.location() == (DEMO, target)
    sub_folders, sub_keys = raw_folder(s3, DEMO, target)
    rows = shown_rows(browser)
    assert {r.prefix for r in rows if isinstance(r, Folder)} == sub_folders
    assert {r.key for r in rows if isinstance(r, S3Object)} == sub_keys

    # one level deeper, then back with the breadcrumb and with Up
    deeper = sorted(sub_folders)[0]
    open_folder(qtbot, browser, DEMO, deeper)
    crumbs = [b for b in browser.breadcrumbBar.findChildren(QToolButton) if b.isVisible()]
    assert [b.text() for b in crumbs] == [f"s3://{DEMO}", *deeper.rstrip("/").split("/")]
    with qtbot.waitSignal(browser.listingFinished, timeout=WAIT):
        qtbot.mouseClick(crumbs[1], Qt.MouseButton.LeftButton)
    assert browser.location() == (DEMO, target)
    with qtbot.waitSignal(browser.listingFinished, timeout=WAIT):
        qtbot.mouseClick(browser.upButton, Qt.MouseButton.LeftButton)
    assert browser.location() == (DEMO, "")
    assert not browser.upButton.isEnabled()
    assert len(lists) >= 5 and not any(call["main"] for call in lists), "an S3 call ran on the GUI thread"


def test_videos_only_selection_and_copy_uri(qtbot, browser, sandbox, sandbox_conn, boto_client):
    connect(qtbot, browser, sandbox_conn)
    open_folder(qtbot, browser, DEMO, "")
    non_videos = [r for r in shown_rows(browser) if isinstance(r, S3Object) and not r.is_video]
    assert non_videos, "the demo bucket's root has a non-video object"
    browser.videosOnlyCheck.setChecked(True)
    rows = shown_rows(browser)
    assert not any(isinstance(r, S3Object) and not r.is_video for r in rows)
    assert sum(isinstance(r, Folder) for r in rows) == browser.model.folder_count()  # folders stay
    assert "hidden by the filters" in browser.listingStatus.text()
    browser.videosOnlyCheck.setChecked(False)

    # a folder with videos: select everything; only the eligible videos count
    s3 = boto_client("s3")
    prefix = next(f for f in sorted(raw_folder(s3, DEMO, "")[0]) if any(
        k.endswith(VIDEO_EXTENSIONS) for k in raw_folder(s3, DEMO, f)[1]))
    open_folder(qtbot, browser, DEMO, prefix)
    with qtbot.waitSignal(browser.selectionChanged, timeout=WAIT) as blocker:
        browser.videoBrowser.selectAll()
    expected = sorted(k for k in raw_folder(s3, DEMO, prefix)[1] if k.endswith(VIDEO_EXTENSIONS))
    assert sorted(o.key for o in blocker.args[0]) == expected
    assert sorted(o.key for o in browser.selected_videos()) == expected
    assert "selected" in browser.selectionLabel.text()

    row = proxy_row_of(browser, lambda r: isinstance(r, S3Object))
    browser.videoBrowser.selectRow(row)
    qtbot.mouseClick(browser.copyUriButton, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == browser.proxy.item(row).uri


def test_select_all_videos_under_prefix_recursively(qtbot, browser, sandbox, sandbox_conn, boto_client):
    s3 = boto_client("s3")
    expected = sorted(
        o["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=DEMO)
        for o in page.get("Contents", [])
        if o["Key"].lower().endswith(VIDEO_EXTENSIONS)
    )
    connect(qtbot, browser, sandbox_conn)
    open_folder(qtbot, browser, DEMO, "")
    with qtbot.waitSignal(browser.selectionChanged, timeout=WAIT) as blocker:
        qtbot.mouseClick(browser.selectRecursiveButton, Qt.MouseButton.LeftButton)
    assert sorted(o.key for o in blocker.args[0]) == expected
    assert "(recursive)" in browser.selectionLabel.text()
    with qtbot.waitSignal(browser.selectionChanged, timeout=WAIT) as cleared:
        qtbot.mouseClick(browser.clearSelectionButton, Qt.MouseButton.LeftButton)
    assert cleared.args[0] == [] and browser.selected_videos() == []


def test_thousands_of_objects_show_early_and_sort_while_growing(qtbot, browser, make_sandbox):
    sb = make_sandbox()
    count = 3000
    sb.fill_prefix("big", "many/", count, size=8, video_ratio=0.5)
    sb.put_object("big", "many/sub/inner.mp4", b"x")
    conn = connect_to(sb)
    connect(qtbot, browser, conn)
    first_sizes: list[int] = []
    browser.model.rowsAppended.connect(first_sizes.append)
    with qtbot.waitSignal(browser.listingFinished, timeout=WAIT):
        browser.navigate("big", "many/")
        qtbot.waitUntil(lambda: browser.model.rowCount() > 0, timeout=WAIT)
        assert browser.model.rowCount() < count + 1  # visible before the listing completed
        browser.videoBrowser.sortByColumn(NAME, Qt.SortOrder.DescendingOrder)  # sort while it grows
    assert browser.model.rowCount() == count + 1
    assert first_sizes[0] < count
    names = [browser.proxy.item(r) for r in range(browser.proxy.rowCount())]
    assert isinstance(names[0], Folder)  # folders first, even in descending order
    keys = [o.name for o in names[1:]]
    assert keys == sorted(keys, key=str.casefold, reverse=True)
    assert f"{count:,} objects" in browser.listingStatus.text()
    assert not browser.stopButton.isVisible()


def test_navigating_away_cancels_the_listing_in_flight(qtbot, browser, make_sandbox):
    sb = make_sandbox()
    sb.fill_prefix("big", "huge/", 8000, size=8)
    sb.put_object("big", "small/only.mp4", b"x")
    conn = connect_to(sb)
    calls = record_calls(conn.client("s3"), "ListObjectsV2")
    connect(qtbot, browser, conn)
    browser.navigate("big", "huge/")
    qtbot.waitUntil(lambda: browser.model.rowCount() > 0, timeout=WAIT)
    assert browser.is_loading()
    open_folder(qtbot, browser, "big", "small/")
    qtbot.wait(600)  # pages of the old listing, had they kept coming, would have arrived by now
    assert [r.key for r in shown_rows(browser)] == ["small/only.mp4"]
    assert browser.tasks.wait(WAIT / 1000)
    huge_calls = [c for c in calls if "prefix=huge" in c["url"]]
    assert 1 <= len(huge_calls) < 8  # stopped long before the 8 pages


def test_stop_keeps_what_was_listed(qtbot, browser, make_sandbox):
    sb = make_sandbox()
    sb.fill_prefix("big", "huge/", 8000, size=8)
    connect(qtbot, browser, connect_to(sb))
    with qtbot.waitSignal(browser.listingFinished, timeout=WAIT):
        browser.navigate("big", "huge/")
        qtbot.waitUntil(lambda: browser.model.rowCount() > 0, timeout=WAIT)
        qtbot.mouseClick(browser.stopButton, Qt.MouseButton.LeftButton)
    listed = browser.model.rowCount()
    assert 0 < listed < 8000
    assert "stopped" in browser.listingStatus.text()
    assert not browser.is_loading() and not browser.stopButton.isVisible()


def test_bucket_in_another_region(qtbot, browser, make_sandbox):
    sb = make_sandbox()
    sb.create_bucket("eu-clips", region="eu-west-1")
    sb.put_object("eu-clips", "clip.mp4", b"x")
    conn = connect_to(sb)
    home = record_calls(conn.client("s3"), "ListObjectsV2")
    eu = record_calls(conn.client("s3", "eu-west-1"), "ListObjectsV2")
    connect(qtbot, browser, conn)
    open_folder(qtbot, browser, "eu-clips")
    assert [r.key for r in shown_rows(browser)] == ["clip.mp4"]
    assert home == [] and {c["region"] for c in eu} == {"eu-west-1"}
    assert browser.regionBanner.isVisible()
    text = browser.regionLabel.text()
    assert "eu-west-1" in text and "Rekognition must run in the bucket's region" in text
    assert browser.bucket_region() == "eu-west-1"
    with qtbot.waitSignal(browser.regionSwitchRequested, timeout=WAIT) as blocker:
        qtbot.mouseClick(browser.switchRegionButton, Qt.MouseButton.LeftButton)
    assert blocker.args == ["eu-west-1"]

    # the main window wires the switch to ConnectionPanel.set_region; a connection in the bucket's region
    # reopens the same folder without the notice
    with qtbot.waitSignal(browser.listingFinished, timeout=WAIT):
        browser.set_connection(conn.with_region("eu-west-1"))
    assert browser.location() == ("eu-clips", "")
    assert not browser.regionBanner.isVisible()


def test_unusual_keys_navigate_and_select(qtbot, browser, make_sandbox):
    sb = make_sandbox()
    keys = ["with space/my clip.mp4", "unicodé/vidéo ü 日本.mov", "plus+sign/a+b.mp4", "top+level file.m4v"]
    sb.create_bucket("odd")
    for key in keys:
        sb.put_object("odd", key, b"abc")
    connect(qtbot, browser, connect_to(sb))
    open_folder(qtbot, browser, "odd")
    folders = {r.prefix for r in shown_rows(browser) if isinstance(r, Folder)}
    assert folders == {"with space/", "unicodé/", "plus+sign/"}
    for folder in sorted(folders):
        row = proxy_row_of(browser, lambda r, f=folder: isinstance(r, Folder) and r.prefix == f)
        assert browser.proxy.data(browser.proxy.index(row, NAME)) == folder
        open_folder(qtbot, browser, "odd", folder)
        [obj] = shown_rows(browser)
        assert obj.key in keys and obj.key.startswith(folder)
        assert browser.proxy.data(browser.proxy.index(0, NAME)) == obj.key[len(folder):]
        open_folder(qtbot, browser, "odd", "")
    with qtbot.waitSignal(browser.selectionChanged, timeout=WAIT) as blocker:
        browser.select_all_videos_recursive()
    assert sorted(o.key for o in blocker.args[0]) == sorted(keys)


def test_empty_bucket_says_so(qtbot, browser, make_sandbox):
    sb = make_sandbox()
    sb.create_bucket("nothing-here")
    connect(qtbot, browser, connect_to(sb))
    open_folder(qtbot, browser, "nothing-here")
    assert browser.model.rowCount() == 0
    assert browser.listingStatus.text() == "This bucket is empty."
    assert not browser.browserMessage.isVisible()


def test_no_listbucket_permission_gives_a_clear_message(qtbot, browser, limited_user):
    sb, key_id, secret = limited_user(["s3:ListAllMyBuckets", "s3:GetBucketLocation", "sts:GetCallerIdentity"])
    conn = Connection(
        ConnectionSpec(source="access_key", access_key_id=key_id, endpoint_url=sb.endpoint_url),
        secret_access_key=secret,
    )
    with iam_enforced(sb):
        connect(qtbot, browser, conn)
        open_folder(qtbot, browser, DEMO)
        assert browser.browserMessage.isVisible()  # the folder listing was refused
        assert not browser.is_loading() and not browser.stopButton.isVisible()
        # The recursive search uses a plain ListObjectsV2, which moto authorises (and refuses) faithfully.
        with qtbot.waitSignal(browser.selectionChanged, timeout=WAIT):
            browser.select_all_videos_recursive()
    text = browser.browserMessage.text()
    assert "Access denied" in text and "s3:ListBucket" in text
    assert browser.selected_videos() == []


def test_bucket_filter_and_typed_location(qtbot, browser, make_sandbox):
    sb = make_sandbox()
    for name in ("alpha-media", "beta-media", "gamma-logs"):
        sb.create_bucket(name)
    sb.put_object("gamma-logs", "deep/er/x.mp4", b"x")
    connect(qtbot, browser, connect_to(sb))
    qtbot.keyClicks(browser.browserFilterEdit, "media")
    visible = [browser.bucketList.item(i).text() for i in range(browser.bucketList.count())
               if not browser.bucketList.item(i).isHidden()]
    assert visible == ["alpha-media", "beta-media"]
    browser.locationEdit.setText("s3://gamma-logs/deep/er/x.mp4")
    with qtbot.waitSignal(browser.listingFinished, timeout=WAIT):
        qtbot.keyClick(browser.locationEdit, Qt.Key.Key_Return)
    assert browser.location() == ("gamma-logs", "deep/er/")
    assert typed_prefix("a/b") == "a/b/" and typed_prefix("") == ""


def test_set_connection_none_and_shutdown_leave_nothing_running(qtbot, browser, make_sandbox):
    sb = make_sandbox()
    sb.fill_prefix("big", "huge/", 6000, size=8)
    connect(qtbot, browser, connect_to(sb))
    browser.navigate("big", "huge/")
    qtbot.waitUntil(lambda: browser.model.rowCount() > 0, timeout=WAIT)
    browser.set_connection(None)
    assert browser.bucketList.count() == 0 and browser.model.rowCount() == 0
    assert "Not connected" in browser.bucketMessage.text()
    browser.shutdown()
    assert browser.tasks.running() == 0 and browser.tasks.pool.activeThreadCount() == 0


# ---- the model on its own ---------------------------------------------------------------------------


def _sample_rows() -> tuple[list[Folder], list[S3Object]]:
    when = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    folders = [Folder("b", "zeta/"), Folder("b", "Alpha/")]
    objects = [
        S3Object("b", "clip.mp4", 5 * 1024**2, when, "e1"),
        S3Object("b", "huge.mov", MAX_VIDEO_BYTES + 1, when, "e2"),
        S3Object("b", "notes.txt", 10, when, "e3"),
        S3Object("b", "b+roll é.m4v", 1, None, None),
    ]
    return folders, objects


def test_model_passes_qt_model_tester(qtmodeltester):
    model = BrowserModel()
    folders, objects = _sample_rows()
    model.enqueue(folders[:1], objects[:2])
    model.flush_all()
    qtmodeltester.check(model)
    model.enqueue(folders[1:], objects[2:])
    model.flush_all()
    qtmodeltester.check(model)
    proxy = BrowserProxy(model)
    proxy.sort(SIZE, Qt.SortOrder.DescendingOrder)
    qtmodeltester.check(proxy)


def test_model_marks_videos_dims_others_and_flags_too_large():
    model = BrowserModel()
    folders, objects = _sample_rows()
    model.enqueue(folders, objects)
    model.flush_all()
    kinds = [model.data(model.index(r, NAME), KindRole) for r in range(model.rowCount())]
    assert kinds == ["folder", "folder", "video", "too-large", "other", "video"]
    huge = model.index(3, NAME)
    assert "10 GB" in model.data(huge, Qt.ItemDataRole.ToolTipRole)
    assert "too large" in model.data(model.index(3, 3))
    assert model.data(model.index(2, NAME), Qt.ItemDataRole.FontRole).bold()
    assert model.data(model.index(4, NAME), Qt.ItemDataRole.ForegroundRole) is not None  # dimmed
    assert model.data(model.index(2, SIZE)) == "5.0 MB"
    assert model.data(model.index(0, NAME), ItemRole) == folders[0]
    assert model.total_videos() == 3 and model.video_count() == 3


def test_proxy_keeps_folders_first_in_both_orders():
    model = BrowserModel()
    folders, objects = _sample_rows()
    model.enqueue(folders, objects)
    model.flush_all()
    proxy = BrowserProxy(model)
    for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
        proxy.sort(SIZE, order)
        items = [proxy.item(r) for r in range(proxy.rowCount())]
        assert all(isinstance(i, Folder) for i in items[:2])
        sizes = [i.size for i in items[2:]]
        assert sizes == sorted(sizes, reverse=order == Qt.SortOrder.DescendingOrder)
    proxy.sort(NAME, Qt.SortOrder.AscendingOrder)
    assert [proxy.item(r).name for r in range(2)] == ["Alpha", "zeta"]
    proxy.set_name_filter("CLIP")
    assert [proxy.item(r).key for r in range(proxy.rowCount())] == ["clip.mp4"]


def test_model_inserts_in_chunks_and_clear_drops_pending(qtbot):
    model = BrowserModel()
    inserted: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda parent, first, last: inserted.append((first, last)))
    objects = [S3Object("b", f"k{i:05d}.mp4", i) for i in range(12_000)]
    with qtbot.waitSignal(model.drained, timeout=WAIT):
        model.enqueue([], objects)
        assert 0 < model.rowCount() < len(objects)  # the first chunk at once, the rest later
    assert model.rowCount() == len(objects)
    assert len(inserted) > 1 and all(last - first < 5000 for first, last in inserted)
    model.enqueue([], objects[:5000])
    model.clear()
    assert model.rowCount() == 0 and model.pending == 0
    assert model.index(0, 0, QModelIndex()).isValid() is False
