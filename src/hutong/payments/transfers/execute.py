"""Executing a quoted transfer: reserve, confirm, then commit both sides or neither.

A user of one wallet pays a user of another, found by an alias in the
directory (`hutong.payments.transfers.directory`). The payer's wallet asks for a quote
(both wallets' declared transfer fees, a deadline), then executes it:

1. the payer's wallet is asked to ``reserve`` the total debit (message id
   ``<transfer>.reserve``); its refusal ends the transfer as ``failed``;
2. the transfer is recorded ``reserved``, with the reservation's deadline;
3. the payee's wallet is asked to ``confirm`` the credit (``<transfer>.confirm``);
4. one transaction locks the transfer's row, checks it again, posts its
   ledger legs (pending, then committed: all or nothing), marks it
   ``committed`` and writes an ``on_transfer`` event to each wallet. The
   wallets finalize on those events (the payer's hold is debited, the
   payee's pending credit credited), which the outbox delivers with retries
   until each wallet has them.

A refused confirm, or a wallet that does not answer, releases the transfer:
``released`` is written (with ``on_transfer`` released events so each wallet
drops what it holds) before the caller is answered, and the ledger is never
touched. So there is no moment where the switch has moved one side and not
the other: the ledger moves both sides in one transaction, or nothing.

Wallets deduplicate by the message ids, so a retried or concurrent execute
asks nothing twice and at most one of them commits (the row lock and the
state machine of `hutong.payments.transfers.states` decide; the losers get its
standard refusal, e.g. ``already_committed``). `expire_due` expires quotes
past their deadline and releases reservations left past theirs (a switch
that crashed in the middle of an execute).

The quote is `hutong.payments.transfers.quotes`; the rows, their SQL and the
briefly remembered wallets are `hutong.payments.transfers.store`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.ledger.liquidity.service import check_before_asking
from hutong.ledger.models import Result, TransferRequest
from hutong.ledger.store import apply_batches
from hutong.net.calls import CallFailed, CallRefused
from hutong.net.transport import CallTransport
from hutong.payments import legs
from hutong.payments.calls import ask_wallet
from hutong.payments.posting import LedgerRefused, ensure_accounts
from hutong.payments.transfers import store as transfer_store
from hutong.payments.transfers.states import TransferEvent, TransferState
from hutong.payments.transfers.steps import step, tell
from hutong.payments.transfers.store import TransferRow
from hutong.protocol.errors import (
    ConflictError,
    ForbiddenError,
)
from hutong.runtime.exactly_once import Write
from hutong.runtime.services import Services

_T, _E = TransferState, TransferEvent


#: How long a reservation lasts beyond the time the payee's wallet may take to answer.
RESERVATION_MARGIN = 30


def reservation_seconds(services: Services) -> int:
    """A reservation's life: long enough for the payee's wallet to answer, then a margin."""
    settings = services.settings
    asking = settings.wallet_call_timeout * max(settings.wallet_call_attempts, 1)
    return int(asking) + 1 + RESERVATION_MARGIN


def _legs(transfer: TransferRow) -> list[TransferRequest]:
    return legs.transfer_legs(
        transfer.id,
        transfer.payer_wallet,
        transfer.payee_wallet,
        transfer.amount,
        transfer.payer_fee,
        transfer.payee_fee,
    )


def _check_can_execute(transfer: TransferRow, now: datetime) -> None:
    """Quoted before its deadline, or reserved before the reservation's (a retry continues)."""
    if transfer.state is _T.RESERVED:
        step(transfer, _E.COMMIT, now)
    else:
        step(transfer, _E.RESERVE, now)


def _answered(answer: dict[str, Any], name: str, expected: int, wallet: str) -> None:
    if answer.get(name) != expected:
        raise CallFailed(
            f"{wallet} answered {name}={answer.get(name)!r}, not {expected}", code="bad_answer"
        )


@dataclass(frozen=True, slots=True)
class TransferDeclined:
    """A wallet refused (or the reservation lapsed): its refusal and the transfer as it stands.

    The refusal is a conflict (`ConflictError`) with the wallet's own code.
    """

    transfer: TransferRow
    error: ConflictError


async def execute(
    services: Services, http: CallTransport, sender: str, transfer_id: str
) -> Write[TransferRow | TransferDeclined]:
    """The payer's wallet executes its quote: reserve, confirm, then commit both or neither."""
    async with services.db.read() as conn:
        transfer = await transfer_store.require(conn, transfer_id)
    if sender != transfer.payer_wallet:
        raise ForbiddenError(
            f"only the payer's wallet ({transfer.payer_wallet}) executes transfer {transfer_id}",
            code="not_the_payer",
        )
    asked_at = services.clock()
    _check_can_execute(transfer, asked_at)
    await ensure_accounts(
        services.db,
        [
            *legs.wallet_accounts(transfer.payer_wallet),
            *legs.wallet_accounts(transfer.payee_wallet),
        ],
        asked_at,
    )
    # Past the payer wallet's net debit cap: refused before either wallet is asked.
    await check_before_asking(services, _legs(transfer), asked_at)
    try:
        answer = await ask_wallet(
            services,
            http,
            transfer.payer_wallet,
            "reserve",
            {
                "transfer_id": transfer.id,
                "payer": transfer.payer_account,
                "amount": transfer.total_debit,
            },
            f"{transfer.id}.reserve",
        )
        _answered(answer, "reserved", transfer.total_debit, transfer.payer_wallet)
    except CallRefused as refusal:
        return _fail(services, transfer_id, refusal)
    except CallFailed:
        await _release_now(services, transfer_id, "the payer's wallet did not answer reserve")
        raise
    await _reserve(services, transfer_id, asked_at)
    try:
        answer = await ask_wallet(
            services,
            http,
            transfer.payee_wallet,
            "confirm",
            {
                "transfer_id": transfer.id,
                "payee": transfer.payee_account,
                "amount": transfer.credited,
            },
            f"{transfer.id}.confirm",
        )
        _answered(answer, "confirmed", transfer.credited, transfer.payee_wallet)
    except CallRefused as refusal:
        return _release_refused(services, transfer_id, refusal)
    except CallFailed:
        await _release_now(services, transfer_id, "the payee's wallet did not answer confirm")
        raise
    return _commit(services, transfer_id)


def _declined(code: str, message: str, transfer: TransferRow) -> TransferDeclined:
    """A refusal with the wallet's code, and the transfer as it now stands."""
    return TransferDeclined(transfer, ConflictError(message, code=code))


def _fail(services: Services, transfer_id: str, refusal: CallRefused) -> Write[TransferDeclined]:
    """The payer's wallet refused to reserve: the transfer failed (nothing was held)."""

    async def write(conn: AsyncConnection) -> TransferDeclined:
        now = services.clock()
        current = await transfer_store.require(conn, transfer_id, lock=True)
        reason = f"payer_refused: {refusal.code}"
        if current.state is _T.FAILED and current.reason == reason:  # a concurrent execute
            return _declined(refusal.code, refusal.message, current)
        state = step(current, _E.FAIL)
        failed = replace(current, state=state, reason=reason, updated_at=now)
        await transfer_store.save(conn, failed)
        await tell(conn, failed, now, payer_only=True)
        return _declined(refusal.code, f"the payer's wallet refused: {refusal.message}", failed)

    return write


async def _reserve(services: Services, transfer_id: str, asked_at: datetime) -> None:
    """Record that the payer's wallet holds the total debit (asked before the quote's deadline).

    Written (through the group commit) before the payee's wallet is asked: a
    switch that dies after this is found by `expire_due` at the reservation's
    short deadline, which releases both wallets' holds.
    """

    async def write(conn: AsyncConnection) -> None:
        now = services.clock()
        until = now + timedelta(seconds=reservation_seconds(services))
        # The usual case in one statement: quoted, asked before the deadline.
        changed = await conn.execute(
            transfer_store.RESERVE,
            {"transfer_id": transfer_id, "asked_at": asked_at, "until": until, "now": now},
        )
        if changed.rowcount == 1:
            return
        current = await transfer_store.require(conn, transfer_id, lock=True)
        if current.state is _T.RESERVED:  # a concurrent or retried execute got here first
            return
        state = step(current, _E.RESERVE, asked_at)
        await transfer_store.save(
            conn, replace(current, state=state, expires_at=until, updated_at=now)
        )

    await services.batcher().run(write)


async def _released(
    services: Services, conn: AsyncConnection, transfer_id: str, reason: str
) -> TransferRow:
    """In `conn`: release the transfer and tell both wallets; the ledger was never touched.

    A quoted transfer whose reserve went unanswered may be held at the payer's
    wallet all the same: it is reserved, then released. One already released,
    expired or failed stays as it is (a concurrent execute finished it).
    """
    now = services.clock()
    current = await transfer_store.require(conn, transfer_id, lock=True)
    if current.state in (_T.RELEASED, _T.EXPIRED, _T.FAILED):
        return current
    if current.state is _T.QUOTED:
        current = replace(current, state=step(current, _E.RESERVE))
    state = step(current, _E.RELEASE)
    released = replace(current, state=state, reason=reason, updated_at=now)
    await transfer_store.save(conn, released)
    await tell(conn, released, now)
    return released


async def _release_now(services: Services, transfer_id: str, reason: str) -> None:
    """Release durably before answering (a 5xx answer is not recorded against the message id)."""

    async def write(conn: AsyncConnection) -> None:
        await _released(services, conn, transfer_id, f"participant_timeout: {reason}")

    await services.batcher().run(write)


def _release_refused(
    services: Services, transfer_id: str, refusal: CallRefused
) -> Write[TransferDeclined]:
    """The payee's wallet refused the credit: release, answer its refusal with its code."""

    async def write(conn: AsyncConnection) -> TransferDeclined:
        released = await _released(services, conn, transfer_id, f"payee_refused: {refusal.code}")
        return _declined(refusal.code, f"the payee's wallet refused: {refusal.message}", released)

    return write


def _commit(services: Services, transfer_id: str) -> Write[TransferRow | TransferDeclined]:
    """Both wallets agreed: post both sides in the ledger and tell both wallets, at once."""

    async def write(conn: AsyncConnection) -> TransferRow | TransferDeclined:
        now = services.clock()
        # The usual case in one statement: reserved, before its deadline. The
        # row is locked from here on; anything else is looked at below.
        row = (
            await conn.execute(transfer_store.COMMIT, {"transfer_id": transfer_id, "now": now})
        ).first()
        if row is None:
            current = await transfer_store.require(conn, transfer_id, lock=True)
            if current.state is _T.RESERVED and now >= current.expires_at:
                late = await _released(services, conn, transfer_id, "reservation_expired")
                return _declined(
                    "reservation_expired", "the reservation lapsed before the commit", late
                )
            step(current, _E.COMMIT, now)  # the standard refusal (already_committed...)
            raise AssertionError(f"transfer {transfer_id} is {current.state}: not committable")
        committed = transfer_store.from_row(row)
        # The wallets' accounts have no limit: the ledger adds to them at the
        # batch's commit, in id order, without locking them here.
        (results,) = await apply_batches(conn, [_legs(committed)], now)
        if Result.NET_DEBIT_CAP_EXCEEDED in results:
            # A concurrent transfer took the headroom since the check: release both wallets.
            late = await _released(services, conn, transfer_id, "net_debit_cap_exceeded")
            return _declined(
                "net_debit_cap_exceeded",
                "the payer wallet's position would pass its net debit cap; released",
                late,
            )
        if not all(result.succeeded for result in results):
            failed = next(r for r in results if not r.succeeded)
            raise LedgerRefused(
                f"the ledger refused the transfer: {failed.value}", code="ledger_refused"
            )
        await tell(conn, committed, now)
        return committed

    return write


async def expire_due(services: Services, limit: int = 200) -> int:
    """Quotes past their deadline expire; reservations past theirs are released.

    Either way the wallets are told (``on_transfer``): a payer's wallet that
    reserved for an execute that never finished drops its hold. No money moved
    in the ledger for any of them.
    """
    now = services.clock()
    async with services.db.read() as conn:
        due = await transfer_store.due(conn, now, limit)
    changed = 0
    for transfer_id in due:
        async with services.db.transaction() as conn:
            current = await transfer_store.require(conn, transfer_id, lock=True)
            if current.expires_at > now:
                continue  # moved on meanwhile (reserved with a new deadline)
            if current.state is _T.QUOTED:
                expired = replace(current, state=step(current, _E.EXPIRE, now), updated_at=now)
                await transfer_store.save(conn, replace(expired, reason="quote_expired"))
                await tell(conn, expired, now, payer_only=True)
            elif current.state is _T.RESERVED:
                await _released(services, conn, transfer_id, "reservation_expired")
            else:
                continue
            changed += 1
    return changed
