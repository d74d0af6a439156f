"""Beckn subscriptions kept and read: `/subscribe` requests, approvals, lookups.

A subscription request is kept only once its challenge was answered (the
caller checks that before `record_subscription`), as UNDER_SUBSCRIPTION. The
operator's `approve` makes the participant (its role from the type, see
`hutong.registry.beckn.ROLE_OF_TYPE`) with the subscription's key, and marks
its rows SUBSCRIBED; until then the subscriber is in no lookup and cannot
sign. A subscriber already registered cannot subscribe again here (409
`participant_exists`): its keys change by rotation (`POST /v1/keys`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.protocol.challenge import ChallengeKeyError, x25519_public_key
from hutong.protocol.errors import ConflictError, NotFoundError, ValidationError
from hutong.registry.beckn import ROLE_OF_TYPE, BecknType, Placement, Wanted, records_of
from hutong.registry.models import (
    Participant,
    validate_callback_url,
    validate_key_id,
    validate_public_key,
    validate_subscriber_id,
    validate_window,
)
from hutong.registry.service import (
    NewKey,
    add_participant,
    get_participant,
    list_participants,
)
from hutong.store.tables import beckn_subscriptions

__all__ = [
    "NewSubscription",
    "approve",
    "beckn_lookup",
    "list_subscriptions",
    "record_subscription",
    "validate_subscription",
]


@dataclass(frozen=True, slots=True)
class NewSubscription:
    subscriber_id: str
    url: str
    beckn_type: str
    domain: str
    country: str
    city: str
    key_id: str
    signing_public_key: str
    encr_public_key: str
    valid_from: datetime
    valid_until: datetime


def _text(value: str, name: str, longest: int) -> str:
    value = value.strip()
    if not value or len(value) > longest:
        raise ValidationError(
            f"{name} must be 1-{longest} characters", code=f"invalid_subscription_{name}"
        )
    return value


def validate_subscription(sub: NewSubscription) -> BecknType:
    """The subscription's type; every field checked, refused with a code naming it."""
    validate_subscriber_id(sub.subscriber_id)
    validate_callback_url(sub.url)
    validate_key_id(sub.key_id)
    validate_public_key(sub.signing_public_key)
    validate_window(sub.valid_from, sub.valid_until)
    _text(sub.domain, "domain", 128)
    _text(sub.country, "country", 8)
    if len(sub.city) > 64:
        raise ValidationError(
            "city must be at most 64 characters", code="invalid_subscription_city"
        )
    try:
        x25519_public_key(sub.encr_public_key)
    except ChallengeKeyError as exc:
        raise ValidationError(str(exc), code="invalid_encr_public_key") from None
    try:
        return BecknType(sub.beckn_type)
    except ValueError:
        raise ValidationError(
            f"type must be BAP, BPP or BG, not {sub.beckn_type!r}", code="invalid_subscription_type"
        ) from None


async def record_subscription(conn: AsyncConnection, sub: NewSubscription, now: datetime) -> None:
    """Keep (or replace) the subscription of `sub.subscriber_id` in `sub.domain`."""
    beckn_type = validate_subscription(sub)
    if await get_participant(conn, sub.subscriber_id) is not None:
        raise ConflictError(
            f"participant {sub.subscriber_id} is already registered; rotate keys with /v1/keys",
            code="participant_exists",
        )
    where = (
        beckn_subscriptions.c.subscriber_id == sub.subscriber_id,
        beckn_subscriptions.c.domain == sub.domain,
    )
    await conn.execute(delete(beckn_subscriptions).where(*where))
    await conn.execute(
        insert(beckn_subscriptions).values(
            subscriber_id=sub.subscriber_id,
            domain=sub.domain.strip(),
            type=beckn_type.value,
            url=sub.url,
            country=sub.country.strip(),
            city=sub.city.strip(),
            key_id=sub.key_id,
            signing_public_key=sub.signing_public_key.strip(),
            encr_public_key=sub.encr_public_key.strip(),
            valid_from=sub.valid_from,
            valid_until=sub.valid_until,
            status="UNDER_SUBSCRIPTION",
            created_at=now,
            updated_at=now,
        )
    )


async def list_subscriptions(
    conn: AsyncConnection, status: str | None = None
) -> list[dict[str, Any]]:
    query = select(beckn_subscriptions).order_by(
        beckn_subscriptions.c.subscriber_id, beckn_subscriptions.c.domain
    )
    if status is not None:
        query = query.where(beckn_subscriptions.c.status == status)
    rows = (await conn.execute(query)).all()
    return [
        {
            "subscriber_id": row.subscriber_id,
            "type": row.type,
            "domain": row.domain,
            "url": row.url,
            "country": row.country,
            "city": row.city,
            "ukId": row.key_id,
            "status": row.status,
            "created": row.created_at.isoformat(),
        }
        for row in rows
    ]


async def approve(conn: AsyncConnection, subscriber_id: str, now: datetime) -> Participant:
    """The operator's approval: the participant made from its pending subscriptions."""
    rows = (
        await conn.execute(
            select(beckn_subscriptions)
            .where(
                beckn_subscriptions.c.subscriber_id == subscriber_id,
                beckn_subscriptions.c.status == "UNDER_SUBSCRIPTION",
            )
            .order_by(beckn_subscriptions.c.updated_at.desc(), beckn_subscriptions.c.domain)
        )
    ).all()
    if not rows:
        raise NotFoundError(
            f"no subscription of {subscriber_id} awaits approval", code="no_pending_subscription"
        )
    newest = rows[0]
    if any(row.key_id != newest.key_id or row.url != newest.url for row in rows):
        raise ConflictError(
            f"the subscriptions of {subscriber_id} name different keys or URLs;"
            " the subscriber must subscribe again with one",
            code="subscription_mismatch",
        )
    participant = await add_participant(
        conn,
        subscriber_id=subscriber_id,
        roles=sorted({ROLE_OF_TYPE[BecknType(row.type)].value for row in rows}),
        callback_url=newest.url,
        key=NewKey(newest.key_id, newest.signing_public_key, newest.valid_from, newest.valid_until),
        now=now,
    )
    await conn.execute(
        update(beckn_subscriptions)
        .where(beckn_subscriptions.c.subscriber_id == subscriber_id)
        .values(status="SUBSCRIBED", updated_at=now)
    )
    return participant


async def _placements(
    conn: AsyncConnection, subscriber_id: str | None
) -> dict[str, list[Placement]]:
    query = select(beckn_subscriptions).where(beckn_subscriptions.c.status == "SUBSCRIBED")
    if subscriber_id is not None:
        query = query.where(beckn_subscriptions.c.subscriber_id == subscriber_id)
    found: dict[str, list[Placement]] = {}
    for row in (await conn.execute(query.order_by(beckn_subscriptions.c.domain))).all():
        found.setdefault(row.subscriber_id, []).append(
            Placement(row.domain, row.country, row.city, row.encr_public_key)
        )
    return found


async def beckn_lookup(
    conn: AsyncConnection, wanted: Wanted, now: datetime
) -> list[dict[str, Any]]:
    """Subscription records of registered participants that `wanted` asks for."""
    if wanted.subscriber_id is not None:
        one = await get_participant(conn, wanted.subscriber_id)
        participants = [one] if one is not None else []
    else:
        participants = await list_participants(conn)
    placements = await _placements(conn, wanted.subscriber_id)
    records: list[dict[str, Any]] = []
    for participant in participants:
        records.extend(
            records_of(participant, placements.get(participant.subscriber_id, []), wanted, now)
        )
    return records
