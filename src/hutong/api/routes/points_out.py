"""What the points API answers, as documented shapes (issue 17 §6), and each route's codes.

The domain rows' `to_dict` (`hutong.payments.points`) and the presenters
(`points_presenters`) make the answers; these structs only document them.
Every call is a membership program's (403 `wrong_role` otherwise). A 409 of
an exchange the issuing program refused carries the program's own code (its
`issue` answer), beside the codes named here.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from hutong.api.documented import CODES, RESULT
from hutong.api.schemas import CorrectionOut

__all__ = [
    "BALANCE_OPT",
    "DECLARE_OPT",
    "EXCHANGE_OPT",
    "GRANT_OPT",
    "LIST_DECLARATIONS_OPT",
    "LIST_OFFERS_OPT",
    "PUBLISH_OPT",
    "SHOW_EXCHANGE_OPT",
    "WITHDRAW_OPT",
]

#: Every points call: the sender must be an active membership program.
_PROGRAM = {403: ("wrong_role",)}


class PointsOfferOut(msgspec.Struct, kw_only=True):
    """An exchange offer: `points_price` of program_from's points for one unit of `benefit`."""

    id: str
    program_from: str
    program_to: str
    points_asset: str
    points_price: int
    benefit: str
    daily_cap_per_user: int | None
    money_rate_fen: int
    active: bool
    created_at: str


class OfferAnswer(msgspec.Struct, kw_only=True):
    offer: PointsOfferOut


class OffersAnswer(msgspec.Struct, kw_only=True):
    offers: list[PointsOfferOut]


class GrantOut(msgspec.Struct, kw_only=True):
    id: str
    program: str
    member: str
    points: int


class GrantAnswer(msgspec.Struct, kw_only=True):
    """The grant and the member's posted balance after it."""

    grant: GrantOut
    balance: int


class BalanceOut(msgspec.Struct, kw_only=True):
    """A member's points: posted, held by running exchanges, available (= points - held)."""

    program: str
    member: str
    asset: str
    points: int
    held: int
    available: int


class ExchangeOut(msgspec.Struct, kw_only=True):
    """A points exchange: `points` of the member's, `money_owed` fen from program_from."""

    id: str
    offer_id: str
    state: Literal["held", "committed", "cancelled"]
    program_from: str
    program_to: str
    benefit: str
    member: str
    beneficiary: str
    quantity: int
    points: int
    points_asset: str
    money_owed: int
    day: str
    benefit_ref: str | None
    reason: str | None
    created_at: str
    updated_at: str


class ExchangeAnswer(msgspec.Struct, kw_only=True):
    exchange: ExchangeOut


class DeclarationOut(msgspec.Struct, kw_only=True):
    """A program's declared refusal (or its end) of another program's exchanges, one version."""

    id: str
    program: str
    version: int
    counterparty: str
    refuses: bool
    statement: str
    valid_from: str
    declared_at: str
    correction: CorrectionOut | None


class DeclarationAnswer(msgspec.Struct, kw_only=True):
    declaration: DeclarationOut


class DeclarationsAnswer(msgspec.Struct, kw_only=True):
    declarations: list[DeclarationOut]


PUBLISH_OPT: dict[str, object] = {
    RESULT: OfferAnswer,
    CODES: {
        **_PROGRAM,
        422: ("invalid_offer", "unknown_program", "invalid_amount"),
    },
}
WITHDRAW_OPT: dict[str, object] = {
    RESULT: OfferAnswer,
    CODES: {403: ("wrong_role", "not_a_party"), 404: ("unknown_offer",)},
}
LIST_OFFERS_OPT: dict[str, object] = {RESULT: OffersAnswer, CODES: _PROGRAM}
GRANT_OPT: dict[str, object] = {
    RESULT: GrantAnswer,
    CODES: {**_PROGRAM, 422: ("invalid_member", "invalid_points", "invalid_grant_id")},
}
BALANCE_OPT: dict[str, object] = {
    RESULT: BalanceOut,
    CODES: {**_PROGRAM, 422: ("invalid_member",)},
}
EXCHANGE_OPT: dict[str, object] = {
    RESULT: ExchangeAnswer,
    CODES: {
        403: ("wrong_role", "not_a_party"),
        409: (
            "daily_cap_exceeded",
            "insufficient_points",
            "offer_withdrawn",
            "program_inactive",
            "exchange_refused_by_program",
            "exchange_cancelled",
            "exchange_expired",
            "message_id_conflict",
        ),
        422: (
            "invalid_member",
            "invalid_beneficiary",
            "invalid_quantity",
            "invalid_amount",
            "missing_message_id",
            "program_mismatch",
            "no_such_offer",
        ),
        502: ("bad_answer",),
    },
}
SHOW_EXCHANGE_OPT: dict[str, object] = {
    RESULT: ExchangeAnswer,
    CODES: {403: ("wrong_role", "not_a_party"), 404: ("unknown_exchange",)},
}
DECLARE_OPT: dict[str, object] = {
    RESULT: DeclarationAnswer,
    CODES: {
        **_PROGRAM,
        422: ("invalid_declaration", "unknown_program", "invalid_correction", "valid_from_in_past"),
    },
}
LIST_DECLARATIONS_OPT: dict[str, object] = {RESULT: DeclarationsAnswer}
