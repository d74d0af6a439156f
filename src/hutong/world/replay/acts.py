"""What each participant declares on which simulated day, through the signed API.

The declarations come from the seed world's own data (`link_policies`,
`acceptance`, `groups`, the demo's Douyin schedule) plus the replay's
storefronts and carrier policies; each is made on its declaration day, so
none is back-dated. `acts()` lists them in day order (a stable sort keeps
each history's versions in their declared order).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from hutong.world.acceptance import SEED_ACCEPTANCE_POLICIES, as_declared
from hutong.world.demo_orders import DOUYIN_SCHEDULE
from hutong.world.groups import SEED_GROUPS
from hutong.world.link_policies import SEED_LINK_RULES
from hutong.world.replay.cast import LANES, OFFERS, STOREFRONTS
from hutong.world.replay.live_and_coupons import (
    COUPON_DAY,
    LIVE_DAY,
    jd_services_coupons,
    tmall_live_on_douyin,
)
from hutong.world.synth.network import Network

__all__ = ["Act", "acts", "post"]

Do = Callable[[Network, dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Act:
    day: date
    what: str
    do: Do


def post(who: str, what: str, path: str, body: dict[str, Any]) -> Do:
    async def do(net: Network, _: dict[str, Any]) -> None:
        await net.act(who, what, path, body)

    return do


def _group(body: dict[str, Any]) -> Do:
    async def do(net: Network, _: dict[str, Any]) -> None:
        await net.operate("group", "POST", "/operator/groups", body)

    return do


def _place(host: str, surface: str, merchant: str) -> Do:
    async def do(net: Network, state: dict[str, Any]) -> None:
        body = {"host": host, "surface": surface, "merchant": merchant}
        answer = await net.act(
            host, "placement", "/v1/placements", body | {"sku_id": OFFERS[merchant][0]}
        )
        if answer is not None:
            placement = answer["message"]["placement"]
            state.setdefault("links", {})[(host, surface, merchant)] = placement["code"]
            state.setdefault("placements", {})[(host, surface, merchant)] = placement["id"]

    return do


def _storefront(merchant: str, host: str, commission_bps: int) -> Do:
    async def do(net: Network, state: dict[str, Any]) -> None:
        sku, _, price, _ = OFFERS[merchant]
        body = {"host": host, "catalog": [{"sku_id": sku, "price": price}]}
        answer = await net.act(
            merchant, "storefront", "/v1/storefronts", body | {"commission_bps": commission_bps}
        )
        if answer is None:
            return
        storefront = answer.get("message", answer).get("storefront", answer)
        if storefront["status"] != "approved":
            await net.act(
                host, "storefront_approve", f"/v1/storefronts/{storefront['id']}/approve", {}
            )
        state.setdefault("storefronts", {})[(merchant, host)] = storefront["id"]

    return do


def acts() -> list[Act]:
    found: list[Act] = []
    for group in SEED_GROUPS:
        body = {
            "name": group.name,
            "members": list(group.members),
            "allied": list(group.allied),
            "valid_from": group.valid_from,
        }
        found.append(Act(date.fromisoformat(group.valid_from), f"group {group.name}", _group(body)))
    for rule in SEED_LINK_RULES:
        body = {k: v for k, v in rule.to_dict().items() if k not in ("host", "version")}
        host = f"{rule.host}.example"
        found.append(
            Act(
                rule.declared_at or rule.valid_from,
                f"link rule {rule.host}→{rule.source}",
                post(host, "link_policy", "/v1/link-policies", body),
            )
        )
    for policy in SEED_ACCEPTANCE_POLICIES:
        platform = f"{policy.platform}.example"
        found.append(
            Act(
                policy.declared_at or policy.valid_from,
                f"acceptance {policy.platform}",
                post(platform, "acceptance", "/v1/acceptance-policy", as_declared(policy)),
            )
        )
    for lane in LANES:
        found.append(
            Act(
                lane.start - timedelta(days=1),
                f"placement {lane.host} {lane.surface}",
                _place(lane.host, lane.surface, lane.merchant),
            )
        )
    for sf in STOREFRONTS:
        found.append(
            Act(
                sf.day,
                f"storefront {sf.merchant} in {sf.host}",
                _storefront(sf.merchant, sf.host, sf.commission_bps),
            )
        )
        found.append(
            Act(sf.day, f"storefront placement {sf.host}", _storefront_link(sf.merchant, sf.host))
        )
    schedule = date.fromisoformat(DOUYIN_SCHEDULE["valid_from"])
    found.append(
        Act(
            schedule,
            "douyin commission schedule",
            post("douyin.example", "schedule", "/v1/commission-schedules", DOUYIN_SCHEDULE),
        )
    )
    found.extend(_logistics())
    found.append(Act(LIVE_DAY, "tmall live on douyin", tmall_live_on_douyin))
    # After the storefront of the same day (the sort is stable).
    found.append(Act(COUPON_DAY, "jd services coupons on tmall", jd_services_coupons))
    return sorted(found, key=lambda a: a.day)


def _storefront_link(merchant: str, host: str) -> Do:
    """The host places its live-cart link to the storefront (a link inside its own app)."""

    async def do(net: Network, state: dict[str, Any]) -> None:
        storefront = state.get("storefronts", {}).get((merchant, host))
        if storefront is None or host == "tmall.example":
            return
        body = {
            "host": host,
            "surface": "live_cart",
            "merchant": merchant,
            "sku_id": OFFERS[merchant][0],
            "storefront_id": storefront,
        }
        answer = await net.act(host, "placement", "/v1/placements", body)
        if answer is not None:
            code = answer["message"]["placement"]["code"]
            state.setdefault("links", {})[(host, "live_cart", f"{merchant}#store")] = code

    return do


def _logistics() -> list[Act]:
    """Carrier and pickup policies the 2022-10 and 2024-09 facts describe."""
    taobao_carriers = {
        "valid_from": "2022-10-01",
        "allowed": ["cainiao.example", "jtexpress.example"],
        "reason": "J&T picks up for Taobao merchants (month reported)",
    }
    with_jd = {
        "valid_from": "2024-09-01",
        "allowed": ["cainiao.example", "jtexpress.example", "jd-logistics.example"],
        "reason": "Taobao and Tmall connect JD Logistics (month reported)",
    }
    jd_pickup = {
        "valid_from": "2024-09-01",
        "reason": "JD connects Cainiao stations as pickup points",
    }
    return [
        Act(
            date(2022, 10, 1),
            "carrier policy taobao",
            post("taobao.example", "carrier_policy", "/v1/carrier-policies", taobao_carriers),
        ),
        Act(
            date(2024, 9, 1),
            "carrier policy taobao",
            post("taobao.example", "carrier_policy", "/v1/carrier-policies", with_jd),
        ),
        Act(
            date(2024, 9, 1),
            "carrier policy tmall",
            post("tmall.example", "carrier_policy", "/v1/carrier-policies", with_jd),
        ),
        Act(
            date(2024, 9, 1),
            "pickup policy cainiao",
            post("cainiao.example", "pickup_policy", "/v1/pickup-policies", jd_pickup),
        ),
    ]
