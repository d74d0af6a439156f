"""The bodies of the logistics routes and how a pickup point is shown."""

from __future__ import annotations

from datetime import date
from typing import Any

import msgspec

from hutong.api.schemas import CorrectionIn
from hutong.logistics.pickup import PickupPoint
from hutong.protocol.envelope import Context

MAX_RADIUS_M = 50_000


class Envelope(msgspec.Struct, kw_only=True):
    context: Context
    message: dict[str, Any]


class PointIn(msgspec.Struct, kw_only=True):
    id: str
    name: str
    address: str
    province: str
    city: str
    lat: float
    lng: float
    opening_hours: str
    capacity: int


class PointsIn(msgspec.Struct, kw_only=True):
    points: list[PointIn]


class SignedPoints(msgspec.Struct, kw_only=True):
    context: Context
    message: PointsIn


class RuleIn(msgspec.Struct, kw_only=True):
    valid_from: date
    allowed: list[str] | None = None
    refused: list[str] = msgspec.field(default_factory=list)
    reason: str = ""
    #: Present only on a back-dated version (`hutong.protocol.declared_time`).
    correction: CorrectionIn | None = None


class SignedRule(msgspec.Struct, kw_only=True):
    context: Context
    message: RuleIn


class RouteIn(msgspec.Struct, kw_only=True):
    #: Six-digit administrative codes (GB/T 2260), e.g. "330106".
    origin: str
    destination: str = ""
    pickup_point_id: str | None = None
    weight_g: int
    host: str | None = None


class SignedRoute(msgspec.Struct, kw_only=True):
    context: Context
    message: RouteIn


class BookIn(msgspec.Struct, kw_only=True):
    carrier: str
    service: str
    origin: str
    destination: str = ""
    #: The buyer's address as the carrier needs it (name, phone, street...).
    address: dict[str, str] = msgspec.field(default_factory=dict)
    pickup_point_id: str | None = None
    weight_g: int
    host: str | None = None


class SignedBook(msgspec.Struct, kw_only=True):
    context: Context
    message: BookIn


def point_out(point: PickupPoint) -> dict[str, Any]:
    return {
        "id": point.id,
        "network": point.network,
        "name": point.name,
        "address": point.address,
        "province": point.province,
        "city": point.city,
        "lat": point.lat_e6 / 1_000_000,
        "lng": point.lng_e6 / 1_000_000,
        "opening_hours": point.opening_hours,
        "capacity": point.capacity,
        "held": point.held,
        "full": point.free == 0,
    }
