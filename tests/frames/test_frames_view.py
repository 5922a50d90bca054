"""The frame view in the results window (pytest-qt, sandbox over HTTP): the frame of the selected
detection, summary row or timeline time, its pixels against an independent decode, the keys, playback,
the timeline cursor, thumbnails, and a one-line reason for each refusal while the tables keep working."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pytest
from frames_support import (
    TEST_BUCKET,
    Factory,
    client,
    make_video,
    mean_abs_diff,
    reference_at,
    start_and_wait,
)
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QImage

from gui.core.jobstore import JobStore, Scope, new_job
from gui.core.results_fetch import fetch_and_store
from gui.core.results_store import ResultsStore
from gui.core.types import JobSettings
from gui.qt.frame_view import frames_pool
from gui.qt.results_window import ResultsView

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

SIZE = (320, 192)
SCRIPT = [
    {"Timestamp": 1000, "Label": {"Name": "Car", "Confidence": 91.2, "Instances": [
        {"BoundingBox": {"Left": 0.25, "Top": 0.25, "Width": 0.5, "Height": 0.5}, "Confidence": 90.0}]}},
    {"Timestamp": 1500, "Label": {"Name": "Tree", "Confidence": 88.0}},
    {"Timestamp": 2000, "Label": {"Name": "Car", "Confidence": 97.5, "Instances": [
        {"BoundingBox": {"Left": 0.1, "Top": 0.3, "Width": 0.3, "Height": 0.3}, "Confidence": 96.0}]}},
    {"Timestamp": 2000, "Label": {"Name": "Dog", "Confidence": 80.0, "Instances": [
        {"BoundingBox": {"Left": 0.6, "Top": 0.5, "Width": 0.3, "Height": 0.4}, "Confidence": 79.0}]}},
    {"Timestamp": 3000, "Label": {"Name": "Car", "Confidence": 60.0, "Instances": []}},
]


def to_array(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    width, height, line = image.width(), image.height(), image.bytesPerLine()
    raw = np.frombuffer(image.constBits(), dtype=np.uint8, count=line * height).reshape(height, line)
    return raw[:, : width * 3].reshape(height, width, 3).copy()


_OPEN: list[ResultsView] = []


@pytest.fixture
def pools():
    """Every view a test opened is shut down at its end: no task is left running."""
    yield
    views, _OPEN[:] = list(_OPEN), []
    for view in views:
        assert view.shutdown(20.0), "background work still running"
    assert frames_pool().waitForDone(20_000)


class Job:
    """A finished, fetched job on a video of ours, and its JobRecord (submitted now)."""

    def __init__(self, sb: Any, tmp_path: Any, key: str, body: bytes, script: list[dict[str, Any]] | None = None):
        self.key, self.body = key, body
        s3 = client(sb, "s3")
        s3.put_object(Bucket=TEST_BUCKET, Key=key, Body=body)
        if script is not None:
            sb.set_detection_script(TEST_BUCKET, key, script)
        jobs = JobStore(tmp_path / "jobs.sqlite3")
        self.record = jobs.add_jobs([new_job(TEST_BUCKET, key, JobSettings(), Scope("123456789012", "us-east-1"),
                                             size=len(body))])[0]
        jobs.close()
        rekognition = client(sb, "rekognition")
        self.job_id = start_and_wait(rekognition, TEST_BUCKET, key)
        self.store = ResultsStore(tmp_path / "results.sqlite3")
        fetch_and_store(rekognition, self.job_id, self.store)


def open_view(qtbot, sb, job: Job, *, record: bool = True, factory: Any = None) -> ResultsView:
    view = ResultsView(job.store, job.job_id, video_uri=f"s3://{TEST_BUCKET}/{job.key}",
                       client_factory=factory or Factory(sb), record=job.record if record else None)
    qtbot.addWidget(view)
    _OPEN.append(view)
    view.resize(1280, 800)
    view.show()
    with qtbot.waitSignal(view.loaded, timeout=10_000):
        view.start()
    qtbot.waitUntil(lambda: view.detectionsModel.rowCount() > 0 and view.detectionsModel.detection(0) is not None,
                    timeout=10_000)
    return view


def detection_row(view: ResultsView, label: str, ms: int) -> int:
    model = view.detectionsModel
    for row in range(model.rowCount()):
        d = model.detection(row)
        if d is not None and d.label == label and d.timestamp_ms == ms:
            return row
    raise AssertionError(f"no {label} at {ms}")


def wait_time(qtbot, view: ResultsView, text: str) -> None:
    frame = view.frameView
    qtbot.waitUntil(lambda: frame.timeLabel.text() == text and not frame.busy and frame.shown() is not None
                    and frame.messageLabel.text() != "", timeout=10_000)


@pytest.fixture
def scripted(sb, tmp_path):
    job = Job(sb, tmp_path, f"view/scripted-{tmp_path.name}.mp4", make_video(seconds=4, size=SIZE), SCRIPT)
    yield job
    job.store.close()


def test_selecting_a_detection_shows_its_frame_with_boxes(qtbot, sb, scripted, pools):
    view = open_view(qtbot, sb, scripted)
    frame = view.frameView
    assert frame.objectName() == "frameView" and frame.timeLabel.objectName() == "frameTime"
    view.detectionsTable.selectRow(detection_row(view, "Car", 2000))
    wait_time(qtbot, view, "00:00:02.000")
    shown = frame.shown()
    assert (shown.width, shown.height, shown.boxes) == (320, 192, 2)  # the Car and the Dog at 2.000
    assert mean_abs_diff(to_array(shown.plain), reference_at(scripted.body, 2000)) < 0.5
    boxed = frame.shown_image()
    # boxes are drawn at the size the pane shows the frame, so their captions stay legible
    assert boxed.size() == frame.canvas.target_rect().size() and boxed.width() > 320
    assert frame.canvas.target_rect().width() * 192 == pytest.approx(frame.canvas.target_rect().height() * 320,
                                                                     abs=320)  # aspect kept
    frame.boxesCheck.click()
    assert not frame.boxes_visible
    plain_shown = frame.shown_image()
    assert plain_shown is shown.fitted and plain_shown.size() == boxed.size()
    qtbot.keyClick(view.detectionsTable, Qt.Key.Key_B)  # and back, from the keyboard
    assert frame.boxes_visible and frame.shown_image() is shown.boxed
    assert view.timeline.cursor_ms() == 2000
    assert "2 boxes" in frame.messageLabel.text()


def test_summary_row_shows_the_labels_best_detection(qtbot, sb, scripted, pools):
    view = open_view(qtbot, sb, scripted)
    rows = {view.summaryProxy.index(r, 0).data(): r for r in range(view.summaryProxy.rowCount())}
    view.summaryTable.selectRow(rows["Car"])
    wait_time(qtbot, view, "00:00:02.000")  # 97.5 % beats 91.2 % and 60 %
    assert view.frameView.label == "Car"


def test_keys_step_through_detections_and_frames(qtbot, sb, scripted, pools):
    view = open_view(qtbot, sb, scripted)
    view.detectionsTable.selectRow(detection_row(view, "Car", 1000))
    wait_time(qtbot, view, "00:00:01.000")
    view.detectionsTable.setFocus()
    qtbot.keyClick(view.detectionsTable, Qt.Key.Key_Right)
    wait_time(qtbot, view, "00:00:02.000")
    qtbot.keyClick(view.detectionsTable, Qt.Key.Key_Right)
    wait_time(qtbot, view, "00:00:03.000")
    qtbot.keyClick(view.detectionsTable, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: "No further detection of Car" in view.frameView.messageLabel.text(), timeout=10_000)
    qtbot.keyClick(view.detectionsTable, Qt.Key.Key_Left)
    wait_time(qtbot, view, "00:00:02.000")
    qtbot.keyClick(view.detectionsTable, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    wait_time(qtbot, view, "00:00:02.040")  # 25 fps
    assert mean_abs_diff(to_array(view.frameView.shown().plain), reference_at(scripted.body, 2040)) < 0.5
    qtbot.keyClick(view.detectionsTable, Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(view.detectionsTable, Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier)
    wait_time(qtbot, view, "00:00:01.960")
    # the search box keeps its own arrow keys
    view.searchEdit.setText("Car")
    view.searchEdit.setFocus()
    view.searchEdit.setCursorPosition(3)
    qtbot.keyClick(view.searchEdit, Qt.Key.Key_Left)
    assert view.searchEdit.cursorPosition() == 2 and view.frameView.timeLabel.text() == "00:00:01.960"


def test_space_plays_at_the_videos_pace_and_pauses(qtbot, sb, scripted, pools):
    view = open_view(qtbot, sb, scripted)
    frame = view.frameView
    view.detectionsTable.selectRow(detection_row(view, "Car", 1000))
    wait_time(qtbot, view, "00:00:01.000")
    shown: list[int] = []
    frame.frameShown.connect(shown.append)
    view.detectionsTable.setFocus()
    started = time.monotonic()
    qtbot.keyClick(view.detectionsTable, Qt.Key.Key_Space)
    assert frame.playing
    qtbot.wait(800)
    qtbot.keyClick(view.detectionsTable, Qt.Key.Key_Space)
    elapsed_ms = (time.monotonic() - started) * 1000
    assert not frame.playing
    qtbot.waitUntil(lambda: not frame.busy, timeout=10_000)
    assert len(shown) >= 3 and shown == sorted(shown), shown
    advanced = shown[-1] - 1000
    assert 0 < advanced <= elapsed_ms + 80, (advanced, elapsed_ms)  # never ahead of the clock
    still = frame.current_ms
    qtbot.wait(200)
    assert frame.current_ms == still  # paused


def test_timeline_click_on_the_axis_seeks(qtbot, sb, scripted, pools):
    view = open_view(qtbot, sb, scripted)
    timeline = view.timeline
    plot = timeline._plot_rect()
    duration = timeline.data().duration_ms
    x = plot.left() + int(plot.width() * 2500 / duration)
    with qtbot.waitSignal(timeline.seekRequested, timeout=5_000) as blocker:
        qtbot.mouseClick(timeline.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, timeline.AXIS_HEIGHT // 2))
    ms = blocker.args[0]
    assert abs(ms - 2500) <= duration / plot.width() + 1
    qtbot.waitUntil(lambda: view.frameView.shown() is not None and not view.frameView.busy, timeout=10_000)
    shown = view.frameView.shown()
    assert shown.start_ms <= ms < shown.end_ms and timeline.cursor_ms() == int(round(shown.start_ms))


def test_summary_table_gets_label_thumbnails(qtbot, sb, scripted, pools):
    view = open_view(qtbot, sb, scripted)
    delegate = view.thumbnailDelegate
    qtbot.waitUntil(lambda: all(delegate.has(label) for label in ("Car", "Dog", "Tree")), timeout=15_000)
    car = view.frameView.thumbnails["Car"]
    assert 0 < car.width() <= 56 and 0 < car.height() <= 32
    files = list((scripted.store.path.parent / "thumbnails").glob("*.png"))
    assert len(files) == 3  # kept beside the results cache
    # the Car thumbnail is the Car box of the 2.000 frame (x 32-127, y 57-114 of 320x192), not the frame
    assert abs(car.width() / car.height() - (96 * 1.2) / (58 * 1.2)) < 0.25


def _refused(qtbot, view: ResultsView, title: str) -> None:
    frame = view.frameView
    view.detectionsTable.selectRow(0)
    qtbot.waitUntil(lambda: frame.last_message is not None, timeout=15_000)
    assert frame.last_message.title == title, frame.last_message
    assert frame.messageLabel.text().startswith(title) and "\n" not in frame.messageLabel.text()
    assert frame.shown_image() is None
    # the tables keep working
    assert view.summaryModel.rowCount() > 0
    view.set_search("Car")
    qtbot.waitUntil(lambda: view.detectionsModel.rowCount() == 3, timeout=10_000)


def test_deleted_video_says_why_and_tables_keep_working(qtbot, sb, tmp_path, pools):
    job = Job(sb, tmp_path, "view/deleted.mp4", make_video(seconds=4, size=SIZE), SCRIPT)
    client(sb, "s3").delete_object(Bucket=TEST_BUCKET, Key=job.key)
    _refused(qtbot, open_view(qtbot, sb, job), "Video not found")
    job.store.close()


def test_video_changed_since_the_job_says_why(qtbot, sb, tmp_path, pools):
    job = Job(sb, tmp_path, "view/changed.mp4", make_video(seconds=4, size=SIZE), SCRIPT)
    time.sleep(1.1)
    client(sb, "s3").put_object(Bucket=TEST_BUCKET, Key=job.key, Body=make_video(seconds=4, size=SIZE, fps=30))
    _refused(qtbot, open_view(qtbot, sb, job), "Video changed since the job")
    job.store.close()


@pytest.mark.parametrize(("body", "title"), [(b"", "Empty video"), (b"garbage " * 4000, "Cannot decode the video")])
def test_empty_or_undecodable_video_says_why(qtbot, sb, tmp_path, pools, body, title):
    job = Job(sb, tmp_path, f"view/bad-{len(body)}.mp4", make_video(seconds=4, size=SIZE), SCRIPT)
    client(sb, "s3").put_object(Bucket=TEST_BUCKET, Key=job.key, Body=body)
    _refused(qtbot, open_view(qtbot, sb, job, record=False), title)  # no record: nothing pins the object
    job.store.close()


def test_access_denied_says_why(qtbot, sb, tmp_path, pools):
    """moto does not enforce bucket policies: S3's 403 answer to HEAD and GET is given at the HTTP layer, and
    botocore parses it as it would a real one."""
    from botocore.awsrequest import AWSResponse

    class Raw:
        def stream(self, **_: Any):
            yield b""

        def read(self, *_: Any) -> bytes:
            return b""

    def deny(request: Any, **_: Any) -> AWSResponse:
        return AWSResponse(request.url, 403, {"x-amz-request-id": "denied"}, Raw())

    class Denying(Factory):
        def __call__(self, service: str, region: str | None = None) -> Any:
            c = super().__call__(service, region)
            if service == "s3":
                c.meta.events.register("before-send.s3.HeadObject", deny)
                c.meta.events.register("before-send.s3.GetObject", deny)
            return c

    job = Job(sb, tmp_path, "view/denied.mp4", make_video(seconds=4, size=SIZE), SCRIPT)
    _refused(qtbot, open_view(qtbot, sb, job, factory=Denying(sb)), "Access denied")
    job.store.close()


def test_moment_past_the_end_says_why(qtbot, sb, scripted, pools):
    view = open_view(qtbot, sb, scripted)
    view.frameView.show_at(60_000)
    qtbot.waitUntil(lambda: view.frameView.last_message is not None, timeout=10_000)
    assert view.frameView.last_message.title == "Past the end of the video"
    view.detectionsTable.selectRow(detection_row(view, "Car", 1000))
    wait_time(qtbot, view, "00:00:01.000")  # and the next moment shows again
    assert view.frameView.last_message is None


def test_the_frames_use_the_jobs_region_and_the_s3_client_of_the_connection(qtbot, sb, scripted, pools):
    factory = Factory(sb)
    view = open_view(qtbot, sb, scripted, factory=factory)
    view.detectionsTable.selectRow(detection_row(view, "Car", 1000))
    wait_time(qtbot, view, "00:00:01.000")
    assert ("s3", "us-east-1") in factory.calls


def test_portrait_video_keeps_its_aspect_and_rotation(qtbot, sb, tmp_path, pools):
    """A phone video stored 160x96 with a 90° display matrix shows as 96x160, fitted to the pane."""
    job = Job(sb, tmp_path, "view/portrait.mp4", make_video(seconds=4, size=(160, 96), rotation=90), SCRIPT)
    view = open_view(qtbot, sb, job)
    view.detectionsTable.selectRow(detection_row(view, "Car", 1000))
    wait_time(qtbot, view, "00:00:01.000")
    shown = view.frameView.shown()
    assert (shown.width, shown.height) == (96, 160)
    target = view.frameView.canvas.target_rect()
    assert target.height() > target.width()
    assert abs(target.width() / target.height() - 96 / 160) < 0.02
    assert target.height() == view.frameView.canvas.height() or target.width() == view.frameView.canvas.width()
    assert mean_abs_diff(to_array(shown.plain), np.rot90(reference_at(job.body, 1000), 1)) < 0.5
    job.store.close()


def test_offline_says_why(qtbot, sb, scripted, pools):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there once the block ends

    class Offline(Factory):
        def __call__(self, service: str, region: str | None = None) -> Any:
            import boto3
            from botocore.config import Config

            return boto3.client(service, region_name="us-east-1", endpoint_url=f"http://127.0.0.1:{port}",
                                aws_access_key_id="testing", aws_secret_access_key="testing",
                                config=Config(retries={"mode": "standard", "max_attempts": 2}, connect_timeout=2))

    view = open_view(qtbot, sb, scripted, factory=Offline(sb))
    frame = view.frameView
    view.detectionsTable.selectRow(0)
    qtbot.waitUntil(lambda: frame.last_message is not None, timeout=30_000)
    assert frame.last_message.title == "S3 unreachable"
    assert view.summaryModel.rowCount() == 3  # Car, Tree, Dog: the local cache still shows
