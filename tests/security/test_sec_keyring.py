"""A typed secret is kept only after AWS accepted it (a typo never replaces the saved one), and a saved
secret can be forgotten from the connection panel and from the CLI. moto checks the signatures here
(its reset-auth switch), so a wrong secret really gets SignatureDoesNotMatch."""

from __future__ import annotations

import io
import json
import urllib.request

import boto3
import pytest
from PySide6.QtCore import Qt

from gui import APP_ID
from gui.cli import main as cli_main
from gui.core.paths import AppPaths
from gui.core.secrets import SecretStore
from gui.options import AppOptions
from gui.qt.connection_panel import ConnectionPanel

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

WAIT = 20_000
REGION = "us-east-1"


def _moto_auth(endpoint: str, value: str) -> str:
    """moto's own switch: check signatures and IAM policies from now on ("0"), or restore."""
    req = urllib.request.Request(endpoint + "/moto-api/reset-auth", data=value.encode(), method="POST",
                                 headers={"Content-Type": "text/plain"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return str(json.loads(resp.read())["PREVIOUS_INITIAL_NO_AUTH_ACTION_COUNT"])


@pytest.fixture
def signed_sandbox(make_sandbox):
    """A private sandbox checking signatures, and a real IAM user's access key on it."""
    sb = make_sandbox(seed_demo=False)
    iam = boto3.client("iam", region_name=REGION, endpoint_url=sb.endpoint_url)
    iam.create_user(UserName="editor")
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    iam.put_user_policy(UserName="editor", PolicyName="all", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName="editor")["AccessKey"]
    previous = _moto_auth(sb.endpoint_url, "0")
    try:
        yield sb, key["AccessKeyId"], key["SecretAccessKey"]
    finally:
        _moto_auth(sb.endpoint_url, previous)


@pytest.fixture
def app_paths(tmp_path) -> AppPaths:
    root = tmp_path / "app"
    return AppPaths(root, root / "config", root / "cache", root / "logs").ensure()


def _panel(qtbot, paths: AppPaths, store: SecretStore) -> ConnectionPanel:
    panel = ConnectionPanel(paths, AppOptions(), secret_store=store, auto_connect=False)
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitUntil(lambda: panel.keyring_status() is not None, timeout=WAIT)
    return panel


def _type_key(qtbot, panel: ConnectionPanel, endpoint: str, key_id: str, secret: str) -> None:
    panel.sourceCombo.setCurrentIndex(panel.sourceCombo.findData("access_key"))
    panel.accessKeyEdit.clear()
    qtbot.keyClicks(panel.accessKeyEdit, key_id)
    panel.secretKeyEdit.clear()
    qtbot.keyClicks(panel.secretKeyEdit, secret)
    panel.endpointEdit.setText(endpoint)


def test_a_mistyped_secret_never_replaces_the_saved_one(qtbot, app_paths, signed_sandbox, memory_keyring):
    sb, key_id, secret = signed_sandbox
    panel = _panel(qtbot, app_paths, SecretStore())
    _type_key(qtbot, panel, sb.endpoint_url, key_id, secret)
    with qtbot.waitSignal(panel.connectionChanged, timeout=WAIT):
        qtbot.mouseClick(panel.connectButton, Qt.MouseButton.LeftButton)
    assert memory_keyring.store[(APP_ID, key_id)] == secret

    typo = secret[:-1] + ("x" if secret[-1] != "x" else "y")
    _type_key(qtbot, panel, sb.endpoint_url, key_id, typo)
    with qtbot.waitSignal(panel.testFailed, timeout=WAIT) as failed:
        qtbot.mouseClick(panel.connectButton, Qt.MouseButton.LeftButton)
    assert failed.args[0].title == "Wrong secret access key"  # SignatureDoesNotMatch from the sandbox
    assert memory_keyring.store[(APP_ID, key_id)] == secret

    # A fresh start (new session memory) connects with the saved secret, the form's secret field empty.
    again = _panel(qtbot, app_paths, SecretStore())
    _type_key(qtbot, again, sb.endpoint_url, key_id, "")
    with qtbot.waitSignal(again.connectionChanged, timeout=WAIT):
        again.connect_now()


def test_test_connection_with_a_typed_secret_keeps_nothing(qtbot, app_paths, signed_sandbox, memory_keyring):
    sb, key_id, secret = signed_sandbox
    store = SecretStore()
    panel = _panel(qtbot, app_paths, store)
    _type_key(qtbot, panel, sb.endpoint_url, key_id, secret)
    with qtbot.waitSignal(panel.testSucceeded, timeout=WAIT):
        panel.test_now()
    assert store.where(key_id) is None and memory_keyring.store == {}


def test_forget_saved_secret_in_the_panel(qtbot, app_paths, sandbox, memory_keyring):
    key_id = "AKIAFORGETPANEL0001"
    memory_keyring.store[(APP_ID, key_id)] = "saved-secret-value-0001"
    memory_keyring.store[(APP_ID, "AKIAOTHERKEY0000002")] = "other-secret-value-0002"
    panel = _panel(qtbot, app_paths, SecretStore())
    panel.sourceCombo.setCurrentIndex(panel.sourceCombo.findData("access_key"))
    qtbot.keyClicks(panel.accessKeyEdit, key_id)
    assert panel.forgetSecretButton.isVisible() and panel.forgetSecretButton.isEnabled()

    asked: list[str] = []
    panel.forgetSecretButton.confirm = lambda k: asked.append(k) or False  # the user says no
    qtbot.mouseClick(panel.forgetSecretButton, Qt.MouseButton.LeftButton)
    assert asked == [key_id] and (APP_ID, key_id) in memory_keyring.store

    panel.forgetSecretButton.confirm = lambda k: True
    with qtbot.waitSignal(panel.forgetSecretButton.forgotten, timeout=WAIT):
        qtbot.mouseClick(panel.forgetSecretButton, Qt.MouseButton.LeftButton)
    assert (APP_ID, key_id) not in memory_keyring.store
    assert (APP_ID, "AKIAOTHERKEY0000002") in memory_keyring.store
    assert "removed from the system keyring" in panel.statusLabel.text()
    with qtbot.waitSignal(panel.forgetSecretButton.forgotten, timeout=WAIT):
        qtbot.mouseClick(panel.forgetSecretButton, Qt.MouseButton.LeftButton)
    assert "No secret was saved" in panel.statusLabel.text()


def test_cli_credentials_forget(tmp_path, memory_keyring, restore_logging):
    key_id = "AKIAFORGETCLI000001"
    memory_keyring.store[(APP_ID, key_id)] = "saved-secret-value-0003"
    out, err = io.StringIO(), io.StringIO()
    code = cli_main(["credentials", "forget", key_id, "--data-dir", str(tmp_path)], stdout=out, stderr=err)
    assert code == 0, err.getvalue()
    assert (APP_ID, key_id) not in memory_keyring.store
    assert f"removed the saved secret of {key_id}" in out.getvalue()

    out, err = io.StringIO(), io.StringIO()
    code = cli_main(["credentials", "forget", key_id, "--data-dir", str(tmp_path)], stdout=out, stderr=err)
    assert code == 1 and f"no secret is saved for {key_id}" in err.getvalue()

    out, err = io.StringIO(), io.StringIO()
    code = cli_main(["credentials", "forget", "AKIA\x1b[2Jbad", "--data-dir", str(tmp_path)], stdout=out, stderr=err)
    assert code == 2 and "\x1b" not in err.getvalue() and "⟨U+001B⟩" in err.getvalue()
