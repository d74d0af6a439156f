"""JD Logistics (京东物流): a reference carrier plugin.

Payload
-------
One JSON object per operation, camelCase, times in epoch milliseconds, each
operation with JD's own id (``opeNo``, used as the dedupe key)::

    {"waybillCode": "JDV000123456789", "opeCode": "50", "opeSubCode": "5001",
     "opeTime": 1730543400000, "opeNo": "OPE-20241102-0007",
     "opeTitle": "已交由合作驿站代收", "opeRemark": "菜鸟驿站 西溪店",
     "siteName": "杭州西湖营业部", "operatorName": "张师傅"}

Vocabulary
----------
Numeric operation codes (``opeCode``), refined by a four-digit sub-code
(``opeSubCode``) that starts with its code. JD reports a parcel it hands to a
third-party station or a locker under its delivering code 50, so the sub-code
decides: 50 alone is out_for_delivery, 50/5001 (handed to a partner station,
e.g. a Cainiao station) and 50/5002 (placed in a locker) are
available_for_pickup.

======  =========================  ==================================
code    meaning                    sub-codes
======  =========================  ==================================
10      order created (下单)
20      collected (揽收)
30      sorting center inbound
31      sorting center outbound
40      at the delivery station
50      courier delivering (配送)   5001 partner station, 5002 locker
60      delivered (妥投)            6001 proxy, 6002 pickup point
70      refused (拒收)
80      delivery failed (再投)       8001 unreachable, 8002 address
90      exception (异常)            9001 damaged, 9002 lost, 9003 weather
95      returning to sender (逆向)
96      returned to sender
99      cancelled (取消)
======  =========================  ==================================

The code set is invented for the reference world in the style of JD's
operation codes; it is not JD's published API.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hutong.logistics.mapping import CarrierMapping, Rule
from hutong.logistics.plugins import CarrierPlugin, RawEvent, epoch_millis, text
from hutong.logistics.quotes import PriceBand, ServiceDeclaration, by_zone
from hutong.logistics.statuses import Status

S = Status

CODES: dict[str, Rule] = {
    "10": Rule(S.INFO_RECEIVED, "order_created", "the shipper booked the shipment"),
    "20": Rule(S.PICKED_UP, "collected", "a courier collected the parcel"),
    "30": Rule(S.IN_TRANSIT, "arrived_at_sorting_center"),
    "31": Rule(S.IN_TRANSIT, "departed_sorting_center"),
    "40": Rule(S.IN_TRANSIT, "arrived_at_delivery_station"),
    "50": Rule(S.OUT_FOR_DELIVERY, "with_courier", "a courier is delivering the parcel"),
    "60": Rule(S.DELIVERED, "signed", "the recipient signed for the parcel"),
    "70": Rule(S.ATTEMPT_FAILED, "refused", "the recipient refused the parcel"),
    "80": Rule(S.ATTEMPT_FAILED, "delivery_failed", "delivery failed; it will be retried"),
    "90": Rule(S.EXCEPTION, "exception"),
    "95": Rule(S.RETURNED, "returning_to_sender", "the parcel is on its way back"),
    "96": Rule(S.RETURNED, "returned_to_sender", "the sender received the parcel back"),
    "99": Rule(S.CANCELLED, "order_cancelled", "the booking was cancelled"),
}

SUB_CODES: dict[tuple[str, str], Rule] = {
    ("50", "5001"): Rule(
        S.AVAILABLE_FOR_PICKUP, "at_partner_station", "handed to a partner station to collect"
    ),
    ("50", "5002"): Rule(S.AVAILABLE_FOR_PICKUP, "in_locker", "placed in a parcel locker"),
    ("60", "6001"): Rule(S.DELIVERED, "signed_by_proxy", "signed for by someone else"),
    ("60", "6002"): Rule(S.DELIVERED, "collected_from_pickup_point", "collected by the recipient"),
    ("80", "8001"): Rule(S.ATTEMPT_FAILED, "recipient_unreachable", "the recipient did not answer"),
    ("80", "8002"): Rule(S.ATTEMPT_FAILED, "address_problem", "the address could not be found"),
    ("90", "9001"): Rule(S.EXCEPTION, "damaged", "the parcel was damaged"),
    ("90", "9002"): Rule(S.EXCEPTION, "lost", "the parcel is lost"),
    ("90", "9003"): Rule(S.EXCEPTION, "delayed_by_weather", "weather holds the parcel"),
}

MAPPING = CarrierMapping("jd-logistics", CODES, SUB_CODES)


STANDARD = ServiceDeclaration(
    name="standard",
    provinces=None,
    price_table=(
        PriceBand(1_000, by_zone(800, 1_000, 1_200, 1_500)),
        PriceBand(3_000, by_zone(1_000, 1_200, 1_500, 2_000)),
        PriceBand(10_000, by_zone(1_500, 1_800, 2_400, 3_500)),
        PriceBand(30_000, by_zone(2_500, 3_000, 4_500, 7_000)),
    ),
    promised_days=by_zone(1, 1, 2, 3),
)

NEXT_DAY = ServiceDeclaration(
    name="next_day",
    provinces=frozenset(
        {"110000", "120000", "130000", "310000", "320000", "330000", "340000", "350000", "440000"}
    ),
    price_table=(
        PriceBand(1_000, by_zone(1_500, 1_800, 2_200, 2_600)),
        PriceBand(5_000, by_zone(2_000, 2_500, 3_200, 4_000)),
        PriceBand(20_000, by_zone(3_500, 4_500, 6_000, 8_000)),
    ),
    promised_days=by_zone(1, 1, 1, 1),
)


def parse(payload: Mapping[str, Any]) -> RawEvent:
    """Read one JD operation push."""
    code = text(payload, "opeCode")
    sub_code = text(payload, "opeSubCode", required=False)
    if sub_code and not sub_code.startswith(code):
        raise ValueError(f"opeSubCode {sub_code!r} does not refine opeCode {code!r}")
    title = text(payload, "opeTitle", required=False)
    remark = text(payload, "opeRemark", required=False)
    return RawEvent(
        tracking_number=text(payload, "waybillCode"),
        code=code,
        sub_code=sub_code,
        occurred_at=epoch_millis(payload.get("opeTime"), "opeTime"),
        event_id=text(payload, "opeNo", required=False),
        description=" ".join(part for part in (title, remark) if part),
        raw=dict(payload),
    )


PLUGIN = CarrierPlugin(
    name="jd-logistics",
    subscriber_id="jd-logistics.example",
    display_name="JD Logistics 京东物流",
    mapping=MAPPING,
    services=(STANDARD, NEXT_DAY),
    tracking_prefix="JDV",
    parser=parse,
    callback_url="https://jd-logistics.example/hutong",
)

#: Sample pushes, as JD would send them (demo and tests).
SAMPLES: tuple[dict[str, Any], ...] = (
    {
        "waybillCode": "JDV000123456789",
        "opeCode": "20",
        "opeTime": 1730500200000,
        "opeNo": "OPE-20241102-0001",
        "opeTitle": "快递员已揽收",
        "siteName": "北京亦庄营业部",
        "operatorName": "李师傅",
    },
    {
        "waybillCode": "JDV000123456789",
        "opeCode": "31",
        "opeTime": 1730514600000,
        "opeNo": "OPE-20241102-0003",
        "opeTitle": "分拣中心发货",
        "siteName": "北京亚洲一号",
    },
    {
        "waybillCode": "JDV000123456789",
        "opeCode": "50",
        "opeSubCode": "5001",
        "opeTime": 1730543400000,
        "opeNo": "OPE-20241102-0007",
        "opeTitle": "已交由合作驿站代收",
        "opeRemark": "菜鸟驿站 西溪店",
        "siteName": "杭州西湖营业部",
        "operatorName": "张师傅",
    },
    {
        "waybillCode": "JDV000123456789",
        "opeCode": "60",
        "opeSubCode": "6002",
        "opeTime": 1730552400123,
        "opeNo": "OPE-20241102-0009",
        "opeTitle": "已取件",
    },
)
