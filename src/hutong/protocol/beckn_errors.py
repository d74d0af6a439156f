"""Hutong's error codes as Beckn's Error object (`schema/Error.yaml`, BECKN-005).

On the Beckn-facing endpoints (`/v2.0/lookup`, `/subscribe`) a NACK is::

    {"message": {"ack": {"status": "NACK"}},
     "error": {"type": <ONDC error type>, "code": <numeric code>,
               "paths": <JSON path at fault, when known>, "message": <sentence>,
               "hutong_code": <Hutong's own code>}}

The numeric code is from BECKN-005 (30000 invalid request, 40000 business,
50000 policy) or, where BECKN-005 has none, from ONDC's list as a receiver
(seller side, 3xxxx). `type` is ONDC's (`CONTEXT-ERROR`, `CORE-ERROR`,
`DOMAIN-ERROR`, `POLICY-ERROR`, `JSON-SCHEMA-ERROR`). The table is
documented in `docs/beckn-errors.md`; a code not named falls back by kind.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from hutong.protocol.errors import HutongError, Kind

__all__ = ["BECKN_CODE_OF", "BECKN_CODE_OF_KIND", "beckn_error", "beckn_nack"]

#: Hutong code -> (numeric code, ONDC type).
BECKN_CODE_OF = MappingProxyType(
    {
        "signature_missing": ("30016", "CONTEXT-ERROR"),
        "malformed_signature": ("30016", "CONTEXT-ERROR"),
        "bad_signature": ("30016", "CONTEXT-ERROR"),
        "digest_mismatch": ("30016", "CONTEXT-ERROR"),
        "unknown_key": ("30016", "CONTEXT-ERROR"),
        "subscription_key_mismatch": ("30016", "CONTEXT-ERROR"),
        "request_expired": ("30022", "CONTEXT-ERROR"),
        "request_not_yet_valid": ("30022", "CONTEXT-ERROR"),
        "request_lifetime_too_long": ("30022", "CONTEXT-ERROR"),
        "request_window_invalid": ("30022", "CONTEXT-ERROR"),
        "context_action_mismatch": ("30000", "CONTEXT-ERROR"),
        "context_expired": ("30022", "CONTEXT-ERROR"),
        "invalid_context": ("30000", "CONTEXT-ERROR"),
        "malformed_json": ("30000", "JSON-SCHEMA-ERROR"),
        "json_too_deep": ("30000", "JSON-SCHEMA-ERROR"),
        "invalid_request": ("30000", "JSON-SCHEMA-ERROR"),
        "participant_exists": ("40000", "CORE-ERROR"),
        "subscription_challenge_failed": ("40000", "CORE-ERROR"),
        "subscription_challenge_unreachable": ("40000", "CORE-ERROR"),
        "rate_limited": ("50000", "POLICY-ERROR"),
        # The transaction gateway (`/beckn/*`).
        "action_not_supported": ("40000", "CORE-ERROR"),
        "bap_uri_not_registered": ("50000", "POLICY-ERROR"),
        "bap_id_mismatch": ("30000", "CONTEXT-ERROR"),
        "update_target_not_supported": ("40000", "CORE-ERROR"),
        "invalid_intent": ("30000", "JSON-SCHEMA-ERROR"),
        # ONDC's 31001 (internal error of the seller app: retry).
        "internal_error": ("31001", "CORE-ERROR"),
    }
)
#: When a code is not in the table: by the error's kind.
BECKN_CODE_OF_KIND = MappingProxyType(
    {
        Kind.MALFORMED: ("30000", "JSON-SCHEMA-ERROR"),
        Kind.UNAUTHENTICATED: ("30016", "CONTEXT-ERROR"),
        Kind.FORBIDDEN: ("50000", "POLICY-ERROR"),
        Kind.NOT_FOUND: ("30000", "CORE-ERROR"),
        Kind.CONFLICT: ("40000", "CORE-ERROR"),
        Kind.TOO_LARGE: ("30000", "JSON-SCHEMA-ERROR"),
        Kind.UNSUPPORTED: ("30000", "JSON-SCHEMA-ERROR"),
        Kind.INVALID: ("30000", "CORE-ERROR"),
        Kind.RATE_LIMITED: ("50000", "POLICY-ERROR"),
        Kind.UPSTREAM_FAILED: ("40000", "CORE-ERROR"),
        Kind.UNAVAILABLE: ("40000", "CORE-ERROR"),
        Kind.UPSTREAM_TIMEOUT: ("40000", "CORE-ERROR"),
    }
)


def beckn_error(code: str, kind: Kind, message: str, paths: str = "") -> dict[str, Any]:
    """Beckn's Error object for Hutong's `code`."""
    number, error_type = BECKN_CODE_OF.get(code) or BECKN_CODE_OF_KIND[kind]
    error: dict[str, Any] = {"type": error_type, "code": number, "message": message}
    if paths:
        error["paths"] = paths
    error["hutong_code"] = code
    return error


def beckn_nack(error: HutongError, paths: str = "") -> dict[str, Any]:
    return {
        "message": {"ack": {"status": "NACK"}},
        "error": beckn_error(error.code, error.kind, error.message, paths),
    }
