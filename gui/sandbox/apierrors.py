"""AWS JSON-1.1 error responses, shaped so botocore raises the modelled exception classes."""

from __future__ import annotations

import json

# HTTP status per error code, as the Rekognition API reference lists them.
STATUS = {
    "AccessDeniedException": 400,
    "IdempotentParameterMismatchException": 400,
    "InvalidParameterException": 400,
    "InvalidS3ObjectException": 400,
    "InvalidPaginationTokenException": 400,
    "LimitExceededException": 400,
    "ProvisionedThroughputExceededException": 400,
    "ResourceNotFoundException": 400,
    "VideoTooLargeException": 400,
    "ThrottlingException": 500,
    "InternalServerError": 500,
}


class ApiError(Exception):
    """An error the emulated service answers with (``__type`` + ``message``)."""

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status if status is not None else STATUS.get(code, 400)

    def body(self) -> bytes:
        return json.dumps({"__type": self.code, "message": self.message, "Message": self.message}).encode()


def invalid_parameter(message: str = "Request has invalid parameters") -> ApiError:
    return ApiError("InvalidParameterException", message)
