"""What the shipments API answers, as documented shapes (issue 17 §6).

`Shipment.as_dict` and `events_of` (`hutong.logistics.store`) make the
answers; these structs only document them. Statuses are the one normalized
set (`hutong.logistics.statuses.Status`), fen and grams are integers.
"""

from __future__ import annotations

from typing import Any

import msgspec

from hutong.api.documented import CODES, RESULT
from hutong.logistics.statuses import Status

__all__ = ["SHOW_OPT", "ShipmentOut", "ShipmentView", "TrackingEventOut"]


class ShipmentOut(msgspec.Struct, kw_only=True):
    id: str
    merchant: str
    host: str | None
    carrier: str
    service: str
    tracking_number: str | None
    label_ref: str | None
    pickup_point_id: str | None
    destination: dict[str, Any]
    weight_g: int
    price: int
    status: Status
    sub_status: str
    status_at: str | None


class TrackingEventOut(msgspec.Struct, kw_only=True):
    """One tracking event as the carrier sent it, with its normalized meaning."""

    status: Status
    sub_status: str
    reason: str
    raw_code: str
    raw_sub_code: str
    occurred_at: str
    #: Whether it moved the shipment's state (`statuses.advances`).
    applied: bool


class ShipmentView(ShipmentOut, kw_only=True):
    """`GET /v1/shipments/{id}`: the shipment and its tracking, oldest event first."""

    events: list[TrackingEventOut]


#: `opt` of `GET /v1/shipments/{id}`.
SHOW_OPT: dict[str, object] = {
    RESULT: ShipmentView,
    CODES: {403: ("not_your_shipment",), 404: ("unknown_shipment",)},
}
