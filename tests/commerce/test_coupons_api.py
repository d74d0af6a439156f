"""Cross-platform coupons over real HTTP: declared, claimed in a host, redeemed in an order.

JD issues a campaign for its merchant JD Beauty that Douyin hands out in its
live cart; JD pays 60% of each discount and Douyin 40% (see
`tests.harness.coupons`). The buyer's wallet pays the order's total less the
discount; when the order is paid the funders pay the rest into JD Beauty's
receivable, and refunds give the coupon's share back in proportion. Every refusal is a
``coupon_*`` code, kept for the auditor, with nothing held.
"""

from __future__ import annotations

from datetime import timedelta

from hutong.client import encode_json
from hutong.commerce.commissions import host_commission_account
from hutong.payments.legs import merchant_receivable
from hutong.protocol.envelope import request_envelope
from tests.harness.assertions import (
    assert_nack,
    refused_keeping_only_its_answer,
    refused_without_writes,
)
from tests.harness.cast import ALIPAY, AUDITOR, DOUYIN, JD, JD_BEAUTY, KUAISHOU, ok
from tests.harness.coupons import (
    DISCOUNT,
    Held,
    campaign_message,
    claim,
    claimed,
    declared,
    funder_balance,
)
from tests.harness.shop import CREAM, PRICES, SERUM, Shop
from tests.harness.switch import Clock, row_counts

TOTAL = 19_900 + 2 * 9_900


async def test_a_coupon_taken_in_douyin_lowers_the_payment_and_its_funders_pay_the_rest(
    shop: Shop, clock: Clock
) -> None:
    campaign = await declared(shop)
    coupon = await claimed(shop, campaign["id"])

    created = await shop.order(coupon=coupon)

    assert created.status_code == 201, created.text
    assert created.json()["order"]["total"] == TOTAL
    assert created.json()["payment"]["amount"] == TOTAL - DISCOUNT
    order = created.json()["order"]
    # The order's own view shows the coupon's discount: no second call to find it.
    for reader in (DOUYIN, JD_BEAUTY, AUDITOR):
        assert (await shop.show(order["id"], reader=reader))["coupon"] == {
            "coupon": coupon,
            "campaign_id": campaign["id"],
            "discount": DISCOUNT,
            "returned": 0,
        }
    await shop.act(DOUYIN, order["id"], "pay")
    assert shop.wallet(ALIPAY).balance("u-alice") == 500_000 - (TOTAL - DISCOUNT)
    await shop.act(JD_BEAUTY, order["id"], "ship", origin="330106", weight_g=800)
    shipped = await shop.show(order["id"])
    await shop.track(shipped, "20", "", clock.now)
    await shop.track(shipped, "60", "", clock.now)
    done = await shop.act(DOUYIN, order["id"], "confirm")

    assert done["state"] == "completed"
    assert sum(done["split"].values()) == TOTAL  # split on the whole total, as any order
    assert await funder_balance(shop, JD) == -3_000
    assert await funder_balance(shop, DOUYIN) == -2_000
    assert await shop.balance(merchant_receivable(JD_BEAUTY)) == done["split"]["merchant"]
    assert await shop.balance(host_commission_account(DOUYIN)) == done["split"]["host_commission"]
    shown = await ok(await shop.get(JD_BEAUTY, f"/v1/coupons/orders/{order['id']}"))
    assert shown["coupon"] == {
        "coupon": coupon,
        "campaign_id": campaign["id"],
        "discount": DISCOUNT,
        "funding": {JD: 6_000, DOUYIN: 4_000},
        "returned": 0,
        "funded": DISCOUNT,
    }
    await shop.deliver_events()
    funded = [
        e["message"]
        for e in shop.world.inbox(JD).events
        if e["context"]["action"] == "on_coupon" and e["message"]["event"] == "coupon_funded"
    ]
    assert [m["funded"] for m in funded] == [{JD: 3_000, DOUYIN: 2_000}]


async def test_the_issuer_funders_and_host_hear_of_the_campaign_its_claims_and_redemptions(
    shop: Shop,
) -> None:
    campaign = await declared(shop)
    coupon = await claimed(shop, campaign["id"])
    await shop.placed(coupon=coupon)

    await shop.deliver_events()

    for party in (JD, DOUYIN):
        heard = [
            e["message"]
            for e in shop.world.inbox(party).events
            if e["context"]["action"] == "on_coupon"
        ]
        assert [m["event"] for m in heard] == [
            "campaign_declared",
            "coupon_claimed",
            "coupon_redeemed",
        ], party
        assert heard[1]["coupon"]["buyer"] is None  # the buyer stays the host's


async def test_a_campaigns_other_hosts_hear_of_it_but_not_of_a_rivals_claims(shop: Shop) -> None:
    campaign = await declared(shop, hosts=[DOUYIN, KUAISHOU])
    coupon = await claimed(shop, campaign["id"])  # in Douyin
    await shop.placed(coupon=coupon)

    await shop.deliver_events()

    def heard(party: str) -> list[str]:
        events = shop.world.inbox(party).events
        return [e["message"]["event"] for e in events if e["context"]["action"] == "on_coupon"]

    assert heard(KUAISHOU) == ["campaign_declared"]
    assert heard(DOUYIN) == ["campaign_declared", "coupon_claimed", "coupon_redeemed"]
    assert heard(JD) == ["campaign_declared", "coupon_claimed", "coupon_redeemed"]


async def test_a_campaign_sent_again_is_declared_once(shop: Shop) -> None:
    assert shop.clock is not None
    message = campaign_message(shop.clock.now)
    body = encode_json(request_envelope(message, message_id="m-campaign"))

    first = await shop.send(JD, "POST", "/v1/coupons/campaigns", body)
    again = await shop.send(JD, "POST", "/v1/coupons/campaigns", body)

    assert first.status_code == 201, first.text
    assert (again.status_code, again.content) == (201, first.content)
    assert again.headers["x-hutong-replay"] == "true"
    listed = await ok(await shop.get(JD, "/v1/coupons/campaigns"))
    assert [c["id"] for c in listed["campaigns"]] == [first.json()["campaign"]["id"]]


async def test_a_claim_sent_again_answers_the_same_coupon_and_issues_one(shop: Shop) -> None:
    campaign = await declared(shop)

    path = f"/v1/coupons/campaigns/{campaign['id']}/claims"
    body = encode_json(
        request_envelope({"buyer": "b-1", "surface": "live_cart"}, message_id="m-claim")
    )

    first = await shop.send(DOUYIN, "POST", path, body)
    again = await shop.send(DOUYIN, "POST", path, body)

    assert first.status_code == 201, first.text
    assert (again.status_code, again.content) == (201, first.content)
    assert again.headers["x-hutong-replay"] == "true"
    shown = await ok(await shop.get(DOUYIN, f"/v1/coupons/campaigns/{campaign['id']}"))
    assert shown["campaign"]["issued"] == 1


async def test_a_refund_after_completion_gives_the_coupon_its_share_back_in_proportion(
    shop: Shop, clock: Clock
) -> None:
    campaign = await declared(shop)
    coupon = await claimed(shop, campaign["id"])
    order = await shop.completed(clock.now, coupon=coupon)
    paid_by_buyer = 500_000 - (TOTAL - DISCOUNT)
    await shop.act(DOUYIN, order["id"], "refund-request", amounts={CREAM: PRICES[CREAM]})

    await shop.act(JD_BEAUTY, order["id"], "refunds", refund_id="r-1")

    share = DISCOUNT * PRICES[CREAM] // TOTAL  # the coupon's part of the refund
    assert shop.wallet(ALIPAY).balance("u-alice") == paid_by_buyer + PRICES[CREAM] - share
    assert await funder_balance(shop, JD) + await funder_balance(shop, DOUYIN) == -(
        DISCOUNT - share
    )
    shown = await ok(await shop.get(DOUYIN, f"/v1/coupons/orders/{order['id']}"))
    assert shown["coupon"]["returned"] == share
    assert (await shop.show(order["id"]))["coupon"]["returned"] == share


async def test_refunding_everything_before_completion_gives_the_funders_all_back(
    shop: Shop, clock: Clock
) -> None:
    campaign = await declared(shop)
    coupon = await claimed(shop, campaign["id"])
    order = await shop.paid(coupon=coupon)
    everything = {SERUM: PRICES[SERUM], CREAM: 2 * PRICES[CREAM]}
    await shop.act(DOUYIN, order["id"], "refund-request", amounts=everything)

    done = await shop.act(JD_BEAUTY, order["id"], "refunds", refund_id="r-all")

    assert done["state"] == "refunded"
    assert shop.wallet(ALIPAY).balance("u-alice") == 500_000
    assert await funder_balance(shop, JD) == await funder_balance(shop, DOUYIN) == 0


async def test_a_cancelled_order_gives_the_buyer_its_coupon_back(shop: Shop) -> None:
    campaign = await declared(shop)
    coupon = await claimed(shop, campaign["id"])
    order = await shop.placed(coupon=coupon)

    await shop.act(DOUYIN, order["id"], "cancel", reason="changed_mind")

    held = await ok(await shop.get(DOUYIN, "/v1/coupons/buyers/b-1"))
    assert [c["state"] for c in held["coupons"]] == ["claimed"]
    again = await shop.order(coupon=coupon)
    assert again.status_code == 201, again.text


# -- refusals: each a code, kept for the auditor, nothing held ------------------------------


async def test_a_claim_before_the_first_release_is_refused(shop: Shop, clock: Clock) -> None:
    later = clock.now + timedelta(hours=2)
    campaign = await declared(shop, releases=[{"at": later.isoformat(), "quantity": 5}])
    async with Held(shop):
        assert_nack(await claim(shop, campaign["id"]), 409, "coupon_not_released")


async def test_a_claim_once_the_released_coupons_are_gone_is_refused_until_the_next_release(
    shop: Shop, clock: Clock
) -> None:
    later = clock.now + timedelta(hours=4)
    releases = [
        {"at": clock.now.isoformat(), "quantity": 1},
        {"at": later.isoformat(), "quantity": 1},
    ]
    campaign = await declared(shop, releases=releases)
    await claimed(shop, campaign["id"], "b-1")
    async with Held(shop):
        assert_nack(await claim(shop, campaign["id"], "b-2"), 409, "coupon_exhausted")
    clock.advance(4 * 3600)
    assert (await claim(shop, campaign["id"], "b-2")).status_code == 201


async def test_a_buyer_past_the_per_buyer_limit_is_refused(shop: Shop) -> None:
    campaign = await declared(shop)
    await claimed(shop, campaign["id"], "b-1")
    async with Held(shop):
        assert_nack(await claim(shop, campaign["id"], "b-1"), 409, "coupon_limit_reached")


async def test_a_claim_after_the_campaign_ended_is_refused(shop: Shop, clock: Clock) -> None:
    campaign = await declared(shop)
    clock.advance(8 * 86_400)
    async with Held(shop):
        assert_nack(await claim(shop, campaign["id"]), 409, "coupon_expired")


async def test_a_host_or_surface_the_campaign_does_not_name_is_refused(shop: Shop) -> None:
    campaign = await declared(shop)
    async with Held(shop):
        assert_nack(await claim(shop, campaign["id"], host=KUAISHOU), 403, "coupon_not_valid_here")
    async with Held(shop):
        assert_nack(
            await claim(shop, campaign["id"], surface="search"), 403, "coupon_not_valid_here"
        )


async def test_an_order_under_the_minimum_spend_is_refused_with_nothing_held(shop: Shop) -> None:
    campaign = await declared(shop)
    coupon = await claimed(shop, campaign["id"])
    small = [{"sku_id": CREAM, "quantity": 1, "unit_price": PRICES[CREAM]}]
    async with Held(shop):
        assert_nack(await shop.order(coupon=coupon, lines=small), 422, "coupon_min_spend_not_met")


async def test_an_order_in_a_category_the_campaign_does_not_cover_is_refused(shop: Shop) -> None:
    campaign = await declared(shop, categories=["laundry"])
    coupon = await claimed(shop, campaign["id"])
    async with Held(shop):
        assert_nack(await shop.order(coupon=coupon), 403, "coupon_not_valid_here")


async def test_a_coupon_used_once_or_held_by_another_buyer_is_refused(shop: Shop) -> None:
    campaign = await declared(shop)
    coupon = await claimed(shop, campaign["id"])
    await shop.placed(coupon=coupon)
    async with Held(shop):
        assert_nack(await shop.order(coupon=coupon), 409, "coupon_already_used")
    other = await claimed(shop, campaign["id"], "b-2")
    async with Held(shop):
        assert_nack(await shop.order(coupon=other), 403, "coupon_not_yours")


async def test_an_order_after_the_validity_is_refused(shop: Shop, clock: Clock) -> None:
    campaign = await declared(shop)
    coupon = await claimed(shop, campaign["id"])
    clock.advance(8 * 86_400)
    async with Held(shop):
        assert_nack(await shop.order(coupon=coupon), 409, "coupon_expired")


async def test_the_auditor_reads_every_refusal_and_a_host_its_own(shop: Shop) -> None:
    campaign = await declared(shop)
    await claimed(shop, campaign["id"], "b-1")
    assert_nack(await claim(shop, campaign["id"], "b-1"), 409, "coupon_limit_reached")
    assert_nack(await claim(shop, campaign["id"], host=KUAISHOU), 403, "coupon_not_valid_here")

    audited = await ok(await shop.get(AUDITOR, "/v1/coupons/refusals"))
    own = await ok(await shop.get(KUAISHOU, "/v1/coupons/refusals"))

    assert sorted((r["host"], r["code"]) for r in audited["refusals"]) == [
        (DOUYIN, "coupon_limit_reached"),
        (KUAISHOU, "coupon_not_valid_here"),
    ]
    assert [r["code"] for r in own["refusals"]] == ["coupon_not_valid_here"]


async def test_only_the_merchant_its_platform_or_a_named_host_issues_a_campaign(
    shop: Shop,
) -> None:
    assert shop.clock is not None
    refused = await shop.post(KUAISHOU, "/v1/coupons/campaigns", campaign_message(shop.clock.now))
    assert_nack(refused, 403, "not_the_issuer")
    campaign = await declared(shop, sender=JD_BEAUTY)
    assert campaign["issuer"] == JD_BEAUTY
    hosted = await declared(shop, sender=DOUYIN)
    assert hosted["issuer"] == DOUYIN


async def test_a_claim_with_a_malformed_buyer_or_surface_writes_nothing(shop: Shop) -> None:
    campaign = await declared(shop)
    await refused_without_writes(
        shop.switch, claim(shop, campaign["id"], buyer=""), 422, "invalid_buyer"
    )
    await refused_without_writes(
        shop.switch, claim(shop, campaign["id"], surface="s" * 33), 422, "invalid_surface"
    )


async def test_an_order_before_the_coupons_validity_is_refused(shop: Shop, clock: Clock) -> None:
    """Handed out now, redeemable from tomorrow (a campaign warmed up before a sale day)."""
    tomorrow = clock.now + timedelta(days=1)
    campaign = await declared(shop, valid_from=tomorrow.isoformat())
    coupon = await claimed(shop, campaign["id"])
    async with Held(shop):
        assert_nack(await shop.order(coupon=coupon), 409, "coupon_not_yet_valid")
    clock.advance(86_400)
    assert (await shop.order(coupon=coupon)).status_code == 201


async def test_a_coupon_that_would_take_nothing_off_is_refused(shop: Shop) -> None:
    """0.01% of one cream (99 yuan) rounds down to nothing: no discount, no redemption."""
    campaign = await declared(shop, value_kind="percent", value=1, min_spend=0)
    coupon = await claimed(shop, campaign["id"])
    one_cream = [{"sku_id": CREAM, "quantity": 1, "unit_price": PRICES[CREAM]}]
    async with Held(shop):
        assert_nack(await shop.order(coupon=coupon, lines=one_cream), 422, "coupon_no_discount")


async def test_an_unknown_coupon_is_refused(shop: Shop) -> None:
    """A coupon the order's body names that nobody holds is the body's mistake: 422
    ``no_such_coupon`` (``unknown_coupon`` stays the 404 of a campaign the path names)."""
    async with Held(shop):
        assert_nack(await shop.order(coupon="cpn_nobody"), 422, "no_such_coupon")


async def test_a_party_a_campaign_names_that_does_not_exist_is_the_bodys_mistake(
    shop: Shop,
) -> None:
    """The merchant, a funder or a host the campaign names that nobody registered: 422, with
    order intake's code for the merchant (``unknown_merchant`` stays the 404 of a path or
    query naming one), ``invalid_campaign`` for the others (as for a host of another role);
    no campaign, no account, only the answer kept."""
    assert shop.clock is not None
    nobody = "nobody.example"
    cases = [
        ({"merchant": nobody}, "no_such_merchant"),
        ({"funding": {JD: 6_000, nobody: 4_000}}, "invalid_campaign"),
        ({"hosts": [DOUYIN, nobody]}, "invalid_campaign"),
        ({"redeem_hosts": [nobody]}, "invalid_campaign"),
        ({"hosts": [ALIPAY]}, "invalid_campaign"),  # a wallet hosts no buyers
    ]
    for changes, code in cases:
        message = campaign_message(shop.clock.now, **changes)
        await refused_keeping_only_its_answer(
            shop.switch, shop.post(JD, "/v1/coupons/campaigns", message), 422, code, str(changes)
        )


async def test_a_campaign_that_cannot_be_declared_as_given_writes_only_its_answer(
    shop: Shop,
) -> None:
    """Shares adding up to 90%: refused, no campaign, no account, no event; the refusal is
    kept as the message's answer (a resend meets it)."""
    assert shop.clock is not None
    lopsided = campaign_message(shop.clock.now, funding={JD: 6_000, DOUYIN: 3_000})
    before = await row_counts(shop.switch.services)
    assert_nack(await shop.post(JD, "/v1/coupons/campaigns", lopsided), 422, "invalid_campaign")
    after = await row_counts(shop.switch.services)
    assert {t: after[t] - before[t] for t in after if after[t] != before[t]} == {"messages": 1}
