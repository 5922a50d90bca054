"""The job list says why a job failed where the job is, copies the error, opens with Enter, removes with
Delete (after asking), and tells a new user what to do when it is empty."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox

from gui.core.jobstates import JobStatus
from gui.core.jobstore import JobStore, Scope, new_job
from gui.core.paths import resolve_paths
from gui.core.types import JobSettings
from gui.qt.jobs_panel import JobsPanel

SCOPE = Scope("123456789012", "us-east-1", "")
WHY = "Unsupported codec: the video is not H.264 (InvalidParameterException)."
pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


@pytest.fixture
def paths(tmp_path):
    return resolve_paths(tmp_path / "app").ensure()


@pytest.fixture
def panel(qtbot, paths):
    made = []

    def make():
        p = JobsPanel(paths)
        qtbot.addWidget(p)
        p.resize(900, 400)
        p.show()
        made.append(p)
        return p

    yield make
    for p in made:
        p.shutdown()


def _seed(paths):
    with JobStore(paths.jobs_db) as store:
        failed, done = store.add_jobs([new_job("b", "bad.mp4", JobSettings(job_tag="t1"), SCOPE),
                                       new_job("b", "good.mp4", JobSettings(), SCOPE)])
        store.mark_started(failed.id, "job-failed")
        store.mark_failed(failed.id, WHY)
        store.mark_started(done.id, "job-done")
        store.mark_finished(done.id, JobStatus.SUCCEEDED)


def _select(qtbot, p, key):
    qtbot.waitUntil(lambda: p.model.rowCount() == 2, timeout=10_000)
    for row in range(p.proxy.rowCount()):
        if p.proxy.record_at(p.proxy.index(row, 0)).key == key:
            p.table.selectRow(row)
            return
    raise AssertionError(key)


def test_the_reason_of_a_failure_shows_under_the_list_and_copies(qtbot, panel, paths):
    _seed(paths)
    p = panel()
    _select(qtbot, p, "bad.mp4")
    assert p.details.isVisible()
    assert WHY in p.details.text() and "JobId job-failed" in p.details.text() and "JobTag t1" in p.details.text()
    assert p.copyErrorAction.isEnabled()
    p.copyErrorAction.trigger()
    assert QGuiApplication.clipboard().text() == f"s3://b/bad.mp4: {WHY}"
    _select(qtbot, p, "good.mp4")
    assert not p.copyErrorAction.isEnabled() and WHY not in p.details.text()


def test_status_is_the_second_column_and_jobid_is_in_the_details(qtbot, panel, paths):
    from gui.qt.job_model import JOB_ID, STATUS, VIDEO

    _seed(paths)
    p = panel()
    header = p.table.horizontalHeader()
    assert header.logicalIndex(0) == VIDEO and header.logicalIndex(1) == STATUS
    assert p.table.isColumnHidden(JOB_ID)


def test_enter_opens_the_results_of_a_succeeded_job(qtbot, panel, paths, monkeypatch):
    _seed(paths)
    p = panel()
    opened = []
    monkeypatch.setattr(p, "open_results", lambda record: opened.append(record.key))
    p.activateWindow()
    qtbot.waitUntil(p.isActiveWindow)
    _select(qtbot, p, "good.mp4")
    p.table.setFocus()
    qtbot.keyClick(p.table, Qt.Key.Key_Return)
    assert opened == ["good.mp4"]
    _select(qtbot, p, "bad.mp4")
    qtbot.keyClick(p.table, Qt.Key.Key_Return)
    assert opened == ["good.mp4"]  # a failed job has no results to open


def test_delete_asks_first_and_cancel_keeps_the_job(qtbot, panel, paths, monkeypatch):
    _seed(paths)
    p = panel()
    asked = []
    monkeypatch.setattr(p, "confirm_removal", lambda records: asked.append([r.key for r in records]) or False)
    monkeypatch.setattr(type(p), "engine", property(lambda self: object()))  # connected, so Remove is allowed
    p.activateWindow()
    qtbot.waitUntil(p.isActiveWindow)
    _select(qtbot, p, "bad.mp4")
    p.table.setFocus()
    qtbot.keyClick(p.table, Qt.Key.Key_Delete)
    assert asked == [["bad.mp4"]]
    assert p.model.rowCount() == 2


def test_the_removal_question_defaults_to_cancel(qtbot, panel, paths):
    _seed(paths)
    p = panel()
    answers = []

    def answer():
        box = next(w for w in QApplication.topLevelWidgets() if w.objectName() == "removeJobsConfirmation")
        answers.append((box.defaultButton() is box.button(QMessageBox.StandardButton.Cancel), box.text()))
        box.button(QMessageBox.StandardButton.Cancel).click()

    QTimer.singleShot(200, answer)
    with JobStore(paths.jobs_db) as store:
        records = store.jobs()
    assert p.confirm_removal(records) is False
    assert answers and answers[0][0] and "Remove 2 jobs from the list?" in answers[0][1]


def test_an_empty_list_says_what_to_do(qtbot, panel):
    p = panel()
    qtbot.waitUntil(lambda: p.emptyHint.isVisible(), timeout=10_000)
    assert "Start label detection" in p.emptyHint.text()
