"""The engine's rules, each pinned by a test that fails when the rule changes: backoff bounds and jitter,
lease expiry and other computers' claims, the results retention window, the error classifier (and the
CLI's exit codes built on it), the duplicate key and what happens to duplicates, and the confirmation
text the window shows before submitting.

Expected values are written out here, never computed by the code under test.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys

import boto3
import pytest
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ParamValidationError,
    ProfileNotFound,
    ReadTimeoutError,
)
from botocore.stub import Stubber

from gui.cli import common as cli_common
from gui.core.backoff import backoff_delay
from gui.core.duplicates import confirmation_text, plan_jobs, settings_line
from gui.core.engine import FETCH_FAILED_PREFIX, JobEngine
from gui.core.errors import ErrorKind, KnownError, classify, is_retryable
from gui.core.jobstates import JobStatus
from gui.core.jobstore import JobStore, Scope, host_name, new_job
from gui.core.leases import claim_is_abandoned, new_owner, release_owner
from gui.core.submitter import SubmitPolicy, Submitter
from gui.core.types import JobSettings, LabelFilters, S3Object

SCOPE = Scope("111122223333", "us-east-1", "")
NOW = 1_700_000_000.0
WEEK = 604_800.0  # 7 days: how long AWS keeps label-detection results


class Edge(random.Random):
    """A random source pinned to one end of every ``uniform`` range (to read the bounds exactly)."""

    def __init__(self, end: str) -> None:
        super().__init__(0)
        self.end = end

    def uniform(self, a: float, b: float) -> float:
        return a if self.end == "low" else b


def _unused_factory(service: str, region: str | None = None) -> None:
    raise AssertionError(f"no AWS call expected here (asked for {service})")


# ----------------------------------------------------------------------------------------------------------
# Backoff
# ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attempt", "base", "maximum", "low", "high"),
    [
        (0, 1.0, 60.0, 0.5, 1.0),  # attempt 0 counts as the first retry
        (1, 1.0, 60.0, 0.5, 1.0),
        (2, 1.0, 60.0, 1.0, 2.0),  # doubles each attempt
        (3, 1.0, 60.0, 2.0, 4.0),
        (6, 1.0, 60.0, 16.0, 32.0),
        (7, 1.0, 60.0, 30.0, 60.0),  # 64 capped at 60
        (40, 1.0, 60.0, 30.0, 60.0),  # stays at the cap
        (3, 0.25, 20.0, 0.5, 1.0),  # results fetching's policy
        (9, 0.25, 20.0, 10.0, 20.0),
    ],
)
def test_backoff_grows_doubling_capped_with_equal_jitter(attempt, base, maximum, low, high):
    assert backoff_delay(attempt, base, maximum, Edge("low")) == pytest.approx(low)
    assert backoff_delay(attempt, base, maximum, Edge("high")) == pytest.approx(high)


def test_backoff_jitter_spreads_over_the_upper_half_of_the_ceiling():
    rng = random.Random(1234)
    delays = [backoff_delay(5, 1.0, 60.0, rng) for _ in range(2000)]  # ceiling 16 s
    assert min(delays) >= 8.0 and max(delays) <= 16.0
    assert min(delays) < 8.2 and max(delays) > 15.8  # really random over [8, 16], not a fixed point
    assert len(set(delays)) > 1900
    assert sum(delays) / len(delays) == pytest.approx(12.0, abs=0.2)


# ----------------------------------------------------------------------------------------------------------
# Leases
# ----------------------------------------------------------------------------------------------------------


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_claims_are_abandoned_by_lease_expiry_dead_process_or_stopped_engine():
    here = host_name()
    live = new_owner()
    try:
        assert claim_is_abandoned(None, NOW + 60, NOW)  # nobody holds it
        assert claim_is_abandoned("", NOW + 60, NOW)
        assert claim_is_abandoned("not-an-owner", NOW + 60, NOW)  # unreadable: take it over
        assert not claim_is_abandoned(live, NOW + 60, NOW)  # a running engine of this process
        assert not claim_is_abandoned(live, NOW, NOW)  # the lease ends after `now`, not at it
        assert not claim_is_abandoned(live, None, NOW)
        assert claim_is_abandoned(live, NOW - 0.001, NOW)  # even a live engine's lease runs out
        assert not claim_is_abandoned(f"{here}:{os.getppid()}:tag", NOW + 60, NOW)  # a live process here
        assert claim_is_abandoned(f"{here}:{_dead_pid()}:tag", NOW + 60, NOW)  # a process here that is gone
        assert claim_is_abandoned(f"{here}:{os.getpid()}:never-registered", NOW + 60, NOW)
    finally:
        release_owner(live)
    assert claim_is_abandoned(live, NOW + 60, NOW)  # that engine stopped


def test_another_computers_claim_is_trusted_until_its_lease_runs_out():
    other = f"not-{host_name()}:{_dead_pid()}:tag"  # its pid means nothing here
    assert not claim_is_abandoned(other, NOW + 60, NOW)
    assert not claim_is_abandoned(other, NOW, NOW)
    assert not claim_is_abandoned(other, None, NOW)
    assert claim_is_abandoned(other, NOW - 1, NOW)


def test_the_submitter_takes_over_another_computers_claim_only_after_the_lease(tmp_path):
    client = boto3.client("rekognition", region_name="us-east-1", endpoint_url="http://127.0.0.1:9")
    stubber = Stubber(client)
    stubber.add_response("start_label_detection", {"JobId": "J-TAKEN-OVER"})
    other = f"not-{host_name()}:1:tag"
    with JobStore(tmp_path / "jobs.sqlite3", clock=lambda: NOW) as store, stubber:
        [record] = store.add_jobs([new_job("videos", "v.mp4", JobSettings(), SCOPE)])
        [claimed] = store.claim(SCOPE, owner=other, max_active=5, limit=5, lease_seconds=120,
                                is_abandoned=claim_is_abandoned, now=NOW)
        submitter = Submitter(store, lambda service, region=None: client, SCOPE, policy=SubmitPolicy())
        try:
            assert submitter.step(now=NOW + 119).submitted == 0  # the other computer may still send it
            assert store.get(record.id).status is JobStatus.SUBMITTING
            assert submitter.step(now=NOW + 121).submitted == 1
        finally:
            submitter.close()
        after = store.get(record.id)
    assert claimed.id == record.id
    assert after.status is JobStatus.IN_PROGRESS and after.job_id == "J-TAKEN-OVER"
    assert after.client_token == record.client_token  # sent with the same token: AWS returns the same job
    stubber.assert_no_pending_responses()


def test_a_stopped_submitter_releases_its_claims_to_this_process_at_once(tmp_path):
    with JobStore(tmp_path / "jobs.sqlite3", clock=lambda: NOW) as store:
        submitter = Submitter(store, _unused_factory, SCOPE)
        assert not claim_is_abandoned(submitter.owner, NOW + 120, NOW)
        assert submitter.stop(timeout=1.0)  # never started: ends at once
        assert claim_is_abandoned(submitter.owner, NOW + 120, NOW)


# ----------------------------------------------------------------------------------------------------------
# Retention window
# ----------------------------------------------------------------------------------------------------------


def _succeeded(store, key, finished_at, *, message=None, fetched=False):
    [record] = store.add_jobs([new_job("b", key, JobSettings(), SCOPE)])
    [claimed] = store.claim(SCOPE, owner="o", max_active=50, limit=1, lease_seconds=60,
                            is_abandoned=lambda *a: False, now=NOW)
    assert claimed.id == record.id
    store.mark_started(record.id, f"JOB-{key}", started_at=finished_at - 10)
    store.mark_finished(record.id, JobStatus.SUCCEEDED, finished_at=finished_at)
    if message:
        store.set_message(record.id, message)
    if fetched:
        store.set_results(record.id, label_count=3)
    return record.id


def test_unfetched_offers_succeeded_jobs_within_the_seven_days_aws_keeps_results(tmp_path):
    with JobStore(tmp_path / "jobs.sqlite3", clock=lambda: NOW) as store:
        fresh = _succeeded(store, "fresh.mp4", NOW - 60)
        last_minute = _succeeded(store, "six-days-23h.mp4", NOW - WEEK + 60)
        _succeeded(store, "expired.mp4", NOW - WEEK - 60)  # AWS no longer has its results
        _succeeded(store, "exactly-a-week.mp4", NOW - WEEK)
        _succeeded(store, "stored.mp4", NOW - 60, fetched=True)
        _succeeded(store, "failed-fetch.mp4", NOW - 60, message=f"{FETCH_FAILED_PREFIX} Access denied")
        other_message = _succeeded(store, "noted.mp4", NOW - 60, message="Some other note")
        engine = JobEngine(store, _unused_factory, SCOPE, clock=lambda: NOW)
        assert sorted(j.id for j in engine.unfetched()) == sorted([fresh, last_minute, other_message])
        assert [j.id for j in engine.unfetched(max_age_seconds=3600)] == [fresh, other_message]


# ----------------------------------------------------------------------------------------------------------
# The error classifier and the CLI's exit codes
# ----------------------------------------------------------------------------------------------------------


def _client_error(code, status=400):
    error = {"Code": code, "Message": f"{code} happened"} if code else {}
    return ClientError({"Error": error, "ResponseMetadata": {"HTTPStatusCode": status}}, "StartLabelDetection")


def _known_from(cause):
    try:
        raise KnownError("Profile not found", "x") from cause
    except KnownError as exc:
        return exc


CLASSIFY_TABLE = [
    # exception, kind, CLI exit code
    (_client_error("LimitExceededException"), ErrorKind.LIMIT, 1),
    (_client_error("ThrottlingException"), ErrorKind.THROTTLE, 1),
    (_client_error("ProvisionedThroughputExceededException"), ErrorKind.THROTTLE, 1),
    (_client_error("InternalServerError", 500), ErrorKind.THROTTLE, 1),
    (_client_error("SlowDown", 503), ErrorKind.THROTTLE, 1),
    (_client_error(None, 503), ErrorKind.THROTTLE, 1),  # a 5xx without an error code
    (_client_error(None, 500), ErrorKind.THROTTLE, 1),
    (_client_error("SomeNewServerFault", 500), ErrorKind.THROTTLE, 1),  # any 5xx, known code or not
    (_client_error(None, 499), ErrorKind.BUG, 1),  # neither a code nor a 5xx: nothing to go on
    (EndpointConnectionError(endpoint_url="http://127.0.0.1:9"), ErrorKind.CONNECTION, 3),
    (ConnectTimeoutError(endpoint_url="http://127.0.0.1:9"), ErrorKind.CONNECTION, 3),
    (ReadTimeoutError(endpoint_url="http://127.0.0.1:9"), ErrorKind.CONNECTION, 3),
    (_client_error("ExpiredTokenException"), ErrorKind.AUTH, 3),
    (_client_error("ExpiredToken"), ErrorKind.AUTH, 3),
    (_client_error("InvalidClientTokenId", 403), ErrorKind.AUTH, 3),
    (_client_error("UnrecognizedClientException", 403), ErrorKind.AUTH, 3),
    (_client_error("InvalidAccessKeyId", 403), ErrorKind.AUTH, 3),
    (_client_error("SignatureDoesNotMatch", 403), ErrorKind.AUTH, 3),
    (_client_error("IncompleteSignature", 403), ErrorKind.AUTH, 3),
    (NoCredentialsError(), ErrorKind.AUTH, 3),
    (ProfileNotFound(profile="missing"), ErrorKind.AUTH, 3),
    (_known_from(ProfileNotFound(profile="missing")), ErrorKind.AUTH, 3),  # classified by its cause
    (_known_from(EndpointConnectionError(endpoint_url="http://x")), ErrorKind.CONNECTION, 3),
    (KnownError("Results not ready", "still in progress"), ErrorKind.REFUSED, 1),
    (_client_error("InvalidS3ObjectException"), ErrorKind.REFUSED, 1),
    (_client_error("VideoTooLargeException"), ErrorKind.REFUSED, 1),
    (_client_error("AccessDeniedException", 403), ErrorKind.REFUSED, 1),
    (_client_error("IdempotentParameterMismatchException"), ErrorKind.REFUSED, 1),
    (_client_error("ResourceNotFoundException"), ErrorKind.REFUSED, 1),
    (ParamValidationError(report="MinConfidence must be a number"), ErrorKind.REFUSED, 1),
    (ValueError("a bug"), ErrorKind.BUG, 1),
    (KeyError("JobId"), ErrorKind.BUG, 1),
]


@pytest.mark.parametrize(("exc", "kind", "exit_code"), CLASSIFY_TABLE,
                         ids=[f"{type(e).__name__}-{k.value}-{i}" for i, (e, k, _c) in enumerate(CLASSIFY_TABLE)])
def test_classify_and_the_cli_exit_code(exc, kind, exit_code):
    assert classify(exc) is kind
    assert is_retryable(exc) == (kind in (ErrorKind.THROTTLE, ErrorKind.CONNECTION))
    assert cli_common.exit_code_for(exc) == exit_code


def test_cli_exit_codes_for_its_own_errors():
    from gui.core.jobstore import JobStoreError

    assert cli_common.exit_code_for(cli_common.CliError("x", 4)) == 4
    assert cli_common.exit_code_for(JobStoreError("Job list unusable", "newer version")) == 5


# ----------------------------------------------------------------------------------------------------------
# Duplicates
# ----------------------------------------------------------------------------------------------------------

BASE_VIDEO = S3Object("videos", "clip.mp4", 1000, None, "etag", version_id="v1")
BASE_SETTINGS = JobSettings(min_confidence=60.0)


@pytest.mark.parametrize(
    ("scope", "video", "settings", "duplicate"),
    [
        (SCOPE, BASE_VIDEO, BASE_SETTINGS, True),
        (SCOPE, S3Object("videos", "clip.mp4", 5555, None, "other-etag", version_id="v1"), BASE_SETTINGS, True),
        (Scope("999988887777", "us-east-1", ""), BASE_VIDEO, BASE_SETTINGS, False),  # account
        (Scope("111122223333", "eu-west-1", ""), BASE_VIDEO, BASE_SETTINGS, False),  # region
        (Scope("111122223333", "us-east-1", "http://127.0.0.1:5000"), BASE_VIDEO, BASE_SETTINGS, False),  # endpoint
        (SCOPE, S3Object("other", "clip.mp4", 1000, None, "etag", version_id="v1"), BASE_SETTINGS, False),
        (SCOPE, S3Object("videos", "clip2.mp4", 1000, None, "etag", version_id="v1"), BASE_SETTINGS, False),
        (SCOPE, S3Object("videos", "clip.mp4", 1000, None, "etag", version_id="v2"), BASE_SETTINGS, False),
        (SCOPE, BASE_VIDEO, JobSettings(min_confidence=61.0), False),
        (SCOPE, BASE_VIDEO, JobSettings(min_confidence=60.0, job_tag="t"), False),
        (SCOPE, BASE_VIDEO, JobSettings(LabelFilters(label_inclusions=("Dog",)), 60.0), False),
    ],
    ids=["same", "size-and-etag-ignored", "account", "region", "endpoint", "bucket", "key", "version",
         "min-confidence", "job-tag", "filters"],
)
def test_every_component_of_the_duplicate_key(tmp_path, scope, video, settings, duplicate):
    with JobStore(tmp_path / "jobs.sqlite3") as store:
        [existing] = store.add_jobs([new_job(BASE_VIDEO.bucket, BASE_VIDEO.key, BASE_SETTINGS, SCOPE,
                                             version_id=BASE_VIDEO.version_id)])
        plan = plan_jobs(store, scope, [video], settings)
    if duplicate:
        assert plan.new == () and [d.existing.id for d in plan.duplicates] == [existing.id]
    else:
        assert len(plan.new) == 1 and plan.duplicates == ()


def _videos(*keys):
    return [S3Object("videos", k, 1000, None, "e") for k in keys]


def test_what_happens_to_duplicates_skip_resubmit_or_retry_in_place(tmp_path):
    with JobStore(tmp_path / "jobs.sqlite3", clock=lambda: NOW) as store:
        engine = JobEngine(store, _unused_factory, SCOPE, clock=lambda: NOW)
        first = {r.key: r for r in engine.submit(_videos("a.mp4", "b.mp4", "c.mp4"), BASE_SETTINGS)}
        assert sorted(first) == ["a.mp4", "b.mp4", "c.mp4"]
        assert engine.cancel(first["b.mp4"].id)  # b ended unsuccessfully; a and c stay queued
        videos = _videos("a.mp4", "d.mp4", "d.mp4", "b.mp4", "e.mp4", "c.mp4")  # d twice in one batch

        skip = engine.submit_plan(engine.plan(videos, BASE_SETTINGS, preset="P"), BASE_SETTINGS, preset="P")
        assert [r.key for r in skip.added] == ["d.mp4", "e.mp4"]
        assert [r.preset for r in skip.added] == ["P", "P"]
        assert skip.retried == () and skip.late == ()
        assert sorted(r.key for r in skip.skipped) == ["a.mp4", "b.mp4", "c.mp4"]
        assert store.get(first["b.mp4"].id).status is JobStatus.CANCELLED  # left alone

        plan = engine.plan(videos, BASE_SETTINGS)
        assert plan.new == ()
        retry = engine.submit_plan(plan, BASE_SETTINGS, retry_ended=True)  # the CLI's rule
        assert retry.added == ()
        assert [r.id for r in retry.retried] == [first["b.mp4"].id]
        again = store.get(first["b.mp4"].id)
        assert again.status is JobStatus.QUEUED and again.client_token != first["b.mp4"].client_token
        assert sorted(r.key for r in retry.skipped) == ["a.mp4", "c.mp4", "d.mp4", "e.mp4"]

        forced = engine.submit_plan(engine.plan(_videos("a.mp4"), BASE_SETTINGS), BASE_SETTINGS, preset="Q",
                                    include_duplicates=True)
        assert [r.key for r in forced.added] == ["a.mp4"] and forced.skipped == ()
        assert forced.added[0].preset == "Q"
        assert forced.added[0].id != first["a.mp4"].id
        assert forced.added[0].client_token != first["a.mp4"].client_token  # a new job, a new token
        assert len(store.jobs(SCOPE)) == 6


def test_videos_queued_elsewhere_after_the_plan_are_skipped_and_reported_late(tmp_path):
    with JobStore(tmp_path / "jobs.sqlite3", clock=lambda: NOW) as store:
        engine = JobEngine(store, _unused_factory, SCOPE, clock=lambda: NOW)
        plan = engine.plan(_videos("a.mp4", "b.mp4"), BASE_SETTINGS)
        [elsewhere] = JobEngine(store, _unused_factory, SCOPE).submit(_videos("b.mp4"), BASE_SETTINGS)
        outcome = engine.submit_plan(plan, BASE_SETTINGS)
        assert [r.key for r in outcome.added] == ["a.mp4"]
        assert [r.id for r in outcome.late] == [elsewhere.id] == [r.id for r in outcome.skipped]


# ----------------------------------------------------------------------------------------------------------
# The confirmation text
# ----------------------------------------------------------------------------------------------------------

TAGGED = JobSettings(LabelFilters(label_inclusions=("Dog",), category_exclusions=("Weapons",)), 75.0, "batch-7")

CONFIRMATION_TABLE = [
    # existing keys, asked keys, settings, preset, modified, not videos, active -> expected
    (
        [], ["a.mp4", "b.mp4"], JobSettings(), None, False, 0, 0,
        {
            "headline": "Start label detection on 2 videos?",
            "body": ("COST", "Settings: custom settings, MinConfidence 50, no filters.",
                     "At most 20 jobs run at once."),
            "videos": (), "accept": "Start 2 jobs", "resubmit": None, "resubmit_by_default": False,
            "accept_resubmits": False, "accept_is_default": True,
        },
    ),
    (
        ["a.mp4"], ["a.mp4", "b.mp4", "c.mp4"], TAGGED, "Pets", False, 1, 4,
        {
            "headline": "Start label detection on 3 videos?",
            "body": ("COST", "Settings: preset “Pets”, MinConfidence 75, 2 filters, JobTag batch-7.",
                     "1 selected object is not a video Rekognition accepts and left out.",
                     "1 video was already submitted with the same settings and will be skipped. Tick the box "
                     "below to submit it again (AWS bills each job).",
                     "At most 20 jobs run at once; 4 jobs are already queued or running."),
            "videos": ("s3://videos/a.mp4",), "accept": "Start 2 jobs",
            "resubmit": "Submit the 1 video already submitted again too", "resubmit_by_default": False,
            "accept_resubmits": False, "accept_is_default": True,
        },
    ),
    (
        ["a.mp4", "b.mp4"], ["b.mp4", "a.mp4"], JobSettings(), "Pets", True, 3, 1,
        {
            "headline": "Start label detection on 2 videos?",
            "body": ("COST", "Settings: preset “Pets” (modified), MinConfidence 50, no filters.",
                     "The settings were changed after the preset “Pets” was applied; the jobs use them as "
                     "shown, and the preset itself is unchanged.",
                     "3 selected objects are not a video Rekognition accepts and left out.",
                     "All 2 videos were already submitted with the same settings. Submitting again starts new "
                     "jobs, and AWS bills each one.",
                     "At most 20 jobs run at once; 1 job is already queued or running."),
            "videos": ("s3://videos/b.mp4", "s3://videos/a.mp4"), "accept": "Submit 2 videos again",
            "resubmit": None, "resubmit_by_default": False,
            "accept_resubmits": True, "accept_is_default": False,
        },
    ),
]


@pytest.mark.parametrize(("existing", "asked", "settings", "preset", "modified", "not_videos", "active", "want"),
                         CONFIRMATION_TABLE, ids=["all-new", "some-duplicates", "only-duplicates-modified"])
def test_confirmation_text(tmp_path, existing, asked, settings, preset, modified, not_videos, active, want):
    with JobStore(tmp_path / "jobs.sqlite3") as store:
        store.add_jobs([new_job("videos", k, settings, SCOPE, preset=preset) for k in existing])
        plan = plan_jobs(store, SCOPE, _videos(*asked), settings, preset=preset)
    text = confirmation_text(plan, settings, cost="COST", preset=preset, preset_modified=modified,
                             not_videos=not_videos, max_active=20, active=active)
    assert text.title == "Start label detection"
    assert text.headline == want["headline"]
    assert text.body == want["body"]
    assert text.videos == want["videos"]
    assert text.accept == want["accept"]
    assert text.resubmit == want["resubmit"]
    assert text.resubmit_by_default is want["resubmit_by_default"]
    assert text.accept_resubmits is want["accept_resubmits"]
    assert text.accept_is_default is want["accept_is_default"]
    assert text.preset_modified is modified


def test_settings_line_names_the_notification():
    from gui.core.types import NotificationChannel

    settings = JobSettings(notification=NotificationChannel("arn:aws:sns:us-east-1:1:t", "arn:aws:iam::1:role/r"))
    assert settings_line(settings, None) == "Settings: custom settings, MinConfidence 50, no filters, SNS notification."
