"""MinConfidence, JobTag and the SNS notification channel, validated as you type."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from gui.core.types import NotificationChannel
from gui.core.validation import (
    DEFAULT_MIN_CONFIDENCE,
    JOB_TAG_MAX_CHARS,
    job_tag_problem,
    notification_problems,
    sns_topic_warning,
)
from gui.qt.theme import text_colour, text_style


def _error_border() -> str:
    return f"QLineEdit {{ border: 1px solid {text_colour('error').name()}; }}"


class JobSettingsWidget(QWidget):
    """Everything in the request besides the video and the label filters. ``changed`` on every edit."""

    changed = Signal()
    checkRequested = Signal(str, str)  # topic ARN, role ARN: check the channel before submitting

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("jobSettings")

        self.confidence_slider = QSlider(Qt.Orientation.Horizontal, self)
        self.confidence_slider.setObjectName("minConfidenceSlider")
        self.confidence_slider.setRange(0, 100)
        self.confidence_slider.setPageStep(5)
        self.confidence_spin = QSpinBox(self)
        self.confidence_spin.setObjectName("minConfidenceSpin")
        self.confidence_spin.setRange(0, 100)
        self.confidence_spin.setSuffix(" %")
        self.confidence_spin.setToolTip(
            "MinConfidence: the lowest confidence a label (or a bounding box) needs to be returned. "
            "The API's default is 50."
        )
        self.confidence_slider.setToolTip(self.confidence_spin.toolTip())
        self.confidence_spin.setValue(int(DEFAULT_MIN_CONFIDENCE))
        self.confidence_slider.setValue(int(DEFAULT_MIN_CONFIDENCE))

        self.job_tag_edit = QLineEdit(self)
        self.job_tag_edit.setObjectName("jobTagEdit")
        self.job_tag_edit.setPlaceholderText("optional, e.g. wildlife-2024")
        self.job_tag_edit.setMaxLength(JOB_TAG_MAX_CHARS)
        self.job_tag_edit.setToolTip(
            "JobTag: an identifier echoed in the completion notification. Letters, digits and _ . - : + = /"
        )
        self.sns_edit = QLineEdit(self)
        self.sns_edit.setObjectName("snsTopicEdit")
        self.sns_edit.setPlaceholderText("optional: arn:aws:sns:REGION:ACCOUNT:AmazonRekognition…")
        self.sns_edit.setToolTip(
            "NotificationChannel.SNSTopicArn: where Rekognition posts the completion status."
        )
        self.role_edit = QLineEdit(self)
        self.role_edit.setObjectName("roleArnEdit")
        self.role_edit.setPlaceholderText("with a topic: arn:aws:iam::ACCOUNT:role/NAME")
        self.role_edit.setToolTip(
            "NotificationChannel.RoleArn: a role that lets Rekognition publish to the topic."
        )

        self.job_tag_hint = self._hint("jobTagHint")
        self.sns_hint = self._hint("snsTopicHint")
        self.role_hint = self._hint("roleArnHint")

        confidence_row = QHBoxLayout()
        confidence_row.setContentsMargins(0, 0, 0, 0)
        confidence_row.addWidget(self.confidence_slider, 1)
        confidence_row.addWidget(self.confidence_spin)
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setVerticalSpacing(3)
        form.addRow("MinConfidence", confidence_row)
        form.addRow("JobTag", self._stack(self.job_tag_edit, self.job_tag_hint))
        form.addRow("SNS topic ARN", self._stack(self.sns_edit, self.sns_hint))
        form.addRow("IAM role ARN", self._stack(self.role_edit, self.role_hint))
        self.checkChannelButton = QPushButton("Check channel", self)
        self.checkChannelButton.setObjectName("checkChannelButton")
        self.checkChannelButton.setToolTip(
            "Look up the topic's region, the role, its trust policy and its permission to publish to the topic "
            "(IAM and SNS calls): says what would keep completion messages from arriving")
        self.checkChannelButton.clicked.connect(self._on_check_clicked)
        self.channelResult = QLabel(self)
        self.channelResult.setObjectName("channelCheckResult")
        self.channelResult.setTextFormat(Qt.TextFormat.PlainText)  # AWS messages are never markup
        self.channelResult.setWordWrap(True)
        self.channelResult.hide()
        check_row = QHBoxLayout()
        check_row.addWidget(self.checkChannelButton)
        check_row.addStretch(1)
        form.addRow("", check_row)
        form.addRow(self.channelResult)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addStretch(1)

        self.confidence_slider.valueChanged.connect(self._on_slider)
        self.confidence_spin.valueChanged.connect(self._on_spin)
        for edit in (self.job_tag_edit, self.sns_edit, self.role_edit):
            edit.textChanged.connect(self._on_text)
        self._validate()

    def _hint(self, name: str) -> QLabel:
        label = QLabel(self)
        label.setObjectName(name)
        label.setWordWrap(True)
        label.setVisible(False)
        return label

    def _stack(self, edit: QLineEdit, hint: QLabel) -> QWidget:
        box = QWidget(self)
        lay = QVBoxLayout(box)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(1)
        lay.addWidget(edit)
        lay.addWidget(hint)
        return box

    @Slot()
    def _on_check_clicked(self) -> None:
        channel = self.notification()
        if channel is None:
            self.show_channel_result("Nothing to check: no SNS topic and role are set (jobs are polled).", "warning")
            return
        self.show_channel_result("Checking the notification channel…", "info")
        self.checkRequested.emit(channel.sns_topic_arn, channel.role_arn)

    def show_channel_result(self, text: str, level: str) -> None:
        """The check's findings under the ARNs (``level``: "ok", "warning", "error", "info")."""
        self.channelResult.setText(text)
        self.channelResult.setStyleSheet(text_style(level))
        self.channelResult.setVisible(bool(text))

    # ---- values ---------------------------------------------------------------------------------------
    def min_confidence(self) -> float:
        return float(self.confidence_spin.value())

    def job_tag(self) -> str | None:
        return self.job_tag_edit.text().strip() or None

    def notification(self) -> NotificationChannel | None:
        topic, role = self.sns_edit.text().strip(), self.role_edit.text().strip()
        if not topic and not role:
            return None
        return NotificationChannel(topic, role)

    def set_values(
        self, min_confidence: float, job_tag: str | None, notification: NotificationChannel | None
    ) -> list[str]:
        """Show these values (from a preset or the last session). Returns notices (e.g. rounding)."""
        notices: list[str] = []
        rounded = int(round(min_confidence))
        if rounded != min_confidence:
            notices.append(
                f"MinConfidence {min_confidence:g} was rounded to {rounded} (whole percents here)."
            )
        widgets = (
            self.confidence_slider,
            self.confidence_spin,
            self.job_tag_edit,
            self.sns_edit,
            self.role_edit,
        )
        for w in widgets:
            w.blockSignals(True)
        try:
            self.confidence_slider.setValue(rounded)
            self.confidence_spin.setValue(rounded)
            self.job_tag_edit.setText(job_tag or "")
            self.sns_edit.setText(notification.sns_topic_arn if notification else "")
            self.role_edit.setText(notification.role_arn if notification else "")
        finally:
            for w in widgets:
                w.blockSignals(False)
        self._validate()
        self.changed.emit()
        return notices

    # ---- validation ----------------------------------------------------------------------------------
    def errors(self) -> list[str]:
        problems = []
        if message := job_tag_problem(self.job_tag()):
            problems.append(message)
        problems += [p.message for p in notification_problems(self.sns_edit.text(), self.role_edit.text())]
        return problems

    def warnings(self) -> list[str]:
        warning = sns_topic_warning(self.sns_edit.text().strip())
        return [warning] if warning else []

    def _validate(self) -> None:
        tag_problem = job_tag_problem(self.job_tag())
        self._show(self.job_tag_edit, self.job_tag_hint, tag_problem, "error")
        channel = notification_problems(self.sns_edit.text(), self.role_edit.text())
        sns_problem = next((p.message for p in channel if p.field == "SNSTopicArn"), None)
        role_problem = next((p.message for p in channel if p.field == "RoleArn"), None)
        if sns_problem:
            self._show(self.sns_edit, self.sns_hint, sns_problem, "error")
        else:
            warning = sns_topic_warning(self.sns_edit.text().strip())
            self._show(self.sns_edit, self.sns_hint, warning, "warning")
        self._show(self.role_edit, self.role_hint, role_problem, "error")

    @staticmethod
    def _show(edit: QLineEdit, hint: QLabel, message: str | None, level: str) -> None:
        edit.setStyleSheet(_error_border() if message and level == "error" else "")
        hint.setText(message or "")
        hint.setStyleSheet(text_style(level))
        hint.setVisible(bool(message))

    # ---- slots ---------------------------------------------------------------------------------------
    @Slot(int)
    def _on_slider(self, value: int) -> None:
        if self.confidence_spin.value() != value:
            self.confidence_spin.setValue(value)  # emits _on_spin → changed

    @Slot(int)
    def _on_spin(self, value: int) -> None:
        if self.confidence_slider.value() != value:
            self.confidence_slider.blockSignals(True)
            self.confidence_slider.setValue(value)
            self.confidence_slider.blockSignals(False)
        self.changed.emit()

    @Slot(str)
    def _on_text(self, _text: str) -> None:
        self._validate()
        self.changed.emit()
