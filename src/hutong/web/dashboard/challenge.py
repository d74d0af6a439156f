"""An auditor signs in to the dashboard by signing a challenge with its registered key.

Stateless, like the session cookie (`session`): the switch hands out::

    challenge = "hutong-dashboard-challenge.v1." + EXPIRES + "." + NONCE + "." + MAC
    MAC = hex(HMAC-SHA256(key, "v1." + EXPIRES + "." + NONCE))

with EXPIRES `CHALLENGE_SECONDS` ahead and a random NONCE. The auditor signs
the challenge text (UTF-8) with the Ed25519 key it registered and posts its
subscriber id, key id, the challenge and the signature (base64). The sign-in
holds when the MAC matches, the challenge has not expired, the key is the
participant's, usable now, the participant is active and has the auditor
role, and the signature verifies. It then gets an auditor session (see
`session.new_auditor_session`). A challenge may be signed once per sign-in
within its two minutes: what it guards is the key, which never leaves the
auditor.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from datetime import UTC, datetime

import nacl.exceptions

from hutong.protocol.errors import AuthenticationError, ForbiddenError
from hutong.protocol.signing import KeyFormatError, load_verify_key
from hutong.registry.models import Role, Status
from hutong.registry.service import load_participant
from hutong.store.db import Database

__all__ = ["CHALLENGE_SECONDS", "PREFIX", "new_challenge", "signed_in_auditor"]

CHALLENGE_SECONDS = 120
PREFIX = "hutong-dashboard-challenge"
_VERSION = "v1"


def _mac(operator_token: str, payload: str) -> str:
    key = hashlib.sha256(f"hutong dashboard challenge|{operator_token}".encode()).digest()
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()


def new_challenge(operator_token: str, now_unix: int, nonce: str | None = None) -> str:
    payload = f"{_VERSION}.{now_unix + CHALLENGE_SECONDS}.{nonce or secrets.token_hex(16)}"
    return f"{PREFIX}.{payload}.{_mac(operator_token, payload)}"


def _challenge_valid(operator_token: str, challenge: str, now_unix: int) -> bool:
    head, _, rest = challenge.partition(".")
    payload, _, mac = rest.rpartition(".")
    version, _, tail = payload.partition(".")
    expires, _, nonce = tail.partition(".")
    if head != PREFIX or version != _VERSION or not expires.isdigit() or not nonce:
        return False
    if not operator_token or not hmac.compare_digest(
        mac.encode(), _mac(operator_token, payload).encode()
    ):
        return False
    return now_unix < int(expires)


async def signed_in_auditor(
    db: Database,
    operator_token: str,
    *,
    subscriber_id: str,
    key_id: str,
    challenge: str,
    signature: str,
    now: datetime,
) -> str:
    """The auditor's subscriber id when its signed challenge holds (module docstring).

    ``challenge_invalid`` (401): forged or expired; ``signature_invalid`` (401): the
    key is unknown, unusable or did not sign it; ``not_an_auditor`` (403).
    """
    if not _challenge_valid(operator_token, challenge, int(now.timestamp())):
        raise AuthenticationError(
            "the challenge is not ours or has expired", code="challenge_invalid"
        )
    async with db.read() as conn:
        participant = await load_participant(conn, subscriber_id)
    key = None
    if participant is not None:
        key = next((k for k in participant.keys if k.key_id == key_id), None)
    if participant is None or key is None or not key.usable_at(now.astimezone(UTC)):
        raise AuthenticationError("no usable key by that id", code="signature_invalid")
    try:
        raw = base64.b64decode(signature, validate=True)
        load_verify_key(key.public_key).verify(challenge.encode(), raw)
    except (binascii.Error, ValueError, KeyFormatError, nacl.exceptions.BadSignatureError):
        raise AuthenticationError(
            "the signature does not verify", code="signature_invalid"
        ) from None
    if participant.status is not Status.ACTIVE or not participant.has_role(Role.AUDITOR):
        raise ForbiddenError(f"{subscriber_id} is not an active auditor", code="not_an_auditor")
    return subscriber_id
