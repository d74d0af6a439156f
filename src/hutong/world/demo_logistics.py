"""The demo's logistics chapter: any carrier for any merchant, one tracking language."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hutong.protocol.ids import new_id
from hutong.protocol.signing import Signer
from hutong.world.carriers import tracking_payload
from hutong.world.reference import CarrierDesk
from hutong.world.story import Stage, expect, expect_status

CARRIERS = {
    "jd-logistics.example": "JDV",
    "cainiao.example": "CN",
    "jtexpress.example": "JT",
}
HANGZHOU_XIHU = "330106"
BEIJING_CHAOYANG = "110105"
STATION: dict[str, Any] = {
    "id": "cainiao-xixi-01",
    "name": "菜鸟驿站 西溪店 (Cainiao station, Xixi)",
    "address": "西湖区文一西路 100 号",
    "province": "330000",
    "city": "330100",
    "lat": 30.2741,
    "lng": 120.0832,
    "opening_hours": "08:00-21:00",
    "capacity": 200,
}


async def carriers_join(stage: Stage) -> str:
    """Carriers declare their services; Cainiao publishes a station open to every carrier."""
    for carrier, prefix in CARRIERS.items():
        signer: Signer = stage.client(carrier).signer
        stage.world.carriers[carrier] = CarrierDesk(signer=signer, tracking_prefix=prefix)
        response = await stage.client(carrier).post("/v1/carrier/services", {"services": []})
        expect_status(response, 200)
    cainiao = stage.client("cainiao.example")
    expect_status(await cainiao.post("/v1/pickup-points", {"points": [STATION]}), 200)
    policy = {"valid_from": "2024-01-01", "reason": "stations take every carrier's parcels"}
    expect_status(await cainiao.post("/v1/pickup-policies", stage.as_history(policy)), 200)
    lat, lng = STATION["lat"], STATION["lng"]
    near = await stage.client("jd.example").get(
        f"/v1/pickup-points?lat={lat}&lng={lng}&radius_m=1000"
    )
    expect_status(near, 200)
    found = [p["id"] for p in near.json()["points"]]
    expect(found == [STATION["id"]], f"station search found {found}")
    return "3 carriers declared services; a Cainiao station near Xixi found by location search"


async def _track(
    stage: Stage, carrier: str, number: str, steps: list[tuple[str, str]]
) -> list[Any]:
    """Push `steps` (code, sub code) an hour apart, ending now; the switch's answers."""
    answers = []
    start = stage.services.clock() - timedelta(hours=len(steps) - 1)
    for n, (code, sub) in enumerate(steps):
        when = start + timedelta(hours=n)
        payload = tracking_payload(carrier, number, code, sub, when, new_id("ev"))
        response = await stage.client(carrier).post("/v1/tracking", payload)
        expect_status(response, 200)
        answers.append(response.json())
    return answers


async def _book(stage: Stage, merchant: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await stage.client(merchant).post("/v1/shipments", body)
    expect_status(response, 201)
    booked: dict[str, Any] = response.json()
    return booked


async def tmall_ships_with_jd(stage: Stage) -> str:
    merchant = "tmall-flagship.example"
    route = {"origin": HANGZHOU_XIHU, "destination": BEIJING_CHAOYANG, "weight_g": 1200}
    quotes = await stage.client(merchant).post("/v1/shipments/quote", route)
    expect_status(quotes, 200)
    offered = {q["carrier"] for q in quotes.json()["quotes"]}
    expect("jd-logistics.example" in offered, f"no JD quote in {offered}")
    shipment = await _book(
        stage,
        merchant,
        route
        | {
            "carrier": "jd-logistics.example",
            "service": "standard",
            "host": "tmall.example",
            "address": {"name": "王女士", "street": "朝阳区建国路 1 号"},
        },
    )
    answers = await _track(
        stage,
        "jd-logistics.example",
        shipment["tracking_number"],
        [("20", ""), ("30", ""), ("50", ""), ("60", "")],
    )
    statuses = [a["status"] for a in answers]
    expect(statuses[-1] == "delivered", f"ended as {statuses[-1]}")
    return (
        f"{len(offered)} carriers quoted; booked JD Logistics "
        f"({shipment['tracking_number']}, ¥{shipment['price'] / 100:.2f}); tracked: "
        + " → ".join(statuses)
    )


async def jd_parcel_at_cainiao_station(stage: Stage) -> str:
    shipment = await _book(
        stage,
        "jd-beauty.example",
        {
            "carrier": "jd-logistics.example",
            "service": "standard",
            "origin": HANGZHOU_XIHU,
            "pickup_point_id": STATION["id"],
            "weight_g": 300,
            "host": "douyin.example",
        },
    )
    number = shipment["tracking_number"]
    answers = await _track(
        stage, "jd-logistics.example", number, [("20", ""), ("50", ""), ("50", "5001")]
    )
    expect(answers[-1]["status"] == "available_for_pickup", f"got {answers[-1]['status']}")
    # The carrier repeats itself and a late, older scan arrives: nothing moves back.
    payload = tracking_payload(
        "jd-logistics.example",
        number,
        "30",
        "",
        stage.services.clock() - timedelta(days=1),
        new_id("ev"),
    )
    late = [(await stage.client("jd-logistics.example").post("/v1/tracking", payload)).json()]
    expect(late[-1]["status"] == "available_for_pickup", "a late scan moved the parcel back")
    done = await _track(stage, "jd-logistics.example", number, [("60", "6002")])
    expect(done[-1]["status"] == "delivered", f"got {done[-1]}")
    return (
        "JD 50/5001 (delivering, handed to a station) read as available_for_pickup; "
        "a late older scan ignored; collected at the Cainiao station → delivered"
    )


async def jt_picks_up_taobao_parcel(stage: Stage) -> str:
    shipment = await _book(
        stage,
        "tea-house.example",
        {
            "carrier": "jtexpress.example",
            "service": "standard",
            "origin": HANGZHOU_XIHU,
            "destination": "310104",
            "weight_g": 800,
            "host": "taobao.example",
        },
    )
    answers = await _track(
        stage,
        "jtexpress.example",
        shipment["tracking_number"],
        [("1", ""), ("0", ""), ("5", "501"), ("77", ""), ("3", "")],
    )
    unknown = answers[3]["event"]
    expect(unknown["status"] == "unknown" and unknown["raw_code"] == "77", f"got {unknown}")
    statuses = [a["event"]["status"] for a in answers]
    expect(answers[-1]["status"] == "delivered", f"ended as {answers[-1]['status']}")
    return "J&T codes 1, 0, 5/501, 77, 3 read as " + ", ".join(statuses)
