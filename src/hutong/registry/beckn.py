"""Hutong's registry in Beckn's terms (`registry.yaml`): types, statuses, Subscription records.

Pure code: no I/O. Rules:

- Type of a role: platform -> BAP (a buyer app), merchant and carrier -> BPP
  (sellers and logistics providers), gateway -> BG. Wallets, programs and
  auditors have no Beckn type and are not listed in Beckn lookups. A
  participant with several types has a record per type.
- Status of a record: SUBSCRIBED while the participant is active and the key
  usable; EXPIRED once the key's window has passed (or not yet begun);
  UNSUBSCRIBED when the participant is suspended or revoked, or the key revoked.
- Beckn's `key_id` is "a unique ID of the subscription entry" (a UUID): a
  UUID5 of subscriber, key, type and domain, so the same entry always has
  the same id. The key id that keyIds name stays in `ukId` (ONDC's name).
- Each record has a domain and a location (country, city) when the
  participant subscribed with them (`hutong.registry.beckn_store`); a lookup
  by domain or country lists only records that have the one asked for.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from hutong.registry.models import Participant, Role, SigningKey, Status

__all__ = [
    "ROLE_OF_TYPE",
    "BecknType",
    "Placement",
    "SwitchEntry",
    "Wanted",
    "entry_id",
    "records_of",
    "subscription_status",
    "switch_record",
    "types_of",
]


class BecknType(StrEnum):
    BAP = "BAP"
    BPP = "BPP"
    BG = "BG"


_TYPE_OF_ROLE = {
    Role.PLATFORM: BecknType.BAP,
    Role.MERCHANT: BecknType.BPP,
    Role.CARRIER: BecknType.BPP,
    Role.GATEWAY: BecknType.BG,
}
#: The role a subscriber of each type gets when the operator approves it.
ROLE_OF_TYPE = {
    BecknType.BAP: Role.PLATFORM,
    BecknType.BPP: Role.MERCHANT,
    BecknType.BG: Role.GATEWAY,
}
_NAMESPACE = uuid.UUID("6f1c2d4e-8b7a-5c3d-9e0f-1a2b3c4d5e6f")


def types_of(participant: Participant) -> tuple[BecknType, ...]:
    """The participant's Beckn types, in BAP, BPP, BG order, each once."""
    found = {_TYPE_OF_ROLE[role] for role in participant.roles if role in _TYPE_OF_ROLE}
    return tuple(t for t in BecknType if t in found)


def subscription_status(participant: Participant, key: SigningKey, now: datetime) -> str:
    if participant.status is not Status.ACTIVE or key.refusal_at(now) == "key revoked":
        return "UNSUBSCRIBED"
    if not key.usable_at(now):
        return "EXPIRED"
    return "SUBSCRIBED"


def entry_id(subscriber_id: str, key_id: str, beckn_type: str, domain: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{subscriber_id}|{key_id}|{beckn_type}|{domain}"))


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a subscriber operates: a domain and a location (from its subscription)."""

    domain: str
    country: str
    city: str = ""
    encr_public_key: str = ""


@dataclass(frozen=True, slots=True)
class Wanted:
    """A Beckn lookup's filters; None matches anything."""

    subscriber_id: str | None = None
    beckn_type: BecknType | None = None
    domain: str | None = None
    country: str | None = None
    city: str | None = None
    key_id: str | None = None

    def takes(self, beckn_type: BecknType, place: Placement | None) -> bool:
        if self.beckn_type is not None and beckn_type is not self.beckn_type:
            return False
        for asked, field in (
            (self.domain, "domain"),
            (self.country, "country"),
            (self.city, "city"),
        ):
            if asked is not None and (place is None or getattr(place, field) != asked):
                return False
        return True


def _location(country: str, city: str) -> dict[str, Any]:
    location: dict[str, Any] = {"country": {"code": country}}
    if city:
        location["city"] = {"code": city}
    return location


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def records_of(
    participant: Participant,
    placements: list[Placement],
    wanted: Wanted,
    now: datetime,
) -> list[dict[str, Any]]:
    """The Subscription records of one participant that `wanted` asks for."""
    records: list[dict[str, Any]] = []
    places: list[Placement | None] = list(placements) or [None]
    for beckn_type in types_of(participant):
        for place in places:
            if not wanted.takes(beckn_type, place):
                continue
            for key in participant.keys:
                if wanted.key_id is not None and key.key_id != wanted.key_id:
                    continue
                domain = place.domain if place else ""
                record: dict[str, Any] = {
                    "subscriber_id": participant.subscriber_id,
                    "url": participant.callback_url,
                    "type": beckn_type.value,
                    "key_id": entry_id(participant.subscriber_id, key.key_id, beckn_type, domain),
                    "ukId": key.key_id,
                    "signing_public_key": key.public_key,
                    "valid_from": _iso(key.valid_from),
                    "valid_until": _iso(key.valid_until),
                    "status": subscription_status(participant, key, now),
                    "created": _iso(participant.created_at or key.valid_from),
                    "updated": _iso(participant.created_at or key.valid_from),
                }
                if place is not None:
                    record["domain"] = place.domain
                    record["location"] = _location(place.country, place.city)
                    if place.encr_public_key:
                        record["encr_public_key"] = place.encr_public_key
                records.append(record)
    return records


@dataclass(frozen=True, slots=True)
class SwitchEntry:
    """The switch in its own registry: a BG serving every domain of its country."""

    subscriber_id: str
    url: str
    key_id: str
    public_key: str
    country: str


#: The switch's key has no window of its own: valid while configured.
_ALWAYS = (datetime(1970, 1, 1, tzinfo=UTC), datetime(9999, 1, 1, tzinfo=UTC))


def switch_record(entry: SwitchEntry, wanted: Wanted) -> list[dict[str, Any]]:
    """The switch's record when `wanted` asks for it (its domain: the one asked for)."""
    if wanted.subscriber_id not in (None, entry.subscriber_id):
        return []
    if wanted.key_id not in (None, entry.key_id):
        return []
    if wanted.beckn_type not in (None, BecknType.BG) or wanted.city is not None:
        return []
    if wanted.country not in (None, entry.country):
        return []
    domain = wanted.domain or ""
    record: dict[str, Any] = {
        "subscriber_id": entry.subscriber_id,
        "url": entry.url,
        "type": BecknType.BG.value,
        "key_id": entry_id(entry.subscriber_id, entry.key_id, BecknType.BG, domain),
        "ukId": entry.key_id,
        "signing_public_key": entry.public_key,
        "valid_from": _iso(_ALWAYS[0]),
        "valid_until": _iso(_ALWAYS[1]),
        "status": "SUBSCRIBED",
        "location": _location(entry.country, ""),
    }
    if domain:
        record["domain"] = domain
    return [record]
