"""What the settlement routes send that their handlers do not annotate.

A participant's file as JSON (`SettlementFile.to_dict`): its window, its
lines in the columns of the CSV rendering, its net position against each
counterparty and overall, and the pay instructions it pays or receives.
"""

from __future__ import annotations

from typing import Literal

import msgspec

__all__ = [
    "FileInstructionOut",
    "FileLineOut",
    "FileNetOut",
    "FilePositionOut",
    "FileWindowOut",
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
