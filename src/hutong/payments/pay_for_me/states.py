"""The state machine of a pay-for-me request.

Pure code; refusals are `PaymentError`s (`hutong.payments.rules`).

Pay-for-me requests
-------------------
open -pay-> paid (once, before ``expires_at``, else ``request_expired``);
open -cancel-> cancelled (the requester withdrew it); open -expire-> expired.
Other refusals: ``already_paid``, ``request_expired``, ``request_cancelled``,
``not_expired``.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from hutong.payments.rules import Machine


class PayForMeState(StrEnum):
    OPEN = "open"
    PAID = "paid"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class PayForMeEvent(StrEnum):
    PAY = "pay"
    CANCEL = "cancel"
    EXPIRE = "expire"


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

PAY_FOR_ME_TRANSITIONS = PAY_FOR_ME.transitions


def pay_for_me_transition(
    state: PayForMeState,
    event: PayForMeEvent,
    *,
    now: datetime | None = None,
    expires_at: datetime | None = None,
) -> PayForMeState:
    """A pay-for-me request's next state; `expires_at` is the request's deadline."""
    return PAY_FOR_ME.step(PayForMeState(state), PayForMeEvent(event), now, expires_at)
