"""boto3 clients for the engine's threads, made through a :class:`gui.core.types.ClientFactory`."""

from __future__ import annotations

from typing import Any

from gui.core.types import ClientFactory

# botocore's "standard" retry mode retries LimitExceededException and throttling by itself, up to 5 attempts
# with waits of up to 1, 2, 4 and 8 s: ~15 s per call in which the submitter (or the poller) sends nothing
# else, before its own handling (keep the job queued, back off) even starts. Both have their own backoff,
# so their clients leave botocore a single retry (which still absorbs one dropped connection at once).
CALL_MAX_ATTEMPTS = 2


def client_with_attempts(client_factory: ClientFactory, service: str, max_attempts: int) -> Any:
    """A client with few botocore retries when the factory takes ``max_attempts`` (a
    :class:`gui.core.connection.Connection` does); otherwise the factory's own client."""
    try:
        return client_factory(service, max_attempts=max_attempts)  # type: ignore[call-arg]
    except TypeError:  # a plain ClientFactory(service, region=None)
        return client_factory(service)


def rekognition_client(client_factory: ClientFactory) -> Any:
    """The Rekognition client for the submitter and the poller (few botocore retries; see above)."""
    return client_with_attempts(client_factory, "rekognition", CALL_MAX_ATTEMPTS)
