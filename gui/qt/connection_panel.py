"""Where the user says how to reach AWS: credentials source, profile or access key, region, endpoint.

Everything that may block (reading ~/.aws with botocore, the keyring, STS and S3 calls) runs on a worker;
the panel only adapts :mod:`gui.core.connection` and :mod:`gui.core.secrets`. A successful connection is
announced with ``connectionChanged(Connection)`` and remembered (without any secret) in the settings file.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gui.core import connection as core
from gui.core.connection import (
    FALLBACK_REKOGNITION_REGIONS,
    Connection,
    Identity,
    load_last_connection,
    save_last_connection,
)
from gui.core.errors import KnownError, UserMessage
from gui.core.paths import AppPaths
from gui.core.secrets import BackendStatus, SecretStore
from gui.core.types import ConnectionSpec
from gui.options import AppOptions
from gui.qt.forget_secret import ForgetSecretButton
from gui.qt.theme import text_style
from gui.qt.workers import TaskRegistry

log = logging.getLogger(__name__)

SOURCES = (
    ("default", "Default chain (environment, default profile)"),
    ("profile", "AWS profile (~/.aws: keys, SSO, assume role)"),
    ("env", "Environment variables only"),
    ("access_key", "Access key ID and secret"),
)
SANDBOX_KEY = "sandbox"


@dataclass(frozen=True)
class EnvironmentInfo:
    profiles: list[tuple[str, str, str | None]]  # name, kind ("SSO", ...), region
    regions: list[str]
    default_region: str | None
    keyring: BackendStatus
    problem: UserMessage | None = None
    saved: ConnectionSpec | None = None  # the remembered connection, when asked for


@dataclass(frozen=True)
class ConnectRequest:
    spec: ConnectionSpec
    store: SecretStore
    typed_secret: str | None = None
    persist_secret: bool = False
    keep_secret: bool = True  # False for "Test connection": the typed secret is used, not kept
    prebuilt: Connection | None = None
    known_regions: tuple[str, ...] = ()


@dataclass(frozen=True)
class ConnectOutcome:
    connection: Connection
    identity: Identity
    secret_kept: str | None  # "keyring", "session" or None (nothing typed)
    note: str = ""


def load_environment(
    cancel: Any, progress: Any, store: SecretStore, paths: AppPaths | None = None
) -> EnvironmentInfo:
    """Profiles, their kinds and regions, the Rekognition regions, the keyring status and (given
    ``paths``) the remembered connection from the settings file (worker thread)."""
    saved = None
    if paths is not None:
        try:
            saved = load_last_connection(paths)
        except Exception:  # a settings problem must never stop the window
            log.exception("Could not read the last connection")
    problem = None
    profiles: list[tuple[str, str, str | None]] = []
    try:
        for name in core.list_profiles():
            profiles.append((name, core.profile_kind(name), core.profile_region(name)))
    except KnownError as exc:
        problem = exc.message
    return EnvironmentInfo(
        profiles, core.rekognition_video_regions(), core.default_region(), store.status(), problem, saved
    )


def connect(cancel: Any, progress: Any, req: ConnectRequest) -> ConnectOutcome:
    """Build the connection, test it, and only then keep a typed secret (worker thread).

    A typed secret that AWS refuses (a typo: SignatureDoesNotMatch) is never kept: the saved one stays.
    """
    spec = req.spec
    kept = None
    note = ""
    conn = req.prebuilt
    typed = req.typed_secret if conn is None and spec.source == "access_key" and spec.access_key_id else None
    if conn is None:
        secret = None
        if spec.source == "access_key" and spec.access_key_id:
            secret = typed or req.store.get(spec.access_key_id)
        conn = Connection(spec, secret_access_key=secret)
    try:
        identity = conn.test_connection()
    except Exception as exc:
        if type(exc).__name__ == "EndpointConnectionError" and not spec.endpoint_url and req.known_regions:
            if spec.region not in req.known_regions:
                raise KnownError(
                    "Wrong region",
                    f"'{spec.region}' is not a region where AWS answers (or not one Rekognition Video offers).",
                    "Pick a region from the list, e.g. us-east-1.",
                ) from exc
        raise
    if typed and spec.access_key_id and req.keep_secret:
        try:
            kept = req.store.save(spec.access_key_id, typed, persist=req.persist_secret)
        except KnownError as exc:
            kept = req.store.save(spec.access_key_id, typed, persist=False)
            note = f"{exc.message.text} The secret is kept for this session only."
    return ConnectOutcome(conn, identity, kept, note)


def _message_html(message: UserMessage) -> str:
    parts = [f"<b>{html.escape(message.title)}</b>: {html.escape(message.text)}"]
    if message.hint:
        parts.append(html.escape(message.hint))
    return "<span style='color:#b3261e'>" + "<br>".join(parts) + "</span>"


class ConnectionPanel(QWidget):
    """Credentials source, profile / access key, region, endpoint; Connect and Test connection."""

    connectionChanged = Signal(object)  # gui.core.connection.Connection
    testSucceeded = Signal(object)  # Identity
    testFailed = Signal(object)  # UserMessage
    environmentLoaded = Signal(object)  # EnvironmentInfo

    def __init__(
        self,
        paths: AppPaths,
        options: AppOptions,
        parent: QWidget | None = None,
        *,
        secret_store: SecretStore | None = None,
        auto_connect: bool = True,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("connectionPanel")
        self.paths = paths
        self.options = options
        self.store = secret_store or SecretStore()
        self.tasks = TaskRegistry(self, max_threads=2, name="connectionTasks")
        self._conn: Connection | None = None
        self._env: EnvironmentInfo | None = None
        self._sandbox_mode = False
        self._pending_connect = False
        self._closing = False
        self._auto_connect = auto_connect
        self._saved: ConnectionSpec | None = None
        self._restore_pending = True  # the remembered connection comes with the environment (worker)
        self._build()

        restored = self._initial_spec()  # the command-line options, until the settings are read
        if restored is not None:
            self._fill(restored)
        self._on_source_changed()
        QTimer.singleShot(0, self, self.reload_environment)

    # ---- widgets ---------------------------------------------------------------------------------

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        # Demo mode folds the form to one line (the sandbox needs no choices); Change... unfolds it.
        self.sandboxSummary = QWidget(self)
        self.sandboxSummary.setObjectName("sandboxSummary")
        fold = QHBoxLayout(self.sandboxSummary)
        fold.setContentsMargins(0, 0, 0, 0)
        self.sandboxSummaryLabel = QLabel("Connecting to the local sandbox…", self.sandboxSummary)
        self.sandboxSummaryLabel.setObjectName("sandboxSummaryLabel")
        self.sandboxSummaryLabel.setTextFormat(Qt.TextFormat.PlainText)
        self.sandboxSummaryLabel.setWordWrap(True)
        self.changeConnectionButton = QPushButton("Change…", self.sandboxSummary)
        self.changeConnectionButton.setObjectName("changeConnectionButton")
        self.changeConnectionButton.setToolTip("Show the connection settings (profile, key, region, endpoint)")
        self.changeConnectionButton.clicked.connect(self.unfold)
        fold.addWidget(self.sandboxSummaryLabel, 1)
        fold.addWidget(self.changeConnectionButton)
        self.sandboxSummary.setVisible(False)
        outer.addWidget(self.sandboxSummary)
        self.formArea = QWidget(self)
        self.formArea.setObjectName("connectionForm")
        area = QVBoxLayout(self.formArea)
        area.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.formArea)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.form = form

        self.sourceCombo = QComboBox(self)
        self.sourceCombo.setObjectName("sourceCombo")
        for key, label in SOURCES:
            self.sourceCombo.addItem(label, key)
        self.sourceCombo.currentIndexChanged.connect(self._on_source_changed)
        form.addRow("Credentials", self.sourceCombo)

        row = QHBoxLayout()
        self.profileCombo = QComboBox(self)
        self.profileCombo.setObjectName("profileCombo")
        self.profileCombo.setToolTip("Profiles from ~/.aws/config and ~/.aws/credentials")
        self.profileCombo.activated.connect(self._on_profile_picked)
        self.reloadProfilesButton = QToolButton(self)
        self.reloadProfilesButton.setObjectName("reloadProfilesButton")
        self.reloadProfilesButton.setText("Reload")
        self.reloadProfilesButton.setToolTip("Read ~/.aws again (after `aws configure` or `aws sso login`)")
        self.reloadProfilesButton.clicked.connect(self.reload_environment)
        row.addWidget(self.profileCombo, 1)
        row.addWidget(self.reloadProfilesButton)
        self._profileRow = QWidget(self)
        self._profileRow.setLayout(row)
        row.setContentsMargins(0, 0, 0, 0)
        form.addRow("Profile", self._profileRow)

        self.accessKeyEdit = QLineEdit(self)
        self.accessKeyEdit.setObjectName("accessKeyEdit")
        self.accessKeyEdit.setPlaceholderText("AKIA…")
        form.addRow("Access key ID", self.accessKeyEdit)
        self.secretKeyEdit = QLineEdit(self)
        self.secretKeyEdit.setObjectName("secretKeyEdit")
        self.secretKeyEdit.setEchoMode(QLineEdit.EchoMode.Password)
        self.secretKeyEdit.setPlaceholderText("Secret access key (leave empty to use the saved one)")
        form.addRow("Secret key", self.secretKeyEdit)
        self.rememberSecretCheck = QCheckBox("Save the secret in the system keyring", self)
        self.rememberSecretCheck.setObjectName("rememberSecretCheck")
        self.rememberSecretCheck.setChecked(True)
        form.addRow("", self.rememberSecretCheck)
        self.forgetSecretButton = ForgetSecretButton(self.store, self.accessKeyEdit.text, self.tasks, self)
        form.addRow("", self.forgetSecretButton)
        self.keyringStatusLabel = QLabel(self)
        self.keyringStatusLabel.setObjectName("keyringStatusLabel")
        self.keyringStatusLabel.setWordWrap(True)
        self.keyringStatusLabel.setStyleSheet(text_style("warning"))
        self.keyringStatusLabel.setVisible(False)
        form.addRow(self.keyringStatusLabel)  # spanning: a wrapped label in the field column leaves gaps

        self.regionCombo = QComboBox(self)
        self.regionCombo.setObjectName("regionCombo")
        self.regionCombo.setEditable(True)
        self.regionCombo.setToolTip("Regions where Amazon Rekognition Video is offered")
        self.regionCombo.addItems(list(FALLBACK_REKOGNITION_REGIONS))
        self.regionCombo.setCurrentText("us-east-1")
        form.addRow("Region", self.regionCombo)

        self.endpointEdit = QLineEdit(self)
        self.endpointEdit.setObjectName("endpointEdit")
        self.endpointEdit.setPlaceholderText("Optional: custom endpoint (S3-compatible store, local sandbox)")
        self.endpointEdit.setClearButtonEnabled(True)
        form.addRow("Endpoint URL", self.endpointEdit)
        area.addLayout(form)

        buttons = QHBoxLayout()
        self.connectButton = QPushButton("Connect", self)
        self.connectButton.setObjectName("connectButton")
        self.connectButton.setDefault(True)
        self.connectButton.setToolTip("Use these settings: test them and show their buckets")
        self.connectButton.clicked.connect(self.connect_now)
        self.testConnectionButton = QPushButton("Test connection", self)
        self.testConnectionButton.setObjectName("testConnectionButton")
        self.testConnectionButton.setToolTip("Check these settings (STS GetCallerIdentity, S3 ListBuckets)")
        self.testConnectionButton.clicked.connect(self.test_now)
        buttons.addWidget(self.connectButton)
        buttons.addWidget(self.testConnectionButton)
        buttons.addStretch(1)
        area.addLayout(buttons)

        self.statusLabel = QLabel("Not connected.", self)
        self.statusLabel.setObjectName("connectionStatus")
        self.statusLabel.setWordWrap(True)
        self.statusLabel.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        outer.addWidget(self.statusLabel)
        self.forgetSecretButton.message.connect(self.statusLabel.setText)

        for signal in (self.sourceCombo.currentIndexChanged, self.endpointEdit.textEdited):
            signal.connect(self._on_user_edit)

    # ---- restoring and filling the form ----------------------------------------------------------

    def _initial_spec(self) -> ConnectionSpec | None:
        """Command-line options win over the remembered connection."""
        spec = self._saved
        o = self.options
        if o.profile or o.region or o.endpoint_url:
            base = spec or ConnectionSpec()
            if o.profile:
                base = replace(base, source="profile", profile=o.profile)
            if o.region:
                base = replace(base, region=o.region)
            if o.endpoint_url:
                base = replace(base, endpoint_url=o.endpoint_url)
            spec = base
        return spec

    def _fill(self, spec: ConnectionSpec) -> None:
        self._select_source(spec.source)
        if spec.profile:
            self._select_profile(spec.profile)
        self.accessKeyEdit.setText(spec.access_key_id or "")
        self.secretKeyEdit.clear()
        self._set_region(spec.region)
        self.endpointEdit.setText(spec.endpoint_url or "")

    def _select_source(self, source: str) -> None:
        index = self.sourceCombo.findData(source)
        self.sourceCombo.setCurrentIndex(max(0, index))

    def _select_profile(self, name: str) -> None:
        index = self.profileCombo.findData(name)
        if index < 0:
            self.profileCombo.addItem(name, name)
            index = self.profileCombo.count() - 1
        self.profileCombo.setCurrentIndex(index)

    def _set_region(self, region: str) -> None:
        if self.regionCombo.findText(region) < 0:
            self.regionCombo.addItem(region)
        self.regionCombo.setCurrentText(region)

    def source(self) -> str:
        return str(self.sourceCombo.currentData())

    def spec(self) -> ConnectionSpec:
        """The connection the form describes (no secret)."""
        source = self.source()
        return ConnectionSpec(
            source=source,
            profile=(self.profileCombo.currentData() or None) if source == "profile" else None,
            region=self.regionCombo.currentText().strip() or "us-east-1",
            endpoint_url=self.endpointEdit.text().strip() or None,
            access_key_id=(self.accessKeyEdit.text().strip() or None) if source == "access_key" else None,
        )

    @Slot()
    def _on_source_changed(self) -> None:
        source = self.source()
        self.form.setRowVisible(self._profileRow, source == "profile")
        keyed = source == "access_key"
        for w in (self.accessKeyEdit, self.secretKeyEdit):
            self.form.setRowVisible(w, keyed)
        self.form.setRowVisible(self.forgetSecretButton, keyed and not self._sandbox_mode)
        # the sandbox's dummy key needs no keyring: do not alarm the demo user about one
        self.form.setRowVisible(self.rememberSecretCheck, keyed and not self._sandbox_mode)
        self.form.setRowVisible(
            self.keyringStatusLabel, keyed and not self._sandbox_mode and bool(self.keyringStatusLabel.text())
        )

    @Slot()
    def _on_user_edit(self) -> None:
        if self._sandbox_mode:
            self._sandbox_mode = False
            self._on_source_changed()

    @Slot(int)
    def _on_profile_picked(self, index: int) -> None:
        """A profile chosen by the user brings its own default region."""
        self._on_user_edit()
        name = self.profileCombo.itemData(index)
        for profile, _kind, region in self._env.profiles if self._env else []:
            if profile == name and region:
                self._set_region(region)

    # ---- environment (profiles, regions, keyring) --------------------------------------------------

    @Slot()
    def reload_environment(self) -> None:
        if self._closing:
            return
        paths = self.paths if self._restore_pending else None
        self._run(load_environment, self.store, paths, on_result=self._on_environment)

    @Slot(object)
    def _on_environment(self, env: EnvironmentInfo) -> None:
        self._env = env
        if self._restore_pending:
            self._restore_pending = False
            self._saved = env.saved
            restored = self._initial_spec()
            if restored is not None and self._conn is None and not self._sandbox_mode:
                self._fill(restored)
                self._on_source_changed()
            # reconnect to what worked last time (or what the command line asked for), never in demo mode
            self._pending_connect = self._auto_connect and not self.options.demo and restored is not None
        current = self.profileCombo.currentData()
        self.profileCombo.clear()
        for name, kind, region in env.profiles:
            label = f"{name}  ({kind}{', ' + region if region else ''})"
            self.profileCombo.addItem(label, name)
        if current:
            self._select_profile(current)
        elif self.profileCombo.count():
            self.profileCombo.setCurrentIndex(0)

        region = self.regionCombo.currentText()
        self.regionCombo.clear()
        self.regionCombo.addItems(env.regions)
        untouched = self._conn is None and not self._sandbox_mode and not (self._saved or self.options.region)
        if untouched and env.default_region and region == "us-east-1":
            region = env.default_region  # AWS_REGION / the default profile's region, as the CLI would
        self._set_region(region)

        self._show_keyring_status(env.keyring)
        if env.problem is not None:
            self.statusLabel.setText(_message_html(env.problem))
        self.environmentLoaded.emit(env)
        if self._pending_connect:
            self._pending_connect = False
            self.connect_now()

    def _show_keyring_status(self, status: BackendStatus) -> None:
        if status.available:
            self.rememberSecretCheck.setEnabled(True)
            self.rememberSecretCheck.setText("Save the secret in the system keyring")
            self.keyringStatusLabel.clear()
        else:
            # shown ticked and fixed: this is what will happen to a typed secret
            self.rememberSecretCheck.setChecked(True)
            self.rememberSecretCheck.setEnabled(False)
            self.rememberSecretCheck.setText("Keep the secret for this session only (no keyring)")
            self.keyringStatusLabel.setText(f"<b>{html.escape(status.title)}</b>: {html.escape(status.message)}")
        self._on_source_changed()

    def keyring_status(self) -> BackendStatus | None:
        return self._env.keyring if self._env else None

    # ---- connecting ----------------------------------------------------------------------------------

    def current_connection(self) -> Connection | None:
        return self._conn

    @Slot()
    def connect_now(self) -> None:
        """Test the form's connection in the background; on success use it (``connectionChanged``)."""
        self._start_test(apply=True)

    @Slot()
    def test_now(self) -> None:
        """Test the form's connection without switching to it."""
        self._start_test(apply=False)

    def _start_test(self, *, apply: bool, prebuilt: Connection | None = None) -> None:
        if self._closing:
            return
        spec = prebuilt.spec if prebuilt is not None else self.spec()
        typed = self.secretKeyEdit.text() if spec.source == "access_key" else ""
        if prebuilt is None and spec.source == "access_key" and not spec.access_key_id:
            self._fail(UserMessage("No access key ID", "Type the access key ID.", "It starts with AKIA or ASIA."))
            return
        persist = apply and self.rememberSecretCheck.isEnabled() and self.rememberSecretCheck.isChecked()
        req = ConnectRequest(
            spec,
            self.store,
            typed_secret=typed or None,
            persist_secret=persist,
            keep_secret=apply,
            prebuilt=prebuilt,
            known_regions=tuple(self._env.regions) if self._env else (),
        )
        if typed and apply:
            self.secretKeyEdit.clear()  # the secret leaves the widget as soon as it is kept
        self.connectButton.setEnabled(False)
        self.testConnectionButton.setEnabled(False)
        self.statusLabel.setText("Connecting…" if apply else "Testing…")
        self._run(
            connect,
            req,
            on_result=self._on_connected if apply else self._on_tested,
            on_error=self._fail,
            profile=spec.profile,
        )

    @Slot(object)
    def _on_tested(self, outcome: ConnectOutcome) -> None:
        self._enable_buttons()
        self.statusLabel.setText(self._identity_html(outcome, prefix="Test passed"))
        self.testSucceeded.emit(outcome.identity)

    @Slot(object)
    def _on_connected(self, outcome: ConnectOutcome) -> None:
        self._enable_buttons()
        self._conn = outcome.connection
        self.statusLabel.setText(self._identity_html(outcome, prefix="Connected"))
        if self.is_folded():
            self.sandboxSummaryLabel.setText(f"Connected to the local sandbox ({outcome.connection.spec.region}).")
            self.statusLabel.setVisible(False)  # the one line says it; an error shows it again
        if not self._sandbox_mode:  # the sandbox's port changes every run: never remembered
            try:
                save_last_connection(self.paths, outcome.connection.spec)
            except Exception:
                log.exception("Could not remember the connection")
        self.testSucceeded.emit(outcome.identity)
        self.connectionChanged.emit(outcome.connection)

    @Slot(object)
    def _fail(self, message: UserMessage) -> None:
        self._enable_buttons()
        self.statusLabel.setText(_message_html(message))
        self.statusLabel.setVisible(True)
        self.testFailed.emit(message)

    def _enable_buttons(self) -> None:
        self.connectButton.setEnabled(True)
        self.testConnectionButton.setEnabled(True)

    def _identity_html(self, outcome: ConnectOutcome, prefix: str) -> str:
        ident = outcome.identity
        spec = outcome.connection.spec
        where = spec.region + (f" via {spec.endpoint_url}" if spec.endpoint_url else "")
        text = f"<b>{prefix}</b>: {html.escape(ident.describe())} — {html.escape(where)}"
        if outcome.secret_kept == "keyring":
            text += "<br>The secret is saved in the system keyring."
        elif outcome.secret_kept == "session":
            text += "<br>The secret is kept for this session only."
        if outcome.note:
            text += f"<br>{html.escape(outcome.note)}"
        if ident.buckets_problem:
            text += f"<br><span style='color:#8a5a00'>{html.escape(ident.buckets_problem)}</span>"
        regions = self._env.regions if self._env else list(FALLBACK_REKOGNITION_REGIONS)
        if not spec.endpoint_url and spec.region not in regions:
            text += (
                f"<br><span style='color:#8a5a00'>Rekognition Video is not offered in {html.escape(spec.region)}"
                "; pick another region to run jobs.</span>"
            )
        return text

    def set_region(self, region: str) -> None:
        """Switch region (e.g. to a bucket's region) and reconnect with the same credentials."""
        self._set_region(region)
        if self._conn is not None and self._conn.spec.region != region:
            self._start_test(apply=True, prebuilt=self._conn.with_region(region))

    def use_sandbox(self, endpoint_url: str) -> None:
        """Demo mode: the local sandbox with dummy credentials, us-east-1, connected at once."""
        self._pending_connect = False
        spec = ConnectionSpec(
            source="access_key", region="us-east-1", endpoint_url=endpoint_url, access_key_id=SANDBOX_KEY
        )
        self._select_source("access_key")
        self.accessKeyEdit.setText(SANDBOX_KEY)
        self.secretKeyEdit.clear()
        self._set_region("us-east-1")
        self.endpointEdit.setText(endpoint_url)
        self._sandbox_mode = True  # after the edits above: never remembered (its port changes every run)
        self._on_source_changed()
        self.fold(f"Local sandbox (simulated AWS on this computer), us-east-1, {endpoint_url}")
        conn = Connection(spec, secret_access_key=SANDBOX_KEY, secret_is_real=False)
        self._start_test(apply=True, prebuilt=conn)

    def fold(self, summary: str) -> None:
        """Show one line instead of the form (demo mode)."""
        self.sandboxSummaryLabel.setText(summary)
        self.sandboxSummary.setVisible(True)
        self.formArea.setVisible(False)

    @Slot()
    def unfold(self) -> None:
        self.sandboxSummary.setVisible(False)
        self.formArea.setVisible(True)
        self.statusLabel.setVisible(True)
        self.sourceCombo.setFocus(Qt.FocusReason.OtherFocusReason)

    def is_folded(self) -> bool:
        return self.sandboxSummary.isVisibleTo(self)

    # ---- workers -------------------------------------------------------------------------------------

    def _run(self, fn: Any, *args: Any, on_result: Any, on_error: Any = None, profile: str | None = None) -> None:
        self.tasks.run(fn, *args, on_result=on_result, on_error=on_error or self._fail, profile=profile)

    def shutdown(self) -> None:
        """Stop background work (connection tests end within their timeouts)."""
        self._closing = True
        self.tasks.close(15.0)
