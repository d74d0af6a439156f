"""A settlement window as the operator's routes answer it (and `hutong settle` shows it).

`closed_shown` and `settled_shown` are how the operator's close and settle
present their results, recorded as the answer under an `Idempotency-Key`
(`hutong.api.operator_once`) or the CLI's `--message-id`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from hutong.ledger.settlement import StoredWindow, WindowDetail

__all__ = [
    "InstructionOut",
    "OverallOut",
    "PositionOut",
    "WindowDetailOut",
    "WindowOut",
    "closed_shown",
    "detail_out",
    "settled_shown",
    "window_out",
]


class WindowOut(msgspec.Struct, kw_only=True):
    id: str
    number: int
    state: str
    #: Transfers with from_seq < seq <= to_seq; to_seq is null while open.
    from_seq: int
    to_seq: int | None
    transfer_count: int
    #: The window covers transfers made in [opened_at, closed_at).
    opened_at: datetime
    closed_at: datetime | None
    settled_at: datetime | None
    closed_by: str


class PositionOut(msgspec.Struct, kw_only=True):
    asset: str
    participant: str
    #: What `participant` is owed by `counterparty` (negative: it owes).
    counterparty: str
    net: int


class OverallOut(msgspec.Struct, kw_only=True):
    asset: str
    participant: str
    #: Positive: owed to the participant.
    net: int


class InstructionOut(msgspec.Struct, kw_only=True):
    asset: str
    payer: str
    payee: str
    amount: int


class WindowDetailOut(msgspec.Struct, kw_only=True):
    window: WindowOut
    positions: list[PositionOut]
    overall: list[OverallOut]
    instructions: list[InstructionOut]


def window_out(w: StoredWindow) -> WindowOut:
    return WindowOut(
        id=w.id,
        number=w.number,
        state=w.state.value,
        from_seq=w.from_seq,
        to_seq=w.to_seq,
        transfer_count=w.transfer_count,
        opened_at=w.opened_at,
        closed_at=w.closed_at,
        settled_at=w.settled_at,
        closed_by=w.closed_by,
    )


def detail_out(d: WindowDetail) -> WindowDetailOut:
    return WindowDetailOut(
        window=window_out(d.window),
        positions=[
            PositionOut(asset=p.asset, participant=p.participant, counterparty=cp, net=p.net)
            for p in d.positions.bilateral_rows()
            if (cp := p.counterparty) is not None
        ],
        overall=[
            OverallOut(asset=p.asset, participant=p.participant, net=p.net)
            for p in d.positions.overall_rows()
        ],
        instructions=[InstructionOut(**i.to_dict()) for i in d.instructions],
    )


def closed_shown(detail: WindowDetail) -> tuple[int, dict[str, Any]]:
    """A window just closed, as the operator's close answers it."""
    return 200, msgspec.to_builtins(detail_out(detail))


def settled_shown(window: StoredWindow) -> tuple[int, dict[str, Any]]:
    """A window just settled, as the operator's settle answers it."""
    return 200, msgspec.to_builtins(window_out(window))
