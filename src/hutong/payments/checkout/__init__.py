"""A payment, from creation to refund: create, authorize, capture, void, refund, expire.

Each step that involves the wallet asks it first (a signed decision call, see
`hutong.payments.calls`), then runs one write that locks the payment's row,
checks the transition again (`states`), posts the ledger legs
(`hutong.payments.legs`), updates the row and writes the events, all in one
transaction. Steps are functions that return that write (a `Write` of the
payment) so the route can run it exactly once per message id (`run_decided`).

The wallet is asked with message ids derived from the payment and the step
(a retry of the same request asks with the same id, so the wallet never
charges twice); the hold is keyed by the payment at the wallet as well.

Every wallet asked to authorize a payment is recorded before it is asked
(`payment_attempts`): a wallet whose call timed out may have held anyway,
late. When the payment leaves ``created`` (authorized with another wallet,
voided or expired), each asked wallet the payment does not name is told, in
the same transaction, ``on_payment_released {payment_id, reason}`` (reason
``paid_with_another_wallet``, ``voided`` or ``expired``) and releases its hold.

The modules: `create`, `authorize`, `capture`, `void` (and expiry) and
`refund` are the steps; `steps` what they share, `wallets` which wallets may
pay, `notices` whom a step tells. `store` keeps the rows (payments, refunds,
the wallets' profiles, acceptance policies); `states` is the pure state
machine and `acceptance` the pure rules of which wallets a platform accepts.
"""

from hutong.payments.checkout import store
from hutong.payments.checkout.acceptance import AcceptanceHistory, AcceptancePolicy, WalletChoice
from hutong.payments.checkout.authorize import (
    apply_authorized,
    attempt_record,
    authorizable,
    authorize,
    authorize_hold,
)
from hutong.payments.checkout.capture import capture
from hutong.payments.checkout.create import (
    DEFAULT_HOLD_SECONDS,
    DEFAULT_PAY_WITHIN,
    NewPayment,
    PaymentCreated,
    create,
)
from hutong.payments.checkout.refund import refund
from hutong.payments.checkout.states import PaymentEvent, PaymentState
from hutong.payments.checkout.steps import readable, step
from hutong.payments.checkout.store import PaymentRow, WalletProfile
from hutong.payments.checkout.void import expire_due, void
from hutong.payments.checkout.wallets import (
    check_wallet,
    choice_out,
    record_refusals,
    wallet_choice,
    wallet_profile_for,
)

__all__ = [
    "DEFAULT_HOLD_SECONDS",
    "DEFAULT_PAY_WITHIN",
    "AcceptanceHistory",
    "AcceptancePolicy",
    "NewPayment",
    "PaymentCreated",
    "PaymentEvent",
    "PaymentRow",
    "PaymentState",
    "WalletChoice",
    "WalletProfile",
    "apply_authorized",
    "attempt_record",
    "authorizable",
    "authorize",
    "authorize_hold",
    "capture",
    "check_wallet",
    "choice_out",
    "create",
    "expire_due",
    "readable",
    "record_refusals",
    "refund",
    "step",
    "store",
    "void",
    "wallet_choice",
    "wallet_profile_for",
]
