"""Logging to a private file in the log dir (folder 0700, files 0600), with credentials redacted.

Redaction happens when a record is created (a log-record factory), so it holds for every handler and
every logger at every level, botocore's DEBUG output included: ``Authorization`` values in full,
``X-Amz-Security-Token``, ``X-Amz-Credential`` / ``X-Amz-Signature`` (headers, canonical requests and
presigned URLs), secret keys and session tokens in ``key=value`` or JSON form, and every secret the
app has seen (:func:`register_secret`). The file's formatter also shows control and bidi characters
visibly (:func:`gui.core.safetext.visible`), so a newline in an S3 key cannot forge a log line.
"""

from __future__ import annotations

import logging
import os
import re
import stat
import threading
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Any

from gui.core.safetext import visible

_secrets: set[str] = set()
_lock = threading.Lock()

# Names whose value is a credential, wherever they appear (headers, query strings, JSON, key=value).
_NAMES = (
    r"x-amz-security-token|x-amz-credential|x-amz-signature|awsaccesskeyid|signature|"
    r"aws_secret_access_key|secret_access_key|secretaccesskey|aws_session_token|sessiontoken|"
    r"securitytoken|security_token|secret|password"
)
_PATTERNS = [
    # An XML element (STS/SSO responses that botocore logs at DEBUG): <SessionToken>...</SessionToken>
    (re.compile(rf"(?i)<({_NAMES})>[^<]*</\1>"), r"<\1>***</\1>"),
    # A quoted value, also Python's bytes repr: 'X-Amz-Security-Token': b'FQo...'
    (re.compile(rf"(?i)\b({_NAMES}|authorization)(['\"]?\s*[:=]\s*)(b?)(['\"])(.*?)\4"), r"\1\2\3\4***\4"),
    # Authorization unquoted (an HTTP header line): the whole rest of the line.
    (re.compile(r"(?i)\b(authorization)(\s*[:=][ \t]*)(?!\*\*\*)([^'\"\s][^\n]*)"), r"\1\2***"),
    # Anything else unquoted: up to a separator (the value may be on the next line: "Signature:\n<hex>").
    (re.compile(rf"(?i)\b({_NAMES})(\s*[:=]\s*)(?!\*\*\*)([^\s&'\",;}}]+)"), r"\1\2***"),
]

LOG_FILE_MODE = 0o600
LOG_DIR_MODE = 0o700


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


def _redact_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a bad format string: keep the parts, redacted
        message = f"{record.msg} {record.args}"
    record.msg = redact(message)
    record.args = None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        _redact_record(record)
        return True


_factory_lock = threading.Lock()
_base_factory: Any = None


def install_redaction() -> None:
    """Redact every log record as it is created, whichever handler later receives it (idempotent)."""
    global _base_factory
    with _factory_lock:
        if _base_factory is not None:
            return
        base = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = base(*args, **kwargs)
            _redact_record(record)
            return record

        _base_factory = base
        logging.setLogRecordFactory(factory)


class SafeFormatter(logging.Formatter):
    """Shows control and bidi characters of the message as visible markers: one record, one line."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        copy = logging.makeLogRecord(record.__dict__)
        copy.message = visible(record.message)
        return super().formatMessage(copy)


class AppLogFile(RotatingFileHandler):
    """The app's log file (a later :func:`setup_logging` replaces it, leaving other handlers alone), that
    only its owner can read: created 0600 (rotated files too), tightened if it was not."""

    def _open(self) -> Any:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, LOG_FILE_MODE)
        try:
            if hasattr(os, "fchmod") and stat.S_IMODE(os.fstat(fd).st_mode) & 0o077:
                os.fchmod(fd, LOG_FILE_MODE)
        except OSError:
            pass
        return open(fd, self.mode, encoding=self.encoding, errors=self.errors)


def _private_dir(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True, mode=LOG_DIR_MODE)
    try:
        if stat.S_IMODE(folder.stat().st_mode) & 0o077:
            os.chmod(folder, LOG_DIR_MODE)
    except OSError:  # not ours (a shared folder): the file itself is still 0600
        pass

def setup_logging(log_file: Path | None, level: int = logging.INFO) -> None:
    install_redaction()
    root = logging.getLogger()
    root.setLevel(level)
    fmt = SafeFormatter("%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s")
    for h in list(root.handlers):
        if isinstance(h, AppLogFile):
            root.removeHandler(h)
            h.close()
    if log_file is not None:
        _private_dir(log_file.parent)
        handler: logging.Handler = AppLogFile(log_file, maxBytes=2_000_000, backupCount=3, encoding="utf-8")
        handler.setFormatter(fmt)
        handler.addFilter(RedactingFilter())
        root.addHandler(handler)
    # botocore logs request bodies at DEBUG; keep it quiet (redacted all the same when turned on).
    for noisy in ("botocore", "boto3", "urllib3", "werkzeug", "moto"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
