"""Carrier services, zones between two places, and price quotes.

Pure code, no I/O.

Places are GB/T 2260 administrative division codes (six digits, as strings):
``330106`` is Xihu district, in city ``330100`` (Hangzhou), in province
``330000`` (Zhejiang). A municipality's districts share one city code
(``310101`` and ``310115`` are both in ``310100``, Shanghai).

Only provinces that exist are places: a code whose first two digits are not
a provincial-level division of GB/T 2260 (`PROVINCES`) is an `UnknownRegion`.

Zones
-----
same_city
    Same city code (a place known only to its province is never "same city").
same_province
    Same province, another city (or a city not known).
nearby
    Provinces that share a land border (`NEIGHBOURS`), plus Guangdong and
    Hainan across the Qiongzhou Strait, which parcels cross by ferry every day.
far
    Everything else, and any province code not in the table.

Services
--------
A carrier declares services (`ServiceDeclaration`): the provinces it serves
(None: nationwide; a route needs both its origin and destination provinces
covered), a price table by weight band and zone in integer fen, and the days it
promises per zone. A parcel is priced by the first band whose ``max_weight_g``
it does not exceed; heavier than the last band, the service does not take it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from itertools import pairwise
from types import MappingProxyType
from typing import Any


class Zone(StrEnum):
    """How far apart an origin and a destination are."""

    SAME_CITY = "same_city"
    SAME_PROVINCE = "same_province"
    NEARBY = "nearby"
    FAR = "far"


_CODE = re.compile(r"\d{6}")

#: The two-digit prefixes of GB/T 2260's provincial-level divisions.
PROVINCES: frozenset[str] = frozenset((
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
    "65", "71", "81", "82",
))  # fmt: skip


class UnknownRegion(ValueError):
    """Six digits, but of no province of GB/T 2260."""


@dataclass(frozen=True, slots=True)
class Place:
    """A province and a city, as six-digit GB/T 2260 codes."""

    province: str
    city: str

    def __post_init__(self) -> None:
        if not (_CODE.fullmatch(self.province) and self.province.endswith("0000")):
            raise ValueError(f"province {self.province!r} is not a code like '330000'")
        if not (_CODE.fullmatch(self.city) and self.city.endswith("00")):
            raise ValueError(f"city {self.city!r} is not a code like '330100'")
        if self.city[:2] != self.province[:2]:
            raise ValueError(f"city {self.city} is not in province {self.province}")
        if self.province[:2] not in PROVINCES:
            raise UnknownRegion(f"{self.province[:2]}xxxx is no province of GB/T 2260")

    @classmethod
    def from_code(cls, code: str) -> Place:
        """The place of any six-digit division code (province, city or district)."""
        code = str(code).strip()
        if not _CODE.fullmatch(code):
            raise ValueError(f"{code!r} is not a six-digit GB/T 2260 code")
        return cls(province=code[:2] + "0000", city=code[:4] + "00")

    @property
    def city_known(self) -> bool:
        return self.city != self.province


# Land borders between provincial-level divisions (two-digit prefixes).
_BORDERS: tuple[tuple[str, str], ...] = (
    ("11", "12"), ("11", "13"),
    ("12", "13"),
    ("13", "14"), ("13", "15"), ("13", "21"), ("13", "37"), ("13", "41"),
    ("14", "15"), ("14", "41"), ("14", "61"),
    ("15", "21"), ("15", "22"), ("15", "23"), ("15", "61"), ("15", "62"), ("15", "64"),
    ("21", "22"),
    ("22", "23"),
    ("31", "32"), ("31", "33"),
    ("32", "33"), ("32", "34"), ("32", "37"),
    ("33", "34"), ("33", "35"), ("33", "36"),
    ("34", "36"), ("34", "37"), ("34", "41"), ("34", "42"),
    ("35", "36"), ("35", "44"),
    ("36", "42"), ("36", "43"), ("36", "44"),
    ("37", "41"),
    ("41", "42"), ("41", "61"),
    ("42", "43"), ("42", "50"), ("42", "61"),
    ("43", "44"), ("43", "45"), ("43", "50"), ("43", "52"),
    ("44", "45"), ("44", "46"), ("44", "81"), ("44", "82"),
    ("45", "52"), ("45", "53"),
    ("50", "51"), ("50", "52"), ("50", "61"),
    ("51", "52"), ("51", "53"), ("51", "54"), ("51", "61"), ("51", "62"), ("51", "63"),
    ("52", "53"),
    ("53", "54"),
    ("54", "63"), ("54", "65"),
    ("61", "62"), ("61", "64"),
    ("62", "63"), ("62", "64"), ("62", "65"),
    ("63", "65"),
)  # fmt: skip


def _neighbours() -> Mapping[str, frozenset[str]]:
    table: dict[str, set[str]] = {}
    for a, b in _BORDERS:
        table.setdefault(a, set()).add(b)
        table.setdefault(b, set()).add(a)
    return MappingProxyType({k: frozenset(v) for k, v in table.items()})


#: Province prefix -> the prefixes of its neighbours (symmetric).
NEIGHBOURS: Mapping[str, frozenset[str]] = _neighbours()


def zone(origin: Place, destination: Place) -> Zone:
    """The zone of a route (see the module doc)."""
    if origin.province == destination.province:
        if origin.city == destination.city and origin.city_known:
            return Zone.SAME_CITY
        return Zone.SAME_PROVINCE
    if destination.province[:2] in NEIGHBOURS.get(origin.province[:2], frozenset()):
        return Zone.NEARBY
    return Zone.FAR


def by_zone(same_city: int, same_province: int, nearby: int, far: int) -> dict[Zone, int]:
    """A per-zone table (prices or days), nearest zone first."""
    return {
        Zone.SAME_CITY: same_city,
        Zone.SAME_PROVINCE: same_province,
        Zone.NEARBY: nearby,
        Zone.FAR: far,
    }


def _whole_zone_table(what: str, values: Mapping[Any, Any], *, minimum: int) -> dict[Zone, int]:
    table: dict[Zone, int] = {}
    for key, value in values.items():
        z = Zone(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ValueError(f"{what} for {z} must be an integer >= {minimum}, not {value!r}")
        table[z] = value
    missing = set(Zone) - set(table)
    if missing:
        raise ValueError(f"{what} misses zones: {', '.join(sorted(missing))}")
    return table


@dataclass(frozen=True, slots=True)
class PriceBand:
    """Prices (fen) per zone for parcels up to `max_weight_g` grams."""

    max_weight_g: int
    prices: Mapping[Zone, int]

    def __post_init__(self) -> None:
        if isinstance(self.max_weight_g, bool) or not isinstance(self.max_weight_g, int):
            raise ValueError("max_weight_g is an integer number of grams")
        if self.max_weight_g <= 0:
            raise ValueError("max_weight_g must be positive")
        prices = _whole_zone_table("price", self.prices, minimum=0)
        object.__setattr__(self, "prices", MappingProxyType(prices))


@dataclass(frozen=True, slots=True)
class ServiceDeclaration:
    """A carrier's service: coverage, price table and promised days."""

    name: str
    provinces: frozenset[str] | None
    price_table: tuple[PriceBand, ...]
    promised_days: Mapping[Zone, int]

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValueError("a service has a name")
        if self.provinces is not None:
            provinces = frozenset(self.provinces)
            for p in provinces:
                if not (_CODE.fullmatch(p) and p.endswith("0000")):
                    raise ValueError(f"province {p!r} is not a code like '330000'")
            if not provinces:
                raise ValueError("provinces is None (nationwide) or names at least one")
            object.__setattr__(self, "provinces", provinces)
        bands = tuple(self.price_table)
        if not bands:
            raise ValueError("a price table has at least one band")
        weights = [b.max_weight_g for b in bands]
        if any(b <= a for a, b in pairwise(weights)):
            raise ValueError("price bands must be in strictly increasing max_weight_g order")
        object.__setattr__(self, "price_table", bands)
        days = _whole_zone_table("promised days", self.promised_days, minimum=0)
        object.__setattr__(self, "promised_days", MappingProxyType(days))

    @property
    def max_weight_g(self) -> int:
        return self.price_table[-1].max_weight_g

    def covers(self, place: Place) -> bool:
        return self.provinces is None or place.province in self.provinces

    def serves(self, origin: Place, destination: Place) -> bool:
        return self.covers(origin) and self.covers(destination)

    def band(self, weight_g: int) -> PriceBand | None:
        """The first band that takes the weight; None when heavier than the last."""
        for band in self.price_table:
            if weight_g <= band.max_weight_g:
                return band
        return None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form; `from_dict` reads it back."""
        return {
            "name": self.name,
            "provinces": None if self.provinces is None else sorted(self.provinces),
            "price_table": [
                {
                    "max_weight_g": band.max_weight_g,
                    "prices": {str(z): band.prices[z] for z in Zone},
                }
                for band in self.price_table
            ],
            "promised_days": {str(z): self.promised_days[z] for z in Zone},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ServiceDeclaration:
        """Read `to_dict`'s form; ValueError when it is not a service declaration."""
        try:
            provinces = data.get("provinces")
            if provinces is not None and (
                isinstance(provinces, str) or not all(isinstance(p, str) for p in provinces)
            ):
                raise ValueError("provinces is a list of codes or null")
            return cls(
                name=str(data["name"]),
                provinces=None if provinces is None else frozenset(provinces),
                price_table=tuple(
                    PriceBand(max_weight_g=band["max_weight_g"], prices=dict(band["prices"]))
                    for band in data["price_table"]
                ),
                promised_days=dict(data["promised_days"]),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"not a service declaration: {exc!r}") from exc


@dataclass(frozen=True, slots=True)
class Quote:
    """A carrier service's price (fen) and promised days for one parcel and route."""

    carrier: str
    service: str
    price: int
    days: int
    zone: Zone


def quote(
    carrier: str, service: ServiceDeclaration, origin: Place, destination: Place, weight_g: int
) -> Quote | None:
    """The service's quote, or None when it does not serve the route or takes no such weight."""
    if weight_g <= 0:
        raise ValueError("weight_g must be positive")
    if not service.serves(origin, destination):
        return None
    band = service.band(weight_g)
    if band is None:
        return None
    z = zone(origin, destination)
    return Quote(
        carrier=carrier,
        service=service.name,
        price=band.prices[z],
        days=service.promised_days[z],
        zone=z,
    )


def cheapest_first(quotes: Iterable[Quote]) -> list[Quote]:
    """Quotes by price, then days, then carrier (then service)."""
    return sorted(quotes, key=lambda q: (q.price, q.days, q.carrier, q.service))


def quote_all(
    services: Iterable[tuple[str, ServiceDeclaration]],
    origin: Place,
    destination: Place,
    weight_g: int,
) -> list[Quote]:
    """Quotes of every (carrier, service) that serves the route, cheapest first."""
    found = (quote(c, s, origin, destination, weight_g) for c, s in services)
    return cheapest_first(q for q in found if q is not None)
