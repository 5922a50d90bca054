"""The one rule for duplicates and resubmission, used by the engine, the window and the CLI.

A video counts as *already submitted alike* when the job store has a row (not removed, whatever its
status) with the same dedupe key: the scope (account, region, endpoint) plus the exact request without
its ClientRequestToken (bucket, key, version, every setting); see :func:`gui.core.jobstore.dedupe_key`.

What happens to such a video:

- by default it is skipped (its existing job is left as it is);
- with ``include_duplicates`` ("submit again anyway", the CLI's ``--force``) a new job with a new
  ClientRequestToken is queued for it;
- with ``retry_ended`` (the CLI), an existing job that failed or was cancelled is queued again in place
  (:meth:`gui.core.jobstore.JobStore.retry`) instead of being skipped.

A plan is only a preview: the store checks the key again inside the insert's own transaction
(:meth:`gui.core.jobstore.JobStore.add_unique_jobs`), so what another process queued meanwhile is
skipped too. :func:`confirmation_text` builds what the window asks before submitting.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from gui.core.jobstates import JobStatus
from gui.core.jobstore import JobRecord, JobStore, NewJob, Scope, new_job
from gui.core.types import JobSettings, S3Object
from gui.core.wording import plural

RETRYABLE_STATUSES = (JobStatus.FAILED, JobStatus.CANCELLED)


@dataclass(frozen=True)
class Duplicate:
    video: S3Object
    existing: JobRecord


@dataclass(frozen=True)
class EnqueuePlan:
    """What submitting these videos would do: new jobs, and videos already submitted alike."""

    new: tuple[NewJob, ...]
    duplicates: tuple[Duplicate, ...]


def _job_for(video: S3Object, settings: JobSettings, scope: Scope, preset: str | None) -> NewJob:
    return new_job(video.bucket, video.key, settings, scope, preset=preset, version_id=video.version_id,
                   size=video.size or None, etag=video.etag)


def plan_jobs(
    store: JobStore,
    scope: Scope,
    videos: Iterable[S3Object],
    settings: JobSettings,
    *,
    preset: str | None = None,
) -> EnqueuePlan:
    """Build a job per video and find those the store already has with the same request."""
    jobs: list[NewJob] = []
    objs: list[S3Object] = []
    seen: set[str] = set()
    for obj in videos:
        job = _job_for(obj, settings, scope, preset)
        if job.dedupe_key in seen:  # the same video twice in one batch
            continue
        seen.add(job.dedupe_key)
        jobs.append(job)
        objs.append(obj)
    existing = store.find_by_dedupe_keys([j.dedupe_key for j in jobs])
    new: list[NewJob] = []
    dups: list[Duplicate] = []
    for job, obj in zip(jobs, objs, strict=True):
        if job.dedupe_key in existing:
            dups.append(Duplicate(obj, existing[job.dedupe_key]))
        else:
            new.append(job)
    return EnqueuePlan(tuple(new), tuple(dups))


def resubmission_jobs(plan: EnqueuePlan, settings: JobSettings, scope: Scope, *,
                      preset: str | None = None) -> list[NewJob]:
    """New jobs (new ClientRequestTokens) for the plan's duplicates: "submit again anyway"."""
    return [_job_for(d.video, settings, scope, preset) for d in plan.duplicates]


def split_existing(existing: Sequence[JobRecord], *, retry_ended: bool) -> tuple[list[JobRecord], list[JobRecord]]:
    """(to queue again in place, to leave alone) among jobs already submitted alike."""
    retry: list[JobRecord] = []
    keep: list[JobRecord] = []
    for record in existing:
        (retry if retry_ended and record.status in RETRYABLE_STATUSES else keep).append(record)
    return retry, keep


# ----------------------------------------------------------------------------------------------------------
# The confirmation the window shows before submitting
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConfirmationText:
    title: str  # the dialog's window title
    headline: str  # the question, first line of the body
    body: tuple[str, ...]  # paragraphs after the headline
    videos: tuple[str, ...]  # the videos already submitted alike (URIs), in plan order
    accept: str  # the accept button's text
    resubmit: str | None  # the "submit again" check box's text; None without new videos beside duplicates
    resubmit_by_default: bool  # always False: submitting a video again bills it again, so it is asked for
    preset_modified: bool
    accept_resubmits: bool = False  # every video is a duplicate: accepting submits them again (no check box)
    accept_is_default: bool = True  # Enter accepts; False when accepting would only re-bill duplicates


def settings_line(settings: JobSettings, preset: str | None, *, preset_modified: bool = False) -> str:
    f = settings.filters
    n = len(f.label_inclusions) + len(f.label_exclusions) + len(f.category_inclusions) + len(f.category_exclusions)
    if preset:
        source = f"preset “{preset}”" + (" (modified)" if preset_modified else "")
    else:
        source = "custom settings"
    parts = [source, f"MinConfidence {settings.min_confidence:g}"]
    parts.append(plural(n, "filter") if n else "no filters")
    if settings.job_tag:
        parts.append(f"JobTag {settings.job_tag}")
    if settings.notification is not None:
        parts.append("SNS notification")
    return "Settings: " + ", ".join(parts) + "."


def confirmation_text(
    plan: EnqueuePlan,
    settings: JobSettings,
    *,
    cost: str,
    preset: str | None = None,
    preset_modified: bool = False,
    not_videos: int = 0,
    max_active: int = 20,
    active: int = 0,
) -> ConfirmationText:
    """What to ask before submitting ``plan``: ``cost`` is the estimate's sentence, ``not_videos`` the
    selected objects left out, ``active`` the jobs already queued or running (``max_active`` run at once)."""
    n_new, n_dup = len(plan.new), len(plan.duplicates)
    body = [cost, settings_line(settings, preset, preset_modified=preset_modified)]
    if preset and preset_modified:
        body.append(f"The settings were changed after the preset “{preset}” was applied; the jobs use them as "
                    "shown, and the preset itself is unchanged.")
    if not_videos:
        body.append(f"{plural(not_videos, 'selected object')} {_are(not_videos)} not a video Rekognition "
                    "accepts and left out.")
    only_duplicates = n_dup > 0 and n_new == 0
    if only_duplicates:
        body.append(f"{'The video was' if n_dup == 1 else f'All {n_dup} videos were'} already submitted with "
                    "the same settings. Submitting again starts new jobs, and AWS bills each one.")
    elif n_dup:
        body.append(f"{plural(n_dup, 'video')} {'was' if n_dup == 1 else 'were'} already submitted with the "
                    "same settings and will be skipped. Tick the box below to submit "
                    f"{'it' if n_dup == 1 else 'them'} again (AWS bills each job).")
    body.append(f"At most {max_active} jobs run at once"
                + (f"; {plural(active, 'job')} {_are(active)} already queued or running." if active else "."))
    total = n_new + n_dup
    return ConfirmationText(
        title="Start label detection",
        headline=f"Start label detection on {plural(total, 'video')}?",
        body=tuple(body),
        videos=tuple(d.video.uri for d in plan.duplicates),
        accept=f"Submit {plural(n_dup, 'video')} again" if only_duplicates else f"Start {plural(n_new, 'job')}",
        resubmit=f"Submit the {plural(n_dup, 'video')} already submitted again too" if n_dup and n_new else None,
        resubmit_by_default=False,
        preset_modified=preset_modified,
        accept_resubmits=only_duplicates,
        accept_is_default=not only_duplicates,
    )


def _are(count: int) -> str:
    return "is" if count == 1 else "are"
