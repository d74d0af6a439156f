"""Exchange offers: what a program (``program_to``) gives members of another for their points."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.events.outbox import enqueue
from hutong.payments.points.programs import (
    MAX_INT32,
    MAX_TEXT,
    require_program,
)
from hutong.payments.points.store import (
    OfferRow,
    deactivate_offer,
    insert_offer,
    offer_fields,
    require_offer,
    select_offers,
)
from hutong.protocol.errors import (
    ForbiddenError,
    ValidationError,
)
from hutong.protocol.ids import new_id
from hutong.registry.models import Role, Status
from hutong.registry.service import get_participant
from hutong.runtime.exactly_once import Write
from hutong.runtime.services import Services


async def list_offers(
    services: Services,
    *,
    program_from: str | None = None,
    program_to: str | None = None,
    limit: int = 200,
) -> list[OfferRow]:
    async with services.db.read() as conn:
        return await select_offers(
            conn, program_from=program_from, program_to=program_to, limit=limit
        )


@dataclass(frozen=True, slots=True)
class NewOffer:
    program_from: str
    points_price: int
    benefit: str
    daily_cap_per_user: int | None
    money_rate_fen: int
    #: Default: the sender; naming another program is refused.
    program_to: str = ""


async def publish_offer(services: Services, sender: str, spec: NewOffer) -> Write[OfferRow]:
    """`sender` (the program that issues the benefit) offers it for `program_from`'s points."""
    await require_program(services, sender)
    if spec.program_to and spec.program_to != sender:
        raise ForbiddenError(
            f"{sender} may publish its own offers only, not {spec.program_to}'s",
            code="not_a_party",
        )
    if spec.program_from == sender:
        raise ValidationError("an exchange is between two programs", code="invalid_offer")
    if len(spec.benefit) > MAX_TEXT:
        raise ValidationError(f"the benefit is at most {MAX_TEXT} characters", code="invalid_offer")
    cap = spec.daily_cap_per_user
    if cap is not None and isinstance(cap, int) and cap > MAX_INT32:
        raise ValidationError(f"daily_cap_per_user is at most {MAX_INT32}", code="invalid_offer")
    async with services.db.read() as conn:
        partner = await get_participant(conn, spec.program_from)
    if partner is None or not partner.has_role(Role.PROGRAM) or partner.status is not Status.ACTIVE:
        raise ValidationError(
            f"{spec.program_from} is not an active membership program", code="unknown_program"
        )
    offer = OfferRow(
        id=new_id("po"),
        program_from=spec.program_from,
        program_to=sender,
        points_price=spec.points_price,
        benefit=spec.benefit,
        daily_cap_per_user=cap,
        money_rate_fen=spec.money_rate_fen,
        active=True,
        created_at=services.clock(),
    )
    offer.terms()  # refuses the offer's terms (invalid_offer)

    async def write(conn: AsyncConnection) -> OfferRow:
        now = services.clock()
        stored = OfferRow(**{**offer_fields(offer), "created_at": now})
        await insert_offer(conn, stored)
        await enqueue(
            conn,
            recipient=stored.program_from,
            action="on_points_offer",
            message=stored.to_dict(),
            now=now,
            transaction_id=stored.id,
        )
        return stored

    return write


async def withdraw_offer(services: Services, sender: str, offer_id: str) -> Write[OfferRow]:
    """The issuing program withdraws its offer: no new exchanges (running ones finish)."""
    async with services.db.read() as conn:
        offer = await require_offer(conn, offer_id)
    if sender != offer.program_to:
        raise ForbiddenError(f"only {offer.program_to} may withdraw this offer", code="not_a_party")

    async def write(conn: AsyncConnection) -> OfferRow:
        now = services.clock()
        await deactivate_offer(conn, offer_id)
        withdrawn = await require_offer(conn, offer_id)
        await enqueue(
            conn,
            recipient=withdrawn.program_from,
            action="on_points_offer",
            message=withdrawn.to_dict(),
            now=now,
            transaction_id=withdrawn.id,
        )
        return withdrawn

    return write
