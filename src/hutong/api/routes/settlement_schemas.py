"""What the settlement routes send that their handlers do not annotate.

A participant's file as JSON (`SettlementFile.to_dict`): its window, its
lines in the columns of the CSV rendering, its net position against each
counterparty and overall, and the pay instructions it pays or receives. A
reconciliation's report (`Report.to_dict`, `hutong.ledger.settlement.
reconciliation`): what matched, what differs, what either side lacks.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

from hutong.api.documented import CODES, RESULT

__all__ = [
    "ANSWER_OPT",
    "FILE_CODES",
    "RECONCILE_OPT",
    "AnswerOut",
    "FileInstructionOut",
    "FileLineOut",
    "FileNetOut",
    "FilePositionOut",
    "FileWindowOut",
    "ReconciliationOut",
    "SettlementFileOut",
]


class FileWindowOut(msgspec.Struct, kw_only=True):
    id: str
    #: The window covers transfers posted in [start, end).
    start: str
    end: str
    state: str


class FileLineOut(msgspec.Struct, kw_only=True):
    transfer_id: str
    counterparty: str
    asset: str
    #: Fen (or points), always positive: `direction` says which way.
    amount: int
    direction: Literal["debit", "credit"]


class FilePositionOut(msgspec.Struct, kw_only=True):
    asset: str
    counterparty: str
    #: Received less paid: positive, the counterparty owes the participant.
    net: int


class FileNetOut(msgspec.Struct, kw_only=True):
    asset: str
    net: int


class FileInstructionOut(msgspec.Struct, kw_only=True):
    asset: str
    payer: str
    payee: str
    amount: int


class SettlementFileOut(msgspec.Struct, kw_only=True):
    """A participant's settlement file as JSON (`?format=json`)."""

    participant: str
    window: FileWindowOut
    #: The CSV's columns, in order.
    columns: list[str]
    lines: list[FileLineOut]
    positions: list[FilePositionOut]
    net: list[FileNetOut]
    instructions: list[FileInstructionOut]


class StatementLineOut(msgspec.Struct, kw_only=True):
    """A statement's line (its line number) or a switch's line (`line` absent)."""

    transfer_id: str
    counterparty: str
    asset: str
    amount: int
    direction: Literal["debit", "credit"]
    line: int | None = None


class MismatchOut(msgspec.Struct, kw_only=True):
    transfer_id: str
    #: The statement's line number.
    line: int
    #: The fields that differ.
    fields: list[str]
    switch: FileLineOut
    participant: FileLineOut
    #: Signed: received positive, paid negative.
    switch_amount: int
    participant_amount: int


class DuplicateOut(msgspec.Struct, kw_only=True):
    transfer_id: str
    side: Literal["switch", "participant"]
    #: The statement's line number (0 on the switch's side).
    line: int
    entry: FileLineOut


class RowErrorOut(msgspec.Struct, kw_only=True):
    """A statement row that could not be read (`missing_column`, `invalid_amount`, ...)."""

    line: int
    code: str
    message: str


class ReconciliationSummary(msgspec.Struct, kw_only=True):
    matched: int
    amount_mismatches: int
    detail_mismatches: int
    missing_at_participant: int
    missing_at_switch: int
    duplicates: int
    invalid_rows: int


class ReconciliationOut(msgspec.Struct, kw_only=True):
    """A statement compared with the switch's lines: `ok` when nothing but matches was found."""

    ok: bool
    summary: ReconciliationSummary
    matched: list[StatementLineOut]
    amount_mismatches: list[MismatchOut]
    detail_mismatches: list[MismatchOut]
    missing_at_participant: list[FileLineOut]
    missing_at_switch: list[StatementLineOut]
    duplicates: list[DuplicateOut]
    invalid_rows: list[RowErrorOut]


class AnswerOut(msgspec.Struct, kw_only=True):
    window_id: str
    participant: str
    #: pending, confirmed or disputed.
    state: str
    reason: str
    at: datetime | None


class AnswerAnswer(msgspec.Struct, kw_only=True):
    answer: AnswerOut


#: The codes reading a participant's file (and so reconciling) refuses with.
FILE_CODES = {
    404: ("unknown_window", "unknown_participant"),
    409: ("window_open",),
    422: ("duplicate_transfer",),
}
#: `opt` of reconciling a statement: the report, whatever the statement's rows hold.
RECONCILE_OPT: dict[str, object] = {RESULT: ReconciliationOut, CODES: FILE_CODES}
#: `opt` of confirming or disputing a window's settlement.
ANSWER_OPT: dict[str, object] = {
    RESULT: AnswerAnswer,
    CODES: {
        404: ("unknown_window", "not_in_window"),
        409: (
            "window_open",
            "window_settled",
            "already_confirmed",
            "already_disputed",
            "message_id_conflict",
        ),
        422: ("invalid_reason",),
    },
}
