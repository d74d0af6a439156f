"""Storefronts (入驻): requests, the host's decisions, standing policies, profiles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest

from hutong.commerce.commissions import Channel
from hutong.commerce.orders.lines import OrderLine
from hutong.commerce.orders.origin import order_origin
from hutong.commerce.storefronts import (
    Decision,
    StandingRule,
    StorefrontStatus,
    check_reason,
    decide,
    policy_ref,
    rules_in_force,
    standing_decision,
)
from hutong.protocol.errors import ConflictError, ValidationError
from tests.harness.assertions import assert_nack, refused_keeping_only_its_answer, rule_refuses
from tests.harness.cast import MARKET_MERCHANT as MERCHANT
from tests.harness.commerce import ask, events, offer, post_at, publish, set_home
from tests.harness.networks import Market
from tests.harness.openapi import assert_documented, served_document
from tests.harness.statements import lasting_declarations
from tests.harness.switch import Clock

DAY = date(2024, 9, 1)

# -- pure: transitions and standing rules --------------------------------------------


def test_only_a_pending_request_can_be_decided() -> None:
    assert decide(StorefrontStatus.REQUESTED, Decision.APPROVE) is StorefrontStatus.APPROVED
    assert decide(StorefrontStatus.REQUESTED, Decision.REFUSE) is StorefrontStatus.REFUSED
    for done in (StorefrontStatus.APPROVED, StorefrontStatus.REFUSED):
        for decision in Decision:
            with pytest.raises(ConflictError) as caught:
                decide(done, decision)
            assert caught.value.code == "storefront_decided"


def test_a_refusal_needs_a_reason_and_an_approval_does_not() -> None:
    assert check_reason(Decision.APPROVE, "") == ""
    assert check_reason(Decision.REFUSE, "  own brand only ") == "own brand only"
    with pytest.raises(ValidationError) as caught:
        check_reason(Decision.REFUSE, "   ")
    assert caught.value.code == "reason_required"


def rule(decision: str, version: int, **match: Any) -> StandingRule:
    return StandingRule(
        decision=Decision(decision),
        valid_from=match.pop("valid_from", DAY),
        categories=frozenset(match.pop("categories", ())),
        home_platforms=frozenset(match.pop("home_platforms", ())),
        reason=match.pop("reason", f"rule {version}"),
        version=version,
    )


def test_refuse_beats_approve_whatever_their_order() -> None:
    approve_beauty = rule("approve", 3, categories={"beauty"})
    refuse_taobao = rule("refuse", 1, home_platforms={"taobao.example"})
    rules = [refuse_taobao, approve_beauty]

    assert standing_decision(rules, "taobao.example", ["beauty"]) == (
        Decision.REFUSE,
        refuse_taobao,
    )
    assert standing_decision(rules, "jd.example", ["beauty"]) == (Decision.APPROVE, approve_beauty)


def test_among_rules_of_one_decision_the_latest_version_is_reported() -> None:
    older = rule("approve", 1, categories={"beauty", "snacks"})
    newer = rule("approve", 2, home_platforms={"jd.example"})
    assert standing_decision([newer, older], "jd.example", ["beauty"]) == (Decision.APPROVE, newer)


def test_an_approval_covers_every_category_a_refusal_any() -> None:
    approve = [rule("approve", 1, categories={"beauty"})]
    refuse = [rule("refuse", 1, categories={"tobacco"})]

    assert standing_decision(approve, None, ["beauty"]) is not None
    assert standing_decision(approve, None, ["beauty", "tobacco"]) is None
    assert standing_decision(refuse, None, ["beauty", "tobacco"]) is not None
    assert standing_decision(refuse, None, ["beauty"]) is None


def test_a_rule_naming_both_needs_both_and_no_profile_matches_no_home_rule() -> None:
    both = [rule("approve", 1, categories={"beauty"}, home_platforms={"jd.example"})]
    assert standing_decision(both, "jd.example", ["beauty"]) is not None
    assert standing_decision(both, "taobao.example", ["beauty"]) is None
    assert standing_decision(both, None, ["beauty"]) is None
    assert standing_decision([], "jd.example", ["beauty"]) is None


def test_rules_speak_from_valid_from_and_a_later_version_of_a_match_replaces_it() -> None:
    refuse = rule("refuse", 1, home_platforms={"taobao.example"})
    lifted = rule("approve", 2, home_platforms={"taobao.example"}, valid_from=DAY + timedelta(30))
    other = rule("approve", 3, categories={"beauty"}, valid_from=DAY + timedelta(60))

    assert rules_in_force([refuse, lifted, other], DAY - timedelta(1)) == []
    assert rules_in_force([refuse, lifted, other], DAY) == [refuse]
    assert rules_in_force([other, lifted, refuse], DAY + timedelta(30)) == [lifted]
    assert rules_in_force([refuse, lifted, other], DAY + timedelta(60)) == [lifted, other]
    in_force = rules_in_force([refuse, lifted], DAY + timedelta(30))
    assert standing_decision(in_force, "taobao.example", ["beauty"]) == (Decision.APPROVE, lifted)


@pytest.mark.parametrize(
    "broken",
    [
        {"decision": Decision.APPROVE, "valid_from": DAY},
        {"decision": Decision.REFUSE, "valid_from": DAY, "categories": frozenset({"x"})},
        {"decision": Decision.APPROVE, "valid_from": DAY, "categories": frozenset({" "})},
    ],
)
def test_a_rule_matches_something_and_a_refusal_says_why(broken: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        StandingRule(**broken)


def test_decided_by_names_the_host_and_version_when_it_fits() -> None:
    assert policy_ref("douyin.example", 2) == "policy:douyin.example#v2"
    assert policy_ref("a" * 60 + ".example", 12) == "policy:#v12"


# -- over HTTP: request, approve, refuse ---------------------------------------------


async def catalog(market: Market) -> None:
    await publish(
        market.merchant,
        offer("serum-1"),
        offer("cream-2", category="beauty"),
        offer("chips-3", category="snacks"),
    )


async def test_a_request_is_approved_by_its_host_and_both_hear_of_it(market: Market) -> None:
    await catalog(market)
    asked = await ask(market.merchant, "douyin.example", {"serum-1": 18900, "cream-2": 9900}, 500)
    assert asked.status_code == 201, asked.text
    storefront = asked.json()
    assert storefront["status"] == "requested"
    assert storefront["catalog"] == [
        {"sku_id": "serum-1", "price": 18900},
        {"sku_id": "cream-2", "price": 9900},
    ]
    assert storefront["commission_bps"] == 500
    assert storefront["decided_by"] == "" and storefront["decided_at"] is None

    approved = await market.douyin.post(f"/v1/storefronts/{storefront['id']}/approve", {})

    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    assert approved.json()["decided_by"] == "host"
    for who in (MERCHANT, "douyin.example"):
        heard = await events(market.switch, who, "on_storefront")
        assert [e["storefront"]["status"] for e in heard] == ["requested", "approved"]
    assert await events(market.switch, "kuaishou.example", "on_storefront") == []
    mine = (await market.merchant.get("/v1/storefronts")).json()
    on_host = (await market.douyin.get("/v1/storefronts?status=approved")).json()
    assert [s["id"] for s in mine] == [s["id"] for s in on_host] == [storefront["id"]]
    assert (await market.kuaishou.get("/v1/storefronts")).json() == []


async def test_a_refused_storefront_request_is_recorded_with_its_reason(market: Market) -> None:
    await catalog(market)
    storefront = (await ask(market.merchant, "douyin.example", {"serum-1": 18900})).json()
    reason = "beauty is sold by our own flagship stores only"

    refused = await market.douyin.post(
        f"/v1/storefronts/{storefront['id']}/refuse", {"reason": reason}
    )

    assert refused.status_code == 200, refused.text
    recorded = (await market.merchant.get(f"/v1/storefronts/{storefront['id']}")).json()
    assert recorded["status"] == "refused"
    assert recorded["reason"] == reason
    assert recorded["decided_by"] == "host"
    assert recorded["decided_at"] is not None
    for who in (MERCHANT, "douyin.example"):
        last = (await events(market.switch, who, "on_storefront"))[-1]["storefront"]
        assert (last["id"], last["status"], last["reason"]) == (storefront["id"], "refused", reason)
    # A refusal is final for that request; the merchant may ask again.
    again = await ask(market.merchant, "douyin.example", {"serum-1": 17900})
    assert again.status_code == 201, again.text


async def test_a_decision_is_final(market: Market) -> None:
    await catalog(market)
    storefront = (await ask(market.merchant, "douyin.example", {"serum-1": 18900})).json()
    path = f"/v1/storefronts/{storefront['id']}"
    assert (await market.douyin.post(f"{path}/approve", {})).status_code == 200

    assert_nack(await market.douyin.post(f"{path}/approve", {}), 409, "storefront_decided")
    assert_nack(
        await market.douyin.post(f"{path}/refuse", {"reason": "changed my mind"}),
        409,
        "storefront_decided",
    )
    assert (await market.merchant.get(path)).json()["status"] == "approved"
    assert len(await events(market.switch, MERCHANT, "on_storefront")) == 2


async def test_only_the_host_of_a_storefront_decides_it(market: Market) -> None:
    await catalog(market)
    storefront = (await ask(market.merchant, "douyin.example", {"serum-1": 18900})).json()
    path = f"/v1/storefronts/{storefront['id']}"

    assert_nack(await market.kuaishou.post(f"{path}/approve", {}), 403, "not_your_storefront")
    assert_nack(await market.merchant.post(f"{path}/approve", {}), 403, "not_your_storefront")
    assert_nack(await market.kuaishou.get(path), 403, "not_your_storefront")
    assert_nack(
        await market.douyin.post("/v1/storefronts/sf_nope/approve", {}), 404, "unknown_storefront"
    )
    assert (await market.douyin.get(path)).json()["status"] == "requested"


async def test_a_refusal_without_a_reason_is_refused(market: Market) -> None:
    await catalog(market)
    storefront = (await ask(market.merchant, "douyin.example", {"serum-1": 18900})).json()
    path = f"/v1/storefronts/{storefront['id']}/refuse"

    assert_nack(await market.douyin.post(path, {}), 422, "reason_required")
    assert_nack(await market.douyin.post(path, {"reason": "  "}), 422, "reason_required")
    assert_nack(await market.douyin.post(path, {"reason": 5}), 422, "invalid_request")
    assert (await market.douyin.get(f"/v1/storefronts/{storefront['id']}")).json()[
        "status"
    ] == "requested"


async def test_what_a_request_must_be(market: Market) -> None:
    await catalog(market)
    merchant = market.merchant
    assert_nack(await ask(market.douyin, "kuaishou.example", {"serum-1": 1}), 403, "wrong_role")
    # A SKU the merchant has no offer for: the body names it (422, as a placement's).
    no_offer = ask(merchant, "douyin.example", {"serum-1": 1, "nope-9": 1})
    refused = await refused_keeping_only_its_answer(market.switch, no_offer, 422, "no_such_offer")
    assert_documented(await served_document(market.http, market.switch.url), refused)
    assert_nack(await ask(merchant, "streamer.example", {"serum-1": 1}), 422, "not_a_platform")
    assert_nack(await ask(merchant, "nobody.example", {"serum-1": 1}), 422, "not_a_platform")
    assert_nack(await ask(merchant, "douyin.example", {}), 422, "empty_catalog")
    assert_nack(await ask(merchant, "douyin.example", {"serum-1": 0}), 422, "invalid_price")
    assert_nack(
        await ask(merchant, "douyin.example", {"serum-1": 1}, 10_001), 422, "invalid_commission"
    )
    text_price = {"host": "douyin.example", "catalog": [{"sku_id": "serum-1", "price": "100"}]}
    assert_nack(
        await merchant.post("/v1/storefronts", text_price | {"commission_bps": 500}),
        422,
        "invalid_request",
    )
    assert (await ask(merchant, "douyin.example", {"serum-1": 1})).status_code == 201
    assert_nack(await ask(merchant, "douyin.example", {"cream-2": 1}), 409, "storefront_exists")
    assert len(await events(market.switch, "douyin.example", "on_storefront")) == 1


# -- over HTTP: standing policies ----------------------------------------------------


async def declare(market: Market, **declared: Any) -> dict[str, Any]:
    response = await market.douyin.post("/v1/storefront-policies", declared)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_a_standing_rule_auto_approves_by_category(market: Market, clock: Clock) -> None:
    await catalog(market)
    today = clock.now.date().isoformat()
    await declare(market, decision="approve", categories=["beauty"], valid_from=today)

    beauty = (await ask(market.merchant, "douyin.example", {"serum-1": 1, "cream-2": 2})).json()

    assert beauty["status"] == "approved"
    assert beauty["decided_by"] == "policy:douyin.example#v1"
    assert beauty["decided_at"] == beauty["requested_at"]
    heard = await events(market.switch, "douyin.example", "on_storefront")
    assert [e["storefront"]["status"] for e in heard] == ["approved"]
    # Snacks are not covered by the approval: that request waits for the host.
    mixed = (await ask(market.merchant, "kuaishou.example", {"chips-3": 1})).json()
    assert mixed["status"] == "requested"


async def test_a_standing_rule_auto_refuses_by_home_platform_and_beats_an_approval(
    market: Market, clock: Clock
) -> None:
    await catalog(market)
    await set_home(market.switch, MERCHANT, "taobao.example")
    today = clock.now.date().isoformat()
    await declare(market, decision="approve", categories=["beauty"], valid_from=today)
    second = await declare(
        market,
        decision="refuse",
        home_platforms=["taobao.example"],
        reason="no stores of taobao merchants",
        valid_from=today,
    )
    assert second["version"] == 2

    refused = (await ask(market.merchant, "douyin.example", {"serum-1": 1})).json()

    assert refused["status"] == "refused"
    assert refused["decided_by"] == "policy:douyin.example#v2"
    assert refused["reason"] == "no stores of taobao merchants"
    last = (await events(market.switch, MERCHANT, "on_storefront"))[-1]["storefront"]
    assert (last["status"], last["decided_by"]) == ("refused", "policy:douyin.example#v2")
    declared = (await market.merchant.get("/v1/storefront-policies?host=douyin.example")).json()
    assert [(r["version"], r["decision"]) for r in declared] == [(1, "approve"), (2, "refuse")]


async def test_a_rule_valid_from_tomorrow_does_not_decide_today(
    market: Market, clock: Clock
) -> None:
    await catalog(market)
    tomorrow = (clock.now.date() + timedelta(days=1)).isoformat()
    await declare(market, decision="approve", categories=["beauty"], valid_from=tomorrow)

    today = (await ask(market.merchant, "douyin.example", {"serum-1": 1})).json()
    assert today["status"] == "requested"
    refused = await post_at(
        market.douyin, clock, f"/v1/storefronts/{today['id']}/refuse", {"reason": "wait a day"}
    )
    assert refused.status_code == 200, refused.text

    clock.advance(86_400)
    message = {"host": "douyin.example", "catalog": [{"sku_id": "serum-1", "price": 1}]}
    next_day = await post_at(
        market.merchant, clock, "/v1/storefronts", message | {"commission_bps": 0}
    )
    assert next_day.status_code == 201, next_day.text
    assert (next_day.json()["status"], next_day.json()["decided_by"]) == (
        "approved",
        "policy:douyin.example#v1",
    )


async def test_only_a_platform_declares_and_a_rule_must_make_sense(
    market: Market, clock: Clock
) -> None:
    today = clock.now.date().isoformat()
    by_merchant = await market.merchant.post(
        "/v1/storefront-policies", {"decision": "approve", "categories": ["x"], "valid_from": today}
    )
    assert_nack(by_merchant, 403, "wrong_role")
    for broken, code in [
        ({"decision": "approve", "valid_from": today}, "invalid_policy"),
        ({"decision": "refuse", "categories": ["x"], "valid_from": today}, "reason_required"),
        ({"decision": "maybe", "categories": ["x"], "valid_from": today}, "invalid_request"),
        ({"decision": "approve", "categories": ["x"], "valid_from": "soon"}, "invalid_request"),
    ]:
        assert_nack(await market.douyin.post("/v1/storefront-policies", broken), 422, code)
    assert (await market.douyin.get("/v1/storefront-policies")).json() == []


# -- the operator's merchant profiles ------------------------------------------------


async def test_the_operator_sets_a_merchants_home_platform(market: Market) -> None:
    operator = market.switch.operator
    path = f"/operator/merchants/{MERCHANT}/profile"
    assert_nack(await operator.get(path), 404, "no_merchant_profile")

    await set_home(market.switch, MERCHANT, "jd.example", self_operated=True)
    shown = (await operator.get(path)).json()
    assert (shown["home_platform"], shown["self_operated"]) == ("jd.example", True)
    await set_home(market.switch, MERCHANT, "taobao.example")
    assert (await operator.get(path)).json()["home_platform"] == "taobao.example"

    home = {"home_platform": "jd.example"}
    assert_nack(
        await operator.put("/operator/merchants/douyin.example/profile", json=home),
        422,
        "not_a_merchant",
    )
    assert_nack(
        await operator.put("/operator/merchants/nobody.example/profile", json=home),
        404,
        "unknown_participant",
    )
    not_platform = {"home_platform": "streamer.example"}
    assert_nack(await operator.put(path, json=not_platform), 422, "not_a_platform")
    text_flag = {"home_platform": "jd.example", "self_operated": "true"}
    assert_nack(await operator.put(path, json=text_flag), 422, "invalid_request")
    without_token = await market.merchant.http.get(path)
    assert_nack(without_token, 401, "operator_token")


@dataclass(frozen=True)
class _Asked:
    """An order's origin as a host names it (`hutong.commerce.orders.origin.Asked`)."""

    merchant: str
    storefront_id: str
    placement_id: str = ""


async def test_an_order_meets_a_storefront_as_its_host_last_decided_it(market: Market) -> None:
    """Orders read storefronts as cached declarations (`hutong.store.cache`): a decision
    drops the cached one at once in the deciding process (elsewhere within a second)."""
    await catalog(market)
    storefront = (await ask(market.merchant, "douyin.example", {"serum-1": 18900})).json()
    services = market.switch.services
    asked = _Asked(MERCHANT, storefront["id"])
    lines = (OrderLine("serum-1", 1, 18900),)
    with lasting_declarations(services.db):  # what the cache holds is kept however long this runs
        with rule_refuses(ConflictError, "storefront_not_open"):
            await order_origin(services, "douyin.example", asked, "jd.example", lines)
        path = f"/v1/storefronts/{storefront['id']}/approve"
        assert (await market.douyin.post(path, {})).status_code == 200

        origin = await order_origin(services, "douyin.example", asked, "jd.example", lines)

        assert (origin.channel, origin.storefront_id) == (Channel.STOREFRONT, storefront["id"])
        unknown = _Asked(MERCHANT, "sf_nope")
        with rule_refuses(ValidationError, "no_such_storefront"):  # named in the order's body
            await order_origin(services, "douyin.example", unknown, "jd.example", lines)
