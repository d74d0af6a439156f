"""Wallet-to-wallet transfers: a quote, then a two-phase transfer, committed or released whole.

`directory` keeps the alias directory (pure rules in `aliases`), `quotes`
prices a transfer, `execute` runs it (`settle`: the writes that end it) and
`store` keeps the rows; `states` is
the pure state machine.
"""

from hutong.payments.transfers import directory, store
from hutong.payments.transfers.execute import Execution, execute, start_execute
from hutong.payments.transfers.quotes import DEFAULT_QUOTE_TTL, MAX_ACCOUNT, QuoteRequest, quote
from hutong.payments.transfers.settle import TransferDeclined, expire_due
from hutong.payments.transfers.states import TransferState
from hutong.payments.transfers.steps import readable
from hutong.payments.transfers.store import TransferRow, forget_wallets
from hutong.payments.transfers.wallets import require_wallet

__all__ = [
    "DEFAULT_QUOTE_TTL",
    "MAX_ACCOUNT",
    "Execution",
    "QuoteRequest",
    "TransferDeclined",
    "TransferRow",
    "TransferState",
    "directory",
    "execute",
    "expire_due",
    "forget_wallets",
    "quote",
    "readable",
    "require_wallet",
    "start_execute",
    "store",
]
