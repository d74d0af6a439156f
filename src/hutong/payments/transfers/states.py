"""The state machine of a wallet-to-wallet transfer.

Pure code; refusals are `PaymentError`s (`hutong.payments.rules`).

Transfers (wallet to wallet)
----------------------------
quoted -reserve-> reserved (the payer's wallet holds the total debit; before the
quote's deadline, else ``quote_expired``); quoted -fail-> failed (the payer's
wallet refused); reserved -fail-> failed (the same, for an execute that recorded
the reservation before it asked); reserved -commit-> committed (the payee's wallet confirmed and
the switch posts both sides; before the reservation's deadline, else
``reservation_expired``); reserved -release-> released (declined or
cancelled); quoted or reserved -expire-> expired (a deadline passed, whatever
was held goes back). Other refusals: ``not_reserved``, ``already_reserved``,
``already_committed``, ``already_released``, ``transfer_expired``,
``transfer_failed``, ``not_expired``.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from hutong.payments.rules import Machine


class TransferState(StrEnum):
    QUOTED = "quoted"
    RESERVED = "reserved"
    COMMITTED = "committed"
    RELEASED = "released"
    EXPIRED = "expired"
    FAILED = "failed"


class TransferEvent(StrEnum):
    RESERVE = "reserve"
    FAIL = "fail"
    COMMIT = "commit"
    RELEASE = "release"
    EXPIRE = "expire"


_T, _TE = TransferState, TransferEvent

TRANSFERS: Machine[TransferState, TransferEvent] = Machine(
    transitions={
        (_T.QUOTED, _TE.RESERVE): _T.RESERVED,
        (_T.QUOTED, _TE.FAIL): _T.FAILED,
        (_T.QUOTED, _TE.EXPIRE): _T.EXPIRED,
        (_T.RESERVED, _TE.FAIL): _T.FAILED,
        (_T.RESERVED, _TE.COMMIT): _T.COMMITTED,
        (_T.RESERVED, _TE.RELEASE): _T.RELEASED,
        (_T.RESERVED, _TE.EXPIRE): _T.EXPIRED,
    },
    refused={
        _T.QUOTED: "not_reserved",
        _T.RESERVED: "already_reserved",
        _T.COMMITTED: "already_committed",
        _T.RELEASED: "already_released",
        _T.EXPIRED: "transfer_expired",
        _T.FAILED: "transfer_failed",
    },
    late={_TE.RESERVE: "quote_expired", _TE.COMMIT: "reservation_expired"},
)

TRANSFER_TRANSITIONS = TRANSFERS.transitions


def transfer_transition(
    state: TransferState,
    event: TransferEvent,
    *,
    now: datetime | None = None,
    expires_at: datetime | None = None,
) -> TransferState:
    """A transfer's next state; `expires_at` is the quote's or the reservation's deadline."""
    return TRANSFERS.step(TransferState(state), TransferEvent(event), now, expires_at)
