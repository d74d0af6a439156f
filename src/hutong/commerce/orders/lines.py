"""An order's lines: exact totals, the price and stock check, what is left to refund.

Pure code, no I/O. Amounts are integer fen. Every refusal is an `OrderError`
with a stable ``code`` and a sentence for a human:

==================== =========================================================
code                 refused because ...
==================== =========================================================
invalid_sku_id       a line's sku_id is not an offer's SKU id (see offers.py)
invalid_quantity     a quantity is not an integer >= 1 (a bool, a float such
                     as 2.0 or a string is refused)
invalid_price        a unit price is not an integer number of fen >= 1
total_too_large      a line's or the order's total is beyond what the ledger
                     holds (2**63 - 1 fen); neither field alone is wrong
no_such_offer        the merchant's platform does not (or no longer) offer the
                     SKU a line names: the body names it (422, as a placement's)
price_changed        the price now differs from the price the buyer was shown
                     (higher or lower: shown and charged must agree)
out_of_stock         fewer are available than the line asks for
==================== =========================================================

A host shows a price, the buyer orders at that price, and the switch asks the
merchant's platform for the current price and stock before reserving:
`price_problems` lists every line that no longer holds, `check_prices`
refuses with the first of them (in line order).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar, Protocol, TypeGuard

from hutong.commerce.offers import MAX_AMOUNT, SKU_ID
from hutong.protocol.errors import Kind, RuleBroken


class OrderError(RuleBroken, ValueError):
    """A refusal: a stable machine-readable ``code`` and a human ``message``.

    Its kind, whoever raises it: ``invalid_*`` codes and the codes below are
    the caller's mistake whatever the order's state (INVALID); a merchant's
    platform that did not answer is UNAVAILABLE, one that answered a reservation
    reference an order cannot keep (``bad_reservation``) UPSTREAM_FAILED; every
    other refusal (a state that does not allow the event, a deadline) is a CONFLICT.
    """

    kinds: ClassVar[Mapping[str, Kind]] = {
        "total_too_large": Kind.INVALID,
        "no_lines": Kind.INVALID,
        "duplicate_line": Kind.INVALID,
        "unknown_line": Kind.INVALID,
        "no_such_offer": Kind.INVALID,
        "merchant_platform_unavailable": Kind.UNAVAILABLE,
        "bad_reservation": Kind.UPSTREAM_FAILED,
    }


def is_count(value: object) -> TypeGuard[int]:
    """An integer >= 1 (bool refused)."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_AMOUNT


@dataclass(frozen=True, slots=True)
class OrderLine:
    """One SKU, how many, and the unit price (fen) the buyer was shown."""

    sku_id: str
    quantity: int
    unit_price_shown: int

    def __post_init__(self) -> None:
        if not (isinstance(self.sku_id, str) and SKU_ID.fullmatch(self.sku_id)):
            raise OrderError("invalid_sku_id", f"{self.sku_id!r} is not a SKU id")
        if not is_count(self.quantity):
            raise OrderError(
                "invalid_quantity",
                f"{self.sku_id}: a quantity is a whole number >= 1, not {self.quantity!r}",
            )
        if not is_count(self.unit_price_shown):
            raise OrderError(
                "invalid_price",
                f"{self.sku_id}: a price is a whole number of fen >= 1, "
                f"not {self.unit_price_shown!r}",
            )
        line_total(self)  # refuses a total the ledger cannot hold


def line_total(line: OrderLine) -> int:
    """quantity x unit price, exactly."""
    total = line.quantity * line.unit_price_shown
    if total > MAX_AMOUNT:
        raise OrderError(
            "total_too_large",
            f"{line.sku_id}: {line.quantity} x {line.unit_price_shown} fen is more than "
            f"{MAX_AMOUNT} fen",
        )
    return total


def order_total(lines: Sequence[OrderLine]) -> int:
    """The sum of the line totals, exactly."""
    total = sum(line_total(line) for line in lines)
    if total > MAX_AMOUNT:
        raise OrderError("total_too_large", f"the order's total {total} fen is too large")
    return total


class CurrentOffer(Protocol):
    """What the merchant's platform says about an offer now (`OfferIn` is one)."""

    @property
    def price(self) -> int: ...

    @property
    def stock(self) -> int: ...


def price_problems(
    lines: Sequence[OrderLine], current_offers: Mapping[str, CurrentOffer]
) -> list[OrderError]:
    """Every line whose offer is gone, repriced or short of stock, in line order.

    A line has at most one problem: an unknown offer, else a changed price,
    else too little stock (a buyer who accepts a new price must still order
    what is there).
    """
    problems: list[OrderError] = []
    for line in lines:
        offer = current_offers.get(line.sku_id)
        if offer is None:
            problems.append(
                OrderError("no_such_offer", f"{line.sku_id}: the merchant no longer offers it")
            )
        elif offer.price != line.unit_price_shown:
            problems.append(
                OrderError(
                    "price_changed",
                    f"{line.sku_id}: shown at {line.unit_price_shown} fen, now {offer.price} fen",
                )
            )
        elif offer.stock < line.quantity:
            problems.append(
                OrderError(
                    "out_of_stock",
                    f"{line.sku_id}: {line.quantity} requested, {max(offer.stock, 0)} available",
                )
            )
    return problems


def check_prices(lines: Sequence[OrderLine], current_offers: Mapping[str, CurrentOffer]) -> None:
    """Refuse with the first of `price_problems`, if any."""
    problems = price_problems(lines, current_offers)
    if problems:
        raise problems[0]


def refundable(lines: Sequence[OrderLine], refunded: Sequence[int]) -> tuple[int, ...]:
    """What each line may still have refunded: its total less its refunds so far."""
    if len(refunded) != len(lines):
        raise OrderError("invalid_refund", "one refunded amount per line is needed")
    left = tuple(line_total(line) - done for line, done in zip(lines, refunded, strict=True))
    if any(amount < 0 for amount in left):
        raise OrderError("refund_exceeds_paid", "a line was refunded more than it cost")
    return left


def quantity_refund(line: OrderLine, quantity: int) -> dict[str, int]:
    """The refund of `quantity` units of a line, at the price paid: {sku_id: fen}."""
    if not is_count(quantity) or quantity > line.quantity:
        raise OrderError(
            "invalid_quantity",
            f"{line.sku_id}: refund 1 to {line.quantity} units, not {quantity!r}",
        )
    return {line.sku_id: quantity * line.unit_price_shown}
