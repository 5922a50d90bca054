"""``Sandbox``: moto's server (S3/SNS/SQS/IAM/STS) + our Rekognition Video emulator on one endpoint.

Importing this module is cheap; moto, flask and werkzeug load in :meth:`Sandbox.start`.
"""

from __future__ import annotations

import threading
import time
from types import TracebackType
from typing import Any

from gui.sandbox import seed
from gui.sandbox.faults import FaultInjector
from gui.sandbox.labelsim import DEFAULT_DENSITY
from gui.sandbox.quotas import QuotaKeeper
from gui.sandbox.rekognition import RekognitionEmulator

DEFAULT_JOB_SECONDS = 3.0
DEFAULT_MAX_CONCURRENT_JOBS = 20
DEFAULT_MAX_VIDEO_BYTES = 10 * 1024**3
DEMO_ROLE_NAME = "RekognitionDemoServiceRole"


class Sandbox:
    """A local AWS for the app, tests, benchmarks and ``--demo``.

    Run-time knobs (plain attributes, read on every request): ``job_seconds``, ``max_concurrent_jobs``,
    ``fault_rate``, ``max_video_bytes``, ``label_density`` (simulated detections per second of video),
    ``detections_per_job`` (exact count before filters; None uses the density), and the request-rate
    quotas ``start_tps`` / ``get_tps`` (None: the documented defaults, StartLabelDetection 5 per second,
    GetLabelDetection 20 in us-east-1/us-west-2/eu-west-1 and 5 elsewhere; 0: off).  ``cors`` (start-up
    only) sends CORS grants to browsers; off by default.

    Each live sandbox in a process has its own moto account (:attr:`account_id`; the first one gets
    moto's default ``123456789012``), so private sandboxes do not see each other's buckets, topics or
    queues; :meth:`stop` forgets that account's state.
    """

    def __init__(
        self,
        port: int = 0,
        seed_demo: bool = False,
        job_seconds: float = DEFAULT_JOB_SECONDS,
        max_concurrent_jobs: int = DEFAULT_MAX_CONCURRENT_JOBS,
        fault_rate: float = 0.0,
        max_video_bytes: int = DEFAULT_MAX_VIDEO_BYTES,
        region: str = "us-east-1",
        *,
        fault_seed: int | None = None,
        label_density: float | None = None,
        detections_per_job: int | None = None,
        start_tps: float | None = None,
        get_tps: float | None = None,
        cors: bool = False,
    ) -> None:
        self.port = port
        self.region = region
        self.seed_demo_on_start = seed_demo
        self.job_seconds = float(job_seconds)
        self.max_concurrent_jobs = int(max_concurrent_jobs)
        self.fault_rate = float(fault_rate)
        self.max_video_bytes = int(max_video_bytes)
        self.label_density = float(DEFAULT_DENSITY if label_density is None else label_density)
        self.detections_per_job = detections_per_job
        self.fault_seed = fault_seed
        self.start_tps = start_tps
        self.get_tps = get_tps
        self.cors = bool(cors)
        self.account_id: str | None = None
        self._lock = threading.RLock()
        self._server: Any = None
        self._emulator: Any = None
        self._faults: Any = None
        self._moto: Any = None
        self._quotas: Any = None

    # ------------------------------------------------------------------ lifecycle
    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def endpoint_url(self) -> str:
        if self._server is None:
            raise RuntimeError("The sandbox is not running; call start() first.")
        return f"http://127.0.0.1:{self._server.port}"

    def start(self) -> Sandbox:
        """Serve on 127.0.0.1 (``port=0`` picks a free port); returns when requests are accepted."""
        with self._lock:
            if self._server is not None:
                return self
            from moto.server import DomainDispatcherApplication, create_backend_app

            from gui.sandbox.motoglue import (  # loads moto
                MotoAccount,
                allocate_account,
                disable_moto_cors,
                release_account,
            )
            from gui.sandbox.server import SandboxApp, ServerThread  # loads werkzeug

            account_id = allocate_account()
            try:
                disable_moto_cors()
                self._moto = MotoAccount(account_id, self.region)
                self._moto.install_rekognition_service_policy()
                self._emulator = RekognitionEmulator(self._moto, self)
                self._faults = FaultInjector(self.fault_seed)
                self._quotas = QuotaKeeper(lambda: self.start_tps, lambda: self.get_tps)
                moto_app = DomainDispatcherApplication(create_backend_app)
                app = SandboxApp(moto_app, self._emulator, self._faults, account_id, lambda: self.fault_rate,
                                 quotas=self._quotas, region=self.region, cors=self.cors)
                server = ServerThread(app, self.port)
            except BaseException:
                release_account(account_id)
                raise
            self.account_id = account_id
            self._emulator.start()
            server.start()
            self._server = server
            if self.seed_demo_on_start:
                self.seed_demo()
            return self

    def stop(self) -> None:
        """Stop serving, end the job thread and forget this sandbox's moto state. Idempotent."""
        with self._lock:
            server, self._server = self._server, None
            if server is None:
                return
            from gui.sandbox.motoglue import release_account  # moto loads only when the sandbox starts

            server.stop()
            self._emulator.stop()
            if self.account_id is not None:
                release_account(self.account_id)

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.endpoint_url if self.running else "stopped"
        return f"<Sandbox {where} account={self.account_id}>"

    # ------------------------------------------------------------------ S3 content
    def _account(self) -> Any:
        if self._moto is None or self._server is None:
            raise RuntimeError("The sandbox is not running; call start() first.")
        return self._moto

    def create_bucket(self, name: str, region: str | None = None) -> None:
        """Create a bucket directly in moto (no error if this sandbox already has it)."""
        account = self._account()
        if not account.has_bucket(name):
            account.create_bucket(name, region)

    def put_object(self, bucket: str, key: str, body: bytes) -> None:
        """Put an object directly into moto's backend (the bucket must exist)."""
        self._account().put_object(bucket, key, bytes(body))

    def fill_prefix(self, bucket: str, prefix: str, count: int, size: int = 1024,
                    video_ratio: float = 1.0) -> int:
        """Create *count* objects under *prefix* directly in moto (creates the bucket if needed).

        Keys are ``{prefix}item-000001.mp4``...; a share *video_ratio* are ``.mp4``/``.mov``, the rest
        ``.jpg``/``.txt``.  Video bodies are a real playable clip padded to *size* when *size* is at least
        ~37 KB, otherwise filler bytes (jobs on those FAIL as undecodable)."""
        return seed.fill_prefix(self._account(), bucket, prefix, count, size, video_ratio)

    def seed_demo(self) -> dict[str, int]:
        """Bucket ``demo-videos``: ten real H.264 MP4/MOV clips in nested prefixes, .txt/.jpg objects,
        a text file named .mp4, a truncated .mp4 and a 'seven-hour' .mp4; and the IAM service role
        ``DEMO_ROLE_NAME`` set up as the developer guide says (see :meth:`create_notification_role`), so the
        demo's notification settings have a role that works with topics named AmazonRekognition*.
        Returns {key: size} of the objects."""
        sizes = seed.seed_demo(self._account())
        self.create_notification_role(DEMO_ROLE_NAME)
        return sizes

    # ------------------------------------------------------------------ Rekognition
    def set_detection_script(self, bucket: str, key: str, detections: list[dict[str, Any]] | None) -> None:
        """Test hook: jobs *started after this call* on s3://bucket/key return exactly *detections*
        (before MinConfidence and the filters, which still apply).

        Each item is GetLabelDetection-shaped: ``{"Timestamp": ms, "Label": {"Name": ..., "Confidence":
        ..., "Instances": [...] (optional)}}``; Categories, Aliases and Parents are filled from the
        taxonomy when absent.  ``None`` removes the script."""
        self._require_emulator().set_script(bucket, key, detections)

    def jobs(self) -> list[dict[str, Any]]:
        """Every job the sandbox actually started, oldest first: dicts with JobId, ClientRequestToken,
        Video, JobTag, NotificationChannel, params (the request), Status, StatusMessage, created,
        completed, notified."""
        return self._require_emulator().jobs()

    @property
    def start_requests(self) -> int:
        """StartLabelDetection requests received, including rejected and fault-injected ones."""
        return self._emulator.start_requests if self._emulator is not None else 0

    @property
    def get_requests(self) -> int:
        """GetLabelDetection requests received, including rejected and fault-injected ones."""
        return self._emulator.get_requests if self._emulator is not None else 0

    @property
    def faults_injected(self) -> int:
        return self._faults.injected if self._faults is not None else 0

    @property
    def throttled(self) -> int:
        """Calls refused for going over a request-rate quota."""
        return self._quotas.refused if self._quotas is not None else 0

    @property
    def jobs_url(self) -> str:
        """``GET`` this for the service-side job list as JSON (see ``job_listing``)."""
        return self.endpoint_url + "/_sandbox/jobs"

    def job_listing(self) -> list[dict[str, Any]]:
        """What ``GET /_sandbox/jobs`` serves: per job JobId, Bucket, Key, Version, ClientRequestToken,
        JobTag, Status, StatusMessage, Region, CreatedAt, CompletedAt (ISO 8601 UTC), NotificationChannel,
        NotificationPublished and NotificationProblem."""
        return self._require_emulator().job_listing()

    def create_notification_role(self, name: str = "AmazonRekognitionServiceRoleForSandbox",
                                 topic_arn: str | None = None) -> str:
        """Create, through moto's IAM, the service role the developer guide describes (api-video-roles):
        trusted by rekognition.amazonaws.com, with the managed AmazonRekognitionServiceRole policy
        (publish to topics named AmazonRekognition*), or, given *topic_arn*, an inline policy allowing
        sns:Publish on that topic only.  Returns the role's ARN; an existing role of that name is reused."""
        import json

        from moto.iam.exceptions import NotFoundException

        from gui.sandbox.motoglue import account_scope  # loads moto, like the other motoglue imports

        account = self._account()
        trust = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "rekognition.amazonaws.com"},
            "Action": "sts:AssumeRole"}]}
        with account_scope(account.account_id):
            iam = account.iam
            try:
                role = iam.get_role(name)
            except NotFoundException:
                role = iam.create_role(name, json.dumps(trust), "/", None, "", [], None)
            if topic_arn is None:
                iam.attach_role_policy("arn:aws:iam::aws:policy/service-role/AmazonRekognitionServiceRole", name)
            else:
                iam.put_role_policy(name, "PublishCompletions", json.dumps({
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "sns:Publish", "Resource": topic_arn}]}))
            return str(role.arn)

    def wait_for_jobs(self, timeout: float = 30.0) -> bool:
        """Block until no job is IN_PROGRESS (True) or *timeout* passes (False)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(j["Status"] != "IN_PROGRESS" for j in self.jobs()):
                return True
            time.sleep(0.02)
        return False

    def _require_emulator(self) -> Any:
        if self._emulator is None:
            raise RuntimeError("The sandbox has not been started.")
        return self._emulator
