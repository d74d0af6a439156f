"""The state machine of a wallet-to-wallet transfer.

Pure code; refusals are `PaymentError`s (`hutong.payments.rules`).

Transfers (wallet to wallet)
----------------------------
::

    quoted -ask-----> asking     the execute is recorded (with its message id's claim)
                                 before any wallet is asked; before the quote's
                                 deadline, else ``quote_expired``
    quoted -expire--> expired    the quote's deadline passed, nobody was asked
    asking -fail----> failed     the payer's wallet refused to hold the total debit
    asking -commit--> committed  the payer's wallet holds it, the payee's confirmed
                                 the credit: the switch posts both sides; before
                                 the deadline, else ``reservation_expired``
    asking -release-> released   a wallet refused the credit or did not answer, or the
                                 deadline passed (``reservation_expired``, a switch
                                 that died mid-execute): whatever a wallet holds
                                 goes back, both wallets told

* ``asking`` says what has happened and no more: the switch is asking the
  wallets (the payer's to ``reserve``, then the payee's to ``confirm``) and
  has moved nothing in the ledger. The payer's wallet may or may not hold
  the money yet; only ``committed`` says both wallets agreed. Recording
  what each wallet answered on the way would cost the execute a commit.
* ``expires_at`` is the quote's deadline while quoted, then how long the
  asking may last (both wallets' call timeouts and a margin): at it an
  unfinished transfer is released and both wallets told.
* Other events are refused with a code for the state (`Machine.refused`):
  ``not_asked``, ``already_asked``, ``already_committed``,
  ``already_released``, ``transfer_expired``, ``transfer_failed``; expiring
  a quote before its deadline is ``not_expired``.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from hutong.payments.rules import Machine


class TransferState(StrEnum):
    QUOTED = "quoted"
    ASKING = "asking"
    COMMITTED = "committed"
    RELEASED = "released"
    EXPIRED = "expired"
    FAILED = "failed"


class TransferEvent(StrEnum):
    ASK = "ask"
    FAIL = "fail"
    COMMIT = "commit"
    RELEASE = "release"
    EXPIRE = "expire"


_T, _TE = TransferState, TransferEvent

TRANSFERS: Machine[TransferState, TransferEvent] = Machine(
    transitions={
        (_T.QUOTED, _TE.ASK): _T.ASKING,
        (_T.QUOTED, _TE.EXPIRE): _T.EXPIRED,
        (_T.ASKING, _TE.FAIL): _T.FAILED,
        (_T.ASKING, _TE.COMMIT): _T.COMMITTED,
        (_T.ASKING, _TE.RELEASE): _T.RELEASED,
    },
    refused={
        _T.QUOTED: "not_asked",
        _T.ASKING: "already_asked",
        _T.COMMITTED: "already_committed",
        _T.RELEASED: "already_released",
        _T.EXPIRED: "transfer_expired",
        _T.FAILED: "transfer_failed",
    },
    late={_TE.ASK: "quote_expired", _TE.COMMIT: "reservation_expired"},
)

TRANSFER_TRANSITIONS = TRANSFERS.transitions


def transfer_transition(
    state: TransferState,
    event: TransferEvent,
    *,
    now: datetime | None = None,
    expires_at: datetime | None = None,
) -> TransferState:
    """A transfer's next state; `expires_at` is the quote's or the asking's deadline."""
    return TRANSFERS.step(TransferState(state), TransferEvent(event), now, expires_at)
