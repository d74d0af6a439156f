"""Coupon campaigns at a participant's terminal: declared from a file, claimed, read.

Each command acts with the participant's own key file, signed over HTTP to a
real switch on loopback (the shop of `tests.harness.shop`); a refusal exits 1
with ``<code>: <sentence>`` on stderr.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.harness.cast import AUDITOR, DOUYIN, JD
from tests.harness.cli import Terminal, answered, refused_with
from tests.harness.coupons import campaign_message
from tests.harness.shop import Shop
from tests.harness.switch import Clock


async def test_a_campaign_is_declared_from_a_file_claimed_and_read(
    shop: Shop, clock: Clock, tmp_path: Path
) -> None:
    hutong = Terminal(shop, tmp_path)
    file = tmp_path / "campaign.json"
    file.write_text(json.dumps(campaign_message(clock.now)), encoding="utf-8")

    declared = answered(await hutong(JD, "coupon", "declare", str(file), "--json"))
    campaign_id = declared["campaign"]["id"]
    claimed = answered(
        await hutong(DOUYIN, "coupon", "claim", campaign_id, "--buyer", "b-1",
                     "--surface", "live_cart", "--json")
    )  # fmt: skip
    again = await hutong(
        DOUYIN, "coupon", "claim", campaign_id, "--buyer", "b-1", "--surface", "live_cart"
    )
    shown = await hutong(JD, "coupon", "show", campaign_id)
    refusals = answered(await hutong(AUDITOR, "coupon", "refusals", "--json"))

    assert claimed["coupon"]["state"] == "claimed"
    refused_with(again, "coupon_limit_reached")
    assert shown.exit_code == 0 and "1/10" in shown.stdout, shown.output
    assert [r["code"] for r in refusals["refusals"]] == ["coupon_limit_reached"]


async def test_a_file_that_is_not_json_is_bad_input(shop: Shop, tmp_path: Path) -> None:
    hutong = Terminal(shop, tmp_path)
    file = tmp_path / "campaign.json"
    file.write_text("{not json", encoding="utf-8")

    result = await hutong(JD, "coupon", "declare", str(file))

    assert result.exit_code == 2, result.output
    assert "invalid_campaign:" in result.stderr
