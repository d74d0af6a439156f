"""Justifications: why a party treats someone differently, from a closed set.

A policy version, a storefront refusal, a delisting or a decision refusal may
carry one: `{"code": one of JUSTIFICATION_CODES, "reference": "..."}`. The
auditor (fairness rule: "without justification", 无正当理由) does not count a
justified difference applied equally to own and rival parties as a finding;
one applied to rivals only still is, with the justification shown.

Pure: a code outside the closed set is refused (`invalid_justification`),
so the evidence never holds free-form excuses.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from hutong.protocol.errors import ValidationError

__all__ = [
    "JUSTIFICATION_CODES",
    "Justification",
    "JustificationCode",
    "justification_of",
    "parse_justification",
]

#: The longest reference (a case number, a regulator's notice, a URL).
MAX_REFERENCE = 512


class JustificationCode(StrEnum):
    FRAUD = "fraud"
    SAFETY = "safety"
    LEGAL = "legal"
    QUALITY = "quality"
    CAPACITY = "capacity"


JUSTIFICATION_CODES = tuple(c.value for c in JustificationCode)


@dataclass(frozen=True, slots=True)
class Justification:
    code: JustificationCode
    #: Where the reason can be checked: a case id, a notice, a URL ("" if none).
    reference: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code.value, "reference": self.reference}


def _refused(detail: str) -> ValidationError:
    return ValidationError(
        f"{detail}; a justification is {{code, reference}} with code one of "
        f"{', '.join(JUSTIFICATION_CODES)}",
        code="invalid_justification",
    )


def parse_justification(value: Any) -> Justification | None:
    """`value` (None, or a `{code, reference?}` mapping) as a Justification, or refused."""
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) - {"code", "reference"}:
        raise _refused("a justification has only the members code and reference")
    code, reference = value.get("code"), value.get("reference", "")
    if not isinstance(code, str) or code not in JUSTIFICATION_CODES:
        raise _refused(f"unknown justification code {code!r}")
    if not isinstance(reference, str) or len(reference) > MAX_REFERENCE:
        raise _refused(f"the reference must be a string of at most {MAX_REFERENCE} characters")
    return Justification(JustificationCode(code), reference.strip())


def justification_of(code: str | None, reference: str | None) -> Justification | None:
    """A stored pair of columns as a Justification (None when no code was stored)."""
    if not code:
        return None
    return Justification(JustificationCode(code), reference or "")
