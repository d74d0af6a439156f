"""Pay-for-me (找朋友帮忙付): a buyer hands a payment to someone else to pay.

The buyer's host turns a created payment into a request with a universal
link (``/p/{code}``) and a share code, made by the link machinery. Anyone who
opens it, in any app, can pay it with any wallet that app and the merchant's
platform accept. It is paid once: the first payer claims it while the
wallet is asked (a second payer meanwhile is refused with
``payment_in_progress``, after it with ``already_paid``); a refused or
unanswered wallet gives the claim back. An unanswered wallet may still have
held, late: every wallet asked is recorded before it is asked, and once the
request is paid with another wallet (or its payment is voided or expires)
each of them is sent ``on_payment_released {payment_id, reason}`` to release
its hold (see `hutong.payments.checkout`). It expires, and it can be withdrawn
by the requester. The requester (for the buyer) and the payer's app are both
told what happened.
"""

from hutong.payments.pay_for_me.service import (
    DEFAULT_EXPIRES_IN,
    PayForMePaid,
    cancel,
    create,
    expire_due,
    pay,
    share_key,
)
from hutong.payments.pay_for_me.share_codes import SharedRequest, by_share_text
from hutong.payments.pay_for_me.states import PayForMeState
from hutong.payments.pay_for_me.store import PayForMe, find, require

__all__ = [
    "DEFAULT_EXPIRES_IN",
    "PayForMe",
    "PayForMePaid",
    "PayForMeState",
    "SharedRequest",
    "by_share_text",
    "cancel",
    "create",
    "expire_due",
    "find",
    "pay",
    "require",
    "share_key",
]
