"""Bad input: a catalogue of what users get wrong or what goes wrong around them, each with the exact
message the user is shown. Every case also checks that nothing crashed (no traceback or raw exception
text, a documented exit code) and nothing was lost: a job and a preset saved before the case are still
there, and a damaged file is kept aside byte for byte, never deleted.

The table is ``CATALOGUE`` at the end: one row per case (id, what the user does, the message).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from rel_helpers import REGION, free_port, raw_failures, run_cli, store_records, wait_until

from gui.core.errors import explain
from gui.core.jobstates import JobStatus
from gui.core.jobstore import JobStore, Scope, new_job
from gui.core.paths import AppPaths, resolve_paths
from gui.core.presets import PresetStore
from gui.core.settings import read_app_settings
from gui.core.types import JobSettings, LabelFilters, NotificationChannel, S3Object
from gui.core.validation import settings_problems

BUCKET = "demo-videos"
GOOD = f"s3://{BUCKET}/family/2024/birthday-party.mp4"
SENTINEL_SCOPE = Scope("111111111111", REGION, "http://sentinel.invalid")
SENTINEL_KEY = "earlier/session.mp4"
KEEP_PRESET = "Keep me"
TOPIC = "arn:aws:sns:us-east-1:123456789012:AmazonRekognitionTopic"
ROLE = "arn:aws:iam::123456789012:role/RekognitionSNSRole"
INVALID_S3_OBJECT = ("Unable to get object metadata from S3. Check object key, region and/or access "
                     "permissions.")
ALLOWED = "Allowed: letters A-Z, digits, à â è ç ñ ó, spaces and ' ( ) * + , - . / : ; < = > ? @ [ \\ ] ^ _."
FAST = ["--poll-interval", "0.1", "--poll-max", "0.3", "--retry-max", "0.5"]


# ----------------------------------------------------------------------------------------------------------
# The frame every case runs in
# ----------------------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    message: str  # everything the user is shown: the CLI's stdout + stderr, or the message text
    code: int | None = None  # the CLI's exit code (None: no CLI involved)


@dataclass
class Ctx:
    tmp: Path
    data: Path
    paths: AppPaths
    sb: Any
    monkeypatch: pytest.MonkeyPatch

    @property
    def endpoint(self) -> str:
        return str(self.sb.endpoint_url)

    def cli(self, *args: object, data: Path | None = None, endpoint: str | None = None) -> Outcome:
        """``rekognition-labeler COMMAND --endpoint-url … --data-dir … ARGS`` run in this process."""
        from gui import cli

        command, *rest = [str(a) for a in args]
        conn = ["--endpoint-url", endpoint or self.endpoint, "--region", REGION, "--data-dir", str(data or self.data)]
        out, err = io.StringIO(), io.StringIO()
        code = cli.main([command, *conn, *rest], stdout=out, stderr=err)
        return Outcome(out.getvalue() + err.getvalue(), code)

    def preset_file(self, doc: dict[str, Any] | str, name: str = "shared.json") -> Path:
        path = self.tmp / name
        path.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
        return path

    def engine_run(self, videos: list[S3Object], settings: JobSettings | None = None) -> list[Any]:
        """What the window does: queue ``videos`` in the store and let the engine run them to the end."""
        from gui.core.connection import Connection
        from gui.core.engine import JobEngine, resolve_scope
        from gui.core.poller import PollPolicy
        from gui.core.submitter import SubmitPolicy
        from gui.core.types import ConnectionSpec

        conn = Connection(ConnectionSpec(source="env", region=REGION, endpoint_url=self.endpoint))
        store = JobStore(self.paths.jobs_db)
        engine = JobEngine(store, conn.client, resolve_scope(conn.client, REGION, self.endpoint),
                           submit_policy=SubmitPolicy(backoff_base=0.05, backoff_max=0.3, limit_wait=0.2, idle_wait=0.1),
                           poll_policy=PollPolicy(first_delay=0.1, max_interval=0.3, min_gap=0.0, idle_wait=0.1))
        try:
            records = engine.submit(videos, settings or JobSettings())
            engine.start()
            ids = [r.id for r in records]
            wait_until(lambda: all(r.status.is_terminal for r in store.jobs(ids=ids)), timeout=30,
                       what="the jobs ending")
            return store.jobs(ids=ids)
        finally:
            engine.stop(timeout=5)
            store.close()


def _sentinel(paths: AppPaths) -> str:
    """A job and a preset from an earlier session, which no case may lose."""
    with JobStore(paths.jobs_db) as store:
        [record] = store.add_jobs([new_job("earlier-bucket", SENTINEL_KEY, JobSettings(), SENTINEL_SCOPE)])
        [claimed] = store.claim(SENTINEL_SCOPE, owner="earlier", max_active=1, limit=1, lease_seconds=1,
                                is_abandoned=lambda *a: True)
        store.mark_started(claimed.id, "earlier-job-id")
        store.mark_finished(claimed.id, JobStatus.SUCCEEDED)
    PresetStore(paths).save(KEEP_PRESET, JobSettings(LabelFilters(label_inclusions=("Dog",)), 70))
    return record.client_token


def _bad_settings(ctx: Ctx, *, aws_refuses: bool = True, **kw: Any) -> Outcome:
    """The messages the settings panel shows (gui.core.validation), one per line. With ``aws_refuses``,
    the same request sent anyway is refused by the API's own validation (so the early message spares the
    user a job that would fail); nothing is started either way."""
    from botocore.exceptions import ClientError, ParamValidationError

    from gui.core.jobstore import new_token
    from gui.core.request import build_start_request

    filters = {k: kw.pop(k) for k in list(kw) if k.startswith(("label_", "category_"))}
    settings = JobSettings(LabelFilters(**filters), **kw)
    problems = settings_problems(settings)
    assert problems, "accepted settings the API refuses"
    if aws_refuses:
        jobs_before = len(ctx.sb.jobs())
        params = build_start_request(BUCKET, "city/city-traffic.mp4", settings, client_request_token=new_token())
        rekognition = boto3.client("rekognition", region_name=REGION, endpoint_url=ctx.endpoint)
        with pytest.raises((ClientError, ParamValidationError)) as refused:
            rekognition.start_label_detection(**params)
        if isinstance(refused.value, ClientError):
            assert refused.value.response["Error"]["Code"] == "InvalidParameterException"
        assert len(ctx.sb.jobs()) == jobs_before
    return Outcome("\n".join(p.message for p in problems))


def _preset_doc(**settings: Any) -> dict[str, Any]:
    return {"schema_version": 2, "app": "rekognition-video-labeler", "name": "Shared", "settings": settings}


def _no_request_sent(ctx: Ctx, run: Callable[[], Outcome]) -> Outcome:
    """Refused before anything reached AWS: no StartLabelDetection, no new job row."""
    before = ctx.sb.start_requests
    rows = len(store_records(ctx.paths.jobs_db))
    outcome = run()
    assert ctx.sb.start_requests == before
    assert len(store_records(ctx.paths.jobs_db)) == rows
    return outcome


# ----------------------------------------------------------------------------------------------------------
# Filters, tags and ARNs (the settings panel: gui.core.validation)
# ----------------------------------------------------------------------------------------------------------


def filters_101_items(ctx: Ctx) -> Outcome:
    return _bad_settings(ctx, label_inclusions=tuple(f"Label {i}" for i in range(101)))


def filter_51_characters(ctx: Ctx) -> Outcome:
    return _bad_settings(ctx, label_inclusions=("A" * 51,))


def filter_forbidden_characters(ctx: Ctx) -> Outcome:
    return _bad_settings(ctx, label_inclusions=("Cat!",))


def category_forbidden_characters(ctx: Ctx) -> Outcome:
    return _bad_settings(ctx, category_exclusions=("Food & Drink",))


def filter_empty_name(ctx: Ctx) -> Outcome:
    return _bad_settings(ctx, aws_refuses=False, label_exclusions=("  ",))  # AWS would accept "  "


def label_included_and_excluded(ctx: Ctx) -> Outcome:
    return _bad_settings(ctx, aws_refuses=False, label_inclusions=("Dog",), label_exclusions=("Dog",))


def job_tag_with_a_space(ctx: Ctx) -> Outcome:
    return _bad_settings(ctx, job_tag="summer trip")


def job_tag_too_long(ctx: Ctx) -> Outcome:
    return _bad_settings(ctx, job_tag="t" * 1025)


def min_confidence_out_of_range(ctx: Ctx) -> Outcome:
    return _bad_settings(ctx, min_confidence=150)


def sns_topic_arn_malformed(ctx: Ctx) -> Outcome:
    return _bad_settings(ctx, notification=NotificationChannel("arn:aws:sns:us-east-1:12345:Topic", ROLE))


def role_arn_of_a_user(ctx: Ctx) -> Outcome:
    return _bad_settings(ctx, notification=NotificationChannel(TOPIC, "arn:aws:iam::123456789012:user/bob"))


def role_arn_missing(ctx: Ctx) -> Outcome:
    return _bad_settings(ctx, aws_refuses=False, notification=NotificationChannel(TOPIC, ""))


# ----------------------------------------------------------------------------------------------------------
# The same through the CLI (flags and preset files): refused before anything is queued or sent
# ----------------------------------------------------------------------------------------------------------


def cli_job_tag_with_a_space(ctx: Ctx) -> Outcome:
    return _no_request_sent(ctx, lambda: ctx.cli("submit", "--job-tag", "summer trip", GOOD))


def cli_min_confidence_out_of_range(ctx: Ctx) -> Outcome:
    return _no_request_sent(ctx, lambda: ctx.cli("submit", "--min-confidence", "120", GOOD))


def cli_preset_file_101_labels(ctx: Ctx) -> Outcome:
    path = ctx.preset_file(_preset_doc(GeneralLabels={"LabelInclusionFilters": [f"Label {i}" for i in range(101)]}))
    return _no_request_sent(ctx, lambda: ctx.cli("submit", "--preset-file", path, GOOD))


def cli_preset_file_51_characters(ctx: Ctx) -> Outcome:
    path = ctx.preset_file(_preset_doc(GeneralLabels={"LabelExclusionFilters": ["B" * 51]}))
    return _no_request_sent(ctx, lambda: ctx.cli("submit", "--preset-file", path, GOOD))


def cli_preset_file_forbidden_characters(ctx: Ctx) -> Outcome:
    path = ctx.preset_file(_preset_doc(GeneralLabels={"LabelCategoryInclusionFilters": ["Pets {cats}"]}))
    return _no_request_sent(ctx, lambda: ctx.cli("submit", "--preset-file", path, GOOD))


def cli_preset_file_bad_sns_arn(ctx: Ctx) -> Outcome:
    path = ctx.preset_file(_preset_doc(NotificationChannel={"SNSTopicArn": "my-topic", "RoleArn": ROLE}))
    return _no_request_sent(ctx, lambda: ctx.cli("submit", "--preset-file", path, GOOD))


def cli_preset_file_bad_role_arn(ctx: Ctx) -> Outcome:
    path = ctx.preset_file(_preset_doc(NotificationChannel={"SNSTopicArn": TOPIC, "RoleArn": "RekognitionRole"}))
    return _no_request_sent(ctx, lambda: ctx.cli("submit", "--preset-file", path, GOOD))


def cli_preset_file_malformed(ctx: Ctx) -> Outcome:
    text = '{"schema_version": 2, "name": "Half written", "settings": {'
    path = ctx.preset_file(text)
    outcome = _no_request_sent(ctx, lambda: ctx.cli("submit", "--preset-file", path, GOOD))
    assert path.read_text(encoding="utf-8") == text  # someone else's file: never renamed or changed
    return outcome


def cli_preset_file_future_version(ctx: Ctx) -> Outcome:
    path = ctx.preset_file({**_preset_doc(MinConfidence=60), "schema_version": 99})
    before = path.read_bytes()
    outcome = _no_request_sent(ctx, lambda: ctx.cli("submit", "--preset-file", path, GOOD))
    assert path.read_bytes() == before
    return outcome


def cli_unknown_preset_name(ctx: Ctx) -> Outcome:
    return _no_request_sent(ctx, lambda: ctx.cli("submit", "--preset", "Holiday clips", GOOD))


# ----------------------------------------------------------------------------------------------------------
# Preset and settings files in the app's own folders
# ----------------------------------------------------------------------------------------------------------


def _load_presets(ctx: Ctx) -> tuple[Outcome, PresetStore]:
    store = PresetStore(ctx.paths)
    report = store.load()
    assert KEEP_PRESET in store.names()  # the other presets still load
    return Outcome("\n".join(report.problems)), store


def preset_folder_malformed_file(ctx: Ctx) -> Outcome:
    path = ctx.paths.presets_dir / "broken.json"
    path.write_text('{"schema_version": 2, "name": ', encoding="utf-8")
    outcome, store = _load_presets(ctx)
    assert not path.exists()
    assert (ctx.paths.presets_dir / "broken.json.corrupt").read_text(encoding="utf-8") == '{"schema_version": 2, "name": '
    return outcome


def preset_folder_future_version(ctx: Ctx) -> Outcome:
    path = ctx.paths.presets_dir / "from-the-future.json"
    path.write_text(json.dumps({**_preset_doc(MinConfidence=60), "schema_version": 3}), encoding="utf-8")
    before = path.read_bytes()
    outcome, store = _load_presets(ctx)
    assert path.read_bytes() == before and "Shared" not in store.names()  # untouched, not loaded
    return outcome


def preset_folder_invalid_settings(ctx: Ctx) -> Outcome:
    path = ctx.paths.presets_dir / "hand-edited.json"
    text = json.dumps(_preset_doc(MinConfidence=60, GeneralLabels={"LabelInclusionFilters": ["Cat!"]}))
    path.write_text(text, encoding="utf-8")
    outcome, _store = _load_presets(ctx)
    assert (ctx.paths.presets_dir / "hand-edited.json.corrupt").read_text(encoding="utf-8") == text
    return outcome


def settings_file_corrupt(ctx: Ctx) -> Outcome:
    ctx.paths.settings_file.write_text("{ not json", encoding="utf-8")
    loaded = read_app_settings(ctx.paths)
    assert loaded.sections == {}  # defaults
    assert ctx.paths.settings_file.with_name("settings.json.corrupt").read_text(encoding="utf-8") == "{ not json"
    return Outcome(loaded.problem or "")


# ----------------------------------------------------------------------------------------------------------
# Objects and buckets named on the command line
# ----------------------------------------------------------------------------------------------------------


def missing_object(ctx: Ctx) -> Outcome:
    return _no_request_sent(ctx, lambda: ctx.cli("submit", f"s3://{BUCKET}/family/no-such-video.mp4", GOOD))


def missing_bucket(ctx: Ctx) -> Outcome:
    return _no_request_sent(ctx, lambda: ctx.cli("submit", "s3://no-such-bucket-rel/clip.mp4", GOOD))


def non_video_key(ctx: Ctx) -> Outcome:
    return _no_request_sent(ctx, lambda: ctx.cli("submit", f"s3://{BUCKET}/README.txt"))


def folder_without_videos(ctx: Ctx) -> Outcome:
    return _no_request_sent(ctx, lambda: ctx.cli("submit", "--recursive", f"s3://{BUCKET}/docs/"))


def not_an_s3_uri(ctx: Ctx) -> Outcome:
    return _no_request_sent(ctx, lambda: ctx.cli("submit", "https://example.com/clip.mp4"))


# ----------------------------------------------------------------------------------------------------------
# Jobs AWS refuses or fails: FAILED with AWS's own message, the good video next to it still succeeds
# ----------------------------------------------------------------------------------------------------------


def _failed_next_to_good(ctx: Ctx, key: str, *, code: str | None = None) -> Outcome:
    outcome = ctx.cli("submit", *FAST, "--wait", f"s3://{BUCKET}/{key}", GOOD)
    assert outcome.message.startswith("1 succeeded, 1 failed\n"), outcome.message
    rows = {r.key: r for r in store_records(ctx.paths.jobs_db) if r.scope != SENTINEL_SCOPE}
    assert rows[key].status is JobStatus.FAILED and rows[GOOD.split("/", 3)[3]].status is JobStatus.SUCCEEDED
    if code is not None:  # refused at StartLabelDetection: AWS never started a job
        assert rows[key].error_code == code and rows[key].job_id is None
    else:  # started, then FAILED: the message is the sandbox's StatusMessage for that very job
        [job] = [j for j in ctx.sb.jobs() if j["JobId"] == rows[key].job_id]
        assert job["Status"] == "FAILED" and rows[key].status_message == job["StatusMessage"]
    return outcome


def object_deleted_after_queueing(ctx: Ctx) -> Outcome:
    """The window's listing was a minute old: the video was deleted before its job was sent."""
    ctx.sb.put_object(BUCKET, "vanishing/clip.mp4", b"soon gone")
    boto3.client("s3", region_name=REGION, endpoint_url=ctx.endpoint).delete_object(Bucket=BUCKET,
                                                                                   Key="vanishing/clip.mp4")
    gone, good = ctx.engine_run([S3Object(BUCKET, "vanishing/clip.mp4"), S3Object(BUCKET, "city/city-traffic.mp4")])
    assert good.status is JobStatus.SUCCEEDED
    assert gone.status is JobStatus.FAILED and gone.error_code == "InvalidS3ObjectException"
    return Outcome(gone.status_message or "")


def bucket_deleted_after_queueing(ctx: Ctx) -> Outcome:
    [gone] = ctx.engine_run([S3Object("bucket-deleted-meanwhile", "clip.mp4")])
    assert gone.status is JobStatus.FAILED and gone.error_code == "InvalidS3ObjectException"
    return Outcome(gone.status_message or "")


def text_file_named_mp4(ctx: Ctx) -> Outcome:
    return _failed_next_to_good(ctx, "incoming/not-really-a-video.mp4")


def truncated_mp4(ctx: Ctx) -> Outcome:
    return _failed_next_to_good(ctx, "incoming/truncated-upload.mp4")


def video_too_large(ctx: Ctx) -> Outcome:
    return _failed_next_to_good(ctx, "big/huge.mp4", code="VideoTooLargeException")


def video_too_long(ctx: Ctx) -> Outcome:
    return _failed_next_to_good(ctx, "archive/cctv-seven-hours.mp4")


# ----------------------------------------------------------------------------------------------------------
# The job database and the data folder
# ----------------------------------------------------------------------------------------------------------


def _kept_aside_jobs_db(ctx: Ctx) -> Path:
    [aside] = [p for p in ctx.paths.data_dir.glob("jobs.sqlite3.corrupt-*") if not p.name.endswith(("-wal", "-shm"))]
    return aside


def jobs_db_not_a_database(ctx: Ctx) -> Outcome:
    garbage = b"these bytes are not SQLite\n" * 200
    ctx.paths.jobs_db.write_bytes(garbage)
    outcome = ctx.cli("status")
    assert _kept_aside_jobs_db(ctx).read_bytes() == garbage
    assert store_records(ctx.paths.jobs_db) == []  # a new, empty list was started
    return outcome


def jobs_db_damaged_pages(ctx: Ctx) -> Outcome:
    data = bytearray(ctx.paths.jobs_db.read_bytes())
    assert len(data) > 3 * 4096
    data[4096 : 3 * 4096] = b"\xa5" * (2 * 4096)  # pages 2-3 overwritten: the header still says SQLite
    ctx.paths.jobs_db.write_bytes(bytes(data))
    outcome = ctx.cli("status")
    assert _kept_aside_jobs_db(ctx).read_bytes() == bytes(data)
    return outcome


def jobs_db_from_a_newer_version(ctx: Ctx) -> Outcome:
    conn = sqlite3.connect(ctx.paths.jobs_db)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    before = ctx.paths.jobs_db.read_bytes()
    outcome = ctx.cli("status")
    assert ctx.paths.jobs_db.read_bytes() == before  # left untouched
    return outcome


def _immutable(path: Path) -> Callable[[], None]:
    """Make ``path`` impossible to change, even for root (whom chmod does not stop): ``chattr +i``.
    Returns the undo. Skips when the file system or the user cannot do it."""
    if os.geteuid() != 0:
        mode = path.stat().st_mode
        path.chmod(0o555 if path.is_dir() else 0o444)
        return lambda: path.chmod(mode)
    chattr = shutil.which("chattr")
    if chattr is None or subprocess.run([chattr, "+i", str(path)], capture_output=True).returncode != 0:
        pytest.skip("root, and chattr +i is not available here: cannot make a file read-only for root")
    return lambda: subprocess.run([chattr, "-i", str(path)], check=True)


def _read_only_submit(ctx: Ctx, path: Path) -> Outcome:
    before, rows = ctx.sb.start_requests, store_records(ctx.paths.jobs_db)
    undo = _immutable(path)
    try:
        outcome = ctx.cli("submit", "--wait", GOOD)
    finally:
        undo()
    assert ctx.sb.start_requests == before and store_records(ctx.paths.jobs_db) == rows
    return outcome


def jobs_db_read_only(ctx: Ctx) -> Outcome:
    """The database file cannot be written (it can be read: ``status`` still lists the jobs)."""
    return _read_only_submit(ctx, ctx.paths.jobs_db)


def data_dir_read_only(ctx: Ctx) -> Outcome:
    """The data folder cannot take new files: SQLite cannot even create the -wal/-shm files it reads with."""
    return _read_only_submit(ctx, ctx.paths.data_dir)


def data_dir_under_a_file(ctx: Ctx) -> Outcome:
    """--data-dir whose parent is a regular file: mkdir fails for root too (ENOTDIR)."""
    blocker = ctx.tmp / "not-a-folder"
    blocker.write_text("a file\n", encoding="utf-8")
    before = ctx.sb.start_requests
    outcome = ctx.cli("submit", GOOD, data=blocker / "data")
    assert ctx.sb.start_requests == before and blocker.read_text(encoding="utf-8") == "a file\n"
    return outcome


# ----------------------------------------------------------------------------------------------------------
# Credentials and the endpoint
# ----------------------------------------------------------------------------------------------------------


def no_credentials(ctx: Ctx) -> Outcome:
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        ctx.monkeypatch.delenv(var, raising=False)
    ctx.monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # never ask 169.254.169.254
    # A loopback endpoint gets placeholder credentials (the sandbox takes any), so this case names a remote
    # one. Nothing is sent to it: botocore fails to sign the very first request (STS) for want of credentials.
    return _no_request_sent(ctx, lambda: ctx.cli("submit", GOOD, endpoint="https://rekognition.aws.invalid"))


def partial_credentials(ctx: Ctx) -> Outcome:
    ctx.monkeypatch.delenv("AWS_SECRET_ACCESS_KEY", raising=False)
    return _no_request_sent(ctx, lambda: ctx.cli("submit", GOOD))


def unknown_profile(ctx: Ctx) -> Outcome:
    return _no_request_sent(ctx, lambda: ctx.cli("submit", "--profile", "holiday", GOOD))


def _with_auth(ctx: Ctx, run: Callable[[], Outcome]) -> Outcome:
    """moto checks signatures and keys (its /moto-api/reset-auth switch) while ``run`` runs."""

    def switch(value: str) -> str:
        req = urllib.request.Request(ctx.endpoint + "/moto-api/reset-auth", data=value.encode(), method="POST",
                                     headers={"Content-Type": "text/plain"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            return str(json.loads(resp.read())["PREVIOUS_INITIAL_NO_AUTH_ACTION_COUNT"])

    previous = switch("0")
    try:
        return _no_request_sent(ctx, run)
    finally:
        switch(previous)


def wrong_access_key(ctx: Ctx) -> Outcome:
    ctx.monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAWRONGKEY00000000")
    return _with_auth(ctx, lambda: ctx.cli("submit", GOOD))


def wrong_secret_key(ctx: Ctx) -> Outcome:
    iam = boto3.client("iam", region_name=REGION, endpoint_url=ctx.endpoint)
    name = f"catalogue-{os.getpid()}-{len(iam.list_users()['Users'])}"
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    ctx.monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
    ctx.monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"][:-4] + "XXXX")
    return _with_auth(ctx, lambda: ctx.cli("submit", GOOD))


def expired_sso_login(ctx: Ctx) -> Outcome:
    """A real SSO profile whose cached token expired yesterday: boto3's own chain raises. A child process,
    because botocore fixes the token cache folder (~/.aws/sso/cache) at import time."""
    home = ctx.tmp / "home"
    cache = home / ".aws" / "sso" / "cache"
    cache.mkdir(parents=True)
    start_url = "https://example-corp.awsapps.com/start"
    (cache / (hashlib.sha1(start_url.encode()).hexdigest() + ".json")).write_text(json.dumps(
        {"startUrl": start_url, "region": REGION, "accessToken": "expired-token",
         "expiresAt": "2020-01-01T00:00:00Z"}), encoding="utf-8")
    config = home / ".aws" / "config"
    config.write_text(
        "[profile expired-sso]\n"
        f"sso_start_url = {start_url}\nsso_region = {REGION}\nsso_account_id = 123456789012\n"
        f"sso_role_name = Viewer\nregion = {REGION}\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(HOME=str(home), AWS_CONFIG_FILE=str(config), AWS_SHARED_CREDENTIALS_FILE=str(home / "none"),
               AWS_EC2_METADATA_DISABLED="true")
    before = ctx.sb.start_requests
    proc = run_cli("submit", "--profile", "expired-sso", "--endpoint-url", ctx.endpoint, "--data-dir", ctx.data,
                   GOOD, env=env, timeout=60)
    assert ctx.sb.start_requests == before
    return Outcome(proc.stdout + proc.stderr, proc.returncode)


def expired_session_credentials(ctx: Ctx) -> Outcome:
    """AWS answers ExpiredToken (the sandbox accepts any token, so botocore's Stubber plays AWS here):
    the submitter pauses and keeps the job queued, with the message the window shows."""
    from botocore.stub import Stubber

    from gui.core.submitter import SubmitPolicy, Submitter

    client = boto3.client("rekognition", region_name=REGION, endpoint_url=ctx.endpoint)
    stubber = Stubber(client)
    stubber.add_client_error("start_label_detection", service_error_code="ExpiredTokenException",
                             service_message="The security token included in the request is expired",
                             http_status_code=400)
    scope = Scope("123456789012", REGION, ctx.endpoint)
    with JobStore(ctx.paths.jobs_db) as store, stubber:
        [record] = store.add_jobs([new_job(BUCKET, "city/city-traffic.mp4", JobSettings(), scope)])
        submitter = Submitter(store, lambda service, region=None: client, scope, policy=SubmitPolicy())
        submitter.step()
        kept = store.get(record.id)
        submitter.close()
    assert kept is not None and kept.status is JobStatus.QUEUED  # nothing failed, nothing lost
    assert kept.client_token == record.client_token and kept.status_message == "Paused: Credentials expired."
    assert submitter.paused is not None
    return Outcome(str(submitter.paused))


def unreachable_endpoint(ctx: Ctx) -> Outcome:
    port = free_port()  # nothing listens there: connections are refused at once
    return ctx.cli("submit", GOOD, endpoint=f"http://127.0.0.1:{port}")


# ----------------------------------------------------------------------------------------------------------
# The table
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    run: Callable[[Ctx], Outcome]
    message: str  # the exact text the user gets (exact substring of what is shown)
    code: int | None = None  # the CLI's exit code, when the CLI is involved
    store_replaced: bool = False  # the case starts a new job database (and checks the old one is kept aside)


CATALOGUE = [
    # -- filters, tags, ARNs, MinConfidence: the settings panel's messages ----------------------------------
    Case("filters-101-items", filters_101_items,
         "Include labels: 101 items; the API accepts at most 100 (LabelInclusionFilters)."),
    Case("filter-51-characters", filter_51_characters,
         "Include labels: 'AAAAAAAAAAAAAAAAAAAA…' has 51 characters; the API accepts at most 50 "
         "(LabelInclusionFilters)."),
    Case("filter-forbidden-characters", filter_forbidden_characters,
         f"Include labels: 'Cat!' contains '!', which LabelInclusionFilters does not accept. {ALLOWED}"),
    Case("category-forbidden-characters", category_forbidden_characters,
         "Exclude categories: 'Food & Drink' contains '&', which LabelCategoryExclusionFilters does not accept."),
    Case("filter-empty-name", filter_empty_name, "Exclude labels: a name cannot be empty."),
    Case("label-included-and-excluded", label_included_and_excluded,
         "The label 'Dog' is both included and excluded; pick one."),
    Case("job-tag-with-a-space", job_tag_with_a_space,
         "JobTag 'summer trip' contains a space. Allowed: letters A-Z a-z, digits and _ . - : + = / (no spaces)."),
    Case("job-tag-too-long", job_tag_too_long, "JobTag has 1025 characters; the API accepts at most 1024."),
    Case("min-confidence-out-of-range", min_confidence_out_of_range,
         "MinConfidence must be from 0 to 100 (got 150)."),
    Case("sns-topic-arn-malformed", sns_topic_arn_malformed,
         "SNS topic ARN is not valid: expected arn:aws:sns:REGION:ACCOUNT_ID(12 digits):TOPIC_NAME, "
         "e.g. arn:aws:sns:us-east-1:123456789012:AmazonRekognitionTopic."),
    Case("role-arn-of-a-user", role_arn_of_a_user,
         "IAM role ARN is not valid: expected arn:aws:iam::ACCOUNT_ID(12 digits):role/NAME, "
         "e.g. arn:aws:iam::123456789012:role/RekognitionSNSRole."),
    Case("role-arn-missing", role_arn_missing, "IAM role ARN is missing: a notification channel needs both ARNs."),
    # -- the same mistakes through the CLI: exit 2, nothing queued, nothing sent ------------------------------
    Case("cli-job-tag-with-a-space", cli_job_tag_with_a_space,
         "error: invalid settings:\n  JobTag 'summer trip' contains a space. Allowed: letters A-Z a-z, digits and "
         "_ . - : + = / (no spaces).", 2),
    Case("cli-min-confidence-out-of-range", cli_min_confidence_out_of_range,
         "error: invalid settings:\n  MinConfidence must be from 0 to 100 (got 120).", 2),
    Case("cli-preset-file-101-labels", cli_preset_file_101_labels,
         "is not a valid preset file (Include labels: 101 items; the API accepts at most 100 "
         "(LabelInclusionFilters)).\n", 2),
    Case("cli-preset-file-51-characters", cli_preset_file_51_characters,
         "is not a valid preset file (Exclude labels: 'BBBBBBBBBBBBBBBBBBBB…' has 51 characters; the API "
         "accepts at most 50 (LabelExclusionFilters)).\n", 2),
    Case("cli-preset-file-forbidden-characters", cli_preset_file_forbidden_characters,
         "is not a valid preset file (Include categories: 'Pets {cats}' contains '{' and '}', which "
         "LabelCategoryInclusionFilters does not accept. Allowed: letters A-Z, digits, à â è ç ñ ó, spaces and "
         "' ( ) * + , - . / : ; < = > ? @ [ \\ ] ^ _).\n", 2),
    Case("cli-preset-file-bad-sns-arn", cli_preset_file_bad_sns_arn,
         "is not a valid preset file (SNS topic ARN is not valid: expected arn:aws:sns:REGION:ACCOUNT_ID"
         "(12 digits):TOPIC_NAME", 2),
    Case("cli-preset-file-bad-role-arn", cli_preset_file_bad_role_arn,
         "is not a valid preset file (IAM role ARN is not valid: expected arn:aws:iam::ACCOUNT_ID(12 digits)"
         ":role/NAME", 2),
    Case("cli-preset-file-malformed", cli_preset_file_malformed,
         "shared.json' is not a valid preset file (Expecting property name enclosed in double quotes: "
         "line 1 column 60 (char 59)).", 2),
    Case("cli-preset-file-future-version", cli_preset_file_future_version,
         "shared.json' has schema_version 99; this app understands up to 2. Update the app, or ask for a "
         "file exported by this version.", 2),
    Case("cli-unknown-preset-name", cli_unknown_preset_name,
         "error: no preset named 'Holiday clips' (available: All labels (no filters), People and vehicles, "
         "Everything except text and symbols, Animals and pets, Sports and fitness, Public safety and damage, "
         "Keep me)", 2),
    # -- presets and settings in the app's folders: bad files kept aside or left alone, the rest loads ------
    Case("preset-folder-malformed-file", preset_folder_malformed_file,
         "broken.json' could not be read (Expecting value: line 1 column 31 (char 30)). It was kept as "
         "'broken.json.corrupt'."),
    Case("preset-folder-future-version", preset_folder_future_version,
         "from-the-future.json' has schema_version 3; this app understands up to 2. It was left untouched and "
         "not loaded."),
    Case("preset-folder-invalid-settings", preset_folder_invalid_settings,
         "hand-edited.json' could not be used (Include labels: 'Cat!' contains '!', which LabelInclusionFilters "
         "does not accept."),
    Case("settings-file-corrupt", settings_file_corrupt,
         "settings.json' could not be read (Expecting property name enclosed in double quotes: line 1 column 3 "
         "(char 2)). It was kept as 'settings.json.corrupt'."),
    # -- objects and buckets named on the command line: exit 2, nothing queued ------------------------------
    Case("missing-object", missing_object,
         "error: s3://demo-videos/family/no-such-video.mp4: object not found\nerror: nothing was queued", 2),
    Case("missing-bucket", missing_bucket,
         "error: s3://no-such-bucket-rel/clip.mp4: bucket 'no-such-bucket-rel' not found", 2),
    Case("non-video-key", non_video_key,
         "error: s3://demo-videos/README.txt: Not a video: Rekognition Video accepts MP4, MOV and AVI files (H.264).",
         2),
    Case("folder-without-videos", folder_without_videos,
         "error: s3://demo-videos/docs/: no videos there\nerror: nothing was queued", 2),
    Case("not-an-s3-uri", not_an_s3_uri, "error: https://example.com/clip.mp4: not an s3:// URI", 2),
    # -- jobs AWS refuses or fails: FAILED with AWS's message; the video next to it still succeeds ----------
    Case("object-deleted-after-queueing", object_deleted_after_queueing, INVALID_S3_OBJECT),
    Case("bucket-deleted-after-queueing", bucket_deleted_after_queueing, INVALID_S3_OBJECT),
    Case("text-file-named-mp4", text_file_named_mp4,
         "FAILED: s3://demo-videos/incoming/not-really-a-video.mp4: Unsupported codec/format: the file is not "
         "an MP4, MOV or AVI video.", 1),
    Case("truncated-mp4", truncated_mp4,
         "FAILED: s3://demo-videos/incoming/truncated-upload.mp4: The file is truncated or damaged: its 'mdat' "
         "box ends past the end of the file (an upload that did not finish?).", 1),
    Case("video-too-large", video_too_large,
         "FAILED: s3://demo-videos/big/huge.mp4: Video size in bytes: 200000 is more than the maximum limit of: "
         "150000 bytes.", 1),
    Case("video-too-long", video_too_long,
         "FAILED: s3://demo-videos/archive/cctv-seven-hours.mp4: Video duration exceeds the maximum of 6 hours "
         "(7:00:00 > 6:00:00).", 1),
    # -- the job database and the data folder ---------------------------------------------------------------
    Case("jobs-db-not-a-database", jobs_db_not_a_database,
         "jobs.sqlite3' could not be read (file is not a database). It was kept as 'jobs.sqlite3.corrupt-",
         0, store_replaced=True),
    Case("jobs-db-damaged-pages", jobs_db_damaged_pages,
         "It was kept as 'jobs.sqlite3.corrupt-", 0, store_replaced=True),
    Case("jobs-db-from-a-newer-version", jobs_db_from_a_newer_version,
         "jobs.sqlite3' has schema version 99; this app understands up to 4. Update the app. The file was left "
         "untouched.", 5, store_replaced=True),
    Case("jobs-db-read-only", jobs_db_read_only,
         "jobs.sqlite3' (attempt to write a readonly database). Check the permissions of the data folder, or "
         "choose another one with --data-dir.", 5),
    Case("data-dir-read-only", data_dir_read_only,
         "error: Job database is read-only: Cannot write", 5),
    Case("data-dir-under-a-file", data_dir_under_a_file,
         "not-a-folder/data': Not a directory", 5),
    # -- credentials and the endpoint: exit 3, nothing sent --------------------------------------------------
    Case("no-credentials", no_credentials,
         "error: cannot connect: No AWS credentials found: Neither a profile, environment variables nor an "
         "access key provided credentials. Pick a profile from ~/.aws, or choose 'Access key' and type a key ID "
         "and secret.", 3),
    Case("partial-credentials", partial_credentials,
         "error: cannot connect: Credentials could not be loaded: Partial credentials found in env, missing: "
         "AWS_SECRET_ACCESS_KEY", 3),
    Case("unknown-profile", unknown_profile,
         "Profile not found: There is no profile named 'holiday' in ~/.aws/config or ~/.aws/credentials. "
         "Pick another profile, or run `aws configure --profile NAME`.", 3),
    Case("wrong-access-key", wrong_access_key,
         "error: cannot connect: Invalid access key: AWS does not recognise this access key ID. Check the key "
         "ID or pick a profile.", 3),
    Case("wrong-secret-key", wrong_secret_key,
         "error: cannot connect: Wrong secret access key: The secret does not match the access key ID. "
         "Re-enter the secret key.", 3),
    Case("expired-sso-login", expired_sso_login,
         "error: cannot connect: SSO session expired: Your AWS SSO token is missing or has expired. Run "
         "`aws sso login --profile", 3),
    Case("expired-session-credentials", expired_session_credentials,
         "Credentials expired: The session token has expired. Refresh your credentials (for SSO: "
         "`aws sso login --profile <name>`)."),
    Case("unreachable-endpoint", unreachable_endpoint,
         "error: cannot connect: Endpoint unreachable: Could not reach the service (Could not connect to the "
         "endpoint URL: \"http://127.0.0.1:", 3),
]

DOCUMENTED_EXIT_CODES = {0, 1, 2, 3, 4, 5, 130}


@pytest.mark.parametrize("case", CATALOGUE, ids=[c.id for c in CATALOGUE])
def test_bad_input_gets_a_clear_message_and_loses_nothing(case, catalogue_sandbox, tmp_path, monkeypatch,
                                                          restore_logging):
    paths = resolve_paths(tmp_path / "app").ensure()
    token = _sentinel(paths)
    ctx = Ctx(tmp_path, tmp_path / "app", paths, catalogue_sandbox, monkeypatch)

    outcome = case.run(ctx)

    assert case.message in outcome.message, f"expected {case.message!r}\n     got {outcome.message!r}"
    assert raw_failures(outcome.message) == [], outcome.message  # a message, not a crash
    assert outcome.code == case.code, outcome.message
    assert outcome.code is None or outcome.code in DOCUMENTED_EXIT_CODES
    # Nothing lost: the earlier session's job and preset are still there (or, when the case had to
    # start a new job database, the old file is kept aside: checked by the case itself).
    if not case.store_replaced:
        earlier = [r for r in store_records(paths.jobs_db) if r.client_token == token]
        assert [(r.key, r.status) for r in earlier] == [(SENTINEL_KEY, JobStatus.SUCCEEDED)]
    presets = PresetStore(paths)
    presets.load()
    assert KEEP_PRESET in presets.names()


def test_the_catalogue_is_big_enough_and_every_message_is_distinct():
    assert len(CATALOGUE) >= 30
    assert len({c.id for c in CATALOGUE}) == len(CATALOGUE)
    assert len({c.message for c in CATALOGUE}) >= len(CATALOGUE) - 2  # two cases share AWS's S3 message


def test_explain_turns_every_credential_error_into_a_message():
    """The wrong/expired credential codes AWS returns, as explain() words them (unit-level companion of
    the end-to-end cases above)."""
    from botocore.exceptions import ClientError

    def error(code: str) -> ClientError:
        return ClientError({"Error": {"Code": code, "Message": "from AWS"}}, "GetCallerIdentity")

    assert explain(error("InvalidClientTokenId")).title == "Invalid access key"
    assert explain(error("SignatureDoesNotMatch")).title == "Wrong secret access key"
    assert explain(error("ExpiredToken")).title == "Credentials expired"
    assert explain(error("ExpiredTokenException")).title == "Credentials expired"
    assert all(explain(error(c)).expected for c in ("InvalidClientTokenId", "ExpiredToken"))

