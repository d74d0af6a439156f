"""Pickup points, distances, and which carriers a network lets deliver to its points.

Pure code, no I/O.

Positions are integer micro-degrees (``lat_e6 = 30_259_000`` is 30.259°N),
so they are stored and compared exactly; distances are great-circle metres
(haversine on a sphere of the Earth's mean radius, good to about 0.5%).

Pickup policies
---------------
A network (Cainiao stations, JD stations, a locker company) declares which
carriers may deliver to its pickup points as a versioned history, like a
host's link policy. A rule says, from ``valid_from`` on:

* ``allowed`` None: every carrier not in ``refused``;
* ``allowed`` a set: only those carriers (and never one in ``refused``:
  a carrier may not be in both).

`PickupPolicy.declare` numbers versions 1, 2, ... and never edits an earlier
one. On a day, the rule in force is the latest version whose ``valid_from`` is
on or before that day; a network with no rule in force allows every carrier
(there is nothing to refuse with, and the auditor sees the missing
declaration). A later version with an earlier ``valid_from`` supersedes the
earlier versions from its own valid_from on, so a correction is a new
version, not an edit.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

EARTH_RADIUS_M = 6_371_008.8  # mean radius (IUGG)
_MAX_LAT_E6 = 90_000_000
_MAX_LNG_E6 = 180_000_000


def _check_position(lat_e6: int, lng_e6: int) -> None:
    if not -_MAX_LAT_E6 <= lat_e6 <= _MAX_LAT_E6:
        raise ValueError(f"latitude {lat_e6} micro-degrees is out of range")
    if not -_MAX_LNG_E6 <= lng_e6 <= _MAX_LNG_E6:
        raise ValueError(f"longitude {lng_e6} micro-degrees is out of range")


def distance_m(lat1_e6: int, lng1_e6: int, lat2_e6: int, lng2_e6: int) -> int:
    """Great-circle distance in whole metres between two positions in micro-degrees."""
    _check_position(lat1_e6, lng1_e6)
    _check_position(lat2_e6, lng2_e6)
    phi1, phi2 = math.radians(lat1_e6 / 1e6), math.radians(lat2_e6 / 1e6)
    dphi = phi2 - phi1
    dlmb = math.radians((lng2_e6 - lng1_e6) / 1e6)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return round(2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h))))


def bounding_box(lat_e6: int, lng_e6: int, radius_m: int) -> tuple[int, int, int, int]:
    """(min_lat, max_lat, min_lng, max_lng) in micro-degrees that contains the circle.

    For a database pre-filter before `distance_m`; the box is a little larger
    than the circle (never smaller). Near a pole the box spans every longitude;
    the box is clamped at the antimeridian rather than wrapped around it.
    """
    _check_position(lat_e6, lng_e6)
    if radius_m < 0:
        raise ValueError("radius_m must not be negative")
    dlat = math.degrees(radius_m / EARTH_RADIUS_M) * 1e6
    min_lat = max(-_MAX_LAT_E6, math.floor(lat_e6 - dlat) - 1)
    max_lat = min(_MAX_LAT_E6, math.ceil(lat_e6 + dlat) + 1)
    widest = max(abs(min_lat), abs(max_lat)) / 1e6
    if widest >= 89.9:
        return min_lat, max_lat, -_MAX_LNG_E6, _MAX_LNG_E6
    dlng = dlat / math.cos(math.radians(widest))
    return (
        min_lat,
        max_lat,
        max(-_MAX_LNG_E6, math.floor(lng_e6 - dlng) - 1),
        min(_MAX_LNG_E6, math.ceil(lng_e6 + dlng) + 1),
    )


@dataclass(frozen=True, slots=True)
class PickupPoint:
    """A station or locker where parcels wait for the buyer."""

    id: str
    network: str
    name: str
    address: str
    province: str
    city: str
    lat_e6: int
    lng_e6: int
    opening_hours: str
    capacity: int
    held: int = 0

    def __post_init__(self) -> None:
        if not self.id.strip() or not self.network.strip():
            raise ValueError("a pickup point has an id and a network")
        _check_position(self.lat_e6, self.lng_e6)
        if self.capacity < 0 or self.held < 0:
            raise ValueError("capacity and held must not be negative")

    @property
    def free(self) -> int:
        """Parcels it can still take."""
        return max(0, self.capacity - self.held)


def nearest(
    points: Iterable[PickupPoint],
    lat_e6: int,
    lng_e6: int,
    radius_m: int,
    limit: int | None = None,
) -> list[tuple[int, PickupPoint]]:
    """(distance, point) for points within `radius_m`, nearest first (then by id)."""
    found = [(distance_m(lat_e6, lng_e6, p.lat_e6, p.lng_e6), p) for p in points]
    near = sorted(((d, p) for d, p in found if d <= radius_m), key=lambda dp: (dp[0], dp[1].id))
    return near if limit is None else near[:limit]


def _check_day(name: str, value: object) -> None:
    if type(value) is not date:
        raise ValueError(f"{name} must be a datetime.date (not {type(value).__name__})")


@dataclass(frozen=True, slots=True)
class PickupRule:
    """One version of a network's rule on which carriers may deliver to its points."""

    network: str
    valid_from: date
    allowed: frozenset[str] | None = None
    refused: frozenset[str] = frozenset()
    version: int = 0
    reason: str = ""

    def __post_init__(self) -> None:
        if not self.network.strip():
            raise ValueError("a pickup rule names its network")
        _check_day("valid_from", self.valid_from)
        if self.allowed is not None:
            object.__setattr__(self, "allowed", frozenset(self.allowed))
        object.__setattr__(self, "refused", frozenset(self.refused))
        both = (self.allowed or frozenset()) & self.refused
        if both:
            raise ValueError(f"carriers both allowed and refused: {', '.join(sorted(both))}")
        if self.version < 0:
            raise ValueError("version must not be negative")

    def allows(self, carrier: str) -> bool:
        if carrier in self.refused:
            return False
        return self.allowed is None or carrier in self.allowed

    def describe(self) -> str:
        """One line, e.g. ``cainiao v2 from 2024-01-01: any carrier except sf``."""
        if self.allowed is None:
            who = "any carrier"
            if self.refused:
                who += " except " + ", ".join(sorted(self.refused))
        else:
            who = "only " + (", ".join(sorted(self.allowed)) or "no carrier")
        return f"{self.network} v{self.version} from {self.valid_from.isoformat()}: {who}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form; `from_dict` reads it back."""
        return {
            "network": self.network,
            "valid_from": self.valid_from.isoformat(),
            "allowed": None if self.allowed is None else sorted(self.allowed),
            "refused": sorted(self.refused),
            "version": self.version,
            "reason": self.reason,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PickupRule:
        try:
            allowed = data.get("allowed")
            for name, value in (("allowed", allowed), ("refused", data.get("refused", ()))):
                if value is not None and (
                    isinstance(value, str) or not all(isinstance(c, str) for c in value)
                ):
                    raise ValueError(f"{name} is a list of carriers")
            return cls(
                network=str(data["network"]),
                valid_from=date.fromisoformat(data["valid_from"]),
                allowed=None if allowed is None else frozenset(allowed),
                refused=frozenset(data.get("refused", ())),
                version=int(data.get("version", 0)),
                reason=str(data.get("reason", "")),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"not a pickup rule: {exc!r}") from exc


class PickupPolicy:
    """A network's pickup rules as an append-only, numbered history."""

    def __init__(self, network: str | None = None, rules: Iterable[PickupRule] = ()) -> None:
        """Start empty, or reload stored rules (they must be numbered 1, 2, ... in order)."""
        self._network = network
        self._rules: list[PickupRule] = []
        for rule in rules:
            if rule.version != len(self._rules) + 1:
                raise ValueError(
                    f"stored rules are numbered 1, 2, ...: got v{rule.version} "
                    f"after {len(self._rules)} rules"
                )
            self._append(rule)

    @property
    def network(self) -> str | None:
        return self._network

    @property
    def versions(self) -> tuple[PickupRule, ...]:
        return tuple(self._rules)

    def _append(self, rule: PickupRule) -> None:
        if self._network is None:
            self._network = rule.network
        elif rule.network != self._network:
            raise ValueError(f"a {rule.network} rule in {self._network}'s policy")
        self._rules.append(rule)

    def declare(self, rule: PickupRule) -> PickupRule:
        """Store a new version and return it, numbered; earlier versions stay as they were."""
        expected = len(self._rules) + 1
        if rule.version not in (0, expected):
            raise ValueError(f"the next version is {expected}, not {rule.version}")
        numbered = replace(rule, version=expected)
        self._append(numbered)
        return numbered

    def in_force(self, day: date) -> PickupRule | None:
        """The latest version whose valid_from is on or before `day`."""
        _check_day("day", day)
        current = [r for r in self._rules if r.valid_from <= day]
        return max(current, key=lambda r: r.version) if current else None

    def allows(self, carrier: str, day: date) -> tuple[bool, PickupRule | None]:
        """Whether `carrier` may deliver to the network's points on `day`, and the rule."""
        rule = self.in_force(day)
        if rule is None:
            return True, None
        return rule.allows(carrier), rule
