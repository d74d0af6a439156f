"""Participants and keys as plain values, with the rules that govern them.

Pure code: no I/O. The service module stores and loads these.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from urllib.parse import urlsplit

from hutong.protocol.errors import ConflictError, ValidationError
from hutong.protocol.signing import KeyFormatError, load_verify_key


class Role(StrEnum):
    PLATFORM = "platform"
    MERCHANT = "merchant"
    CREATOR = "creator"
    WALLET = "wallet"
    CARRIER = "carrier"
    PROGRAM = "program"
    AUDITOR = "auditor"
    #: A Beckn gateway (BG): its signature may travel in `X-Gateway-Authorization`.
    GATEWAY = "gateway"


class Status(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"


_SUBSCRIBER_ID = re.compile(
    r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$"
)
_KEY_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


@dataclass(frozen=True, slots=True)
class SigningKey:
    key_id: str
    public_key: str
    valid_from: datetime
    valid_until: datetime
    revoked_at: datetime | None = None

    def usable_at(self, moment: datetime) -> bool:
        if self.revoked_at is not None and self.revoked_at <= moment:
            return False
        return self.valid_from <= moment < self.valid_until

    def refusal_at(self, moment: datetime) -> str | None:
        """Why this key cannot sign at `moment`, or None when it can."""
        if self.revoked_at is not None and self.revoked_at <= moment:
            return "key revoked"
        if moment < self.valid_from:
            return "key not yet valid"
        if moment >= self.valid_until:
            return "key expired"
        return None


@dataclass(frozen=True, slots=True)
class Participant:
    subscriber_id: str
    roles: tuple[Role, ...]
    callback_url: str
    status: Status
    name: str = ""
    created_at: datetime | None = None
    keys: tuple[SigningKey, ...] = field(default=())

    def has_role(self, role: Role) -> bool:
        return role in self.roles


def validate_subscriber_id(value: str) -> str:
    value = value.strip()
    if not 3 <= len(value) <= 255 or not _SUBSCRIBER_ID.match(value):
        raise ValidationError(
            f"subscriber id {value!r} must be a lower-case domain-like name "
            "such as 'douyin.example' (letters, digits, '-' and '.')",
            code="invalid_subscriber_id",
        )
    return value


def validate_key_id(value: str) -> str:
    if not _KEY_ID.fullmatch(value):
        raise ValidationError(
            f"key id {value!r} must be 1-128 characters of letters, digits, '.', '_', ':' or '-'",
            code="invalid_key_id",
        )
    return value


def validate_public_key(value: str) -> str:
    try:
        load_verify_key(value)
    except KeyFormatError as exc:
        raise ValidationError(str(exc), code="invalid_public_key") from None
    return value.strip()


def validate_callback_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValidationError(
            f"callback URL {value!r} must be an absolute http(s) URL", code="invalid_callback_url"
        )
    return value


def parse_roles(values: list[str] | tuple[str, ...]) -> tuple[Role, ...]:
    if not values:
        raise ValidationError("a participant needs at least one role", code="invalid_roles")
    roles: set[Role] = set()
    for value in values:
        try:
            roles.add(Role(value.strip().lower()))
        except ValueError:
            allowed = ", ".join(r.value for r in Role)
            raise ValidationError(
                f"unknown role {value!r}; roles are {allowed}", code="invalid_roles"
            ) from None
    return tuple(sorted(roles))


def validate_window(valid_from: datetime, valid_until: datetime) -> None:
    for name, moment in (("valid_from", valid_from), ("valid_until", valid_until)):
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValidationError(
                f"a key's {name} needs a time zone, e.g. 2025-01-01T00:00:00Z",
                code="invalid_key_window",
            )
    if valid_until <= valid_from:
        raise ValidationError(
            "a key's valid_until must be after its valid_from", code="invalid_key_window"
        )


def next_status(current: Status, wanted: Status) -> Status:
    """The status after an operator's change; revocation is final."""
    if current is Status.REVOKED and wanted is not Status.REVOKED:
        raise ConflictError(
            "a revoked participant cannot be reinstated; register a new one",
            code="participant_revoked",
        )
    return wanted
