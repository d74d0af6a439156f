"""Dividing an amount into named legs by basis points, exactly to the fen.

Each leg gets `amount * bps // 10_000` (rounded down). The fen left over by
rounding are handed out one at a time, in the declared order of the legs
that the caller names (`remainder_order`; legs it leaves out follow, in the
order of `legs`), so the legs always add up to the amount and none is more
than one fen above its share. A leg with no basis points (`None`)
takes whatever is left after the others: the usual shape of an order split,
where the merchant receives the rest after commissions and fees.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hutong.protocol.errors import Kind, RuleBroken

BPS_WHOLE = 10_000


class SplitError(RuleBroken, ValueError):
    """The split cannot be made as declared: the caller's input, so always INVALID.

    Codes: ``invalid_amount`` (a negative amount), ``invalid_legs`` (names,
    basis points or fixed amounts that cannot be split), ``fees_exceed_amount``
    (the fixed amounts need more than there is) and ``invalid_remainder_order``.
    Still a `ValueError`, as it always was, for callers that catch that.
    """

    kind = Kind.INVALID


@dataclass(frozen=True, slots=True)
class Leg:
    name: str
    #: Share in basis points (1 bp = 0.01%); None: the remainder after the others.
    bps: int | None = None
    #: A fixed amount added to this leg (e.g. a wallet's fixed fee in fen).
    fixed: int = 0


def split(
    amount: int, legs: Sequence[Leg], *, remainder_order: Sequence[str] | None = None
) -> dict[str, int]:
    """Divide `amount` over `legs`; the result's values sum to `amount` exactly."""
    if amount < 0:
        raise SplitError("invalid_amount", "amount must not be negative")
    names = [leg.name for leg in legs]
    if len(set(names)) != len(names):
        raise SplitError("invalid_legs", "leg names must be unique")
    rest_legs = [leg for leg in legs if leg.bps is None]
    if len(rest_legs) > 1:
        raise SplitError("invalid_legs", "at most one leg may take the remainder")
    shared = [leg for leg in legs if leg.bps is not None]
    total_bps = sum(leg.bps or 0 for leg in shared)
    if any((leg.bps or 0) < 0 or leg.fixed < 0 for leg in legs):
        raise SplitError("invalid_legs", "basis points and fixed amounts must not be negative")
    if total_bps > BPS_WHOLE or (not rest_legs and total_bps != BPS_WHOLE):
        raise SplitError(
            "invalid_legs",
            f"the legs' basis points add up to {total_bps}; they must be 10000, "
            "or at most 10000 with one remainder leg",
        )
    result = {leg.name: amount * (leg.bps or 0) // BPS_WHOLE + leg.fixed for leg in shared}
    allotted = sum(result.values())
    if allotted > amount:
        raise SplitError(
            "fees_exceed_amount", f"fixed amounts exceed the amount ({allotted} > {amount})"
        )
    if rest_legs:
        result[rest_legs[0].name] = amount - allotted
    else:
        leftover = amount - allotted
        named = list(remainder_order or ())
        unknown = set(named) - set(names)
        if unknown:
            raise SplitError(
                "invalid_remainder_order", f"remainder order names unknown legs: {sorted(unknown)}"
            )
        if len(set(named)) != len(named):
            raise SplitError(
                "invalid_remainder_order", "remainder order names a leg more than once"
            )
        # Legs the order leaves out follow it, in the order of `legs`. There are
        # fewer leftover fen than legs: one each, in that order.
        order = named + [name for name in names if name not in named]
        for name in order[:leftover]:
            result[name] += 1
    return {name: result[name] for name in names}
