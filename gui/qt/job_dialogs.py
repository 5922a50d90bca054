"""The Jobs panel's dialogs: job preferences, "read completions from SQS", and the submit confirmation.

Each dialog is built here and opened window-modal by the panel (``open()``); the panel reads the answer
in its ``finished`` slot. The confirmation's text comes from :func:`confirmation_text` alone.
"""

from __future__ import annotations

from dataclasses import replace

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

from gui.core.cost import PRICE_SOURCE, CostEstimate
from gui.core.submitter import JobPreferences
from gui.core.types import JobSettings


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


def settings_line(settings: JobSettings, preset: str | None) -> str:
    f = settings.filters
    n = len(f.label_inclusions) + len(f.label_exclusions) + len(f.category_inclusions) + len(f.category_exclusions)
    parts = [f"preset “{preset}”" if preset else "custom settings", f"MinConfidence {settings.min_confidence:g}"]
    parts.append(f"{n} filter(s)" if n else "no filters")
    if settings.job_tag:
        parts.append(f"JobTag {settings.job_tag}")
    if settings.notification is not None:
        parts.append("SNS notification")
    return "Settings: " + ", ".join(parts) + "."


def confirmation_text(
    *,
    n_new: int,
    n_duplicates: int,
    cost: CostEstimate,
    settings: JobSettings,
    preset: str | None,
    skipped: int,
    max_active: int,
    active: int,
) -> str:
    """The submit confirmation's text (rich text, paragraphs joined by ``<br><br>``)."""
    lines = [f"<b>Start label detection on {n_new + n_duplicates} video(s)?</b>"]
    if cost.known_videos:
        lines.append(cost.describe())
    else:
        lines.append(
            f"Durations are not known yet. Cost: ${cost.price_per_minute:.2f} per minute of video "
            "(set the price in Job preferences)."
        )
    lines.append(settings_line(settings, preset))
    if skipped:
        lines.append(f"{skipped} selected object(s) are not videos Rekognition accepts and are left out.")
    if n_duplicates:
        lines.append(f"{n_duplicates} of these video(s) were already submitted with the same settings and will be "
                     "skipped unless you tick the box below.")
    lines.append(f"At most {max_active} jobs run at once"
                 + (f"; {active} job(s) are already queued or running." if active else "."))
    return "<br><br>".join(lines)


def submit_confirmation_box(text: str, n_new: int, n_duplicates: int, parent: QWidget) -> QMessageBox:
    """The "Start label detection" question; with duplicates, a check box to submit them again too."""
    box = QMessageBox(parent)
    box.setObjectName("submitConfirmation")
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("Start label detection")
    box.setText(text)
    go = box.addButton(f"Start {n_new} job(s)" if n_new else "Start", QMessageBox.ButtonRole.AcceptRole)
    go.setObjectName("confirmSubmitButton")
    box.addButton(QMessageBox.StandardButton.Cancel)
    if n_duplicates:
        check = QCheckBox(f"Also submit the {n_duplicates} already submitted again", box)
        check.setObjectName("resubmitDuplicatesCheck")
        box.setCheckBox(check)
        if not n_new:
            check.setChecked(True)
    box.setDefaultButton(go)
    return box


def confirmation_answer(box: QMessageBox) -> tuple[bool, bool]:
    """(accepted, also submit the duplicates) of a finished :func:`submit_confirmation_box`."""
    clicked = box.clickedButton()
    accepted = clicked is not None and box.buttonRole(clicked) == QMessageBox.ButtonRole.AcceptRole
    include = bool(box.checkBox() and box.checkBox().isChecked())
    return accepted, include
