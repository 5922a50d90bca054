"""gui.core.connection and gui.core.secrets: profiles from a temporary ~/.aws, the sandbox, the keyring."""

from __future__ import annotations

import os
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from gui import APP_ID
from gui.core import logs
from gui.core.connection import (
    Connection,
    default_region,
    list_profiles,
    load_last_connection,
    profile_kind,
    profile_region,
    rekognition_video_regions,
    save_last_connection,
    spec_from_settings,
    spec_to_settings,
)
from gui.core.errors import KnownError, explain
from gui.core.secrets import SecretStore
from gui.core.types import ConnectionSpec


def write_aws_config(sb_endpoint: str, account: str) -> Path:
    """A config with a static-key profile, an assume-role profile (STS through the sandbox), two SSO
    profiles (legacy and sso-session) and a failing credential_process."""
    path = Path(os.environ["AWS_CONFIG_FILE"])
    path.write_text(
        "[default]\nregion = eu-west-2\n\n"
        "[profile static]\naws_access_key_id = AKIASTATICEXAMPLE\naws_secret_access_key = staticsecret\n"
        "region = eu-central-1\n\n"
        f"[profile admin-role]\nrole_arn = arn:aws:iam::{account}:role/LabelerAdmin\nsource_profile = static\n"
        f"region = us-west-2\nendpoint_url = {sb_endpoint}\n\n"
        "[profile corp-sso]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n"
        "sso_account_id = 111122223333\nsso_role_name = ReadOnly\nregion = ap-southeast-2\n\n"
        "[profile new-sso]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = ReadOnly\n\n"
        "[sso-session corp]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n\n"
        "[profile broken-process]\ncredential_process = /bin/false\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def aws_config(sandbox, tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path))  # the SSO token cache (~/.aws/sso/cache) is empty
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # never probe 169.254.169.254
    return write_aws_config(sandbox.endpoint_url, sandbox.account_id)


def test_profiles_kinds_and_regions(aws_config):
    assert list_profiles() == sorted(["default", "static", "admin-role", "corp-sso", "new-sso", "broken-process"])
    kinds = {p: profile_kind(p) for p in list_profiles()}
    assert kinds["static"] == "keys"
    assert kinds["admin-role"] == "assume role"
    assert kinds["corp-sso"] == kinds["new-sso"] == "SSO"
    assert kinds["broken-process"] == "process"
    assert profile_region("static") == "eu-central-1"
    assert profile_region("corp-sso") == "ap-southeast-2"
    assert profile_region("new-sso") is None and profile_region(None) is None


def test_default_region_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ca-central-1")
    assert default_region() == "ca-central-1"


def test_static_profile_connects_to_the_sandbox(sandbox, aws_config):
    conn = Connection(ConnectionSpec(source="profile", profile="static", endpoint_url=sandbox.endpoint_url))
    identity = conn.test_connection()
    assert identity.account == sandbox.account_id
    assert identity.bucket_count is not None and identity.bucket_count >= 1


def test_assume_role_profile_goes_through_boto3s_chain(sandbox, aws_config):
    spec = ConnectionSpec(source="profile", profile="admin-role", region="us-west-2", endpoint_url=sandbox.endpoint_url)
    identity = Connection(spec).test_connection()
    assert ":assumed-role/LabelerAdmin/" in identity.arn


@pytest.mark.parametrize("profile", ["corp-sso", "new-sso"])
def test_expired_sso_login_says_which_command_to_run(sandbox, aws_config, profile):
    conn = Connection(ConnectionSpec(source="profile", profile=profile, endpoint_url=sandbox.endpoint_url))
    with pytest.raises(Exception) as info:
        conn.test_connection()
    message = explain(info.value, profile=profile)
    assert message.title == "SSO session expired"
    assert f"aws sso login --profile {profile}" in message.hint


def test_failing_credential_process_is_explained(sandbox, aws_config):
    conn = Connection(ConnectionSpec(source="profile", profile="broken-process", endpoint_url=sandbox.endpoint_url))
    with pytest.raises(Exception) as info:
        conn.test_connection()
    message = explain(info.value, profile="broken-process")
    assert message.title == "Credentials could not be loaded" and "broken-process" in message.hint


def test_unknown_profile_is_a_known_error(aws_config):
    with pytest.raises(KnownError) as info:
        Connection(ConnectionSpec(source="profile", profile="nope")).session  # noqa: B018
    assert "nope" in info.value.message.text


def test_no_credentials_anywhere(sandbox, aws_config, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    Path(os.environ["AWS_CONFIG_FILE"]).write_text("[default]\nregion = us-east-1\n", encoding="utf-8")
    with pytest.raises(Exception) as info:
        Connection(ConnectionSpec(source="default", endpoint_url=sandbox.endpoint_url)).test_connection()
    assert explain(info.value).title == "No AWS credentials found"
    with pytest.raises(KnownError) as env_info:
        Connection(ConnectionSpec(source="env", endpoint_url=sandbox.endpoint_url)).test_connection()
    assert "AWS_ACCESS_KEY_ID" in env_info.value.message.text


def test_environment_credentials_source(sandbox):
    identity = Connection(ConnectionSpec(source="env", endpoint_url=sandbox.endpoint_url)).test_connection()
    assert identity.account == sandbox.account_id


def test_unreachable_endpoint_is_explained():
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    conn = Connection(ConnectionSpec(source="default", endpoint_url=f"http://127.0.0.1:{port}"))
    with pytest.raises(Exception) as info:
        conn.test_connection()
    assert explain(info.value).title == "Endpoint unreachable"


def test_malformed_region_is_explained_before_any_request():
    conn = Connection(ConnectionSpec(source="default", region="not a region!"))
    with pytest.raises(Exception) as info:
        conn.client("sts")
    assert explain(info.value).title == "Wrong region"


def test_clients_are_cached_per_service_and_region(sandbox_conn):
    import gc

    s3 = sandbox_conn.client("s3")
    assert gc.get_freeze_count() > 0  # botocore's models are kept out of later full collections
    assert sandbox_conn.client("s3") is s3 and sandbox_conn("s3") is s3
    eu = sandbox_conn.client("s3", "eu-west-1")
    assert eu is not s3 and eu.meta.region_name == "eu-west-1"
    assert s3.meta.config.retries["mode"] == "standard"
    assert s3.meta.config.s3["addressing_style"] == "path"  # custom endpoint
    other = sandbox_conn.with_region("eu-west-1")
    assert other.region == "eu-west-1" and other.same_account_as(sandbox_conn)


def test_rekognition_regions_come_from_botocore():
    import botocore.session

    regions = rekognition_video_regions()
    assert "us-east-1" in regions and "eu-west-1" in regions
    assert regions == sorted(botocore.session.Session().get_available_regions("rekognition"))


def test_access_key_connection_needs_a_secret():
    spec = ConnectionSpec(source="access_key", access_key_id="AKIAEXAMPLE")
    with pytest.raises(KnownError):
        Connection(spec)


def test_last_connection_round_trip_has_no_secret(paths):
    spec = ConnectionSpec("access_key", None, "eu-west-1", "http://127.0.0.1:9", "AKIAROUNDTRIP")
    save_last_connection(paths, spec)
    assert load_last_connection(paths) == spec
    assert set(spec_to_settings(spec)) == {"source", "profile", "region", "endpoint_url", "access_key_id"}
    assert spec_from_settings({"source": "bogus"}) is None


# ---- secrets ------------------------------------------------------------------------------------------


def test_keyring_store_keyed_by_access_key_id(memory_keyring):
    store = SecretStore()
    assert store.status().available
    assert store.save("AKIAKEYRING1", "s3cret-value/+1", persist=True) == "keyring"
    assert memory_keyring.store[(APP_ID, "AKIAKEYRING1")] == "s3cret-value/+1"
    assert SecretStore().get("AKIAKEYRING1") == "s3cret-value/+1"  # a new store (next start) finds it
    assert store.where("AKIAKEYRING1") == "keyring"
    store.forget("AKIAKEYRING1")
    assert (APP_ID, "AKIAKEYRING1") not in memory_keyring.store
    assert store.get("AKIAKEYRING1") is None


def test_session_only_secret_stays_in_memory(memory_keyring):
    store = SecretStore()
    assert store.save("AKIASESSION1", "only-in-memory-1", persist=False) == "session"
    assert memory_keyring.store == {}
    assert store.get("AKIASESSION1") == "only-in-memory-1" and store.where("AKIASESSION1") == "session"
    assert SecretStore().get("AKIASESSION1") is None


@pytest.fixture
def no_keyring():
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        yield
    finally:
        keyring.set_keyring(previous)


def test_no_keyring_backend_says_so_and_offers_session_only(no_keyring):
    with pytest.raises(keyring.errors.NoKeyringError):
        keyring.get_password(APP_ID, "x")  # what a headless Linux gives
    store = SecretStore()
    status = store.status()
    assert not status.available
    assert "keyring" in status.message and "session only" in status.message
    assert "profile" in status.message and "environment variables" in status.message
    with pytest.raises(KnownError):
        store.save("AKIANOBACKEND", "never-on-disk-1", persist=True)
    assert store.get("AKIANOBACKEND") == "never-on-disk-1"  # kept in memory, not lost
    assert store.save("AKIANOBACKEND2", "never-on-disk-2", persist=False) == "session"
    assert store.get("AKIAUNKNOWN") is None


def test_saved_secret_is_redacted_from_logs(memory_keyring):
    SecretStore().save("AKIAREDACT", "redact-me-please-42", persist=True)
    assert "redact-me-please-42" not in logs.redact("boom: redact-me-please-42 failed")
