"""What went wrong first: the seed world's false starts, told before what works.

From the seed articles (facts only; the timeline's 2022-10 entries):

* Alipay's "transfer to a WeChat friend" (2022-10) was only a QR code: the
  sender shared it with the friend in WeChat, the friend scanned it, and the
  money landed in an Alipay account. Nothing reached a WeChat Pay balance.
  Over Hutong, as long as WeChat Pay has published no alias for the friend,
  Alipay finds no WeChat Pay account (``alias_not_found``) and no money leaves
  Alipay; the next step is the real transfer, once WeChat Pay publishes it.
* 88VIP's customer service said in 2022-10 that its points would soon buy
  Tencent Video membership; Tencent Video publicly denied any such
  arrangement. Over Hutong the denial is Tencent Video's declaration: it
  refuses exchanges with 88VIP from 2022-10 (declared today, so a back-dated
  version with the historical record as its correction). 88VIP's exchange
  asked of Tencent Video is refused (``exchange_refused_by_program``) with
  that declaration named, not a point moves, and the auditor reads it. The
  following step's later version lifts it before Tencent Video's offer.
"""

from __future__ import annotations

from hutong.world.demo_payments import FRIEND_PHONE, SENDER
from hutong.world.story import Stage, expect, expect_status

#: Tencent Video's denial, as the seed articles report it (month precision).
DENIAL_FROM = "2022-10-01"
DENIAL = "Tencent Video denied any arrangement for 88VIP points (2022-10)"


async def alipay_qr_to_a_wechat_friend(stage: Stage) -> str:
    """Alipay's 2022 "transfer to a WeChat friend": no WeChat Pay account found, no money moved."""
    alipay = stage.client("alipay.example")
    desk = stage.world.wallets["alipay.example"]
    before = desk.balance(SENDER)
    found = await alipay.post("/v1/aliases/lookup", {"kind": "phone", "value": FRIEND_PHONE})
    expect_status(found, 404, "alias_not_found")
    quoted = await alipay.post(
        "/v1/transfers/quote",
        {"payer": SENDER, "alias": {"kind": "phone", "value": FRIEND_PHONE}, "amount": 52_000},
    )
    expect_status(quoted, 404, "alias_not_found")
    expect(desk.balance(SENDER) == before, "money left Alipay")
    return (
        "2022-10: only a QR code for the WeChat friend, the money claimed into Alipay; "
        "over Hutong: no WeChat Pay account published for the friend (alias_not_found), "
        "nothing leaves Alipay"
    )


async def tencent_video_denies_88vip(stage: Stage) -> str:
    """88VIP announced Tencent Video membership for points; Tencent Video declared it refuses."""
    vip, video = stage.client("88vip.example"), stage.client("tencent-video.example")
    denial = {
        "program": "88vip.example",
        "refuses": True,
        "statement": DENIAL,
        "valid_from": DENIAL_FROM,
    }
    declared = await video.post("/v1/points/refusals", stage.as_history(denial))
    expect_status(declared, 201)
    declaration = declared.json()["declaration"]
    body = {
        "offer_id": "announced-by-88vip",
        "program_to": "tencent-video.example",
        "member": "vip-m-1",
        "beneficiary": "tv-m-1",
        "quantity": 1,
    }
    refused = await vip.post("/v1/points/exchanges", body)
    expect_status(refused, 409, "exchange_refused_by_program")
    named = refused.json().get("declaration", {}).get("id")
    expect(named == declaration["id"], f"the refusal names {named}, not {declaration['id']}")
    read = await stage.client("regulator.example").get(
        "/v1/points/refusals?program=tencent-video.example&counterparty=88vip.example"
    )
    expect_status(read, 200)
    expect(read.json()["declarations"] == [declaration], f"the auditor reads {read.text}")
    return (
        "2022-10: 88VIP's service announced Tencent Video membership for points, Tencent "
        f"Video denied it; over Hutong Tencent Video declared it refuses 88VIP's exchanges "
        f"(declaration {declaration['id']}, from {DENIAL_FROM}): an exchange is refused "
        "(exchange_refused_by_program) naming it, not a point moves, the auditor reads it"
    )
