"""The Check button by the SNS and role fields says what would keep completion messages from arriving."""

from __future__ import annotations

import boto3
import pytest

from gui.app import create_window
from gui.core.channel_check import Finding, Level
from gui.qt.main_window import channel_summary

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


def test_check_in_the_demo_window_finds_a_missing_role_and_passes_the_demo_role(qtbot, data_dir):
    from gui.sandbox.sandbox import DEMO_ROLE_NAME

    window = create_window(["--demo", "--data-dir", str(data_dir)])
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.jobsPanel is not None and window.jobsPanel.engine is not None, timeout=30_000)
    sb = window.sandbox
    sns = boto3.client("sns", endpoint_url=sb.endpoint_url, region_name="us-east-1",
                       aws_access_key_id="sandbox", aws_secret_access_key="sandbox")
    topic = sns.create_topic(Name="AmazonRekognitionDone")["TopicArn"]
    settings = window.filterPanel.job_settings
    settings.sns_edit.setText(topic)
    settings.role_edit.setText(f"arn:aws:iam::{sb.account_id}:role/NoSuchRole")
    settings.checkChannelButton.click()
    qtbot.waitUntil(lambda: "✗" in settings.channelResult.text(), timeout=20_000)
    assert "NoSuchRole" in settings.channelResult.text()
    settings.role_edit.setText(f"arn:aws:iam::{sb.account_id}:role/{DEMO_ROLE_NAME}")
    settings.checkChannelButton.click()
    qtbot.waitUntil(lambda: settings.channelResult.text().startswith("The channel looks right"), timeout=20_000)
    window.close()


def test_channel_summary_table():
    ok = Finding(Level.OK, "role", "fine")
    assert channel_summary([ok])[1] == "ok"
    text, level = channel_summary([ok, Finding(Level.UNKNOWN, "permission", "cannot simulate")])
    assert level == "warning" and "? cannot simulate" in text and "you can still submit" in text
    text, level = channel_summary([Finding(Level.PROBLEM, "region", "topic in eu-west-1")])
    assert level == "error" and text.startswith("✗ topic in eu-west-1")
