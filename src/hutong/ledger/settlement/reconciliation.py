"""Reconciling a participant's own statement with the switch's settlement lines. Pure code.

Statements
----------
A statement is CSV (UTF-8, a byte-order mark tolerated) with a header row
naming at least the columns of a settlement file
(`hutong.ledger.settlement.files.COLUMNS`), in any order; other columns are ignored:

=============  =================================================================
transfer_id    the ledger transfer the line records (as in the settlement file)
counterparty   the participant on the other side
asset          ``CNY`` (fen) or ``points:<program>``
amount         a positive integer in the asset's smallest unit: ``1999``, never
               ``19.99``
direction      ``debit`` (the participant paid) or ``credit`` (it received)
=============  =================================================================

The settlement file the switch hands out is itself a valid statement.
Parsing is strict but never crashes: every bad row is reported with its line
number and a code (``missing_column``, ``wrong_field_count``,
``invalid_transfer_id``, ``invalid_counterparty``, ``invalid_asset``,
``invalid_amount``, ``invalid_direction``, ``malformed_csv``) and left out;
blank lines are skipped. A missing header column rejects the whole statement.

Report
------
`reconcile` matches lines by transfer id, in one pass over each side:

``matched``
    the same transfer with the same counterparty, asset, amount and direction;
``amount_mismatches``
    the same transfer whose signed amount differs (a different amount, or
    the direction turned around); both signed amounts are reported;
``detail_mismatches``
    the same transfer and amount with another counterparty or asset (the
    differing fields are named);
``missing_at_participant``
    switch lines the statement does not have;
``missing_at_switch``
    statement lines the switch does not have;
``duplicates``
    a transfer id listed again on the same side (each repeat after the first,
    which is the one compared);
``invalid_rows``
    the statement's parse errors.

Every list is sorted by transfer id (then line number); ``summary`` counts
each, and ``ok`` holds when nothing but matches was found.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from hutong.ledger.models import MAX_AMOUNT, valid_asset, valid_id
from hutong.ledger.settlement.files import COLUMNS, Direction, SettlementLine

MAX_FIELD = 255


class RowError(NamedTuple):
    """A statement row that could not be read: its line number, a code, why."""

    line: int
    code: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return self._asdict()


class StatementLine(NamedTuple):
    """A line of a participant's statement, with the line number it came from."""

    line: int
    entry: SettlementLine


@dataclass(frozen=True, slots=True)
class Statement:
    lines: tuple[StatementLine, ...]
    errors: tuple[RowError, ...]


def _row(line: int, row: dict[str, str]) -> SettlementLine | RowError:
    transfer_id = row["transfer_id"].strip()
    if not valid_id(transfer_id):
        return RowError(line, "invalid_transfer_id", f"transfer id {transfer_id!r} is not valid")
    counterparty = row["counterparty"].strip()
    if not counterparty or len(counterparty) > MAX_FIELD:
        return RowError(line, "invalid_counterparty", "counterparty is required")
    asset = row["asset"].strip()
    if not valid_asset(asset):
        return RowError(line, "invalid_asset", f"asset {asset!r} is not CNY or points:<program>")
    text = row["amount"].strip()
    if not text.isascii() or not text.isdigit() or int(text) <= 0 or int(text) > MAX_AMOUNT:
        return RowError(
            line,
            "invalid_amount",
            f"amount {text!r} is not a positive whole number of the asset's smallest unit",
        )
    try:
        direction = Direction(row["direction"].strip().lower())
    except ValueError:
        return RowError(line, "invalid_direction", "direction is debit or credit")
    return SettlementLine(transfer_id, counterparty, asset, int(text), direction)


def parse_statement(text: str | Iterable[str]) -> Statement:
    """Read a statement; rows that cannot be read are in ``errors``, not raised."""
    source = text.splitlines(keepends=True) if isinstance(text, str) else text
    lines: list[StatementLine] = []
    errors: list[RowError] = []
    reader = csv.reader(source, strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        return Statement((), (RowError(reader.line_num, "malformed_csv", str(exc)),))
    if header is None:
        return Statement((), (RowError(1, "missing_column", "the statement is empty"),))
    names = [name.strip().lstrip("\ufeff").lower() for name in header]
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        return Statement(
            (), (RowError(1, "missing_column", f"the header lacks {', '.join(missing)}"),)
        )
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            # The reader cannot resynchronise after a broken quote: stop here.
            errors.append(RowError(reader.line_num, "malformed_csv", str(exc)))
            break
        number = reader.line_num
        if not fields or all(not f.strip() for f in fields):
            continue
        if len(fields) != len(names):
            errors.append(
                RowError(
                    number,
                    "wrong_field_count",
                    f"{len(fields)} fields where the header has {len(names)}",
                )
            )
            continue
        parsed = _row(number, dict(zip(names, fields, strict=True)))
        if isinstance(parsed, RowError):
            errors.append(parsed)
        else:
            lines.append(StatementLine(number, parsed))
    return Statement(tuple(lines), tuple(errors))


# -- the report -----------------------------------------------------------------------------


class Mismatch(NamedTuple):
    transfer_id: str
    #: The statement's line number.
    line: int
    switch: SettlementLine
    participant: SettlementLine
    #: The fields that differ.
    fields: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "transfer_id": self.transfer_id,
            "line": self.line,
            "fields": list(self.fields),
            "switch": self.switch.to_dict(),
            "participant": self.participant.to_dict(),
            "switch_amount": self.switch.signed,
            "participant_amount": self.participant.signed,
        }


class Duplicate(NamedTuple):
    transfer_id: str
    #: "switch" or "participant": the side that lists the transfer again.
    side: str
    #: The statement's line number (0 on the switch's side).
    line: int
    entry: SettlementLine

    def to_dict(self) -> dict[str, Any]:
        return {
            "transfer_id": self.transfer_id,
            "side": self.side,
            "line": self.line,
            "entry": self.entry.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class Report:
    matched: tuple[StatementLine, ...] = ()
    amount_mismatches: tuple[Mismatch, ...] = ()
    detail_mismatches: tuple[Mismatch, ...] = ()
    missing_at_participant: tuple[SettlementLine, ...] = ()
    missing_at_switch: tuple[StatementLine, ...] = ()
    duplicates: tuple[Duplicate, ...] = ()
    invalid_rows: tuple[RowError, ...] = field(default=())

    @property
    def summary(self) -> dict[str, int]:
        return {
            "matched": len(self.matched),
            "amount_mismatches": len(self.amount_mismatches),
            "detail_mismatches": len(self.detail_mismatches),
            "missing_at_participant": len(self.missing_at_participant),
            "missing_at_switch": len(self.missing_at_switch),
            "duplicates": len(self.duplicates),
            "invalid_rows": len(self.invalid_rows),
        }

    @property
    def ok(self) -> bool:
        return all(count == 0 for name, count in self.summary.items() if name != "matched")

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "summary": self.summary,
            "matched": [{"line": s.line, **s.entry.to_dict()} for s in self.matched],
            "amount_mismatches": [m.to_dict() for m in self.amount_mismatches],
            "detail_mismatches": [m.to_dict() for m in self.detail_mismatches],
            "missing_at_participant": [s.to_dict() for s in self.missing_at_participant],
            "missing_at_switch": [
                {"line": s.line, **s.entry.to_dict()} for s in self.missing_at_switch
            ],
            "duplicates": [d.to_dict() for d in self.duplicates],
            "invalid_rows": [e.to_dict() for e in self.invalid_rows],
        }


def reconcile(
    switch_lines: Iterable[SettlementLine], statement: Statement | Iterable[StatementLine]
) -> Report:
    """Compare the switch's lines for a participant with the participant's statement."""
    errors: tuple[RowError, ...] = ()
    if isinstance(statement, Statement):
        errors, statement = statement.errors, statement.lines
    duplicates: list[Duplicate] = []
    ours: dict[str, SettlementLine] = {}
    for entry in switch_lines:
        if entry.transfer_id in ours:
            duplicates.append(Duplicate(entry.transfer_id, "switch", 0, entry))
        else:
            ours[entry.transfer_id] = entry
    seen: set[str] = set()
    matched: list[StatementLine] = []
    amounts: list[Mismatch] = []
    details: list[Mismatch] = []
    missing_at_switch: list[StatementLine] = []
    for theirs in statement:
        entry = theirs.entry
        if entry.transfer_id in seen:
            duplicates.append(Duplicate(entry.transfer_id, "participant", theirs.line, entry))
            continue
        seen.add(entry.transfer_id)
        mine = ours.get(entry.transfer_id)
        if mine is None:
            missing_at_switch.append(theirs)
            continue
        differ = tuple(
            name
            for name in ("counterparty", "asset", "amount", "direction")
            if getattr(mine, name) != getattr(entry, name)
        )
        if not differ:
            matched.append(theirs)
        elif mine.signed != entry.signed:
            amounts.append(Mismatch(entry.transfer_id, theirs.line, mine, entry, differ))
        else:
            details.append(Mismatch(entry.transfer_id, theirs.line, mine, entry, differ))
    missing_at_participant = [e for tid, e in ours.items() if tid not in seen]
    return Report(
        matched=tuple(sorted(matched, key=lambda s: (s.entry.transfer_id, s.line))),
        amount_mismatches=tuple(sorted(amounts, key=lambda m: (m.transfer_id, m.line))),
        detail_mismatches=tuple(sorted(details, key=lambda m: (m.transfer_id, m.line))),
        missing_at_participant=tuple(sorted(missing_at_participant)),
        missing_at_switch=tuple(
            sorted(missing_at_switch, key=lambda s: (s.entry.transfer_id, s.line))
        ),
        duplicates=tuple(
            sorted(duplicates, key=lambda d: (d.transfer_id, d.side != "switch", d.line))
        ),
        invalid_rows=tuple(sorted(errors)),
    )
