"""Points exchange offers between membership programs, and the quote for one exchange.

Pure code, no I/O. A points program (``program_to``, e.g. ``tencent-video``)
publishes what members of another program (``program_from``, e.g. ``88vip``)
can get for their points: one unit of ``benefit`` (a month of membership)
costs ``points_price`` points of program A, a member may take at most
``daily_cap_per_user`` units a day (None: no cap), and program A owes program
B ``money_rate_fen`` fen per unit issued, settled between the programs.

`check_exchange` prices an exchange of ``quantity`` units for a member who
already took ``user_used_today`` units today (the caller counts them for the
day it means; no clock is read here). Everything is integer: points debited
= points_price x quantity, money owed = money_rate_fen x quantity, exact.

The exchange itself runs in two phases like a wallet-to-wallet transfer: the
points are held in program A (a pending ledger transfer in ``points:<A>``),
program B is asked to issue the benefit, and the switch posts the points and
the money obligation together, or voids the hold.

Refusals: ``invalid_offer``, ``invalid_quantity``, ``daily_cap_exceeded``,
``insufficient_points`` (when the member's balance is given) and
``invalid_amount`` (a total beyond what the ledger can hold).
"""

from __future__ import annotations

from dataclasses import dataclass

from hutong.ledger.models import valid_asset
from hutong.payments.rules import MAX_AMOUNT, PaymentError, is_amount


def _positive(value: object) -> bool:
    return is_amount(value) and value > 0


@dataclass(frozen=True, slots=True)
class ExchangeOffer:
    """Units of `benefit` of `program_to` for points of `program_from`."""

    program_from: str
    program_to: str
    points_price: int
    benefit: str
    daily_cap_per_user: int | None
    money_rate_fen: int

    def __post_init__(self) -> None:
        for program in (self.program_from, self.program_to):
            if not isinstance(program, str) or not valid_asset(f"points:{program}"):
                raise PaymentError("invalid_offer", f"{program!r} is not a program id")
        if self.program_from == self.program_to:
            raise PaymentError("invalid_offer", "an exchange is between two programs")
        if not _positive(self.points_price):
            raise PaymentError("invalid_offer", "points_price is a positive whole number")
        if not isinstance(self.benefit, str) or not self.benefit.strip():
            raise PaymentError("invalid_offer", "the benefit is required")
        if self.daily_cap_per_user is not None and not _positive(self.daily_cap_per_user):
            raise PaymentError("invalid_offer", "daily_cap_per_user is positive or None")
        if not is_amount(self.money_rate_fen):
            raise PaymentError("invalid_offer", "money_rate_fen is whole fen >= 0")

    @property
    def points_asset(self) -> str:
        """The ledger asset the points are debited in."""
        return f"points:{self.program_from}"


@dataclass(frozen=True, slots=True)
class ExchangeQuote:
    """One priced exchange: what the member pays, what program A owes program B."""

    offer: ExchangeOffer
    quantity: int
    points_debit: int
    money_owed_fen: int
    #: Units the member will have taken today once this exchange commits.
    used_after: int
    #: Units still allowed today after it (None: no cap).
    remaining_today: int | None


def check_exchange(
    offer: ExchangeOffer,
    user_used_today: int,
    quantity: int,
    *,
    points_balance: int | None = None,
) -> ExchangeQuote:
    """Price `quantity` units of `offer` for a member, or `PaymentError`."""
    if not _positive(quantity):
        raise PaymentError("invalid_quantity", f"quantity is a positive whole number: {quantity!r}")
    if not is_amount(user_used_today):
        raise PaymentError("invalid_quantity", "units used today is a whole number >= 0")
    used_after = user_used_today + quantity
    cap = offer.daily_cap_per_user
    if cap is not None and used_after > cap:
        raise PaymentError(
            "daily_cap_exceeded",
            f"{offer.benefit}: {user_used_today} of {cap} a day taken; {quantity} more is too many",
        )
    points_debit = offer.points_price * quantity
    money_owed = offer.money_rate_fen * quantity
    if points_debit > MAX_AMOUNT or money_owed > MAX_AMOUNT:
        raise PaymentError("invalid_amount", "the exchange is larger than the ledger can hold")
    if points_balance is not None and points_debit > points_balance:
        raise PaymentError(
            "insufficient_points",
            f"{points_debit} {offer.program_from} points needed, {points_balance} held",
        )
    return ExchangeQuote(
        offer=offer,
        quantity=quantity,
        points_debit=points_debit,
        money_owed_fen=money_owed,
        used_after=used_after,
        remaining_today=None if cap is None else cap - used_after,
    )
