"""`hutong live ...` and `hutong discover` at the terminal, signed with a key file over HTTP."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from typer.testing import Result

from hutong.store.tables import impression_items
from tests.harness.cast import JD_BEAUTY, KUAISHOU, STREAMER, TAOBAO, TEA_HOUSE
from tests.harness.cli import answered, invoke, key_file, refused_with
from tests.harness.shop import SERUM, TEA, Shop
from tests.harness.switch import Clock


async def hutong(*args: str) -> Result:
    return await asyncio.to_thread(invoke, {}, *args)


async def test_a_host_runs_a_session_from_the_terminal_and_reads_its_report(
    shop: Shop, clock: Clock, tmp_path: Path
) -> None:
    key = str(await key_file(await shop.client(KUAISHOU), tmp_path))
    common = ("--key-file", key, "--switch-url", shop.switch.url, "--json")
    scheduled = answered(
        await hutong(
            "live", "schedule", "--broadcaster", STREAMER, "--title", "tea night",
            "--starts-at", clock.now.strftime("%Y-%m-%dT%H:%M:%S"),
            "--ends-at", (clock.now + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S"),
            *common,
        )
    )  # fmt: skip
    sid = scheduled["session"]["id"]
    refused_with(await hutong("live", "viewers", sid, "--viewers", "1", "--views", "2",
                              *common), "session_not_live")  # fmt: skip
    answered(await hutong("live", "cart", sid, "--merchant", TEA_HOUSE, "--sku-id", TEA, *common))
    assert answered(await hutong("live", "start", sid, *common))["session"]["state"] == "live"
    counted = answered(await hutong("live", "viewers", sid, "--viewers", "9", "--views", "12",
                                    *common))  # fmt: skip
    assert counted["session"]["peak_viewers"] == 9
    assert answered(await hutong("live", "end", sid, *common))["session"]["state"] == "ended"
    report = answered(await hutong("live", "report", sid, *common))
    assert report["viewers"] == {"peak": 9, "views": 12}
    assert report["total"]["orders"] == 0


async def test_a_host_discovers_offers_and_reports_the_page_as_impressions(
    shop: Shop, tmp_path: Path
) -> None:
    key = str(await key_file(await shop.client(TAOBAO), tmp_path))
    common = ("--key-file", key, "--switch-url", shop.switch.url, "--json")
    page = answered(await hutong("discover", "serum", "--report-impressions", *common))
    assert [(r["merchant"], r["sku_id"]) for r in page["results"]] == [(JD_BEAUTY, SERUM)]
    async with shop.switch.services.db.read() as conn:
        reported = (await conn.execute(select(impression_items.c.merchant))).scalars().all()
    assert reported == [JD_BEAUTY]
    refused_with(await hutong("discover", "--cursor", "x", *common), "invalid_cursor")
