"""A carrier's tracking vocabulary mapped to Hutong's status set, as data.

Pure code, no I/O (an unmapped code logs a warning).

Each carrier plugin declares a `CarrierMapping`: a table from its own codes to
a `Rule` (status, sub-status, reason), and a second table for (code, sub-code)
pairs, because a carrier's main code can hide what matters: a parcel handed to
a station can arrive under a "delivering" code with a sub-code saying where it
went (快递100's 501 under 5, "in a locker or station").

`CarrierMapping.map` looks up the (code, sub-code) rule first, then the code
rule; a code it does not know becomes `Status.UNKNOWN` with sub-status
``unmapped``, the raw code kept and a warning logged. It never raises: a
carrier that starts sending a new code must not stop its other events.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from hutong.logistics.statuses import Status

log = logging.getLogger("hutong.logistics.mapping")

UNMAPPED = "unmapped"


@dataclass(frozen=True, slots=True)
class Rule:
    """What one carrier code (or code and sub-code) means."""

    status: Status
    sub_status: str
    reason: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", Status(self.status))
        if not self.sub_status.strip():
            raise ValueError("a rule names a sub-status")


@dataclass(frozen=True, slots=True)
class Mapped:
    """A carrier event's normalized meaning, with the carrier's raw codes kept.

    `mapped` is False when the carrier's code was not in its mapping.
    """

    status: Status
    sub_status: str
    reason: str
    raw_code: str
    raw_sub_code: str
    mapped: bool


@dataclass(frozen=True, slots=True)
class CarrierMapping:
    """One carrier's code tables. Sub-code rules win over code rules."""

    carrier: str
    codes: Mapping[str, Rule]
    sub_codes: Mapping[tuple[str, str], Rule] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.carrier.strip():
            raise ValueError("a mapping names its carrier")
        codes = dict(self.codes)
        sub_codes = dict(self.sub_codes)
        for code in codes:
            if not code.strip() or code != code.strip():
                raise ValueError(f"{self.carrier}: code {code!r} is empty or padded")
        for code, sub_code in sub_codes:
            if not code.strip() or not sub_code.strip():
                raise ValueError(f"{self.carrier}: sub-code key {(code, sub_code)!r} is empty")
        object.__setattr__(self, "codes", MappingProxyType(codes))
        object.__setattr__(self, "sub_codes", MappingProxyType(sub_codes))

    def map(self, raw_code: str, raw_sub_code: str = "") -> Mapped:
        """The meaning of a carrier event's code (and sub-code); never raises."""
        raw_code = "" if raw_code is None else str(raw_code)
        raw_sub_code = "" if raw_sub_code is None else str(raw_sub_code)
        code, sub_code = raw_code.strip(), raw_sub_code.strip()
        rule = self.sub_codes.get((code, sub_code)) if sub_code else None
        if rule is None:
            rule = self.codes.get(code)
        if rule is None:
            log.warning(
                "carrier %s sent unmapped tracking code %r (sub-code %r): status unknown",
                self.carrier,
                raw_code,
                raw_sub_code,
                extra={"carrier": self.carrier, "raw_code": raw_code, "raw_sub_code": raw_sub_code},
            )
            return Mapped(
                status=Status.UNKNOWN,
                sub_status=UNMAPPED,
                reason=f"{self.carrier} code {raw_code!r} is not in its mapping",
                raw_code=raw_code,
                raw_sub_code=raw_sub_code,
                mapped=False,
            )
        return Mapped(
            status=rule.status,
            sub_status=rule.sub_status,
            reason=rule.reason,
            raw_code=raw_code,
            raw_sub_code=raw_sub_code,
            mapped=True,
        )

    def entries(self) -> Iterator[tuple[str, str, Rule]]:
        """Every (code, sub-code, rule) of the tables; sub-code "" for code rules."""
        for code, rule in sorted(self.codes.items()):
            yield code, "", rule
        for (code, sub_code), rule in sorted(self.sub_codes.items()):
            yield code, sub_code, rule

    def statuses(self) -> frozenset[Status]:
        """The statuses this carrier's vocabulary can express."""
        return frozenset(rule.status for _, _, rule in self.entries())
