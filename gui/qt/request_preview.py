"""Live preview of the exact ``StartLabelDetection`` parameters, as JSON and as an AWS CLI command."""

from __future__ import annotations

from PySide6.QtCore import Slot
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from gui.core.request import build_start_request, to_cli, to_json
from gui.core.types import JobSettings, S3Object
from gui.qt.theme import text_style

PLACEHOLDER_VIDEO = S3Object("YOUR-BUCKET", "path/to/video.mp4")
MAX_PREVIEWED_VIDEOS = 20


class RequestPreview(QWidget):
    """Shows one request per selected video (the first 20). Call :meth:`set_settings` /
    :meth:`set_videos` / :meth:`set_connection_hint`; the text follows at once."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("requestPreview")
        self._settings = JobSettings()
        self._videos: list[S3Object] = []
        self._region: str | None = None
        self._endpoint: str | None = None
        self._profile: str | None = None
        self._errors: list[str] = []

        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.json_edit = QPlainTextEdit(self)
        self.json_edit.setObjectName("requestPreviewJson")
        self.json_edit.setAccessibleName("StartLabelDetection request as JSON")
        self.cli_edit = QPlainTextEdit(self)
        self.cli_edit.setObjectName("requestPreviewCli")
        self.cli_edit.setAccessibleName("StartLabelDetection request as an AWS CLI command")
        for edit in (self.json_edit, self.cli_edit):
            edit.setReadOnly(True)
            edit.setFont(mono)
            edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.json_edit, "JSON")
        self.tabs.addTab(self.cli_edit, "AWS CLI")

        self.note_label = QLabel(self)
        self.note_label.setObjectName("requestPreviewNote")
        self.note_label.setWordWrap(True)
        self.note_label.setStyleSheet("color: palette(mid);")
        self.copy_json_button = QPushButton("Copy JSON", self)
        self.copy_json_button.setObjectName("copyJsonButton")
        self.copy_cli_button = QPushButton("Copy CLI command", self)
        self.copy_cli_button.setObjectName("copyCliButton")

        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addStretch(1)
        buttons.addWidget(self.copy_json_button)
        buttons.addWidget(self.copy_cli_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.note_label)
        layout.addLayout(buttons)

        self.copy_json_button.clicked.connect(self.copy_json)
        self.copy_cli_button.clicked.connect(self.copy_cli)
        self.refresh()

    # ---- inputs -------------------------------------------------------------------------------------
    def set_settings(self, settings: JobSettings, errors: list[str] | None = None) -> None:
        self._settings = settings
        self._errors = list(errors or [])
        self.refresh()

    def set_videos(self, videos: list[S3Object]) -> None:
        self._videos = list(videos)
        self.refresh()

    def set_connection_hint(self, region: str | None, endpoint_url: str | None, profile: str | None) -> None:
        self._region, self._endpoint, self._profile = region, endpoint_url, profile
        self.refresh()

    # ---- outputs ------------------------------------------------------------------------------------
    def requests(self) -> list[dict]:
        """The parameters previewed, one dict per video (the placeholder video when none is selected)."""
        videos = self._videos[:MAX_PREVIEWED_VIDEOS] or [PLACEHOLDER_VIDEO]
        return [build_start_request(v.bucket, v.key, self._settings, version_id=v.version_id) for v in videos]

    def json_text(self) -> str:
        return self.json_edit.toPlainText()

    def cli_text(self) -> str:
        return self.cli_edit.toPlainText()

    @Slot()
    def refresh(self) -> None:
        params = self.requests()
        if len(params) == 1:
            self.json_edit.setPlainText(to_json(params[0]))
        else:
            self.json_edit.setPlainText(to_json(params))  # type: ignore[arg-type]
        commands = [
            to_cli(p, region=self._region, endpoint_url=self._endpoint, profile=self._profile, multiline=True)
            for p in params
        ]
        self.cli_edit.setPlainText("\n\n".join(commands))
        self.note_label.setText(self._note())
        self.note_label.setStyleSheet(text_style("error") if self._errors else "color: palette(mid);")

    def _note(self) -> str:
        if self._errors:
            return "Not valid yet: " + " ".join(self._errors)
        n = len(self._videos)
        if n == 0:
            return "No video selected: the bucket and key are placeholders."
        extra = f" (first {MAX_PREVIEWED_VIDEOS} shown)" if n > MAX_PREVIEWED_VIDEOS else ""
        each = "One request per video. " if n > 1 else ""
        return f"{n} video{'s' if n > 1 else ''}{extra}. {each}A ClientRequestToken is added on submit."

    @Slot()
    def copy_json(self) -> None:
        QGuiApplication.clipboard().setText(self.json_text())

    @Slot()
    def copy_cli(self) -> None:
        QGuiApplication.clipboard().setText(self.cli_text())
