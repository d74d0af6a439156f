"""The state machine of a cross-platform order.

Who hears of each move is in `hutong.commerce.orders.audience`.

Pure code, no I/O and no clock: ``now`` is passed in (timezone-aware). Every
refusal is an `OrderError` with a stable ``code`` and a sentence for a human.
Lines, totals and the price check are in `hutong.commerce.orders.lines`.

The machine
-----------
::

    created   -reserve------> reserved   the merchant's platform confirmed prices and
                                         reserved stock; ``deadline`` is the pay deadline
    created   -cancel-------> cancelled  the reservation was refused (nothing held)
    reserved  -pay----------> paid       ``amount`` is exactly the order's total
    reserved  -cancel-------> cancelled  stock released, the payment voided
    reserved  -expire-------> cancelled  unpaid at the pay deadline: the same
    paid      -book_carrier-> paid       the merchant booked the carrier (once)
    paid      -cancel-------> cancelled  stock released, everything paid refunded
    paid      -ship---------> shipped    the carrier picked the parcel up
    shipped   -deliver------> delivered  ``deadline`` is the end of the confirmation window
    delivered -confirm------> completed  the buyer confirmed receipt
    delivered -expire-------> completed  nobody objected within the window
    paid, shipped, delivered, completed, partially_refunded
              -request_refund-> refund_requested   ``refund`` says what the buyer asks
    refund_requested -refund------> back, partially_refunded, or refunded
    refund_requested -close_refund-> back (the merchant refused, or the buyer withdrew)

* The allowed moves are `TRANSITIONS`: (state, event) -> the states it may
  lead to; only refund and close_refund have more than one.
* Deadlines: at or after the pay deadline, pay is ``reservation_expired`` and
  expire cancels; before it, expire is ``not_expired``. At or after the end
  of the confirmation window, expire completes the order; the buyer may
  confirm before. Cancelling is never refused for lateness.
* Prices shown and charged agree: pay takes exactly the total
  (``amount_mismatch`` otherwise). There is no partial payment; the switch
  sees the order paid once the wallet captured it.

Refunds
-------
* A refund is fen per line (``{sku_id: fen}``); `quantity_refund` turns
  units of a line into fen at the price paid. A line never gets back more
  than it cost (``refund_exceeds_paid``), so neither does the order.
* Every refund goes through a request: request_refund records what the buyer
  asks and remembers the state it came from; refund gives back the request
  (or, with ``refund``, part of it or other lines, within what was paid).
* Before completion a partial refund returns the order to where it was
  (paid, shipped or delivered) so the rest still ships and is delivered:
  the refunds are in ``refunded``. After completion it leaves the order
  ``partially_refunded`` (a completed order, part of it refunded), which can
  take more requests. Refunds have no deadline here (an after-sale window is
  the merchant's policy).
* ``refunded`` is final, and reached from any of them when the refunds add
  up to everything paid. A cancellation after payment refunds everything and
  ends ``cancelled``.
* While a refund is requested the confirmation clock stops: back in
  delivered, the window's end moves by the time the request was open.

Refusals
--------
Other (state, event) pairs are refused with the code in `REFUSALS`: by state
``not_reserved``, ``not_paid``, ``not_shipped``, ``not_delivered``,
``cannot_cancel_after_shipping``, ``already_reserved``, ``already_paid``,
``already_shipped``, ``already_delivered``, ``already_completed``,
``refund_pending``, ``no_refund_requested``, ``no_deadline``,
``order_cancelled``, ``already_refunded``. Arguments: ``invalid_deadline``,
``invalid_amount``, ``invalid_refund``, ``unknown_line``, ``invalid_argument``
(an argument the event does not take), ``already_booked``; orders:
``no_lines``, ``duplicate_line``.

"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from hutong.commerce.orders.lines import (
    OrderError,
    OrderLine,
    is_count,
    line_total,
    order_total,
)


class OrderState(StrEnum):
    CREATED = "created"
    RESERVED = "reserved"
    PAID = "paid"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    REFUND_REQUESTED = "refund_requested"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


class OrderEvent(StrEnum):
    RESERVE = "reserve"
    PAY = "pay"
    BOOK_CARRIER = "book_carrier"
    SHIP = "ship"
    DELIVER = "deliver"
    CONFIRM = "confirm"
    EXPIRE = "expire"
    CANCEL = "cancel"
    REQUEST_REFUND = "request_refund"
    REFUND = "refund"
    CLOSE_REFUND = "close_refund"


S, E = OrderState, OrderEvent

#: The states a refund request returns to.
_RESUMABLE = (S.PAID, S.SHIPPED, S.DELIVERED, S.COMPLETED, S.PARTIALLY_REFUNDED)

#: (state, event) -> the states the move may lead to.
TRANSITIONS: Mapping[tuple[OrderState, OrderEvent], frozenset[OrderState]] = {
    (S.CREATED, E.RESERVE): frozenset({S.RESERVED}),
    (S.CREATED, E.CANCEL): frozenset({S.CANCELLED}),
    (S.RESERVED, E.PAY): frozenset({S.PAID}),
    (S.RESERVED, E.CANCEL): frozenset({S.CANCELLED}),
    (S.RESERVED, E.EXPIRE): frozenset({S.CANCELLED}),
    (S.PAID, E.BOOK_CARRIER): frozenset({S.PAID}),
    (S.PAID, E.CANCEL): frozenset({S.CANCELLED}),
    (S.PAID, E.SHIP): frozenset({S.SHIPPED}),
    (S.SHIPPED, E.DELIVER): frozenset({S.DELIVERED}),
    (S.DELIVERED, E.CONFIRM): frozenset({S.COMPLETED}),
    (S.DELIVERED, E.EXPIRE): frozenset({S.COMPLETED}),
    **{(s, E.REQUEST_REFUND): frozenset({S.REFUND_REQUESTED}) for s in _RESUMABLE},
    (S.REFUND_REQUESTED, E.REFUND): frozenset(
        {S.PAID, S.SHIPPED, S.DELIVERED, S.PARTIALLY_REFUNDED, S.REFUNDED}
    ),
    (S.REFUND_REQUESTED, E.CLOSE_REFUND): frozenset(_RESUMABLE),
}

_BY_STATE: dict[OrderState, str] = {
    S.CREATED: "not_reserved",
    S.RESERVED: "not_paid",
    S.PAID: "already_paid",
    S.SHIPPED: "already_shipped",
    S.DELIVERED: "already_delivered",
    S.COMPLETED: "already_completed",
    S.REFUND_REQUESTED: "refund_pending",
    S.PARTIALLY_REFUNDED: "already_completed",
    S.CANCELLED: "order_cancelled",
    S.REFUNDED: "already_refunded",
}
_REFUNDS = (E.REQUEST_REFUND, E.REFUND, E.CLOSE_REFUND)
_EXCEPTIONS: dict[tuple[OrderState, OrderEvent], str] = {
    **{(S.CREATED, e): "not_paid" for e in _REFUNDS},
    (S.CREATED, E.EXPIRE): "no_deadline",
    (S.RESERVED, E.RESERVE): "already_reserved",
    (S.PAID, E.DELIVER): "not_shipped",
    (S.PAID, E.CONFIRM): "not_shipped",
    (S.PAID, E.EXPIRE): "no_deadline",
    (S.SHIPPED, E.CONFIRM): "not_delivered",
    (S.SHIPPED, E.EXPIRE): "no_deadline",
    (S.SHIPPED, E.CANCEL): "cannot_cancel_after_shipping",
    (S.DELIVERED, E.CANCEL): "cannot_cancel_after_shipping",
    (S.REFUND_REQUESTED, E.EXPIRE): "no_deadline",
    **{(s, e): "no_refund_requested" for s in _RESUMABLE for e in (E.REFUND, E.CLOSE_REFUND)},
}
#: The code refusing each (state, event) pair that `TRANSITIONS` does not allow.
REFUSALS: Mapping[tuple[OrderState, OrderEvent], str] = {
    (s, e): _EXCEPTIONS.get((s, e), _BY_STATE[s]) for s in S for e in E if (s, e) not in TRANSITIONS
}

#: States with nothing more to happen.
FINAL = frozenset({S.CANCELLED, S.REFUNDED})


@dataclass(frozen=True, slots=True)
class Order:
    """An order's lines, state, money and deadlines; `apply` returns it after an event.

    ``paid`` is 0 or the total; ``refunded`` is fen per line, in line order.
    ``pay_by`` and ``confirm_by`` are the deadlines of reserved and delivered.
    While a refund is requested, ``requested`` is what was asked (fen per
    line), ``resume`` the state it came from and ``requested_at`` when.
    """

    lines: tuple[OrderLine, ...]
    state: OrderState = S.CREATED
    paid: int = 0
    refunded: tuple[int, ...] = ()
    pay_by: datetime | None = None
    confirm_by: datetime | None = None
    carrier_booked: bool = False
    requested: tuple[int, ...] | None = None
    resume: OrderState | None = None
    requested_at: datetime | None = None

    def __post_init__(self) -> None:
        lines = tuple(self.lines)
        if not lines or not all(isinstance(line, OrderLine) for line in lines):
            raise OrderError("no_lines", "an order has at least one line")
        skus = [line.sku_id for line in lines]
        if len(set(skus)) != len(skus):
            twice = sorted({sku for sku in skus if skus.count(sku) > 1})
            raise OrderError("duplicate_line", f"one line per SKU; twice: {', '.join(twice)}")
        order_total(lines)
        refunded = tuple(self.refunded) or (0,) * len(lines)
        if len(refunded) != len(lines):
            raise OrderError("invalid_refund", "one refunded amount per line is needed")
        object.__setattr__(self, "lines", lines)
        object.__setattr__(self, "refunded", refunded)

    @property
    def total(self) -> int:
        return order_total(self.lines)

    @property
    def refunded_total(self) -> int:
        return sum(self.refunded)

    @property
    def paid_per_line(self) -> tuple[int, ...]:
        return tuple(line_total(line) if self.paid else 0 for line in self.lines)

    @property
    def refundable(self) -> tuple[int, ...]:
        """What each line may still get back."""
        return tuple(p - r for p, r in zip(self.paid_per_line, self.refunded, strict=True))

    def apply(
        self,
        event: OrderEvent,
        *,
        now: datetime,
        deadline: datetime | None = None,
        amount: int | None = None,
        refund: Mapping[str, int] | None = None,
    ) -> Order:
        """The order after `event` at `now`, or `OrderError` (see the module doc).

        ``deadline``: reserve (pay by) and deliver (confirm by) only.
        ``amount``: pay only. ``refund`` ({sku_id: fen}): request_refund, and
        refund when it gives back other than what was requested.
        """
        event = OrderEvent(event)
        state = self.state
        if (state, event) not in TRANSITIONS:
            raise OrderError(REFUSALS[state, event], f"cannot {event} an order in state {state}")
        _takes_only(event, deadline=deadline, amount=amount, refund=refund)
        if event in (E.RESERVE, E.DELIVER):
            if deadline is None or deadline <= now:
                raise OrderError("invalid_deadline", f"{event} needs a deadline after {now}")
            if event is E.RESERVE:
                return replace(self, state=S.RESERVED, pay_by=deadline)
            return replace(self, state=S.DELIVERED, confirm_by=deadline)
        if event is E.PAY:
            if self.pay_by is not None and now >= self.pay_by:
                raise OrderError("reservation_expired", f"the pay deadline was {self.pay_by}")
            if not (isinstance(amount, int) and not isinstance(amount, bool) and amount >= 0):
                raise OrderError("invalid_amount", f"pay takes an amount in fen, not {amount!r}")
            if amount != self.total:
                raise OrderError(
                    "amount_mismatch", f"the order's total is {self.total} fen, not {amount}"
                )
            return replace(self, state=S.PAID, paid=amount)
        if event is E.EXPIRE:
            due = self.pay_by if state is S.RESERVED else self.confirm_by
            if due is None or now < due:
                raise OrderError("not_expired", f"cannot expire before the deadline ({due})")
            return replace(self, state=S.CANCELLED if state is S.RESERVED else S.COMPLETED)
        if event is E.CANCEL:
            # Before shipping only; after payment everything paid comes back.
            return replace(self, state=S.CANCELLED, refunded=self.paid_per_line)
        if event is E.BOOK_CARRIER:
            if self.carrier_booked:
                raise OrderError("already_booked", "the carrier is booked already")
            return replace(self, carrier_booked=True)
        if event is E.SHIP:
            return replace(self, state=S.SHIPPED, carrier_booked=True)
        if event is E.CONFIRM:
            return replace(self, state=S.COMPLETED)
        if event is E.REQUEST_REFUND:
            asked = self._refund_amounts(refund)
            return replace(
                self, state=S.REFUND_REQUESTED, requested=asked, resume=state, requested_at=now
            )
        # refund or close_refund: back where the request came from, or further.
        assert self.requested is not None and self.resume is not None
        after, refunded = self.resume, self.refunded
        if event is E.REFUND:
            given = self.requested if refund is None else self._refund_amounts(refund)
            refunded = tuple(r + g for r, g in zip(refunded, given, strict=True))
            if sum(refunded) == self.paid:
                after = S.REFUNDED
            elif after is S.COMPLETED:
                after = S.PARTIALLY_REFUNDED
        confirm_by = self.confirm_by
        if after is S.DELIVERED and confirm_by and self.requested_at:
            confirm_by += now - self.requested_at  # the clock stopped while requested
        return replace(
            self,
            state=after,
            refunded=refunded,
            confirm_by=confirm_by,
            requested=None,
            resume=None,
            requested_at=None,
        )

    def _refund_amounts(self, refund: Mapping[str, int] | None) -> tuple[int, ...]:
        """`refund` as fen per line, within what each line may still get back."""
        if not refund:
            raise OrderError("invalid_refund", "name at least one line and an amount in fen")
        index = {line.sku_id: i for i, line in enumerate(self.lines)}
        amounts = [0] * len(self.lines)
        left = self.refundable
        for sku_id, fen in refund.items():
            if sku_id not in index:
                raise OrderError("unknown_line", f"{sku_id!r} is not a line of this order")
            if not is_count(fen):
                raise OrderError("invalid_refund", f"{sku_id}: refund fen >= 1, not {fen!r}")
            if fen > left[index[sku_id]]:
                raise OrderError(
                    "refund_exceeds_paid",
                    f"{sku_id}: {left[index[sku_id]]} fen may still be refunded, not {fen}",
                )
            amounts[index[sku_id]] = fen
        return tuple(amounts)


_ARGUMENTS: dict[OrderEvent, frozenset[str]] = {
    E.RESERVE: frozenset({"deadline"}),
    E.DELIVER: frozenset({"deadline"}),
    E.PAY: frozenset({"amount"}),
    E.REQUEST_REFUND: frozenset({"refund"}),
    E.REFUND: frozenset({"refund"}),
}


def _takes_only(event: OrderEvent, **given: object) -> None:
    extra = {k for k, v in given.items() if v is not None} - _ARGUMENTS.get(event, frozenset())
    if extra:
        raise OrderError("invalid_argument", f"{event} takes no {', '.join(sorted(extra))}")
