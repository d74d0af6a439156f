"""Which wallets may pay: the acceptance policies of both platforms, and each wallet's profile.

A wallet a platform does not accept is refused with its reason, and every
refusal is kept as evidence (`payment_refusals`) and told to the auditors.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.events.outbox import enqueue
from hutong.payments.checkout import store
from hutong.payments.checkout.acceptance import WalletChoice, choosable_wallets
from hutong.payments.fees import PaymentKind
from hutong.protocol.errors import (
    ConflictError,
    ValidationError,
)
from hutong.registry.models import Role, Status
from hutong.registry.service import get_participant
from hutong.runtime.services import Services
from hutong.store.tables import participants


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


async def wallet_profile_for(services: Services, wallet: str, kind: str) -> store.WalletProfile:
    """The profile of the wallet a request names to pay with.

    422 ``unknown_wallet`` when nobody, or no wallet with a profile, has that id
    (a body's mistake, whether it names nobody or a participant of another role);
    409 ``wallet_inactive`` / ``wallet_does_not_serve`` when it may not pay now.
    """
    async with services.db.read() as conn:
        participant = await get_participant(conn, wallet)
        profile = await store.wallet_profile(conn, wallet)
    if participant is None or not participant.has_role(Role.WALLET) or profile is None:
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
