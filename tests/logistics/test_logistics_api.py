"""Logistics over real HTTP, on SQLite and PostgreSQL.

Any merchant books any carrier; every carrier's tracking events are read into
one status set; pickup points of every network are usable by every carrier,
unless a network or a host says otherwise (and then the refusal is evidence).

The cast (see `conftest.py`): a Taobao merchant and a rival merchant, the host
platform taobao.example, three reference carriers (JD Logistics, Cainiao, J&T)
with their booking desks in the reference world, and one Cainiao station.
Carriers push tracking in their own formats (`tracking_payload`), signed with
their own keys, to `POST /v1/tracking`.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import func, select

from hutong.client import encode_json
from hutong.events.outbox import list_events
from hutong.logistics.pickup import distance_m
from hutong.protocol.envelope import request_envelope
from hutong.protocol.ids import new_id
from hutong.protocol.signing import Signer, new_key_pair
from hutong.store.tables import logistics_refusals, messages, pickup_points, tracking_events
from hutong.world.carriers import tracking_payload
from hutong.world.demo_logistics import STATION
from tests.harness.assertions import assert_nack, error_code
from tests.harness.cast import CAINIAO, JT
from tests.harness.cast import JD_BEAUTY as RIVAL
from tests.harness.cast import JDL as JD
from tests.harness.cast import TAOBAO as HOST
from tests.harness.cast import TEA_HOUSE as MERCHANT
from tests.harness.history import AS_HISTORY
from tests.harness.networks import Logistics as Network
from tests.harness.statements import counting
from tests.harness.switch import Clock, row_counts

HANGZHOU = "330106"  # Xihu district, Hangzhou, Zhejiang
HANGZHOU_OLD_TOWN = "330102"  # Shangcheng district, same city
SHANGHAI = "310104"  # Xuhui district: Shanghai borders Zhejiang
BEIJING = "110105"  # Chaoyang district, far from Zhejiang
LHASA = "540102"  # Tibet: outside Cainiao's economy coverage

SERVICE = {JD: "standard", CAINIAO: "economy", JT: "standard"}
ADDRESS = {"name": "王女士", "phone": "138-0000-0000", "street": "徐汇区漕溪北路 1 号"}

#: A parcel's life in each carrier's own codes: (code, sub-code, the status it means).
JOURNEYS: dict[str, list[tuple[str, str, str]]] = {
    JD: [
        ("20", "", "picked_up"),
        ("31", "", "in_transit"),
        ("50", "5001", "available_for_pickup"),  # "delivering", but handed to a station
        ("60", "6002", "delivered"),
    ],
    CAINIAO: [
        ("ACCEPT", "", "picked_up"),
        ("TRANSPORT", "DEPART", "in_transit"),
        ("STA_INBOUND", "", "available_for_pickup"),
        ("STA_SIGN", "", "delivered"),
    ],
    JT: [
        ("1", "103", "picked_up"),
        ("0", "", "in_transit"),
        ("5", "501", "available_for_pickup"),  # "delivering", but left at a station
        ("3", "304", "delivered"),
    ],
}
PICKED_UP = {carrier: steps[0][:2] for carrier, steps in JOURNEYS.items()}
IN_TRANSIT = {carrier: steps[1][:2] for carrier, steps in JOURNEYS.items()}
RETURNED = {JD: ("96", ""), CAINIAO: ("RETURN_SIGN", ""), JT: ("4", "")}
NOT_IN_ANY_MAPPING = {JD: "42", CAINIAO: "TELEPORT", JT: "77"}


def route(destination: str = SHANGHAI, weight_g: int = 800, **extra: Any) -> dict[str, Any]:
    return {"origin": HANGZHOU, "destination": destination, "weight_g": weight_g, **extra}


def booking(carrier: str = JD, **extra: Any) -> dict[str, Any]:
    """A parcel from Hangzhou to Shanghai for an order placed on Taobao."""
    body = route(carrier=carrier, service=SERVICE[carrier], address=ADDRESS, host=HOST)
    body.update(extra)
    if extra.get("pickup_point_id"):
        del body["destination"]  # the point is the destination
    return body


async def book(net: Network, carrier: str = JD, **extra: Any) -> dict[str, Any]:
    response = await net.book(booking(carrier, **extra))
    assert response.status_code == 201, response.text
    shipment: dict[str, Any] = response.json()
    return shipment


async def push(
    net: Network,
    carrier: str,
    number: str,
    code: str,
    sub_code: str,
    when: Any,
    event_id: str | None = None,
) -> httpx.Response:
    """`carrier` pushes one event in its own format, signed with its own key."""
    payload = tracking_payload(carrier, number, code, sub_code, when, event_id or new_id("ev"))
    return await net.carriers[carrier].post("/v1/tracking", payload)


async def track(net: Network, carrier: str, number: str, code: str, sub: str, when: Any) -> Any:
    response = await push(net, carrier, number, code, sub, when)
    assert response.status_code == 200, response.text
    return response.json()


async def show(net: Network, shipment_id: str) -> dict[str, Any]:
    response = await net.merchant.get(f"/v1/shipments/{shipment_id}")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


async def count(net: Network, table: Any, *where: Any) -> int:
    async with net.switch.services.db.read() as conn:
        return int(await conn.scalar(select(func.count()).select_from(table).where(*where)) or 0)


async def refusals(net: Network) -> list[dict[str, Any]]:
    async with net.switch.services.db.read() as conn:
        rows = (await conn.execute(select(logistics_refusals).order_by("id"))).all()
    return [dict(row._mapping) for row in rows]


async def held(net: Network, point_id: str) -> int:
    async with net.switch.services.db.read() as conn:
        value = await conn.scalar(
            select(pickup_points.c.held).where(pickup_points.c.id == point_id)
        )
    assert value is not None, f"no pickup point {point_id}"
    return int(value)


async def publish(net: Network, network: str, point_id: str, **fields: Any) -> None:
    point = STATION | {"id": point_id, "name": point_id} | fields
    response = await net.carriers[network].post("/v1/pickup-points", {"points": [point]})
    assert response.status_code == 200, response.text


# -- 1. quotes ----------------------------------------------------------------------------


async def quote(net: Network, body: dict[str, Any]) -> list[tuple[Any, ...]]:
    response = await net.merchant.post("/v1/shipments/quote", body)
    assert response.status_code == 200, response.text
    return [
        (q["carrier"], q["service"], q["price"], q["days"], q["zone"])
        for q in response.json()["quotes"]
    ]


async def test_a_route_all_three_serve_is_quoted_cheapest_first(net: Network) -> None:
    assert await quote(net, route(SHANGHAI, 800)) == [
        (JT, "standard", 650, 3, "nearby"),  # Shanghai borders Zhejiang
        (CAINIAO, "economy", 700, 3, "nearby"),
        (JD, "standard", 1200, 2, "nearby"),
        (JD, "next_day", 2200, 1, "nearby"),
    ]
    assert (await quote(net, route(HANGZHOU_OLD_TOWN, 800)))[0] == (
        JT, "standard", 450, 2, "same_city"
    )  # fmt: skip
    assert {q[4] for q in await quote(net, route(BEIJING, 800))} == {"far"}


async def test_carriers_that_cannot_take_the_parcel_are_left_out(net: Network) -> None:
    # Cainiao's economy service skips Tibet; JD's next-day covers only the east.
    assert await quote(net, route(LHASA, 800)) == [
        (JT, "standard", 800, 4, "far"),
        (JD, "standard", 1500, 3, "far"),
    ]
    # Cainiao takes up to 10 kg, JD next-day 20 kg, JD standard and J&T 30 kg.
    assert await quote(net, route(SHANGHAI, 15_000)) == [
        (JT, "standard", 3600, 3, "nearby"),
        (JD, "standard", 4500, 2, "nearby"),
        (JD, "next_day", 6000, 1, "nearby"),
    ]
    # Heavier than any carrier takes on the route: said, not an empty list.
    for weight_g in (40_000, 999_999):
        too_heavy = await net.merchant.post("/v1/shipments/quote", route(SHANGHAI, weight_g))
        sentence = assert_nack(too_heavy, 422, "no_carrier_for_weight")["error"]["message"]
        assert f"{weight_g} g" in sentence and "30000 g" in sentence  # the heaviest taken


async def test_a_bad_weight_or_area_code_is_refused(net: Network) -> None:
    for weight_g in (0, -500):
        quoted = await net.merchant.post("/v1/shipments/quote", route(SHANGHAI, weight_g))
        booked = await net.book(booking(weight_g=weight_g))
        assert (quoted.status_code, error_code(quoted)) == (422, "invalid_weight")
        assert (booked.status_code, error_code(booked)) == (422, "invalid_weight")

    for origin, destination in [
        ("33010", SHANGHAI),
        ("Hangzhou", SHANGHAI),
        (HANGZHOU, "3101O4"),
        (HANGZHOU, ""),
    ]:
        body = {"origin": origin, "destination": destination, "weight_g": 800}
        quoted = await net.merchant.post("/v1/shipments/quote", body)
        booked = await net.book(booking(origin=origin, destination=destination))
        assert (quoted.status_code, error_code(quoted)) == (422, "invalid_area_code"), body
        assert (booked.status_code, error_code(booked)) == (422, "invalid_area_code"), body
    assert net.desk(JD).bookings == {}


async def test_a_region_that_does_not_exist_is_refused(net: Network) -> None:
    # Six digits, but no province 99 (nor 00, nor 19) in GB/T 2260.
    for origin, destination in [
        ("999999", SHANGHAI),
        ("000000", SHANGHAI),
        (HANGZHOU, "990100"),
        (HANGZHOU, "190000"),
    ]:
        body = {"origin": origin, "destination": destination, "weight_g": 800}
        quoted = await net.merchant.post("/v1/shipments/quote", body)
        booked = await net.book(booking(origin=origin, destination=destination))
        assert_nack(quoted, 422, "unknown_region", str(body))
        assert_nack(booked, 422, "unknown_region", str(body))
    assert net.desk(JD).bookings == {}


async def test_a_quote_names_only_a_registered_platform_as_its_host(net: Network) -> None:
    for stranger in ("nowhere.example", MERCHANT, JD):  # unknown, a merchant, a carrier
        quoted = await net.merchant.post("/v1/shipments/quote", route(host=stranger))
        assert_nack(quoted, 422, "invalid_host", stranger)
    assert (await net.merchant.post("/v1/shipments/quote", route(host=HOST))).status_code == 200


# -- 2. booking ---------------------------------------------------------------------------


async def resend(net: Network, path: str, body: bytes) -> httpx.Response:
    """Send these exact bytes (a retry is the same body, its timestamp included)."""
    return await net.merchant.send("POST", path, body)


async def test_the_merchant_books_the_carrier_it_chooses(net: Network) -> None:
    sent = encode_json(
        request_envelope(booking(JD, destination=BEIJING, weight_g=1200), message_id=new_id("msg"))
    )
    response = await resend(net, "/v1/shipments", sent)

    assert response.status_code == 201, response.text
    shipment = response.json()
    desk = net.desk(JD)
    (booked,) = desk.bookings.values()
    assert shipment["tracking_number"] == booked["tracking_number"] == "JDV0000000001"
    assert shipment["label_ref"] == "label/JDV0000000001.pdf"
    assert booked["shipment_id"] == shipment["id"]
    assert shipment | {"id": "", "status_at": ""} == {
        "id": "",
        "merchant": MERCHANT,
        "host": HOST,
        "carrier": JD,
        "service": "standard",
        "tracking_number": "JDV0000000001",
        "label_ref": "label/JDV0000000001.pdf",
        "pickup_point_id": None,
        "destination": ADDRESS | {"area_code": BEIJING},
        "weight_g": 1200,
        "price": 2000,  # far zone, up to 3 kg
        "status": "info_received",
        "sub_status": "booked",
        "status_at": "",
    }
    assert await show(net, shipment["id"]) == shipment | {"events": []}

    # The same message again (a retry): the same shipment, and the desk booked once.
    again = await resend(net, "/v1/shipments", sent)
    assert (again.status_code, again.content) == (201, response.content)
    assert again.headers["x-hutong-replay"] == "true"
    assert len(desk.bookings) == 1

    # A retry that races the first attempt (to a station, which holds a slot per parcel).
    sent = encode_json(
        request_envelope(booking(JD, pickup_point_id=STATION["id"]), message_id="retry-1")
    )
    desk.mode, desk.delay = "slow", 0.2
    first, retry = await asyncio.gather(
        resend(net, "/v1/shipments", sent), resend(net, "/v1/shipments", sent)
    )
    assert (first.status_code, retry.status_code) == (201, 201), retry.text
    assert first.json() == retry.json()
    assert len(desk.bookings) == 2
    assert await held(net, STATION["id"]) == 1
    desk.mode = "ok"

    # Any carrier, at its own desk.
    numbers = {carrier: (await book(net, carrier))["tracking_number"] for carrier in (CAINIAO, JT)}
    assert numbers == {CAINIAO: "CN0000000001", JT: "JT0000000001"}


async def test_only_a_merchant_books_and_only_a_declared_service(net: Network) -> None:
    by_host = await (await net.client(HOST)).post("/v1/shipments", booking(JD))
    by_carrier = await net.carriers[JD].post("/v1/shipments", booking(JD))
    undeclared = await net.book(booking(CAINIAO, service="next_day"))

    assert (by_host.status_code, error_code(by_host)) == (403, "wrong_role")
    assert (by_carrier.status_code, error_code(by_carrier)) == (403, "wrong_role")
    # The body names the service: one the carrier never declared is the body's mistake.
    assert (undeclared.status_code, error_code(undeclared)) == (422, "unknown_service")
    assert net.desk(JD).bookings == net.desk(CAINIAO).bookings == {}


async def test_a_desk_that_refuses_gives_its_own_code_and_nothing_is_stored(
    net: Network,
) -> None:
    net.desk(JT).mode = "refuse"
    before = await row_counts(net.switch.services)

    response = await net.book(booking(JT))
    to_station = await net.book(booking(JT, pickup_point_id=STATION["id"]))

    assert (response.status_code, error_code(response)) == (409, "not_serviceable")
    assert "we do not serve this address" in response.json()["error"]["message"]
    assert (to_station.status_code, error_code(to_station)) == (409, "not_serviceable")
    # Nothing but the two refusals, recorded as the answers to their message ids,
    # and the two refused calls in the auditor's journal of decision calls.
    assert await row_counts(net.switch.services) == before | {
        "messages": before["messages"] + 2,
        "decision_calls": before["decision_calls"] + 2,
    }
    assert await held(net, STATION["id"]) == 0  # the slot taken for the call was given back


async def test_without_a_trustworthy_answer_nothing_is_booked(net: Network) -> None:
    desk = net.desk(JD)
    own_signer = desk.signer
    before = await row_counts(net.switch.services)

    desk.mode = "down"
    down = await net.book(booking(JD))
    to_station = await net.book(booking(JD, pickup_point_id=STATION["id"]))
    desk.mode = "ok"
    desk.signer = Signer(JD, "k1", new_key_pair().private_key)  # not the registered key
    forged = await net.book(booking(JD))
    desk.signer = net.carriers[CAINIAO].signer  # another carrier's key
    impostor = await net.book(booking(JD))

    assert (down.status_code, error_code(down)) == (502, "participant_unavailable")
    assert (to_station.status_code, error_code(to_station)) == (502, "participant_unavailable")
    assert (forged.status_code, error_code(forged)) == (502, "answer_not_signed")
    assert (impostor.status_code, error_code(impostor)) == (502, "answer_not_signed")
    # Nothing booked; only the four failed calls, in the auditor's journal of decision calls.
    assert await row_counts(net.switch.services) == before | {
        "decision_calls": before["decision_calls"] + 4
    }
    assert await held(net, STATION["id"]) == 0

    desk.signer = own_signer
    assert (await book(net, JD))["status"] == "info_received"


# -- 3. cancelling ------------------------------------------------------------------------


async def test_the_merchant_cancels_before_pick_up(net: Network) -> None:
    shipment = await book(net, CAINIAO)

    response = await net.merchant.post(f"/v1/shipments/{shipment['id']}/cancel", {})

    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["sub_status"]) == (
        "cancelled",
        "cancelled_by_merchant",
    )
    assert net.desk(CAINIAO).cancelled == {shipment["tracking_number"]}
    assert (await show(net, shipment["id"]))["status"] == "cancelled"


async def test_a_parcel_picked_up_or_someone_elses_cannot_be_cancelled(
    net: Network, clock: Clock
) -> None:
    picked_up = await book(net, JD)
    await track(net, JD, picked_up["tracking_number"], *PICKED_UP[JD], clock.now)
    waiting = await book(net, JT)

    too_late = await net.merchant.post(f"/v1/shipments/{picked_up['id']}/cancel", {})
    not_theirs = await (await net.client(RIVAL)).post(f"/v1/shipments/{waiting['id']}/cancel", {})
    not_theirs_to_read = await (await net.client(RIVAL)).get(f"/v1/shipments/{waiting['id']}")

    assert (too_late.status_code, error_code(too_late)) == (409, "too_late_to_cancel")
    assert (not_theirs.status_code, error_code(not_theirs)) == (403, "not_your_shipment")
    assert (not_theirs_to_read.status_code, error_code(not_theirs_to_read)) == (
        403,
        "not_your_shipment",
    )
    assert net.desk(JD).cancelled == net.desk(JT).cancelled == set()
    assert (await show(net, picked_up["id"]))["status"] == "picked_up"
    assert (await show(net, waiting["id"]))["status"] == "info_received"


async def test_a_cancelled_shipment_cannot_be_cancelled_again(net: Network) -> None:
    shipment = await book(net, CAINIAO)
    first = await net.merchant.post(f"/v1/shipments/{shipment['id']}/cancel", {})

    again = await net.merchant.post(f"/v1/shipments/{shipment['id']}/cancel", {})

    assert first.status_code == 200, first.text
    assert (again.status_code, error_code(again)) == (409, "already_cancelled")


async def test_a_cancel_without_a_body_is_refused_and_cancels_nothing(net: Network) -> None:
    shipment = await book(net, CAINIAO)
    before = await row_counts(net.switch.services)

    empty = await net.merchant.send("POST", f"/v1/shipments/{shipment['id']}/cancel")

    assert (empty.status_code, error_code(empty)) == (400, "body_required")
    assert await row_counts(net.switch.services) == before
    assert net.desk(CAINIAO).cancelled == set()
    assert (await show(net, shipment["id"]))["status"] == "info_received"


async def test_a_retried_cancel_gets_the_first_answer_and_asks_the_carrier_once(
    net: Network,
) -> None:
    shipment = await book(net, CAINIAO)
    path = f"/v1/shipments/{shipment['id']}/cancel"
    body = encode_json(request_envelope({}, message_id="cancel-1"))
    first = await net.merchant.send("POST", path, body)
    assert first.status_code == 200, first.text
    net.desk(CAINIAO).mode = "down"  # a second call to the carrier would fail
    before = await row_counts(net.switch.services)

    retry = await net.merchant.send("POST", path, body)

    assert (retry.status_code, retry.content) == (200, first.content)
    assert retry.headers["x-hutong-replay"] == "true"
    assert await row_counts(net.switch.services) == before  # no second event, no second write
    other_body = await net.merchant.send("POST", path, body.replace(b"{}", b"{ }"))
    assert (other_body.status_code, error_code(other_body)) == (409, "message_id_conflict")


async def test_a_pick_up_reported_during_the_cancel_call_wins(net: Network, clock: Clock) -> None:
    shipment = await book(net, JD)
    desk = net.desk(JD)
    desk.mode, desk.delay = "slow", 0.5

    cancelling = asyncio.create_task(
        net.merchant.post(f"/v1/shipments/{shipment['id']}/cancel", {})
    )
    await asyncio.sleep(0.1)  # the switch is now waiting for the carrier
    await track(net, JD, shipment["tracking_number"], *PICKED_UP[JD], clock.now)
    refused = await cancelling

    assert (refused.status_code, error_code(refused)) == (409, "too_late_to_cancel")
    assert (await show(net, shipment["id"]))["status"] == "picked_up"


# -- 4. tracking --------------------------------------------------------------------------


async def test_each_carriers_codes_are_read_into_one_status_set(net: Network, clock: Clock) -> None:
    for carrier, journey in JOURNEYS.items():
        shipment = await book(net, carrier)
        number = shipment["tracking_number"]

        for hours, (code, sub_code, status) in enumerate(journey, start=1):
            when = clock.now + timedelta(hours=hours)
            answer = await track(net, carrier, number, code, sub_code, when)
            assert answer["shipment_id"] == shipment["id"]
            assert (answer["status"], answer["applied"], answer["duplicate"]) == (
                status,
                True,
                False,
            )
            assert answer["event"]["status"] == status
            assert (answer["event"]["raw_code"], answer["event"]["raw_sub_code"]) == (
                code,
                sub_code,
            )
            assert answer["event"]["mapped"] is True

        found = await show(net, shipment["id"])
        assert found["status"] == "delivered"
        assert [
            (e["status"], e["raw_code"], e["raw_sub_code"], e["applied"]) for e in found["events"]
        ] == [(status, code, sub_code, True) for code, sub_code, status in journey], carrier


async def test_events_out_of_order_never_move_the_state_back(net: Network, clock: Clock) -> None:
    later, earlier = clock.now + timedelta(hours=5), clock.now + timedelta(hours=1)
    for carrier in JOURNEYS:
        number = (shipment := await book(net, carrier))["tracking_number"]

        first = await track(net, carrier, number, *IN_TRANSIT[carrier], later)
        late = await track(net, carrier, number, *PICKED_UP[carrier], earlier)

        assert first["status"] == "in_transit"
        assert (late["status"], late["applied"], late["event"]["status"]) == (
            "in_transit",
            False,
            "picked_up",
        )
        found = await show(net, shipment["id"])
        assert found["status"] == "in_transit"
        # Both events are kept, in the order they happened.
        assert [(e["status"], e["applied"]) for e in found["events"]] == [
            ("picked_up", False),
            ("in_transit", True),
        ]


async def test_a_duplicate_push_is_recognised_and_stored_once(net: Network, clock: Clock) -> None:
    # JD and Cainiao send an event id; J&T does not, so its events are known by content.
    when = clock.now + timedelta(hours=1)
    shipments = {carrier: await book(net, carrier) for carrier in JOURNEYS}
    for carrier, shipment in shipments.items():
        number = shipment["tracking_number"]
        code, sub_code = PICKED_UP[carrier]

        first = await push(net, carrier, number, code, sub_code, when, f"ev-{carrier}")
        again = await push(net, carrier, number, code, sub_code, when, f"ev-{carrier}")

        assert (first.json()["duplicate"], first.json()["applied"]) == (False, True)
        assert (again.status_code, again.json()["duplicate"], again.json()["applied"]) == (
            200,
            True,
            False,
        )
        assert again.json()["status"] == "picked_up"
        assert (
            await count(net, tracking_events, tracking_events.c.shipment_id == shipment["id"]) == 1
        )

    # For J&T, the same code at another time is another event.
    jt = shipments[JT]
    later = await push(net, JT, jt["tracking_number"], *PICKED_UP[JT], when + timedelta(minutes=5))
    assert later.json()["duplicate"] is False
    assert await count(net, tracking_events, tracking_events.c.shipment_id == jt["id"]) == 2


async def test_an_unmapped_code_is_kept_as_unknown_and_moves_nothing(
    net: Network, clock: Clock
) -> None:
    for carrier, code in NOT_IN_ANY_MAPPING.items():
        number = (shipment := await book(net, carrier))["tracking_number"]
        await track(net, carrier, number, *PICKED_UP[carrier], clock.now + timedelta(hours=1))

        response = await push(net, carrier, number, code, "", clock.now + timedelta(hours=2))

        assert response.status_code == 200, response.text
        answer = response.json()
        assert (answer["status"], answer["applied"], answer["duplicate"]) == (
            "picked_up",
            False,
            False,
        )
        assert answer["event"] | {"reason": ""} == {
            "status": "unknown",
            "sub_status": "unmapped",
            "reason": "",
            "raw_code": code,
            "raw_sub_code": "",
            "mapped": False,
        }
        found = await show(net, shipment["id"])
        assert found["status"] == "picked_up"
        assert (found["events"][-1]["status"], found["events"][-1]["raw_code"]) == (
            "unknown",
            code,
        )


MALFORMED: list[tuple[str, dict[str, Any]]] = [
    (JD, {"opeCode": "20", "opeTime": 1730500200000}),  # no waybill
    (JD, {"waybillCode": "JDV0000000001", "opeCode": "20", "opeTime": "yesterday"}),
    (JD, {"waybillCode": "JDV0000000001", "opeCode": "50", "opeSubCode": "6001",
          "opeTime": 1730500200000}),  # a sub-code of another code
    (CAINIAO, {"msg_type": "CN_TRACE_PUSH", "logistics_interface": "{not json"}),
    (CAINIAO, {"msg_type": "CN_ORDER", "logistics_interface": "{}"}),
    (CAINIAO, {"msg_type": "CN_TRACE_PUSH", "logistics_interface": {"mailNo": "CN0000000001"}}),
    (JT, {"nu": "JT0000000001", "com": "sf", "state": "1", "ftime": "2024-11-01 10:05:00"}),
    (JT, {"nu": "JT0000000001", "com": "jtexpress", "state": "1", "ftime": "11/01/2024"}),
    (JT, {}),
]  # fmt: skip


async def test_a_malformed_push_is_refused(net: Network) -> None:
    for carrier in JOURNEYS:
        await book(net, carrier)

    for carrier, payload in MALFORMED:
        response = await net.carriers[carrier].post("/v1/tracking", payload)
        assert (response.status_code, error_code(response)) == (422, "bad_event"), payload
    assert await count(net, tracking_events) == 0


async def test_only_the_carrier_of_a_parcel_reports_on_it(net: Network, clock: Clock) -> None:
    shipment = await book(net, JD)
    number = shipment["tracking_number"]

    unknown = await push(net, JD, "JDV9999999999", *PICKED_UP[JD], clock.now)
    # Cainiao, in its own format, about JD's parcel: looked up among Cainiao's shipments.
    other_carrier = await push(net, CAINIAO, number, "ACCEPT", "", clock.now)
    # The merchant is no carrier: there is no plugin to read its pushes.
    payload = tracking_payload(JD, number, "60", "", clock.now, "ev-x")
    merchant = await net.merchant.post("/v1/tracking", payload)

    assert (unknown.status_code, error_code(unknown)) == (404, "unknown_tracking_number")
    assert (other_carrier.status_code, error_code(other_carrier)) == (
        404,
        "unknown_tracking_number",
    )
    assert (merchant.status_code, error_code(merchant)) == (403, "no_carrier_plugin")
    assert (await show(net, shipment["id"]))["status"] == "info_received"
    assert await count(net, tracking_events) == 0


async def test_a_push_about_an_unknown_parcel_uses_no_message_id(
    net: Network, clock: Clock
) -> None:
    # The carrier may push before the booking's answer is stored: a refusal
    # for a parcel not known yet is no answer to keep under the message id,
    # so the same message sent again once the parcel is known is taken.
    payload = tracking_payload(JD, "JDV0000000001", *PICKED_UP[JD], clock.now, "ev-early")
    sent = encode_json(request_envelope(payload, message_id="msg-early-push"))
    before = await row_counts(net.switch.services)
    early = await net.carriers[JD].send("POST", "/v1/tracking", sent)
    assert_nack(early, 404, "unknown_tracking_number")
    assert await row_counts(net.switch.services) == before  # not even a message row

    shipment = await book(net, JD)
    assert shipment["tracking_number"] == "JDV0000000001"
    again = await net.carriers[JD].send("POST", "/v1/tracking", sent)
    assert again.status_code == 200, again.text
    assert (await show(net, shipment["id"]))["status"] == "picked_up"


async def test_pushes_about_unknown_parcels_leave_the_pushes_beside_them_applied(
    net: Network, clock: Clock
) -> None:
    # An unknown parcel is found by the push's write, which then writes nothing
    # and returns its refusal (it does not raise): pushes sharing its commit are
    # stored and answered, only theirs are recorded, and the commit is not run
    # again write by write in savepoints (a carrier pushing unknown parcels
    # must not slow everyone's commits).
    shipment = await book(net, JD)
    recorded = await count(net, messages)
    known = push(net, JD, shipment["tracking_number"], *PICKED_UP[JD], clock.now)
    unknown = [push(net, JD, f"JDV99999999{n:02d}", *PICKED_UP[JD], clock.now) for n in range(5)]

    with counting(net.switch.services.db) as statements:
        first, *refused = await asyncio.gather(known, *unknown)

    assert not [kind for kind in statements.kinds if "SAVEPOINT" in kind], statements.kinds

    assert first.status_code == 200, first.text
    for answer in refused:
        assert_nack(answer, 404, "unknown_tracking_number")
    assert (await show(net, shipment["id"]))["status"] == "picked_up"
    assert await count(net, tracking_events) == 1
    assert await count(net, messages) == recorded + 1


async def test_status_changes_are_told_to_the_merchant_and_the_host(
    net: Network, clock: Clock
) -> None:
    number = (shipment := await book(net, JD))["tracking_number"]
    t = clock.now
    await track(net, JD, number, "20", "", t + timedelta(hours=1))  # picked up
    await track(net, JD, number, "20", "", t + timedelta(hours=1))  # the same, new event id
    await track(net, JD, number, "42", "", t + timedelta(hours=2))  # unmapped
    await track(net, JD, number, "31", "", t + timedelta(hours=3))  # in transit
    await track(net, JD, number, "10", "", t + timedelta(hours=4))  # late "order created"

    async with net.switch.services.db.read() as conn:
        told = {who: await list_events(conn, recipient=who) for who in (MERCHANT, HOST, JD)}

    for who in (MERCHANT, HOST):
        assert [(e.action, e.transaction_id) for e in told[who]] == [
            ("on_shipment", shipment["id"])
        ] * 3
        assert [(e.message["change"], e.message["shipment"]["status"]) for e in told[who]] == [
            ("booked", "info_received"),
            ("status", "picked_up"),
            ("status", "in_transit"),
        ]
    assert told[JD] == []


# -- 5. pickup points ---------------------------------------------------------------------


async def test_pickup_points_of_every_network_are_found_nearest_first(net: Network) -> None:
    await publish(net, JD, "jd-station-xixi", lat=30.2760, lng=120.0850, capacity=80)
    await publish(net, CAINIAO, "cainiao-bund", lat=31.2400, lng=121.4900)  # Shanghai
    here = (30.2745, 120.0835)

    response = await net.merchant.get(
        f"/v1/pickup-points?lat={here[0]}&lng={here[1]}&radius_m=1000"
    )

    assert response.status_code == 200, response.text
    points = response.json()["points"]
    assert [(p["id"], p["network"]) for p in points] == [
        (STATION["id"], CAINIAO),
        ("jd-station-xixi", JD),
    ]
    lat_e6, lng_e6 = round(here[0] * 1_000_000), round(here[1] * 1_000_000)
    assert [p["distance_m"] for p in points] == [
        distance_m(lat_e6, lng_e6, 30_274_100, 120_083_200),
        distance_m(lat_e6, lng_e6, 30_276_000, 120_085_000),
    ]
    assert points[0]["distance_m"] < points[1]["distance_m"] <= 1000
    assert (points[0]["capacity"], points[0]["held"], points[0]["full"]) == (200, 0, False)

    for query, code in [
        ("lat=95&lng=120.08", "invalid_position"),
        ("lat=30.27&lng=181", "invalid_position"),
        ("lat=30.27&lng=120.08&radius_m=0", "invalid_radius"),
        ("lat=30.27&lng=120.08&radius_m=50001", "invalid_radius"),
    ]:
        refused = await net.merchant.get(f"/v1/pickup-points?{query}")
        assert (refused.status_code, error_code(refused)) == (422, code), query


async def test_a_network_that_refuses_a_carrier_is_shown_in_quotes_and_enforced(
    net: Network,
) -> None:
    policy = {
        "valid_from": "2024-01-01",
        "refused": [JT],
        "reason": "no J&T parcels at our stations",
    } | AS_HISTORY
    declared = await net.carriers[CAINIAO].post("/v1/pickup-policies", policy)
    assert declared.status_code == 200, declared.text
    to_station = {"origin": HANGZHOU, "pickup_point_id": STATION["id"], "weight_g": 800}

    quoted = (await net.merchant.post("/v1/shipments/quote", to_station)).json()

    assert {q["carrier"] for q in quoted["quotes"]} == {JD, CAINIAO}
    (refused,) = quoted["refused"]
    assert refused["carrier"] == JT
    assert "no J&T parcels at our stations" in refused["reason"]
    assert await refusals(net) == []  # a quote records nothing

    response = await net.book(booking(JT, pickup_point_id=STATION["id"]))

    assert (response.status_code, error_code(response)) == (409, "pickup_point_refused")
    assert net.desk(JT).bookings == {}
    (row,) = await refusals(net)
    assert (row["kind"], row["by"], row["against"], row["subject"]) == (
        "pickup_point",
        CAINIAO,
        JT,
        STATION["id"],
    )
    assert "no J&T parcels at our stations" in row["reason"]
    assert await held(net, STATION["id"]) == 0
    # Other carriers still deliver there.
    assert (await book(net, JD, pickup_point_id=STATION["id"]))["pickup_point_id"] == STATION["id"]


async def test_a_full_point_refuses_more_parcels_until_one_is_collected(
    net: Network, clock: Clock
) -> None:
    await publish(net, CAINIAO, "cainiao-tiny", capacity=1)
    first = await book(net, JD, pickup_point_id="cainiao-tiny")
    assert await held(net, "cainiao-tiny") == 1

    response = await net.book(booking(CAINIAO, pickup_point_id="cainiao-tiny"))

    assert (response.status_code, error_code(response)) == (409, "pickup_point_full")
    assert net.desk(CAINIAO).bookings == {}
    assert [(r["kind"], r["by"], r["against"]) for r in await refusals(net)] == [
        ("pickup_full", "cainiao-tiny", CAINIAO)
    ]

    # The first parcel is collected: its slot is free again.
    await track(net, JD, first["tracking_number"], "60", "6002", clock.now + timedelta(hours=1))
    assert await held(net, "cainiao-tiny") == 0
    assert (await book(net, CAINIAO, pickup_point_id="cainiao-tiny"))["status"] == "info_received"
    assert await held(net, "cainiao-tiny") == 1


async def test_a_slot_is_given_back_once_whatever_follows(net: Network, clock: Clock) -> None:
    # Delivered, then an earlier report of the delivery (the state takes the earlier time),
    # then returned (signed for by the station, never collected): the parcel left the
    # point once, so one slot comes back.
    await publish(net, CAINIAO, "cainiao-pair", capacity=2)
    first = await book(net, JD, pickup_point_id="cainiao-pair")
    await book(net, JT, pickup_point_id="cainiao-pair")
    number, t = first["tracking_number"], clock.now

    await track(net, JD, number, "60", "6002", t + timedelta(hours=3))
    assert await held(net, "cainiao-pair") == 1
    assert (await track(net, JD, number, "60", "", t + timedelta(hours=2)))["applied"] is True
    assert (await track(net, JD, number, *RETURNED[JD], t + timedelta(hours=9)))["applied"]
    assert (await show(net, first["id"]))["status"] == "returned"
    assert await held(net, "cainiao-pair") == 1

    # A cancelled booking gives its slot back once, even if it is delivered after all.
    cancelled = await book(net, CAINIAO, pickup_point_id="cainiao-pair")
    assert await held(net, "cainiao-pair") == 2
    response = await net.merchant.post(f"/v1/shipments/{cancelled['id']}/cancel", {})
    assert response.status_code == 200, response.text
    assert await held(net, "cainiao-pair") == 1
    await track(net, CAINIAO, cancelled["tracking_number"], "SIGN", "", t + timedelta(hours=4))
    assert await held(net, "cainiao-pair") == 1


async def test_a_host_that_restricts_carriers_has_its_orders_refused_to_others(
    net: Network,
) -> None:
    policy = {
        "valid_from": "2024-01-01",
        "allowed": [CAINIAO, JT],
        "reason": "partner carriers",
    } | AS_HISTORY
    by_merchant = await net.merchant.post("/v1/carrier-policies", policy)
    declared = await (await net.client(HOST)).post("/v1/carrier-policies", policy)
    assert (by_merchant.status_code, error_code(by_merchant)) == (403, "wrong_role")
    assert declared.status_code == 200, declared.text
    assert declared.json()["message"]["rule"] == {
        "network": HOST,
        "valid_from": "2024-01-01",
        "allowed": [CAINIAO, JT],
        "refused": [],
        "version": 1,
        "reason": "partner carriers",
    }

    quoted = (await net.merchant.post("/v1/shipments/quote", route(host=HOST))).json()
    assert {q["carrier"] for q in quoted["quotes"]} == {CAINIAO, JT}
    assert [r["carrier"] for r in quoted["refused"]] == [JD]

    response = await net.book(booking(JD))
    to_station = await net.book(booking(JD, pickup_point_id=STATION["id"]))

    assert (response.status_code, error_code(response)) == (409, "carrier_not_allowed")
    assert (to_station.status_code, error_code(to_station)) == (409, "carrier_not_allowed")
    assert "partner carriers" in response.json()["error"]["message"]
    assert net.desk(JD).bookings == {}
    assert [(r["kind"], r["by"], r["against"]) for r in await refusals(net)] == [
        ("host_carrier", HOST, JD)
    ] * 2
    assert await held(net, STATION["id"]) == 0
    # An allowed carrier books; an order from another host may still use JD.
    assert (await book(net, CAINIAO))["carrier"] == CAINIAO
    await net.sells_on("douyin.example")
    assert (await book(net, JD, host="douyin.example"))["carrier"] == JD


async def test_a_shipment_names_only_a_host_the_merchant_sells_on(net: Network) -> None:
    """The host hears the shipment's news: the merchant's home, or an order or storefront there."""
    await net.sells_on("kuaishou.example", status="requested")

    for stranger in ("douyin.example", "kuaishou.example"):
        before = await row_counts(net.switch.services)
        response = await net.book(booking(JD, host=stranger))
        assert_nack(response, 403, "not_your_host", stranger)
        # Nothing is booked or held; the refusal is the message's recorded answer.
        after = await row_counts(net.switch.services)
        assert after == before | {"messages": before["messages"] + 1}, stranger
    assert net.desk(JD).bookings == {}

    await net.sells_on("douyin.example")
    assert (await book(net, JD, host="douyin.example"))["host"] == "douyin.example"
    assert (await book(net, CAINIAO))["host"] == HOST  # Tea House's home platform
    # No host named: the shipment is the merchant's own store's, its home platform's.
    assert (await book(net, JT, host=None))["host"] == HOST


async def test_a_booking_without_a_host_obeys_the_home_platform_s_carrier_exclusion(
    net: Network,
) -> None:
    policy = {"valid_from": "2024-01-01", "refused": [JD], "reason": "no JD parcels"} | AS_HISTORY
    declared = await (await net.client(HOST)).post("/v1/carrier-policies", policy)
    assert declared.status_code == 200, declared.text

    quoted = (await net.merchant.post("/v1/shipments/quote", route())).json()
    unnamed = await net.book(booking(JD, host=None))

    assert [r["carrier"] for r in quoted["refused"]] == [JD]  # no host: the home platform's
    assert_nack(unnamed, 409, "carrier_not_allowed")
    assert "no JD parcels" in unnamed.json()["error"]["message"]
    assert net.desk(JD).bookings == {}
    assert (await book(net, CAINIAO, host=None))["host"] == HOST


async def test_points_and_policies_that_make_no_sense_are_refused(net: Network) -> None:
    both = {"valid_from": "2024-01-01", "allowed": [JD], "refused": [JD]} | AS_HISTORY
    nowhere = STATION | {"id": "nowhere", "province": "Zhejiang", "city": "Hangzhou"}
    off_the_map = STATION | {"id": "off-the-map", "lat": 91.0}

    policy = await net.carriers[CAINIAO].post("/v1/pickup-policies", both)
    by_merchant = await net.merchant.post("/v1/pickup-policies", both | {"refused": []})
    bad_area = await net.carriers[CAINIAO].post("/v1/pickup-points", {"points": [nowhere]})
    bad_position = await net.carriers[CAINIAO].post("/v1/pickup-points", {"points": [off_the_map]})
    by_merchant_points = await net.merchant.post("/v1/pickup-points", {"points": [STATION]})

    assert (policy.status_code, error_code(policy)) == (422, "invalid_policy")
    assert (by_merchant.status_code, error_code(by_merchant)) == (403, "wrong_role")
    assert (bad_area.status_code, error_code(bad_area)) == (422, "invalid_pickup_point")
    assert (bad_position.status_code, error_code(bad_position)) == (422, "invalid_pickup_point")
    assert (by_merchant_points.status_code, error_code(by_merchant_points)) == (403, "wrong_role")
