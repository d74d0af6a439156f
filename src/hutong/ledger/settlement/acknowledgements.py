"""Each participant's answer to its settlement in a closed window. Pure code.

::

    pending -confirm-> confirmed
    pending -dispute-> disputed -confirm-> confirmed

A participant with a position in a closed window confirms that its file and
its instruction with the hub are right, or disputes them with a reason (its
reconciliation found a difference). A dispute can be withdrawn by confirming
once the difference is explained; a confirmation is final. A window with a
dispute is not settled (``window_disputed``); nothing is answered on an open
window (``window_open``) or a settled one (``window_settled``).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from hutong.ledger.settlement.errors import SettlementError
from hutong.ledger.settlement.windows import WindowState

__all__ = ["Acknowledgement", "acknowledge", "check_settleable"]

#: Longest reason a dispute may give.
MAX_REASON = 2000


class Acknowledgement(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    DISPUTED = "disputed"


def acknowledge(
    window: WindowState, current: Acknowledgement, wanted: Acknowledgement, reason: str
) -> Acknowledgement:
    """The participant's answer after `wanted`, or a `SettlementError` saying why not."""
    if window is WindowState.OPEN:
        raise SettlementError("window_open", "the window is still open; it is answered once closed")
    if window is WindowState.SETTLED:
        raise SettlementError("window_settled", "the window is settled; nothing changes it")
    if wanted is Acknowledgement.PENDING:
        raise SettlementError("invalid_acknowledgement", "confirm or dispute")
    if wanted is Acknowledgement.DISPUTED and not reason.strip():
        raise SettlementError("invalid_reason", "a dispute says what is wrong")
    if len(reason) > MAX_REASON:
        raise SettlementError("invalid_reason", f"a reason has at most {MAX_REASON} characters")
    if current is Acknowledgement.CONFIRMED:
        raise SettlementError(
            "already_confirmed", "this settlement was confirmed; a confirmation is final"
        )
    if current is wanted:
        raise SettlementError("already_disputed", "this settlement is already disputed")
    return wanted


def check_settleable(answers: Iterable[tuple[str, Acknowledgement]]) -> None:
    """Refuse to settle a window that a participant disputes (``window_disputed``)."""
    disputing = sorted(who for who, answer in answers if answer is Acknowledgement.DISPUTED)
    if disputing:
        raise SettlementError(
            "window_disputed",
            f"{', '.join(disputing)} dispute{'s' if len(disputing) == 1 else ''} this "
            "settlement; it is settled once every dispute is withdrawn",
        )
