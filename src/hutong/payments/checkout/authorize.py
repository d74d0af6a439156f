"""Authorizing a payment: the wallet holds the whole amount, then the ledger holds it too.

Every wallet asked is recorded before it is asked (`payment_attempts`): a
wallet whose call timed out may have held anyway, late. When the payment is
authorized with one wallet, each other wallet asked is told, in the same
transaction, ``on_payment_released {payment_id, reason:
paid_with_another_wallet}`` and releases its hold.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import Insert, exists, insert, literal, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.ledger.liquidity.service import check_before_asking
from hutong.net.transport import CallTransport
from hutong.payments import legs
from hutong.payments.calls import ask_wallet
from hutong.payments.checkout import store
from hutong.payments.checkout.notices import (
    asked_besides,
    note_other_wallet_asked,
    notify,
    tell_asked_wallets,
)
from hutong.payments.checkout.states import Payment, PaymentEvent, PaymentState
from hutong.payments.checkout.steps import party, step
from hutong.payments.checkout.wallets import (
    check_wallet,
    wallet_profile_for,
)
from hutong.payments.posting import ensure_accounts, post
from hutong.protocol.errors import (
    ConflictError,
    ValidationError,
)
from hutong.runtime.exactly_once import Write
from hutong.runtime.services import Services
from hutong.store.tables import payment_attempts, payments
from hutong.store.types import UTCDateTime

_ATTEMPT_COLUMNS = ["payment_id", "wallet", "attempt", "asked_at"]
_ASKED_AT = UTCDateTime()


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
    await may_ask_to_hold(services, payment, wallet)
    await _record_attempt(services, payment, wallet, attempt)
    await _ask_to_hold(services, http, payment, wallet, payer, attempt)


async def may_ask_to_hold(services: Services, payment: store.PaymentRow, wallet: str) -> None:
    """Refused if `wallet`'s hold would pass its net debit cap; its accounts exist after.

    Past the cap the payment is refused before the wallet is asked or recorded.
    """
    await ensure_accounts(
        services.db,
        [*legs.wallet_accounts(wallet), *legs.merchant_accounts(payment.merchant)],
        services.clock(),
    )
    await check_before_asking(
        services,
        legs.hold(payment.id, wallet, payment.merchant, payment.amount, payment.hold_seconds),
    )


async def _ask_to_hold(
    services: Services,
    http: CallTransport,
    payment: store.PaymentRow,
    wallet: str,
    payer: str,
    attempt: str,
) -> None:
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
        on_behalf_of=payment.host,
    )


def attempt_record(payment_id: str, wallet: str, attempt: str, now: datetime) -> Insert:
    """The INSERT recording that `wallet` is asked, only while the payment may be authorized.

    The attempt's row is selected from the payment's own row while it is
    created and before its deadline (the rule of `PaymentEvent.AUTHORIZE`),
    locking it on PostgreSQL, unless this request recorded it already (a retry
    asks again under the same attempt). Its rowcount is 1 when it recorded.
    """
    recorded = exists().where(
        payment_attempts.c.payment_id == payment_id,
        payment_attempts.c.wallet == wallet,
        payment_attempts.c.attempt == attempt,
    )
    may_authorize = (
        select(payments.c.id, literal(wallet), literal(attempt), literal(now, _ASKED_AT))
        .where(
            payments.c.id == payment_id,
            payments.c.state == PaymentState.CREATED.value,
            or_(payments.c.expires_at.is_(None), payments.c.expires_at > now),
            ~recorded,
        )
        .with_for_update()
    )
    return (
        insert(payment_attempts)
        .from_select(_ATTEMPT_COLUMNS, may_authorize)
        .execution_options(preserve_rowcount=True)  # an INSERT's count, on psycopg too
    )


async def _record_attempt(
    services: Services, payment: store.PaymentRow, wallet: str, attempt: str
) -> None:
    """Record that `wallet` is asked, only while the payment may still be authorized.

    One conditional INSERT (`attempt_record`); a wallet not the payment's own
    is also written on the payment's row (`note_other_wallet_asked`: the
    payment's wallet stays as read while it may be authorized). A void,
    expiry or authorization committed first leaves nothing recorded, and the
    payment is read to refuse for what it is now; one committed after it sees
    this wallet and tells it to release. It commits with the next group
    commit (`hutong.store.batch`), before the wallet is asked.
    """
    now = services.clock()
    payment_id = payment.id
    record = attempt_record(payment_id, wallet, attempt, now)
    other = wallet != payment.wallet

    async def write(conn: AsyncConnection) -> None:
        if (await conn.execute(record)).rowcount != 1:  # recorded before, or refused now
            step(await store.require_payment(conn, payment_id), PaymentEvent.AUTHORIZE, now=now)
        elif other:
            await conn.execute(note_other_wallet_asked(payment_id, wallet))

    with suppress(IntegrityError):  # the same request asking at once (a claim taken over)
        await services.batcher().run(write)


async def apply_authorized(
    services: Services,
    conn: AsyncConnection,
    payment_id: str,
    wallet: str,
    payer: str,
    *,
    known: store.PaymentRow | None = None,
) -> store.PaymentRow:
    """In `conn`: mark the payment authorized, hold the money in the ledger, tell who must know.

    `known`: the payment as read before the wallet was asked. While created
    nothing authorizing decides on changes (amount, hold's length; the
    deadline only moves later), so it decides if the row is still created
    when one conditional UPDATE locks it (no read to lock it first); if not,
    it is read under the lock and refused for what it is now.

    The other wallets asked are told to release (`tell_asked_wallets`). The
    same UPDATE also requires that no other wallet was asked, as the payment's
    row says (`asked_besides`: so on PostgreSQL too when an ask committed while
    it waited for the row's lock), so the usual payment, asked of one wallet,
    reads nothing more; one that was is authorized from its locked read.
    """
    now = services.clock()
    moved = False
    if known is not None and known.id == payment_id and known.state is PaymentState.CREATED:
        payment = known
        after = _authorized(payment, now)
        moved = await store.move_payment(
            conn,
            payment.id,
            PaymentState.CREATED,
            unless=asked_besides(wallet),
            state=after.state,
            wallet=wallet,
            payer=payer,
            expires_at=after.expires_at,
            updated_at=now,
        )
    if not moved:
        payment = await store.require_payment(conn, payment_id, lock=True)
        after = _authorized(payment, now)
        await store.update_payment(
            conn,
            payment.id,
            state=after.state,
            wallet=wallet,
            payer=payer,
            expires_at=after.expires_at,
            updated_at=now,
        )
    await _hold(conn, payment, wallet, now)
    changed = replace(
        payment,
        state=after.state,
        wallet=wallet,
        payer=payer,
        expires_at=after.expires_at,
        updated_at=now,
    )
    await notify(conn, changed, now)
    if not moved:
        await tell_asked_wallets(conn, changed, "paid_with_another_wallet", now)
    return changed


def _authorized(payment: store.PaymentRow, now: datetime) -> Payment:
    hold_until = now + timedelta(seconds=payment.hold_seconds)
    return step(payment, PaymentEvent.AUTHORIZE, now=now, hold_until=hold_until)


async def _hold(
    conn: AsyncConnection, payment: store.PaymentRow, wallet: str, now: datetime
) -> None:
    # Fresh: the payment left `created` in this transaction, so its hold is new.
    await post(
        conn,
        legs.hold(payment.id, wallet, payment.merchant, payment.amount, payment.hold_seconds),
        now,
        fresh=True,
    )


async def authorize(
    services: Services,
    http: CallTransport,
    sender: str,
    payment_id: str,
    *,
    wallet: str = "",
    payer: str = "",
    attempt: str,
    known: store.PaymentRow | None = None,
    recorded: bool = False,
) -> Write[store.PaymentRow]:
    """Ask the wallet to hold; the write holds in the ledger (`known`: the payment as just read).

    `recorded`: `known` was checked (`authorizable`) and the ask recorded
    (`attempt_record`) before, in the caller's claim of its message id; the
    wallet is asked at once.
    """
    if recorded and known is not None:
        payment, wallet, payer = known, known.wallet, known.payer
    else:
        payment, wallet, payer = await authorizable(
            services, sender, payment_id, wallet=wallet, payer=payer, known=known
        )
        await _record_attempt(services, payment, wallet, attempt)
    await _ask_to_hold(services, http, payment, wallet, payer, attempt)

    async def write(conn: AsyncConnection) -> store.PaymentRow:
        return await apply_authorized(services, conn, payment_id, wallet, payer, known=payment)

    return write


async def authorizable(
    services: Services,
    sender: str,
    payment_id: str,
    *,
    wallet: str = "",
    payer: str = "",
    known: store.PaymentRow | None = None,
) -> tuple[store.PaymentRow, str, str]:
    """The payment, the wallet and the payer, once `sender` may ask the wallet to hold.

    Refused (`sender` not a party, a payment past created, no wallet or payer,
    another wallet than the payment's, a wallet that does not serve it or
    whose hold would pass its net debit cap) before anything is recorded.
    """
    payment = await party(services, sender, payment_id, known)
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
    await may_ask_to_hold(services, payment, wallet)
    return payment, wallet, payer
