"""The Beckn-style `{context, message}` envelope.

Requests from participants, the switch's decision calls and its events share
this shape; the context is Beckn's (`hutong.protocol.beckn_context`). The
message id lives in the context, inside the signed body, so that a captured
request cannot be replayed under a fresh id without breaking the signature.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from typing import Any

import msgspec

from hutong.protocol.beckn_context import (
    DOMAIN,
    PROTOCOL_VERSION,
    Context,
    make_context,
)
from hutong.protocol.beckn_context import utc_timestamp as _utc_timestamp

__all__ = [
    "DOMAIN",
    "MAX_MESSAGE_ID_LENGTH",
    "PROTOCOL_VERSION",
    "Context",
    "Envelope",
    "beckn_request_envelope",
    "event_envelope",
    "message_id_of",
    "message_id_problem",
    "named_uri",
    "request_envelope",
    "utc_timestamp",
]

MAX_MESSAGE_ID_LENGTH = 128


class Envelope(msgspec.Struct, kw_only=True):
    context: Context
    message: dict[str, Any] = msgspec.field(default_factory=dict)


def utc_timestamp(now: datetime | None = None) -> str:
    return _utc_timestamp(now or datetime.now(UTC))


def named_uri(subscriber_id: str) -> str:
    """A participant's URI when its URL is not known to the sender: `urn:hutong:<id>`.

    Beckn's `bap_uri`/`bpp_uri` must be URIs; Hutong answers its API
    synchronously and sends events to the registered callback URL, so a
    name is all a request's sender needs to give.
    """
    return f"urn:hutong:{subscriber_id}"


def event_envelope(
    *,
    action: str,
    message_id: str,
    transaction_id: str,
    sender: str,
    sender_uri: str,
    recipient: str,
    recipient_uri: str,
    message: dict[str, Any],
    created_at: datetime,
    ttl_seconds: int,
) -> dict[str, Any]:
    """The body the switch POSTs to a participant's callback URL (an unsolicited `on_*`).

    The recipient is the BAP (it receives the callback at `bap_uri`), the
    switch the BPP; the timestamp is the event's creation, so every retry
    sends the same context, valid for `ttl_seconds` (the outbox's maximum age).
    """
    context = make_context(
        action=action,
        message_id=message_id,
        transaction_id=transaction_id,
        bap_id=recipient,
        bap_uri=recipient_uri,
        bpp_id=sender,
        bpp_uri=sender_uri,
        now=created_at,
        ttl_seconds=ttl_seconds,
    )
    return {"context": context, "message": message}


def request_envelope(
    message: dict[str, Any], *, message_id: str, action: str = "", timestamp: str = ""
) -> dict[str, Any]:
    """The least a request's context needs for Hutong's API: a message id (and a timestamp).

    What clients written before Beckn contexts send, and still may: Hutong's
    API requires only `context.message_id` on a write. Hutong's own senders
    use `beckn_request_envelope`. `timestamp` (default: now) is given only to
    send a retry's body again exactly.
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


def beckn_request_envelope(
    message: dict[str, Any],
    *,
    message_id: str,
    action: str,
    sender: str,
    sender_uri: str,
    recipient: str,
    recipient_uri: str,
    ttl_seconds: int,
    transaction_id: str = "",
    now: datetime | None = None,
    timestamp: str = "",
) -> dict[str, Any]:
    """A request with a full Beckn context: the SDK's and CLI's to the switch, the switch's
    decision calls to a participant.

    The sender is the BAP, the receiver the BPP. `transaction_id` defaults to
    the message id (a request that starts its own transaction); `timestamp`
    (default: `now`, default the clock) is given only to send a retry's body
    again exactly.
    """
    context = make_context(
        action=action,
        message_id=message_id,
        transaction_id=transaction_id or message_id,
        bap_id=sender,
        bap_uri=sender_uri,
        bpp_id=recipient,
        bpp_uri=recipient_uri,
        now=now or datetime.now(UTC),
        ttl_seconds=ttl_seconds,
        timestamp=timestamp,
    )
    return {"context": context, "message": message}


def message_id_of(document: object) -> str | None:
    """The message id Hutong knows a decoded body by, or None when absent or not a string.

    That is `context.hutong_message_id` when given (Hutong's own id, next to
    the UUID Beckn wants in `message_id`), else `context.message_id`.
    """
    if not isinstance(document, dict):
        return None
    context = document.get("context")
    if not isinstance(context, dict):
        return None
    value = context.get("hutong_message_id") or context.get("message_id")
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
    if not isinstance(context, dict):
        return None
    for name in ("message_id", "hutong_message_id"):
        value = context.get(name)
        if not isinstance(value, str):
            continue
        for position, char in enumerate(value):
            if unicodedata.category(char) in _FORBIDDEN_CATEGORIES:
                return (
                    f"context.{name} has a control character (U+{ord(char):04X})"
                    f" at position {position}"
                )
    return None
