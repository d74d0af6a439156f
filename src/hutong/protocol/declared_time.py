"""When a declared policy version may take effect: declared history is evidence. Pure code.

Every policy a participant declares (link rules, wallet acceptance, pickup and
carrier policies, storefront rules, commission schedules) is a dated version
with two times:

``declared_at``
    transaction time: the moment the switch stored the version (its clock).
``valid_from``
    valid time: the first day (UTC) the version decides anything.

The rule, for every kind::

    valid_from >= earliest_valid_from(now) = now (in UTC).date()

A plain declaration therefore only changes what the switch answers from its
declaration day on; an answer already given for an earlier day stays the
answer. A ``valid_from`` before that day is refused (``valid_from_in_past``,
invalid input, nothing written) unless the declaration says it is a
back-dated correction and why (`Correction`): then it is stored together with
a visible correction record (who, when, the valid_from it claims, the reason)
that every history listing shows. A correction changes what later ``?at=``
questions answer for its days; it never edits a recorded answer (resolutions,
refusals), which are rows of their own.

A correction that is not back-dated is refused (``invalid_correction``): a
declaration for today or later needs no excuse, and a correction flag on it
would cry wolf in the history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from hutong.protocol.errors import ValidationError

__all__ = [
    "MAX_CORRECTION_REASON",
    "Correction",
    "check_valid_from",
    "earliest_valid_from",
]

#: A reason is a sentence for the history, not a document.
MAX_CORRECTION_REASON = 500


@dataclass(frozen=True, slots=True)
class Correction:
    """A declaration's explicit claim to be back-dated, with its reason."""

    reason: str

    def __post_init__(self) -> None:
        reason = self.reason.strip()
        if not reason or len(reason) > MAX_CORRECTION_REASON:
            raise ValidationError(
                f"a correction needs a reason of 1 to {MAX_CORRECTION_REASON} characters",
                code="invalid_correction",
            )
        object.__setattr__(self, "reason", reason)


def earliest_valid_from(now: datetime) -> date:
    """The first day a version declared at `now` may take effect: its UTC day."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware (UTC)")
    return now.astimezone(UTC).date()


def check_valid_from(valid_from: date, now: datetime, correction: Correction | None) -> None:
    """Refuse a `valid_from` before the declaring day, unless it is a declared correction.

    Raises ``valid_from_in_past`` for a back-dated plain declaration and
    ``invalid_correction`` for a correction that is not back-dated.
    """
    earliest = earliest_valid_from(now)
    if correction is None and valid_from < earliest:
        raise ValidationError(
            f"valid_from {valid_from.isoformat()} is in the past: a version declared now "
            f"takes effect on {earliest.isoformat()} or later. A back-dated correction "
            'must say so: "correction": {"reason": "..."}',
            code="valid_from_in_past",
        )
    if correction is not None and valid_from >= earliest:
        raise ValidationError(
            f"valid_from {valid_from.isoformat()} is not before {earliest.isoformat()}: "
            "only a back-dated version is a correction; declare it without one",
            code="invalid_correction",
        )
