"""Wallet-to-wallet transfers: a quote, then a two-phase transfer, committed or released whole.

`directory` keeps the alias directory (pure rules in `aliases`), `quotes`
prices a transfer, `execute` runs it exactly once per message id
(`execute_once`, the one way in; `settle`: its writes) and
`store` keeps the rows; `states` is
the pure state machine.
"""

from hutong.payments.transfers import directory, store
from hutong.payments.transfers.execute import execute_once
from hutong.payments.transfers.quotes import DEFAULT_QUOTE_TTL, MAX_ACCOUNT, QuoteRequest, quote
from hutong.payments.transfers.settle import TransferDeclined, expire_due
from hutong.payments.transfers.states import TransferState
from hutong.payments.transfers.steps import readable
from hutong.payments.transfers.store import TransferRow, forget_wallets
from hutong.payments.transfers.wallets import require_wallet

__all__ = [
    "DEFAULT_QUOTE_TTL",
    "MAX_ACCOUNT",
    "QuoteRequest",
    "TransferDeclined",
    "TransferRow",
    "TransferState",
    "directory",
    "execute_once",
    "expire_due",
    "forget_wallets",
    "quote",
    "readable",
    "require_wallet",
    "store",
]
