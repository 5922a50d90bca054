"""Fetching a job's results: every page of GetLabelDetection, both aggregations, into a
:class:`gui.core.results_store.ResultsStore`.

Pages are stored on a writer thread while the next one is fetched; the response bodies are kept as
received (botocore's ``after-call`` event); throttling and 5xx answers are retried with the app's one
backoff rule; cancellation is checked between pages.
"""

from __future__ import annotations

import logging
import queue
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from gui.core import pacing
from gui.core.backoff import backoff_delay
from gui.core.cancel import CancelToken
from gui.core.errors import KnownError, is_retryable
from gui.core.results_store import (
    AGGREGATIONS,
    PAGE_SIZE,
    TIMESTAMPS,
    ResultsStore,
    ResultSummary,
    check_aggregation,
)

log = logging.getLogger(__name__)

_RNG = random.Random()


@dataclass(frozen=True)
class FetchProgress:
    """Reported after every page. ``fraction`` estimates progress from the last timestamp (pages come
    sorted by time) against the video's duration; None when unknown."""

    job_id: str
    aggregation: str
    pages: int
    detections: int
    fraction: float | None


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    base_delay: float = 0.25
    max_delay: float = 20.0


class Cancellable(Protocol):
    @property
    def cancelled(self) -> bool: ...


class FetchCancelled(KnownError):
    def __init__(self, job_id: str) -> None:
        super().__init__("Fetch cancelled", f"Fetching the results of job {job_id} was cancelled.")


Progress = Callable[[FetchProgress], Any]


def fetch_and_store(
    client: Any,
    job_id: str,
    store: ResultsStore,
    *,
    cancel: Cancellable | None = None,
    progress: Progress | None = None,
    aggregations: Sequence[str] = AGGREGATIONS,
    retry: RetryPolicy | None = None,
) -> ResultSummary:
    """Fetch every page of GetLabelDetection for ``job_id`` (each aggregation in ``aggregations``) into
    ``store`` and return the job's summary.

    Throttling and 5xx answers are retried with exponential backoff and jitter; ``cancel.cancelled`` is
    checked between pages (raising :class:`FetchCancelled`). A job that has not succeeded raises
    :class:`KnownError`. What was stored before for the job stays until the new fetch is complete.
    """
    policy = retry or RetryPolicy()
    if not aggregations:
        raise ValueError("aggregations must name at least one of TIMESTAMPS, SEGMENTS")
    for aggregation in aggregations:
        check_aggregation(aggregation)
    for aggregation in aggregations:
        _fetch_one(client, job_id, store, aggregation, cancel, progress, policy)
    summary = store.summary(job_id)
    assert summary is not None
    return summary


def _fetch_one(
    client: Any,
    job_id: str,
    store: ResultsStore,
    aggregation: str,
    cancel: Cancellable | None,
    progress: Progress | None,
    policy: RetryPolicy,
) -> None:
    result_id: int | None = None
    pages = detections = 0
    token: str | None = None
    last_page: dict[str, Any] = {}
    writer: _PageWriter | None = None
    try:
        with _BodyCapture(client) as capture:
            while True:
                _check_cancel(cancel, job_id)
                params: dict[str, Any] = {"JobId": job_id, "MaxResults": PAGE_SIZE}
                if aggregation != TIMESTAMPS:
                    params["AggregateBy"] = aggregation
                if token:
                    params["NextToken"] = token
                page = _call_with_retry(client.get_label_detection, params, policy, cancel, job_id)
                body = capture.take()
                if result_id is None:
                    _check_status(page, job_id)
                    result_id = store.begin_result(job_id, aggregation)
                    writer = _PageWriter(store, result_id)
                assert writer is not None
                writer.put(pages, page, body)
                pages += 1
                detections += len(page.get("Labels") or ())
                last_page = page
                token = page.get("NextToken")
                if progress is not None:
                    progress(FetchProgress(job_id, aggregation, pages, detections, _fraction(page)))
                if not token:
                    break
        assert writer is not None and result_id is not None
        writer.finish()
        _check_cancel(cancel, job_id)
        store.complete_result(result_id, last_page)
    except BaseException:
        if writer is not None:
            writer.abandon()
        if result_id is not None:
            try:
                store.discard_result(result_id)
            except Exception:
                log.exception("Could not discard a partial result of %s", job_id)
        raise


class _PageWriter:
    """Stores pages on a thread of its own while the next page is being fetched.

    SQLite does the splitting and indexing in C with the GIL released, so storing overlaps with the
    network wait and botocore's parsing instead of adding to it. At most ``depth`` pages wait in line.
    """

    def __init__(self, store: ResultsStore, result_id: int, depth: int = 3) -> None:
        self.store = store
        self.result_id = result_id
        self.queue: queue.Queue[tuple[int, dict[str, Any], str | None] | None] = queue.Queue(maxsize=depth)
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"results-writer-{result_id}", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            while True:
                item = self.queue.get()
                if item is None or self._stop.is_set():
                    return
                page_no, page, body = item
                self.store.add_page(self.result_id, page_no, page, body)
        except BaseException as exc:
            self.error = exc
        finally:
            self.store.release_connection()

    def _raise_if_failed(self) -> None:
        if self.error is not None:
            raise self.error

    def put(self, page_no: int, page: dict[str, Any], body: str | None) -> None:
        while True:
            self._raise_if_failed()
            try:
                self.queue.put((page_no, page, body), timeout=0.2)
                return
            except queue.Full:
                if not self.thread.is_alive():
                    self._raise_if_failed()
                    raise RuntimeError("the results writer stopped") from None

    def finish(self) -> None:
        self.queue.put(None)
        self.thread.join()
        self._raise_if_failed()

    def abandon(self) -> None:
        self._stop.set()
        while True:  # unblock the writer and let it end
            try:
                self.queue.put_nowait(None)
                break
            except queue.Full:
                try:
                    self.queue.get_nowait()
                except queue.Empty:
                    pass
        self.thread.join()


class _BodyCapture:
    """Keeps the JSON text of each GetLabelDetection response as received (botocore's ``after-call``
    event), so the stored pages are exactly what the service sent and need no re-encoding.

    Only calls made on the registering thread are captured, so a client shared with another thread is
    safe. Clients without an event system (or bodies that aren't there) fall back to encoding.
    """

    EVENT = "after-call.rekognition.GetLabelDetection"

    def __init__(self, client: Any) -> None:
        self.events = getattr(getattr(client, "meta", None), "events", None)
        self.thread = threading.get_ident()
        self.unique_id = f"results-capture-{id(self)}"
        self.body: str | None = None

    def __enter__(self) -> _BodyCapture:
        if self.events is not None:
            self.events.register(self.EVENT, self._on_after_call, unique_id=self.unique_id)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.events is not None:
            self.events.unregister(self.EVENT, unique_id=self.unique_id)

    def _on_after_call(self, http_response: Any = None, parsed: Any = None, **_: Any) -> None:
        if threading.get_ident() != self.thread:
            return
        content = getattr(http_response, "content", None)
        status = getattr(http_response, "status_code", 0)
        self.body = None
        if isinstance(content, bytes) and status == 200 and isinstance(parsed, dict) and "Labels" in parsed:
            try:
                self.body = content.decode("utf-8")
            except UnicodeDecodeError:
                self.body = None

    def take(self) -> str | None:
        body, self.body = self.body, None
        return body


def _fraction(page: dict[str, Any]) -> float | None:
    if not page.get("NextToken"):
        return 1.0
    duration = (page.get("VideoMetadata") or {}).get("DurationMillis")
    labels = page.get("Labels") or []
    if not duration or not labels:
        return None
    return max(0.0, min(0.99, float(labels[-1].get("Timestamp") or 0) / float(duration)))


def _check_cancel(cancel: Cancellable | None, job_id: str) -> None:
    if cancel is not None and cancel.cancelled:
        raise FetchCancelled(job_id)


def _check_status(page: dict[str, Any], job_id: str) -> None:
    status = page.get("JobStatus")
    if status == "IN_PROGRESS":
        raise KnownError("Results not ready", f"Job {job_id} is still in progress.", "Try again when it has ended.")
    if status == "FAILED":
        raise KnownError("Job failed", f"Job {job_id} failed: {page.get('StatusMessage') or 'no reason given'}.")


def _call_with_retry(
    call: Callable[..., dict[str, Any]],
    params: dict[str, Any],
    policy: RetryPolicy,
    cancel: Cancellable | None,
    job_id: str,
) -> dict[str, Any]:
    attempt = 0
    while True:
        try:
            pacing.pace(pacing.GET, call)  # inside the GetLabelDetection quota
            return call(**params)
        except Exception as exc:
            attempt += 1
            if not is_retryable(exc) or attempt >= policy.max_attempts:
                raise
            delay = backoff_delay(attempt, policy.base_delay, policy.max_delay, _RNG)
            log.info("GetLabelDetection for %s failed (%s); retry %d in %.2fs", job_id, exc, attempt, delay)
            if _sleep(delay, cancel):
                raise FetchCancelled(job_id) from exc


def _sleep(seconds: float, cancel: Cancellable | None) -> bool:
    """Sleep, waking early on cancel when the token can wait; True if cancelled."""
    if isinstance(cancel, CancelToken):
        return cancel.wait(seconds)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if cancel is not None and cancel.cancelled:
            return True
        time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))
    return bool(cancel is not None and cancel.cancelled)
