"""Hostile S3 keys, folder and preset names are shown as what they are, never rendered as HTML, with
control and bidi characters visible: browser table and tooltips, breadcrumb, selection line, job list
cells and tooltips, the Start confirmation, the status bar, the results window's title, the presets'
message bar and confirmation box.

What the user sees is computed the way Qt decides it: a string shown in an AutoText place (tooltips,
labels, message boxes) is rendered as HTML when ``Qt.mightBeRichText`` says so.
"""

from __future__ import annotations

import json

import pytest
from hostile import ALL_NAMES, HTML_NAMES, seed_jobs
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QMessageBox, QPushButton, QToolButton
from qt_render import rendered, shows

from gui.core.connection import Connection
from gui.core.jobstates import JobStatus
from gui.core.paths import resolve_paths
from gui.core.poller import PollPolicy
from gui.core.safetext import visible
from gui.core.submitter import SubmitPolicy
from gui.core.types import ConnectionSpec, JobSettings, S3Object
from gui.qt.browser_model import NAME
from gui.qt.browser_panel import BrowserPanel
from gui.qt.filter_panel import FilterPanel
from gui.qt.job_model import JOB_ID, PRESET, STATUS, VIDEO, job_details
from gui.qt.jobs_panel import JobsPanel
from gui.qt.presets_bar import PresetDialogs

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

WAIT = 30_000
BUCKET = "hostile-videos"
# Keys without "/" after the prefix stay files; "<b>dir</b>/clip.mp4" makes a folder named "<b>dir<"
# (an unclosed "</" in every tooltip that names it).
FILE_NAMES = ("<font size=7 color=red>APPROVED.mp4", "&lt;x&gt;.mp4", "clip\u202egnp.mp4")
FOLDER_KEY = "in/<b>dir</b>/clip.mp4"
HOSTILE_PRESET = "<font size=7 color=red>APPROVED"


@pytest.fixture
def hostile_sandbox(make_sandbox):
    sb = make_sandbox(seed_demo=True, job_seconds=0.3)
    conn = Connection(ConnectionSpec(source="env", region="us-east-1", endpoint_url=sb.endpoint_url))
    s3 = conn.client("s3")
    body = s3.get_object(Bucket="demo-videos", Key="family/2024/birthday-party.mp4")["Body"].read()
    s3.create_bucket(Bucket=BUCKET)
    for key in [f"in/{n}" for n in FILE_NAMES] + [FOLDER_KEY]:
        s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    return sb, conn


def test_browser_shows_hostile_keys_and_folders_as_text(qtbot, hostile_sandbox):
    sb, conn = hostile_sandbox
    browser = BrowserPanel()
    qtbot.addWidget(browser)
    browser.set_connection(conn)
    with qtbot.waitSignal(browser.listingFinished, timeout=WAIT):
        browser.navigate(BUCKET, "in/")
    model = browser.model
    seen_uris = []
    for row in range(model.rowCount()):
        item = model.item(row)
        seen_uris.append(item.uri)
        tip = model.data(model.index(row, NAME), Qt.ItemDataRole.ToolTipRole)
        assert shows(tip, item.uri), (item.uri, tip, rendered(tip))
        name = model.data(model.index(row, NAME), Qt.ItemDataRole.DisplayRole)
        assert "\u202e" not in name
    assert {f"s3://{BUCKET}/in/{n}" for n in FILE_NAMES} <= set(seen_uris)
    assert f"s3://{BUCKET}/in/<b>dir</" in seen_uris

    with qtbot.waitSignal(browser.listingFinished, timeout=WAIT):
        browser.navigate(BUCKET, "in/<b>dir</")
    crumbs = [b for b in browser.breadcrumbBar.findChildren(QToolButton) if b.property("prefix") is not None]
    assert any(b.text() == "<b>dir<" for b in crumbs)
    for button in crumbs:
        assert shows(button.toolTip(), f"s3://{BUCKET}/{button.property('prefix')}"), button.toolTip()
    with qtbot.waitSignal(browser.selectionChanged, timeout=WAIT):
        browser.select_all_videos_recursive()
    label = browser.selectionLabel
    assert shows(label.text(), f"s3://{BUCKET}/in/<b>dir</", label.textFormat()), label.text()

    # the review dialog of the selection basket lists every picked video
    from gui.qt.basket_dialog import BasketDialog

    browser.basket.add([S3Object(BUCKET, f"in/{n}", 1000) for n in FILE_NAMES])
    dialog = BasketDialog(browser.basket, lambda removed: None, browser)
    qtbot.addWidget(dialog)
    items = [dialog.videos.item(i) for i in range(dialog.videos.count())]
    for n in FILE_NAMES:
        uri = f"s3://{BUCKET}/in/{n}"
        assert any(i.text() == visible(uri) and shows(i.toolTip(), uri) for i in items), (uri, [i.text() for i in items])


def test_job_list_confirmation_status_bar_and_results_title(qtbot, hostile_sandbox, tmp_path):
    sb, conn = hostile_sandbox
    paths = resolve_paths(tmp_path / "app").ensure()
    seeded = seed_jobs(paths.jobs_db, names=ALL_NAMES, preset=HOSTILE_PRESET)
    window = QMainWindow()
    qtbot.addWidget(window)
    panel = JobsPanel(paths, submit_policy=SubmitPolicy(max_active=5, backoff_base=0.05, backoff_max=0.4,
                                                        limit_wait=0.2, idle_wait=0.1),
                      poll_policy=PollPolicy(first_delay=0.1, max_interval=0.3, min_gap=0.0, idle_wait=0.1))
    window.setCentralWidget(panel)
    window.show()
    try:
        qtbot.waitUntil(lambda: panel.model.rowCount() >= len(seeded), timeout=WAIT)
        model = panel.model
        for row in range(model.rowCount()):
            r = model.record(row)
            display = model.data(model.index(row, VIDEO), Qt.ItemDataRole.DisplayRole)
            assert display == visible(r.video_uri) and "\n" not in display
            assert model.data(model.index(row, PRESET), Qt.ItemDataRole.DisplayRole) == visible(HOSTILE_PRESET)
            for col, expected in ((VIDEO, r.video_uri), (STATUS, r.status_message or "")):
                tip = model.data(model.index(row, col), Qt.ItemDataRole.ToolTipRole)
                assert shows(tip, expected), (col, tip, rendered(tip))
            if r.job_id:
                assert shows(model.data(model.index(row, JOB_ID), Qt.ItemDataRole.ToolTipRole), r.job_id)
            details = job_details(r, 1)  # the line under the list for the selected job
            assert details.count("\n") == 1 and shows(details, r.video_uri, Qt.TextFormat.PlainText)
        assert panel.details.textFormat() == Qt.TextFormat.PlainText

        # Start: the confirmation names the preset and the JobTag, as text
        panel.set_connection(conn)
        qtbot.waitUntil(lambda: panel.engine is not None, timeout=WAIT)
        video = S3Object(BUCKET, "in/clip\u202egnp.mp4")
        panel.set_sources(lambda: [video], lambda: JobSettings(job_tag="tag"), lambda: HOSTILE_PRESET, list)
        qtbot.mouseClick(panel.submitButton, Qt.MouseButton.LeftButton)
        box = None

        def confirmation() -> bool:
            nonlocal box
            box = panel.findChild(QMessageBox, "submitConfirmation")
            return box is not None and box.isVisible()

        qtbot.waitUntil(confirmation, timeout=WAIT)
        assert shows(box.text(), f"preset “{HOSTILE_PRESET}”", box.textFormat()), rendered(box.text())
        assert "Start label detection on 1 video" in rendered(box.text(), box.textFormat())
        qtbot.mouseClick(box.findChild(QPushButton, "confirmSubmitButton"), Qt.MouseButton.LeftButton)

        def ended():
            return [r for r in panel.model.records() if r.bucket == BUCKET and r.status is JobStatus.SUCCEEDED]

        qtbot.waitUntil(lambda: bool(ended()), timeout=WAIT)
        qtbot.waitUntil(lambda: "clip" in window.statusBar().currentMessage(), timeout=WAIT)
        status = window.statusBar().currentMessage()
        assert visible(video.uri) in status and "\u202e" not in status

        panel.open_results(ended()[0])  # the window opens once the results store is open
        qtbot.waitUntil(lambda: bool(panel.results.windows), timeout=WAIT)
        results = panel.results.windows[-1]
        qtbot.waitUntil(lambda: "clip" in results.windowTitle(), timeout=WAIT)
        assert "\u202e" not in results.windowTitle() and visible(video.uri) in results.windowTitle()
        title = results.view.titleLabel
        assert shows(title.text(), video.uri, title.textFormat())
        results.close()
    finally:
        panel.shutdown()


class ImportDialogs:
    def __init__(self, path) -> None:
        self.path = path

    def open_path(self, parent):
        return self.path

    def confirm(self, parent, title, text):
        return False

    def ask_text(self, parent, title, prompt, default=""):
        return None

    def save_path(self, parent, suggested):
        return None


def test_preset_names_in_the_message_bar_and_the_confirmation_box(qtbot, tmp_path):
    paths = resolve_paths(tmp_path / "app").ensure()
    shared = tmp_path / "shared.json"
    shared.write_text(json.dumps({"schema_version": 2, "name": HOSTILE_PRESET, "settings": {"MinConfidence": 60}}),
                      encoding="utf-8")
    panel = FilterPanel(paths, dialogs=ImportDialogs(shared))  # type: ignore[arg-type]
    qtbot.addWidget(panel)
    qtbot.waitUntil(panel.is_loaded, timeout=WAIT)
    panel.presets_bar.import_preset()
    label = panel.message_bar.label
    assert shows(label.text(), f"Imported '{HOSTILE_PRESET}'", label.textFormat()), label.text()
    assert panel.presets_bar.combo.currentText() == HOSTILE_PRESET

    # The real question box (the one PresetDialogs shows): its text is plain.
    asked: list[tuple[str, Qt.TextFormat]] = []

    def answer() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, answer)
            return
        asked.append((box.text(), box.textFormat()))
        box.button(QMessageBox.StandardButton.No).click()

    for name in HTML_NAMES:
        asked.clear()
        QTimer.singleShot(0, answer)
        assert PresetDialogs().confirm(panel, "Delete preset", f"Delete the preset '{name}'?") is False
        text, fmt = asked[0]
        assert shows(text, f"Delete the preset '{name}'?", fmt), (text, fmt)


def test_every_label_in_the_panels_is_checked():
    """Control for the checks above: a rich-text label showing a hostile name is caught."""
    label_text = f"Imported '{HTML_NAMES[0]}'"
    assert not shows(label_text, label_text, QLabel().textFormat())
    assert not shows(f"s3://b/{HTML_NAMES[1]}\n12 bytes", f"s3://b/{HTML_NAMES[1]}")
    assert not shows("clip\u202egnp.mp4", "clip\u202egnp.mp4", Qt.TextFormat.PlainText)
