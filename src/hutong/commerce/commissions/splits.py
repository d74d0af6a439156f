"""Splitting an order into its five parts, and the cumulative reversal of refunds."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from hutong.commerce.commissions.schedules import CommissionSchedule
from hutong.commerce.commissions.values import (
    Channel,
    CommissionError,
    as_amount,
    as_category,
    as_channel,
)
from hutong.ledger.splits import BPS_WHOLE, Leg, SplitError, split

#: The parts of an order, in the order of `OrderSplit`'s fields.
PARTS = ("merchant", "host_commission", "creator_commission", "wallet_fee", "carrier_fee")
#: The order in which a refund's parts are rounded down; the last takes the rest.
REVERSAL_ORDER = ("wallet_fee", "host_commission", "creator_commission", "carrier_fee", "merchant")


@dataclass(frozen=True, slots=True)
class OrderSplit:
    """An amount in five parts (fen); a split of a captured order or of a refund."""

    merchant: int = 0
    host_commission: int = 0
    creator_commission: int = 0
    wallet_fee: int = 0
    carrier_fee: int = 0

    def __post_init__(self) -> None:
        for name in PARTS:
            as_amount(name, getattr(self, name))

    @property
    def total(self) -> int:
        return sum(self.as_dict().values())

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in PARTS}

    def __iter__(self) -> Iterator[tuple[str, int]]:
        return iter(self.as_dict().items())


def split_order(
    captured: int,
    schedule: CommissionSchedule | None,
    category: str,
    channel: Channel | str,
    wallet_fee: int,
    carrier_fee: int,
    creator: bool,
) -> OrderSplit:
    """Divide `captured` fen into the five parts; they add up to `captured` exactly.

    Commissions are basis points of `captured`, rounded down; the fees are
    fixed fen; the merchant gets the rest. `schedule` None: no commission.
    """
    as_amount("captured", captured)
    as_amount("wallet_fee", wallet_fee)
    as_amount("carrier_fee", carrier_fee)
    category, channel = as_category(category), as_channel(channel)
    take = schedule.take_bps(category, channel) if schedule is not None else 0
    creator_rate = schedule.creator_bps(category) if schedule is not None and creator else 0
    legs = [
        Leg("merchant"),
        Leg("host_commission", bps=take),
        Leg("creator_commission", bps=creator_rate),
        Leg("wallet_fee", bps=0, fixed=wallet_fee),
        Leg("carrier_fee", bps=0, fixed=carrier_fee),
    ]
    try:
        parts = split(captured, legs)
    except SplitError:
        commissions = (captured * take + captured * creator_rate) // BPS_WHOLE
        raise CommissionError(
            "fees_exceed_amount",
            f"fees of {wallet_fee + carrier_fee} fen exceed the {captured - commissions} fen "
            f"left of {captured} after commissions",
        ) from None
    return OrderSplit(**parts)


def reversed_after(split: OrderSplit, refunded: int) -> OrderSplit:
    """What each part has given back once refunds total `refunded` (cumulative)."""
    total = split.total
    as_amount("refunded", refunded)
    if refunded > total:
        raise CommissionError(
            "refund_exceeds_captured", f"refunds of {refunded} exceed the {total} fen split"
        )
    parts = split.as_dict()
    back: dict[str, int] = {}
    left, pool = refunded, total  # what is still to give back, out of what is still unassigned
    for name in REVERSAL_ORDER[:-1]:
        share = parts[name] * left // pool if pool else 0
        back[name] = share
        left -= share
        pool -= parts[name]
    back[REVERSAL_ORDER[-1]] = left
    return OrderSplit(**back)


def reverse_split(split: OrderSplit, refunded_so_far: int, refund: int) -> OrderSplit:
    """The parts a refund of `refund` fen gives back, after `refunded_so_far` fen were.

    Each part is what it has given back after this refund less what it had
    before (see `reversed_after`): never negative, and they add up to
    `refund` exactly.
    """
    as_amount("refunded_so_far", refunded_so_far)
    as_amount("refund", refund)
    before = reversed_after(split, refunded_so_far)
    after = reversed_after(split, refunded_so_far + refund)
    return OrderSplit(**{name: getattr(after, name) - getattr(before, name) for name in PARTS})
