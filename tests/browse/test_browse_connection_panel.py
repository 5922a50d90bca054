"""The connection panel with pytest-qt: sandbox, access key + keyring, no keyring, SSO, restore, regions."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail
from PySide6.QtCore import Qt

from gui import APP_ID
from gui.core.logs import setup_logging
from gui.core.secrets import SecretStore
from gui.core.settings import load_section
from gui.options import AppOptions
from gui.qt.browser_panel import BrowserPanel
from gui.qt.connection_panel import ConnectionPanel

WAIT = 20_000
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCY+SecretForTest42"
KEY_ID = "AKIAPANELTEST000001"

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


def make_panel(qtbot, paths, options: AppOptions | None = None, **kwargs) -> ConnectionPanel:
    kwargs.setdefault("auto_connect", False)
    panel = ConnectionPanel(paths, options or AppOptions(), secret_store=kwargs.pop("store", SecretStore()), **kwargs)
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitUntil(lambda: panel.keyring_status() is not None, timeout=WAIT)
    return panel


def fill_access_key(panel: ConnectionPanel, qtbot, endpoint: str, key_id: str = KEY_ID, secret: str = SECRET) -> None:
    panel.sourceCombo.setCurrentIndex(panel.sourceCombo.findData("access_key"))
    panel.accessKeyEdit.clear()
    qtbot.keyClicks(panel.accessKeyEdit, key_id)
    qtbot.keyClicks(panel.secretKeyEdit, secret)
    panel.endpointEdit.setText(endpoint)


def every_file_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


@pytest.fixture
def file_log(paths):
    root = logging.getLogger()
    level = root.level
    setup_logging(paths.log_file, level=logging.DEBUG)
    yield paths.log_file
    setup_logging(None)
    root.setLevel(level)


def test_sandbox_mode_connects_and_is_not_remembered(qtbot, paths, sandbox):
    panel = make_panel(qtbot, paths, AppOptions(demo=True))
    with qtbot.waitSignal(panel.connectionChanged, timeout=WAIT) as blocker:
        panel.use_sandbox(sandbox.endpoint_url)
    conn = blocker.args[0]
    assert conn is panel.current_connection()
    assert conn.spec.endpoint_url == sandbox.endpoint_url and conn.spec.region == "us-east-1"
    assert sandbox.account_id in panel.statusLabel.text()
    assert load_section(paths, "connection") == {}  # the sandbox's port changes every run
    assert not panel.rememberSecretCheck.isVisible()  # no keyring talk for the dummy key


def test_typed_secret_goes_to_the_keyring_and_never_to_disk(qtbot, paths, sandbox, memory_keyring, file_log):
    panel = make_panel(qtbot, paths)
    fill_access_key(panel, qtbot, sandbox.endpoint_url)
    panel.regionCombo.setCurrentText("eu-west-1")
    assert panel.rememberSecretCheck.isEnabled() and panel.rememberSecretCheck.isChecked()
    with qtbot.waitSignal(panel.connectionChanged, timeout=WAIT) as blocker:
        qtbot.mouseClick(panel.connectButton, Qt.MouseButton.LeftButton)
    conn = blocker.args[0]
    assert conn.spec.access_key_id == KEY_ID and conn.spec.region == "eu-west-1"
    assert memory_keyring.store[(APP_ID, KEY_ID)] == SECRET
    assert panel.secretKeyEdit.text() == ""
    assert "saved in the system keyring" in panel.statusLabel.text()
    saved = load_section(paths, "connection")
    assert saved["access_key_id"] == KEY_ID and saved["source"] == "access_key"

    # even careless log lines and tracebacks carrying the secret are redacted
    log = logging.getLogger("gui.test")
    log.warning("connecting with %s", SECRET)
    try:
        raise RuntimeError(f"failed for secret {SECRET}")
    except RuntimeError:
        log.exception("boom")
    for handler in logging.getLogger().handlers:
        handler.flush()
    files = every_file_under(paths.data_dir)
    assert paths.settings_file in files and paths.log_file in files
    assert "***" in paths.log_file.read_text(encoding="utf-8")
    for path in files:
        assert SECRET.encode() not in path.read_bytes(), f"the secret reached {path}"


def test_last_connection_is_restored_and_reconnects_with_the_keyring(qtbot, paths, sandbox, memory_keyring):
    first = make_panel(qtbot, paths)
    fill_access_key(first, qtbot, sandbox.endpoint_url)
    first.regionCombo.setCurrentText("eu-west-1")
    with qtbot.waitSignal(first.connectionChanged, timeout=WAIT):
        first.connect_now()

    panel = ConnectionPanel(paths, AppOptions(), secret_store=SecretStore())  # a fresh start
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.connectionChanged, timeout=WAIT) as blocker:
        pass  # auto-connect from the restored settings (read on a worker), the secret read from the keyring
    assert panel.source() == "access_key"
    assert panel.accessKeyEdit.text() == KEY_ID and panel.secretKeyEdit.text() == ""
    assert panel.endpointEdit.text() == sandbox.endpoint_url
    assert blocker.args[0].spec == first.current_connection().spec
    assert panel.regionCombo.currentText() == "eu-west-1"


def test_no_keyring_backend_offers_session_only(qtbot, paths, sandbox):
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        panel = make_panel(qtbot, paths)
        fill_access_key(panel, qtbot, sandbox.endpoint_url, secret=SECRET)
        assert not panel.rememberSecretCheck.isEnabled()
        assert "session only" in panel.rememberSecretCheck.text()
        note = panel.keyringStatusLabel.text()
        assert panel.keyringStatusLabel.isVisible()
        assert "No system keyring" in note and "session only" in note and "profile" in note
        with qtbot.waitSignal(panel.connectionChanged, timeout=WAIT):
            panel.connect_now()
        assert "kept for this session only" in panel.statusLabel.text()
        assert panel.store.where(KEY_ID) == "session"
    finally:
        keyring.set_keyring(previous)
    for path in every_file_under(paths.data_dir):
        assert SECRET.encode() not in path.read_bytes()


def test_expired_sso_profile_tells_the_user_to_log_in(qtbot, paths, sandbox, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    Path(os.environ["AWS_CONFIG_FILE"]).write_text(
        "[profile corp-sso]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n"
        "sso_account_id = 111122223333\nsso_role_name = ReadOnly\nregion = ap-southeast-2\n",
        encoding="utf-8",
    )
    panel = make_panel(qtbot, paths)
    assert panel.profileCombo.findData("corp-sso") >= 0
    assert "SSO" in panel.profileCombo.itemText(panel.profileCombo.findData("corp-sso"))
    panel.sourceCombo.setCurrentIndex(panel.sourceCombo.findData("profile"))
    panel.profileCombo.setCurrentIndex(panel.profileCombo.findData("corp-sso"))
    panel.endpointEdit.setText(sandbox.endpoint_url)
    with qtbot.waitSignal(panel.testFailed, timeout=WAIT) as blocker:
        qtbot.mouseClick(panel.testConnectionButton, Qt.MouseButton.LeftButton)
    message = blocker.args[0]
    assert message.title == "SSO session expired"
    assert "aws sso login --profile corp-sso" in panel.statusLabel.text()
    assert panel.current_connection() is None and panel.connectButton.isEnabled()


def test_command_line_options_preselect(qtbot, paths, sandbox, tmp_path, monkeypatch):
    Path(os.environ["AWS_CONFIG_FILE"]).write_text(
        "[profile static]\naws_access_key_id = AKIASTATIC\naws_secret_access_key = x\nregion = eu-central-1\n",
        encoding="utf-8",
    )
    options = AppOptions(profile="static", region="eu-west-2", endpoint_url=sandbox.endpoint_url)
    panel = make_panel(qtbot, paths, options)
    assert panel.source() == "profile" and panel.profileCombo.currentData() == "static"
    assert panel.regionCombo.currentText() == "eu-west-2"  # --region wins over the profile's region
    assert panel.endpointEdit.text() == sandbox.endpoint_url
    assert panel.regionCombo.findText("us-east-1") >= 0 and panel.regionCombo.findText("eu-west-1") >= 0
    with qtbot.waitSignal(panel.testSucceeded, timeout=WAIT):
        panel.test_now()
    assert panel.current_connection() is None  # a test does not switch connections


def test_region_switch_from_the_browser_reconnects_in_the_bucket_region(qtbot, paths, make_sandbox):
    sb = make_sandbox()
    sb.create_bucket("eu-clips", region="eu-west-1")
    sb.put_object("eu-clips", "clip.mp4", b"x")
    panel = make_panel(qtbot, paths, AppOptions(demo=True))
    browser = BrowserPanel()
    qtbot.addWidget(browser)
    panel.connectionChanged.connect(browser.set_connection)  # how the main window wires them
    browser.regionSwitchRequested.connect(panel.set_region)
    with qtbot.waitSignal(panel.connectionChanged, timeout=WAIT):
        panel.use_sandbox(sb.endpoint_url)
    qtbot.waitUntil(lambda: browser.bucketList.count() > 0, timeout=WAIT)
    with qtbot.waitSignal(browser.listingFinished, timeout=WAIT):
        browser.navigate("eu-clips")
    assert not browser.regionBanner.isHidden()
    with qtbot.waitSignal(panel.connectionChanged, timeout=WAIT) as blocker:
        browser.switchRegionButton.click()
    assert blocker.args[0].spec.region == "eu-west-1"
    assert panel.regionCombo.currentText() == "eu-west-1"
    qtbot.waitUntil(lambda: browser.location() == ("eu-clips", "") and not browser.is_loading(), timeout=WAIT)
    assert browser.regionBanner.isHidden()
    browser.shutdown()


def test_demo_mode_folds_the_form_to_one_line_and_change_unfolds_it(qtbot, paths, sandbox):
    panel = make_panel(qtbot, paths, AppOptions(demo=True))
    with qtbot.waitSignal(panel.connectionChanged, timeout=WAIT):
        panel.use_sandbox(sandbox.endpoint_url)
    assert panel.is_folded()
    assert not panel.formArea.isVisible() and not panel.accessKeyEdit.isVisible()
    assert panel.sandboxSummaryLabel.text() == "Connected to the local sandbox (us-east-1)."
    assert not panel.statusLabel.isVisible()
    qtbot.mouseClick(panel.changeConnectionButton, Qt.MouseButton.LeftButton)
    assert not panel.is_folded()
    assert panel.accessKeyEdit.isVisible() and panel.endpointEdit.text() == sandbox.endpoint_url
    assert panel.statusLabel.isVisible() and sandbox.account_id in panel.statusLabel.text()


def test_outside_demo_mode_the_form_shows(qtbot, paths):
    panel = make_panel(qtbot, paths)
    assert not panel.is_folded() and panel.formArea.isVisible()
