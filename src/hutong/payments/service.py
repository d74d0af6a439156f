"""Payments for orders: create, authorize, capture, void, refund, expire.

Each step that involves the wallet asks it first (a signed decision call, see
`hutong.net.calls`), then runs one write that locks the payment's row, checks the
transition again (`hutong.payments.states`), posts the ledger legs
(`hutong.payments.legs`), updates the row and writes the events, all in one
transaction. Steps are functions that return that write (a `Write[...]` of the payment) so
the route can run it exactly once per message id (`run_decided`).

The wallet is asked with message ids derived from the payment and the step
(a retry of the same request asks with the same id, so the wallet never
charges twice); the hold is keyed by the payment at the wallet as well.

Every wallet asked to authorize a payment is recorded before it is asked
(`payment_attempts`): a wallet whose call timed out may have held anyway,
late. When the payment leaves ``created`` (authorized with another wallet,
voided or expired), each asked wallet the payment does not name is told, in
the same transaction, ``on_payment_released {payment_id, reason}`` (reason
``paid_with_another_wallet``, ``voided`` or ``expired``) and releases its hold.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.events.outbox import enqueue
from hutong.ledger.models import Result
from hutong.ledger.store import apply_batches
from hutong.net.calls import call
from hutong.net.transport import CallTransport
from hutong.payments import legs, store
from hutong.payments.acceptance import WalletChoice, choosable_wallets
from hutong.payments.fees import PaymentKind
from hutong.payments.posting import ensure_accounts, post
from hutong.payments.states import Payment, PaymentEvent, PaymentState, is_amount
from hutong.protocol.errors import ConflictError, ForbiddenError, HutongError, ValidationError
from hutong.protocol.ids import new_id
from hutong.registry.models import Role, Status
from hutong.registry.service import require_participant, require_role
from hutong.runtime.exactly_once import Write
from hutong.runtime.services import Services
from hutong.store.tables import participants, payment_attempts

#: How long a created payment waits for authorization, and how long a hold lasts.
DEFAULT_PAY_WITHIN = 1800
DEFAULT_HOLD_SECONDS = 7 * 86_400
MAX_HOLD_SECONDS = 30 * 86_400
#: Ledger results that mean "the hold is already gone" when releasing it.
_ALREADY_RELEASED = frozenset(
    {Result.PENDING_TRANSFER_EXPIRED, Result.PENDING_TRANSFER_ALREADY_VOIDED}
)


def model(payment: store.PaymentRow) -> Payment:
    return Payment(
        amount=payment.amount,
        state=payment.state,
        captured=payment.captured,
        refunded=payment.refunded,
        expires_at=payment.expires_at,
    )


def step(
    payment: store.PaymentRow,
    event: PaymentEvent,
    value: int = 0,
    *,
    now: datetime,
    hold_until: datetime | None = None,
) -> Payment:
    """The payment after `event`, or the `PaymentError` refusing it (its kind decides)."""
    return model(payment).apply(event, value, now=now, hold_until=hold_until)


# -- reading ------------------------------------------------------------------------------


async def wallet_choice(services: Services, host: str, merchant_platform: str) -> WalletChoice:
    """The wallets a buyer in `host` may pick for a merchant of `merchant_platform` today."""
    async with services.db.read() as conn:
        wallets = await store.registered_wallets(conn)
        host_history = await store.acceptance_history(conn, host)
        merchant_history = (
            host_history
            if merchant_platform == host
            else await store.acceptance_history(conn, merchant_platform)
        )
    return choosable_wallets(wallets, host_history, merchant_history, services.clock().date())


def choice_out(choice: WalletChoice) -> dict[str, Any]:
    return {"allowed": choice.allowed, "refused": [r.to_dict() for r in choice.refused]}


async def record_refusals(
    services: Services, choice: WalletChoice, subject: str, conn: AsyncConnection | None = None
) -> None:
    """Keep every refusal as evidence and tell the auditors (in `conn`, or in a transaction)."""
    if not choice.refused:
        return
    if conn is None:
        async with services.db.transaction() as own:
            await record_refusals(services, choice, subject, own)
        return
    now = services.clock()
    await store.record_refusals(conn, choice.refused, subject, now)
    auditors = (
        await conn.execute(
            participants.select()
            .with_only_columns(participants.c.subscriber_id, participants.c.roles)
            .where(participants.c.status == Status.ACTIVE.value)
        )
    ).all()
    for auditor in (a.subscriber_id for a in auditors if Role.AUDITOR.value in a.roles.split()):
        for refusal in choice.refused:
            await enqueue(
                conn,
                recipient=auditor,
                action="on_wallet_refusal",
                message={"subject": subject} | refusal.to_dict(),
                now=now,
            )


async def notify(conn: AsyncConnection, payment: store.PaymentRow, now: datetime) -> None:
    """Tell every party of the payment (and its wallet) its new state.

    The message names the payment as ``payment_id`` (as the wallet's own calls
    do) besides ``id``: a wallet releases its hold on ``voided`` or ``expired``.
    """
    message = {"payment_id": payment.id} | payment.to_dict()
    for recipient in sorted({*payment.parties, payment.wallet} - {""}):
        await enqueue(
            conn,
            recipient=recipient,
            action="on_payment",
            message=message,
            now=now,
            transaction_id=payment.id,
        )


async def tell_asked_wallets(
    conn: AsyncConnection, payment: store.PaymentRow, reason: str, now: datetime
) -> None:
    """Tell each wallet asked to authorize `payment`, other than its own, to release its hold.

    Only the payment's id and why: a wallet that is not the payment's learns
    nothing else of it.
    """
    asked = await conn.execute(
        select(payment_attempts.c.wallet).where(payment_attempts.c.payment_id == payment.id)
    )
    for wallet in sorted(set(asked.scalars()) - {payment.wallet}):
        await enqueue(
            conn,
            recipient=wallet,
            action="on_payment_released",
            message={"payment_id": payment.id, "reason": reason},
            now=now,
            transaction_id=payment.id,
        )


async def readable(services: Services, reader: str, payment_id: str) -> store.PaymentRow:
    """The payment, for its parties, its wallet and auditors."""
    async with services.db.read() as conn:
        payment = await store.require_payment(conn, payment_id)
        participant = await require_participant(conn, reader)
    if reader in payment.parties or reader == payment.wallet or participant.has_role(Role.AUDITOR):
        return payment
    raise ForbiddenError(f"{reader} is not a party of payment {payment_id}", code="not_a_party")


async def _party(services: Services, sender: str, payment_id: str) -> store.PaymentRow:
    async with services.db.read() as conn:
        payment = await store.require_payment(conn, payment_id)
    if sender not in payment.parties:
        raise ForbiddenError(f"{sender} is not a party of payment {payment_id}", code="not_a_party")
    return payment


# -- creating -------------------------------------------------------------------------------


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


async def wallet_profile_for(services: Services, wallet: str, kind: str) -> store.WalletProfile:
    async with services.db.read() as conn:
        participant = await require_participant(conn, wallet)
        profile = await store.wallet_profile(conn, wallet)
    if not participant.has_role(Role.WALLET) or profile is None:
        raise ValidationError(f"{wallet} is not a registered wallet", code="unknown_wallet")
    if participant.status is not Status.ACTIVE:
        raise ConflictError(f"{wallet} is {participant.status.value}", code="wallet_inactive")
    if not profile.fees.serves(PaymentKind(kind)):
        raise ConflictError(
            f"{wallet} declares no fee for {kind} payments: it does not serve them",
            code="wallet_does_not_serve",
        )
    return profile


async def check_wallet(
    services: Services, wallet: str, host: str, merchant_platform: str, subject: str
) -> WalletChoice:
    """Refuse a wallet that the host or the merchant's platform does not accept (recorded)."""
    choice = await wallet_choice(services, host, merchant_platform)
    await record_refusals(services, choice, subject)
    mine = [r for r in choice.refused if r.wallet == wallet]
    if mine:
        raise ConflictError("; ".join(r.explain() for r in mine), code="wallet_not_accepted")
    return choice


@dataclass(frozen=True, slots=True)
class PaymentCreated:
    """A new payment and the wallets its buyer may choose (every refusal with its reason)."""

    payment: store.PaymentRow
    wallets: WalletChoice


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
    async with services.db.read() as conn:
        merchant_platform = await store.home_platform(conn, spec.merchant)
        host = spec.host or sender
        await require_participant(conn, host)
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


# -- the wallet's steps -----------------------------------------------------------------------


def _http_options(services: Services) -> dict[str, Any]:
    return {
        "timeout": services.settings.wallet_call_timeout,
        "attempts": services.settings.wallet_call_attempts,
    }


async def ask_wallet(
    services: Services,
    http: CallTransport,
    wallet: str,
    action: str,
    message: dict[str, Any],
    message_id: str,
) -> dict[str, Any]:
    return await call(
        services, http, wallet, action, message, message_id=message_id, **_http_options(services)
    )


async def authorize_hold(
    services: Services,
    http: CallTransport,
    payment: store.PaymentRow,
    wallet: str,
    payer: str,
    attempt: str,
) -> None:
    """Ask `wallet` to hold the amount for `payer` (raises its refusal, or `CallFailed`).

    The ask is recorded first, in its own transaction that locks the payment
    and checks it may still be authorized: a payment that becomes authorized,
    voided or expired afterwards sees this wallet and tells it to release.
    """
    await _record_attempt(services, payment.id, wallet, attempt)
    await ensure_accounts(
        services.db,
        [*legs.wallet_accounts(wallet), *legs.merchant_accounts(payment.merchant)],
        services.clock(),
    )
    await ask_wallet(
        services,
        http,
        wallet,
        "authorize",
        {
            "payment_id": payment.id,
            "payer": payer,
            "amount": payment.amount,
            "merchant": payment.merchant,
            "kind": payment.kind,
            "hold_seconds": payment.hold_seconds,
        },
        f"{payment.id}.authorize.{attempt}",
    )


async def _record_attempt(services: Services, payment_id: str, wallet: str, attempt: str) -> None:
    try:
        async with services.db.transaction() as conn:
            now = services.clock()
            current = await store.require_payment(conn, payment_id, lock=True)
            step(current, PaymentEvent.AUTHORIZE, now=now)
            await conn.execute(
                insert(payment_attempts).values(
                    payment_id=payment_id, wallet=wallet, attempt=attempt, asked_at=now
                )
            )
    except IntegrityError:  # the same request asking again (a retry): already recorded
        pass


async def apply_authorized(
    services: Services, conn: AsyncConnection, payment_id: str, wallet: str, payer: str
) -> store.PaymentRow:
    """In `conn`: hold the money in the ledger and mark the payment authorized."""
    now = services.clock()
    payment = await store.require_payment(conn, payment_id, lock=True)
    after = step(
        payment,
        PaymentEvent.AUTHORIZE,
        now=now,
        hold_until=now + timedelta(seconds=payment.hold_seconds),
    )
    await post(
        conn,
        legs.hold(payment.id, wallet, payment.merchant, payment.amount, payment.hold_seconds),
        now,
    )
    changed = replace(
        payment,
        state=after.state,
        wallet=wallet,
        payer=payer,
        expires_at=after.expires_at,
        updated_at=now,
    )
    await store.update_payment(
        conn,
        payment.id,
        state=changed.state,
        wallet=wallet,
        payer=payer,
        expires_at=changed.expires_at,
        updated_at=now,
    )
    await notify(conn, changed, now)
    await tell_asked_wallets(conn, changed, "paid_with_another_wallet", now)
    return changed


async def authorize(
    services: Services,
    http: CallTransport,
    sender: str,
    payment_id: str,
    *,
    wallet: str = "",
    payer: str = "",
    attempt: str,
) -> Write[store.PaymentRow]:
    payment = await _party(services, sender, payment_id)
    step(payment, PaymentEvent.AUTHORIZE, now=services.clock())
    wallet, payer = wallet or payment.wallet, payer or payment.payer
    if not wallet or not payer:
        raise ValidationError("say which wallet and payer pay", code="invalid_payer")
    if payment.wallet and wallet != payment.wallet:
        raise ConflictError(
            f"payment {payment_id} is to be paid with {payment.wallet}", code="wallet_mismatch"
        )
    await wallet_profile_for(services, wallet, payment.kind)
    if not payment.wallet:
        await check_wallet(services, wallet, payment.host, payment.merchant_platform, payment.id)
    await authorize_hold(services, http, payment, wallet, payer, attempt)

    async def write(conn: AsyncConnection) -> store.PaymentRow:
        return await apply_authorized(services, conn, payment_id, wallet, payer)

    return write


def _agrees(wallet: str, answer: dict[str, Any], field: str, value: int, code: str) -> None:
    """Refuse to book `value` when the wallet says it moved another amount.

    A wallet answers a step again by its message id, so after a call that
    timed out (the wallet acted, late) a new request for another amount gets
    the first answer back: booking the new amount would split the wallet's
    books from the ledger's.
    """
    moved = answer.get(field)
    if moved != value:
        raise ConflictError(
            f"{wallet} already {field} {moved!r} fen for this step, not {value}", code=code
        )


async def capture(
    services: Services, http: CallTransport, sender: str, payment_id: str, value: int | None
) -> Write[store.PaymentRow]:
    payment = await _party(services, sender, payment_id)
    amount = payment.amount if value is None else value
    step(payment, PaymentEvent.CAPTURE, amount, now=services.clock())
    profile = await wallet_profile_for(services, payment.wallet, payment.kind)
    fee = profile.fees.fee(PaymentKind(payment.kind), amount)
    answer = await ask_wallet(
        services,
        http,
        payment.wallet,
        "capture",
        {"payment_id": payment.id, "amount": amount},
        f"{payment.id}.capture",
    )
    _agrees(payment.wallet, answer, "captured", amount, "already_captured")

    async def write(conn: AsyncConnection) -> store.PaymentRow:
        now = services.clock()
        current = await store.require_payment(conn, payment_id, lock=True)
        after = step(current, PaymentEvent.CAPTURE, amount, now=now)
        await post(
            conn,
            legs.capture(current.id, current.wallet, current.merchant, amount, fee),
            now,
            refusals={
                Result.PENDING_TRANSFER_EXPIRED: ("hold_expired", "the hold lapsed in the ledger")
            },
        )
        changed = replace(current, state=after.state, captured=amount, fee=fee, updated_at=now)
        await store.update_payment(
            conn, current.id, state=after.state, captured=amount, fee=fee, updated_at=now
        )
        await notify(conn, changed, now)
        return changed

    return write


async def release_hold(
    services: Services, conn: AsyncConnection, payment: store.PaymentRow, event: PaymentEvent
) -> store.PaymentRow:
    """In `conn`: void or expire the payment, releasing its hold in the ledger if it had one."""
    now = services.clock()
    after = step(payment, event, now=now)
    if payment.state is PaymentState.AUTHORIZED:
        await _post_release(conn, payment.id, now)
    changed = replace(payment, state=after.state, updated_at=now)
    await store.update_payment(conn, payment.id, state=after.state, updated_at=now)
    await notify(conn, changed, now)
    if payment.state is PaymentState.CREATED:  # once authorized, the others were told then
        await tell_asked_wallets(conn, changed, after.state.value, now)
    return changed


async def _post_release(conn: AsyncConnection, payment_id: str, now: datetime) -> list[Result]:
    (results,) = await apply_batches(conn, [legs.release(payment_id)], now)
    if not all(r.succeeded or r in _ALREADY_RELEASED for r in results):
        raise ConflictError(f"the ledger refused to release the hold: {results[0].value}")
    return results


async def void(
    services: Services, http: CallTransport, sender: str, payment_id: str
) -> Write[store.PaymentRow]:
    payment = await _party(services, sender, payment_id)
    step(payment, PaymentEvent.VOID, now=services.clock())
    if payment.state is PaymentState.AUTHORIZED:
        await ask_wallet(
            services,
            http,
            payment.wallet,
            "void",
            {"payment_id": payment.id},
            f"{payment.id}.void",
        )

    async def write(conn: AsyncConnection) -> store.PaymentRow:
        current = await store.require_payment(conn, payment_id, lock=True)
        return await release_hold(services, conn, current, PaymentEvent.VOID)

    return write


MAX_REFUND_ID = 64


async def refund(
    services: Services,
    http: CallTransport,
    sender: str,
    payment_id: str,
    value: int,
    refund_id: str,
) -> Write[store.PaymentRow]:
    """Give `value` fen back, once per `refund_id`; the payment after it (or as it stands)."""
    if not refund_id or len(refund_id) > MAX_REFUND_ID:
        raise ValidationError(
            f"refund_id is 1 to {MAX_REFUND_ID} characters", code="invalid_refund_id"
        )
    payment = await _party(services, sender, payment_id)
    async with services.db.read() as conn:
        earlier = await store.find_refund(conn, payment_id, refund_id)
    if earlier is not None and earlier != value:
        raise ConflictError(
            f"refund {refund_id} was for {earlier} fen, not {value}", code="refund_id_reused"
        )
    if earlier is None:
        step(payment, PaymentEvent.REFUND, value, now=services.clock())
        answer = await ask_wallet(
            services,
            http,
            payment.wallet,
            "refund",
            {"payment_id": payment.id, "refund_id": refund_id, "amount": value},
            f"{payment.id}.refund.{refund_id}",
        )
        _agrees(payment.wallet, answer, "refunded", value, "refund_id_reused")

    async def write(conn: AsyncConnection) -> store.PaymentRow:
        now = services.clock()
        current = await store.require_payment(conn, payment_id, lock=True)
        done = await store.find_refund(conn, payment_id, refund_id)
        if done is not None:  # the same refund, asked again under another message id
            if done != value:
                raise ConflictError(
                    f"refund {refund_id} was for {done} fen, not {value}", code="refund_id_reused"
                )
            return current
        after = step(current, PaymentEvent.REFUND, value, now=now)
        returned = legs.fee_returned_after(current.fee, current.captured, after.refunded)
        fee_back = returned - current.fee_returned
        await post(
            conn,
            legs.refund(current.id, refund_id, current.wallet, current.merchant, value, fee_back),
            now,
        )
        await store.insert_refund(conn, current.id, refund_id, value, fee_back, now)
        changed = replace(
            current,
            state=after.state,
            refunded=after.refunded,
            fee_returned=returned,
            updated_at=now,
        )
        await store.update_payment(
            conn,
            current.id,
            state=after.state,
            refunded=after.refunded,
            fee_returned=returned,
            updated_at=now,
        )
        await notify(conn, changed, now)
        return changed

    return write


# -- deadlines --------------------------------------------------------------------------------


async def expire_due(services: Services, limit: int = 200) -> int:
    """Expire payments past their deadline (holds released, parties and wallet told)."""
    now = services.clock()
    async with services.db.read() as conn:
        due = await store.due_payments(conn, now, limit)
    expired = 0
    for payment_id in due:
        async with services.db.transaction() as conn:
            payment = await store.require_payment(conn, payment_id, lock=True)
            try:
                await release_hold(services, conn, payment, PaymentEvent.EXPIRE)
            except HutongError:
                continue  # moved on meanwhile (captured, voided)
            expired += 1
    return expired
