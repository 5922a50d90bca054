"""allowed_actions() over every state: a pure function, tested as a table."""

from __future__ import annotations

import pytest

from gui.core.jobstates import TERMINAL_STATES, Action, JobStatus, allowed_actions

A = Action
S = JobStatus

# (status, results_fetched, has_job_id) -> expected actions
TABLE = {
    (S.QUEUED, False, False): {A.CANCEL},
    (S.QUEUED, True, False): {A.CANCEL},
    (S.SUBMITTING, False, False): set(),
    (S.IN_PROGRESS, False, True): {A.COPY_JOB_ID},
    (S.SUCCEEDED, False, True): {A.FETCH_RESULTS, A.OPEN_RESULTS, A.COPY_JOB_ID, A.REMOVE},
    (S.SUCCEEDED, True, True): {A.OPEN_RESULTS, A.COPY_JOB_ID, A.REMOVE},
    (S.FAILED, False, True): {A.RETRY, A.COPY_JOB_ID, A.REMOVE},  # failed at AWS, after starting
    (S.FAILED, False, False): {A.RETRY, A.REMOVE},  # refused by StartLabelDetection: no JobId
    (S.CANCELLED, False, False): {A.RETRY, A.REMOVE},
}


@pytest.mark.parametrize(("key", "expected"), TABLE.items(), ids=[f"{k[0]}-{k[1]}-{k[2]}" for k in TABLE])
def test_allowed_actions_table(key, expected):
    status, fetched, has_id = key
    assert allowed_actions(status, fetched, has_job_id=has_id) == frozenset(expected)


def test_every_state_is_covered_and_answers_a_frozenset():
    assert {k[0] for k in TABLE} == set(JobStatus)
    for status in JobStatus:
        for fetched in (False, True):
            result = allowed_actions(status, fetched)
            assert isinstance(result, frozenset)
            assert result <= set(Action)


def test_default_job_id_assumption_follows_the_state():
    assert A.COPY_JOB_ID in allowed_actions(S.IN_PROGRESS, False)
    assert A.COPY_JOB_ID in allowed_actions(S.SUCCEEDED, True)
    assert A.COPY_JOB_ID not in allowed_actions(S.QUEUED, False)
    assert A.COPY_JOB_ID not in allowed_actions(S.CANCELLED, False)


def test_rules_that_matter_to_users():
    for status in JobStatus:
        actions = allowed_actions(status, False, has_job_id=status is not S.QUEUED)
        # Only a queued job can be cancelled: AWS cannot stop a started label-detection job.
        assert (A.CANCEL in actions) == (status is S.QUEUED)
        # Only ended jobs leave the list; an active one would be lost track of.
        assert (A.REMOVE in actions) == (status in TERMINAL_STATES)
        # Results exist only for a job that succeeded.
        assert (A.OPEN_RESULTS in actions) == (status is S.SUCCEEDED)
    assert allowed_actions("FAILED", False) == allowed_actions(S.FAILED, False)  # the store's text works


def test_unknown_state_is_an_error():
    with pytest.raises(ValueError):
        allowed_actions("DONE", False)
