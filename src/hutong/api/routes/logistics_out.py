"""What the carriers' and policies' routes answer, as documented shapes (issue 17 §6), with codes.

`ServiceDeclaration.to_dict`, `point_out` and `PickupRule.to_dict`
(`hutong.logistics`) make the answers; these structs only document them.
Shipments' answers are in `shipments_out`. A pickup policy and a host's
carrier policy are the same rule (`network` is its owner, the host for a
carrier policy).
"""

from __future__ import annotations

import msgspec

from hutong.api.documented import CODES, RESULT, AckStatus
from hutong.api.schemas import CorrectionOut

__all__ = [
    "DECLARE_POLICY_OPT",
    "POINTS_OPT",
    "POLICY_VERSIONS_OPT",
    "PUBLISH_POINTS_OPT",
    "SERVICES_OPT",
]


class PriceBand(msgspec.Struct, kw_only=True):
    """Prices (fen) by zone for parcels up to `max_weight_g`."""

    max_weight_g: int
    prices: dict[str, int]


class ServiceOut(msgspec.Struct, kw_only=True):
    """A carrier's service: where it goes (`provinces` null: everywhere), prices, days by zone."""

    name: str
    provinces: list[str] | None
    price_table: list[PriceBand]
    promised_days: dict[str, int]


class ServicesAckMessage(msgspec.Struct, kw_only=True):
    ack: AckStatus
    services: list[ServiceOut]


class ServicesAck(msgspec.Struct, kw_only=True):
    message: ServicesAckMessage


class PublishedAckMessage(msgspec.Struct, kw_only=True):
    ack: AckStatus
    #: How many points the network publishes now (the list replaces the last one).
    published: int


class PublishedAck(msgspec.Struct, kw_only=True):
    message: PublishedAckMessage


class PickupPointOut(msgspec.Struct, kw_only=True):
    """A pickup point, its area, position, capacity and parcels held; its distance (m)."""

    id: str
    network: str
    name: str
    address: str
    province: str
    city: str
    lat: float
    lng: float
    opening_hours: str
    capacity: int
    held: int
    full: bool
    distance_m: int


class PointsAnswer(msgspec.Struct, kw_only=True):
    points: list[PickupPointOut]


class RuleOut(msgspec.Struct, kw_only=True):
    """A version of which carriers may deliver (`allowed` null: all but `refused`)."""

    network: str
    valid_from: str
    allowed: list[str] | None
    refused: list[str]
    version: int
    reason: str


class RuleVersion(RuleOut, kw_only=True):
    correction: CorrectionOut | None


class RuleAckMessage(msgspec.Struct, kw_only=True):
    ack: AckStatus
    rule: RuleOut


class RuleAck(msgspec.Struct, kw_only=True):
    message: RuleAckMessage


class RuleVersions(msgspec.Struct, kw_only=True):
    owner: str
    versions: list[RuleVersion]


_WRITE = {403: ("wrong_role",), 409: ("message_id_conflict",)}

SERVICES_OPT: dict[str, object] = {
    RESULT: ServicesAck,
    CODES: {**_WRITE, 403: ("wrong_role", "no_carrier_plugin"), 422: ("invalid_service",)},
}
PUBLISH_POINTS_OPT: dict[str, object] = {
    RESULT: PublishedAck,
    CODES: {**_WRITE, 422: ("invalid_pickup_point",)},
}
POINTS_OPT: dict[str, object] = {
    RESULT: PointsAnswer,
    CODES: {422: ("invalid_radius", "invalid_position")},
}
DECLARE_POLICY_OPT: dict[str, object] = {
    RESULT: RuleAck,
    CODES: {**_WRITE, 422: ("invalid_policy", "invalid_correction", "valid_from_in_past")},
}
POLICY_VERSIONS_OPT: dict[str, object] = {RESULT: RuleVersions}
