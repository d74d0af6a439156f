"""What the orders API answers, as documented shapes (issue 17 §6: OpenAPI that tells the truth).

The answers are made by the domain (`OrderRow.to_dict`, `OrderOutcome.to_dict`,
`PaymentRow.to_dict`, `Shipment.as_dict`) and sent as bytes by the
exactly-once path; these structs only document them (`opt={RESULT: …}`), and
`tests/api/test_openapi_truth.py` checks real answers against them. Money is
integer fen, times RFC 3339 in UTC. Nested parts the auditor's and the
settlement's own documents describe (`split`, `reversal`) are objects here.
"""

from __future__ import annotations

from typing import Any

import msgspec

from hutong.api.documented import CODES, RESULT
from hutong.api.routes.payments_out import PaymentOut
from hutong.api.routes.shipments_out import ShipmentOut
from hutong.api.schemas import CorrectionOut
from hutong.commerce.orders import OrderState

__all__ = [
    "DECLARE_SCHEDULE_OPT",
    "SCHEDULES_OPT",
    "OrderAnswer",
    "OrderList",
    "OrderOut",
    "OrderStepOut",
]


class OrderLineOut(msgspec.Struct, kw_only=True):
    sku_id: str
    quantity: int
    #: Fen per unit, as shown to the buyer.
    unit_price: int
    #: Fen of this line given back so far.
    refunded: int


class CouponOut(msgspec.Struct, kw_only=True):
    coupon: str
    campaign_id: str
    discount: int
    returned: int


class OrderOut(msgspec.Struct, kw_only=True):
    """An order as its reader sees it (`destination` null for those who may not see it)."""

    id: str
    state: OrderState
    host: str
    buyer: str
    merchant: str
    merchant_platform: str
    wallet: str
    carrier: str
    carrier_service: str
    creator: str | None
    channel: str
    placement_id: str | None
    storefront_id: str | None
    category: str
    destination: dict[str, Any] | None
    lines: list[OrderLineOut]
    total: int
    paid: int
    refunded: int
    pay_by: str | None
    confirm_by: str | None
    #: Fen asked back per sku while a refund request is open.
    refund_requested: dict[str, int] | None
    payment_id: str | None
    shipment_id: str | None
    split: dict[str, Any] | None
    commission_schedule_version: int | None
    reason: str | None
    created_at: str
    updated_at: str
    #: `GET /v1/orders/{id}` only: the coupon it redeemed and its livestream session.
    coupon: CouponOut | None = None
    session_id: str | None = None


class RefundOut(msgspec.Struct, kw_only=True):
    refund_id: str
    amount: int
    lines: dict[str, int]
    reversal: dict[str, Any] | None


class OrderStepOut(msgspec.Struct, kw_only=True):
    """An order step's answer: the order now, and the payment, shipment or refund it moved."""

    order: OrderOut
    payment: PaymentOut | None = None
    shipment: ShipmentOut | None = None
    refund: RefundOut | None = None


class OrderAnswer(msgspec.Struct, kw_only=True):
    """`GET /v1/orders/{id}`."""

    order: OrderOut


class OrderList(msgspec.Struct, kw_only=True):
    """`GET /v1/orders`: newest first."""

    orders: list[OrderOut]


class TakeRateOut(msgspec.Struct, kw_only=True):
    category: str
    channel: str
    bps: int


class ScheduleOut(msgspec.Struct, kw_only=True):
    """A version of a host's commission schedule (basis points by category and channel)."""

    host: str
    valid_from: str
    version: int
    take_rates: list[TakeRateOut]
    channel_rates: dict[str, int]
    default_take_bps: int
    creator_rates: dict[str, int]
    default_creator_bps: int
    declared_at: str | None
    note: str


class ScheduleVersion(ScheduleOut, kw_only=True):
    correction: CorrectionOut | None


class ScheduleAnswer(msgspec.Struct, kw_only=True):
    schedule: ScheduleOut


class ScheduleHistory(msgspec.Struct, kw_only=True):
    host: str
    versions: list[ScheduleVersion]


#: `opt` of `POST /v1/commission-schedules`.
DECLARE_SCHEDULE_OPT: dict[str, object] = {
    RESULT: ScheduleAnswer,
    CODES: {
        403: ("wrong_role",),
        409: ("message_id_conflict",),
        422: ("invalid_schedule", "invalid_correction", "valid_from_in_past"),
    },
}
#: `opt` of `GET /v1/commission-schedules/{host}`.
SCHEDULES_OPT: dict[str, object] = {RESULT: ScheduleHistory}
