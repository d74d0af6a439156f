"""Offers, storefronts, placements and commission schedules at a participant's terminal.

Each command acts with the participant's own key file (`HUTONG_KEY_FILE`),
signed over HTTP to a real switch on loopback, and never needs the switch's
database. `--json` prints the switch's answer; without it a table or a line.
A refusal exits 1 with `<code>: <sentence>` on stderr; sending again with
the same `--message-id` is answered as the first time, and done once.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.harness.cast import DOUYIN, KUAISHOU, MARKET_MERCHANT, STREAMER
from tests.harness.cli import Terminal, answered, invoke, refused_with
from tests.harness.networks import Market

#: Declarations take effect from their declaring day (UTC) on: the switch's today.
TODAY = datetime.now(UTC).date().isoformat()

MERCHANT = MARKET_MERCHANT
SERUM = ("--sku-id", "serum-1", "--title", "精华", "--price", "19900", "--stock", "10",
         "--category", "beauty", "--h5-url", "https://shop.example/serum-1")  # fmt: skip


@pytest.fixture
def hutong(market: Market, tmp_path: Path) -> Terminal:
    return Terminal(market, tmp_path)


# -- offers -------------------------------------------------------------------------------------


async def test_a_merchant_publishes_an_offer_and_lists_it(hutong: Terminal) -> None:
    published = await hutong(MERCHANT, "offer", "publish", *SERUM)
    assert published.exit_code == 0, published.output
    assert "serum-1" in published.stdout and "ok" in published.stdout

    listed = await hutong(MERCHANT, "offer", "list")
    assert listed.exit_code == 0, listed.output
    assert "精华" in listed.stdout and "¥199.00" in listed.stdout
    [offer] = answered(await hutong(MERCHANT, "offer", "list", "--json"))
    assert (offer["sku_id"], offer["price"], offer["stock"]) == ("serum-1", 19_900, 10)


async def test_offers_from_a_file_are_checked_one_by_one(hutong: Terminal, tmp_path: Path) -> None:
    good = {"sku_id": "tea-1", "title": "茶", "price": 5000, "stock": 3, "category": "tea",
            "h5_url": "https://shop.example/tea-1"}  # fmt: skip
    offers = tmp_path / "offers.json"
    offers.write_text(json.dumps({"offers": [good, good | {"sku_id": "tea-2", "price": 0}]}))

    result = await hutong(MERCHANT, "offer", "publish", "--file", str(offers), "--json")

    refused_with(result, "invalid_price")
    assert "tea-2" in result.stderr
    assert [r["result"] for r in json.loads(result.stdout)["results"]] == ["ok", "invalid_price"]
    listed = answered(await hutong(MERCHANT, "offer", "list", "--json"))
    assert [o["sku_id"] for o in listed] == ["tea-1"], "the good item is stored, the bad one not"


async def test_a_platform_cannot_publish_offers(hutong: Terminal) -> None:
    refused_with(await hutong(DOUYIN, "offer", "publish", *SERUM), "wrong_role")


async def test_publish_without_an_offer_is_a_usage_error(hutong: Terminal) -> None:
    result = await hutong(MERCHANT, "offer", "publish")
    assert result.exit_code == 2, result.output
    assert "--sku-id" in result.stderr


async def test_publishing_again_with_the_same_message_id_answers_the_same(
    hutong: Terminal,
) -> None:
    first = await hutong(
        MERCHANT, "offer", "publish", *SERUM, "--message-id", "msg-offer-1", "--json"
    )
    again = await hutong(
        MERCHANT, "offer", "publish", *SERUM, "--message-id", "msg-offer-1", "--json"
    )
    assert (
        answered(first)
        == answered(again)
        == {
            "results": [{"sku_id": "serum-1", "result": "ok"}],
            "ok": True,
        }
    )
    fresh = answered(await hutong(MERCHANT, "offer", "publish", *SERUM, "--json"))
    assert fresh["results"][0]["result"] == "unchanged", "a new message id is a new request"


# -- storefronts --------------------------------------------------------------------------------


async def requested(hutong: Terminal, *extra: str) -> dict[str, object]:
    assert (await hutong(MERCHANT, "offer", "publish", *SERUM)).exit_code == 0
    result = await hutong(
        MERCHANT, "storefront", "request", "--host", DOUYIN, "--item", "serum-1=18900",
        "--commission-bps", "500", "--json", *extra,
    )  # fmt: skip
    storefront: dict[str, object] = answered(result)
    return storefront


async def test_a_merchant_requests_a_storefront_and_the_host_approves_it(
    hutong: Terminal,
) -> None:
    storefront = await requested(hutong)
    assert storefront["status"] == "requested"
    sid = str(storefront["id"])

    approved = await hutong(DOUYIN, "storefront", "approve", sid)
    assert approved.exit_code == 0, approved.output
    assert f"{sid}: approved ({MERCHANT} in {DOUYIN}, 500 bp)" in approved.stdout

    listed = await hutong(MERCHANT, "storefront", "list", "--status", "approved")
    assert listed.exit_code == 0, listed.output
    assert sid in listed.stdout and "host" in listed.stdout
    shown = answered(await hutong(DOUYIN, "storefront", "show", sid, "--json"))
    assert shown["catalog"] == [{"sku_id": "serum-1", "price": 18_900}]
    assert shown["decided_by"] == "host"


async def test_only_the_host_decides_and_a_refusal_needs_a_reason(hutong: Terminal) -> None:
    sid = str((await requested(hutong))["id"])
    refused_with(await hutong(MERCHANT, "storefront", "approve", sid), "not_your_storefront")
    refused_with(
        await hutong(DOUYIN, "storefront", "refuse", sid, "--reason", " "), "reason_required"
    )

    refused = await hutong(DOUYIN, "storefront", "refuse", sid, "--reason", "类目已满")
    assert refused.exit_code == 0, refused.output
    assert "refused" in refused.stdout and "类目已满" in refused.stdout
    refused_with(await hutong(DOUYIN, "storefront", "approve", sid), "storefront_decided")


async def test_a_decision_sent_again_with_its_message_id_is_answered_the_same(
    hutong: Terminal,
) -> None:
    sid = str((await requested(hutong))["id"])
    args = ("storefront", "approve", sid, "--message-id", "msg-approve-1", "--json")
    first, again = await hutong(DOUYIN, *args), await hutong(DOUYIN, *args)
    assert answered(first) == answered(again)
    assert answered(first)["status"] == "approved"


async def test_a_standing_rule_decides_requests_on_arrival(hutong: Terminal) -> None:
    declared = await hutong(
        DOUYIN, "storefront", "policy", "declare", "--decision", "refuse",
        "--valid-from", TODAY, "--category", "beauty", "--reason", "美妆类目暂停入驻",
    )  # fmt: skip
    assert declared.exit_code == 0, declared.output
    assert "refuse" in declared.stdout and "beauty" in declared.stdout

    storefront = await requested(hutong)
    assert storefront["status"] == "refused"
    assert storefront["decided_by"] == f"policy:{DOUYIN}#v1"
    rules = answered(await hutong(MERCHANT, "storefront", "policy", "show", "--host", DOUYIN,
                                  "--json"))  # fmt: skip
    assert [(r["version"], r["decision"]) for r in rules] == [(1, "refuse")]
    refused_with(
        await hutong(DOUYIN, "storefront", "policy", "declare", "--decision", "refuse",
                     "--valid-from", TODAY, "--category", "tea"),
        "reason_required",
    )  # fmt: skip
    refused_with(
        await hutong(MERCHANT, "storefront", "policy", "declare", "--decision", "approve",
                     "--valid-from", TODAY, "--category", "tea"),
        "wrong_role",
    )  # fmt: skip


# -- placements ---------------------------------------------------------------------------------


async def test_a_creator_places_an_offer_and_gets_its_link(
    hutong: Terminal, market: Market
) -> None:
    assert (await hutong(MERCHANT, "offer", "publish", *SERUM)).exit_code == 0
    args = ("placement", "create", "--host", KUAISHOU, "--surface", "live_cart",
            "--merchant", MERCHANT, "--sku-id", "serum-1")  # fmt: skip

    placed = await hutong(STREAMER, *args)
    assert placed.exit_code == 0, placed.output
    assert f"{market.switch.url}/l/" in placed.stdout and "₴" in placed.stdout

    first = answered(await hutong(STREAMER, *args, "--message-id", "msg-place-1", "--json"))
    again = answered(await hutong(STREAMER, *args, "--message-id", "msg-place-1", "--json"))
    assert first == again
    placement = first["message"]["placement"]
    shown = answered(await hutong(MERCHANT, "placement", "show", placement["id"], "--json"))
    assert (shown["id"], shown["placed_by"], shown["url"]) == (
        placement["id"],
        STREAMER,
        placement["url"],
    )


async def test_a_merchant_cannot_place_on_a_host(hutong: Terminal) -> None:
    result = await hutong(
        MERCHANT, "placement", "create", "--host", KUAISHOU, "--surface", "live_cart",
        "--merchant", MERCHANT, "--sku-id", "serum-1",
    )  # fmt: skip
    refused_with(result, "wrong_role")
    refused_with(await hutong(MERCHANT, "placement", "show", "pl_nothing"), "unknown_placement")


# -- commission schedules -----------------------------------------------------------------------


async def test_a_host_declares_its_commission_schedule_and_anyone_reads_it(
    hutong: Terminal,
) -> None:
    args = ("commission", "declare", "--valid-from", TODAY,
            "--channel-rate", "storefront=500", "--channel-rate", "link_placement=2000",
            "--take-rate", "beauty:storefront=600", "--creator-rate", "beauty=1500",
            "--default-creator-bps", "1000", "--note", "2024 费率")  # fmt: skip

    declared = await hutong(KUAISHOU, *args, "--message-id", "msg-schedule-1", "--json")
    again = await hutong(KUAISHOU, *args, "--message-id", "msg-schedule-1", "--json")
    schedule = answered(declared)["schedule"]
    assert answered(again)["schedule"] == schedule, "the retry is answered, not declared again"
    assert schedule["version"] == 1
    assert schedule["channel_rates"] == {"link_placement": 2000, "storefront": 500}
    assert schedule["take_rates"] == [{"category": "beauty", "channel": "storefront", "bps": 600}]

    shown = await hutong(MERCHANT, "commission", "show", KUAISHOU)
    assert shown.exit_code == 0, shown.output
    assert f"{KUAISHOU}: 1 version(s)" in shown.stdout and "beauty=1500" in shown.stdout


async def test_only_a_platform_declares_a_schedule(hutong: Terminal) -> None:
    result = await hutong(MERCHANT, "commission", "declare", "--valid-from", TODAY)
    refused_with(result, "wrong_role")
    bad = await hutong(KUAISHOU, "commission", "declare", "--valid-from", TODAY,
                       "--channel-rate", "storefront")  # fmt: skip
    assert bad.exit_code == 2, bad.output
    assert "CHANNEL=BPS" in bad.output


@pytest.mark.parametrize(
    "args",
    [
        ("offer", "list"),
        ("storefront", "approve", "sf_1"),
        ("placement", "show", "pl_1"),
        ("alias", "remove", "13800135678"),
        ("pay", "for-me", "cancel", "pfm_1"),
        ("commission", "declare", "--valid-from", TODAY),
        ("self", "show"),
    ],
)
def test_a_participant_command_without_a_key_file_says_how(args: tuple[str, ...]) -> None:
    result = invoke({"HUTONG_KEY_FILE": None}, *args)
    assert result.exit_code == 2, result.output
    assert "no_participant" in result.stderr and "--key-file" in result.stderr
    assert "13800135678" not in result.output
