"""The double-entry ledger: accounts, transfers, splits. Every fen and point moves here.

`Ledger` (``ledger.service``) is the group-committing front door the running
switch uses; `ledger.models` holds accounts, transfers and their results,
`ledger.engine` the pure rules that apply a batch, `ledger.loading` what a
batch is applied on (and how a *fresh* one, whose caller proves its ids new,
skips reading them: the unique key refuses a duplicate), `ledger.store` the
transaction that applies it, `ledger.splits` the exact division of an
amount, and `ledger.settlement` the settlement windows.
"""

from hutong.ledger.models import (
    Account,
    AccountFlags,
    AccountKind,
    PendingState,
    Result,
    Transfer,
    TransferCode,
    TransferFlags,
    TransferRequest,
)
from hutong.ledger.service import BatchTooLarge, Ledger
from hutong.ledger.splits import BPS_WHOLE, Leg, SplitError, split

__all__ = [
    "BPS_WHOLE",
    "Account",
    "AccountFlags",
    "AccountKind",
    "BatchTooLarge",
    "Ledger",
    "Leg",
    "PendingState",
    "Result",
    "SplitError",
    "Transfer",
    "TransferCode",
    "TransferFlags",
    "TransferRequest",
    "split",
]
