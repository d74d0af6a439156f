"""The seed world's participants (DESIGN.md §2), as the demo registers them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SeedParticipant:
    subscriber_id: str
    name: str
    roles: tuple[str, ...]


SEED_PARTICIPANTS: tuple[SeedParticipant, ...] = (
    SeedParticipant("taobao.example", "Taobao 淘宝", ("platform",)),
    SeedParticipant("tmall.example", "Tmall 天猫", ("platform",)),
    SeedParticipant("jd.example", "JD 京东", ("platform",)),
    SeedParticipant("douyin.example", "Douyin 抖音", ("platform",)),
    SeedParticipant("kuaishou.example", "Kuaishou 快手", ("platform",)),
    SeedParticipant("wechat.example", "WeChat 微信", ("platform",)),
    SeedParticipant("alipay.example", "Alipay 支付宝", ("wallet",)),
    SeedParticipant("wechatpay.example", "WeChat Pay 微信支付", ("wallet",)),
    SeedParticipant("jdpay.example", "JD Pay 京东支付", ("wallet",)),
    SeedParticipant("unionpay.example", "UnionPay 云闪付", ("wallet",)),
    SeedParticipant("jd-logistics.example", "JD Logistics 京东物流", ("carrier",)),
    SeedParticipant("cainiao.example", "Cainiao 菜鸟", ("carrier",)),
    SeedParticipant("jtexpress.example", "J&T Express 极兔", ("carrier",)),
    SeedParticipant("88vip.example", "88VIP", ("program",)),
    SeedParticipant("tencent-video.example", "Tencent Video 腾讯视频", ("program",)),
    SeedParticipant("regulator.example", "Market regulator (auditor)", ("auditor",)),
    SeedParticipant("jd-beauty.example", "JD Beauty official store 京东美妆", ("merchant",)),
    SeedParticipant("tea-house.example", "West Lake tea house (a Taobao shop)", ("merchant",)),
    SeedParticipant("ks-creator.example", "A Kuaishou livestreamer", ("creator",)),
    SeedParticipant("tmall-flagship.example", "A Tmall flagship store", ("merchant",)),
)

#: Merchants' home platforms and whether they are that platform's own store.
MERCHANT_PROFILES: dict[str, tuple[str, bool]] = {
    "jd-beauty.example": ("jd.example", True),
    "tea-house.example": ("taobao.example", False),
    "tmall-flagship.example": ("tmall.example", False),
}


def seed(subscriber_id: str) -> SeedParticipant:
    for participant in SEED_PARTICIPANTS:
        if participant.subscriber_id == subscriber_id:
            return participant
    raise KeyError(subscriber_id)
