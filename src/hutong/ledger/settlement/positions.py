"""Net positions of a window and the pay instructions that settle them. Pure code.

Positions
---------
Every transfer is a movement ``(debit_owner, credit_owner, asset, amount)``
between the owners of its two accounts: the debit owner owes the credit owner
the amount (a wallet's position debited for a merchant's receivable: the wallet
collected the buyer's money and owes it to the merchant). A transfer between
two accounts of one owner moves nothing between participants and is ignored.

`net_positions` reads the movements once (a single pass, O(1) work each, memory
proportional to the pairs of participants that traded, never to the number of
transfers) and answers, per asset:

* the **bilateral** net of a participant with each counterparty: what it
  receives from that counterparty less what it pays it (positive: it is owed);
* the **multilateral** (overall) net of each participant: the sum of its
  bilateral nets.

Every movement adds its amount to one participant and takes it from another,
so per asset the overall nets add up to zero, and so do the two sides of
every pair.

Instructions
------------
`instructions` settles each participant's overall net against the hub
(Mojaloop's multilateral net settlement): per asset, a participant whose net
is negative pays the hub exactly that much, and the hub pays each participant
whose net is positive exactly that much. So a participant pays or receives
only what the network owes, in one payment, and is never told to pay a
participant it never dealt with (a greedy pairing of the largest debtor with
the largest creditor told 88VIP to pay Douyin, two parties that never met).
Per asset the hub pays out exactly what it is paid in (the nets sum to zero),
so the instructions sum to zero and the hub keeps nothing. There is one
instruction per participant with a non-zero net, payers first, by name.

Bilateral settlement between the parties who dealt was the other choice; it
needs one payment per pair instead of one per participant, and a participant
owed by one and owing another pays and receives both, so it moves more money
than the network owes. The bilateral nets stay in each file for reconciling.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from hutong.ledger.settlement.errors import SettlementError

__all__ = [
    "HUB",
    "Instruction",
    "Position",
    "Positions",
    "WindowTransfer",
    "instructions",
    "movements",
    "net_positions",
]


#: The settlement hub: the account of the switch's operator at the settlement bank, which
#: every participant pays its net debit into and is paid its net credit from.
HUB = "hub"


class WindowTransfer(NamedTuple):
    """A posted ledger transfer of the window, reduced to who owes whom."""

    transfer_id: str
    debit_owner: str
    credit_owner: str
    asset: str
    amount: int

    @property
    def movement(self) -> tuple[str, str, str, int]:
        return (self.debit_owner, self.credit_owner, self.asset, self.amount)


def movements(transfers: Iterable[WindowTransfer]) -> Iterator[tuple[str, str, str, int]]:
    """The movements of `transfers`, lazily: ``net_positions(movements(...))``."""
    for transfer in transfers:
        yield transfer.movement


def _check_movement(number: int, debit: str, credit: str, asset: str, amount: int) -> None:
    if not debit or not credit or not asset:
        raise SettlementError(
            "invalid_transfer", f"transfer #{number}: owners and asset must be non-empty"
        )
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise SettlementError(
            "invalid_transfer", f"transfer #{number}: amount must be a positive integer"
        )


class Position(NamedTuple):
    asset: str
    participant: str
    #: None on an overall (multilateral) position.
    counterparty: str | None
    net: int


@dataclass(frozen=True, slots=True)
class Positions:
    """Net positions of a window, per asset; positive: owed to the participant."""

    #: (asset, a, b) with a < b -> what a is owed by b (negative: a owes b).
    pairs: Mapping[tuple[str, str, str], int]
    #: (asset, participant) -> overall net.
    overall: Mapping[tuple[str, str], int]
    #: Movements read, and those ignored as within one owner.
    transfers: int = 0
    internal: int = 0

    def assets(self) -> list[str]:
        return sorted({asset for asset, _ in self.overall})

    def participants(self) -> list[str]:
        return sorted({participant for _, participant in self.overall})

    def net(self, participant: str, asset: str) -> int:
        """The participant's overall (multilateral) net in `asset`."""
        return self.overall.get((asset, participant), 0)

    def bilateral(self, participant: str, counterparty: str, asset: str) -> int:
        """What `participant` is owed by `counterparty` in `asset` (negative: it owes)."""
        if participant <= counterparty:
            return self.pairs.get((asset, participant, counterparty), 0)
        return -self.pairs.get((asset, counterparty, participant), 0)

    def bilateral_rows(self) -> list[Position]:
        """Every pair seen from both sides, sorted by asset, participant, counterparty."""
        rows = []
        for (asset, a, b), net in self.pairs.items():
            rows.append(Position(asset, a, b, net))
            rows.append(Position(asset, b, a, -net))
        return sorted(rows)

    def overall_rows(self) -> list[Position]:
        return sorted(Position(a, p, None, net) for (a, p), net in self.overall.items())


def net_positions(transfers: Iterable[tuple[str, str, str, int]]) -> Positions:
    """Bilateral and multilateral nets of the movements, in one streaming pass.

    Pairs and participants whose net comes to zero stay in the answer (they
    traded in the window); `instructions` skips them.
    """
    pairs: defaultdict[tuple[str, str, str], int] = defaultdict(int)
    overall: defaultdict[tuple[str, str], int] = defaultdict(int)
    count = internal = 0
    for debit, credit, asset, amount in transfers:
        count += 1
        _check_movement(count, debit, credit, asset, amount)
        if debit == credit:
            internal += 1
            continue
        if credit < debit:
            pairs[(asset, credit, debit)] += amount
        else:
            pairs[(asset, debit, credit)] -= amount
        overall[(asset, credit)] += amount
        overall[(asset, debit)] -= amount
    return Positions(dict(pairs), dict(overall), count, internal)


# -- instructions ---------------------------------------------------------------------------


class Instruction(NamedTuple):
    """`payer` pays `payee` `amount` of `asset` to settle the window."""

    asset: str
    payer: str
    payee: str
    amount: int

    def to_dict(self) -> dict[str, Any]:
        return self._asdict()


def instructions(positions: Positions, hub: str = HUB) -> list[Instruction]:
    """Each participant's overall net settled with `hub`: debtors pay it, it pays creditors."""
    by_asset: defaultdict[str, list[tuple[str, int]]] = defaultdict(list)
    for (asset, participant), net in positions.overall.items():
        if net:
            by_asset[asset].append((participant, net))
    out: list[Instruction] = []
    for asset in sorted(by_asset):
        nets = sorted(by_asset[asset])
        if sum(net for _, net in nets) != 0:
            raise SettlementError("unbalanced", f"the nets in {asset} do not add up to zero")
        out += [Instruction(asset, p, hub, -net) for p, net in nets if net < 0]
        out += [Instruction(asset, hub, p, net) for p, net in nets if net > 0]
    return out
