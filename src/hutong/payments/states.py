"""The state machines of payments, wallet-to-wallet transfers and pay-for-me requests.

Pure code, no I/O and no clock: ``now`` is passed in. Every refusal is a
`PaymentError` with a stable ``code`` and a sentence for a human.

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

Transfers (wallet to wallet)
----------------------------
quoted -reserve-> reserved (the payer's wallet holds the total debit; before the
quote's deadline, else ``quote_expired``); quoted -fail-> failed (the payer's
wallet refused); reserved -commit-> committed (the payee's wallet confirmed and
the switch posts both sides; before the reservation's deadline, else
``reservation_expired``); reserved -release-> released (declined or
cancelled); quoted or reserved -expire-> expired (a deadline passed, whatever
was held goes back). Other refusals: ``not_reserved``, ``already_reserved``,
``already_committed``, ``already_released``, ``transfer_expired``,
``transfer_failed``, ``not_expired``.

Pay-for-me requests
-------------------
open -pay-> paid (once, before ``expires_at``, else ``request_expired``);
open -cancel-> cancelled (the requester withdrew it); open -expire-> expired.
Other refusals: ``already_paid``, ``request_expired``, ``request_cancelled``,
``not_expired``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import ClassVar, Generic, TypeGuard, TypeVar

from hutong.protocol.errors import Kind, RuleBroken

#: Largest amount (signed 64-bit, as the ledger stores it).
MAX_AMOUNT = 2**63 - 1


class PaymentError(RuleBroken, ValueError):
    """A refusal: a stable machine-readable ``code`` and a human ``message``.

    Its kind, whoever raises it: ``invalid_*`` codes are the caller's input
    (INVALID), the codes below are what they say, and every other refusal
    (a state that does not allow the step, a cap, a balance) is a CONFLICT.
    """

    kinds: ClassVar[Mapping[str, Kind]] = {
        "alias_not_owned": Kind.FORBIDDEN,
        "alias_not_found": Kind.NOT_FOUND,
        # A quote with a wallet that declares no transfer fee is refused input.
        "fee_not_declared": Kind.INVALID,
    }


def is_amount(value: object) -> TypeGuard[int]:
    """An integer (bool refused) between 0 and MAX_AMOUNT."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_AMOUNT


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


class TransferState(StrEnum):
    QUOTED = "quoted"
    RESERVED = "reserved"
    COMMITTED = "committed"
    RELEASED = "released"
    EXPIRED = "expired"
    FAILED = "failed"


class TransferEvent(StrEnum):
    RESERVE = "reserve"
    FAIL = "fail"
    COMMIT = "commit"
    RELEASE = "release"
    EXPIRE = "expire"


class PayForMeState(StrEnum):
    OPEN = "open"
    PAID = "paid"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class PayForMeEvent(StrEnum):
    PAY = "pay"
    CANCEL = "cancel"
    EXPIRE = "expire"


_S = TypeVar("_S", bound=StrEnum)
_E = TypeVar("_E", bound=StrEnum)


@dataclass(frozen=True, slots=True)
class Machine(Generic[_S, _E]):
    """A transition table, the refusal code per state, and the events a deadline stops."""

    transitions: Mapping[tuple[_S, _E], _S]
    refused: Mapping[_S, str]
    late: Mapping[_E, str]
    #: Refusal codes of particular (state, event) pairs, instead of the state's.
    exceptions: Mapping[tuple[_S, _E], str] = field(default_factory=dict)

    def step(self, state: _S, event: _E, now: datetime | None, expires_at: datetime | None) -> _S:
        target = self.transitions.get((state, event))
        if target is None:
            code = self.exceptions.get((state, event), self.refused[state])
            raise PaymentError(code, f"cannot {event} in state {state}")
        due = now is not None and expires_at is not None and now >= expires_at
        if event.value == "expire" and not due:
            raise PaymentError("not_expired", f"cannot expire before the deadline ({expires_at})")
        if event in self.late and due:
            raise PaymentError(self.late[event], f"cannot {event}: the deadline was {expires_at}")
        return target


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
_T, _TE = TransferState, TransferEvent
TRANSFERS: Machine[TransferState, TransferEvent] = Machine(
    transitions={
        (_T.QUOTED, _TE.RESERVE): _T.RESERVED,
        (_T.QUOTED, _TE.FAIL): _T.FAILED,
        (_T.QUOTED, _TE.EXPIRE): _T.EXPIRED,
        (_T.RESERVED, _TE.COMMIT): _T.COMMITTED,
        (_T.RESERVED, _TE.RELEASE): _T.RELEASED,
        (_T.RESERVED, _TE.EXPIRE): _T.EXPIRED,
    },
    refused={
        _T.QUOTED: "not_reserved",
        _T.RESERVED: "already_reserved",
        _T.COMMITTED: "already_committed",
        _T.RELEASED: "already_released",
        _T.EXPIRED: "transfer_expired",
        _T.FAILED: "transfer_failed",
    },
    late={_TE.RESERVE: "quote_expired", _TE.COMMIT: "reservation_expired"},
)
_F, _FE = PayForMeState, PayForMeEvent
PAY_FOR_ME: Machine[PayForMeState, PayForMeEvent] = Machine(
    transitions={
        (_F.OPEN, _FE.PAY): _F.PAID,
        (_F.OPEN, _FE.CANCEL): _F.CANCELLED,
        (_F.OPEN, _FE.EXPIRE): _F.EXPIRED,
    },
    refused={
        _F.PAID: "already_paid",
        _F.EXPIRED: "request_expired",
        _F.CANCELLED: "request_cancelled",
    },
    late={_FE.PAY: "request_expired"},
)

#: The transition tables: (state, event) -> next state.
PAYMENT_TRANSITIONS = PAYMENTS.transitions
TRANSFER_TRANSITIONS = TRANSFERS.transitions
PAY_FOR_ME_TRANSITIONS = PAY_FOR_ME.transitions


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


def transfer_transition(
    state: TransferState,
    event: TransferEvent,
    *,
    now: datetime | None = None,
    expires_at: datetime | None = None,
) -> TransferState:
    """A transfer's next state; `expires_at` is the quote's or the reservation's deadline."""
    return TRANSFERS.step(TransferState(state), TransferEvent(event), now, expires_at)


def pay_for_me_transition(
    state: PayForMeState,
    event: PayForMeEvent,
    *,
    now: datetime | None = None,
    expires_at: datetime | None = None,
) -> PayForMeState:
    """A pay-for-me request's next state; `expires_at` is the request's deadline."""
    return PAY_FOR_ME.step(PayForMeState(state), PayForMeEvent(event), now, expires_at)


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
