"""Pay-for-me: making a request, paying it (once), withdrawing it, expiring it.

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
its hold (see `hutong.payments.checkout.authorize`). It expires, and it can
be withdrawn by the requester. The requester (for the buyer) and the payer's
app are both told what happened.

An order's payment names the wallet the host chose, yet a friend pays it with
the wallet of the friend's choice (nothing was quoted for the named one: the
fee is the capturing wallet's, charged at capture). The order then names the
paying wallet, in the same transaction (`order_paid_with`), so that its
capture, void, refunds and split, and the events of its money, go to the
wallet that holds the money.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.events.outbox import enqueue
from hutong.links.share_code import MAX_SERIAL
from hutong.links.store import new_link_code
from hutong.net.transport import CallTransport
from hutong.payments import checkout
from hutong.payments.checkout import PaymentEvent, PaymentState
from hutong.payments.pay_for_me.states import PayForMeEvent, PayForMeState, pay_for_me_transition
from hutong.payments.pay_for_me.store import PayForMe, order_paid_with, require
from hutong.protocol.errors import (
    ConflictError,
    ForbiddenError,
    ValidationError,
)
from hutong.protocol.ids import new_id
from hutong.registry.models import Role
from hutong.registry.service import require_participant
from hutong.runtime.exactly_once import Write
from hutong.runtime.services import Services
from hutong.store.tables import pay_for_me_requests

DEFAULT_EXPIRES_IN = 86_400

MAX_EXPIRES_IN = 7 * 86_400


@dataclass(frozen=True, slots=True)
class PayForMePaid:
    """A request just paid, and its payment (now authorized)."""

    request: PayForMe
    payment: checkout.PaymentRow


def share_key(services: Services) -> bytes:
    """Pay-for-me share codes have a key of their own: they never open a product link."""
    return hashlib.blake2b(services.share_key(), digest_size=32, person=b"hutong-pay4me").digest()


def _transition(request: PayForMe, event: PayForMeEvent, now: datetime) -> PayForMeState:
    return pay_for_me_transition(request.state, event, now=now, expires_at=request.expires_at)


async def _tell(
    conn: AsyncConnection, request: PayForMe, payment: checkout.PaymentRow, now: datetime
) -> None:
    """Tell the requester and the payer's app; only the requester learns the buyer's id."""
    message = {
        "request_id": request.id,
        "payment_id": request.payment_id,
        "state": request.state.value,
        "merchant": payment.merchant,
        "amount": payment.amount,
        "payer_host": request.payer_host,
        "payer_wallet": request.payer_wallet,
    }
    for recipient in sorted({request.requester, request.payer_host or ""} - {""}):
        mine = {"buyer": request.buyer} if recipient == request.requester else {}
        await enqueue(
            conn,
            recipient=recipient,
            action="on_pay_for_me",
            message=message | mine,
            now=now,
            transaction_id=request.id,
        )


async def create(
    services: Services,
    sender: str,
    payment_id: str,
    *,
    buyer: str,
    expires_in: int,
    note: str,
) -> Write[PayForMe]:
    """The payment's host asks for someone else to pay it."""
    if not 60 <= expires_in <= MAX_EXPIRES_IN:
        raise ValidationError("expires_in is 60 s to 7 days", code="invalid_deadline")
    if not buyer or len(buyer) > 255 or len(note) > 255:
        raise ValidationError(
            "buyer is 1 to 255 characters, note at most 255", code="invalid_request"
        )
    async with services.db.read() as conn:
        payment = await checkout.store.require_payment(conn, payment_id)
    if sender != payment.host:
        raise ForbiddenError(
            f"only the buyer's host ({payment.host}) may ask someone else to pay",
            code="not_a_party",
        )
    if payment.state is not PaymentState.CREATED:
        raise ConflictError(
            f"payment {payment_id} is {payment.state.value}; only an unpaid one can be handed on",
            code="not_payable",
        )

    async def write(conn: AsyncConnection) -> PayForMe:
        now = services.clock()
        current = await checkout.store.require_payment(conn, payment_id, lock=True)
        if current.state is not PaymentState.CREATED:
            raise ConflictError(
                f"payment {payment_id} is {current.state.value}", code="not_payable"
            )
        earlier = await conn.scalar(
            select(pay_for_me_requests.c.id).where(pay_for_me_requests.c.payment_id == payment_id)
        )
        if earlier is not None:
            raise ConflictError(
                f"payment {payment_id} already has pay-for-me request {earlier}",
                code="already_requested",
            )
        expires_at = now + timedelta(seconds=expires_in)
        request_id = new_id("pfm")
        for _ in range(8):
            values = {
                "id": request_id,
                "payment_id": payment_id,
                "code": new_link_code(),
                "share_serial": secrets.randbelow(MAX_SERIAL + 1),
                "requester": sender,
                "buyer": buyer,
                "note": note,
                "state": PayForMeState.OPEN.value,
                "expires_at": expires_at,
                "claimed_by": None,
                "claimed_until": None,
                "payer_host": None,
                "payer_wallet": None,
                "created_at": now,
                "updated_at": now,
            }
            try:
                async with conn.begin_nested():
                    await conn.execute(insert(pay_for_me_requests), values)
                break
            except IntegrityError:  # a random code or serial collided: draw again
                continue
        else:
            raise RuntimeError("could not draw a unique pay-for-me code")
        if current.expires_at is None or current.expires_at < expires_at:
            await checkout.store.update_payment(
                conn, payment_id, expires_at=expires_at, updated_at=now
            )
        return await require(conn, request_id=request_id)

    return write


def _claim_window(services: Services) -> timedelta:
    settings = services.settings
    return timedelta(
        seconds=settings.wallet_call_timeout * max(settings.wallet_call_attempts, 1) + 5
    )


async def _claim(services: Services, request_id: str, attempt: str) -> None:
    now = services.clock()
    async with services.db.transaction() as conn:
        result = await conn.execute(
            update(pay_for_me_requests)
            .where(
                pay_for_me_requests.c.id == request_id,
                pay_for_me_requests.c.state == PayForMeState.OPEN.value,
                or_(
                    pay_for_me_requests.c.claimed_by.is_(None),
                    pay_for_me_requests.c.claimed_by == attempt,
                    pay_for_me_requests.c.claimed_until <= now,
                ),
            )
            .values(claimed_by=attempt, claimed_until=now + _claim_window(services))
        )
        claimed = result.rowcount == 1
    if not claimed:
        raise ConflictError("someone is paying this request right now", code="payment_in_progress")


async def _unclaim(services: Services, request_id: str, attempt: str) -> None:
    async with services.db.transaction() as conn:
        await conn.execute(
            update(pay_for_me_requests)
            .where(
                pay_for_me_requests.c.id == request_id, pay_for_me_requests.c.claimed_by == attempt
            )
            .values(claimed_by=None, claimed_until=None)
        )


async def pay(
    services: Services,
    http: CallTransport,
    sender: str,
    code: str,
    *,
    wallet: str,
    payer: str,
    attempt: str,
) -> Write[PayForMePaid]:
    """`sender` (the payer's app: a platform or a wallet's own app) pays the request."""
    async with services.db.read() as conn:
        participant = await require_participant(conn, sender)
        request = await require(conn, code=code)
        payment = await checkout.store.require_payment(conn, request.payment_id)
    if not (participant.has_role(Role.PLATFORM) or participant.has_role(Role.WALLET)):
        raise ForbiddenError(
            "a pay-for-me request is paid from a platform's or a wallet's app", code="wrong_role"
        )
    if not wallet or not payer:
        raise ValidationError("say which wallet and payer pay", code="invalid_payer")
    now = services.clock()
    _transition(request, PayForMeEvent.PAY, now)
    if payment.state is not PaymentState.CREATED:
        # Voided, expired or paid by the buyer meanwhile: no wallet may hold for it.
        raise ConflictError(
            f"payment {payment.id} is {payment.state.value}; it can no longer be paid",
            code="not_payable",
        )
    checkout.step(payment, PaymentEvent.AUTHORIZE, now=now)  # past its deadline: payment_expired
    await checkout.wallet_profile_for(services, wallet, payment.kind)
    await checkout.check_wallet(services, wallet, sender, payment.merchant_platform, payment.id)
    await _claim(services, request.id, attempt)
    try:
        await checkout.authorize_hold(services, http, payment, wallet, payer, attempt)
    except BaseException:
        await _unclaim(services, request.id, attempt)
        raise

    async def write(conn: AsyncConnection) -> PayForMePaid:
        now = services.clock()
        current = await require(conn, request_id=request.id)
        if current.claimed_by != attempt:
            raise ConflictError("the claim on this request lapsed; pay again", code="claim_lapsed")
        state = _transition(current, PayForMeEvent.PAY, now)
        if wallet != payment.wallet and payment.reference:  # an order's: it follows, first
            await order_paid_with(conn, payment.id, payment.reference, wallet, now)
        changed_payment = await checkout.apply_authorized(services, conn, payment.id, wallet, payer)
        await conn.execute(
            update(pay_for_me_requests)
            .where(pay_for_me_requests.c.id == current.id)
            .values(
                state=state.value,
                payer_host=sender,
                payer_wallet=wallet,
                claimed_by=None,
                claimed_until=None,
                updated_at=now,
            )
        )
        paid = await require(conn, request_id=current.id)
        await _tell(conn, paid, changed_payment, now)
        return PayForMePaid(paid, changed_payment)

    return write


async def cancel(services: Services, sender: str, request_id: str) -> Write[PayForMe]:
    """The requester withdraws its request (not while someone is paying it)."""

    async def write(conn: AsyncConnection) -> PayForMe:
        now = services.clock()
        request = await require(conn, request_id=request_id)
        if sender != request.requester:
            raise ForbiddenError("only the requester may withdraw it", code="not_a_party")
        if request.claimed_by and request.claimed_until and request.claimed_until > now:
            raise ConflictError(
                "someone is paying this request right now", code="payment_in_progress"
            )
        state = _transition(request, PayForMeEvent.CANCEL, now)
        await conn.execute(
            update(pay_for_me_requests)
            .where(pay_for_me_requests.c.id == request.id)
            .values(state=state.value, updated_at=now)
        )
        changed = await require(conn, request_id=request.id)
        payment = await checkout.store.require_payment(conn, request.payment_id)
        await _tell(conn, changed, payment, now)
        return changed

    return write


async def expire_due(services: Services, limit: int = 200) -> int:
    """Expire open requests past their deadline and tell the requester."""
    now = services.clock()
    async with services.db.read() as conn:
        due = list(
            (
                await conn.execute(
                    select(pay_for_me_requests.c.id)
                    .where(
                        pay_for_me_requests.c.state == PayForMeState.OPEN.value,
                        pay_for_me_requests.c.expires_at <= now,
                    )
                    .limit(limit)
                )
            ).scalars()
        )
    for request_id in due:
        async with services.db.transaction() as conn:
            request = await require(conn, request_id=request_id)
            if request.state is not PayForMeState.OPEN:
                continue
            if request.claimed_by and request.claimed_until and request.claimed_until > now:
                continue  # a payer is being asked; the next sweep decides
            await conn.execute(
                update(pay_for_me_requests)
                .where(pay_for_me_requests.c.id == request_id)
                .values(state=PayForMeState.EXPIRED.value, updated_at=now)
            )
            payment = await checkout.store.require_payment(conn, request.payment_id)
            await _tell(conn, await require(conn, request_id=request_id), payment, now)
    return len(due)
