"""The state machine of a payment.

Pure code, no I/O and no clock: ``now`` is passed in. Every refusal is a
`PaymentError` (`hutong.payments.rules`).

Payments (amounts in integer fen)
---------------------------------
::

    created    -authorize-> authorized  the whole amount held (a pending ledger transfer)
    created    -fail------> failed      the wallet declined to authorize
    created    -void------> voided      cancelled before authorization
    authorized -void------> voided      cancelled; the hold is released
    created    -expire----> expired     not authorized in time
    authorized -expire----> expired     the hold lapsed and is released
    authorized -capture---> captured    0 < value <= amount, once
    captured, partially_refunded -refund-> partially_refunded, or refunded when the
                                        refunds reach what was captured

* Authorization holds the whole amount; there is no partial authorization.
* Capture happens once and may be partial: ``value`` is at most the authorized
  amount and the rest of the hold is released with it (the ledger posts part
  of a pending transfer). A second capture is ``already_captured``: a merchant
  that ships in two parcels takes two payments.
* Refunds may be many, each positive; their total never exceeds what was
  captured (``refund_exceeds_captured``). ``refunded`` is final.
* ``expires_at`` is the deadline of the step in progress: to authorize while
  created, the hold's end while authorized. At or after it, authorize is
  ``payment_expired`` and capture ``hold_expired``; expire before it is
  ``not_expired``. Giving money back (void) is never refused for lateness.
  Refunds have no deadline here (a refund window is the merchant's policy).
* Other events are refused with a code for the state (`Machine.refused`);
  a refund before capture is ``not_captured``, after a full refund
  ``already_refunded``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from hutong.payments.rules import Machine, PaymentError, is_amount


class PaymentState(StrEnum):
    CREATED = "created"
    AUTHORIZED = "authorized"
    CAPTURED = "captured"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    VOIDED = "voided"
    EXPIRED = "expired"
    FAILED = "failed"


class PaymentEvent(StrEnum):
    AUTHORIZE = "authorize"
    FAIL = "fail"
    CAPTURE = "capture"
    VOID = "void"
    EXPIRE = "expire"
    REFUND = "refund"


_P, _PE = PaymentState, PaymentEvent

PAYMENTS: Machine[PaymentState, PaymentEvent] = Machine(
    # A refund ends in partially_refunded or, when the refunds reach captured, refunded.
    transitions={
        (_P.CREATED, _PE.AUTHORIZE): _P.AUTHORIZED,
        (_P.CREATED, _PE.FAIL): _P.FAILED,
        (_P.CREATED, _PE.VOID): _P.VOIDED,
        (_P.CREATED, _PE.EXPIRE): _P.EXPIRED,
        (_P.AUTHORIZED, _PE.CAPTURE): _P.CAPTURED,
        (_P.AUTHORIZED, _PE.VOID): _P.VOIDED,
        (_P.AUTHORIZED, _PE.EXPIRE): _P.EXPIRED,
        (_P.CAPTURED, _PE.REFUND): _P.PARTIALLY_REFUNDED,
        (_P.PARTIALLY_REFUNDED, _PE.REFUND): _P.PARTIALLY_REFUNDED,
    },
    refused={
        _P.CREATED: "not_authorized",
        _P.AUTHORIZED: "already_authorized",
        _P.CAPTURED: "already_captured",
        _P.PARTIALLY_REFUNDED: "already_captured",
        _P.REFUNDED: "already_captured",
        _P.VOIDED: "already_voided",
        _P.EXPIRED: "payment_expired",
        _P.FAILED: "payment_failed",
    },
    late={_PE.AUTHORIZE: "payment_expired", _PE.CAPTURE: "hold_expired"},
    exceptions={
        (_P.AUTHORIZED, _PE.REFUND): "not_captured",
        (_P.REFUNDED, _PE.REFUND): "already_refunded",
    },
)

#: The transition tables: (state, event) -> next state.
PAYMENT_TRANSITIONS = PAYMENTS.transitions


def transition(
    state: PaymentState,
    event: PaymentEvent,
    *,
    amount: int,
    captured: int = 0,
    refunded: int = 0,
    value: int = 0,
    now: datetime | None = None,
    expires_at: datetime | None = None,
) -> PaymentState:
    """The payment's next state, or `PaymentError` (see the module doc).

    `amount` is the payment's amount (what authorization holds), `captured`
    and `refunded` the totals so far, `value` this event's amount (capture and
    refund only; 0 for the others). Deadlines are checked only when both
    `now` and `expires_at` are given; expire needs both.
    """
    state, event = PaymentState(state), PaymentEvent(event)
    if not (is_amount(amount) and amount > 0):
        raise PaymentError("invalid_amount", f"a payment's amount is positive fen, not {amount!r}")
    if not (is_amount(captured) and is_amount(refunded) and refunded <= captured <= amount):
        raise PaymentError("invalid_amount", "the totals need 0 <= refunded <= captured <= amount")
    moves_money = event in (_PE.CAPTURE, _PE.REFUND)
    if not is_amount(value) or (value > 0) is not moves_money:
        need = "a positive amount" if moves_money else "no amount (0)"
        raise PaymentError("invalid_amount", f"{event} takes {need}, not {value!r}")
    target = PAYMENTS.step(state, event, now, expires_at)
    if event is _PE.CAPTURE and value > amount:
        raise PaymentError("capture_exceeds_authorized", f"{value} is more than {amount} held")
    if event is _PE.REFUND and refunded + value > captured:
        raise PaymentError(
            "refund_exceeds_captured",
            f"{refunded} of {captured} refunded; {value} more is too much",
        )
    return _P.REFUNDED if event is _PE.REFUND and refunded + value == captured else target


@dataclass(frozen=True, slots=True)
class Payment:
    """A payment's state and totals; `apply` returns the payment after an event."""

    amount: int
    state: PaymentState = PaymentState.CREATED
    captured: int = 0
    refunded: int = 0
    expires_at: datetime | None = None

    def apply(
        self,
        event: PaymentEvent,
        value: int = 0,
        *,
        now: datetime | None = None,
        hold_until: datetime | None = None,
    ) -> Payment:
        """`hold_until` on authorize sets the hold's deadline (None: keep the current one)."""
        event = PaymentEvent(event)
        state = transition(
            self.state,
            event,
            amount=self.amount,
            captured=self.captured,
            refunded=self.refunded,
            value=value,
            now=now,
            expires_at=self.expires_at,
        )
        return replace(
            self,
            state=state,
            captured=value if event is _PE.CAPTURE else self.captured,
            refunded=self.refunded + (value if event is _PE.REFUND else 0),
            expires_at=hold_until if event is _PE.AUTHORIZE and hold_until else self.expires_at,
        )
