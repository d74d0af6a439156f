"""The ledger accounts of the parts, and the linked legs that move them."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from hutong.commerce.commissions.splits import PARTS, OrderSplit
from hutong.commerce.commissions.values import CommissionError
from hutong.ledger.models import AccountKind, TransferCode, TransferRequest
from hutong.ledger.store import NewAccount
from hutong.payments.legs import CNY, chain, merchant_receivable, wallet_fees


def host_commission_account(host: str) -> str:
    return f"h/{host}/commission"


def creator_commission_account(creator: str) -> str:
    return f"c/{creator}/commission"


def carrier_fees_account(carrier: str) -> str:
    return f"l/{carrier}/fees"


_CODES = {
    "merchant": TransferCode.PAYMENT.value,
    "host_commission": TransferCode.COMMISSION.value,
    "creator_commission": TransferCode.COMMISSION.value,
    "wallet_fee": TransferCode.FEE.value,
    "carrier_fee": TransferCode.FEE.value,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class SplitAccounts:
    """Where each part of an order goes, and where the captured money is."""

    merchant: str
    host_commission: str
    creator_commission: str
    wallet_fee: str
    carrier_fee: str
    #: The account holding the captured amount; the merchant's receivable when "".
    source: str = ""

    @classmethod
    def for_order(
        cls, *, merchant: str, host: str, wallet: str, carrier: str, creator: str = ""
    ) -> SplitAccounts:
        """The usual accounts; the captured money at the merchant's receivable."""
        return cls(
            merchant=merchant_receivable(merchant),
            host_commission=host_commission_account(host),
            creator_commission=creator_commission_account(creator) if creator else "",
            wallet_fee=wallet_fees(wallet),
            carrier_fee=carrier_fees_account(carrier),
        )

    @property
    def holding(self) -> str:
        return self.source or self.merchant


def commission_accounts(
    *, host: str = "", creator: str = "", carrier: str = ""
) -> list[NewAccount]:
    """The CNY accounts this module names, for the parties given."""
    accounts = []
    if host:
        accounts.append(
            NewAccount(
                host_commission_account(host), host, CNY, AccountKind.COMMISSION_INCOME.value
            )
        )
    if creator:
        accounts.append(
            NewAccount(
                creator_commission_account(creator),
                creator,
                CNY,
                AccountKind.COMMISSION_INCOME.value,
            )
        )
    if carrier:
        accounts.append(
            NewAccount(carrier_fees_account(carrier), carrier, CNY, AccountKind.FEE_INCOME.value)
        )
    return accounts


def _legs(
    prefix: str,
    reference: str,
    parts: OrderSplit,
    accounts: SplitAccounts,
    already_posted: Collection[str],
    *,
    back: bool,
) -> list[TransferRequest]:
    unknown = set(already_posted) - set(PARTS)
    if unknown:
        raise CommissionError("invalid_split", f"unknown parts {sorted(unknown)}")
    legs = []
    for name, amount in parts:
        account = getattr(accounts, name)
        if amount == 0 or name in already_posted or account == accounts.holding:
            continue
        if not account:
            raise CommissionError("account_missing", f"no account for the {name} part")
        debit, credit = (account, accounts.holding) if back else (accounts.holding, account)
        legs.append(
            TransferRequest(
                id=f"{prefix}/{name}",
                debit_account_id=debit,
                credit_account_id=credit,
                amount=amount,
                asset=CNY,
                code=TransferCode.REFUND.value if back else _CODES[name],
                reference=reference,
            )
        )
    return chain(legs)


def split_legs(
    order_id: str,
    split: OrderSplit,
    accounts: SplitAccounts,
    *,
    already_posted: Collection[str] = (),
) -> list[TransferRequest]:
    """The linked legs that move each part of `split` from the captured money to its account.

    Parts of 0 fen, parts whose account holds the captured money and parts
    named in `already_posted` (e.g. ``"wallet_fee"`` when the capture charged
    it) have no leg. Ids: ``<order_id>/split/<part>``.
    """
    return _legs(f"{order_id}/split", order_id, split, accounts, already_posted, back=False)


def reversal_legs(
    order_id: str,
    refund_id: str,
    reversal: OrderSplit,
    accounts: SplitAccounts,
    *,
    already_posted: Collection[str] = (),
) -> list[TransferRequest]:
    """The linked legs that bring a refund's parts back to the account of the captured money.

    The same accounts as `split_legs`, the other way; ids
    ``<order_id>/refund/<refund_id>/<part>``.
    """
    prefix = f"{order_id}/refund/{refund_id}"
    return _legs(prefix, order_id, reversal, accounts, already_posted, back=True)
