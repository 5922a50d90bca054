"""Secrets: a whole session with a typed access key -- connect (moto checking the signatures), browse,
submit, poll, fetch and open results, hit errors, run the CLI. Afterwards no file
under the data, config, cache and log folders (SQLite files and their -wal included, as raw bytes), no
log line and no text shown to the user contains the secret; it is in the keyring and nowhere else. Logs
also redact presigned URLs."""

from __future__ import annotations

import base64
import json
import logging
import os
import urllib.parse
import urllib.request

import boto3
import pytest
from botocore.config import Config
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget
from rel_helpers import CLI_FAST, REGION, conn_args, raw_failures, run_cli

from gui import APP_ID
from gui.core.jobstates import JobStatus
from gui.core.logs import setup_logging
from gui.core.paths import AppPaths
from gui.core.poller import PollPolicy
from gui.core.secrets import SecretStore
from gui.core.submitter import SubmitPolicy
from gui.core.types import JobSettings, S3Object
from gui.options import AppOptions
from gui.qt.browser_panel import BrowserPanel
from gui.qt.connection_panel import ConnectionPanel
from gui.qt.jobs_panel import JobsPanel

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

WAIT = 30_000
BUCKET = "demo-videos"
GOOD = "family/2024/birthday-party.mp4"
BROKEN = "incoming/not-really-a-video.mp4"


def _moto_auth(endpoint: str, value: str) -> str:
    """moto's own switch: from now on check signatures and IAM policies ("0"), or restore."""
    req = urllib.request.Request(endpoint + "/moto-api/reset-auth", data=value.encode(), method="POST",
                                 headers={"Content-Type": "text/plain"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return str(json.loads(resp.read())["PREVIOUS_INITIAL_NO_AUTH_ACTION_COUNT"])


def _shown_texts(*widgets: QWidget) -> list[str]:
    """Every label and every table cell the user can see in these widgets."""
    texts: list[str] = []
    for w in widgets:
        texts += [label.text() for label in w.findChildren(QLabel)]
    return texts


def _model_texts(model) -> list[str]:
    out = []
    for row in range(model.rowCount()):
        for col in range(model.columnCount()):
            for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
                value = model.data(model.index(row, col), role)
                if value is not None:
                    out.append(str(value))
    return out


def _forms(secret: str) -> list[bytes]:
    """The secret as bytes, URL-encoded and base64-encoded: any of them on disk is a leak."""
    raw = secret.encode()
    return [raw, urllib.parse.quote(secret, safe="").encode(), base64.b64encode(raw)]


def _leaks(files: dict, secret: str) -> list:
    return [path for path, content in files.items() if any(form in content for form in _forms(secret))]


@pytest.mark.slow
def test_a_session_with_a_typed_secret_leaves_it_only_in_the_keyring(qtbot, make_sandbox, memory_keyring, tmp_path):
    sb = make_sandbox(seed_demo=True, job_seconds=0.3)
    iam = boto3.client("iam", region_name=REGION, endpoint_url=sb.endpoint_url)
    iam.create_user(UserName="editor")
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    iam.put_user_policy(UserName="editor", PolicyName="all", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName="editor")["AccessKey"]
    key_id, secret = key["AccessKeyId"], key["SecretAccessKey"]
    assert len(secret) >= 20

    data = tmp_path / "app"
    paths = AppPaths(data, data / "config", data / "cache", data / "logs").ensure()
    exports = tmp_path / "exports"
    exports.mkdir()
    root = logging.getLogger()
    level = root.level
    setup_logging(paths.log_file, level=logging.DEBUG)
    shown: list[str] = []
    previous_auth = _moto_auth(sb.endpoint_url, "0")
    panels: list[ConnectionPanel | BrowserPanel | JobsPanel] = []
    try:
        # 1. Type the key with a wrong secret first (an error to show), then the right one, and connect.
        connection = ConnectionPanel(paths, AppOptions(), secret_store=SecretStore(), auto_connect=False)
        qtbot.addWidget(connection)
        panels.append(connection)
        connection.show()
        qtbot.waitUntil(lambda: connection.keyring_status() is not None, timeout=WAIT)
        connection.sourceCombo.setCurrentIndex(connection.sourceCombo.findData("access_key"))
        qtbot.keyClicks(connection.accessKeyEdit, key_id)
        connection.endpointEdit.setText(sb.endpoint_url)
        qtbot.keyClicks(connection.secretKeyEdit, secret[:-3] + "xyz")
        with qtbot.waitSignal(connection.testFailed, timeout=WAIT) as failed:
            connection.test_now()
        shown += [str(failed.args[0]), connection.statusLabel.text()]
        assert failed.args[0].title == "Wrong secret access key"
        connection.secretKeyEdit.clear()
        qtbot.keyClicks(connection.secretKeyEdit, secret)
        assert connection.rememberSecretCheck.isEnabled() and connection.rememberSecretCheck.isChecked()
        with qtbot.waitSignal(connection.connectionChanged, timeout=WAIT) as connected:
            qtbot.mouseClick(connection.connectButton, Qt.MouseButton.LeftButton)
        conn = connected.args[0]
        shown.append(connection.statusLabel.text())
        assert connection.secretKeyEdit.text() == ""
        # moto's signature check rejects S3 query strings with an encoded '/' (Prefix=a%2Fb%2F), which
        # every folder listing has: check signatures for the connection only. The session below still
        # signs every request with the secret.
        _moto_auth(sb.endpoint_url, previous_auth)

        # 2. Browse a folder, then a bucket that does not exist (an error banner).
        browser = BrowserPanel()
        qtbot.addWidget(browser)
        panels.append(browser)
        browser.set_connection(conn)
        with qtbot.waitSignal(browser.listingFinished, timeout=WAIT):
            browser.navigate(BUCKET, "family/2024/")
        assert browser.model.rowCount() >= 2, _shown_texts(browser)
        with qtbot.waitSignal(browser.listingFinished, timeout=WAIT):
            browser.navigate("no-such-bucket-secrets", "")
        shown += _shown_texts(browser) + _model_texts(browser.model)
        assert any("no-such-bucket-secrets" in t or "not found" in t.lower() for t in _shown_texts(browser))

        # 3. Submit a good and a broken video; watch them end; the good one's results are fetched.
        jobs = JobsPanel(paths, submit_policy=SubmitPolicy(backoff_base=0.05, backoff_max=0.3, limit_wait=0.2,
                                                           idle_wait=0.1),
                         poll_policy=PollPolicy(first_delay=0.1, max_interval=0.3, min_gap=0.0, idle_wait=0.1))
        qtbot.addWidget(jobs)
        panels.append(jobs)
        jobs.set_connection(conn)
        qtbot.waitUntil(lambda: jobs.engine is not None, timeout=WAIT)
        jobs.submit_videos([S3Object(BUCKET, GOOD), S3Object(BUCKET, BROKEN)], JobSettings(job_tag="secrets"))

        def ended() -> bool:
            records = jobs.model.records()
            return len(records) == 2 and all(r.status.is_terminal for r in records) and any(
                r.results_fetched for r in records)

        qtbot.waitUntil(ended, timeout=WAIT)
        by_key = {r.key: r for r in jobs.model.records()}
        assert by_key[GOOD].status is JobStatus.SUCCEEDED and by_key[BROKEN].status is JobStatus.FAILED

        # 4. Open the results (from the local store) and export them.
        jobs.open_results(by_key[GOOD])  # the results store opens in the background, then the window
        qtbot.waitUntil(lambda: bool(jobs.results.windows), timeout=WAIT)
        window = jobs.results.windows[-1]
        view = window.view
        qtbot.waitUntil(lambda: view.summary is not None, timeout=WAIT)
        with qtbot.waitSignal(view.exported, timeout=WAIT):
            view.export("csv", str(exports / "labels.csv"))
        shown += _shown_texts(jobs, window) + _model_texts(jobs.model)

        # 5. The CLI in the same data folder, with the key in its environment (as a script would).
        env = dict(os.environ, AWS_ACCESS_KEY_ID=key_id, AWS_SECRET_ACCESS_KEY=secret)
        cli = run_cli("submit", *conn_args(sb.endpoint_url, data), *CLI_FAST, "--wait", "--min-confidence", "70",
                      f"s3://{BUCKET}/{GOOD}", f"s3://{BUCKET}/{BROKEN}", env=env, timeout=120)
        assert cli.returncode == 1 and cli.stdout.strip() == "1 succeeded, 1 failed", cli.stderr
        status = run_cli("status", "--data-dir", data, env=env)
        shown += [cli.stdout, cli.stderr, status.stdout, status.stderr]
        assert raw_failures(cli.stderr) == []

        # 6. Careless log lines: a presigned URL, the secret itself, a traceback carrying it.
        signatures = []
        log = logging.getLogger("gui.reliability")
        for version, field in (("s3v4", "X-Amz-Signature"), ("s3", "Signature")):  # SigV4 and legacy SigV2 links
            s3 = boto3.client("s3", region_name=REGION, endpoint_url=sb.endpoint_url, aws_access_key_id=key_id,
                              aws_secret_access_key=secret, config=Config(signature_version=version))
            url = s3.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": GOOD}, ExpiresIn=600)
            signatures.append(urllib.parse.parse_qs(urllib.parse.urlparse(url).query)[field][0])
            log.info("Share link: %s", url)
        log.warning("retrying with aws_secret_access_key=%s", secret)
        try:
            raise RuntimeError(f"request failed: {url} {secret}")
        except RuntimeError:
            log.exception("unexpected")

        # Scan while the app still has its databases open (WAL files present), then again after closing.
        files_open = {p: p.read_bytes() for p in paths.data_dir.rglob("*") if p.is_file()}
    finally:
        # The jobs panel closes its results windows (each waits for its tasks) before the results store.
        for panel in panels:
            panel.shutdown()
        _moto_auth(sb.endpoint_url, previous_auth)
        for handler in root.handlers:
            handler.flush()

    log_text = paths.log_file.read_text(encoding="utf-8")
    setup_logging(None)
    root.setLevel(level)

    # The secret is in the keyring, and nowhere else.
    assert memory_keyring.store[(APP_ID, key_id)] == secret
    files_closed = {p: p.read_bytes() for p in list(paths.data_dir.rglob("*")) + list(exports.rglob("*"))
                    if p.is_file()}
    names = {p.name for p in files_open} | {p.name for p in files_closed}
    assert {"jobs.sqlite3", "results.sqlite3", "settings.json", paths.log_file.name, "labels.csv"} <= names
    assert any(n.endswith("-wal") for n in names), names  # the open databases' WAL files were scanned too
    for source in (files_open, files_closed):
        assert _leaks(source, secret) == [], "the secret reached these files"
    # The scan itself can fail: the secret URL-encoded inside an SQLite page is found.
    planted = {paths.jobs_db: files_closed[paths.jobs_db] + b"\x00" + urllib.parse.quote(secret, safe="").encode()}
    assert _leaks(planted, secret) == [paths.jobs_db]
    for text in shown:
        assert secret not in text, f"the secret was shown: {text[:200]}"
    assert shown and any("Wrong secret access key" in t for t in shown)

    # The logs kept the events but not the credentials.
    assert secret not in log_text and key_id + "%2F" not in log_text and f"AWSAccessKeyId={key_id}" not in log_text
    for signature in signatures:
        assert signature not in log_text and urllib.parse.quote(signature, safe="") not in log_text
    assert log_text.count("Share link: ") == 2
    for part in ("X-Amz-Signature=***", "X-Amz-Credential=***", "Signature=***", "AWSAccessKeyId=***"):
        assert part in log_text
    assert "aws_secret_access_key=***" in log_text and "RuntimeError: request failed" in log_text
    assert "Started " in log_text  # the session's own job lines are there (the log is not empty)


def test_redaction_is_not_a_no_op():
    """Control for the scan above: an unredacted secret in a log line is found by the same check."""
    from gui.core.logs import redact, register_secret

    secret = "S3cr3t/Control+Value0123456789abcdefghij"
    line = f"https://b.s3.amazonaws.com/k?X-Amz-Credential=AKIA%2F20240101&X-Amz-Signature=abc123 key={secret}"
    assert secret in line
    register_secret(secret)
    cleaned = redact(line)
    assert secret not in cleaned and "abc123" not in cleaned and "AKIA%2F" not in cleaned
    assert cleaned.startswith("https://b.s3.amazonaws.com/k?")
