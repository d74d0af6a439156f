"""What the pay-for-me routes answer, as documented shapes (issue 17 §6), and each route's codes.

`PayForMe.to_dict` (the request, never the payer's account) and the paid
payment's `to_dict` make the answers; these structs only document them. A
request's 409 codes are read from its state machine
(`pay_for_me.states.PAY_FOR_ME`); paying asks the payer's wallet, whose own
refusal codes are answered as they are, beside the codes named here.
"""

from __future__ import annotations

import msgspec

from hutong.api.documented import CODES, RESULT
from hutong.api.routes.payments_out import PaymentOut, machine_codes
from hutong.payments.pay_for_me.states import PAY_FOR_ME, PayForMeEvent, PayForMeState

__all__ = ["CANCEL_OPT", "PAY_OPT", "REQUEST_OPT", "PayForMeOut"]


class PayForMeOut(msgspec.Struct, kw_only=True):
    """A pay-for-me request: its link, the share text carrying its code, who paid with what."""

    id: str
    payment_id: str
    state: PayForMeState
    url: str
    share_text: str
    note: str
    expires_at: str
    payer_host: str | None
    payer_wallet: str | None


class RequestAnswer(msgspec.Struct, kw_only=True):
    request: PayForMeOut


class PaidAnswer(msgspec.Struct, kw_only=True):
    request: PayForMeOut
    payment: PaymentOut


_REPLAY = ("message_id_conflict", "message_in_flight")

REQUEST_OPT: dict[str, object] = {
    RESULT: RequestAnswer,
    CODES: {
        403: ("not_a_party",),
        404: ("unknown_payment",),
        409: ("not_payable", "already_requested", *_REPLAY),
        422: ("invalid_deadline", "invalid_request"),
    },
}
PAY_OPT: dict[str, object] = {
    RESULT: PaidAnswer,
    CODES: {
        403: ("wrong_role",),
        404: ("unknown_request",),
        409: (
            *machine_codes(PAY_FOR_ME, PayForMeEvent.PAY),
            "not_payable",
            "payment_in_progress",
            "claim_lapsed",
            "wallet_inactive",
            "wallet_does_not_serve",
            "wallet_not_accepted",
            *_REPLAY,
        ),
        422: ("invalid_payer", "unknown_wallet"),
    },
}
CANCEL_OPT: dict[str, object] = {
    RESULT: RequestAnswer,
    CODES: {
        403: ("not_a_party",),
        404: ("unknown_request",),
        409: (*machine_codes(PAY_FOR_ME, PayForMeEvent.CANCEL), "payment_in_progress", *_REPLAY),
    },
}
