"""What the shipments API answers, as documented shapes (issue 17 §6), and each route's codes.

`Shipment.as_dict` and `events_of` (`hutong.logistics.store`), the quote
board (`logistics.service.QuoteBoard`) and a tracking push's `Applied`
make the answers; these structs only document them. Statuses are the one
normalized set (`hutong.logistics.statuses.Status`), fen and grams are
integers. A carrier that refuses a booking or a cancellation is answered
with the carrier's own code (a 409), beside the codes named here.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from hutong.api.documented import CODES, RESULT
from hutong.logistics.statuses import Status

__all__ = [
    "BOOK_OPT",
    "CANCEL_OPT",
    "QUOTE_OPT",
    "SHOW_OPT",
    "TRACK_OPT",
    "ShipmentOut",
    "ShipmentView",
    "TrackingEventOut",
]


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


class QuoteOut(msgspec.Struct, kw_only=True):
    """A carrier's price (fen) and days for the route."""

    carrier: str
    service: str
    price: int
    days: int
    zone: Literal["same_city", "same_province", "nearby", "far"]


class RefusedCarrier(msgspec.Struct, kw_only=True):
    """A carrier that serves the route but may not deliver there (a point's or host's policy)."""

    carrier: str
    reason: str


class QuoteBoardOut(msgspec.Struct, kw_only=True):
    """Every carrier serving the route, cheapest first, and those a policy refuses."""

    quotes: list[QuoteOut]
    refused: list[RefusedCarrier]


class PushedEventOut(msgspec.Struct, kw_only=True):
    """The event as the carrier sent it and its normalized meaning (`mapped`: a known code)."""

    status: Status
    sub_status: str
    reason: str
    raw_code: str
    raw_sub_code: str
    mapped: bool


class TrackAnswer(msgspec.Struct, kw_only=True):
    """`duplicate`: the carrier's event key was seen; `applied`: it moved the shipment."""

    shipment_id: str
    duplicate: bool
    applied: bool
    status: Status
    event: PushedEventOut


#: A route's refusals: its weight, its places, its pickup point and host.
_ROUTE = (
    "invalid_weight",
    "invalid_area_code",
    "unknown_region",
    "unknown_pickup_point",
    "invalid_host",
    "no_carrier_for_weight",
)
#: `opt` of `POST /v1/shipments/quote`.
QUOTE_OPT: dict[str, object] = {
    RESULT: QuoteBoardOut,
    CODES: {403: ("not_your_host",), 422: _ROUTE},
}
#: `opt` of `POST /v1/shipments` (the carrier's own refusal codes besides).
BOOK_OPT: dict[str, object] = {
    RESULT: ShipmentOut,
    CODES: {
        403: ("wrong_role", "not_your_host"),
        409: (
            "not_serviceable",
            "pickup_point_refused",
            "carrier_not_allowed",
            "pickup_point_full",
            "message_id_conflict",
        ),
        # A carrier's service the body names that it never declared: the body's mistake.
        422: (*_ROUTE, "unknown_service"),
    },
}
#: `opt` of `POST /v1/shipments/{id}/cancel`.
CANCEL_OPT: dict[str, object] = {
    RESULT: ShipmentOut,
    CODES: {
        403: ("not_your_shipment",),
        404: ("unknown_shipment",),
        409: ("already_cancelled", "too_late_to_cancel", "message_id_conflict"),
    },
}
#: `opt` of `POST /v1/tracking` (a carrier's push).
TRACK_OPT: dict[str, object] = {
    RESULT: TrackAnswer,
    CODES: {
        403: ("no_carrier_plugin",),
        404: ("unknown_tracking_number",),
        409: ("message_id_conflict",),
        422: ("bad_event",),
    },
}
