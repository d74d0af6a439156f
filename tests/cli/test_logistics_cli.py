"""Carriers, pickup networks and hosts declare, and carriers track, at their own terminal.

Each command acts with the participant's own key file, signed over HTTP to a
real switch on loopback (the logistics cast: Tea House, its host Taobao,
three carriers with their booking desks). `--json` prints the switch's
answer; a refusal exits 1 with `<code>: <sentence>`; sending again with the
same `--message-id` is answered as the first time, and done once.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from hutong.world.carriers import tracking_payload
from tests.harness.cast import CAINIAO, JT
from tests.harness.cast import JDL as JD
from tests.harness.cast import TAOBAO as HOST
from tests.harness.cast import TEA_HOUSE as MERCHANT
from tests.harness.cli import Terminal, answered, refused_with
from tests.harness.networks import Logistics

HANGZHOU, SHANGHAI = "330106", "310104"
NOON = datetime(2024, 6, 1, 12, tzinfo=UTC)
PARCEL = ("--origin", HANGZHOU, "--destination", SHANGHAI, "--weight-g", "800")
POINT = {"id": "cn-wenyi-09", "name": "菜鸟驿站 文一店", "address": "西湖区文一西路 9 号",
         "province": "330000", "city": "330100", "lat": 30.2799, "lng": 120.0901,
         "opening_hours": "08:00-21:00", "capacity": 40}  # fmt: skip


@pytest.fixture
def hutong(net: Logistics, tmp_path: Path) -> Terminal:
    return Terminal(net, tmp_path)


def today(net: Logistics) -> str:
    return net.switch.services.clock().date().isoformat()


# -- services and quotes ------------------------------------------------------------------------


async def test_a_carrier_declares_its_services_and_a_merchant_quotes_with_its_key(
    hutong: Terminal,
) -> None:
    args = ("carrier", "services", "--message-id", "msg-services-1", "--json")
    first, again = await hutong(JD, *args), await hutong(JD, *args)
    assert answered(first) == answered(again), "the retry is answered, not declared again"
    declared = answered(first)["message"]["services"]
    assert [s["name"] for s in declared] == ["standard", "next_day"], "its plugin's services"

    quoted = answered(await hutong(MERCHANT, "ship", "quote", *PARCEL, "--json"))
    assert JD in {q["carrier"] for q in quoted["quotes"]}
    table = await hutong(MERCHANT, "ship", "quote", *PARCEL)
    assert table.exit_code == 0, table.output
    assert JD in table.stdout and "standard" in table.stdout


async def test_only_a_carrier_declares_services_and_a_file_must_hold_them(
    hutong: Terminal, tmp_path: Path
) -> None:
    refused_with(await hutong(MERCHANT, "carrier", "services"), "wrong_role")
    bad = tmp_path / "services.json"
    bad.write_text(json.dumps({"services": [{"name": "express"}]}))
    refused_with(await hutong(JD, "carrier", "services", "--file", str(bad)), "invalid_service")
    bad.write_text("not json")
    usage = await hutong(JD, "carrier", "services", "--file", str(bad))
    assert usage.exit_code == 2 and "invalid_services_file:" in usage.stderr


async def test_a_quote_with_a_bad_area_code_is_refused_with_its_code(hutong: Terminal) -> None:
    refused = await hutong(MERCHANT, "ship", "quote", "--origin", "33", "--weight-g", "800",
                           "--destination", SHANGHAI)  # fmt: skip
    refused_with(refused, "invalid_area_code")


# -- tracking -----------------------------------------------------------------------------------


async def booked(net: Logistics) -> dict[str, Any]:
    body = {"carrier": JD, "service": "standard", "origin": HANGZHOU, "destination": SHANGHAI,
            "weight_g": 800, "host": HOST, "address": {"name": "王女士"}}  # fmt: skip
    response = await net.book(body)
    assert response.status_code == 201, response.text
    shipment: dict[str, Any] = response.json()
    return shipment


async def test_a_carrier_pushes_a_tracking_event_in_its_own_format(
    hutong: Terminal, net: Logistics, tmp_path: Path
) -> None:
    shipment = await booked(net)
    event = tmp_path / "picked-up.json"
    when = net.switch.services.clock()
    event.write_text(json.dumps(tracking_payload(JD, shipment["tracking_number"], "20", "", when,
                                                 "ev-1")))  # fmt: skip

    args = ("carrier", "track", str(event), "--message-id", "msg-track-1", "--json")
    first, again = answered(await hutong(JD, *args)), answered(await hutong(JD, *args))
    assert first == again, "the retry is answered as the first push"
    assert (first["shipment_id"], first["status"], first["applied"]) == (
        shipment["id"],
        "picked_up",
        True,
    )

    resent = await hutong(JD, "carrier", "track", str(event))
    assert resent.exit_code == 0, resent.output
    assert f"{shipment['id']}: 20 → picked_up (duplicate)" in resent.stdout, "one event, once"
    shown = answered(await hutong(MERCHANT, "ship", "track", shipment["id"]))
    assert [e["status"] for e in shown["events"]] == ["picked_up"]


async def test_an_event_for_no_shipment_is_refused(hutong: Terminal, tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps(tracking_payload(JD, "JD000", "20", "", NOON, "ev-x")))
    refused_with(await hutong(JD, "carrier", "track", str(event)), "unknown_tracking_number")
    event.write_text("[1, 2]")
    usage = await hutong(JD, "carrier", "track", str(event))
    assert usage.exit_code == 2 and "invalid_event_file:" in usage.stderr


# -- pickup points and rules --------------------------------------------------------------------


async def test_a_network_publishes_its_points_and_says_which_carriers_deliver_there(
    hutong: Terminal, net: Logistics, tmp_path: Path
) -> None:
    points = tmp_path / "points.json"
    points.write_text(json.dumps({"points": [POINT]}))
    published = await hutong(CAINIAO, "pickup", "publish", "--file", str(points))
    assert published.exit_code == 0, published.output
    assert "published 1 pickup point(s)" in published.stdout

    args = ("pickup", "policy", "--valid-from", today(net), "--refuse", JT,
            "--reason", "驿站暂不接收", "--message-id", "msg-pickup-1", "--json")  # fmt: skip
    first, again = answered(await hutong(CAINIAO, *args)), answered(await hutong(CAINIAO, *args))
    assert first == again
    rule = first["message"]["rule"]
    assert (rule["network"], rule["refused"], rule["allowed"]) == (CAINIAO, [JT], None)

    human = await hutong(CAINIAO, "pickup", "policy", "--valid-from", today(net), "--allow", JD)
    assert human.exit_code == 0, human.output
    assert f"{CAINIAO} version 2 from {today(net)}: allows {JD}; refuses none" in human.stdout


async def test_a_host_says_which_carriers_its_orders_may_use(
    hutong: Terminal, net: Logistics
) -> None:
    args = ("ship", "policy", "--valid-from", today(net), "--refuse", JT, "--reason", "时效不达标")
    declared = await hutong(HOST, *args, "--message-id", "msg-carriers-1", "--json")
    again = await hutong(HOST, *args, "--message-id", "msg-carriers-1", "--json")
    assert answered(declared) == answered(again)
    assert answered(declared)["message"]["rule"]["version"] == 1
    refused_with(await hutong(MERCHANT, *args), "wrong_role")
    refused_with(
        await hutong(HOST, "ship", "policy", "--valid-from", today(net), "--allow", JT,
                     "--refuse", JT),
        "invalid_policy",
    )  # fmt: skip
