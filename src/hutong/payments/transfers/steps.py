"""What every step of a transfer shares: the checked transition, whom it tells, who reads it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.events.outbox import enqueue
from hutong.payments.transfers import store as transfer_store
from hutong.payments.transfers.states import TransferEvent, TransferState, transfer_transition
from hutong.payments.transfers.store import TransferRow
from hutong.protocol.errors import ForbiddenError
from hutong.registry.models import Role
from hutong.runtime.services import Services


def step(transfer: TransferRow, event: TransferEvent, now: datetime | None = None) -> TransferState:
    """The next state, or the standard refusal (``already_committed``, ``quote_expired``...)."""
    return transfer_transition(
        transfer.state, event, now=now, expires_at=transfer.expires_at if now else None
    )


async def tell(
    conn: AsyncConnection, transfer: TransferRow, now: datetime, *, payer_only: bool = False
) -> None:
    """An ``on_transfer`` event to each wallet, with its own side (no alias, no other account)."""
    sides = [("payer", transfer.payer_wallet, transfer.payer_account, transfer.total_debit)]
    if not payer_only:
        sides.append(("payee", transfer.payee_wallet, transfer.payee_account, transfer.credited))
    for role, wallet, account, amount in sides:
        await enqueue(
            conn,
            recipient=wallet,
            action="on_transfer",
            message={
                "transfer_id": transfer.id,
                "state": transfer.state.value,
                "role": role,
                "account": account,
                "amount": amount,
            },
            now=now,
            transaction_id=transfer.id,
        )


async def readable(services: Services, reader: str, transfer_id: str) -> TransferRow:
    """The transfer, for its two wallets and auditors."""
    async with services.db.read() as conn:
        transfer = await transfer_store.require(conn, transfer_id)
        roles, _ = (await transfer_store.participant_roles(conn, reader)).get(reader, (set(), ""))
    if reader in (transfer.payer_wallet, transfer.payee_wallet) or Role.AUDITOR.value in roles:
        return transfer
    raise ForbiddenError(f"{reader} is not a party of transfer {transfer_id}", code="not_a_party")
