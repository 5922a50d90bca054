"""Our emulator of Rekognition Video's StartLabelDetection / GetLabelDetection (moto has neither).

State is per :class:`RekognitionEmulator` (one per Sandbox).  Jobs read the real object bytes from
moto's S3 backend, stay ``IN_PROGRESS`` for the configured time, then ``SUCCEEDED`` with simulated
labels or ``FAILED`` with a ``StatusMessage``; with a NotificationChannel the completion is published
to the SNS topic through moto's backend (a background thread, stopped with the sandbox).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import logging
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from gui.core import iam_policy
from gui.core.wording import clock
from gui.sandbox import labelsim
from gui.sandbox.apierrors import ApiError, invalid_parameter
from gui.sandbox.mp4probe import ProbeError, VideoInfo, probe
from gui.sandbox.validation import validate

log = logging.getLogger(__name__)

LABEL_MODEL_VERSION = "3.0"
MAX_VIDEO_MILLIS = 6 * 3600 * 1000
MAX_RESULTS = 1000
TERMINAL = ("SUCCEEDED", "FAILED")


class Settings(Protocol):
    """The run-time knobs (the Sandbox's attributes)."""

    job_seconds: float
    max_concurrent_jobs: int
    max_video_bytes: int
    label_density: float
    detections_per_job: int | None


class Storage(Protocol):
    region: str

    def get_key(self, bucket: str, key: str, version: str | None = None) -> Any | None: ...

    def bucket_region(self, bucket: str) -> str | None: ...

    def role_policies(self, role_arn: str) -> tuple[str, list[str]] | None: ...

    def publish(self, topic_arn: str, message: str) -> bool: ...


@dataclass
class Job:
    job_id: str
    request: dict[str, Any]
    bucket: str
    key: str
    version: str | None
    size: int
    created: float
    finish_at: float
    info: VideoInfo | None
    failure: str | None
    seed: int
    script: list[dict[str, Any]] | None
    region: str = "us-east-1"
    status: str = "IN_PROGRESS"
    completed: float | None = None
    notified: bool = False  # the completion was handled (published or, with a reason, not)
    published: bool = False  # a completion message actually reached the topic
    notification_problem: str | None = None
    results_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _results: list[dict[str, Any]] | None = field(default=None, repr=False)
    _segments: list[dict[str, Any]] | None = field(default=None, repr=False)
    _by_name: dict[str, list[dict[str, Any]]] = field(default_factory=dict, repr=False)

    @property
    def video(self) -> dict[str, Any]:
        return copy.deepcopy(self.request["Video"])

    @property
    def job_tag(self) -> str | None:
        return self.request.get("JobTag")

    def summary(self) -> dict[str, Any]:
        return {
            "JobId": self.job_id,
            "ClientRequestToken": self.request.get("ClientRequestToken"),
            "Video": self.video,
            "JobTag": self.job_tag,
            "NotificationChannel": copy.deepcopy(self.request.get("NotificationChannel")),
            "params": copy.deepcopy(self.request),
            "Status": self.status,
            "StatusMessage": self.failure if self.status == "FAILED" else None,
            "created": self.created,
            "completed": self.completed,
            "notified": self.notified,
            "region": self.region,
            "published": self.published,
            "notification_problem": self.notification_problem,
        }

    def listing(self) -> dict[str, Any]:
        """This job as ``GET /_sandbox/jobs`` lists it (JSON types only)."""
        return {
            "JobId": self.job_id,
            "Bucket": self.bucket,
            "Key": self.key,
            "Version": self.version,
            "ClientRequestToken": self.request.get("ClientRequestToken"),
            "JobTag": self.job_tag,
            "Status": self.status,
            "StatusMessage": self.failure if self.status == "FAILED" else None,
            "Region": self.region,
            "CreatedAt": _iso(self.created),
            "CompletedAt": _iso(self.completed) if self.completed is not None else None,
            "NotificationChannel": copy.deepcopy(self.request.get("NotificationChannel")),
            "NotificationPublished": self.published,
            "NotificationProblem": self.notification_problem,
        }


def _iso(epoch: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _general_settings(request: dict[str, Any]) -> dict[str, Any]:
    return (request.get("Settings") or {}).get("GeneralLabels") or {}


class RekognitionEmulator:
    def __init__(self, storage: Storage, settings: Settings) -> None:
        self.storage = storage
        self.settings = settings
        self._lock = threading.RLock()
        self._jobs: dict[str, Job] = {}
        self._tokens: dict[str, str] = {}
        self._scripts: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._secret = secrets.token_bytes(16)
        self.start_requests = 0
        self.get_requests = 0
        self._wake = threading.Condition(self._lock)
        self._stopping = False
        self._thread: threading.Thread | None = None

    # ----------------------------------------------------------------- dispatch
    def handle(self, operation: str, request: Any, region: str | None = None) -> dict[str, Any]:
        """*region* is the endpoint's region as the request was signed for (the sandbox's own when None)."""
        if operation == "StartLabelDetection":
            return self.start_label_detection(request, region)
        if operation == "GetLabelDetection":
            return self.get_label_detection(request)
        raise ApiError("UnknownOperationException", f"Unknown operation {operation}")

    def note_request(self, operation: str) -> None:
        with self._lock:
            if operation == "StartLabelDetection":
                self.start_requests += 1
            elif operation == "GetLabelDetection":
                self.get_requests += 1

    # -------------------------------------------------------------------- start
    def start_label_detection(self, request: Any, region: str | None = None) -> dict[str, Any]:
        validate("StartLabelDetection", request)
        region = region or self.storage.region
        s3 = (request.get("Video") or {}).get("S3Object")
        if not s3 or not s3.get("Bucket") or not s3.get("Name"):
            raise invalid_parameter("Request has invalid parameters: Video.S3Object with Bucket and Name "
                                    "is required.")
        general = _general_settings(request)
        if general and "GENERAL_LABELS" not in (request.get("Features") or ["GENERAL_LABELS"]):
            raise invalid_parameter("Settings.GeneralLabels requires the GENERAL_LABELS feature.")
        token = request.get("ClientRequestToken")
        comparable = {k: v for k, v in request.items() if k != "ClientRequestToken"}
        with self._lock:
            if token and token in self._tokens:
                job = self._jobs[self._tokens[token]]
                previous = {k: v for k, v in job.request.items() if k != "ClientRequestToken"}
                if previous != comparable:
                    raise ApiError("IdempotentParameterMismatchException",
                                   "ClientRequestToken: " + token + " was already used with different "
                                   "request parameters.")
                return {"JobId": job.job_id}
            bucket, key, version = s3["Bucket"], s3["Name"], s3.get("Version")
            obj = self.storage.get_key(bucket, key, version)
            bucket_region = self.storage.bucket_region(bucket)
            # botocore's S3Object: "The region for the S3 bucket containing the S3 object must match the
            # region you use for Amazon Rekognition operations." AWS answers as for a missing object.
            if obj is None or (bucket_region is not None and bucket_region != region):
                raise ApiError("InvalidS3ObjectException",
                               "Unable to get object metadata from S3. Check object key, region and/or "
                               "access permissions.")
            size = int(obj.size)
            limit = int(self.settings.max_video_bytes)
            if size > limit:
                raise ApiError("VideoTooLargeException",
                               f"Video size in bytes: {size} is more than the maximum limit of: {limit} bytes.")
            now = time.time()
            self._settle(now)
            running = sum(1 for j in self._jobs.values() if j.status == "IN_PROGRESS")
            if running >= int(self.settings.max_concurrent_jobs):
                raise ApiError("LimitExceededException",
                               "Limit exceeded: the number of concurrent video analysis jobs is at the "
                               f"limit of {int(self.settings.max_concurrent_jobs)}.")
            info, failure = self._probe(obj)
            job_seconds = max(0.0, float(self.settings.job_seconds))
            if info is not None:  # longer videos take a little longer, as on the real service
                job_seconds *= 1.0 + min(info.duration_ms, MAX_VIDEO_MILLIS) / MAX_VIDEO_MILLIS
            job = Job(
                job_id=secrets.token_hex(32),
                request=copy.deepcopy(request),
                bucket=bucket,
                key=key,
                version=version,
                size=size,
                created=now,
                finish_at=now + job_seconds,
                info=info,
                failure=failure,
                seed=labelsim.seed_for(bucket, key, version or "", size, getattr(obj, "etag", "")),
                script=copy.deepcopy(self._scripts.get((bucket, key))),
                region=region,
            )
            self._jobs[job.job_id] = job
            if token:
                self._tokens[token] = job.job_id
            self._wake.notify_all()
            return {"JobId": job.job_id}

    @staticmethod
    def _probe(obj: Any) -> tuple[VideoInfo | None, str | None]:
        try:
            info = probe(obj.value)
        except ProbeError as exc:
            return None, str(exc)
        if info.duration_ms > MAX_VIDEO_MILLIS:
            return info, ("Video duration exceeds the maximum of 6 hours "
                          f"({clock(info.duration_ms)} > {clock(MAX_VIDEO_MILLIS)}).")
        return info, None

    # ---------------------------------------------------------------------- get
    def get_label_detection(self, request: Any) -> dict[str, Any]:
        validate("GetLabelDetection", request)
        job_id = request["JobId"]
        with self._lock:
            self._settle(time.time())
            job = self._jobs.get(job_id)
        if job is None:
            raise ApiError("ResourceNotFoundException", f"The job {job_id} was not found.")
        sort_by = request.get("SortBy") or "TIMESTAMP"
        aggregate_by = request.get("AggregateBy") or "TIMESTAMPS"
        max_results = min(int(request.get("MaxResults") or MAX_RESULTS), MAX_RESULTS)
        offset = self._decode_token(job, request.get("NextToken"))
        out: dict[str, Any] = {"JobStatus": job.status}
        if job.status == "FAILED":
            out["StatusMessage"] = job.failure
        labels: list[dict[str, Any]] = []
        next_token = None
        if job.status == "SUCCEEDED":
            assert job.info is not None
            out["VideoMetadata"] = job.info.metadata()
            items = self._ordered(job, sort_by, aggregate_by)
            if offset > len(items):
                raise ApiError("InvalidPaginationTokenException", "Invalid Token")
            labels = items[offset : offset + max_results]  # serialised at once, never mutated
            if offset + max_results < len(items):
                next_token = self._encode_token(job, offset + max_results)
        if next_token:
            out["NextToken"] = next_token
        out["Labels"] = labels
        if job.status == "SUCCEEDED":
            out["LabelModelVersion"] = LABEL_MODEL_VERSION
        out["JobId"] = job.job_id
        out["Video"] = job.video
        if job.job_tag:
            out["JobTag"] = job.job_tag
        out["GetRequestMetadata"] = {"SortBy": sort_by, "AggregateBy": aggregate_by}
        return out

    def _encode_token(self, job: Job, offset: int) -> str:
        payload = str(offset).encode()
        mac = hmac.new(self._secret, job.job_id.encode() + b":" + payload, hashlib.sha256).digest()[:18]
        return base64.b64encode(payload + b":" + mac).decode()

    def _decode_token(self, job: Job, token: str | None) -> int:
        if not token:
            return 0
        try:
            raw = base64.b64decode(token.encode(), validate=True)
            payload, mac = raw.split(b":", 1)
            expected = hmac.new(self._secret, job.job_id.encode() + b":" + payload, hashlib.sha256).digest()[:18]
            if not hmac.compare_digest(mac, expected):
                raise ValueError("bad signature")
            return int(payload)
        except (ValueError, UnicodeError):
            raise ApiError("InvalidPaginationTokenException", "Invalid Token") from None

    # ------------------------------------------------------------------ results
    def _detections(self, job: Job) -> list[dict[str, Any]]:
        with job.results_lock:
            if job._results is None:
                assert job.info is not None
                if job.script is not None:
                    raw = labelsim.complete_script(job.script)
                else:
                    raw = labelsim.simulate(
                        job.seed,
                        job.info.duration_ms,
                        density=float(self.settings.label_density),
                        total=self.settings.detections_per_job,
                        hints=labelsim.scene_hints(job.key),
                    )
                min_conf = job.request.get("MinConfidence")
                job._results = labelsim.apply_filters(
                    raw, 50.0 if min_conf is None else float(min_conf), _general_settings(job.request)
                )
            return job._results

    def _segments(self, job: Job) -> list[dict[str, Any]]:
        detections = self._detections(job)
        with job.results_lock:
            if job._segments is None:
                job._segments = labelsim.segments(detections, job.info.duration_ms if job.info else None)
            return job._segments

    def _ordered(self, job: Job, sort_by: str, aggregate_by: str) -> list[dict[str, Any]]:
        items = self._segments(job) if aggregate_by == "SEGMENTS" else self._detections(job)
        if sort_by != "NAME":
            return items
        with job.results_lock:  # NAME: grouped by label, highest confidence first; cached per job
            cached = job._by_name.get(aggregate_by)
            if cached is None:
                cached = sorted(items, key=lambda d: (d["Label"]["Name"], -d["Label"]["Confidence"], d["Timestamp"]))
                job._by_name[aggregate_by] = cached
            return cached

    # --------------------------------------------------------------- lifecycle
    def _settle(self, now: float) -> list[Job]:
        """Move due jobs to their final state; returns those that still need a notification."""
        finished = []
        for job in self._jobs.values():
            if job.status == "IN_PROGRESS" and now >= job.finish_at:
                job.status = "FAILED" if job.failure else "SUCCEEDED"
                job.completed = now
            if job.status in TERMINAL and not job.notified:
                if job.request.get("NotificationChannel"):
                    finished.append(job)
                else:
                    job.notified = True
        return finished

    def _notify(self, job: Job) -> None:
        channel = job.request["NotificationChannel"]
        message: dict[str, Any] = {
            "JobId": job.job_id,
            "Status": job.status,
            "API": "StartLabelDetection",
        }
        if job.job_tag:
            message["JobTag"] = job.job_tag
        message["Timestamp"] = int((job.completed or time.time()) * 1000)
        message["Video"] = {"S3ObjectName": job.key, "S3Bucket": job.bucket}
        try:
            problem = publish_problem(self.storage, channel["RoleArn"], channel["SNSTopicArn"], job.region)
            if problem is None and not self.storage.publish(channel["SNSTopicArn"], json.dumps(message)):
                problem = f"SNS topic {channel['SNSTopicArn']} does not exist"
        except Exception as exc:
            log.exception("Sandbox: publishing the completion of %s failed", job.job_id)
            problem = f"publishing failed: {type(exc).__name__}"
        with self._lock:
            job.published = problem is None
            job.notification_problem = problem
        if problem is not None:
            log.warning("Sandbox: completion of %s not published: %s", job.job_id, problem)

    def _run(self) -> None:
        while True:
            with self._lock:
                if self._stopping:
                    return
                now = time.time()
                to_notify = self._settle(now)
                for job in to_notify:
                    job.notified = True
                pending = [j.finish_at for j in self._jobs.values() if j.status == "IN_PROGRESS"]
            for job in to_notify:
                self._notify(job)
            with self._lock:
                if self._stopping:
                    return
                timeout = max(0.0, min(pending) - time.time()) + 0.005 if pending else None
                self._wake.wait(timeout)

    def start(self) -> None:
        with self._lock:
            self._stopping = False
        self._thread = threading.Thread(target=self._run, name="sandbox-rekognition-jobs", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            self._wake.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    # ---------------------------------------------------------------- test hooks
    def set_script(self, bucket: str, key: str, detections: list[dict[str, Any]] | None) -> None:
        with self._lock:
            if detections is None:
                self._scripts.pop((bucket, key), None)
            else:
                self._scripts[(bucket, key)] = copy.deepcopy(list(detections))

    def jobs(self) -> list[dict[str, Any]]:
        with self._lock:
            self._settle(time.time())
            return [j.summary() for j in self._jobs.values()]

    def job_listing(self) -> list[dict[str, Any]]:
        """Every started job, oldest first, as ``GET /_sandbox/jobs`` serves them."""
        with self._lock:
            self._settle(time.time())
            return [j.listing() for j in self._jobs.values()]


def publish_problem(storage: Storage, role_arn: str, topic_arn: str, region: str) -> str | None:
    """Why Rekognition could not publish a completion to *topic_arn* through *role_arn*, or None.

    The rules, from the developer guide: the topic "must be in the same AWS region as the Amazon
    Rekognition Video endpoint that you're calling" (api-video); the service role must give Rekognition
    permission to publish to the topic, and the managed AmazonRekognitionServiceRole policy covers only
    topics whose name begins with AmazonRekognition (api-video-roles).  The guide does not say the Start
    call fails otherwise; video-troubleshooting treats it as "I never receive the completion status", so
    the job runs and no message arrives."""
    topic_region = iam_policy.arn_region(topic_arn)
    if topic_region != region:
        return f"the SNS topic is in {topic_region or 'no region'}, the Rekognition endpoint in {region}"
    found = storage.role_policies(role_arn)
    if found is None:
        return f"IAM role {role_arn} does not exist"
    trust, documents = found
    try:
        trust_doc = iam_policy.parse_document(trust)
        docs = [iam_policy.parse_document(d) for d in documents]
    except ValueError:
        return f"IAM role {role_arn} has a policy that is not valid JSON"
    if not iam_policy.trusts_service(trust_doc):
        return f"IAM role {role_arn} does not trust {iam_policy.REKOGNITION_PRINCIPAL}"
    if not iam_policy.evaluate(docs, "sns:Publish", topic_arn).allowed:
        return f"IAM role {role_arn} is not allowed sns:Publish on {topic_arn}"
    return None
