"""The operator's dashboard session: a signed, expiring cookie value. Pure code.

Signing in with the operator token gives a cookie whose value is::

    "v1." + EXPIRES + "." + hex(HMAC-SHA256(key, "v1." + EXPIRES))
    key = SHA-256("hutong dashboard session|" + operator token)

An auditor who signed in by a signed challenge (`challenge`) gets::

    payload = "a1." + EXPIRES + "." + SUBSCRIBER_ID
    value = payload + "." + hex(HMAC-SHA256(key, payload))

EXPIRES is a Unix time `SESSION_SECONDS` after signing in. Nothing is stored:
the cookie is valid while its MAC matches and it has not expired, so
changing the operator token ends every session. The cookie is HttpOnly,
SameSite=Strict (no other site can make the browser send it) and expires
with the session.
"""

from __future__ import annotations

import hashlib
import hmac

__all__ = [
    "COOKIE",
    "OPERATOR",
    "SESSION_SECONDS",
    "new_auditor_session",
    "new_session",
    "session_holder",
    "session_valid",
    "token_matches",
]

COOKIE = "hutong_dashboard"
SESSION_SECONDS = 8 * 3600
_VERSION = "v1"
_AUDITOR = "a1"
#: Who holds an operator-token session.
OPERATOR = "operator"


def _key(operator_token: str) -> bytes:
    return hashlib.sha256(f"hutong dashboard session|{operator_token}".encode()).digest()


def _mac(operator_token: str, payload: str) -> str:
    return hmac.new(_key(operator_token), payload.encode(), hashlib.sha256).hexdigest()


def token_matches(operator_token: str, given: str) -> bool:
    """Whether `given` is the operator token (constant time; never when none is set)."""
    return bool(operator_token) and hmac.compare_digest(given.encode(), operator_token.encode())


def new_session(operator_token: str, now_unix: int) -> str:
    payload = f"{_VERSION}.{now_unix + SESSION_SECONDS}"
    return f"{payload}.{_mac(operator_token, payload)}"


def new_auditor_session(operator_token: str, now_unix: int, subscriber_id: str) -> str:
    payload = f"{_AUDITOR}.{now_unix + SESSION_SECONDS}.{subscriber_id}"
    return f"{payload}.{_mac(operator_token, payload)}"


def session_holder(operator_token: str, value: str | None, now_unix: int) -> str | None:
    """Who a valid session is (`OPERATOR` or an auditor's subscriber id); None if invalid."""
    if not operator_token or not value:
        return None
    payload, _, mac = value.rpartition(".")
    version, _, rest = payload.partition(".")
    expires, _, who = rest.partition(".")
    if version == _VERSION and not who:
        who = OPERATOR
    elif version != _AUDITOR or not who:
        return None
    if not expires.isdigit():
        return None
    if not hmac.compare_digest(mac.encode(), _mac(operator_token, payload).encode()):
        return None
    return who if now_unix < int(expires) else None


def session_valid(operator_token: str, value: str | None, now_unix: int) -> bool:
    return session_holder(operator_token, value, now_unix) is not None
