"""Error codes of the protocol and the exceptions that carry them.

Every refusal the switch sends is `{"message":{"ack":{"status":"NACK"}},
"error":{"code": ..., "message": ...}}` with an HTTP status. The code is
stable and machine-readable; the message is a sentence for a human.
"""

from __future__ import annotations

from typing import Any


class HutongError(Exception):
    """A refusal with an HTTP status, a stable code and a human sentence."""

    status_code = 422
    code = "invalid_request"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status_code = status

    def body(self) -> dict[str, Any]:
        return nack(self.code, self.message)


class AuthenticationError(HutongError):
    status_code = 401
    code = "unauthorized"
    #: The `WWW-Authenticate` challenge sent with the 401.
    challenge = 'Signature realm="hutong",headers="(created) (expires) (request-target) digest"'


class OperatorAuthenticationError(AuthenticationError):
    """The operator API wants its bearer token."""

    code = "operator_token"
    challenge = 'Bearer realm="hutong-operator"'


class ForbiddenError(HutongError):
    status_code = 403
    code = "forbidden"


class NotFoundError(HutongError):
    status_code = 404
    code = "not_found"


class ConflictError(HutongError):
    status_code = 409
    code = "conflict"


class ValidationError(HutongError):
    status_code = 422
    code = "invalid_request"


class MalformedJSON(HutongError):
    status_code = 400
    code = "malformed_json"


class BodyTooLarge(HutongError):
    status_code = 413
    code = "body_too_large"


class UnsupportedMediaType(HutongError):
    status_code = 415
    code = "unsupported_media_type"


def nack(code: str, message: str) -> dict[str, Any]:
    return {"message": {"ack": {"status": "NACK"}}, "error": {"code": code, "message": message}}


def ack(**extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"message": {"ack": {"status": "ACK"}}}
    body["message"].update(extra)
    return body
