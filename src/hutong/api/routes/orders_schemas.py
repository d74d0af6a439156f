"""Request bodies of the orders API (decoded strictly: money is a JSON integer)."""

from __future__ import annotations

from datetime import date
from typing import Any

import msgspec

from hutong.api.schemas import CorrectionIn
from hutong.commerce.orders.intake import DEFAULT_PAY_WITHIN
from hutong.protocol.envelope import Context


class LineIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    sku_id: str
    quantity: int
    #: The unit price the buyer was shown, in fen.
    unit_price: int


class OrderIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    #: The host's pseudonymous id of its buyer.
    buyer: str
    merchant: str
    lines: list[LineIn]
    wallet: str
    #: The buyer's account at the wallet (an opaque reference).
    payer: str
    carrier: str
    #: {"pickup_point_id": ...} or {"area_code": "110105", "address": {...}}.
    destination: dict[str, Any]
    carrier_service: str = ""
    placement_id: str = ""
    storefront_id: str = ""
    pay_within: int = DEFAULT_PAY_WITHIN
    #: A coupon the buyer holds (a claimed coupon's id), redeemed in this order.
    coupon: str = ""


class SignedOrder(msgspec.Struct, kw_only=True):
    context: Context
    message: OrderIn


class CancelIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    reason: str = ""


class SignedCancel(msgspec.Struct, kw_only=True):
    context: Context
    message: CancelIn


class ShipIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    #: Where the parcel leaves from: a six-digit area code.
    origin: str
    weight_g: int
    service: str = ""


class SignedShip(msgspec.Struct, kw_only=True):
    context: Context
    message: ShipIn


class RefundIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    #: {sku_id: fen}, or {sku_id: units} in quantities; neither: what was requested.
    amounts: dict[str, int] | None = None
    quantities: dict[str, int] | None = None
    #: Names the refund (a retry under another message id refunds once); default the message id.
    refund_id: str = ""


class SignedRefund(msgspec.Struct, kw_only=True):
    context: Context
    message: RefundIn


class TakeRateIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    category: str
    channel: str
    bps: int


class ScheduleIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    valid_from: date
    take_rates: list[TakeRateIn] = msgspec.field(default_factory=list)
    #: {channel: bps}: own_store, storefront, link_placement, creator_placement.
    channel_rates: dict[str, int] = msgspec.field(default_factory=dict)
    default_take_bps: int = 0
    creator_rates: dict[str, int] = msgspec.field(default_factory=dict)
    default_creator_bps: int = 0
    note: str = ""
    #: Present only on a back-dated version (`hutong.protocol.declared_time`).
    correction: CorrectionIn | None = None


class SignedSchedule(msgspec.Struct, kw_only=True):
    context: Context
    message: ScheduleIn
