"""Job states and what a person may do with a job in each state (pure functions, no I/O).

A job's life: ``QUEUED`` (written to the local store, not yet sent) → ``SUBMITTING`` (a
StartLabelDetection call is in flight) → ``IN_PROGRESS`` (AWS returned a JobId) → ``SUCCEEDED`` or
``FAILED``. ``CANCELLED`` is for jobs the user took out of the queue before they were sent: AWS has no
API to stop a label-detection job once started, so a job in progress cannot be cancelled.
"""

from __future__ import annotations

from enum import StrEnum


class JobStatus(StrEnum):
    QUEUED = "QUEUED"
    SUBMITTING = "SUBMITTING"
    IN_PROGRESS = "IN_PROGRESS"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_STATES

    @property
    def is_active(self) -> bool:
        """Not ended yet: still the app's (queued, submitting) or AWS's (in progress) to finish."""
        return not self.is_terminal

    @property
    def label(self) -> str:
        """A word for people (the enum value is what AWS and the store use)."""
        return _LABELS[self]


TERMINAL_STATES = frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED})
# States that occupy (or may occupy) one of AWS's concurrent-job slots.
SLOT_STATES = frozenset({JobStatus.SUBMITTING, JobStatus.IN_PROGRESS})

_LABELS = {
    JobStatus.QUEUED: "Queued",
    JobStatus.SUBMITTING: "Submitting",
    JobStatus.IN_PROGRESS: "In progress",
    JobStatus.SUCCEEDED: "Succeeded",
    JobStatus.FAILED: "Failed",
    JobStatus.CANCELLED: "Cancelled",
}


class Action(StrEnum):
    CANCEL = "cancel"  # take a queued job out of the queue (nothing was sent to AWS)
    RETRY = "retry"  # queue a failed or cancelled job again, with a new ClientRequestToken
    FETCH_RESULTS = "fetch_results"  # download every page of the results into the local store
    OPEN_RESULTS = "open_results"  # show results already in the local store
    COPY_JOB_ID = "copy_job_id"
    REMOVE = "remove"  # hide from the job list (the row is kept, marked removed)


ACTION_TEXT = {
    Action.CANCEL: "Cancel",
    Action.RETRY: "Retry",
    Action.FETCH_RESULTS: "Fetch results",
    Action.OPEN_RESULTS: "Open results",
    Action.COPY_JOB_ID: "Copy JobId",
    Action.REMOVE: "Remove from list",
}


def allowed_actions(
    status: JobStatus | str, results_fetched: bool, *, has_job_id: bool | None = None
) -> frozenset[Action]:
    """Which actions a job in ``status`` allows.

    ``has_job_id`` says whether AWS returned a JobId; by default it is assumed for the states that
    always have one (in progress, succeeded) and for a failed job (a job can fail on AWS's side), and not
    for the others. Pass it explicitly when known: a job refused at StartLabelDetection has none.
    """
    status = JobStatus(status)
    if has_job_id is None:
        has_job_id = status in {JobStatus.IN_PROGRESS, JobStatus.SUCCEEDED, JobStatus.FAILED}
    actions: set[Action] = set()
    if status is JobStatus.QUEUED:
        actions.add(Action.CANCEL)
    elif status is JobStatus.SUCCEEDED:
        # Opening works either way (the results view fetches what is not stored yet); fetching alone
        # (in the background, to have them before AWS's 7 days run out) only while not stored.
        actions |= {Action.REMOVE, Action.OPEN_RESULTS}
        if not results_fetched:
            actions.add(Action.FETCH_RESULTS)
    elif status in {JobStatus.FAILED, JobStatus.CANCELLED}:
        actions |= {Action.RETRY, Action.REMOVE}
    # SUBMITTING: a call is in flight, the job may already exist at AWS: nothing to do but wait.
    # IN_PROGRESS: AWS offers no way to stop it.
    if has_job_id and status is not JobStatus.QUEUED:
        actions.add(Action.COPY_JOB_ID)
    return frozenset(actions)
