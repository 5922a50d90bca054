"""The browser keeps picks across folders in one basket, shows them again on return, and reviews them."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QItemSelectionModel

from gui.core.types import S3Object
from gui.qt.basket_dialog import BasketDialog
from gui.qt.browser_panel import BrowserPanel

DEMO = "demo-videos"
WAIT = 20_000
pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


@pytest.fixture
def browser(qtbot, sandbox_conn):
    panel = BrowserPanel()
    qtbot.addWidget(panel)
    panel.resize(700, 800)
    panel.show()
    panel.set_connection(sandbox_conn)
    qtbot.waitUntil(lambda: panel.bucketList.count() > 0, timeout=WAIT)
    yield panel
    panel.shutdown()


def open_folder(qtbot, panel, prefix):
    with qtbot.waitSignal(panel.listingFinished, timeout=WAIT):
        panel.navigate(DEMO, prefix)


def pick(panel, key_end):
    row = next(r for r in range(panel.proxy.rowCount())
               if isinstance(panel.proxy.item(r), S3Object) and panel.proxy.item(r).key.endswith(key_end))
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    panel.videoBrowser.selectionModel().select(panel.proxy.index(row, 0), flags)
    return row


def test_picks_in_two_folders_both_stay_and_show_again_on_return(qtbot, browser):
    open_folder(qtbot, browser, "family/2024/")
    row = pick(browser, "beach-walk.mp4")
    open_folder(qtbot, browser, "city/")
    pick(browser, "city-traffic.mp4")
    keys = [v.key for v in browser.selected_videos()]
    assert keys == ["family/2024/beach-walk.mp4", "city/city-traffic.mp4"]
    assert browser.selectionLabel.text().startswith("2 videos selected in 2 folders")
    open_folder(qtbot, browser, "family/2024/")
    qtbot.waitUntil(lambda: browser.videoBrowser.selectionModel().isRowSelected(row), timeout=WAIT)
    assert [v.key for v in browser.selected_videos()] == keys  # returning changed nothing


def test_unselecting_a_row_drops_only_that_video(qtbot, browser):
    open_folder(qtbot, browser, "city/")
    row = pick(browser, "city-traffic.mp4")
    open_folder(qtbot, browser, "family/2024/")
    pick(browser, "beach-walk.mp4")
    open_folder(qtbot, browser, "city/")
    qtbot.waitUntil(lambda: browser.videoBrowser.selectionModel().isRowSelected(row), timeout=WAIT)
    flags = QItemSelectionModel.SelectionFlag.Deselect | QItemSelectionModel.SelectionFlag.Rows
    browser.videoBrowser.selectionModel().select(browser.proxy.index(row, 0), flags)
    assert [v.key for v in browser.selected_videos()] == ["family/2024/beach-walk.mp4"]


def test_a_non_video_is_left_out_with_its_reason(qtbot, browser):
    open_folder(qtbot, browser, "")
    browser.videoBrowser.selectAll()
    assert all(v.is_video for v in browser.selected_videos())
    assert "left out" in browser.selectionLabel.text()
    reasons = [r for _o, r in browser.basket.refused.values()]
    assert reasons and all(r.startswith(("Not a video", "Larger than", "Empty object")) for r in reasons)


def test_review_removes_videos_and_deselects_their_rows(qtbot, browser):
    open_folder(qtbot, browser, "city/")
    row = pick(browser, "city-traffic.mp4")
    open_folder(qtbot, browser, "family/2024/")
    pick(browser, "beach-walk.mp4")
    dialog = BasketDialog(browser.basket, browser._on_removed_in_review, browser)
    qtbot.addWidget(dialog)
    assert dialog.videos.count() == 2
    dialog.videos.item(1).setSelected(True)  # beach-walk, in the open folder
    dialog.remove_selected()
    assert [v.key for v in browser.selected_videos()] == ["city/city-traffic.mp4"]
    assert dialog.videos.count() == 1
    assert not browser.videoBrowser.selectionModel().hasSelection()
    open_folder(qtbot, browser, "city/")
    qtbot.waitUntil(lambda: browser.videoBrowser.selectionModel().isRowSelected(row), timeout=WAIT)


def test_clear_empties_the_basket_in_every_folder(qtbot, browser):
    open_folder(qtbot, browser, "city/")
    pick(browser, "city-traffic.mp4")
    open_folder(qtbot, browser, "family/2024/")
    with qtbot.waitSignal(browser.selectionChanged, timeout=WAIT) as cleared:
        browser.clear_selection()
    assert cleared.args[0] == [] and browser.selected_videos() == []
    assert browser.selectionLabel.text() == "No videos selected"


def test_a_recursive_pick_leaves_out_what_is_not_a_readable_video(qtbot, browser):
    """The demo's text file named .mp4 and its truncated upload are found before any job is started."""
    open_folder(qtbot, browser, "incoming/")
    with qtbot.waitSignal(browser.selectionChanged, timeout=WAIT):
        browser.select_all_videos_recursive()
    bad = {"incoming/not-really-a-video.mp4", "incoming/truncated-upload.mp4"}
    qtbot.waitUntil(lambda: bad <= {o.key for o, _ in browser.basket.refused.values()}, timeout=WAIT)
    assert not bad & {v.key for v in browser.selected_videos()}
    reasons = {o.key: why for o, why in browser.basket.refused.values()}
    assert all(reasons[k].startswith("Not a video Rekognition can read") for k in bad)
    assert "left out" in browser.selectionLabel.text()


def test_good_videos_pass_the_check(qtbot, browser):
    open_folder(qtbot, browser, "city/")
    pick(browser, "city-traffic.mp4")
    qtbot.wait(1500)  # the check runs in the background
    assert [v.key for v in browser.selected_videos()] == ["city/city-traffic.mp4"]
    assert not browser.basket.refused
