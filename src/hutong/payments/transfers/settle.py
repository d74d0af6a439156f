"""The writes of an execute: asking, then failed, released or committed; and expiry.

Each is a write (`hutong.runtime.exactly_once.Write`) or a transaction of
its own, as `hutong.payments.transfers.execute` needs it: the wallets are
about to be asked (`ask`, when the claim did not record it), the payer's
wallet refused (`fail`), the payee's wallet refused or either did not
answer (`release_refused`, `release_now`), both agreed (`commit`: both
ledger sides in one transaction). `expire_due` ends quotes and askings past
their deadlines (a switch that died mid-execute).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.ledger.models import Result, TransferRequest
from hutong.ledger.store import apply_batches
from hutong.net.calls import CallRefused
from hutong.payments import legs
from hutong.payments.posting import LedgerRefused
from hutong.payments.transfers import store as transfer_store
from hutong.payments.transfers.states import TransferEvent, TransferState
from hutong.payments.transfers.steps import step, tell
from hutong.payments.transfers.store import TransferRow
from hutong.protocol.errors import ConflictError
from hutong.runtime.exactly_once import Write
from hutong.runtime.services import Services

_T, _E = TransferState, TransferEvent


#: How long an asking transfer lasts beyond the time both wallets may take to answer.
RESERVATION_MARGIN = 30


def reservation_seconds(services: Services) -> int:
    """How long a transfer may be ``asking``: both wallets' answers, then a margin.

    Both: it is recorded ``asking`` before the payer's wallet is asked. At
    its end whatever the payer's wallet holds for it is released.
    """
    settings = services.settings
    asking = settings.wallet_call_timeout * max(settings.wallet_call_attempts, 1)
    return int(2 * asking) + 1 + RESERVATION_MARGIN


def transfer_legs(transfer: TransferRow) -> list[TransferRequest]:
    return legs.transfer_legs(
        transfer.id,
        transfer.payer_wallet,
        transfer.payee_wallet,
        transfer.amount,
        transfer.payer_fee,
        transfer.payee_fee,
    )


@dataclass(frozen=True, slots=True)
class TransferDeclined:
    """A wallet refused (or the reservation lapsed): its refusal and the transfer as it stands.

    The refusal is a conflict (`ConflictError`) with the wallet's own code.
    """

    transfer: TransferRow
    error: ConflictError


def declined(code: str, message: str, transfer: TransferRow) -> TransferDeclined:
    """A refusal with the wallet's code, and the transfer as it now stands."""
    return TransferDeclined(transfer, ConflictError(message, code=code))


def fail(services: Services, transfer_id: str, refusal: CallRefused) -> Write[TransferDeclined]:
    """The payer's wallet refused to reserve: the transfer failed (nothing was held)."""

    async def write(conn: AsyncConnection) -> TransferDeclined:
        now = services.clock()
        current = await transfer_store.require(conn, transfer_id, lock=True)
        reason = f"payer_refused: {refusal.code}"
        if current.state is _T.FAILED and current.reason == reason:  # a concurrent execute
            return declined(refusal.code, refusal.message, current)
        state = step(current, _E.FAIL)
        failed = replace(current, state=state, reason=reason, updated_at=now)
        await transfer_store.save(conn, failed)
        await tell(conn, failed, now, payer_only=True)
        return declined(refusal.code, f"the payer's wallet refused: {refusal.message}", failed)

    return write


async def ask(services: Services, transfer_id: str, asked_at: datetime) -> None:
    """Record ``asking`` before any wallet is asked, in a transaction of its own.

    For an execute whose claim did not record it (`Execution.along`): a
    switch that dies while asking leaves a transfer that `expire_due`
    releases at its short deadline, telling both wallets. Refused as the
    state machine refuses (``quote_expired``, ``already_committed``...).
    """

    async def write(conn: AsyncConnection) -> None:
        now = services.clock()
        until = now + timedelta(seconds=reservation_seconds(services))
        # The usual case in one statement: quoted, asked before the deadline.
        changed = await conn.execute(
            transfer_store.ASK,
            {"transfer_id": transfer_id, "asked_at": asked_at, "until": until, "now": now},
        )
        if changed.rowcount == 1:
            return
        current = await transfer_store.require(conn, transfer_id, lock=True)
        if current.state is _T.ASKING:  # an execute with another message id got here first
            return
        state = step(current, _E.ASK, asked_at)
        await transfer_store.save(
            conn, replace(current, state=state, expires_at=until, updated_at=now)
        )

    await services.batcher().run(write)


async def released(
    services: Services, conn: AsyncConnection, transfer_id: str, reason: str
) -> TransferRow:
    """In `conn`: release the transfer and tell both wallets; the ledger was never touched.

    A transfer is ``asking`` before any wallet is asked; one found still
    quoted is moved through ``asking`` all the same, so the table's rules
    hold. One already released, expired or failed stays as it is (a
    concurrent execute finished it).
    """
    now = services.clock()
    current = await transfer_store.require(conn, transfer_id, lock=True)
    if current.state in (_T.RELEASED, _T.EXPIRED, _T.FAILED):
        return current
    if current.state is _T.QUOTED:
        current = replace(current, state=step(current, _E.ASK))
    state = step(current, _E.RELEASE)
    done = replace(current, state=state, reason=reason, updated_at=now)
    await transfer_store.save(conn, done)
    await tell(conn, done, now)
    return done


async def release_now(services: Services, transfer_id: str, reason: str) -> None:
    """Release durably before answering (a 5xx answer is not recorded against the message id)."""

    async def write(conn: AsyncConnection) -> None:
        await released(services, conn, transfer_id, f"participant_timeout: {reason}")

    await services.batcher().run(write)


def release_refused(
    services: Services, transfer_id: str, refusal: CallRefused
) -> Write[TransferDeclined]:
    """The payee's wallet refused the credit: release, answer its refusal with its code."""

    async def write(conn: AsyncConnection) -> TransferDeclined:
        gone = await released(services, conn, transfer_id, f"payee_refused: {refusal.code}")
        return declined(refusal.code, f"the payee's wallet refused: {refusal.message}", gone)

    return write


def commit(services: Services, transfer_id: str) -> Write[TransferRow | TransferDeclined]:
    """Both wallets agreed: post both sides in the ledger and tell both wallets, at once."""

    async def write(conn: AsyncConnection) -> TransferRow | TransferDeclined:
        now = services.clock()
        # The usual case in one statement: asking, before its deadline. The
        # row is locked from here on; anything else is looked at below.
        row = (
            await conn.execute(transfer_store.COMMIT, {"transfer_id": transfer_id, "now": now})
        ).first()
        if row is None:
            current = await transfer_store.require(conn, transfer_id, lock=True)
            if current.state is _T.ASKING and now >= current.expires_at:
                late = await released(services, conn, transfer_id, "reservation_expired")
                return declined(
                    "reservation_expired", "the reservation lapsed before the commit", late
                )
            step(current, _E.COMMIT, now)  # the standard refusal (already_committed...)
            raise AssertionError(f"transfer {transfer_id} is {current.state}: not committable")
        committed = transfer_store.from_row(row)
        # The wallets' accounts have no limit: the ledger adds to them at the
        # batch's commit, in id order, without locking them here.
        (results,) = await apply_batches(conn, [transfer_legs(committed)], now)
        if Result.NET_DEBIT_CAP_EXCEEDED in results:
            # A concurrent transfer took the headroom since the check: release both wallets.
            late = await released(services, conn, transfer_id, "net_debit_cap_exceeded")
            return declined(
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
    """Quotes past their deadline expire; transfers still asking past theirs are released.

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
                continue  # moved on meanwhile (asking, with a new deadline)
            if current.state is _T.QUOTED:
                expired = replace(current, state=step(current, _E.EXPIRE, now), updated_at=now)
                await transfer_store.save(conn, replace(expired, reason="quote_expired"))
                await tell(conn, expired, now, payer_only=True)
            elif current.state is _T.ASKING:
                await released(services, conn, transfer_id, "reservation_expired")
            else:
                continue
            changed += 1
    return changed
