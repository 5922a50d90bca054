"""Plain data types shared by the core, the Qt layer and the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

# botocore's Video shape: "The supported file formats are .mp4, .mov and .avi" (.m4v is MP4 by another name).
VIDEO_EXTENSIONS = (".mp4", ".mov", ".m4v", ".avi")
MAX_VIDEO_BYTES = 10 * 1024**3  # Rekognition Video: 10 GB per stored video
MAX_VIDEO_SECONDS = 6 * 3600  # and 6 hours
# The local sandbox names itself in this response header; its jobs form one scope whatever its port.
SANDBOX_HEADER = "x-rekognition-labeler-sandbox"
SANDBOX_SCOPE = "local sandbox"


@dataclass(frozen=True)
class S3Object:
    bucket: str
    key: str
    size: int = 0
    last_modified: datetime | None = None
    etag: str | None = None
    version_id: str | None = None

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    @property
    def name(self) -> str:
        return self.key.rstrip("/").rsplit("/", 1)[-1]

    @property
    def is_video(self) -> bool:
        return self.key.lower().endswith(VIDEO_EXTENSIONS)

    @property
    def ineligible_reason(self) -> str | None:
        """Why Rekognition would refuse this object, or None when it looks acceptable."""
        if not self.is_video:
            return "Not a video: Rekognition Video accepts MP4, MOV and AVI files (H.264)."
        if self.size == 0 and self.last_modified is not None:  # a listed object that holds no bytes
            return "Empty object (0 bytes): nothing to analyse."
        if self.size > MAX_VIDEO_BYTES:
            return "Larger than 10 GB, the most Rekognition Video accepts for a stored video."
        return None


@dataclass(frozen=True)
class ConnectionSpec:
    """How to reach AWS: no secret in here (secrets live in the OS keyring or in memory)."""

    source: str = "default"  # "default" (boto3 chain), "profile", "env", "access_key"
    profile: str | None = None
    region: str = "us-east-1"
    endpoint_url: str | None = None
    access_key_id: str | None = None

    @property
    def is_sandbox_like(self) -> bool:
        """True for a loopback endpoint (the local sandbox, or another local emulator)."""
        if not self.endpoint_url:
            return False
        from urllib.parse import urlsplit

        host = (urlsplit(self.endpoint_url).hostname or "").lower()
        return host in {"localhost", "::1"} or host.startswith("127.")

    def describe(self) -> str:
        who = self.profile or self.access_key_id or self.source
        where = self.endpoint_url or "AWS"
        return f"{who} @ {self.region} ({where})"


class ClientFactory(Protocol):
    """Makes boto3 clients for one connection: ``factory("rekognition")``."""

    def __call__(self, service: str, region: str | None = None) -> Any: ...


@dataclass(frozen=True)
class LabelFilters:
    label_inclusions: tuple[str, ...] = ()
    label_exclusions: tuple[str, ...] = ()
    category_inclusions: tuple[str, ...] = ()
    category_exclusions: tuple[str, ...] = ()

    def is_empty(self) -> bool:
        return not (
            self.label_inclusions or self.label_exclusions or self.category_inclusions or self.category_exclusions
        )


@dataclass(frozen=True)
class NotificationChannel:
    sns_topic_arn: str
    role_arn: str


@dataclass(frozen=True)
class JobSettings:
    filters: LabelFilters = field(default_factory=LabelFilters)
    min_confidence: float = 50.0
    job_tag: str | None = None
    notification: NotificationChannel | None = None
