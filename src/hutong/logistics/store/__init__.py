"""Logistics in the database: carrier services, pickup points, policies, shipments.

One module per kind of thing stored (`carriers`, `pickup_points`,
`policies`, `shipments`); callers use the package face, ``store.find_shipment``.
"""

from hutong.logistics.store.carriers import all_services, declare_services
from hutong.logistics.store.pickup_points import (
    change_held,
    declared_point,
    get_point,
    points_near,
    publish_points,
)
from hutong.logistics.store.policies import (
    declare_policy,
    home_platform,
    host_policy,
    hosts_merchant,
    pickup_policy,
    policy_corrections,
    record_refusal,
)
from hutong.logistics.store.shipments import (
    Applied,
    ForEvent,
    Shipment,
    events_of,
    find_shipment,
    get_shipment,
    insert_shipment,
    record_event,
    set_status,
    shipment_beside,
    shipment_by_tracking,
    shipment_columns,
    shipment_for_event,
)

__all__ = [
    "Applied",
    "ForEvent",
    "Shipment",
    "all_services",
    "change_held",
    "declare_policy",
    "declare_services",
    "declared_point",
    "events_of",
    "find_shipment",
    "get_point",
    "get_shipment",
    "home_platform",
    "host_policy",
    "hosts_merchant",
    "insert_shipment",
    "pickup_policy",
    "points_near",
    "policy_corrections",
    "publish_points",
    "record_event",
    "record_refusal",
    "set_status",
    "shipment_beside",
    "shipment_by_tracking",
    "shipment_columns",
    "shipment_for_event",
]
