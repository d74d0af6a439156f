"""Shipments, tracking normalization and pickup points.

The pure pieces are on this face: tracking `Status`, carrier
`ServiceDeclaration`s and `Quote`s, `PickupPoint`s and their policies,
carrier plugins. Storage is `logistics.store`; booking, quoting and tracking
ingestion are `logistics.service`. Nothing here imports commerce: what moves
with a parcel (its order) is handed to `logistics.service.ingest` as its
`TrackingFollower`.
"""

from hutong.logistics.pickup import PickupPoint, PickupPolicy, PickupRule
from hutong.logistics.plugins import CarrierPlugin, RawEvent
from hutong.logistics.quotes import Place, Quote, ServiceDeclaration, Zone
from hutong.logistics.statuses import Status

__all__ = [
    "CarrierPlugin",
    "PickupPoint",
    "PickupPolicy",
    "PickupRule",
    "Place",
    "Quote",
    "RawEvent",
    "ServiceDeclaration",
    "Status",
    "Zone",
]
