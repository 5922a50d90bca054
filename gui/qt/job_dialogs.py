"""The Jobs panel's dialogs: job preferences, "read completions from SQS", and the submit confirmation.

Each dialog is built here and opened window-modal (``open()``); the answer is read in its ``finished``
slot. The confirmation's text comes from :func:`gui.core.duplicates.confirmation_text` alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QMessageBox,
    QSpinBox,
    QWidget,
)

from gui.core.connection import Connection
from gui.core.cost import PRICE_SOURCE
from gui.core.duplicates import ConfirmationText
from gui.core.engine import JobPreferences
from gui.core.types import JobSettings
from gui.qt.job_feed import setup_queue
from gui.qt.text import rich, shown
from gui.qt.workers import TaskRegistry


class JobPreferencesDialog(QDialog):
    def __init__(self, prefs: JobPreferences, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("jobPreferencesDialog")
        self.setWindowTitle("Job preferences")
        form = QFormLayout(self)
        self.maxActive = QSpinBox(self)
        self.maxActive.setObjectName("maxActiveSpin")
        self.maxActive.setRange(1, 1000)
        self.maxActive.setValue(prefs.max_active)
        self.maxActive.setToolTip("AWS allows 20 concurrent label-detection jobs per account and region by "
                                  "default; jobs beyond this wait in the local queue.")
        form.addRow("Jobs in progress at once:", self.maxActive)
        self.price = QDoubleSpinBox(self)
        self.price.setObjectName("pricePerMinuteSpin")
        self.price.setRange(0.0, 100.0)
        self.price.setDecimals(3)
        self.price.setSingleStep(0.01)
        self.price.setPrefix("$ ")
        self.price.setValue(prefs.price_per_minute)
        self.price.setToolTip(f"Used for the cost estimate only. Default $0.10 from {PRICE_SOURCE}.")
        form.addRow("Price per minute of video:", self.price)
        self.autoFetch = QCheckBox("Fetch results as soon as a job succeeds", self)
        self.autoFetch.setObjectName("autoFetchCheck")
        self.autoFetch.setChecked(prefs.auto_fetch)
        form.addRow("", self.autoFetch)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self._prefs = prefs

    def preferences(self) -> JobPreferences:
        return replace(
            self._prefs,
            max_active=self.maxActive.value(),
            price_per_minute=self.price.value(),
            auto_fetch=self.autoFetch.isChecked(),
            completion_queues=dict(self._prefs.completion_queues),
        )


def sqs_setup_box(topic_arn: str, parent: QWidget) -> QMessageBox:
    """Asks whether to create an SQS queue subscribed to ``topic_arn`` (Yes / Cancel)."""
    box = QMessageBox(QMessageBox.Icon.Question, "Read completions from SQS",
                      f"Create an SQS queue subscribed to\n{topic_arn}\nand read job completions from it? "
                      "(AWS recommends this over polling; the app still polls now and then as a fallback.)",
                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, parent)
    box.setObjectName("setupSqsConfirmation")
    return box


def submit_confirmation_box(text: ConfirmationText, parent: QWidget) -> QMessageBox:
    """The "Start label detection" question built from :func:`gui.core.duplicates.confirmation_text`; with
    duplicates, a check box to submit them again too, and their list in the details (scrollable)."""
    box = QMessageBox(parent)
    box.setObjectName("submitConfirmation")
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle(text.title)
    box.setTextFormat(Qt.TextFormat.RichText)  # escaped below: keys and preset names are never markup
    paragraphs = [f"<b>{rich(text.headline)}</b>", *(rich(p) for p in text.body)]  # bidi isolated too
    box.setText("<br><br>".join(paragraphs))
    if text.videos:
        box.setDetailedText("\n".join(shown(v) for v in text.videos))
    go = box.addButton(text.accept, QMessageBox.ButtonRole.AcceptRole)
    go.setObjectName("confirmSubmitButton")
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    if text.resubmit is not None:
        check = QCheckBox(text.resubmit, box)
        check.setObjectName("resubmitDuplicatesCheck")
        box.setCheckBox(check)
        check.setChecked(text.resubmit_by_default)
    box.setProperty("acceptResubmits", text.accept_resubmits)
    box.setDefaultButton(go if text.accept_is_default else cancel)
    return box


def confirmation_answer(box: QMessageBox) -> tuple[bool, bool]:
    """(accepted, also submit the duplicates) of a finished :func:`submit_confirmation_box`."""
    clicked = box.clickedButton()
    accepted = clicked is not None and box.buttonRole(clicked) == QMessageBox.ButtonRole.AcceptRole
    include = bool(box.property("acceptResubmits")) or bool(box.checkBox() and box.checkBox().isChecked())
    return accepted, include


class JobOptions(QObject):
    """The panel's "Options" menu: the preferences dialog, and reading completions from SQS (confirm, then
    create the queue in a task).

    Signals: ``chosen(JobPreferences)`` (to use and save), ``notice(str)``, ``refused(title, text)``,
    ``failed(UserMessage)``.
    """

    chosen = Signal(object)
    notice = Signal(str)
    refused = Signal(str, str)
    failed = Signal(object)

    def __init__(
        self,
        owner: QWidget,
        tasks: TaskRegistry,
        *,
        preferences: Callable[[], JobPreferences],
        settings: Callable[[], JobSettings],
        connection: Callable[[], Connection | None],
    ) -> None:
        super().__init__(owner)
        self._owner = owner  # the dialogs' parent
        self.tasks = tasks
        self._preferences = preferences
        self._settings = settings
        self._connection = connection
        self._prefs_dialog: JobPreferencesDialog | None = None
        self._sqs_box: tuple[QMessageBox, str] | None = None

    @Slot()
    def show_preferences(self) -> None:
        dialog = JobPreferencesDialog(self._preferences(), self._owner)
        dialog.finished.connect(self._on_preferences_finished)
        self._prefs_dialog = dialog
        dialog.open()

    @Slot(int)
    def _on_preferences_finished(self, result: int) -> None:
        dialog, self._prefs_dialog = self._prefs_dialog, None
        if dialog is None:
            return
        if result == QDialog.DialogCode.Accepted:
            self.chosen.emit(dialog.preferences())
        dialog.deleteLater()

    @Slot()
    def setup_sqs(self) -> None:
        channel = self._settings().notification
        if channel is None or self._connection() is None:
            self.refused.emit("No notification topic",
                              "Set an SNS topic and role in the job settings (and connect) to have completions "
                              "delivered through an SQS queue; until then the app polls for status.")
            return
        topic = channel.sns_topic_arn
        if topic in self._preferences().completion_queues:
            self.notice.emit(f"Completions of {topic} are already read from SQS.")
            return
        box = sqs_setup_box(topic, self._owner)
        box.finished.connect(self._on_sqs_confirmed)
        self._sqs_box = (box, topic)
        box.open()

    @Slot(int)
    def _on_sqs_confirmed(self, _result: int) -> None:
        if self._sqs_box is None:
            return
        (box, topic), self._sqs_box = self._sqs_box, None
        accepted = box.clickedButton() is box.button(QMessageBox.StandardButton.Yes)
        box.deleteLater()
        conn = self._connection()
        if not accepted or conn is None:
            return
        self.tasks.run(setup_queue, conn, topic, on_result=self._on_sqs_ready, on_error=self.failed)

    @Slot(object)
    def _on_sqs_ready(self, result: tuple[str, str]) -> None:
        topic, url = result
        prefs = self._preferences()
        self.chosen.emit(replace(prefs, completion_queues={**prefs.completion_queues, topic: url}))
        self.notice.emit(f"Job completions for {topic} now arrive through {url}.")
