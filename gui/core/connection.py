"""A connection to AWS (or an S3-compatible endpoint) built from a :class:`ConnectionSpec`.

Credentials always come from boto3's own chain, so nothing about profiles is reimplemented here:
named profiles from ``~/.aws/config`` and ``~/.aws/credentials`` (static keys, SSO, assume-role,
credential_process), environment variables, or an access key whose secret the caller fetched from
:mod:`gui.core.secrets`. boto3 is imported lazily: the window imports this module at start-up.
"""

from __future__ import annotations

import gc
import threading
from dataclasses import dataclass, replace
from typing import Any

from gui import APP_ID, __version__
from gui.core.errors import KnownError, error_code, explain
from gui.core.logs import register_secret
from gui.core.settings import load_section, save_app_settings
from gui.core.types import ConnectionSpec

SOURCES = ("default", "profile", "env", "access_key")

# Used only if botocore's endpoint data cannot be read. Regions where the Rekognition API (including
# stored-video analysis: StartLabelDetection/GetLabelDetection) is offered in the commercial partition,
# per the AWS General Reference "Amazon Rekognition endpoints and quotas" page.
FALLBACK_REKOGNITION_REGIONS = (
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ca-central-1",
    "eu-central-1",
    "eu-west-1",
    "eu-west-2",
    "ap-south-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-southeast-1",
    "ap-southeast-2",
)

# Retries: botocore's "standard" mode (exponential backoff with jitter, retry quota, throttling codes).
DEFAULT_MAX_ATTEMPTS = 5
CONNECT_TIMEOUT = 5
READ_TIMEOUT = 60
MAX_POOL_CONNECTIONS = 16


@dataclass(frozen=True)
class Identity:
    """What ``test_connection`` found out."""

    account: str
    arn: str
    user_id: str
    region: str
    bucket_count: int | None  # None when ListBuckets was refused (the identity still works)
    buckets_problem: str | None = None

    def describe(self) -> str:
        text = f"Account {self.account} as {self.arn}" if self.account else "Connected (no identity service)"
        if self.bucket_count is not None:
            text += f" ({self.bucket_count} bucket{'s' if self.bucket_count != 1 else ''})"
        return text


def _botocore_session() -> Any:
    import botocore.session

    return botocore.session.Session()


def list_profiles() -> list[str]:
    """Profile names from ``~/.aws/config`` and ``~/.aws/credentials`` (honours AWS_CONFIG_FILE etc.)."""
    try:
        return sorted(set(_botocore_session().available_profiles))
    except Exception as exc:  # a malformed config file
        raise KnownError("Cannot read AWS config", str(exc), "Check ~/.aws/config for a syntax error.") from exc


def _profile_config(profile: str) -> dict[str, Any]:
    try:
        profiles = _botocore_session().full_config.get("profiles", {})
    except Exception:
        return {}
    return dict(profiles.get(profile, {}))


def profile_region(profile: str | None) -> str | None:
    """The ``region`` set for ``profile`` in ~/.aws/config (None if unset or unknown)."""
    if not profile:
        return None
    return _profile_config(profile).get("region") or None


def profile_kind(profile: str) -> str:
    """A short description of how a profile gets credentials: "SSO", "assume role", "process", "keys"."""
    cfg = _profile_config(profile)
    if "sso_session" in cfg or "sso_start_url" in cfg:
        return "SSO"
    if "role_arn" in cfg:
        return "assume role"
    if "credential_process" in cfg:
        return "process"
    if "aws_access_key_id" in cfg:
        return "keys"
    return "other"


def default_region() -> str | None:
    """The region the default chain would use (AWS_REGION, AWS_DEFAULT_REGION, default profile)."""
    try:
        return _botocore_session().get_config_variable("region") or None
    except Exception:
        return None


def rekognition_video_regions() -> list[str]:
    """Regions of the commercial partition where botocore's endpoint data lists Rekognition."""
    try:
        regions = _botocore_session().get_available_regions("rekognition", partition_name="aws")
    except Exception:
        regions = []
    return sorted(regions) if regions else list(FALLBACK_REKOGNITION_REGIONS)


def _config(max_attempts: int = DEFAULT_MAX_ATTEMPTS, *, path_style: bool = False) -> Any:
    from botocore.config import Config

    kwargs: dict[str, Any] = {
        "retries": {"mode": "standard", "max_attempts": max_attempts},
        "connect_timeout": CONNECT_TIMEOUT,
        "read_timeout": READ_TIMEOUT,
        "max_pool_connections": MAX_POOL_CONNECTIONS,
        "user_agent_appid": APP_ID,
        "user_agent_extra": f"{APP_ID}/{__version__}",
    }
    if path_style:
        # A custom endpoint (an IP, localhost, an S3-compatible store) cannot take bucket subdomains.
        kwargs["s3"] = {"addressing_style": "path"}
    return Config(**kwargs)


_frozen_services: set[str] = set()
_freeze_lock = threading.Lock()


def settle_gc(service: str) -> None:
    """After the first client of ``service`` in this process, exempt the objects alive now from future
    cyclic garbage collections (``gc.freeze``).

    Creating a boto3 client loads botocore's service model: tens of thousands of dicts and lists that
    live as long as the process. Parsing a large listing then triggers full collections that walk all of
    them, holding the GIL for ~60 ms each, several times per 20,000-object listing: visible freezes of
    the window. Frozen objects are no longer walked. Reference counting still frees frozen objects that
    are released; only cyclic garbage alive at that instant would stay, so the first freeze collects
    first (one pause, at connection time, instead of one every few pages).
    """
    with _freeze_lock:
        if service in _frozen_services:
            return
        if not _frozen_services:
            gc.collect()
        _frozen_services.add(service)
        gc.freeze()


class Connection:
    """A boto3 session for one :class:`ConnectionSpec`, with cached, thread-safe client creation.

    ``conn.client("s3", region="eu-west-1")`` (or ``conn("s3")``) satisfies
    :class:`gui.core.types.ClientFactory`. boto3 clients are thread-safe once created; creating them
    is not, so creation happens under a lock.
    """

    def __init__(
        self, spec: ConnectionSpec, *, secret_access_key: str | None = None, secret_is_real: bool = True
    ) -> None:
        """``secret_is_real=False`` for the sandbox's dummy credentials: not registered for redaction
        (redacting the word "sandbox" would garble every log line about the sandbox)."""
        if spec.source not in SOURCES:
            raise ValueError(f"unknown connection source {spec.source!r}")
        if spec.source == "profile" and not spec.profile:
            raise KnownError("No profile chosen", "Pick an AWS profile, or choose another source.")
        if spec.source == "access_key":
            if not spec.access_key_id:
                raise KnownError("No access key ID", "Type the access key ID (it starts with AKIA or ASIA).")
            if not secret_access_key:
                raise KnownError(
                    "No secret access key",
                    f"No secret is stored for {spec.access_key_id}.",
                    "Type the secret access key.",
                )
        if secret_is_real:
            register_secret(secret_access_key)
        self.spec = spec
        self._secret = secret_access_key
        self._secret_is_real = secret_is_real
        self._lock = threading.Lock()
        self._session: Any = None
        self._clients: dict[tuple[str, str, int], Any] = {}

    def __repr__(self) -> str:  # never shows the secret
        return f"Connection({self.spec.describe()})"

    @property
    def region(self) -> str:
        return self.spec.region

    @property
    def endpoint_url(self) -> str | None:
        return self.spec.endpoint_url

    def with_region(self, region: str) -> Connection:
        """The same credentials in another region (a new connection; this one is unchanged)."""
        return Connection(
            replace(self.spec, region=region), secret_access_key=self._secret, secret_is_real=self._secret_is_real
        )

    def same_account_as(self, other: Connection | None) -> bool:
        """True when ``other`` uses the same credentials source and endpoint (maybe another region)."""
        if other is None:
            return False
        a, b = self.spec, other.spec
        return (a.source, a.profile, a.access_key_id, a.endpoint_url) == (
            b.source,
            b.profile,
            b.access_key_id,
            b.endpoint_url,
        )

    @property
    def session(self) -> Any:
        with self._lock:
            return self._session_locked()

    def _session_locked(self) -> Any:
        if self._session is None:
            import boto3

            spec = self.spec
            kwargs: dict[str, Any] = {"region_name": spec.region}
            if spec.source == "profile":
                kwargs["profile_name"] = spec.profile
            elif spec.source == "access_key":
                kwargs["aws_access_key_id"] = spec.access_key_id
                kwargs["aws_secret_access_key"] = self._secret
            try:
                self._session = boto3.Session(**kwargs)
            except Exception as exc:
                if type(exc).__name__ == "ProfileNotFound":
                    raise KnownError(
                        "Profile not found",
                        f"There is no profile named '{spec.profile}' in ~/.aws/config or ~/.aws/credentials.",
                        "Pick another profile, or run `aws configure --profile NAME`.",
                    ) from exc
                raise
            if spec.source == "env":
                creds = self._session.get_credentials()
                if creds is None or getattr(creds, "method", "") != "env":
                    raise KnownError(
                        "No credentials in the environment",
                        "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set.",
                        "Set them before starting the app, or pick a profile.",
                    )
        return self._session

    def client(self, service: str, region: str | None = None, *, max_attempts: int = DEFAULT_MAX_ATTEMPTS) -> Any:
        """A cached boto3 client for ``service`` in ``region`` (default: the connection's region)."""
        region = region or self.spec.region
        key = (service, region, max_attempts)
        with self._lock:
            client = self._clients.get(key)
            if client is not None:
                return client
            session = self._session_locked()
            client = session.client(
                service,
                region_name=region,
                endpoint_url=self.spec.endpoint_url or None,
                config=_config(max_attempts, path_style=bool(self.spec.endpoint_url) and service == "s3"),
            )
            self._clients[key] = client
        settle_gc(service)
        return client

    __call__ = client

    def test_connection(self) -> Identity:
        """STS GetCallerIdentity, then S3 ListBuckets. Errors propagate (use ``errors.explain``).

        A refused ListBuckets (no s3:ListAllMyBuckets) still counts as connected: the problem is reported
        in ``Identity.buckets_problem``. An S3-compatible endpoint without STS is accepted when its
        ListBuckets works. Few retries, so a wrong endpoint or an expired login answers in seconds.
        """
        ident: dict[str, Any] = {}
        try:
            ident = self.client("sts", max_attempts=2).get_caller_identity()
        except Exception as exc:
            code = error_code(exc)
            if not self.spec.endpoint_url or code is None or code in AUTH_ERROR_CODES:
                raise
        count: int | None = None
        problem: str | None = None
        try:
            count = len(self.client("s3", max_attempts=2).list_buckets().get("Buckets", []))
        except Exception as exc:
            if error_code(exc) not in DENIED_CODES or not ident:
                raise
            problem = str(explain(exc))
        return Identity(
            account=ident.get("Account", ""),
            arn=ident.get("Arn", ""),
            user_id=ident.get("UserId", ""),
            region=self.spec.region,
            bucket_count=count,
            buckets_problem=problem,
        )


DENIED_CODES = frozenset({"AccessDenied", "AccessDeniedException", "AllAccessDisabled"})
AUTH_ERROR_CODES = DENIED_CODES | {
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "IncompleteSignature",
    "ExpiredToken",
    "ExpiredTokenException",
}


# ---- the last connection (no secret), in the shared settings file ---------------------------------------

SETTINGS_SECTION = "connection"


def spec_to_settings(spec: ConnectionSpec) -> dict[str, Any]:
    """What is remembered about a connection: never a secret (the key ID is not secret)."""
    return {
        "source": spec.source,
        "profile": spec.profile,
        "region": spec.region,
        "endpoint_url": spec.endpoint_url,
        "access_key_id": spec.access_key_id,
    }


def spec_from_settings(values: dict[str, Any]) -> ConnectionSpec | None:
    """The remembered connection, or None when nothing usable was saved."""
    source = values.get("source")
    if source not in SOURCES:
        return None

    def text(key: str) -> str | None:
        value = values.get(key)
        return value.strip() if isinstance(value, str) and value.strip() else None

    return ConnectionSpec(
        source=source,
        profile=text("profile"),
        region=text("region") or "us-east-1",
        endpoint_url=text("endpoint_url"),
        access_key_id=text("access_key_id"),
    )


def save_last_connection(paths: Any, spec: ConnectionSpec) -> None:
    save_app_settings(paths, SETTINGS_SECTION, spec_to_settings(spec))


def load_last_connection(paths: Any) -> ConnectionSpec | None:
    return spec_from_settings(load_section(paths, SETTINGS_SECTION))
