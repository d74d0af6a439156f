"""Error codes of the protocol and the exceptions that carry them.

Every refusal the switch sends is `{"message":{"ack":{"status":"NACK"}},
"error":{"code": ..., "message": ...}}`. Each error carries a stable,
machine-readable code, a sentence for a human and a `Kind`: what sort of
refusal it is. The kind, not the raising code, decides the HTTP status, in
one place (`hutong.api.errors`); nothing below the HTTP layer knows statuses.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, ClassVar


class Kind(StrEnum):
    """What sort of refusal an error is (the HTTP layer maps each to a status)."""

    MALFORMED = "malformed"  # the bytes are not a request: bad JSON, bad header
    UNAUTHENTICATED = "unauthenticated"  # no valid signature or token
    FORBIDDEN = "forbidden"  # a known sender that may not do this
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"  # refused in the current state of things
    TOO_LARGE = "too_large"
    UNSUPPORTED = "unsupported"  # a media type the switch does not read
    INVALID = "invalid"  # well-formed but not acceptable input
    RATE_LIMITED = "rate_limited"
    UPSTREAM_FAILED = "upstream_failed"  # a participant gave no trustworthy answer
    UNAVAILABLE = "unavailable"  # a participant the step needs is not reachable now
    UPSTREAM_TIMEOUT = "upstream_timeout"

    @property
    def transient(self) -> bool:
        """Not an answer: somebody did not answer, or the sender was told to wait (rate
        limited), so a retry with the same message id must ask again."""
        return self in (
            Kind.UPSTREAM_FAILED,
            Kind.UNAVAILABLE,
            Kind.UPSTREAM_TIMEOUT,
            Kind.RATE_LIMITED,
        )


class HutongError(Exception):
    """The root of every refusal: a kind, a stable code and a human sentence."""

    kind: Kind = Kind.INVALID
    code = "invalid_request"

    def __init__(self, message: str, *, code: str | None = None, kind: Kind | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if kind is not None:
            self.kind = kind

    def body(self) -> dict[str, Any]:
        return nack(self.code, self.message)


class AuthenticationError(HutongError):
    kind = Kind.UNAUTHENTICATED
    code = "unauthorized"
    #: The `WWW-Authenticate` challenge sent with the 401.
    challenge = 'Signature realm="hutong",headers="(created) (expires) (request-target) digest"'
    #: A `Proxy-Authenticate` challenge sent too (a gateway's signature was refused).
    proxy_challenge: str | None = None


class GatewayAuthenticationError(AuthenticationError):
    """A gateway's signature (`X-Gateway-Authorization`) was sent and does not verify.

    A 401 still challenges for the sender's signature (`WWW-Authenticate`);
    `Proxy-Authenticate` says it is the gateway's that failed.
    """

    code = "gateway_signature_invalid"
    proxy_challenge = 'Signature realm="hutong-gateway",headers="(created) (expires) digest"'


class OperatorAuthenticationError(AuthenticationError):
    """The operator API wants its bearer token."""

    code = "operator_token"
    challenge = 'Bearer realm="hutong-operator"'


class ForbiddenError(HutongError):
    kind = Kind.FORBIDDEN
    code = "forbidden"


class NotFoundError(HutongError):
    kind = Kind.NOT_FOUND
    code = "not_found"


class ConflictError(HutongError):
    kind = Kind.CONFLICT
    code = "conflict"


class ValidationError(HutongError):
    kind = Kind.INVALID
    code = "invalid_request"


class RateLimitedError(HutongError):
    """Too many requests of one kind: try again in `retry_after` seconds (``Retry-After``)."""

    kind = Kind.RATE_LIMITED
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after


class RuleBroken(HutongError):
    """A pure rule refused: built `(code, message)`, the kind chosen by code.

    The domain's rule modules (payment states, order lines, splits, policies,
    settlement windows) raise subclasses of this without knowing who called
    them. `kinds` names the codes that are not conflicts; `invalid_*` codes
    are the caller's input and so INVALID.
    """

    kind = Kind.CONFLICT
    kinds: ClassVar[Mapping[str, Kind]] = {}

    def __init__(self, code: str, message: str, *, kind: Kind | None = None) -> None:
        if kind is None:
            kind = self.kinds.get(code)
        if kind is None:
            kind = Kind.INVALID if code.startswith("invalid_") else type(self).kind
        super().__init__(message, code=code, kind=kind)

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class MalformedJSON(HutongError):
    kind = Kind.MALFORMED
    code = "malformed_json"


class JSONTooDeep(HutongError):
    kind = Kind.MALFORMED
    code = "json_too_deep"


class NulCharacter(HutongError):
    """A NUL (U+0000) in a body, a path or a query: PostgreSQL text cannot hold one."""

    kind = Kind.MALFORMED
    code = "nul_character"


class IntegerOutOfRange(HutongError):
    """A number from the query or the path that no 64-bit column can hold."""

    kind = Kind.MALFORMED
    code = "integer_out_of_range"


class BodyTooLarge(HutongError):
    kind = Kind.TOO_LARGE
    code = "body_too_large"


class UnsupportedMediaType(HutongError):
    kind = Kind.UNSUPPORTED
    code = "unsupported_media_type"


def nack(code: str, message: str) -> dict[str, Any]:
    return {"message": {"ack": {"status": "NACK"}}, "error": {"code": code, "message": message}}


def ack(**extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"message": {"ack": {"status": "ACK"}}}
    body["message"].update(extra)
    return body
