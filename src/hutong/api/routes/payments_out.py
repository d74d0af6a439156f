"""What the payments API answers, as documented shapes (issue 17 §6), and each step's codes.

The answers are made by the domain (`PaymentRow.to_dict`) and sent as bytes
by the exactly-once path; these structs only document them (`opt={RESULT: …}`),
and `tests/api/test_openapi_truth.py` checks real answers against them.
`step_codes(event)` are the codes a payment step refuses with, read from the
payment state machine itself (`checkout.states.PAYMENTS`), so the document
cannot drift from it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import msgspec

from hutong.api.documented import CODES, RESULT
from hutong.api.routes.wallets_out import WalletChoiceOut
from hutong.payments.checkout.states import PAYMENTS, PaymentEvent, PaymentState
from hutong.payments.rules import Machine

__all__ = [
    "CREATE_OPT",
    "PaymentAnswer",
    "PaymentCreatedOut",
    "PaymentOut",
    "PaymentRefundOut",
    "machine_codes",
    "payment_step",
    "step_codes",
]


class PaymentOut(msgspec.Struct, kw_only=True):
    """A payment (fen): held, captured and refunded so far, and the wallet's fee."""

    id: str
    kind: str
    state: PaymentState
    host: str
    merchant: str
    merchant_platform: str
    wallet: str | None
    amount: int
    captured: int
    refunded: int
    fee: int
    fee_returned: int
    reference: str
    expires_at: str | None
    created_at: str
    updated_at: str


class PaymentAnswer(msgspec.Struct, kw_only=True):
    payment: PaymentOut


class PaymentRefundOut(msgspec.Struct, kw_only=True):
    payment: PaymentOut
    refund_id: str


class PaymentCreatedOut(msgspec.Struct, kw_only=True):
    payment: PaymentOut
    #: The wallets the buyer may choose, and why each other one is refused.
    wallets: WalletChoiceOut


def machine_codes(machine: Machine[Any, Any], event: StrEnum) -> tuple[str, ...]:
    """Every code `machine` refuses `event` with (a state's, an exception's, too late)."""
    states = {state for state, _ in machine.transitions} | set(machine.refused)
    codes = {
        machine.exceptions.get((state, event), machine.refused[state])
        for state in states
        if (state, event) not in machine.transitions
    }
    if event in machine.late:
        codes.add(machine.late[event])
    return tuple(sorted(codes))


def step_codes(event: PaymentEvent) -> tuple[str, ...]:
    """Every code the payment state machine refuses `event` with."""
    return machine_codes(PAYMENTS, event)


def payment_step(
    event: PaymentEvent, result: type[msgspec.Struct] = PaymentAnswer, **more: tuple[str, ...]
) -> dict[str, object]:
    """`opt` of a payment step: its answer and codes (409 from the state machine, `s422=…`)."""
    by_status: dict[int, tuple[str, ...]] = {
        403: ("not_a_party",),
        404: ("unknown_payment",),
        409: (*step_codes(event), "message_id_conflict", "message_in_flight"),
    }
    for key, codes in more.items():
        status = int(key.removeprefix("s"))
        by_status[status] = (*by_status.get(status, ()), *codes)
    return {RESULT: result, CODES: by_status}


#: `opt` of `POST /v1/payments`. A party the body names that does not exist is the body's
#: mistake, 422 with order intake's codes (`unknown_merchant` stays the 404 of the query of
#: `GET /v1/payments/options`).
CREATE_OPT: dict[str, object] = {
    RESULT: PaymentCreatedOut,
    CODES: {
        422: (
            "invalid_amount",
            "invalid_deadline",
            "invalid_payer",
            "no_such_merchant",
            "unknown_wallet",
            "invalid_host",
        ),
        403: ("wrong_role", "not_a_party"),
        409: (
            "wallet_inactive",
            "wallet_does_not_serve",
            "wallet_not_accepted",
            "message_id_conflict",
            "message_in_flight",
        ),
    },
}
