"""The demo's settlement chapter: a window closes, files are written, everyone's money adds up.

The operator closes the settlement window; each participant's file is fetched
in both forms and written under the demo's data directory as
``settlement/<window>/<participant>.csv`` and ``.json``, and each is
reconciled against the switch as the participant's own statement. Then the
orders' money is told party by party (`MONEY_FILE`, printed by ``hutong demo``
as a table) and checked three ways: the parts add up to what the buyers paid
less what they got back, every party's net in its settlement file over those
orders' transfers is exactly its part, and the ledger passes its check. An
order that redeemed a coupon was paid partly by the buyer (its total less the
discount) and partly by the coupon's funders (`coupon` of the order): its
wallet owes that much less and each funder its share (less what refunds
returned), which the settlement files show.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

from hutong.commerce.commissions import OrderSplit, reversed_after
from hutong.commerce.coupons.rules import funding_shares
from hutong.ledger.check import check_ledger
from hutong.ledger.models import yuan
from hutong.ledger.settlement import HUB, parse_statement
from hutong.world.story import Stage, expect, expect_status

#: Written in the data directory: who received what from the demo's orders.
MONEY_FILE = "money-received.json"
AUDITOR = "regulator.example"
#: A participant's id as a file name: no separators, nothing hidden.
FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
PART_NAMES = {
    "merchant": "sale",
    "host_commission": "host commission",
    "creator_commission": "creator commission",
    "wallet_fee": "wallet fee",
    "carrier_fee": "carrier fee",
}


def settlement_folder(data_dir: Path, window: str) -> Path:
    return Path(data_dir) / "settlement" / window


async def _json(response: Any) -> Any:
    expect_status(response, 200)
    return response.json()


async def window_closes(stage: Stage) -> str:
    """The operator closes the window; every participant's file is written and reconciles."""
    # The window closes at now less the grace: wait until the story's transfers are older.
    await asyncio.sleep(stage.services.settings.settlement_grace + 0.05)
    base = f"{stage.switch_url}/operator/settlement"
    closed = await _json(await stage.operator.post(f"{base}/close", json={}))
    window = closed["window"]
    expect(window["state"] == "closed", f"the window is {window['state']}")
    nets: defaultdict[str, int] = defaultdict(int)
    for position in closed["overall"]:
        nets[position["asset"]] += position["net"]
    expect(all(net == 0 for net in nets.values()), f"positions do not sum to zero: {dict(nets)}")
    participants = sorted({p["participant"] for p in closed["overall"]})
    folder = settlement_folder(stage.services.settings.data_dir, window["id"])
    folder.mkdir(parents=True, exist_ok=True)
    for participant in participants:
        expect(FILE_NAME.fullmatch(participant) is not None, f"unsafe name {participant!r}")
        url = f"{base}/windows/{window['id']}/files/{participant}"
        for fmt in ("csv", "json"):
            response = await stage.operator.get(url, params={"format": fmt})
            expect_status(response, 200)
            (folder / f"{participant}.{fmt}").write_text(response.text, encoding="utf-8")
        statement = (folder / f"{participant}.csv").read_text(encoding="utf-8")
        report = await _json(
            await stage.operator.post(
                f"{base}/windows/{window['id']}/reconcile/{participant}",
                content=statement.encode(),
                headers={"content-type": "text/csv"},
            )
        )
        expect(report["ok"], f"{participant}'s file does not reconcile: {report['summary']}")
    strangers = [i for i in closed["instructions"] if HUB not in (i["payer"], i["payee"])]
    expect(not strangers, f"instructions between two participants: {strangers}")
    confirmed = await _everyone_confirms(stage, window["id"], participants)
    return (
        f"{window['id']} closed: {window['transfer_count']} transfers, {len(participants)} "
        f"participants' files in settlement/{window['id']}/ (csv, json), each reconciled; "
        f"positions sum to zero; {len(closed['instructions'])} payments with the hub settle "
        f"it, each participant's own net; {confirmed} confirmed, window settled"
    )


async def _coupons(stage: Stage, orders: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The coupon each order redeemed, by order id (as the auditor reads them)."""
    found = {}
    for order in orders:
        response = await stage.client(AUDITOR).get(f"/v1/coupons/orders/{order['id']}")
        if response.status_code == 200:
            found[order["id"]] = response.json()["coupon"]
        else:
            expect_status(response, 404)
    return found


async def _everyone_confirms(stage: Stage, window: str, participants: list[str]) -> int:
    """Each participant with a key confirms its settlement; then the operator settles."""
    confirmed = 0
    for participant in participants:
        if participant not in stage.clients:
            continue
        answer = await stage.client(participant).post(
            f"/v1/settlement/windows/{window}/confirm", {}
        )
        expect_status(answer, 200)
        confirmed += 1
    base = f"{stage.switch_url}/operator/settlement/windows/{window}"
    expect_status(await stage.operator.post(f"{base}/settle"), 200)
    return confirmed


def _received(
    orders: list[dict[str, Any]], coupons: dict[str, dict[str, Any]]
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, int]]:
    """Each party's parts of `orders` (after refunds), and its net in the ledger over them."""
    parts: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
    ledger: defaultdict[str, int] = defaultdict(int)
    for number, order in enumerate(orders, start=1):
        split = OrderSplit(**order["split"])
        # Refunds before completion shrank the split; those after it reversed its parts.
        after = order["refunded"] - (order["paid"] - split.total)
        back = reversed_after(split, after)
        owners = {
            "merchant": order["merchant"],
            "host_commission": order["host"],
            "creator_commission": order["creator"],
            "wallet_fee": order["wallet"],
            "carrier_fee": order["carrier"],
        }
        for part, fen in split:
            kept = fen - getattr(back, part)
            if kept:
                parts[owners[part]].append({"order": number, "part": part, "fen": kept})
                ledger[owners[part]] += kept
        # The wallet collected the buyer's money and owes it on.
        ledger[order["wallet"]] -= order["paid"] - order["refunded"]
        coupon = coupons.get(order["id"])
        if coupon:  # the buyer paid less; the funders paid the rest (less what came back)
            ledger[order["wallet"]] += coupon["discount"] - coupon["returned"]
            owed = funding_shares(coupon["funding"], coupon["discount"])
            kept = funding_shares(coupon["funding"], coupon["returned"])
            for funder in owed:
                ledger[funder] -= owed[funder] - kept[funder]
    return dict(parts), dict(ledger)


def _ledger_net(folder: Path, participant: str, prefixes: tuple[str, ...]) -> int:
    """`participant`'s net in CNY over the transfers named by `prefixes`, from its file."""
    path = folder / f"{participant}.csv"
    expect(path.is_file(), f"no settlement file for {participant}")
    statement = parse_statement(path.read_text(encoding="utf-8"))
    expect(not statement.errors, f"{path.name}: {statement.errors[:1]}")
    return sum(
        s.entry.signed
        for s in statement.lines
        if s.entry.asset == "CNY" and s.entry.transfer_id.startswith(prefixes)
    )


async def money_received(stage: Stage) -> str:
    """Who received what from the orders, checked against the settlement files and the ledger."""
    windows = await _json(
        await stage.operator.get(f"{stage.switch_url}/operator/settlement/windows")
    )
    closed = [w for w in windows if w["state"] != "open"]
    expect(bool(closed), "no closed settlement window")
    window = closed[-1]["id"]
    listed = await _json(await stage.client(AUDITOR).get("/v1/orders?limit=200"))
    orders = sorted((o for o in listed["orders"] if o["split"]), key=lambda o: o["created_at"])
    expect(len(orders) >= 2, f"{len(orders)} completed orders")
    coupons = await _coupons(stage, orders)
    parts, ledger = _received(orders, coupons)
    paid = sum(o["paid"] for o in orders)
    refunded = sum(o["refunded"] for o in orders)
    total = sum(p["fen"] for rows in parts.values() for p in rows)
    expect(total == paid - refunded, f"parts add up to {total}, buyers kept {paid - refunded} paid")
    folder = settlement_folder(stage.services.settings.data_dir, window)
    prefixes = tuple(f"{o[key]}/" for o in orders for key in ("id", "payment_id"))
    for participant, expected in sorted(ledger.items()):
        net = _ledger_net(folder, participant, prefixes)
        expect(net == expected, f"{participant}: file says {net}, the orders say {expected}")
    async with stage.services.db.read() as conn:
        report = await check_ledger(conn)
    expect(report.ok, f"ledger check: {report.problems[:3]}")
    money = {
        "window": window,
        "orders": [
            {
                "number": n,
                "id": o["id"],
                "host": o["host"],
                "merchant": o["merchant"],
                "paid": o["paid"],
                "refunded": o["refunded"],
                "coupon": coupons[o["id"]]["discount"] if o["id"] in coupons else 0,
            }
            for n, o in enumerate(orders, start=1)
        ],
        "received": [
            {"participant": p, "fen": sum(x["fen"] for x in rows), "from": rows}
            for p, rows in sorted(parts.items(), key=lambda item: -sum(x["fen"] for x in item[1]))
        ],
        "paid": paid,
        "refunded": refunded,
    }
    path = Path(stage.services.settings.data_dir) / MONEY_FILE
    path.write_text(json.dumps(money, ensure_ascii=False, indent=2), encoding="utf-8")
    return (
        f"{len(orders)} orders: buyers paid {yuan(paid)}, got {yuan(refunded)} back; "
        f"{len(parts)} parties received {yuan(total)}, each exactly its net in its "
        f"settlement file; ledger check ok ({report.transfers} transfers)"
    )


def money_rows(money: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The table ``hutong demo`` prints: participant, received, from which orders and parts."""
    rows = []
    for entry in money["received"]:
        sources = ", ".join(
            f"#{x['order']} {PART_NAMES.get(x['part'], x['part'])} {yuan(x['fen'])}"
            for x in entry["from"]
        )
        rows.append((entry["participant"], yuan(entry["fen"]), sources))
    return rows
