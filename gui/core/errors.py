"""Expected failures become clear, actionable messages; anything else is a bug to log with a traceback.

The core never opens dialogs: it raises :class:`KnownError` (or lets botocore errors through) and the
caller turns them into a :class:`UserMessage` with :func:`explain`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

RETRYABLE_CODES = frozenset(
    {
        "ThrottlingException",
        "ProvisionedThroughputExceededException",
        "InternalServerError",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "SlowDown",
        "RequestLimitExceeded",
        "TooManyRequestsException",
    }
)
LIMIT_CODE = "LimitExceededException"  # Rekognition's limit of concurrent jobs per account
# Problems with the credentials themselves: every call would fail alike.
AUTH_CODES = frozenset(
    {
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "IncompleteSignature",
    }
)
AUTH_EXCEPTIONS = frozenset(
    {
        "NoCredentialsError",
        "PartialCredentialsError",
        "UnauthorizedSSOTokenError",
        "SSOTokenLoadError",
        "TokenRetrievalError",
        "ProfileNotFound",
        "NoRegionError",
    }
)
CONNECTION_EXCEPTIONS = frozenset(
    {"EndpointConnectionError", "ConnectionClosedError", "ReadTimeoutError", "ConnectTimeoutError", "ConnectionError"}
)


class ErrorKind(Enum):
    """What an exception means for the caller; see :func:`classify`."""

    LIMIT = "limit"  # AWS's limit of concurrent jobs: keep the work queued and wait
    THROTTLE = "throttle"  # throttling or a 5xx answer: retry with backoff
    CONNECTION = "connection"  # the endpoint could not be reached or dropped the connection: retry, report
    AUTH = "auth"  # missing, expired or rejected credentials: every call fails alike, pause and report
    REFUSED = "refused"  # AWS (or botocore's validation) refused this request: retrying it changes nothing
    BUG = "bug"  # anything else: log the traceback


def classify(exc: BaseException) -> ErrorKind:
    """The one classification of errors used by the submitter, the poller, results fetching and the CLI.

    A :class:`KnownError` raised from another exception is classified by its cause (the connection
    wraps ``ProfileNotFound`` that way); without one it is an expected refusal.
    """
    if isinstance(exc, KnownError):
        cause = exc.__cause__
        return classify(cause) if cause is not None else ErrorKind.REFUSED
    code = error_code(exc)
    name = type(exc).__name__
    if code == LIMIT_CODE:
        return ErrorKind.LIMIT
    if code in AUTH_CODES or name in AUTH_EXCEPTIONS:
        return ErrorKind.AUTH
    if name in CONNECTION_EXCEPTIONS:
        return ErrorKind.CONNECTION
    status = http_status(exc)
    if code in RETRYABLE_CODES or (status is not None and status >= 500):
        return ErrorKind.THROTTLE
    if code is not None or name == "ParamValidationError":
        return ErrorKind.REFUSED
    return ErrorKind.BUG


@dataclass(frozen=True)
class UserMessage:
    title: str
    text: str
    hint: str = ""
    expected: bool = True  # False: a bug; the caller logs the traceback

    def __str__(self) -> str:
        text = self.text.rstrip()
        if self.hint and text and text[-1] not in ".!?":
            text += "."
        return f"{self.title}: {text}" + (f" {self.hint}" if self.hint else "")


class KnownError(Exception):
    """An expected problem from the environment or the user's input, with a message fit to show."""

    def __init__(self, title: str, text: str, hint: str = "") -> None:
        super().__init__(f"{title}: {text}")
        self.message = UserMessage(title, text, hint)


def error_code(exc: BaseException) -> str | None:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return response.get("Error", {}).get("Code")
    return None


def http_status(exc: BaseException) -> int | None:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return None


def is_retryable(exc: BaseException) -> bool:
    """Throttling, 5xx and dropped connections: worth retrying with backoff."""
    return classify(exc) in (ErrorKind.THROTTLE, ErrorKind.CONNECTION)


def aws_message(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return response.get("Error", {}).get("Message") or str(exc)
    return str(exc)


def explain(exc: BaseException, *, profile: str | None = None) -> UserMessage:
    """Turn an exception into something a person can act on."""
    if isinstance(exc, KnownError):
        return exc.message
    name = type(exc).__name__
    code = error_code(exc)
    msg = aws_message(exc)
    login = f"aws sso login --profile {profile}" if profile else "aws sso login --profile <name>"

    if name == "NoCredentialsError":
        return UserMessage(
            "No AWS credentials found",
            "Neither a profile, environment variables nor an access key provided credentials.",
            "Pick a profile from ~/.aws, or choose 'Access key' and type a key ID and secret.",
        )
    if name == "NoRegionError":
        return UserMessage("No region chosen", "AWS needs a region for this call.", "Pick a region.")
    if name == "ProfileNotFound":
        return UserMessage("Profile not found", msg, "Check ~/.aws/config or pick another profile.")
    if name in {"UnauthorizedSSOTokenError", "SSOTokenLoadError", "TokenRetrievalError"} or (
        "sso" in msg.lower() and ("expired" in msg.lower() or "token" in msg.lower())
    ):
        return UserMessage(
            "SSO session expired", "Your AWS SSO token is missing or has expired.", f"Run `{login}` and retry."
        )
    if name in {"EndpointConnectionError", "ConnectTimeoutError", "ConnectionClosedError", "ReadTimeoutError"}:
        return UserMessage(
            "Endpoint unreachable",
            f"Could not reach the service ({msg}).",
            "Check the endpoint URL, the region, your network, or whether the local sandbox is running.",
        )
    if code in {"InvalidClientTokenId", "UnrecognizedClientException", "InvalidAccessKeyId"}:
        return UserMessage(
            "Invalid access key", "AWS does not recognise this access key ID.", "Check the key ID or pick a profile."
        )
    if code in {"SignatureDoesNotMatch", "IncompleteSignature"}:
        return UserMessage(
            "Wrong secret access key", "The secret does not match the access key ID.", "Re-enter the secret key."
        )
    if code == "ExpiredToken" or code == "ExpiredTokenException":
        return UserMessage(
            "Credentials expired",
            "The session token has expired.",
            f"Refresh your credentials (for SSO: `{login}`).",
        )
    if code in {"AccessDenied", "AccessDeniedException", "AllAccessDisabled", "UnauthorizedOperation"}:
        return UserMessage("Access denied", msg, _permission_hint(msg, getattr(exc, "operation_name", None)))
    if code in {"AuthorizationHeaderMalformed", "PermanentRedirect", "IllegalLocationConstraintException"}:
        return UserMessage(
            "Wrong region", msg, "The bucket lives in another region; switch to the bucket's region."
        )
    if name == "InvalidRegionError":
        return UserMessage("Wrong region", msg, "Pick a region from the list, e.g. us-east-1.")
    if name in {"CredentialRetrievalError", "PartialCredentialsError"}:
        if profile:
            hint = f"Check profile '{profile}' in ~/.aws/config (credential_process, source_profile, keys)."
        else:
            hint = "Check the AWS_* environment variables or pick a profile from ~/.aws."
        return UserMessage("Credentials could not be loaded", msg, hint)
    if code == "NoSuchBucket":
        return UserMessage("Bucket not found", msg, "Refresh the bucket list.")
    if code == "404" and getattr(exc, "operation_name", "") in {
        "HeadBucket",
        "GetBucketLocation",
        "ListObjectsV2",
        "ListObjects",
    }:
        return UserMessage("Bucket not found", "No bucket by that name is visible to you.", "Refresh the bucket list.")
    if code in {"NoSuchKey", "404"}:
        return UserMessage("Object not found", msg, "It may have been deleted; refresh the listing.")
    if code in RETRYABLE_CODES:
        return UserMessage("AWS is busy", f"{code}: {msg}", "The app retries automatically; try again later.")
    if code in {
        "InvalidParameterException",
        "InvalidS3ObjectException",
        "VideoTooLargeException",
        "LimitExceededException",
        "IdempotentParameterMismatchException",
        "InvalidPaginationTokenException",
        "ResourceNotFoundException",
    }:
        return UserMessage(code, msg)
    if code:
        return UserMessage(code, msg)
    return UserMessage("Unexpected error", f"{name}: {exc}", "Details are in the log file.", expected=False)


# The IAM action each API call needs, for when AWS's message does not name it (S3 often says only
# "Access Denied").
OPERATION_PERMISSIONS = {
    "ListBuckets": "s3:ListAllMyBuckets",
    "ListObjectsV2": "s3:ListBucket",
    "ListObjects": "s3:ListBucket",
    "HeadBucket": "s3:ListBucket",
    "GetBucketLocation": "s3:GetBucketLocation",
    "HeadObject": "s3:GetObject",
    "GetObject": "s3:GetObject",
    "GetCallerIdentity": "sts:GetCallerIdentity",
    "StartLabelDetection": "rekognition:StartLabelDetection",
    "GetLabelDetection": "rekognition:GetLabelDetection",
    "Publish": "sns:Publish",
    "ReceiveMessage": "sqs:ReceiveMessage",
    "PassRole": "iam:PassRole",
}


def _permission_hint(msg: str, operation: str | None = None) -> str:
    # AWS messages usually say "... is not authorized to perform: s3:ListBucket on resource ..."
    marker = "perform:"
    if marker in msg:
        named = msg.split(marker, 1)[1].strip().split()[0]
        return f"Ask your administrator for the '{named}' permission."
    action = OPERATION_PERMISSIONS.get(operation or "")
    if action:
        return f"Ask your administrator for the '{action}' permission (needed for {operation})."
    return "Your identity lacks a permission for this call; check its IAM policy."
