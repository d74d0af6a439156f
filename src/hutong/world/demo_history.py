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
  arrangement. Over Hutong the denial is the state of Tencent Video's
  declarations: it has published no offer for 88VIP points, so an exchange is
  refused (``unknown_offer``) and not a point moves, until the offer of the
  following step.
"""

from __future__ import annotations

from hutong.world.demo_payments import FRIEND_PHONE, SENDER
from hutong.world.story import Stage, expect, expect_status


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
    """88VIP announced Tencent Video membership for points; Tencent Video denied it."""
    vip = stage.client("88vip.example")
    listed = await vip.get(
        "/v1/points/offers?program_from=88vip.example&program_to=tencent-video.example"
    )
    expect_status(listed, 200)
    expect(listed.json()["offers"] == [], f"an offer exists already: {listed.text}")
    body = {
        "offer_id": "announced-by-88vip",
        "member": "vip-m-1",
        "beneficiary": "tv-m-1",
        "quantity": 1,
    }
    refused = await vip.post("/v1/points/exchanges", body)
    expect_status(refused, 404, "unknown_offer")
    return (
        "2022-10: 88VIP's service announced Tencent Video membership for points, Tencent "
        "Video denied it; over Hutong Tencent Video has declared no offer for 88VIP points: "
        "an exchange is refused (unknown_offer), not a point moves"
    )
