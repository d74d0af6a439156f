"""The Beckn-style `{context, message}` envelope.

Requests from participants and events from the switch share this shape. The
message id lives in `context.message_id`, inside the signed body, so that a
captured request cannot be replayed under a fresh id without breaking the
signature.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from typing import Any

import msgspec

DOMAIN = "hutong:interconnect"
PROTOCOL_VERSION = "1.1.0"
MAX_MESSAGE_ID_LENGTH = 128


class Context(msgspec.Struct, kw_only=True, omit_defaults=True):
    message_id: str
    domain: str = DOMAIN
    action: str = ""
    version: str = PROTOCOL_VERSION
    transaction_id: str = ""
    timestamp: str = ""
    bap_id: str = ""
    bpp_id: str = ""


class Envelope(msgspec.Struct, kw_only=True):
    context: Context
    message: dict[str, Any] = msgspec.field(default_factory=dict)


def utc_timestamp(now: datetime | None = None) -> str:
    moment = now or datetime.now(UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def event_envelope(
    *,
    action: str,
    message_id: str,
    transaction_id: str,
    sender: str,
    recipient: str,
    message: dict[str, Any],
    timestamp: str,
) -> dict[str, Any]:
    """The body the switch POSTs to a participant's callback URL."""
    return {
        "context": {
            "domain": DOMAIN,
            "action": action,
            "version": PROTOCOL_VERSION,
            "bap_id": recipient,
            "bpp_id": sender,
            "message_id": message_id,
            "transaction_id": transaction_id,
            "timestamp": timestamp,
        },
        "message": message,
    }


def request_envelope(
    message: dict[str, Any], *, message_id: str, action: str = "", timestamp: str = ""
) -> dict[str, Any]:
    """The body a participant sends to the switch for a mutating call.

    `timestamp` (default: now) is given only to send a retry's body again exactly.
    """
    context: dict[str, Any] = {
        "domain": DOMAIN,
        "version": PROTOCOL_VERSION,
        "message_id": message_id,
        "timestamp": timestamp or utc_timestamp(),
    }
    if action:
        context["action"] = action
    return {"context": context, "message": message}


def message_id_of(document: object) -> str | None:
    """`context.message_id` of a decoded body, or None when absent or not a string."""
    if not isinstance(document, dict):
        return None
    context = document.get("context")
    if not isinstance(context, dict):
        return None
    value = context.get("message_id")
    if not isinstance(value, str) or not value or len(value) > MAX_MESSAGE_ID_LENGTH:
        return None
    return value


#: Unicode categories a message id must not contain: control and format
#: characters (NUL, newlines, bidi overrides), line and paragraph separators,
#: surrogates. They would end up in logs, stored answers and CSV files.
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})


def message_id_problem(document: object) -> str | None:
    """Why `context.message_id` of a decoded body is unacceptable, or None.

    An absent id is not a problem here (a read needs none; a write says
    `missing_message_id`); an id holding a control character is.
    """
    if not isinstance(document, dict):
        return None
    context = document.get("context")
    value = context.get("message_id") if isinstance(context, dict) else None
    if not isinstance(value, str):
        return None
    for position, char in enumerate(value):
        if unicodedata.category(char) in _FORBIDDEN_CATEGORIES:
            return (
                f"context.message_id has a control character (U+{ord(char):04X})"
                f" at position {position}"
            )
    return None
