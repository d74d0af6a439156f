"""The refusals of settlement: one error class, a stable code each."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from hutong.protocol.errors import Kind, RuleBroken

__all__ = ["SettlementError"]


class SettlementError(RuleBroken, ValueError):
    """A refused settlement step: a stable ``code`` and a human ``message``."""

    kind = Kind.INVALID
    kinds: ClassVar[Mapping[str, Kind]] = {
        "unknown_window": Kind.NOT_FOUND,
        "unknown_participant": Kind.NOT_FOUND,
        "window_open": Kind.CONFLICT,
        "window_closed": Kind.CONFLICT,
        "window_settled": Kind.CONFLICT,
        "invalid_cutoff": Kind.CONFLICT,
        "no_open_window": Kind.CONFLICT,
        "not_in_window": Kind.NOT_FOUND,
        "already_confirmed": Kind.CONFLICT,
        "already_disputed": Kind.CONFLICT,
        "window_disputed": Kind.CONFLICT,
    }
