"""Net debit caps and positions: the rules. Pure code.

Following Mojaloop's participant limits, a participant's **position** is what
it owes the network, net, in fen (CNY only):

    position = Σ over its CNY accounts (debits posted + debits pending - credits posted)
               - what settled windows settled

A hold counts against the payer the moment it is made (a reservation) and
for the payee only once it is posted. A transfer between two accounts of one
owner leaves its position as it was, once posted.

The operator declares each participant's **net debit cap** and **prefunded**
amount (what it deposited at the settlement bank): ``0 <= cap <= prefunded``,
so a participant can never owe more than it has put up. A participant
without a declared cap is not limited. A movement is refused when it would
take the position past the cap:

    position + increase > cap      ->  net_debit_cap_exceeded

A movement that lowers the position (a payment received, a refund given
back, a hold voided) is never refused, even above the cap.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from hutong.ledger.models import Account, yuan
from hutong.protocol.errors import Kind, RuleBroken

__all__ = [
    "LIQUIDITY_ASSET",
    "CapExceeded",
    "Limit",
    "LiquidityError",
    "check_cap",
    "net_debit",
    "position_changes",
]

#: The asset positions and caps are kept in.
LIQUIDITY_ASSET = "CNY"


class LiquidityError(RuleBroken, ValueError):
    """A refused liquidity step: a stable ``code`` and a human ``message``."""

    kinds: ClassVar[Mapping[str, Kind]] = {
        "net_debit_cap_exceeded": Kind.CONFLICT,
        "cap_exceeds_prefunded": Kind.INVALID,
        "no_liquidity_limit": Kind.NOT_FOUND,
    }


class CapExceeded(LiquidityError):
    """`net_debit_cap_exceeded`; its answer carries ``liquidity``: who, the cap, the position
    and the amount (the NACK's ``error`` keeps only its code and sentence)."""

    def __init__(self, participant: str, cap: int, position: int, amount: int) -> None:
        super().__init__(
            "net_debit_cap_exceeded",
            f"{participant} would owe the network {yuan(position + amount)}: its position "
            f"{yuan(position)} plus {yuan(amount)} is past its net debit cap {yuan(cap)}",
        )
        self.participant = participant
        self.cap = cap
        self.position = position
        self.amount = amount

    def body(self) -> dict[str, Any]:
        answer = super().body()
        answer["liquidity"] = {
            "participant": self.participant,
            "cap": self.cap,
            "position": self.position,
            "amount": self.amount,
        }
        return answer


@dataclass(frozen=True, slots=True)
class Limit:
    """A declared version of a participant's net debit cap and prefunded amount, in fen."""

    participant: str
    version: int
    net_debit_cap: int
    prefunded: int
    declared_at: datetime
    declared_by: str
    reason: str = ""

    def __post_init__(self) -> None:
        for name in ("net_debit_cap", "prefunded"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise LiquidityError(f"invalid_{name}", f"{name} is a whole number of fen, >= 0")
        if self.net_debit_cap > self.prefunded:
            raise LiquidityError(
                "cap_exceeds_prefunded",
                f"a net debit cap of {yuan(self.net_debit_cap)} is not covered by "
                f"{yuan(self.prefunded)} prefunded",
            )


def net_debit(account: Account) -> int:
    """What `account` counts toward its owner's position."""
    return account.debits_posted + account.debits_pending - account.credits_posted


def position_changes(before: Mapping[str, Account], after: Mapping[str, Account]) -> dict[str, int]:
    """Each owner's change of position between two views of the accounts in `after`."""
    changes: defaultdict[str, int] = defaultdict(int)
    for key, account in after.items():
        if account.asset != LIQUIDITY_ASSET:
            continue
        changes[account.owner] += net_debit(account) - net_debit(before[key])
    return {owner: change for owner, change in changes.items() if change}


def check_cap(participant: str, cap: int, position: int, change: int) -> None:
    """Refuse a `change` that raises `participant`'s position past `cap`."""
    if change > 0 and position + change > cap:
        raise CapExceeded(participant, cap, position, change)
