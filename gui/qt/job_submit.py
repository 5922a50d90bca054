"""The submit workflow of the Jobs panel: check, plan in the background, confirm, queue in the background.

Validation (:func:`submission_refusal`) is a pure function of what the panel knows; planning reads the job
store (duplicates, known durations) and queueing writes it, both as tasks of the panel's registry. The
confirmation's text comes from :func:`gui.core.duplicates.confirmation_text`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QMessageBox, QWidget

from gui.core.cost import estimate
from gui.core.duplicates import EnqueuePlan, confirmation_text
from gui.core.engine import JobEngine, JobPreferences
from gui.core.errors import UserMessage
from gui.core.types import JobSettings, S3Object
from gui.core.wording import plural
from gui.qt.job_dialogs import confirmation_answer, submit_confirmation_box
from gui.qt.job_feed import enqueue_planned, plan_submission, submit_unconfirmed
from gui.qt.workers import TaskRegistry


def submission_refusal(connected: bool, problems: Sequence[str], videos: Sequence[S3Object]) -> tuple[str, str] | None:
    """Why "Start label detection" cannot go on, as (title, text); None when it can."""
    if not connected:
        return "Not connected", "Connect to AWS (or the local sandbox) before starting jobs."
    problems = [p for p in problems if p]
    if problems:
        return "Settings need fixing", "\n".join(problems)
    if not any(v.ineligible_reason is None for v in videos):
        why = "Select one or more videos (MP4 or MOV) in the browser first."
        if videos:
            why = f"None of the {len(videos)} selected objects is a video Rekognition accepts: " + (
                videos[0].ineligible_reason or ""
            )
        return "No videos selected", why
    return None


def queued_notice(count: int, skipped: int) -> str:
    text = f"Queued {plural(count, 'job')}."
    if skipped:
        text += f" {plural(skipped, 'video')} already submitted with the same settings {'was' if skipped == 1 else 'were'} skipped."
    return text


class SubmitFlow(QObject):
    """One submission at a time: ``start`` plans and asks; ``submit_now`` queues without asking.

    Signals: ``planning(bool)`` (a plan is being made: the button waits), ``queued(str)`` (a notice),
    ``failed(UserMessage)``.
    """

    planning = Signal(bool)
    queued = Signal(str)
    failed = Signal(object)

    def __init__(
        self,
        owner: QWidget,
        tasks: TaskRegistry,
        *,
        engine: Callable[[], JobEngine | None],
        preferences: Callable[[], JobPreferences],
        active_jobs: Callable[[], int],
    ) -> None:
        super().__init__(owner)
        self._owner = owner  # the confirmation's parent
        self.tasks = tasks
        self._engine = engine
        self._preferences = preferences
        self._active_jobs = active_jobs
        self._pending_settings: tuple[JobSettings, str | None, int] = (JobSettings(), None, 0)
        self._pending_plan: tuple[EnqueuePlan, JobSettings, str | None] | None = None
        self.box: QMessageBox | None = None
        self._preset_modified = False

    def start(self, videos: Sequence[S3Object], settings: JobSettings, preset: str | None, *,
              preset_modified: bool = False) -> None:
        """Plan the eligible ``videos`` in the background, then ask (the caller checked
        :func:`submission_refusal`)."""
        engine = self._engine()
        if engine is None:
            return
        eligible = [v for v in videos if v.ineligible_reason is None]
        self.planning.emit(True)
        self._pending_plan = None
        self._pending_settings = (settings, preset, len(videos) - len(eligible))
        self._preset_modified = preset_modified and preset is not None
        self.tasks.run(plan_submission, engine, eligible, settings, preset, on_result=self._on_planned,
                       on_error=self._on_error)

    def submit_now(self, videos: list[S3Object], settings: JobSettings, preset: str | None = None) -> None:
        """Plan and queue in one background task, without asking; videos already submitted alike are skipped."""
        engine = self._engine()
        if engine is None:
            raise RuntimeError("not connected")
        self.tasks.run(submit_unconfirmed, engine, list(videos), settings, preset, on_result=self._on_enqueued,
                       on_error=self._on_error)

    @Slot(object)
    def _on_planned(self, result: tuple[EnqueuePlan, list[float | None]]) -> None:
        self.planning.emit(False)
        plan, durations = result
        settings, preset, skipped = self._pending_settings
        self._pending_plan = (plan, settings, preset)
        prefs = self._preferences()
        cost = estimate(durations, prefs.price_per_minute)
        cost_line = cost.describe() if cost.known_videos else (
            f"Durations are not known yet. Cost: ${cost.price_per_minute:.2f} per minute of video "
            "(set the price in Job preferences).")
        text = confirmation_text(plan, settings, cost=cost_line, preset=preset, not_videos=skipped,
                                 preset_modified=self._preset_modified, max_active=prefs.max_active,
                                 active=self._active_jobs())
        box = submit_confirmation_box(text, self._owner)
        box.finished.connect(self._on_answered)
        self.box = box
        box.open()

    @Slot(int)
    def _on_answered(self, _result: int) -> None:
        box, self.box = self.box, None
        if box is None:
            return
        accepted, include = confirmation_answer(box)
        box.deleteLater()
        pending, self._pending_plan = self._pending_plan, None
        engine = self._engine()
        if not accepted or pending is None or engine is None:
            return
        plan, settings, preset = pending
        self.tasks.run(enqueue_planned, engine, plan, include, settings, preset, on_result=self._on_enqueued,
                       on_error=self._on_error)

    @Slot(object)
    def _on_enqueued(self, counts: tuple[int, int]) -> None:
        self.queued.emit(queued_notice(*counts))

    @Slot(object)
    def _on_error(self, message: UserMessage) -> None:
        self.planning.emit(False)
        self.failed.emit(message)
