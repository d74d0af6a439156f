"""The wallets of a transfer: a wallet calling, and each side's declared transfer fee."""

from __future__ import annotations

from hutong.payments.fees import FeeSchedule, PaymentKind
from hutong.payments.transfers.store import UNKNOWN_WALLET, WalletInfo, wallet_infos
from hutong.protocol.errors import (
    ConflictError,
    ForbiddenError,
    ValidationError,
)
from hutong.registry.models import Role, Status
from hutong.runtime.services import Services


def check_wallet(found: dict[str, WalletInfo], subscriber_id: str) -> None:
    if Role.WALLET.value not in found.get(subscriber_id, UNKNOWN_WALLET).roles:
        raise ForbiddenError("this call is for a wallet", code="wrong_role")


async def require_wallet(services: Services, subscriber_id: str) -> None:
    """403 ``wrong_role`` unless `subscriber_id` (an authenticated sender) is a wallet."""
    check_wallet(await wallet_infos(services, subscriber_id), subscriber_id)


def transfer_fees(found: dict[str, WalletInfo], *wallets: str) -> list[FeeSchedule]:
    """Each wallet's fee schedule, refused as `hutong.payments.checkout.wallet_profile_for` refuses.

    A wallet must be an active one that declared a transfer fee
    (``unknown_wallet``, ``wallet_inactive``, ``wallet_does_not_serve``).
    """
    schedules = []
    for wallet in wallets:
        known = found.get(wallet, UNKNOWN_WALLET)
        if Role.WALLET.value not in known.roles or known.profile is None:
            raise ValidationError(f"{wallet} is not a registered wallet", code="unknown_wallet")
        if known.status != Status.ACTIVE.value:
            raise ConflictError(f"{wallet} is {known.status}", code="wallet_inactive")
        if not known.profile.fees.serves(PaymentKind.TRANSFER):
            raise ConflictError(
                f"{wallet} declares no fee for transfer payments: it does not serve them",
                code="wallet_does_not_serve",
            )
        schedules.append(known.profile.fees)
    return schedules
