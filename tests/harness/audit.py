"""Aggregated evidence handed to the auditor's checks, without a database.

`world(**parts)` is an `Evidence` over `WINDOW` (March 2025) with `GROUPS`
(Alibaba; Tencent, allied with JD; JD), the wallets Alipay and Tenpay, the
carriers JDL and Cainiao, and Taobao's declared acceptance policy v1 refusing
both wallets (so those refusals contradict nothing declared); every other
part is empty unless given. `DAY` is a day inside the window.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from hutong.audit import Window
from hutong.audit.evidence import Evidence, PolicyVersion
from hutong.registry.groups import GroupVersion

DAY = datetime(2025, 3, 3, tzinfo=UTC)
WINDOW = Window(date(2025, 3, 1), date(2025, 4, 1))
GROUPS = (
    GroupVersion("alibaba", 1, date(2013, 1, 1), frozenset({"taobao.example", "alipay.example"})),
    GroupVersion(
        "tencent",
        1,
        date(2013, 1, 1),
        frozenset({"wechat.example", "tenpay.example"}),
        allied=frozenset({"jd"}),
    ),
    GroupVersion("jd", 1, date(2013, 1, 1), frozenset({"jd.example", "jdl.example"})),
)


def world(**parts: Any) -> Evidence:
    """The evidence above, with `parts` (Evidence's fields by name) replacing its own."""
    base: dict[str, Any] = {
        "window": WINDOW,
        "groups": GROUPS,
        "links": (),
        "storefronts": (),
        "standing_policies": (),
        "wallets": ("alipay.example", "tenpay.example"),
        "wallet_refusals": (),
        # Taobao's declared stance: the refusals below follow it (no contradiction).
        "acceptance_policies": (
            PolicyVersion(
                "taobao.example",
                1,
                date(2011, 1, 1),
                '{"accepts": null, "refused": {"tenpay.example": "-", "alipay.example": "-"}}',
            ),
        ),
        "carriers": ("jdl.example", "cainiao.example"),
        "carrier_refusals": (),
    }
    return Evidence(**(base | parts))
