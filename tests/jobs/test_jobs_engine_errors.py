"""What the submitter and the poller do with each kind of answer, one step at a time with a fixed clock.

AWS's answers are played by botocore's Stubber on a real boto3 client (the sandbox cannot be made to
answer ExpiredToken or a 500 on demand); a dropped connection is a real one (a closed local port).
Waits come from a random source pinned to the top of every jitter range, so the expected times below
are plain numbers.
"""

from __future__ import annotations

import json
import random

import boto3
import pytest
from botocore.config import Config
from botocore.stub import Stubber

from gui.core.engine import JobEngine, JobPreferences
from gui.core.jobstates import JobStatus
from gui.core.jobstore import JobStore, Scope, new_job
from gui.core.paths import resolve_paths
from gui.core.poller import Poller, PollPolicy, parse_completion
from gui.core.submitter import SubmitPolicy, Submitter
from gui.core.types import JobSettings, S3Object

SCOPE = Scope("111122223333", "us-east-1", "")
NOW = 1_700_000_000.0
CLOSED_PORT = "http://127.0.0.1:9"


class Top(random.Random):
    """``uniform`` answers the top of its range; ``random`` answers 0.5 (no schedule jitter)."""

    def uniform(self, a: float, b: float) -> float:
        return b

    def random(self) -> float:
        return 0.5


def exact(expected):
    """Equal up to float noise. (``pytest.approx``'s relative tolerance on ``NOW`` would be ±1,700 s.)"""
    return pytest.approx(expected, rel=0, abs=1e-6)


def _client(endpoint: str = CLOSED_PORT):
    return boto3.client("rekognition", region_name="us-east-1", endpoint_url=endpoint,
                        config=Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=1))


def _factory(client):
    return lambda service, region=None, **kw: client


@pytest.fixture
def store(tmp_path):
    with JobStore(tmp_path / "jobs.sqlite3", clock=lambda: NOW) as s:
        yield s


# ----------------------------------------------------------------------------------------------------------
# Submitter
# ----------------------------------------------------------------------------------------------------------

POLICY = SubmitPolicy(max_active=5, backoff_base=1.0, backoff_max=60.0, limit_wait=15.0, idle_wait=2.0,
                      max_unexpected=3)

SUBMIT_TABLE = [
    # error code, HTTP status -> status, next attempt at, attempts, message, blocked (s), paused
    ("LimitExceededException", 400, JobStatus.QUEUED, NOW + 15.0, 0,
     "Waiting: AWS's limit of concurrent jobs was reached (LimitExceededException).", 15.0, None),
    ("ThrottlingException", 400, JobStatus.QUEUED, NOW + 1.0, 1,
     "Will retry in 1 s (ThrottlingException, attempt 1).", 0.5, None),
    ("ServiceUnavailableException", 503, JobStatus.QUEUED, NOW + 1.0, 1,
     "Will retry in 1 s (ServiceUnavailableException, attempt 1).", 0.5, None),
    ("InvalidS3ObjectException", 400, JobStatus.FAILED, None, 1, "InvalidS3ObjectException said no", 0.0, None),
    ("AccessDeniedException", 403, JobStatus.FAILED, None, 1, "AccessDeniedException said no", 0.0, None),
    ("ExpiredTokenException", 400, JobStatus.QUEUED, 0.0, 0, "Paused: Credentials expired.", 0.0,
     "Credentials expired"),
    ("InvalidClientTokenId", 403, JobStatus.QUEUED, 0.0, 0, "Paused: Invalid access key.", 0.0,
     "Invalid access key"),
]


@pytest.mark.parametrize(("code", "http", "status", "retry_at", "attempts", "message", "blocked", "paused"),
                         SUBMIT_TABLE, ids=[row[0] for row in SUBMIT_TABLE])
def test_submitter_answers_each_kind_of_error(store, code, http, status, retry_at, attempts, message, blocked,
                                              paused):
    client = _client()
    problems = []
    with Stubber(client) as stubber:
        stubber.add_client_error("start_label_detection", service_error_code=code,
                                 service_message=f"{code} said no", http_status_code=http)
        [job] = store.add_jobs([new_job("videos", "clip.mp4", JobSettings(), SCOPE)])
        sub = Submitter(store, _factory(client), SCOPE, policy=POLICY, clock=lambda: NOW, rng=Top(),
                        on_problem=problems.append)
        try:
            result = sub.step()
        finally:
            sub.close()
    after = store.get(job.id)
    assert result.submitted == 0
    assert after.status is status and after.error_code == code and after.status_message == message
    assert after.attempts == attempts
    assert after.client_token == job.client_token  # a retry reuses the token
    if retry_at is not None:  # paused jobs are due at once (0) when submission resumes
        assert after.next_attempt_at == exact(retry_at)
    assert sub.blocked_until == exact(NOW + blocked if blocked else 0.0)
    assert (sub.paused.title if sub.paused else None) == paused
    assert [p.title for p in problems] == ([paused] if paused else [])


def test_submitter_after_a_dropped_connection_backs_off_the_whole_queue_and_reports(store):
    problems = []
    store.add_jobs([new_job("videos", f"clip{i}.mp4", JobSettings(), SCOPE) for i in range(2)])
    sub = Submitter(store, _factory(_client()), SCOPE, policy=POLICY, clock=lambda: NOW, rng=Top(),
                    on_problem=problems.append)
    try:
        result = sub.step()
    finally:
        sub.close()
    jobs = store.jobs(SCOPE)
    assert result.submitted == 0
    assert [p.title for p in problems] == ["Endpoint unreachable"]
    assert sub.blocked_until == exact(NOW + 1.0)  # the first of the engine-wide backoff
    # The first job was tried; the second was put back untried as soon as the queue was blocked.
    assert [(j.status, j.attempts, j.error_code) for j in jobs] == [
        (JobStatus.QUEUED, 1, "EndpointConnectionError"), (JobStatus.QUEUED, 0, None)]
    assert jobs[0].next_attempt_at == exact(NOW + 1.0)
    assert jobs[0].status_message == "Will retry in 1 s (EndpointConnectionError, attempt 1)."
    again = Submitter(store, _factory(_client()), SCOPE, policy=POLICY, clock=lambda: NOW, rng=Top())
    again.blocked_until = NOW + 30
    try:
        blocked = again.step()
    finally:
        again.close()
    assert blocked.submitted == 0 and blocked.wait == exact(2.0)  # idle_wait, not 30 s in one go


def test_submitter_retries_an_unexpected_error_then_fails_the_job(store):
    client = _client()

    def bug(**kwargs):
        raise RuntimeError("a bug in a botocore plugin")

    client.meta.events.register("before-call.rekognition.StartLabelDetection", bug)
    [job] = store.add_jobs([new_job("videos", "clip.mp4", JobSettings(), SCOPE)])
    now = [NOW]
    sub = Submitter(store, _factory(client), SCOPE, policy=POLICY, clock=lambda: now[0], rng=Top())
    seen = []
    try:
        for _ in range(POLICY.max_unexpected):
            sub.step()
            record = store.get(job.id)
            seen.append((record.status, record.attempts, record.status_message, record.error_code))
            now[0] = record.next_attempt_at + 0.01
    finally:
        sub.close()
    assert seen == [
        (JobStatus.QUEUED, 1, "Unexpected error (RuntimeError); will retry in 1 s.", "RuntimeError"),
        (JobStatus.QUEUED, 2, "Unexpected error (RuntimeError); will retry in 2 s.", "RuntimeError"),
        (JobStatus.FAILED, 3, "Unexpected error: RuntimeError: a bug in a botocore plugin", "RuntimeError"),
    ]


def test_submitter_waits_for_a_free_slot_and_sends_the_stored_request(store):
    client = _client()
    with Stubber(client) as stubber:
        [a, b] = store.add_jobs([new_job("videos", f"clip{i}.mp4", JobSettings(), SCOPE) for i in range(2)])
        stubber.add_response("start_label_detection", {"JobId": "J-A"}, expected_params=a.request)
        sub = Submitter(store, _factory(client), SCOPE, policy=SubmitPolicy(max_active=1, idle_wait=2.0),
                        clock=lambda: NOW, rng=Top())
        try:
            assert sub.step().submitted == 1
            idle = sub.step()  # one in progress, K = 1: nothing more
        finally:
            sub.close()
        stubber.assert_no_pending_responses()
    assert idle.submitted == 0 and idle.wait == exact(2.0)
    assert store.get(a.id).status is JobStatus.IN_PROGRESS and store.get(a.id).job_id == "J-A"
    assert store.get(b.id).status is JobStatus.QUEUED


# ----------------------------------------------------------------------------------------------------------
# Poller
# ----------------------------------------------------------------------------------------------------------

POLL = PollPolicy(first_delay=5.0, factor=1.5, max_interval=20.0, min_gap=0.5, idle_wait=2.0, backoff_base=2.0,
                  backoff_max=60.0)


def _in_progress(store, n=1):
    jobs = store.add_jobs([new_job("videos", f"clip{i}.mp4", JobSettings(), SCOPE) for i in range(n)])
    store.claim(SCOPE, owner="o", max_active=n, limit=n, lease_seconds=60, is_abandoned=lambda *a: False)
    for i, job in enumerate(jobs):
        store.mark_started(job.id, f"JOB{i}", started_at=NOW)
    return [store.get(j.id) for j in jobs]


def _running(job_id):
    return {"JobStatus": "IN_PROGRESS", "Labels": [], "VideoMetadata": {}}


def test_poller_checks_less_and_less_often_up_to_the_maximum(store):
    client = _client()
    [job] = _in_progress(store)
    with Stubber(client) as stubber:
        for _ in range(6):
            stubber.add_response("get_label_detection", _running(job.job_id),
                                 expected_params={"JobId": job.job_id, "MaxResults": 1})
        poller = Poller(store, _factory(client), SCOPE, policy=POLL, clock=lambda: NOW, rng=Top())
        assert poller.step(NOW) == exact(2.0) and poller.calls == 0  # due at NOW + 5
        assert poller.step(NOW + 4.0) == exact(1.0)
        now, calls_at = NOW + 5.0, []
        for _ in range(6):
            assert poller.step(now) == 0.0
            calls_at.append(now - NOW)
            now = next(iter(poller._schedule.values())).due
    assert poller.calls == 6
    # Intervals 5, 7.5, 11.25, 16.875, then capped at 20.
    assert calls_at == exact([5.0, 12.5, 23.75, 40.625, 60.625, 80.625])


def test_poller_keeps_a_gap_between_calls_for_all_jobs(store):
    client = _client()
    [a, b] = _in_progress(store, 2)
    with Stubber(client) as stubber:
        stubber.add_response("get_label_detection", _running(a.job_id))
        stubber.add_response("get_label_detection", _running(b.job_id))
        poller = Poller(store, _factory(client), SCOPE, policy=POLL, clock=lambda: NOW, rng=Top())
        assert poller.step(NOW + 5.0) == 0.0
        assert poller.step(NOW + 5.1) == exact(0.4)  # both due; 0.5 s between two calls
        assert poller.step(NOW + 5.5) == 0.0
    assert poller.calls == 2


def test_poller_records_the_end_of_a_job_with_its_duration(store):
    client = _client()
    [ok, bad] = _in_progress(store, 2)
    finished = []
    with Stubber(client) as stubber:
        stubber.add_response("get_label_detection", {"JobStatus": "SUCCEEDED", "Labels": [],
                                                     "VideoMetadata": {"DurationMillis": 12_345}})
        stubber.add_response("get_label_detection", {"JobStatus": "FAILED", "StatusMessage": "Unsupported codec."})
        poller = Poller(store, _factory(client), SCOPE, policy=POLL, clock=lambda: NOW + 6, rng=Top(),
                        on_finished=finished.append)
        poller.step(NOW + 5.0)
        poller.step(NOW + 5.5)
    done, failed = store.get(ok.id), store.get(bad.id)
    assert done.status is JobStatus.SUCCEEDED and done.duration_ms == 12_345 and done.finished_at == NOW + 6
    assert failed.status is JobStatus.FAILED and failed.status_message == "Unsupported codec."
    assert [r.id for r in finished] == [ok.id, bad.id]
    assert poller._schedule == {}


POLL_ERRORS = [
    # code, HTTP -> job failed?, blocked for (s), problem title
    ("ResourceNotFoundException", 400, True, 0.0, None),
    ("ThrottlingException", 400, False, 2.0, None),
    ("InternalServerError", 500, False, 2.0, None),
    ("ExpiredTokenException", 400, False, 2.0, "Credentials expired"),
    ("AccessDeniedException", 403, False, 2.0, "Access denied"),
]


@pytest.mark.parametrize(("code", "http", "fails", "blocked", "problem"), POLL_ERRORS,
                         ids=[row[0] for row in POLL_ERRORS])
def test_poller_answers_each_kind_of_error(store, code, http, fails, blocked, problem):
    client = _client()
    [job] = _in_progress(store)
    problems = []
    with Stubber(client) as stubber:
        stubber.add_client_error("get_label_detection", service_error_code=code, service_message="no",
                                 http_status_code=http)
        poller = Poller(store, _factory(client), SCOPE, policy=POLL, clock=lambda: NOW, rng=Top(),
                        on_problem=problems.append)
        poller.step(NOW + 5.0)
    after = store.get(job.id)
    if fails:
        assert after.status is JobStatus.FAILED and after.error_code == code
        assert after.status_message == f"AWS no longer knows this job ({code}: no). AWS keeps label-detection " \
                                       "jobs for 7 days."
        assert poller._schedule == {}
    else:
        assert after.status is JobStatus.IN_PROGRESS
        entry = poller._schedule[job.id]
        assert entry.interval == exact(5.0 if problem else 7.5)
        assert entry.due == exact(NOW + 5.0 + max(blocked, entry.interval))
    assert poller._blocked_until == exact(NOW + 5.0 + blocked if blocked else 0.0)
    assert [p.title for p in problems] == ([problem] if problem else [])


def test_poller_reports_a_dropped_connection_and_clears_it_when_answers_return(store):
    [job] = _in_progress(store)
    problems = []
    poller = Poller(store, _factory(_client()), SCOPE, policy=POLL, clock=lambda: NOW, rng=Top(),
                    on_problem=problems.append)
    poller.step(NOW + 5.0)
    assert [p.title for p in problems] == ["Endpoint unreachable"]
    assert poller._blocked_until == exact(NOW + 7.0)
    assert poller.step(NOW + 6.0) == exact(1.0)  # blocked: no call
    good = _client()
    with Stubber(good) as stubber:
        stubber.add_response("get_label_detection", _running(job.job_id))
        poller._client = good
        poller.step(NOW + 40.0)
    assert problems[-1] is None and poller.problem is None


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (json.dumps({"JobId": "J1", "Status": "SUCCEEDED"}), ("J1", "SUCCEEDED", None)),
        (json.dumps({"Message": json.dumps({"JobId": "J2", "Status": "FAILED", "StatusMessage": "bad"})}),
         ("J2", "FAILED", "bad")),
        (json.dumps({"JobId": "J3", "Status": "FAILED", "Message": "codec"}), ("J3", "FAILED", "codec")),
        (json.dumps({"Message": "not json"}), None),
        (json.dumps({"JobId": "J4"}), None),
        (json.dumps({"Status": "SUCCEEDED"}), None),
        (json.dumps(["JobId", "Status"]), None),
        ("", None),
    ],
)
def test_parse_completion_table(body, expected):
    assert parse_completion(body) == expected


# ----------------------------------------------------------------------------------------------------------
# Preferences
# ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("saved", "expected"),
    [
        ({}, (20, 0.10, True, 5.0, 60.0, {})),
        ({"max_active": 3, "price_per_minute": 0.12, "auto_fetch": False, "poll_first": 1.5, "poll_max": 30,
          "completion_queues": {"arn:t": "https://q"}}, (3, 0.12, False, 1.5, 30.0, {"arn:t": "https://q"})),
        ({"max_active": 0, "price_per_minute": -1, "poll_first": 0.001, "poll_max": 0.0},
         (1, 0.0, True, 0.05, 0.05, {})),  # clamped: at least 1 job, no negative price, max >= first
        ({"poll_first": 10, "poll_max": 4}, (20, 0.10, True, 10.0, 10.0, {})),
        ({"max_active": "many"}, (20, 0.10, True, 5.0, 60.0, {})),  # unusable: defaults
        ({"completion_queues": ["not", "a", "mapping"]}, (20, 0.10, True, 5.0, 60.0, {})),
    ],
)
def test_job_preferences_load_clamps_and_falls_back(tmp_path, saved, expected):
    from gui.core.settings import save_app_settings

    paths = resolve_paths(tmp_path / "app").ensure()
    save_app_settings(paths, "jobs", saved)
    p = JobPreferences.load(paths)
    assert (p.max_active, p.price_per_minute, p.auto_fetch, p.poll_first, p.poll_max, p.completion_queues) == expected


def test_job_preferences_round_trip_through_the_versioned_settings_file(tmp_path):
    paths = resolve_paths(tmp_path / "app").ensure()
    JobPreferences(max_active=7, price_per_minute=0.2, auto_fetch=False, poll_first=2.0, poll_max=9.0,
                   completion_queues={"arn:t": "https://q"}).save(paths)
    doc = json.loads(paths.settings_file.read_text(encoding="utf-8"))
    assert doc["schema_version"] == 1
    assert doc["jobs"] == {"max_active": 7, "price_per_minute": 0.2, "auto_fetch": False, "poll_first": 2.0,
                           "poll_max": 9.0, "completion_queues": {"arn:t": "https://q"}}
    assert JobPreferences.load(paths) == JobPreferences(7, 0.2, False, 2.0, 9.0, {"arn:t": "https://q"})


def test_submitter_waits_at_least_half_of_each_wait(tmp_path):
    """The low end of the jitter: half the limit wait, half the backoff."""

    class Low(Top):
        def uniform(self, a: float, b: float) -> float:
            return a

    rows = []
    for code in ("LimitExceededException", "ThrottlingException"):
        client = _client()
        with JobStore(tmp_path / f"{code}.sqlite3", clock=lambda: NOW) as store, Stubber(client) as stub:
            stub.add_client_error("start_label_detection", service_error_code=code, http_status_code=400)
            [job] = store.add_jobs([new_job("videos", "clip.mp4", JobSettings(), SCOPE)])
            sub = Submitter(store, _factory(client), SCOPE, policy=POLICY, clock=lambda: NOW, rng=Low())
            try:
                sub.step()
            finally:
                sub.close()
            rows.append((code, store.get(job.id).next_attempt_at - NOW, sub.blocked_until - NOW))
    assert rows == [("LimitExceededException", exact(7.5), exact(7.5)), ("ThrottlingException", exact(0.5), exact(0.25))]


def test_consecutive_dropped_connections_block_the_queue_longer(store):
    [job] = store.add_jobs([new_job("videos", "clip.mp4", JobSettings(), SCOPE)])
    now = [NOW]
    sub = Submitter(store, _factory(_client()), SCOPE, policy=POLICY, clock=lambda: now[0], rng=Top())
    blocked = []
    try:
        for _ in range(3):
            sub.step()
            blocked.append(sub.blocked_until - now[0])
            now[0] = max(sub.blocked_until, store.get(job.id).next_attempt_at) + 0.01
    finally:
        sub.close()
    assert blocked == [exact(1.0), exact(2.0), exact(4.0)]
    assert store.get(job.id).attempts == 3 and store.get(job.id).error_code == "EndpointConnectionError"


# ----------------------------------------------------------------------------------------------------------
# The engine's wiring: problems, ends and results reach the callbacks; succeeded jobs are fetched
# ----------------------------------------------------------------------------------------------------------


def _page(segments=False):
    label = {"Name": "Dog", "Confidence": 91.0, "Instances": [], "Parents": [], "Categories": [{"Name": "Pets"}],
             "Aliases": []}
    item = {"Timestamp": 500, "Label": label}
    if segments:
        item.update(StartTimestampMillis=0, EndTimestampMillis=1000, DurationMillis=1000)
    return {"JobStatus": "SUCCEEDED", "Labels": [item], "LabelModelVersion": "3.0",
            "VideoMetadata": {"DurationMillis": 4000, "Format": "QuickTime / MOV", "FrameRate": 30.0}}


@pytest.mark.parametrize("auto_fetch", [True, False])
def test_engine_wires_problems_ends_and_results_to_its_callbacks(tmp_path, auto_fetch):
    client = _client()
    events = []
    with JobStore(tmp_path / "jobs.sqlite3", clock=lambda: NOW) as store, Stubber(client) as stub:
        engine = JobEngine(store, _factory(client), SCOPE, clock=lambda: NOW, rng=Top(),
                           preferences=JobPreferences(auto_fetch=auto_fetch),
                           results_path=tmp_path / "results.sqlite3",
                           on_change=lambda: events.append("change"),
                           on_problem=lambda m: events.append(("problem", m.title if m else None)),
                           on_finished=lambda r: events.append(("finished", r.status)),
                           on_fetched=lambda r: events.append(("fetched", r.label_count)))
        [job] = engine.submit([S3Object("videos", "clip.mp4", 10)], JobSettings())
        stub.add_client_error("start_label_detection", service_error_code="ExpiredTokenException",
                              http_status_code=400)
        engine.submitter.step()
        assert engine.problems["submit"].title == "Credentials expired"
        engine.resume()
        assert "submit" not in engine.problems
        stub.add_response("start_label_detection", {"JobId": "J1"})
        assert engine.submitter.step().submitted == 1
        stub.add_client_error("get_label_detection", service_error_code="AccessDeniedException",
                              http_status_code=403)
        engine.poller.step(NOW + 5)
        assert engine.problems["poll"].title == "Access denied"
        stub.add_response("get_label_detection", {"JobStatus": "SUCCEEDED", "Labels": [],
                                                  "VideoMetadata": {"DurationMillis": 4000}})
        engine.poller.step(NOW + 60)
        assert "poll" not in engine.problems
        assert engine.fetcher.pending() == (1 if auto_fetch else 0)
        if auto_fetch:
            stub.add_response("get_label_detection", _page())
            stub.add_response("get_label_detection", _page(segments=True))
            assert engine.fetcher.step() == 0.0
        stub.assert_no_pending_responses()
        record = store.get(job.id)
        assert engine.stop(timeout=1)
    assert record.status is JobStatus.SUCCEEDED and record.duration_ms == 4000
    assert record.results_fetched is auto_fetch and record.label_count == (1 if auto_fetch else None)
    outcomes = [e for e in events if e != "change"]
    assert outcomes == [("problem", "Credentials expired"), ("problem", None), ("problem", "Access denied"),
                        ("problem", None), ("finished", JobStatus.SUCCEEDED)] + \
        ([("fetched", 1)] if auto_fetch else [])
    assert events.count("change") >= 4


def test_submitter_sends_every_claimed_job_and_sleeps_until_the_next_is_due(store):
    client = _client()
    now = [NOW]
    with Stubber(client) as stub:
        store.add_jobs([new_job("videos", f"clip{i}.mp4", JobSettings(), SCOPE) for i in range(3)])
        stub.add_response("start_label_detection", {"JobId": "J0"})
        stub.add_client_error("start_label_detection", service_error_code="ThrottlingException", http_status_code=400)
        sub = Submitter(store, _factory(client), SCOPE, policy=POLICY, clock=lambda: now[0], rng=Top())
        try:
            first = sub.step()  # J0 started; the throttle blocks the queue: the third is put back untried
            assert (first.submitted, first.wait) == (1, 0.0)
            assert sub.step(NOW + 0.25).wait == exact(0.25)  # still blocked until NOW + 0.5
            stub.add_response("start_label_detection", {"JobId": "J2"})
            now[0] = NOW + 0.6
            assert sub.step(NOW + 0.6).submitted == 1  # the untried one; the throttled one is due at NOW + 1
            assert sub.step(NOW + 0.7).wait == exact(0.3)  # sleeps until it is due
            stub.add_response("start_label_detection", {"JobId": "J1"})
            assert sub.step(NOW + 1.0).submitted == 1
            assert sub.step(NOW + 1.1).wait == exact(POLICY.idle_wait)  # nothing queued
        finally:
            sub.close()
    assert sorted(j.job_id for j in store.jobs(SCOPE)) == ["J0", "J1", "J2"]


def test_submitter_counts_every_start_of_one_round(store):
    client = _client()
    with Stubber(client) as stub:
        store.add_jobs([new_job("videos", f"clip{i}.mp4", JobSettings(), SCOPE) for i in range(3)])
        for i in range(3):
            stub.add_response("start_label_detection", {"JobId": f"J{i}"})
        sub = Submitter(store, _factory(client), SCOPE, policy=POLICY, clock=lambda: NOW, rng=Top())
        try:
            assert sub.step().submitted == 3
        finally:
            sub.close()


def test_poller_backs_off_longer_on_consecutive_failures_and_jitters_its_checks(store):
    class Zero(Top):
        def random(self) -> float:
            return 0.0

    client = _client()
    [job] = _in_progress(store)
    with Stubber(client) as stub:
        stub.add_client_error("get_label_detection", service_error_code="ThrottlingException", http_status_code=400)
        stub.add_client_error("get_label_detection", service_error_code="ThrottlingException", http_status_code=400)
        stub.add_response("get_label_detection", _running(job.job_id))
        poller = Poller(store, _factory(client), SCOPE, policy=POLL, clock=lambda: NOW, rng=Zero())
        poller.step(NOW + 5.0)
        first = poller._blocked_until - (NOW + 5.0)
        due = poller._schedule[job.id].due
        poller.step(due)
        second = poller._blocked_until - due
        due = poller._schedule[job.id].due
        poller.step(due)
        entry = poller._schedule[job.id]
    assert (first, second) == (exact(2.0), exact(4.0))
    assert entry.due - due == exact(entry.interval * 0.9)  # the low end of the ±10 % jitter
