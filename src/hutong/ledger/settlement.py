"""Settlement windows: net positions, pay instructions and settlement files. Pure code.

No clock, no database: the service streams a window's posted transfers in and
stores what comes out.

Windows
-------
::

    open -close-> closed -settle-> settled

A window collects transfers while open. Closing it freezes its transfers:
positions, instructions and files are computed from a closed window (a file
for an open window is refused, ``window_open``). Settling records that the
instructions were paid. Nothing goes back: closing a closed window is
``window_closed``, settling an open one ``window_open`` (close it first), and
anything on a settled window ``window_settled``.

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
`instructions` turns overall nets into payments: per asset, the largest debtor
pays the largest creditor as much as both allow, and so on (ties by name). Each
instruction is positive, every participant pays or receives exactly its net,
and there are at most (participants - 1) instructions per asset.

Settlement files
----------------
A participant's file has **one line per transfer** that touches it, seen from
its side: ``transfer_id, counterparty, asset, amount, direction`` with
``direction`` ``debit`` (it pays) or ``credit`` (it receives) and ``amount`` in
integer fen (or points), never negative. One line per transfer (rather than
one per counterparty) is what makes the file reconcile: each line names the
ledger transfer it comes from, and its own statement can be matched line by
line (`hutong.ledger.reconciliation` reads the same columns). The JSON form
adds the per-counterparty and overall nets computed from those lines and the
participant's pay instructions. Lines are sorted by transfer id; numbers are
integers; the column order is `COLUMNS`. Both renderings are deterministic.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import IO, Any, ClassVar, NamedTuple

from hutong.protocol.errors import Kind, RuleBroken


class SettlementError(RuleBroken, ValueError):
    """A refused settlement step: a stable ``code`` and a human ``message``."""

    kind = Kind.INVALID
    kinds: ClassVar[Mapping[str, Kind]] = {
        "unknown_window": Kind.NOT_FOUND,
        "unknown_participant": Kind.NOT_FOUND,
        "window_open": Kind.CONFLICT,
        "window_closed": Kind.CONFLICT,
        "window_settled": Kind.CONFLICT,
        "invalid_cutoff": Kind.CONFLICT,
        "no_open_window": Kind.CONFLICT,
    }


# -- windows --------------------------------------------------------------------------------


class WindowState(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    SETTLED = "settled"


class WindowEvent(StrEnum):
    CLOSE = "close"
    SETTLE = "settle"


TRANSITIONS: Mapping[tuple[WindowState, WindowEvent], WindowState] = {
    (WindowState.OPEN, WindowEvent.CLOSE): WindowState.CLOSED,
    (WindowState.CLOSED, WindowEvent.SETTLE): WindowState.SETTLED,
}

#: Why an event is refused in a state: the code names where the window is.
_REFUSALS: Mapping[WindowState, tuple[str, str]] = {
    WindowState.OPEN: ("window_open", "the window is still open; close it first"),
    WindowState.CLOSED: ("window_closed", "the window is already closed"),
    WindowState.SETTLED: ("window_settled", "the window is settled; nothing changes it"),
}


def advance(state: WindowState, event: WindowEvent) -> WindowState:
    """The state after `event`, or a `SettlementError` with a code for `state`."""
    after = TRANSITIONS.get((WindowState(state), WindowEvent(event)))
    if after is None:
        code, message = _REFUSALS[WindowState(state)]
        raise SettlementError(code, f"cannot {WindowEvent(event).value}: {message}")
    return after


@dataclass(frozen=True, slots=True)
class Window:
    """A settlement window: transfers posted in [start, end) belong to it."""

    id: str
    start: datetime
    end: datetime
    state: WindowState = WindowState.OPEN

    def __post_init__(self) -> None:
        if not self.id:
            raise SettlementError("invalid_window", "a window needs an id")
        if self.end <= self.start:
            raise SettlementError("invalid_window", "a window ends after it starts")

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "state": self.state.value,
        }


# -- positions ------------------------------------------------------------------------------


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


def instructions(positions: Positions) -> list[Instruction]:
    """Greedy matching of debtors and creditors, per asset; settles every net exactly."""
    by_asset: defaultdict[str, list[tuple[str, int]]] = defaultdict(list)
    for (asset, participant), net in positions.overall.items():
        if net:
            by_asset[asset].append((participant, net))
    out: list[Instruction] = []
    for asset in sorted(by_asset):
        nets = by_asset[asset]
        debtors = sorted(((-net, p) for p, net in nets if net < 0), key=lambda x: (-x[0], x[1]))
        creditors = sorted(((net, p) for p, net in nets if net > 0), key=lambda x: (-x[0], x[1]))
        if sum(d for d, _ in debtors) != sum(c for c, _ in creditors):
            raise SettlementError("unbalanced", f"the nets in {asset} do not add up to zero")
        i = j = 0
        owed, payer = debtors[0] if debtors else (0, "")
        due, payee = creditors[0] if creditors else (0, "")
        while i < len(debtors) and j < len(creditors):
            amount = min(owed, due)
            out.append(Instruction(asset, payer, payee, amount))
            owed, due = owed - amount, due - amount
            if owed == 0 and (i := i + 1) < len(debtors):
                owed, payer = debtors[i]
            if due == 0 and (j := j + 1) < len(creditors):
                due, payee = creditors[j]
    return out


# -- settlement files -----------------------------------------------------------------------


class Direction(StrEnum):
    DEBIT = "debit"  # the participant pays
    CREDIT = "credit"  # the participant receives


#: The columns of a settlement file and of a participant's statement, in order.
COLUMNS = ("transfer_id", "counterparty", "asset", "amount", "direction")


class SettlementLine(NamedTuple):
    """One transfer as one participant sees it."""

    transfer_id: str
    counterparty: str
    asset: str
    amount: int
    direction: Direction

    @property
    def signed(self) -> int:
        """The amount with its sign: received positive, paid negative."""
        return self.amount if self.direction is Direction.CREDIT else -self.amount

    def to_dict(self) -> dict[str, Any]:
        return {**self._asdict(), "direction": self.direction.value}


def participant_lines(
    participant: str, transfers: Iterable[WindowTransfer]
) -> Iterator[SettlementLine]:
    """The lines of `participant`'s file: each transfer that touches it, from its side."""
    for t in transfers:
        if t.debit_owner == t.credit_owner:
            continue
        if t.debit_owner == participant:
            yield SettlementLine(t.transfer_id, t.credit_owner, t.asset, t.amount, Direction.DEBIT)
        elif t.credit_owner == participant:
            yield SettlementLine(t.transfer_id, t.debit_owner, t.asset, t.amount, Direction.CREDIT)


def lines_by_participant(
    transfers: Iterable[WindowTransfer],
) -> dict[str, list[SettlementLine]]:
    """Every participant's lines, in one pass over the window's transfers."""
    out: defaultdict[str, list[SettlementLine]] = defaultdict(list)
    for t in transfers:
        if t.debit_owner == t.credit_owner:
            continue
        out[t.debit_owner].append(
            SettlementLine(t.transfer_id, t.credit_owner, t.asset, t.amount, Direction.DEBIT)
        )
        out[t.credit_owner].append(
            SettlementLine(t.transfer_id, t.debit_owner, t.asset, t.amount, Direction.CREDIT)
        )
    return dict(out)


@dataclass(frozen=True, slots=True)
class SettlementFile:
    """A participant's settlement file for a closed window; `to_csv` and `to_json` render it."""

    participant: str
    window: Window
    lines: tuple[SettlementLine, ...]
    instructions: tuple[Instruction, ...] = field(default=())

    def counterparty_nets(self) -> list[Position]:
        """Per asset and counterparty, the net of the lines (positive: owed to the participant)."""
        nets: defaultdict[tuple[str, str], int] = defaultdict(int)
        for line in self.lines:
            nets[(line.asset, line.counterparty)] += line.signed
        return [
            Position(asset, self.participant, cp, net) for (asset, cp), net in sorted(nets.items())
        ]

    def overall_nets(self) -> list[Position]:
        nets: defaultdict[str, int] = defaultdict(int)
        for line in self.lines:
            nets[line.asset] += line.signed
        return [Position(asset, self.participant, None, net) for asset, net in sorted(nets.items())]

    def write_csv(self, out: IO[str]) -> None:
        """Write the lines as CSV (header `COLUMNS`, ``\\n`` line ends) to a text stream."""
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        for line in self.lines:
            writer.writerow(
                (line.transfer_id, line.counterparty, line.asset, line.amount, line.direction.value)
            )

    def to_csv(self) -> str:
        out = io.StringIO()
        self.write_csv(out)
        return out.getvalue()

    def to_dict(self) -> dict[str, Any]:
        return {
            "participant": self.participant,
            "window": self.window.to_dict(),
            "columns": list(COLUMNS),
            "lines": [line.to_dict() for line in self.lines],
            "positions": [
                {"asset": p.asset, "counterparty": p.counterparty, "net": p.net}
                for p in self.counterparty_nets()
            ],
            "net": [{"asset": p.asset, "net": p.net} for p in self.overall_nets()],
            "instructions": [i.to_dict() for i in self.instructions],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n"


def settlement_file(
    participant: str,
    window: Window,
    lines: Iterable[SettlementLine],
    instructions: Iterable[Instruction] = (),
) -> SettlementFile:
    """`participant`'s file for a closed (or settled) window.

    `lines` are its lines (`participant_lines`, `lines_by_participant`);
    of `instructions` only those it pays or receives are kept.
    """
    if window.state is WindowState.OPEN:
        raise SettlementError("window_open", "settlement files are made from a closed window")
    ordered = tuple(sorted(lines, key=lambda line: (line.transfer_id, line.direction)))
    seen = set()
    for line in ordered:
        if line.transfer_id in seen:
            raise SettlementError(
                "duplicate_transfer", f"transfer {line.transfer_id} is in the file twice"
            )
        seen.add(line.transfer_id)
    mine = tuple(i for i in instructions if participant in (i.payer, i.payee))
    return SettlementFile(participant, window, ordered, mine)
