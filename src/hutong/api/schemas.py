"""Request and response shapes of the API (msgspec structs, in the OpenAPI document)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import msgspec

from hutong.protocol.declared_time import Correction, check_valid_from
from hutong.protocol.envelope import Context
from hutong.registry.models import Participant
from hutong.store.corrections import CorrectionRecord


class Ack(msgspec.Struct):
    status: str = "ACK"


class AckMessage(msgspec.Struct):
    ack: Ack = msgspec.field(default_factory=Ack)


class ErrorDetail(msgspec.Struct):
    code: str
    message: str


class Nack(msgspec.Struct):
    message: AckMessage
    error: ErrorDetail


class CorrectionIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``"correction": {"reason": ...}`` on a policy declaration: it is back-dated on purpose."""

    reason: str


def correction_of(given: CorrectionIn | None) -> Correction | None:
    """The domain's `Correction` (refuses an empty reason) or None for a plain declaration."""
    return None if given is None else Correction(given.reason)


def admitted(given: CorrectionIn | None, valid_from: date, now: datetime) -> Correction | None:
    """A declaration's correction, once the declaring-day rule admits its valid_from.

    Checked before the exactly-once write, so a refusal leaves no row at all
    (the stores check again, for callers that are not routes).
    """
    correction = correction_of(given)
    check_valid_from(valid_from, now, correction)
    return correction


class CorrectionOut(msgspec.Struct, kw_only=True):
    """A back-dated version's correction, as `correction_out` shows it (documentation only)."""

    valid_from: str
    reason: str
    declared_by: str
    declared_at: str


def correction_out(record: CorrectionRecord | None) -> dict[str, Any] | None:
    """How a history listing shows a version's correction (None: declared plainly)."""
    return None if record is None else record.to_dict()


class KeyIn(msgspec.Struct, kw_only=True):
    key_id: str
    public_key: str
    valid_from: datetime | None = None
    valid_until: datetime | None = None


class ParticipantIn(msgspec.Struct, kw_only=True):
    subscriber_id: str
    roles: list[str]
    callback_url: str
    key_id: str
    public_key: str
    name: str = ""
    valid_from: datetime | None = None
    valid_until: datetime | None = None


class StatusChange(msgspec.Struct, kw_only=True):
    reason: str = ""


class KeyOut(msgspec.Struct, kw_only=True):
    key_id: str
    public_key: str
    valid_from: datetime
    valid_until: datetime
    revoked_at: datetime | None = None


class ParticipantOut(msgspec.Struct, kw_only=True):
    subscriber_id: str
    name: str
    roles: list[str]
    callback_url: str
    status: str
    created_at: datetime | None
    keys: list[KeyOut]


def participant_out(participant: Participant) -> ParticipantOut:
    return ParticipantOut(
        subscriber_id=participant.subscriber_id,
        name=participant.name,
        roles=[role.value for role in participant.roles],
        callback_url=participant.callback_url,
        status=participant.status.value,
        created_at=participant.created_at,
        keys=[
            KeyOut(
                key_id=k.key_id,
                public_key=k.public_key,
                valid_from=k.valid_from,
                valid_until=k.valid_until,
                revoked_at=k.revoked_at,
            )
            for k in participant.keys
        ],
    )


class Code(msgspec.Struct, kw_only=True):
    """A Beckn `Country` or `City`: its code (and name, ignored)."""

    code: str | None = None
    name: str | None = None


class Location(msgspec.Struct, kw_only=True):
    country: Code | None = None
    city: Code | None = None


class LookupIn(msgspec.Struct, kw_only=True):
    """Hutong's lookup (role or lower-case type) or Beckn's (a Subscription's fields).

    Beckn-shaped when `type` is BAP, BPP or BG, or a domain, country, city,
    location or (Beckn) status is given: then the answer is Beckn
    Subscription records.
    """

    subscriber_id: str | None = None
    type: str | None = None
    role: str | None = None
    ukId: str | None = None
    key_id: str | None = None
    domain: str | None = None
    country: str | None = None
    city: str | None = None
    location: Location | None = None
    status: str | None = None


class WellKnown(msgspec.Struct, kw_only=True):
    subscriber_id: str
    key_id: str
    algorithm: str
    signing_public_key: str
    key_id_header: str


class RotateKeyRequest(msgspec.Struct, kw_only=True):
    context: Context
    message: KeyIn


class PingMessage(msgspec.Struct, kw_only=True):
    note: str = ""


class PingRequest(msgspec.Struct, kw_only=True):
    context: Context
    message: PingMessage = msgspec.field(default_factory=PingMessage)


class EventOut(msgspec.Struct, kw_only=True):
    id: int
    event_id: str
    recipient: str
    action: str
    transaction_id: str
    status: str
    attempts: int
    created_at: datetime
    last_attempt_at: datetime | None
    delivered_at: datetime | None
    last_error: str | None
    message: dict[str, Any]
