"""Settlement: windows over the ledger, net positions, pay instructions, files, reconciliation.

The package in layers, each module with one purpose:

``windows``, ``positions``, ``files``
    the pure rules (no clock, no database): a window's states, the net
    positions and pay instructions of its transfers, a participant's
    settlement file as CSV or JSON;
``reconciliation``
    pure too: a participant's own statement read and matched line by line
    against the switch's lines;
``window_store``, ``line_store``
    the rules fed from the stored ledger: closing and settling windows,
    their stored positions, a participant's lines read a page at a time;
``service``
    what the routes and the CLI call: transactions, the cutoff and its
    grace, refusals with stable codes.

Every refusal is a `SettlementError` (or, for the service's own checks, a
`hutong.protocol.errors.HutongError`) with a stable code.
"""

from hutong.ledger.settlement.ack_store import Answer
from hutong.ledger.settlement.acknowledgements import Acknowledgement
from hutong.ledger.settlement.errors import SettlementError
from hutong.ledger.settlement.files import (
    COLUMNS,
    Direction,
    SettlementFile,
    SettlementLine,
    lines_by_participant,
    participant_lines,
    settlement_file,
)
from hutong.ledger.settlement.positions import (
    HUB,
    Instruction,
    Position,
    Positions,
    WindowTransfer,
    instructions,
    movements,
    net_positions,
)
from hutong.ledger.settlement.reconciliation import (
    Report,
    Statement,
    parse_statement,
    reconcile,
)
from hutong.ledger.settlement.window_store import StoredWindow, WindowDetail
from hutong.ledger.settlement.windows import (
    TRANSITIONS,
    Window,
    WindowEvent,
    WindowState,
    advance,
)

__all__ = [
    "COLUMNS",
    "HUB",
    "TRANSITIONS",
    "Acknowledgement",
    "Answer",
    "Direction",
    "Instruction",
    "Position",
    "Positions",
    "Report",
    "SettlementError",
    "SettlementFile",
    "SettlementLine",
    "Statement",
    "StoredWindow",
    "Window",
    "WindowDetail",
    "WindowEvent",
    "WindowState",
    "WindowTransfer",
    "advance",
    "instructions",
    "lines_by_participant",
    "movements",
    "net_positions",
    "parse_statement",
    "participant_lines",
    "reconcile",
    "settlement_file",
]
