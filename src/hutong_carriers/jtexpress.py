"""J&T Express (极兔速递): a reference carrier plugin.

Payload
-------
One trace entry per push, in the shape of a 快递100 (Kuaidi100) subscription
push: ``nu`` the tracking number, ``com`` the carrier code, ``state`` the main
state code, ``statusCode`` the finer state code (equal to ``state`` when there
is no finer one), ``ftime`` local China time, ``context`` the courier's text.
There is no event id, so duplicates are recognised by a digest of the event::

    {"nu": "JT0012345678901", "com": "jtexpress", "state": "5", "statusCode": "501",
     "ftime": "2024-11-03 09:12:00",
     "context": "您的快件已存放至【菜鸟驿站 西溪店】，请及时取件",
     "areaCode": "330106000000", "areaName": "浙江省,杭州市,西湖区"}

Vocabulary
----------
Numeric state codes in the style of 快递100's: 0 在途 (in transit), 1 揽收
(collected), 2 疑难 (problem), 3 签收 (signed), 4 退签 (returned and signed
for by the sender), 5 派件 (delivering), 6 退回 (on its way back), 7 转投
(handed to another carrier), 8 清关 (customs), 14 拒签 (refused); the finer
codes extend them (101-103, 1001-1003, 201-210, 301-304, 401, 501). As with
JD, a parcel left at a station hides under the delivering code: 5 alone is
out_for_delivery, 5/501 (投柜或驿站, in a locker or station) is
available_for_pickup. Some 疑难 codes mean a failed attempt (203 refused, 204
delivery problem, 206 unreachable), one a parcel still waiting at a station
(205 not collected in time) and one a cancellation (210 销单), so they map
to those statuses rather than to exception.

The codes follow the 快递100 state codes as used in this reference world;
J&T's own API is not modelled.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hutong.logistics.mapping import CarrierMapping, Rule
from hutong.logistics.plugins import CarrierPlugin, RawEvent, china_time, text
from hutong.logistics.quotes import PriceBand, ServiceDeclaration, by_zone
from hutong.logistics.statuses import Status

S = Status

COM = "jtexpress"

CODES: dict[str, Rule] = {
    "0": Rule(S.IN_TRANSIT, "in_transit"),
    "1": Rule(S.PICKED_UP, "collected", "a courier collected the parcel"),
    "2": Rule(S.EXCEPTION, "problem_parcel"),
    "3": Rule(S.DELIVERED, "signed", "the parcel was signed for"),
    "4": Rule(S.RETURNED, "returned_to_sender", "the sender signed for the returned parcel"),
    "5": Rule(S.OUT_FOR_DELIVERY, "with_courier", "a courier is delivering the parcel"),
    "6": Rule(S.RETURNED, "returning_to_sender", "the parcel is on its way back"),
    "7": Rule(S.IN_TRANSIT, "handed_to_other_carrier", "forwarded to another carrier"),
    "8": Rule(S.IN_TRANSIT, "customs_clearance"),
    "14": Rule(S.ATTEMPT_FAILED, "refused", "the recipient refused the parcel"),
}

SUB_CODES: dict[tuple[str, str], Rule] = {
    ("1", "101"): Rule(S.INFO_RECEIVED, "order_placed", "the shipper booked the shipment"),
    ("1", "102"): Rule(S.INFO_RECEIVED, "awaiting_pickup", "waiting for a courier to collect"),
    ("1", "103"): Rule(S.PICKED_UP, "collected", "a courier collected the parcel"),
    ("0", "1001"): Rule(S.IN_TRANSIT, "arrived_in_destination_city"),
    ("0", "1002"): Rule(S.IN_TRANSIT, "linehaul"),
    ("0", "1003"): Rule(S.IN_TRANSIT, "forwarded"),
    ("5", "501"): Rule(
        S.AVAILABLE_FOR_PICKUP, "in_locker_or_station", "left in a locker or at a station"
    ),
    ("3", "301"): Rule(S.DELIVERED, "signed_by_recipient"),
    ("3", "302"): Rule(S.DELIVERED, "signed_after_exception"),
    ("3", "303"): Rule(S.DELIVERED, "signed_by_proxy", "signed for by someone else"),
    ("3", "304"): Rule(S.DELIVERED, "collected_from_locker_or_station"),
    ("2", "201"): Rule(S.EXCEPTION, "not_signed_in_time"),
    ("2", "202"): Rule(S.EXCEPTION, "no_updates", "the carrier has not updated the parcel"),
    ("2", "203"): Rule(S.ATTEMPT_FAILED, "refused", "the recipient refused the parcel"),
    ("2", "204"): Rule(S.ATTEMPT_FAILED, "delivery_problem"),
    ("2", "205"): Rule(
        S.AVAILABLE_FOR_PICKUP, "pickup_overdue", "not collected from the locker or station in time"
    ),
    ("2", "206"): Rule(S.ATTEMPT_FAILED, "recipient_unreachable", "the recipient did not answer"),
    ("2", "207"): Rule(S.EXCEPTION, "out_of_service_area"),
    ("2", "208"): Rule(S.EXCEPTION, "held", "the parcel is held up"),
    ("2", "209"): Rule(S.EXCEPTION, "damaged", "the parcel was damaged"),
    ("2", "210"): Rule(S.CANCELLED, "order_cancelled", "the waybill was cancelled"),
    ("4", "401"): Rule(S.CANCELLED, "order_cancelled", "the waybill was cancelled"),
}

MAPPING = CarrierMapping("jtexpress", CODES, SUB_CODES)

STANDARD = ServiceDeclaration(
    name="standard",
    provinces=None,
    price_table=(
        PriceBand(1_000, by_zone(450, 550, 650, 800)),
        PriceBand(5_000, by_zone(900, 1_100, 1_400, 2_000)),
        PriceBand(30_000, by_zone(2_000, 2_600, 3_600, 5_500)),
    ),
    promised_days=by_zone(2, 2, 3, 4),
)


def parse(payload: Mapping[str, Any]) -> RawEvent:
    """Read one 快递100-style trace push."""
    com = text(payload, "com")
    if com != COM:
        raise ValueError(f"com {com!r} is not {COM!r}")
    state = text(payload, "state")
    if not state.isdigit():
        raise ValueError(f"state {state!r} is not a numeric state code")
    fine = text(payload, "statusCode", required=False)
    if fine and not fine.isdigit():
        raise ValueError(f"statusCode {fine!r} is not a numeric state code")
    return RawEvent(
        tracking_number=text(payload, "nu"),
        code=state,
        sub_code="" if fine == state else fine,
        occurred_at=china_time(payload.get("ftime"), "ftime"),
        event_id="",
        description=text(payload, "context", required=False),
        raw=dict(payload),
    )


PLUGIN = CarrierPlugin(
    name="jtexpress",
    subscriber_id="jtexpress.example",
    display_name="J&T Express 极兔速递",
    mapping=MAPPING,
    services=(STANDARD,),
    tracking_prefix="JT",
    parser=parse,
    callback_url="https://jtexpress.example/hutong",
)

#: Sample pushes, as J&T would send them (demo and tests).
SAMPLES: tuple[dict[str, Any], ...] = (
    {
        "nu": "JT0012345678901",
        "com": COM,
        "state": "1",
        "statusCode": "103",
        "ftime": "2024-11-01 10:05:00",
        "context": "【杭州市】快件已由【杭州西湖网点】揽收",
        "areaCode": "330106000000",
        "areaName": "浙江省,杭州市,西湖区",
    },
    {
        "nu": "JT0012345678901",
        "com": COM,
        "state": "0",
        "statusCode": "0",
        "ftime": "2024-11-01 21:30:00",
        "context": "快件已到达【杭州转运中心】",
        "areaCode": "330100000000",
        "areaName": "浙江省,杭州市",
    },
    {
        "nu": "JT0012345678901",
        "com": COM,
        "state": "5",
        "statusCode": "501",
        "ftime": "2024-11-03 09:12:00",
        "context": "您的快件已存放至【菜鸟驿站 西溪店】，请及时取件",
        "areaCode": "330106000000",
        "areaName": "浙江省,杭州市,西湖区",
    },
    {
        "nu": "JT0012345678901",
        "com": COM,
        "state": "3",
        "statusCode": "304",
        "ftime": "2024-11-03 19:40:00",
        "context": "您的快件已取出，感谢使用极兔速递",
        "areaCode": "330106000000",
        "areaName": "浙江省,杭州市,西湖区",
    },
)
