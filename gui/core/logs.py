"""Logging to a file in the log dir, with credentials and presigned URLs redacted."""

from __future__ import annotations

import logging
import re
import threading
from logging.handlers import RotatingFileHandler
from pathlib import Path

_secrets: set[str] = set()
_lock = threading.Lock()

_PATTERNS = [
    # secret keys / session tokens in key=value or JSON
    (
        re.compile(
            r"(?i)(aws_secret_access_key|secret_access_key|SecretAccessKey|aws_session_token|SessionToken|"
            r"secret|password)(\"?\s*[:=]\s*\"?)([^\s\"',}]+)"
        ),
        r"\1\2***",
    ),
    # presigned URL query parts
    (re.compile(r"(?i)(X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token|Signature|AWSAccessKeyId)=([^&\s\"']+)"), r"\1=***"),
    # Authorization headers
    (re.compile(r"(?i)(Authorization['\"]?\s*[:=]\s*['\"]?)([^'\"\n]+)"), r"\1***"),
]


def register_secret(value: str | None) -> None:
    """Remember a secret so that any log line containing it is redacted."""
    if value and len(value) >= 4:
        with _lock:
            _secrets.add(value)


def redact(text: str) -> str:
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for s in secrets:
        if s in text:
            text = text.replace(s, "***")
    for pattern, repl in _PATTERNS:
        text = pattern.sub(repl, text)
    return text


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg = redact(message)
        record.args = None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


class AppLogFile(RotatingFileHandler):
    """The app's log file (a later :func:`setup_logging` replaces it, leaving other handlers alone)."""


def setup_logging(log_file: Path | None, level: int = logging.INFO) -> None:
    root = logging.getLogger()
    root.setLevel(level)
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s")
    for h in list(root.handlers):
        if isinstance(h, AppLogFile):
            root.removeHandler(h)
            h.close()
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = AppLogFile(log_file, maxBytes=2_000_000, backupCount=3, encoding="utf-8")
        handler.setFormatter(fmt)
        handler.addFilter(RedactingFilter())
        root.addHandler(handler)
    # botocore logs request bodies at DEBUG; keep it quiet.
    for noisy in ("botocore", "boto3", "urllib3", "werkzeug", "moto"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
