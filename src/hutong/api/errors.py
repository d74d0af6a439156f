"""The one place where a refusal's kind becomes an HTTP status.

Domain code raises `HutongError`s that carry a `Kind`; the HTTP layer (the
exception handlers, the signature middleware, the exactly-once wrapper) asks
`status_of` for the status to send. A new kind is added here and in
`hutong.protocol.errors.Kind`, nowhere else.
"""

from __future__ import annotations

from types import MappingProxyType

from hutong.protocol.errors import HutongError, Kind

__all__ = ["STATUS_OF_KIND", "status_of"]

STATUS_OF_KIND = MappingProxyType(
    {
        Kind.MALFORMED: 400,
        Kind.UNAUTHENTICATED: 401,
        Kind.FORBIDDEN: 403,
        Kind.NOT_FOUND: 404,
        Kind.CONFLICT: 409,
        Kind.TOO_LARGE: 413,
        Kind.UNSUPPORTED: 415,
        Kind.INVALID: 422,
        Kind.RATE_LIMITED: 429,
        Kind.UPSTREAM_FAILED: 502,
        Kind.UNAVAILABLE: 503,
        Kind.UPSTREAM_TIMEOUT: 504,
    }
)


def status_of(error: HutongError) -> int:
    """The HTTP status that answers `error`."""
    return STATUS_OF_KIND[error.kind]
