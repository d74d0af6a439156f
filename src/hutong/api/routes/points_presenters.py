"""How the points API shows what the domain answers: the status and the body.

One presenter per answer (`hutong.runtime.exactly_once.Present`); the CLI
shows the same bodies.
"""

from __future__ import annotations

from hutong.api.errors import status_of
from hutong.api.idempotency import Reply
from hutong.payments.points import ExchangeRow, Grant, OfferRow
from hutong.payments.points.refusals import Declaration
from hutong.runtime.exactly_once import Refused

__all__ = [
    "declaration_out",
    "exchange_out",
    "grant_out",
    "offer_published_out",
    "offer_withdrawn_out",
]


def offer_published_out(offer: OfferRow) -> Reply:
    return 201, {"offer": offer.to_dict()}


def offer_withdrawn_out(offer: OfferRow) -> Reply:
    return 200, {"offer": offer.to_dict()}


def grant_out(grant: Grant) -> Reply:
    return 201, {
        "grant": {
            "id": grant.id,
            "program": grant.program,
            "member": grant.member,
            "points": grant.points,
        },
        "balance": grant.balance,
    }


def exchange_out(exchange: ExchangeRow | Refused) -> Reply:
    """Committed; or refused after cancelling what it held (shown as every refusal is)."""
    if isinstance(exchange, Refused):
        return status_of(exchange.error), exchange.error.body() | dict(exchange.extra)
    return 201, {"exchange": exchange.to_dict()}


def declaration_out(declaration: Declaration) -> Reply:
    return 201, {"declaration": declaration.to_dict()}
