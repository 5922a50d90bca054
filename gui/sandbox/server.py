"""The one loopback endpoint: a WSGI app in front of moto's server, on werkzeug's threaded server.

Requests whose ``X-Amz-Target`` is ``RekognitionService.StartLabelDetection`` or ``...GetLabelDetection``
go to our emulator, after the request-rate quotas (:mod:`gui.sandbox.quotas`); every Rekognition call may
first meet fault injection; everything else (S3, SNS, SQS, IAM, STS, other Rekognition operations) goes to
moto's ``DomainDispatcherApplication`` with this sandbox's moto account.

``GET /_sandbox/jobs`` answers the service's own job list as JSON (``{"Jobs": [...]}``, see
:meth:`RekognitionEmulator.job_listing`), for tests that count jobs the way the service saw them.

No CORS grants are sent unless the sandbox was started with ``cors=True`` (``--cors``): the sandbox
serves SDKs, not web pages, and a page open in the user's browser must not read or change its data.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import uuid
import weakref
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from gui.core.types import SANDBOX_HEADER
from gui.sandbox import iamsim
from gui.sandbox.apierrors import ApiError
from gui.sandbox.faults import FaultInjector
from gui.sandbox.motoglue import account_scope
from gui.sandbox.quotas import QuotaKeeper
from gui.sandbox.rekognition import RekognitionEmulator

log = logging.getLogger(__name__)

EMULATED = {"StartLabelDetection", "GetLabelDetection"}
TARGET_PREFIX = "RekognitionService."
JOBS_PATH = "/_sandbox/jobs"
StartResponse = Callable[..., Any]
CORS_METHODS = "GET, PUT, POST, DELETE, HEAD, PATCH, OPTIONS"


def _credential_scope(environ: dict[str, Any]) -> list[str]:
    auth = environ.get("HTTP_AUTHORIZATION", "")
    marker = "Credential="
    at = auth.find(marker)
    return auth[at + len(marker):].split(",", 1)[0].split("/") if at >= 0 else []


def signed_region(environ: dict[str, Any], default: str) -> str:
    """The region a SigV4 request was signed for (``Credential=AKID/date/REGION/service/aws4_request``):
    the endpoint's region as the client sees it.  *default* when unsigned or unreadable."""
    scope = _credential_scope(environ)
    return scope[2] if len(scope) >= 5 and scope[2] else default


def signed_service(environ: dict[str, Any]) -> str:
    scope = _credential_scope(environ)
    return scope[3] if len(scope) >= 5 else ""


class SandboxApp:
    def __init__(self, moto_app: Any, emulator: RekognitionEmulator, faults: FaultInjector,
                 account_id: str, fault_rate: Callable[[], float], *, quotas: QuotaKeeper | None = None,
                 region: str = "us-east-1", cors: bool = False) -> None:
        self.moto_app = moto_app
        self.emulator = emulator
        self.faults = faults
        self.account_id = account_id
        self.fault_rate = fault_rate
        self.quotas = quotas
        self.region = region
        self.cors = cors

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        start_response = _naming_the_sandbox(start_response)
        if self.cors:
            start_response = self._with_cors(environ, start_response)
            if environ.get("REQUEST_METHOD") == "OPTIONS" and environ.get("HTTP_ORIGIN"):
                return self._plain(200, "OK", "", start_response)
        environ["HTTP_X_MOTO_ACCOUNT_ID"] = self.account_id
        if environ.get("PATH_INFO") == JOBS_PATH and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            return self._jobs(start_response)
        if environ.get("REQUEST_METHOD") == "POST" and signed_service(environ) == "iam":
            answer = self._iam(environ, start_response)
            if answer is not None:
                return answer
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target.startswith(TARGET_PREFIX):
            operation = target[len(TARGET_PREFIX):]
            self.emulator.note_request(operation)
            region = signed_region(environ, self.region)
            refusal = self.quotas.check(operation, region) if self.quotas is not None else None
            if refusal is not None:
                return self._error(refusal, start_response)
            fault = self.faults.maybe_fail(self.fault_rate())
            if fault is not None:
                return self._error(fault, start_response)
            if operation in EMULATED:
                return self._emulate(operation, environ, start_response, region)
        try:
            with account_scope(self.account_id):
                return self.moto_app(environ, start_response)
        except NotImplementedError as exc:  # an operation moto does not implement
            log.debug("Sandbox: not implemented: %s", exc)
            if target:
                return self._error(ApiError("UnknownOperationException", f"The sandbox does not emulate "
                                            f"{target.split('.', 1)[-1]}.", 400), start_response)
            return self._not_implemented(str(exc), start_response)
        except Exception as exc:
            log.exception("Sandbox: moto failed")
            return self._plain(500, "Internal Server Error", f"{type(exc).__name__}: {exc}", start_response)

    @staticmethod
    def _not_implemented(text: str, start_response: StartResponse) -> list[bytes]:
        """An XML error SDKs parse (query-protocol shape; S3's parser reads it too): ``NotImplemented``, 501,
        which botocore does not retry, instead of a body it cannot parse and would retry."""
        from xml.sax.saxutils import escape

        body = (f"<ErrorResponse><Error><Type>Sender</Type><Code>NotImplemented</Code><Message>{escape(text)}"
                f"</Message></Error><RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>").encode()
        start_response("501 Not Implemented", [("Content-Type", "text/xml"), ("Content-Length", str(len(body)))])
        return [body]

    @staticmethod
    def _plain(status: int, reason: str, text: str, start_response: StartResponse) -> list[bytes]:
        body = text.encode()
        start_response(f"{status} {reason}", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
        return [body]

    @staticmethod
    def _with_cors(environ: dict[str, Any], start_response: StartResponse) -> StartResponse:
        """Grant the requesting origin (only with ``cors=True``): echo it, allow every method and the
        headers the preflight asked for, expose the AWS request id."""
        origin = environ.get("HTTP_ORIGIN")
        if not origin:
            return start_response
        asked = environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS", "")

        def wrapped(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            kept = [(k, v) for k, v in headers if not k.lower().startswith("access-control-")]
            kept += [("Access-Control-Allow-Origin", origin), ("Access-Control-Allow-Methods", CORS_METHODS),
                     ("Access-Control-Expose-Headers", "x-amzn-RequestId, x-amz-request-id, ETag"),
                     ("Vary", "Origin")]
            if asked:
                kept.append(("Access-Control-Allow-Headers", asked))
            return start_response(status, kept, exc_info) if exc_info is not None else start_response(status, kept)

        return wrapped

    def _iam(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes] | None:
        """Answer IAM's SimulatePrincipalPolicy (moto has none); any other IAM call goes on to moto with its
        body put back."""
        import io

        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(raw)
        if b"Action=SimulatePrincipalPolicy" not in raw:
            return None
        try:
            with account_scope(self.account_id):
                body = iamsim.simulate(self.emulator.storage, raw)
            status = "200 OK"
        except ApiError as exc:
            body = iamsim.error_xml(exc)
            status = f"{exc.status} {'Not Found' if exc.status == 404 else 'Bad Request'}"
        start_response(status, [("Content-Type", "text/xml"), ("Content-Length", str(len(body))),
                                ("x-amzn-RequestId", str(uuid.uuid4()))])
        return [body]

    def _jobs(self, start_response: StartResponse) -> list[bytes]:
        body = json.dumps({"Jobs": self.emulator.job_listing()}, indent=1).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    def _emulate(self, operation: str, environ: dict[str, Any], start_response: StartResponse,
                 region: str | None = None) -> list[bytes]:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            raw = environ["wsgi.input"].read(length) if length else b"{}"
            try:
                request = json.loads(raw or b"{}")
            except ValueError:
                raise ApiError("SerializationException", "Could not parse the request body as JSON.") from None
            if not isinstance(request, dict):
                raise ApiError("SerializationException", "The request body must be a JSON object.")
            with account_scope(self.account_id):
                result = self.emulator.handle(operation, request, region)
        except ApiError as exc:
            return self._error(exc, start_response)
        except Exception:
            log.exception("Sandbox: %s failed", operation)
            return self._error(ApiError("InternalServerError", "Internal server error", 500), start_response)
        body = json.dumps(result).encode()
        start_response("200 OK", self._headers(body))
        return [body]

    def _error(self, exc: ApiError, start_response: StartResponse) -> list[bytes]:
        body = exc.body()
        reason = "Bad Request" if exc.status < 500 else "Internal Server Error"
        start_response(f"{exc.status} {reason}", [*self._headers(body), ("x-amzn-ErrorType", exc.code)])
        return [body]

    @staticmethod
    def _headers(body: bytes) -> list[tuple[str, str]]:
        return [
            ("Content-Type", "application/x-amz-json-1.1"),
            ("Content-Length", str(len(body))),
            ("x-amzn-RequestId", str(uuid.uuid4())),
        ]


class _QuietHandler(WSGIRequestHandler):
    """No per-request log lines; remembers open connections so stop() can close idle keep-alives."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass

    def setup(self) -> None:
        super().setup()
        tracked = getattr(self.server, "open_connections", None)
        if tracked is not None:
            with self.server.connections_lock:  # type: ignore[attr-defined]
                tracked.add(self.connection)
                self.server.handler_threads.add(threading.current_thread())  # type: ignore[attr-defined]

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            tracked = getattr(self.server, "open_connections", None)
            if tracked is not None:
                with self.server.connections_lock:  # type: ignore[attr-defined]
                    tracked.discard(self.connection)


class ServerThread:
    """werkzeug's threaded server on 127.0.0.1 in a background thread."""

    def __init__(self, app: Any, port: int = 0, host: str = "127.0.0.1") -> None:
        self.server: BaseWSGIServer = make_server(host, port, app, threaded=True, request_handler=_QuietHandler)
        self.server.open_connections = set()  # type: ignore[attr-defined]
        self.server.connections_lock = threading.Lock()  # type: ignore[attr-defined]
        self.server.handler_threads = weakref.WeakSet()  # type: ignore[attr-defined]
        self.port = self.server.server_port
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"sandbox-http-{self.port}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        with self.server.connections_lock:  # type: ignore[attr-defined]
            conns = list(self.server.open_connections)  # type: ignore[attr-defined]
            threads = list(self.server.handler_threads)  # type: ignore[attr-defined]
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.server.server_close()
        self._thread.join(timeout=5)
        for thread in threads:  # idle keep-alive handlers end once their socket is shut down
            if thread is not threading.current_thread():
                thread.join(timeout=2)


def _naming_the_sandbox(start_response: StartResponse) -> StartResponse:
    """Every answer carries :data:`gui.core.types.SANDBOX_HEADER`: the app keeps the sandbox's jobs in one scope
    across runs although its port changes (AWS sends no such header)."""

    def wrapped(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        return start_response(status, [*headers, (SANDBOX_HEADER, "1")], exc_info)

    return wrapped  # type: ignore[return-value]

