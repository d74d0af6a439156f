"""The rules every payments state machine shares: amounts, refusals, the machine.

Pure code, no I/O and no clock: ``now`` is passed in. Every refusal is a
`PaymentError` with a stable ``code``, a sentence for a human and a kind
(`hutong.protocol.errors.RuleBroken`): the machines of payments
(`hutong.payments.checkout.states`), transfers
(`hutong.payments.transfers.states`) and pay-for-me requests
(`hutong.payments.pay_for_me.states`) are tables run by `Machine`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import ClassVar, Generic, TypeGuard, TypeVar

from hutong.protocol.errors import Kind, RuleBroken

__all__ = ["MAX_AMOUNT", "Machine", "PaymentError", "is_amount"]


#: Largest amount (signed 64-bit, as the ledger stores it).
MAX_AMOUNT = 2**63 - 1


class PaymentError(RuleBroken, ValueError):
    """A refusal: a stable machine-readable ``code`` and a human ``message``.

    Its kind, whoever raises it: ``invalid_*`` codes are the caller's input
    (INVALID), the codes below are what they say, and every other refusal
    (a state that does not allow the step, a cap, a balance) is a CONFLICT.
    """

    kinds: ClassVar[Mapping[str, Kind]] = {
        "alias_not_owned": Kind.FORBIDDEN,
        "alias_not_found": Kind.NOT_FOUND,
        # A quote with a wallet that declares no transfer fee is refused input.
        "fee_not_declared": Kind.INVALID,
    }


def is_amount(value: object) -> TypeGuard[int]:
    """An integer (bool refused) between 0 and MAX_AMOUNT."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_AMOUNT


_S = TypeVar("_S", bound=StrEnum)

_E = TypeVar("_E", bound=StrEnum)


@dataclass(frozen=True, slots=True)
class Machine(Generic[_S, _E]):
    """A transition table, the refusal code per state, and the events a deadline stops."""

    transitions: Mapping[tuple[_S, _E], _S]
    refused: Mapping[_S, str]
    late: Mapping[_E, str]
    #: Refusal codes of particular (state, event) pairs, instead of the state's.
    exceptions: Mapping[tuple[_S, _E], str] = field(default_factory=dict)

    def step(self, state: _S, event: _E, now: datetime | None, expires_at: datetime | None) -> _S:
        target = self.transitions.get((state, event))
        if target is None:
            code = self.exceptions.get((state, event), self.refused[state])
            raise PaymentError(code, f"cannot {event} in state {state}")
        due = now is not None and expires_at is not None and now >= expires_at
        if event.value == "expire" and not due:
            raise PaymentError("not_expired", f"cannot expire before the deadline ({expires_at})")
        if event in self.late and due:
            raise PaymentError(self.late[event], f"cannot {event}: the deadline was {expires_at}")
        return target
