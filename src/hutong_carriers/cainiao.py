"""Cainiao (菜鸟): a reference carrier plugin.

Payload
-------
A form-style message: ``msg_type`` names the message, ``logistics_interface``
carries the event as a JSON *string* (an already decoded object is accepted
too), ``data_digest`` is Cainiao's own digest of it (not checked here: the
switch verifies the Beckn signature of the whole request). Times are local
China time without a zone; ``traceId`` is Cainiao's event id::

    {"msg_type": "CN_TRACE_PUSH",
     "logistics_interface": "{...the event below, as a string...}",
     "data_digest": "..."}

    # logistics_interface, decoded:
    {"mailNo": "CN4400012345678", "action": "STA_INBOUND",
     "time": "2024-11-02 18:20:11", "desc": "您的快件已到达菜鸟驿站",
     "facilityName": "菜鸟驿站 西溪店", "traceId": "TR-CN-0005"}

Vocabulary
----------
Uppercase action names (``action``), some refined by ``subAction``. A station
arrival has its own action, STA_INBOUND (驿站入库, available_for_pickup), and
collecting the parcel there is STA_SIGN (驿站签收, delivered): unlike JD, it
never hides under DELIVERING.

===============  ===============================  =====================================
action           meaning                          subAction
===============  ===============================  =====================================
CREATE           order created
ACCEPT           collected (揽收)
TRANSPORT        moving in the network            DEPART, ARRIVE
DELIVERING       out for delivery (派送中)
STA_INBOUND      at a Cainiao station (驿站入库)
CABINET_INBOUND  in a locker (入柜)
STA_SIGN         collected at the station
SIGN             signed for (签收)                 PROXY, CABINET
FAILED           delivery failed                  NOBODY_HOME, ADDRESS_ERROR, RESCHEDULED
REJECT           refused (拒签)
ABNORMAL         problem parcel (问题件)           DAMAGED, LOST, DELAYED
RETURN           returning to the sender (退回)
RETURN_SIGN      the sender signed it back
CANCEL           cancelled
===============  ===============================  =====================================

The action set is invented for the reference world in the style of Cainiao's
logistics trace actions; it is not Cainiao's published API.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from hutong.logistics.mapping import CarrierMapping, Rule
from hutong.logistics.plugins import CarrierPlugin, RawEvent, china_time, text
from hutong.logistics.quotes import PriceBand, ServiceDeclaration, by_zone
from hutong.logistics.statuses import Status

S = Status

MSG_TYPE = "CN_TRACE_PUSH"

CODES: dict[str, Rule] = {
    "CREATE": Rule(S.INFO_RECEIVED, "order_created", "the shipper booked the shipment"),
    "ACCEPT": Rule(S.PICKED_UP, "accepted", "a courier collected the parcel"),
    "TRANSPORT": Rule(S.IN_TRANSIT, "in_transit"),
    "DELIVERING": Rule(S.OUT_FOR_DELIVERY, "with_courier", "a courier is delivering the parcel"),
    "STA_INBOUND": Rule(S.AVAILABLE_FOR_PICKUP, "at_station", "waiting at a Cainiao station"),
    "CABINET_INBOUND": Rule(S.AVAILABLE_FOR_PICKUP, "in_locker", "waiting in a parcel locker"),
    "STA_SIGN": Rule(S.DELIVERED, "collected_at_station", "collected at the station"),
    "SIGN": Rule(S.DELIVERED, "signed", "the recipient signed for the parcel"),
    "FAILED": Rule(S.ATTEMPT_FAILED, "delivery_failed"),
    "REJECT": Rule(S.ATTEMPT_FAILED, "refused", "the recipient refused the parcel"),
    "ABNORMAL": Rule(S.EXCEPTION, "problem_parcel"),
    "RETURN": Rule(S.RETURNED, "returning_to_sender", "the parcel is on its way back"),
    "RETURN_SIGN": Rule(S.RETURNED, "returned_to_sender", "the sender received the parcel back"),
    "CANCEL": Rule(S.CANCELLED, "order_cancelled", "the booking was cancelled"),
}

SUB_CODES: dict[tuple[str, str], Rule] = {
    ("TRANSPORT", "DEPART"): Rule(S.IN_TRANSIT, "departed_facility"),
    ("TRANSPORT", "ARRIVE"): Rule(S.IN_TRANSIT, "arrived_at_facility"),
    ("SIGN", "PROXY"): Rule(S.DELIVERED, "signed_by_proxy", "signed for by someone else"),
    ("SIGN", "CABINET"): Rule(S.DELIVERED, "collected_from_locker", "collected from the locker"),
    ("FAILED", "NOBODY_HOME"): Rule(S.ATTEMPT_FAILED, "recipient_absent", "nobody was there"),
    ("FAILED", "ADDRESS_ERROR"): Rule(S.ATTEMPT_FAILED, "address_problem", "the address is wrong"),
    ("FAILED", "RESCHEDULED"): Rule(
        S.ATTEMPT_FAILED, "rescheduled_by_recipient", "the recipient asked for another time"
    ),
    ("ABNORMAL", "DAMAGED"): Rule(S.EXCEPTION, "damaged", "the parcel was damaged"),
    ("ABNORMAL", "LOST"): Rule(S.EXCEPTION, "lost", "the parcel is lost"),
    ("ABNORMAL", "DELAYED"): Rule(S.EXCEPTION, "delayed", "the parcel is held up"),
}

MAPPING = CarrierMapping("cainiao", CODES, SUB_CODES)

_ALL_MAINLAND = frozenset(
    f"{prefix}0000"
    for prefix in (
        *("11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36"),
        *("37", "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62"),
        *("63", "64", "65"),
    )
)


ECONOMY = ServiceDeclaration(
    name="economy",
    # Every mainland province but Tibet, Qinghai and Xinjiang.
    provinces=_ALL_MAINLAND - {"540000", "630000", "650000"},
    price_table=(
        PriceBand(1_000, by_zone(500, 600, 700, 900)),
        PriceBand(3_000, by_zone(700, 800, 1_000, 1_400)),
        PriceBand(10_000, by_zone(1_200, 1_500, 2_000, 3_000)),
    ),
    promised_days=by_zone(2, 2, 3, 5),
)


def parse(payload: Mapping[str, Any]) -> RawEvent:
    """Read one Cainiao trace push."""
    msg_type = text(payload, "msg_type")
    if msg_type != MSG_TYPE:
        raise ValueError(f"msg_type {msg_type!r} is not {MSG_TYPE}")
    body = payload.get("logistics_interface")
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            raise ValueError("logistics_interface is not valid JSON") from None
    if not isinstance(body, Mapping):
        raise ValueError("logistics_interface is not a JSON object")
    action = text(body, "action")
    if action != action.upper():
        raise ValueError(f"action {action!r} is not an uppercase action name")
    desc = text(body, "desc", required=False)
    facility = text(body, "facilityName", required=False)
    return RawEvent(
        tracking_number=text(body, "mailNo"),
        code=action,
        sub_code=text(body, "subAction", required=False),
        occurred_at=china_time(body.get("time"), "time"),
        event_id=text(body, "traceId", required=False),
        description=" ".join(part for part in (desc, facility) if part),
        raw=dict(payload),
    )


PLUGIN = CarrierPlugin(
    name="cainiao",
    subscriber_id="cainiao.example",
    display_name="Cainiao 菜鸟",
    mapping=MAPPING,
    services=(ECONOMY,),
    tracking_prefix="CN",
    parser=parse,
    callback_url="https://cainiao.example/hutong",
)


def _push(event: dict[str, Any]) -> dict[str, Any]:
    return {
        "msg_type": MSG_TYPE,
        "logistics_interface": json.dumps(event, ensure_ascii=False),
        "data_digest": "bm90LWNoZWNrZWQtaGVyZQ==",
    }


#: Sample pushes, as Cainiao would send them (demo and tests).
SAMPLES: tuple[dict[str, Any], ...] = (
    _push(
        {
            "mailNo": "CN4400012345678",
            "action": "ACCEPT",
            "time": "2024-11-01 16:02:45",
            "desc": "快递员已揽件",
            "facilityName": "广州白云揽收点",
            "traceId": "TR-CN-0001",
        }
    ),
    _push(
        {
            "mailNo": "CN4400012345678",
            "action": "TRANSPORT",
            "subAction": "DEPART",
            "time": "2024-11-01 22:40:00",
            "desc": "快件已从广州转运中心发出",
            "facilityName": "广州转运中心",
            "traceId": "TR-CN-0002",
        }
    ),
    _push(
        {
            "mailNo": "CN4400012345678",
            "action": "STA_INBOUND",
            "time": "2024-11-02 18:20:11",
            "desc": "您的快件已到达菜鸟驿站，请凭取件码取件",
            "facilityName": "菜鸟驿站 西溪店",
            "traceId": "TR-CN-0005",
        }
    ),
    _push(
        {
            "mailNo": "CN4400012345678",
            "action": "STA_SIGN",
            "time": "2024-11-03 08:15:09",
            "desc": "已取件",
            "facilityName": "菜鸟驿站 西溪店",
            "traceId": "TR-CN-0006",
        }
    ),
)
