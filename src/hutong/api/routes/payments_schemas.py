"""Request bodies of the payments API (decoded strictly: money is a JSON integer)."""

from __future__ import annotations

from datetime import date

import msgspec

from hutong.api.schemas import CorrectionIn
from hutong.payments.checkout import DEFAULT_HOLD_SECONDS, DEFAULT_PAY_WITHIN
from hutong.payments.pay_for_me import DEFAULT_EXPIRES_IN
from hutong.protocol.envelope import Context


class FeeIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    #: order, pay_for_me or transfer
    kind: str
    bps: int = 0
    fixed: int = 0


class WalletProfileIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    currencies: list[str] = msgspec.field(default_factory=lambda: ["CNY"])
    fees: list[FeeIn]


class SignedWalletProfile(msgspec.Struct, kw_only=True):
    context: Context
    message: WalletProfileIn


class AcceptanceIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    valid_from: date
    #: None: every registered wallet; otherwise only these.
    accepts: list[str] | None = None
    #: Wallets refused by name, each with its reason.
    refused: dict[str, str] = msgspec.field(default_factory=dict)
    note: str = ""
    #: Present only on a back-dated version (`hutong.protocol.declared_time`).
    correction: CorrectionIn | None = None


class SignedAcceptance(msgspec.Struct, kw_only=True):
    context: Context
    message: AcceptanceIn


class PaymentIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    merchant: str
    amount: int
    #: The app the buyer is in (default: the sender).
    host: str = ""
    wallet: str = ""
    #: The payer's account at the wallet (an opaque reference).
    payer: str = ""
    reference: str = ""
    pay_within: int = DEFAULT_PAY_WITHIN
    hold_seconds: int = DEFAULT_HOLD_SECONDS


class SignedPayment(msgspec.Struct, kw_only=True):
    context: Context
    message: PaymentIn


class AuthorizeIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    wallet: str = ""
    payer: str = ""


class SignedAuthorize(msgspec.Struct, kw_only=True):
    context: Context
    message: AuthorizeIn


class CaptureIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    #: Fen to capture (default: the whole amount).
    amount: int | None = None


class SignedCapture(msgspec.Struct, kw_only=True):
    context: Context
    message: CaptureIn


class RefundIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    amount: int
    #: The caller's id of this refund (default: the request's message id).
    refund_id: str = ""


class SignedRefund(msgspec.Struct, kw_only=True):
    context: Context
    message: RefundIn


class Empty(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    pass


class SignedEmpty(msgspec.Struct, kw_only=True):
    context: Context
    message: Empty = msgspec.field(default_factory=Empty)


class PayForMeIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    #: The buyer's pseudonymous id at the host.
    buyer: str
    expires_in: int = DEFAULT_EXPIRES_IN
    note: str = ""


class SignedPayForMe(msgspec.Struct, kw_only=True):
    context: Context
    message: PayForMeIn


class PayIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    wallet: str
    payer: str


class SignedPay(msgspec.Struct, kw_only=True):
    context: Context
    message: PayIn
