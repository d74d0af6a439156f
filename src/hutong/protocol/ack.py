"""Reading a Beckn answer: is it a NACK, and why.

Beckn receivers answer every request with `{"message":{"ack":{"status":…}}}`
and refuse with `NACK` (often under HTTP 200), its reason in `error`
(Beckn's Error object: `code`, `message`, maybe `paths`, `type`).
"""

from __future__ import annotations

import json

__all__ = ["nack_of"]


def nack_of(body: bytes) -> str | None:
    """`"<code> <message>"` of a NACK body (either may be empty), None for anything else.

    Anything that is not a JSON object with `message.ack.status == "NACK"`
    (an ACK, an empty or non-JSON body) is not a NACK.
    """
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(document, dict):
        return None
    message = document.get("message")
    ack = message.get("ack") if isinstance(message, dict) else None
    if not isinstance(ack, dict) or ack.get("status") != "NACK":
        return None
    error = document.get("error")
    if not isinstance(error, dict):
        return "no error given"
    words = [str(error.get(name, "")) for name in ("code", "message")]
    return " ".join(word for word in words if word) or "no error given"
