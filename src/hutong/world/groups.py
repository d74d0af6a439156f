"""The seed world's corporate groups, as the operator declares them in the demo.

Alibaba, Tencent, ByteDance and JD, by the participant ids of the seed world
(`hutong.world.participants`). JD and Kuaishou are Tencent-aligned (腾讯系):
the weaker `allied` relation, which the auditor reports apart from own.
Dates are illustrative (JD's 2014 partnership with Tencent, Tencent's 2017
investment in Kuaishou), each a version of the Tencent group.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["SEED_GROUPS", "SeedGroup"]


@dataclass(frozen=True, slots=True)
class SeedGroup:
    name: str
    valid_from: str
    members: tuple[str, ...]
    allied: tuple[str, ...] = field(default=())


SEED_GROUPS: tuple[SeedGroup, ...] = (
    SeedGroup(
        "alibaba",
        "2013-01-01",
        (
            "taobao.example",
            "tmall.example",
            "alipay.example",
            "cainiao.example",
            "88vip.example",
        ),
    ),
    SeedGroup(
        "jd",
        "2013-01-01",
        ("jd.example", "jdpay.example", "jd-logistics.example", "jd-beauty.example"),
    ),
    SeedGroup(
        "tencent", "2013-01-01", ("wechat.example", "wechatpay.example", "tencent-video.example")
    ),
    SeedGroup(
        "tencent",
        "2014-03-10",
        ("wechat.example", "wechatpay.example", "tencent-video.example"),
        allied=("jd",),
    ),
    SeedGroup(
        "tencent",
        "2017-03-23",
        ("wechat.example", "wechatpay.example", "tencent-video.example"),
        allied=("jd", "kuaishou.example"),
    ),
    SeedGroup("bytedance", "2016-09-20", ("douyin.example",)),
)
