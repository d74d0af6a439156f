"""Executing a quoted transfer: ask both wallets, then commit both sides or neither.

A user of one wallet pays a user of another, found by an alias in the
directory (`hutong.payments.transfers.directory`). The payer's wallet asks for a quote
(both wallets' declared transfer fees, a deadline), then executes it:

1. the transfer is recorded ``asking``, with a short deadline, in the same
   transaction as the claim of the execute's message id (`start_execute`,
   `Execution`), before anyone is asked: the switch has decided to ask,
   nothing more (no wallet holds anything yet, the ledger is untouched);
2. the payer's wallet is asked to ``reserve`` the total debit (message id
   ``<transfer>.reserve``); its refusal ends the transfer as ``failed``;
3. the payee's wallet is asked to ``confirm`` the credit (``<transfer>.confirm``);
4. one transaction locks the transfer's row, checks it again, posts its
   ledger legs (pending, then committed: all or nothing), marks it
   ``committed`` and writes an ``on_transfer`` event to each wallet. The
   wallets finalize on those events (the payer's hold is debited, the
   payee's pending credit credited), which the outbox delivers with retries
   until each wallet has them.

A reader (the wallets, an auditor, the operator's CLI) sees ``quoted``,
then ``asking`` until the end, then the end: the wallets' answers on the
way are not written (each would cost the execute a commit), so no state
claims a hold the switch has not been told of.

A refused confirm, or a wallet that does not answer, releases the transfer:
``released`` is written (with ``on_transfer`` released events so each wallet
drops what it holds) before the caller is answered, and the ledger is never
touched. So there is no moment where the switch has moved one side and not
the other: the ledger moves both sides in one transaction, or nothing. A
switch that dies after step 1 leaves the transfer ``asking``: `expire_due`
releases it at its deadline and tells both wallets, whether or not the
payer's wallet was asked.

Wallets deduplicate by the message ids, so a retried or concurrent execute
asks nothing twice and at most one of them commits (the row lock and the
state machine of `hutong.payments.transfers.states` decide; the losers get its
standard refusal, e.g. ``already_committed``). An execute with another
message id that finds the transfer asking continues it (`execute`: the
wallets answer it as they answered the first). `expire_due` expires quotes
past their deadline and releases transfers left asking past theirs.

`execute_once` is the one way to run an execute, exactly once per message
id: the API's route and the operator's CLI both call it.

The quote is `hutong.payments.transfers.quotes`; the writes of an execute
are `hutong.payments.transfers.settle`; the rows, their SQL and the
briefly remembered wallets are `hutong.payments.transfers.store`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.ledger.liquidity.service import check_before_asking
from hutong.net.calls import CallFailed, CallRefused
from hutong.net.transport import CallTransport
from hutong.payments import legs
from hutong.payments.calls import ask_wallet
from hutong.payments.posting import ensure_accounts
from hutong.payments.transfers import settle
from hutong.payments.transfers import store as transfer_store
from hutong.payments.transfers.settle import TransferDeclined
from hutong.payments.transfers.states import TransferEvent, TransferState
from hutong.payments.transfers.steps import step
from hutong.payments.transfers.store import TransferRow
from hutong.protocol.errors import ForbiddenError, HutongError
from hutong.runtime.exactly_once import Answer, MessageKey, Present, Refusal, Write, run_decided
from hutong.runtime.services import Services

_T, _E = TransferState, TransferEvent

#: A commit that PostgreSQL chose as a deadlock's victim (or a serialization
#: failure) is run again, up to this many times in all.
EXECUTE_ATTEMPTS = 3
_RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})


def _check_can_execute(transfer: TransferRow, now: datetime) -> None:
    """Quoted before its deadline, or asking before the asking's (another execute: continued)."""
    if transfer.state is _T.ASKING:
        step(transfer, _E.COMMIT, now)
    else:
        step(transfer, _E.ASK, now)


def _answered(answer: dict[str, Any], name: str, expected: int, wallet: str) -> None:
    if answer.get(name) != expected:
        raise CallFailed(
            f"{wallet} answered {name}={answer.get(name)!r}, not {expected}", code="bad_answer"
        )


@dataclass(slots=True)
class Execution:
    """One execute, read before its message id is claimed (`start_execute`).

    The usual execute (the payer's quote, before its deadline, within the
    payer's net debit cap) is recorded ``asking`` in its claim's transaction
    (`along`), before the payer's wallet is asked: a twin (the same message
    id) rolls back with its claim and never asks, and a switch that dies
    after the claim leaves a transfer that `expire_due` releases at its
    deadline, telling both wallets. Everything else (another wallet, a
    refusal, a transfer already asking for an execute with another message
    id) is read and checked again after the claim, as `decide` says.
    """

    services: Services
    http: CallTransport
    sender: str
    transfer_id: str
    #: The transfer as read before the claim, when the claim may record it asking.
    seen: TransferRow | None = None
    #: What the claim recorded (when it did): when asking began, and its deadline.
    asking: tuple[datetime, datetime] | None = None

    @property
    def along(self) -> Write[None] | None:
        """What commits with the claim: ``asking``, when this execute may record it."""
        return None if self.seen is None else self._ask

    async def _ask(self, conn: AsyncConnection) -> None:
        now = self.services.clock()
        until = now + timedelta(seconds=settle.reservation_seconds(self.services))
        changed = await conn.execute(
            transfer_store.ASK,
            {"transfer_id": self.transfer_id, "asked_at": now, "until": until, "now": now},
        )
        # Run again (a batch's second pass, a claim taken over): the last run commits.
        self.asking = (now, until) if changed.rowcount == 1 else None

    async def decide(self) -> Write[TransferRow | TransferDeclined]:
        """After the claim: ask both wallets, then the write that commits or releases."""
        if self.seen is not None and self.asking is not None:
            asked_at, until = self.asking
            transfer = replace(self.seen, state=_T.ASKING, expires_at=until, updated_at=asked_at)
            return await _asked(self.services, self.http, transfer)
        return await execute(self.services, self.http, self.sender, self.transfer_id)


async def execute_once(
    services: Services,
    http: CallTransport,
    key: MessageKey,
    transfer_id: str,
    present: Present[TransferRow | TransferDeclined],
    refusal: Refusal,
) -> Answer:
    """`key.sender` executes the transfer, exactly once for `key`'s message id.

    The message id is claimed (with ``asking``, the usual way) before a
    wallet is asked (`hutong.runtime.exactly_once.run_decided`); the answer,
    a wallet's refusal included, is recorded with the write that ends it,
    and the same message again gets that answer without asking anyone. A
    commit PostgreSQL chose as a deadlock's victim recorded nothing: the
    whole step runs again (the wallets dedupe by message id and the write
    checks the transfer again), `EXECUTE_ATTEMPTS` in all.
    """
    for attempt in range(1, EXECUTE_ATTEMPTS + 1):
        try:
            execution = await start_execute(services, http, key.sender, transfer_id)
            return await run_decided(
                services, key, execution.decide, present, refusal, along=execution.along
            )
        except DBAPIError as error:
            retryable = getattr(error.orig, "sqlstate", None) in _RETRYABLE_SQLSTATES
            if attempt == EXECUTE_ATTEMPTS or not retryable:
                raise
    raise AssertionError("unreachable")


async def start_execute(
    services: Services, http: CallTransport, sender: str, transfer_id: str
) -> Execution:
    """What an execute reads before its claim: the transfer, and whether the claim records it.

    Only reads (and the ledger accounts both wallets need, created once): a
    twin's are harmless. Refusals are left to `Execution.decide`, after the
    claim, so that they are recorded as the answer (and a retry of an
    answered execute gets its answer).
    """
    execution = Execution(services, http, sender, transfer_id)
    async with services.db.read() as conn:
        transfer = await transfer_store.get(conn, transfer_id)
    now = services.clock()
    if (
        transfer is None
        or transfer.payer_wallet != sender
        or transfer.state is not _T.QUOTED
        or now >= transfer.expires_at
    ):
        return execution
    await _accounts(services, transfer, now)
    try:
        await check_before_asking(services, settle.transfer_legs(transfer), now)
    except HutongError as refusal:
        if refusal.kind.transient:
            raise
        return execution  # refused after the claim (checked again there)
    execution.seen = transfer
    return execution


async def _accounts(services: Services, transfer: TransferRow, now: datetime) -> None:
    await ensure_accounts(
        services.db,
        [
            *legs.wallet_accounts(transfer.payer_wallet),
            *legs.wallet_accounts(transfer.payee_wallet),
        ],
        now,
    )


async def execute(
    services: Services, http: CallTransport, sender: str, transfer_id: str
) -> Write[TransferRow | TransferDeclined]:
    """After the claim, when it recorded nothing: check, record ``asking``, ask, then the write.

    Not public: an execute runs exactly once per message id (`execute_once`).
    """
    async with services.db.read() as conn:
        transfer = await transfer_store.require(conn, transfer_id)
    if sender != transfer.payer_wallet:
        raise ForbiddenError(
            f"only the payer's wallet ({transfer.payer_wallet}) executes transfer {transfer_id}",
            code="not_the_payer",
        )
    asked_at = services.clock()
    _check_can_execute(transfer, asked_at)
    await _accounts(services, transfer, asked_at)
    # Past the payer wallet's net debit cap: refused before either wallet is asked.
    await check_before_asking(services, settle.transfer_legs(transfer), asked_at)
    if transfer.state is _T.QUOTED:  # else asking, for an execute with another message id
        await settle.ask(services, transfer_id, asked_at)
    return await _asked(services, http, transfer)


async def _asked(
    services: Services, http: CallTransport, transfer: TransferRow
) -> Write[TransferRow | TransferDeclined]:
    """Ask the payer's wallet to reserve, then the payee's to confirm; the write that follows.

    The transfer is recorded ``asking`` already.
    """
    transfer_id = transfer.id
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
        return settle.fail(services, transfer_id, refusal)
    except CallFailed:
        await settle.release_now(services, transfer_id, "the payer's wallet did not answer reserve")
        raise
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
        return settle.release_refused(services, transfer_id, refusal)
    except CallFailed:
        await settle.release_now(services, transfer_id, "the payee's wallet did not answer confirm")
        raise
    return settle.commit(services, transfer_id)
