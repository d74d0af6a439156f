"""Points storage: the offer and exchange rows and the SQL that reads and writes them.

`OfferRow` is a row of ``points_offers``, `ExchangeRow` a row of
``points_exchanges`` joined with its offer (the programs and the benefit), with
what the API answers (``to_dict``) and what both programs are told (``event``).
The functions here read, insert and update those tables inside a connection
the caller holds; the checks, the ledger postings and the calls to the
programs are in `hutong.payments.points`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.payments import legs
from hutong.payments.points.rules import ExchangeOffer
from hutong.protocol.errors import NotFoundError
from hutong.store.tables import points_exchanges, points_offers


class ExchangeState(StrEnum):
    HELD = "held"
    COMMITTED = "committed"
    CANCELLED = "cancelled"


def short_name(program: str) -> str:
    """The name a program's points go by in the ledger (``88vip.example`` -> ``88vip``)."""
    return legs.points_asset(program).removeprefix("points:")


# -- offers ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OfferRow:
    id: str
    program_from: str
    program_to: str
    points_price: int
    benefit: str
    daily_cap_per_user: int | None
    money_rate_fen: int
    active: bool
    created_at: datetime

    def terms(self) -> ExchangeOffer:
        """The offer's terms for pricing (program names as the ledger knows them)."""
        return ExchangeOffer(
            program_from=short_name(self.program_from),
            program_to=short_name(self.program_to),
            points_price=self.points_price,
            benefit=self.benefit,
            daily_cap_per_user=self.daily_cap_per_user,
            money_rate_fen=self.money_rate_fen,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "program_from": self.program_from,
            "program_to": self.program_to,
            "points_asset": legs.points_asset(self.program_from),
            "points_price": self.points_price,
            "benefit": self.benefit,
            "daily_cap_per_user": self.daily_cap_per_user,
            "money_rate_fen": self.money_rate_fen,
            "active": self.active,
            "created_at": self.created_at.isoformat(),
        }


def _offer_row(row: Any) -> OfferRow:
    return OfferRow(**dict(row._mapping))


async def get_offer(conn: AsyncConnection, offer_id: str) -> OfferRow | None:
    row = (await conn.execute(select(points_offers).where(points_offers.c.id == offer_id))).first()
    return None if row is None else _offer_row(row)


async def require_offer(conn: AsyncConnection, offer_id: str) -> OfferRow:
    offer = await get_offer(conn, offer_id)
    if offer is None:
        raise NotFoundError(f"no points offer {offer_id}", code="unknown_offer")
    return offer


async def select_offers(
    conn: AsyncConnection,
    *,
    program_from: str | None = None,
    program_to: str | None = None,
    limit: int = 200,
) -> list[OfferRow]:
    """Offers, oldest first, optionally of one paying and/or one issuing program."""
    query = select(points_offers).order_by(points_offers.c.created_at, points_offers.c.id)
    if program_from is not None:
        query = query.where(points_offers.c.program_from == program_from)
    if program_to is not None:
        query = query.where(points_offers.c.program_to == program_to)
    rows = (await conn.execute(query.limit(limit))).all()
    return [_offer_row(row) for row in rows]


def offer_fields(offer: OfferRow) -> dict[str, Any]:
    return {name: getattr(offer, name) for name in OfferRow.__dataclass_fields__}


async def insert_offer(conn: AsyncConnection, offer: OfferRow) -> None:
    await conn.execute(insert(points_offers), offer_fields(offer))


async def deactivate_offer(conn: AsyncConnection, offer_id: str) -> None:
    await conn.execute(
        update(points_offers).where(points_offers.c.id == offer_id).values(active=False)
    )


# -- exchanges -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExchangeRow:
    id: str
    offer_id: str
    program_from: str
    program_to: str
    benefit: str
    member: str
    beneficiary: str
    quantity: int
    points_debit: int
    money_owed: int
    state: ExchangeState
    day: date
    benefit_ref: str
    reason: str
    created_at: datetime
    updated_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "offer_id": self.offer_id,
            "state": self.state.value,
            "program_from": self.program_from,
            "program_to": self.program_to,
            "benefit": self.benefit,
            "member": self.member,
            "beneficiary": self.beneficiary,
            "quantity": self.quantity,
            "points": self.points_debit,
            "points_asset": legs.points_asset(self.program_from),
            "money_owed": self.money_owed,
            "day": self.day.isoformat(),
            "benefit_ref": self.benefit_ref or None,
            "reason": self.reason or None,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }

    def event(self) -> dict[str, Any]:
        """What both programs are told (`on_exchange`)."""
        return {
            "exchange_id": self.id,
            "offer_id": self.offer_id,
            "state": self.state.value,
            "program_from": self.program_from,
            "program_to": self.program_to,
            "member": self.member,
            "beneficiary": self.beneficiary,
            "benefit": self.benefit,
            "quantity": self.quantity,
            "points": self.points_debit,
            "money_owed": self.money_owed,
            "benefit_ref": self.benefit_ref or None,
            "reason": self.reason or None,
        }


async def get_exchange(
    conn: AsyncConnection, exchange_id: str, *, lock: bool = False
) -> ExchangeRow | None:
    query = select(points_exchanges).where(points_exchanges.c.id == exchange_id)
    if lock:
        query = query.with_for_update()
    row = (await conn.execute(query)).first()
    if row is None:
        return None
    values = dict(row._mapping)
    offer = await require_offer(conn, values["offer_id"])
    values["state"] = ExchangeState(values.pop("state"))
    return ExchangeRow(
        program_from=offer.program_from,
        program_to=offer.program_to,
        benefit=offer.benefit,
        **values,
    )


async def require_exchange(
    conn: AsyncConnection, exchange_id: str, *, lock: bool = False
) -> ExchangeRow:
    exchange = await get_exchange(conn, exchange_id, lock=lock)
    if exchange is None:
        raise NotFoundError(f"no points exchange {exchange_id}", code="unknown_exchange")
    return exchange


async def used_today(conn: AsyncConnection, offer_id: str, member: str, day: date) -> int:
    """Units the member took of the offer on `day`: committed, or held right now."""
    x = points_exchanges
    total = await conn.scalar(
        select(func.coalesce(func.sum(x.c.quantity), 0)).where(
            x.c.offer_id == offer_id,
            x.c.member == member,
            x.c.day == day,
            x.c.state.in_([ExchangeState.HELD.value, ExchangeState.COMMITTED.value]),
        )
    )
    return int(total or 0)


async def insert_exchange(conn: AsyncConnection, exchange: ExchangeRow) -> None:
    """The exchange's own columns (its programs and benefit are its offer's)."""
    await conn.execute(
        insert(points_exchanges),
        {
            "id": exchange.id,
            "offer_id": exchange.offer_id,
            "member": exchange.member,
            "beneficiary": exchange.beneficiary,
            "quantity": exchange.quantity,
            "points_debit": exchange.points_debit,
            "money_owed": exchange.money_owed,
            "state": exchange.state.value,
            "day": exchange.day,
            "benefit_ref": exchange.benefit_ref,
            "reason": exchange.reason,
            "created_at": exchange.created_at,
            "updated_at": exchange.updated_at,
        },
    )


async def mark_committed(
    conn: AsyncConnection, exchange_id: str, benefit_ref: str, now: datetime
) -> None:
    await conn.execute(
        update(points_exchanges)
        .where(points_exchanges.c.id == exchange_id)
        .values(state=ExchangeState.COMMITTED.value, benefit_ref=benefit_ref, updated_at=now)
    )


async def mark_cancelled(
    conn: AsyncConnection, exchange_id: str, reason: str, now: datetime
) -> None:
    await conn.execute(
        update(points_exchanges)
        .where(points_exchanges.c.id == exchange_id)
        .values(state=ExchangeState.CANCELLED.value, reason=reason, updated_at=now)
    )


async def held_since(conn: AsyncConnection, cutoff: datetime, limit: int) -> list[str]:
    """Ids of exchanges still held that were created at or before `cutoff`, oldest first."""
    return list(
        (
            await conn.execute(
                select(points_exchanges.c.id)
                .where(
                    points_exchanges.c.state == ExchangeState.HELD.value,
                    points_exchanges.c.created_at <= cutoff,
                )
                .order_by(points_exchanges.c.created_at)
                .limit(limit)
            )
        ).scalars()
    )
