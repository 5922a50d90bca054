"""Rules of the job store, each pinned by a test that fails when the rule changes: every component of the
duplicate key, lease expiry and claims held by another computer, and the 7-day results retention window."""

from __future__ import annotations

import time

import pytest

from gui.core.engine import JobEngine
from gui.core.jobstates import JobStatus
from gui.core.jobstore import JobStore, Scope, new_job
from gui.core.leases import claim_is_abandoned
from gui.core.types import JobSettings, LabelFilters, NotificationChannel

SCOPE = Scope("111122223333", "us-east-1", "http://127.0.0.1:9")
TOPIC = "arn:aws:sns:us-east-1:111122223333:AmazonRekognitionTopic"
ROLE = "arn:aws:iam::111122223333:role/RekognitionRole"
BASE = JobSettings(LabelFilters(("Dog",), ("Cat",), ("Animals and Pets",), ("Vehicles",)), 70.0, "batch-1",
                   NotificationChannel(TOPIC, ROLE))


def _base(**changes):
    """The base job, or the base job with one component changed."""
    args = {"bucket": "videos", "key": "a.mp4", "settings": BASE, "scope": SCOPE, "version_id": "v1"}
    args.update(changes)
    return new_job(args["bucket"], args["key"], args["settings"], args["scope"], version_id=args["version_id"])


def _filters(**changes):
    f = BASE.filters
    values = {"label_inclusions": f.label_inclusions, "label_exclusions": f.label_exclusions,
              "category_inclusions": f.category_inclusions, "category_exclusions": f.category_exclusions}
    values.update(changes)
    return JobSettings(LabelFilters(**values), BASE.min_confidence, BASE.job_tag, BASE.notification)


VARIANTS = {
    "account": {"scope": Scope("444455556666", SCOPE.region, SCOPE.endpoint)},
    "region": {"scope": Scope(SCOPE.account, "eu-west-1", SCOPE.endpoint)},
    "endpoint": {"scope": Scope(SCOPE.account, SCOPE.region, "")},
    "bucket": {"bucket": "other-videos"},
    "key": {"key": "b.mp4"},
    "version": {"version_id": "v2"},
    "no version": {"version_id": None},
    "MinConfidence": {"settings": JobSettings(BASE.filters, 71.0, BASE.job_tag, BASE.notification)},
    "JobTag": {"settings": JobSettings(BASE.filters, BASE.min_confidence, "batch-2", BASE.notification)},
    "NotificationChannel topic": {"settings": JobSettings(BASE.filters, BASE.min_confidence, BASE.job_tag,
                                                          NotificationChannel(TOPIC + "2", ROLE))},
    "NotificationChannel role": {"settings": JobSettings(BASE.filters, BASE.min_confidence, BASE.job_tag,
                                                         NotificationChannel(TOPIC, ROLE + "2"))},
    "no NotificationChannel": {"settings": JobSettings(BASE.filters, BASE.min_confidence, BASE.job_tag, None)},
    "LabelInclusionFilters": {"settings": _filters(label_inclusions=("Dog", "Horse"))},
    "LabelExclusionFilters": {"settings": _filters(label_exclusions=())},
    "LabelCategoryInclusionFilters": {"settings": _filters(category_inclusions=("Animals and Pets", "Food"))},
    "LabelCategoryExclusionFilters": {"settings": _filters(category_exclusions=("Weapons",))},
    "no filters (no Features/Settings)": {"settings": JobSettings(LabelFilters(), BASE.min_confidence,
                                                                  BASE.job_tag, BASE.notification)},
}


def test_the_same_video_and_settings_with_a_new_token_is_a_duplicate(tmp_path):
    a, b = _base(), _base()
    assert a.client_token != b.client_token
    assert a.dedupe_key == b.dedupe_key
    with JobStore(tmp_path / "jobs.sqlite3") as store:
        first = store.add_unique_jobs([a])
        again = store.add_unique_jobs([b])
    assert len(first.added) == 1 and again.added == ()
    assert [s.existing.id for s in again.skipped] == [first.added[0].id]


@pytest.mark.parametrize("component", list(VARIANTS))
def test_every_component_of_the_duplicate_key_counts(tmp_path, component):
    """Changing any one of scope (account, region, endpoint), bucket, key, version or a request
    parameter makes a different job: the store queues it next to the base job."""
    base, variant = _base(), _base(**VARIANTS[component])
    assert variant.request_json != base.request_json or variant.scope != base.scope  # the variant differs
    assert variant.dedupe_key != base.dedupe_key
    with JobStore(tmp_path / "jobs.sqlite3") as store:
        store.add_unique_jobs([base])
        result = store.add_unique_jobs([variant])
        assert [r.client_token for r in result.added] == [variant.client_token] and result.skipped == ()
        assert store.find_by_dedupe_keys([variant.dedupe_key])[variant.dedupe_key].client_token == (
            variant.client_token
        )


def test_a_removed_job_no_longer_counts_as_a_duplicate(tmp_path):
    with JobStore(tmp_path / "jobs.sqlite3") as store:
        [first] = store.add_unique_jobs([_base()]).added
        store.cancel(first.id)
        assert store.add_unique_jobs([_base()]).added == ()  # cancelled but listed: still a duplicate
        store.remove(first.id)
        assert len(store.add_unique_jobs([_base()]).added) == 1


# -- leases and claims ------------------------------------------------------------------------------------

ELSEWHERE = "another-computer.example:4242:engine"  # a claim made on another computer


def test_a_claim_is_leased_for_lease_seconds(tmp_path):
    with JobStore(tmp_path / "jobs.sqlite3") as store:
        store.add_jobs([_base()])
        [job] = store.claim(SCOPE, owner=ELSEWHERE, max_active=5, limit=5, lease_seconds=90,
                            is_abandoned=claim_is_abandoned, now=1000.0)
        assert (job.status, job.claimed_by, job.lease_until, job.attempts) == (
            JobStatus.SUBMITTING, ELSEWHERE, 1090.0, 1)


def test_another_computers_claim_is_taken_over_only_once_its_lease_expired(tmp_path):
    with JobStore(tmp_path / "jobs.sqlite3") as store:
        [queued] = store.add_jobs([_base()])
        store.claim(SCOPE, owner=ELSEWHERE, max_active=5, limit=5, lease_seconds=60,
                    is_abandoned=claim_is_abandoned, now=1000.0)

        def take(now):
            return store.claim(SCOPE, owner="here:1:engine", max_active=5, limit=5, lease_seconds=60,
                               is_abandoned=claim_is_abandoned, now=now)

        assert take(1059.0) == []  # lease still running: the other computer may be sending it
        assert store.get(queued.id).claimed_by == ELSEWHERE
        [again] = take(1061.0)  # lease ran out
        assert again.id == queued.id and again.claimed_by == "here:1:engine"
        assert again.client_token == queued.client_token  # the same token: AWS answers with the same job
        assert again.attempts == 2 and again.lease_until == 1121.0


def test_a_running_claim_counts_against_the_limit(tmp_path):
    with JobStore(tmp_path / "jobs.sqlite3") as store:
        store.add_jobs([_base(key=f"{i}.mp4") for i in range(3)])
        store.claim(SCOPE, owner=ELSEWHERE, max_active=2, limit=1, lease_seconds=60,
                    is_abandoned=claim_is_abandoned, now=1000.0)
        got = store.claim(SCOPE, owner="here:1:engine", max_active=2, limit=5, lease_seconds=60,
                          is_abandoned=claim_is_abandoned, now=1001.0)
        assert len(got) == 1  # 2 allowed, 1 held elsewhere


# -- the 7-day retention window ----------------------------------------------------------------------------

DAY = 24 * 3600


def test_results_are_fetched_automatically_only_within_aws_seven_days(tmp_path):
    """AWS keeps label-detection results for 7 days: a succeeded job whose results are not stored is
    fetched automatically only while it ended less than 7 days ago."""
    now = time.time()
    ages = {"6 days 23 h": 7 * DAY - 3600, "7 days 1 h": 7 * DAY + 3600, "1 hour": 3600}
    with JobStore(tmp_path / "jobs.sqlite3") as store:
        rows = {name: store.add_jobs([_base(key=f"{name}.mp4")])[0] for name in ages}
        store.claim(SCOPE, owner=ELSEWHERE, max_active=10, limit=10, lease_seconds=60,
                    is_abandoned=claim_is_abandoned)
        for name, row in rows.items():
            assert store.mark_started(row.id, f"job-{row.id}")
            assert store.mark_finished(row.id, JobStatus.SUCCEEDED, finished_at=now - ages[name])
        store.set_results(rows["1 hour"].id, label_count=3)  # stored already: nothing to fetch
        engine = JobEngine(store, lambda *a, **k: None, SCOPE)
        assert [j.key for j in engine.unfetched()] == ["6 days 23 h.mp4"]


# -- stored formats: rows written today must match rows written by earlier and later versions ----------------


UNICODE = JobSettings(LabelFilters(("Hund",)), 62.5, "été", NotificationChannel("arn:t", "arn:r"))
UNICODE_SCOPE = Scope("1", "eu-west-1", "http://127.0.0.1:9")
# Written out by hand: what the store keeps for this job (JSON, keys sorted, non-ASCII kept as is).
UNICODE_REQUEST = (
    '{"ClientRequestToken": "tok", "Features": ["GENERAL_LABELS"], "JobTag": "été", "MinConfidence": 62.5, '
    '"NotificationChannel": {"RoleArn": "arn:r", "SNSTopicArn": "arn:t"}, '
    '"Settings": {"GeneralLabels": {"LabelInclusionFilters": ["Hund"]}}, '
    '"Video": {"S3Object": {"Bucket": "bucket", "Name": "vidéos/été.mp4", "Version": "v9"}}}'
)
UNICODE_KEY_TEXT = (
    '["1", "eu-west-1", "http://127.0.0.1:9", {"Features": ["GENERAL_LABELS"], "JobTag": "été", '
    '"MinConfidence": 62.5, "NotificationChannel": {"RoleArn": "arn:r", "SNSTopicArn": "arn:t"}, '
    '"Settings": {"GeneralLabels": {"LabelInclusionFilters": ["Hund"]}}, '
    '"Video": {"S3Object": {"Bucket": "bucket", "Name": "vidéos/été.mp4", "Version": "v9"}}}]'
)


def test_a_new_job_holds_the_exact_request_settings_and_key(tmp_path):
    import hashlib

    job = new_job("bucket", "vidéos/été.mp4", UNICODE, UNICODE_SCOPE, preset="p", version_id="v9", size=123,
                  token="tok")
    assert job.request_json == UNICODE_REQUEST
    assert job.dedupe_key == hashlib.sha256(UNICODE_KEY_TEXT.encode("utf-8")).hexdigest()
    assert job.settings_json == (
        '{"filters": {"category_exclusions": [], "category_inclusions": [], "label_exclusions": [], '
        '"label_inclusions": ["Hund"]}, "job_tag": "été", "min_confidence": 62.5, '
        '"notification": {"role_arn": "arn:r", "sns_topic_arn": "arn:t"}}'
    )
    assert job.notification_json == '{"role_arn": "arn:r", "sns_topic_arn": "arn:t"}'
    assert (job.bucket, job.key, job.version_id, job.size, job.preset, job.client_token, job.job_tag) == (
        "bucket", "vidéos/été.mp4", "v9", 123, "p", "tok", "été")
    with JobStore(tmp_path / "jobs.sqlite3") as store:
        [row] = store.add_jobs([job])
    assert (row.video_uri, row.size, row.preset, row.version_id, row.notification_json, row.job_tag) == (
        "s3://bucket/vidéos/été.mp4", 123, "p", "v9", job.notification_json, "été")
    assert (row.account, row.region, row.endpoint, row.attempts, row.next_attempt_at) == (
        "1", "eu-west-1", "http://127.0.0.1:9", 0, 0)
    assert row.settings == UNICODE and row.request == {**job_request(), "ClientRequestToken": "tok"}


def job_request():
    import json

    return json.loads(UNICODE_REQUEST)


def test_settings_written_by_an_older_version_get_todays_defaults():
    from gui.core.jobstore import settings_from_json

    assert settings_from_json("{}") == JobSettings()
    assert settings_from_json('{"filters": {"label_inclusions": ["Dog"]}}') == JobSettings(
        LabelFilters(("Dog",)), 50.0, None, None)


def test_a_started_job_forgets_its_claim_and_last_error(tmp_path):
    with JobStore(tmp_path / "jobs.sqlite3", clock=lambda: 500.0) as store:
        [job] = store.add_jobs([_base()])
        store.claim(SCOPE, owner=ELSEWHERE, max_active=5, limit=5, lease_seconds=60,
                    is_abandoned=claim_is_abandoned)
        store.requeue(job.id, next_attempt_at=0, message="Throttled", error_code="ThrottlingException")
        store.claim(SCOPE, owner=ELSEWHERE, max_active=5, limit=5, lease_seconds=60,
                    is_abandoned=claim_is_abandoned)
        assert store.mark_started(job.id, "JOB-1", started_at=510.0)
        row = store.get(job.id)
    assert (row.status, row.job_id, row.started_at, row.status_message, row.error_code, row.claimed_by,
            row.lease_until, row.attempts) == (JobStatus.IN_PROGRESS, "JOB-1", 510.0, None, None, None, None, 2)


def test_a_retried_job_starts_afresh_with_a_new_token(tmp_path):
    ticks = iter([100.0, 200.0, 300.0, 400.0, 500.0, 600.0, 700.0, 800.0])
    with JobStore(tmp_path / "jobs.sqlite3", clock=lambda: next(ticks)) as store:
        [job] = store.add_jobs([_base()])
        store.claim(SCOPE, owner=ELSEWHERE, max_active=5, limit=5, lease_seconds=60,
                    is_abandoned=claim_is_abandoned, now=150.0)
        store.mark_started(job.id, "JOB-1", started_at=160.0)
        store.mark_finished(job.id, JobStatus.FAILED, message="bad video", finished_at=170.0)
        store.set_results(job.id, label_count=4)
        retried = store.retry(job.id)
    assert retried is not None
    assert (retried.status, retried.job_id, retried.status_message, retried.error_code, retried.started_at,
            retried.finished_at, retried.label_count, retried.results_fetched, retried.attempts,
            retried.next_attempt_at, retried.claimed_by, retried.lease_until) == (
        JobStatus.QUEUED, None, None, None, None, None, None, False, 0, 0, None, None)
    assert retried.submitted_at > job.submitted_at and retried.client_token != job.client_token
    assert retried.request == {**job.request, "ClientRequestToken": retried.client_token}
    assert retried.dedupe_key == job.dedupe_key  # the same job again, for the duplicate rule


# -- state changes only from the states that allow them -----------------------------------------------------


def test_counts_are_per_scope_and_zero_for_absent_states(tmp_path):
    other = Scope(SCOPE.account, "eu-west-1", SCOPE.endpoint)
    with JobStore(tmp_path / "jobs.sqlite3") as store:
        store.add_jobs([_base(key=f"{i}.mp4") for i in range(3)])
        [gone] = store.add_jobs([_base(scope=other)])
        store.cancel(gone.id)
        counts = store.counts(SCOPE)
        assert counts == {s: (3 if s is JobStatus.QUEUED else 0) for s in JobStatus}
        assert store.counts(other)[JobStatus.CANCELLED] == 1
        store.remove(gone.id)
        assert store.counts(other)[JobStatus.CANCELLED] == 0  # removed rows are not counted
        assert store.counts()[JobStatus.QUEUED] == 3


def test_nothing_queued_and_nothing_known_answer_none(tmp_path):
    with JobStore(tmp_path / "jobs.sqlite3") as store:
        assert store.next_due(SCOPE) is None
        assert store.known_duration_ms("s3://videos/a.mp4") is None
        assert store.get(12345) is None and store.by_job_id("nope") is None and store.by_token("nope") is None


def test_ended_jobs_cannot_be_failed_requeued_or_started_again(tmp_path):
    with JobStore(tmp_path / "jobs.sqlite3") as store:
        [job] = store.add_jobs([_base()])
        assert not store.requeue(job.id, next_attempt_at=0, message="x")  # queued, not being sent
        store.claim(SCOPE, owner=ELSEWHERE, max_active=5, limit=5, lease_seconds=60,
                    is_abandoned=claim_is_abandoned)
        store.mark_started(job.id, "JOB-1")
        assert store.mark_finished(job.id, JobStatus.SUCCEEDED)
        assert not store.mark_failed(job.id, "late failure")
        assert not store.requeue(job.id, next_attempt_at=0, message="late retry")
        assert not store.cancel(job.id)
        row = store.get(job.id)
        assert (row.status, row.status_message) == (JobStatus.SUCCEEDED, None)
        with pytest.raises(ValueError):
            store.mark_finished(job.id, JobStatus.QUEUED)


def test_a_failed_submission_records_the_message_code_and_job_id(tmp_path):
    with JobStore(tmp_path / "jobs.sqlite3", clock=lambda: 42.0) as store:
        [job] = store.add_jobs([_base()])
        store.claim(SCOPE, owner=ELSEWHERE, max_active=5, limit=5, lease_seconds=60,
                    is_abandoned=claim_is_abandoned)
        assert store.mark_failed(job.id, "Access denied", error_code="AccessDeniedException", job_id="JOB-9")
        row = store.get(job.id)
    assert (row.status, row.status_message, row.error_code, row.job_id, row.finished_at, row.claimed_by,
            row.lease_until) == (JobStatus.FAILED, "Access denied", "AccessDeniedException", "JOB-9", 42.0,
                                 None, None)
