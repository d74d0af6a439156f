"""The ledger legs of a coupon: its funders pay the merchant, refunds give their share back.

Each funder has a CNY account ``k/<funder>/coupons`` (kind funding): what it
paid for coupons, less what refunds gave back (it may go below zero: the
funder owes it to the network and settles it like any position). A funder
that is the order's merchant has no leg: it funds its share by receiving less.

When the order is paid each other funder pays its share of the discount,
from its account to the merchant's receivable (beside the buyer's wallet,
whose capture credits the same receivable); a refund moves each funder's
part of the refund's coupon share back, and an order that ends before
completion (cancelled, expired, refunded in full) gives back the rest. A
part of -1 fen (`hutong.commerce.coupons.rules.funder_deltas`) is a leg the
other way. Ids derive from the order (and refund) and the funder's place in
the campaign's funding, so a retry posts nothing twice.
"""

from __future__ import annotations

from collections.abc import Mapping

from hutong.ledger.models import AccountKind, TransferCode
from hutong.ledger.models import TransferRequest as Leg
from hutong.ledger.store import NewAccount
from hutong.payments.legs import CNY, chain, merchant_receivable

__all__ = ["funder_account", "funder_accounts", "funding_legs", "release_legs", "return_legs"]


def funder_account(funder: str) -> str:
    return f"k/{funder}/coupons"


def funder_accounts(funders: Mapping[str, int] | list[str]) -> list[NewAccount]:
    return [NewAccount(funder_account(f), f, CNY, AccountKind.FUNDING.value) for f in funders]


def _legs(
    prefix: str, reference: str, merchant: str, parts: Mapping[str, int], *, back: bool
) -> list[Leg]:
    legs = []
    for index, (funder, amount) in enumerate(parts.items()):
        if amount == 0 or funder == merchant:
            continue
        pays = (amount > 0) != back  # the funder pays the merchant
        debit, credit = (
            (funder_account(funder), merchant_receivable(merchant))
            if pays
            else (merchant_receivable(merchant), funder_account(funder))
        )
        legs.append(
            Leg(
                id=f"{prefix}/{index}",
                debit_account_id=debit,
                credit_account_id=credit,
                amount=abs(amount),
                asset=CNY,
                code=TransferCode.REFUND.value if back else TransferCode.PAYMENT.value,
                reference=reference,
            )
        )
    return chain(legs)


def funding_legs(order_id: str, merchant: str, parts: Mapping[str, int]) -> list[Leg]:
    """Each funder pays its part to the merchant when the order is paid: ``<order>/coupon/<n>``."""
    return _legs(f"{order_id}/coupon", order_id, merchant, parts, back=False)


def return_legs(
    order_id: str, refund_id: str, merchant: str, parts: Mapping[str, int]
) -> list[Leg]:
    """A refund gives each funder its part back: ``<order>/coupon/<refund>/<n>``."""
    return _legs(f"{order_id}/coupon/{refund_id}", order_id, merchant, parts, back=True)


def release_legs(order_id: str, merchant: str, parts: Mapping[str, int]) -> list[Leg]:
    """The order ended before completion: each funder gets back what refunds did not return.

    ``<order>/coupon-release/<n>``: outside the refunds' ``<order>/coupon/`` ids,
    whatever a merchant names its refunds.
    """
    return _legs(f"{order_id}/coupon-release", order_id, merchant, parts, back=True)
