"""A participant's settlement file for a closed window, as CSV or JSON. Pure code.

A participant's file has **one line per transfer** that touches it, seen from
its side: ``transfer_id, counterparty, asset, amount, direction`` with
``direction`` ``debit`` (it pays) or ``credit`` (it receives) and ``amount`` in
integer fen (or points), never negative. One line per transfer (rather than
one per counterparty) is what makes the file reconcile: each line names the
ledger transfer it comes from, and its own statement can be matched line by
line (`hutong.ledger.settlement.reconciliation` reads the same columns). The JSON form
adds the per-counterparty and overall nets computed from those lines and the
participant's pay instructions. Lines are sorted by transfer id; numbers are
integers; the column order is `COLUMNS`. Both renderings are deterministic.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import IO, Any, NamedTuple

from hutong.ledger.settlement.errors import SettlementError
from hutong.ledger.settlement.positions import Instruction, Position, WindowTransfer
from hutong.ledger.settlement.windows import Window, WindowState

__all__ = [
    "COLUMNS",
    "Direction",
    "SettlementFile",
    "SettlementLine",
    "lines_by_participant",
    "participant_lines",
    "settlement_file",
]


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
