"""Creating a payment: by the buyer's host or the merchant's home platform, for one merchant.

What the body names must exist, or it is the body's mistake (422, the codes of
order intake): the merchant (``no_such_merchant``), the wallet
(``unknown_wallet``), the buyer's host (``invalid_host``, a registered platform).

The wallet may be named at once (it is checked against both platforms'
acceptance) or chosen when authorizing; either way the answer lists the
wallets the buyer may choose, with every refusal and its reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.payments.checkout import store
from hutong.payments.checkout.acceptance import WalletChoice
from hutong.payments.checkout.notices import notify
from hutong.payments.checkout.states import PaymentState
from hutong.payments.checkout.wallets import (
    check_wallet,
    record_refusals,
    wallet_choice,
    wallet_profile_for,
)
from hutong.payments.fees import PaymentKind
from hutong.payments.rules import is_amount
from hutong.protocol.errors import (
    ForbiddenError,
    ValidationError,
)
from hutong.protocol.ids import new_id
from hutong.registry.models import Role
from hutong.registry.service import get_participant, require_role
from hutong.runtime.exactly_once import Write
from hutong.runtime.services import Services

#: How long a created payment waits for authorization, and how long a hold lasts.
DEFAULT_PAY_WITHIN = 1800
DEFAULT_HOLD_SECONDS = 7 * 86_400
MAX_HOLD_SECONDS = 30 * 86_400


@dataclass(frozen=True, slots=True)
class NewPayment:
    merchant: str
    amount: int
    host: str = ""
    wallet: str = ""
    payer: str = ""
    reference: str = ""
    pay_within: int = DEFAULT_PAY_WITHIN
    hold_seconds: int = DEFAULT_HOLD_SECONDS
    kind: str = PaymentKind.ORDER.value


@dataclass(frozen=True, slots=True)
class PaymentCreated:
    """A new payment and the wallets its buyer may choose (every refusal with its reason)."""

    payment: store.PaymentRow
    wallets: WalletChoice


async def _require_host(conn: AsyncConnection, host: str) -> None:
    """The buyer's host the body names: a registered platform, or 422 ``invalid_host``."""
    found = await get_participant(conn, host)
    if found is None or not found.has_role(Role.PLATFORM):
        raise ValidationError(f"{host} is not a registered platform", code="invalid_host")


async def create(services: Services, sender: str, spec: NewPayment) -> Write[PaymentCreated]:
    """A payment for `spec.merchant`, created by the host or the merchant's home platform."""
    await require_role(services.db, sender, Role.PLATFORM)
    if not (is_amount(spec.amount) and spec.amount > 0):
        raise ValidationError("amount is a positive whole number of fen", code="invalid_amount")
    if not 60 <= spec.pay_within <= MAX_HOLD_SECONDS:
        raise ValidationError("pay_within is 60 s to 30 days", code="invalid_deadline")
    if not 60 <= spec.hold_seconds <= MAX_HOLD_SECONDS:
        raise ValidationError("hold_seconds is 60 s to 30 days", code="invalid_deadline")
    if bool(spec.wallet) != bool(spec.payer):
        raise ValidationError("wallet and payer go together", code="invalid_payer")
    kind = PaymentKind(spec.kind)
    host = spec.host or sender
    async with services.db.read() as conn:
        merchant_platform = await store.named_merchant_home(conn, spec.merchant)
        if host != sender:  # the sender is a platform (checked above)
            await _require_host(conn, host)
    if sender not in (host, merchant_platform):
        raise ForbiddenError(
            f"only the host or {spec.merchant}'s platform may create its payments",
            code="not_a_party",
        )
    payment_id = new_id("pay")
    if spec.wallet:
        await wallet_profile_for(services, spec.wallet, kind.value)
        choice = await check_wallet(services, spec.wallet, host, merchant_platform, payment_id)
    else:
        choice = await wallet_choice(services, host, merchant_platform)
        await record_refusals(services, choice, payment_id)

    async def write(conn: AsyncConnection) -> PaymentCreated:
        now = services.clock()
        payment = store.PaymentRow(
            id=payment_id,
            kind=kind.value,
            created_by=sender,
            host=host,
            merchant=spec.merchant,
            merchant_platform=merchant_platform,
            wallet=spec.wallet,
            payer=spec.payer,
            amount=spec.amount,
            state=PaymentState.CREATED,
            captured=0,
            refunded=0,
            fee=0,
            fee_returned=0,
            hold_seconds=spec.hold_seconds,
            expires_at=now + timedelta(seconds=spec.pay_within),
            reference=spec.reference,
            created_at=now,
            updated_at=now,
        )
        await store.insert_payment(conn, payment)
        await notify(conn, payment, now)
        return PaymentCreated(payment, choice)

    return write
