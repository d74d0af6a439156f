"""The demo's payments chapter: any wallet at any merchant, friends paying across apps.

The wallets' desks run in the reference world and sign their own answers;
their users' balances are theirs, and the demo reads them to show where the
money went.
"""

from __future__ import annotations

import asyncio
from typing import Any

from hutong.ledger.models import yuan
from hutong.world.acceptance import SEED_ACCEPTANCE_POLICIES, as_declared
from hutong.world.story import Stage, expect, expect_status
from hutong.world.wallets import ProgramDesk, WalletDesk

WALLET_FEES: dict[str, list[dict[str, Any]]] = {
    # Basis points plus fixed fen, per kind of payment (0.6% is the usual merchant rate).
    "alipay.example": [
        {"kind": "order", "bps": 60},
        {"kind": "pay_for_me", "bps": 60},
        {"kind": "transfer", "bps": 10},
    ],
    "wechatpay.example": [
        {"kind": "order", "bps": 60},
        {"kind": "pay_for_me", "bps": 60},
        {"kind": "transfer", "bps": 0, "fixed": 0},
    ],
    "jdpay.example": [{"kind": "order", "bps": 60}],
    "unionpay.example": [{"kind": "order", "bps": 55}, {"kind": "transfer", "fixed": 200}],
}
#: Each wallet's users and their balances in fen.
BALANCES: dict[str, dict[str, int]] = {
    "alipay.example": {"ali-buyer-1": 500_000, "ali-sender-7": 200_000},
    "wechatpay.example": {"wx-buyer-3": 300_000, "wx-friend-9": 100_000, "wx-payee-5": 0},
    "jdpay.example": {"jdp-user-1": 50_000},
    "unionpay.example": {"up-user-1": 50_000},
}


#: The WeChat friend's phone number and the Alipay user who sends the friend money.
FRIEND_PHONE = "+86 139-1234-5678"
SENDER = "ali-sender-7"


async def told_of(
    stage: Stage, subscriber: str, action: str, after: int, timeout: float = 15, **match: Any
) -> bool:
    """Wait until `subscriber` received an `action` event (after its first `after` events)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        for event in stage.world.inbox(subscriber).events[after:]:
            message = event["message"]
            if event["context"]["action"] == action and all(
                message.get(k) == v for k, v in match.items()
            ):
                return True
        await asyncio.sleep(0.05)
    return False


async def wallets_join(stage: Stage) -> str:
    """Wallets declare their fees; platforms declare which wallets they accepted, and when."""
    for wallet, fees in WALLET_FEES.items():
        client = stage.client(wallet)
        stage.world.wallets[wallet] = WalletDesk(
            signer=client.signer, balances=dict(BALANCES[wallet])
        )
        expect_status(await client.post("/v1/wallet/profile", {"fees": fees}), 200)
    for policy in SEED_ACCEPTANCE_POLICIES:
        platform = stage.client(f"{policy.platform}.example")
        response = await platform.post(
            "/v1/acceptance-policy", stage.as_history(as_declared(policy))
        )
        expect_status(response, 201)
    then = await stage.client("jd.example").get("/v1/acceptance-policy/jd.example?at=2020-06-18")
    expect_status(then, 200)
    refused_then = then.json()["in_force"]["refused"]
    expect("alipay.example" in refused_then, f"JD's 2020 policy: {refused_then}")
    now = await stage.client("jd.example").get(
        "/v1/payments/options?merchant=jd-beauty.example&host=jd.example"
    )
    expect_status(now, 200)
    expect("alipay.example" in now.json()["allowed"], f"options now: {now.text}")
    return (
        f"{len(WALLET_FEES)} wallets declared fees; JD refused Alipay on 2020-06-18 "
        "(policy since 2011), accepts it today"
    )


async def _pay_order(
    stage: Stage, host: str, merchant: str, amount: int, wallet: str, payer: str
) -> dict[str, Any]:
    platform = stage.client(host)
    created = await platform.post(
        "/v1/payments",
        {"merchant": merchant, "amount": amount, "wallet": wallet, "payer": payer},
    )
    expect_status(created, 201)
    payment_id = created.json()["payment"]["id"]
    expect_status(await platform.post(f"/v1/payments/{payment_id}/authorize", {}), 200)
    captured = await platform.post(f"/v1/payments/{payment_id}/capture", {})
    expect_status(captured, 200)
    payment: dict[str, Any] = captured.json()["payment"]
    expect(payment["state"] == "captured", f"payment is {payment['state']}")
    return payment


async def taobao_order_with_wechat_pay(stage: Stage) -> str:
    desk = stage.world.wallets["wechatpay.example"]
    before = desk.balance("wx-buyer-3")
    payment = await _pay_order(
        stage, "taobao.example", "tea-house.example", 12_800, "wechatpay.example", "wx-buyer-3"
    )
    paid = before - desk.balance("wx-buyer-3")
    expect(paid == 12_800, f"the buyer paid {paid} fen")
    return (
        f"{yuan(paid)} for West Lake tea paid with WeChat Pay on Taobao "
        f"(refused until 2024-09-27); wallet fee {yuan(payment['fee'])}"
    )


async def jd_order_with_alipay(stage: Stage) -> str:
    desk = stage.world.wallets["alipay.example"]
    before = desk.balance("ali-buyer-1")
    payment = await _pay_order(
        stage, "jd.example", "jd-beauty.example", 35_900, "alipay.example", "ali-buyer-1"
    )
    paid = before - desk.balance("ali-buyer-1")
    expect(paid == 35_900, f"the buyer paid {paid} fen")
    refund = await stage.client("jd-beauty.example").post(
        f"/v1/payments/{payment['id']}/refunds", {"amount": 5_900, "refund_id": "rf-1"}
    )
    expect_status(refund, 200)
    back = desk.balance("ali-buyer-1") - (before - paid)
    expect(back == 5_900, f"refund returned {back}")
    return (
        f"{yuan(paid)} at JD Beauty paid with Alipay; {yuan(back)} refunded to the Alipay balance"
    )


async def friend_pays_from_wechat(stage: Stage) -> str:
    """A Douyin buyer asks a WeChat friend to pay; the friend pays with WeChat Pay."""
    douyin, wechat = stage.client("douyin.example"), stage.client("wechat.example")
    created = await douyin.post("/v1/payments", {"merchant": "jd-beauty.example", "amount": 19_900})
    expect_status(created, 201)
    payment_id = created.json()["payment"]["id"]
    asked = await douyin.post(
        f"/v1/payments/{payment_id}/pay-for-me",
        {"buyer": "dy-buyer-88", "expires_in": 86_400, "note": "帮我付一下口红"},
    )
    expect_status(asked, 201)
    request = asked.json()["request"]
    code = request["url"].rsplit("/", 1)[1]
    before_douyin = len(stage.world.inbox("douyin.example").events)
    before_wechat = len(stage.world.inbox("wechat.example").events)
    opened = await stage.operator.get(
        f"{stage.switch_url}/p/{code}?host=wechat", headers={"accept": "application/json"}
    )
    expect_status(opened, 200)
    expect("wechatpay.example" in opened.json()["wallets"]["allowed"], opened.text)
    paid = await wechat.post(
        f"/v1/pay-for-me/{code}/pay", {"wallet": "wechatpay.example", "payer": "wx-friend-9"}
    )
    expect_status(paid, 200)
    again = await wechat.post(
        f"/v1/pay-for-me/{code}/pay", {"wallet": "wechatpay.example", "payer": "wx-friend-9"}
    )
    expect_status(again, 409, "already_paid")
    captured = await stage.client("jd.example").post(f"/v1/payments/{payment_id}/capture", {})
    expect_status(captured, 200)
    for platform, before in (("douyin.example", before_douyin), ("wechat.example", before_wechat)):
        told = await told_of(stage, platform, "on_pay_for_me", before, state="paid")
        expect(told, f"{platform} was not told the request was paid")
    friend = stage.world.wallets["wechatpay.example"].balance("wx-friend-9")
    return (
        f"share link {request['url'].split('//', 1)[1].split('/', 1)[1]} opened in WeChat; "
        f"the friend paid {yuan(100_000 - friend)} with WeChat Pay; a second payment refused; "
        "buyer and friend told"
    )


async def vip_points_for_tencent_video(stage: Stage) -> str:
    """An 88VIP member redeems points for a month of Tencent Video; the programs owe each other."""
    vip, video = stage.client("88vip.example"), stage.client("tencent-video.example")
    stage.world.programs["88vip.example"] = ProgramDesk(signer=vip.signer, members={"vip-m-1"})
    stage.world.programs["tencent-video.example"] = ProgramDesk(
        signer=video.signer, members={"tv-m-1"}
    )
    # Over Hutong, not in the sources: Tencent Video's later version lifts its 2022 refusal.
    lifted = {
        "program": "88vip.example",
        "refuses": False,
        "statement": "Tencent Video offers membership for 88VIP points (the demo's own step)",
    }
    expect_status(await video.post("/v1/points/refusals", lifted), 201)
    offer = await video.post(
        "/v1/points/offers",
        {
            "program_from": "88vip.example",
            "points_price": 1_500,
            "benefit": "1 month of Tencent Video VIP",
            "daily_cap_per_user": 1,
            "money_rate_fen": 1_200,
        },
    )
    expect_status(offer, 201)
    offer_id = offer.json()["offer"]["id"]
    expect_status(await vip.post("/v1/points/grants", {"member": "vip-m-1", "points": 4_000}), 201)
    body = {"offer_id": offer_id, "member": "vip-m-1", "beneficiary": "tv-m-1", "quantity": 1}
    done = await vip.post("/v1/points/exchanges", body)
    expect_status(done, 201)
    exchange = done.json()["exchange"]
    expect(exchange["state"] == "committed", f"exchange is {exchange['state']}")
    issued = stage.world.programs["tencent-video.example"].issued
    expect(exchange["id"] in issued, "Tencent Video did not issue the month")
    expect_status(await vip.post("/v1/points/exchanges", body), 409, "daily_cap_exceeded")
    left = await vip.get("/v1/points/members/vip-m-1/balance")
    expect_status(left, 200)
    points = left.json()["points"]
    expect(points == 2_500, f"{points} points left")
    return (
        f"1,500 88VIP points → {exchange['benefit']} ({exchange['benefit_ref']}); "
        f"88VIP owes Tencent Video {yuan(exchange['money_owed'])}; a second one today "
        f"refused (daily cap); {points:,} points left"
    )


async def alipay_user_pays_wechat_pay_user(stage: Stage) -> str:
    """A transfer by phone number from Alipay into a WeChat Pay balance (not a voucher)."""
    alipay, wechatpay = stage.client("alipay.example"), stage.client("wechatpay.example")
    phone = FRIEND_PHONE
    published = await wechatpay.post(
        "/v1/aliases", {"kind": "phone", "value": phone, "account": "wx-payee-5"}
    )
    expect_status(published, 201)
    found = await alipay.post("/v1/aliases/lookup", {"kind": "phone", "value": phone})
    expect_status(found, 200)
    entries = found.json()["entries"]
    expect([e["wallet"] for e in entries] == ["wechatpay.example"], f"lookup: {entries}")
    expect("5678" in entries[0]["masked"] and "1234" not in entries[0]["masked"], "not masked")
    expect("wx-payee-5" not in found.text, "the lookup showed the payee's account")
    quoted = await alipay.post(
        "/v1/transfers/quote",
        {"payer": SENDER, "payee_token": entries[0]["payee_token"], "amount": 52_000},
    )
    expect_status(quoted, 201)
    transfer = quoted.json()["transfer"]
    before_in = len(stage.world.inbox("wechatpay.example").events)
    before_out = len(stage.world.inbox("alipay.example").events)
    done = await alipay.post(f"/v1/transfers/{transfer['id']}/execute", {})
    expect_status(done, 200)
    expect(done.json()["transfer"]["state"] == "committed", done.text)
    for wallet, before in (("wechatpay.example", before_in), ("alipay.example", before_out)):
        told = await told_of(stage, wallet, "on_transfer", before, state="committed")
        expect(told, f"{wallet} was not told the transfer committed")
    landed = stage.world.wallets["wechatpay.example"].balance("wx-payee-5")
    expect(landed == transfer["credited"], f"the payee's WeChat Pay balance is {landed}")
    sent = BALANCES["alipay.example"]["ali-sender-7"] - stage.world.wallets[
        "alipay.example"
    ].balance("ali-sender-7")
    expect(sent == transfer["total_debit"], f"the sender paid {sent}")
    return (
        f"{yuan(transfer['amount'])} to {entries[0]['masked']}: Alipay debited {yuan(sent)} "
        f"(fee {yuan(transfer['payer_fee'])}), {yuan(landed)} landed in the WeChat Pay balance"
    )
