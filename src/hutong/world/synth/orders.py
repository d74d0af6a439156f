"""Orders: hosts declare commission schedules, take orders, the merchant platforms' desks answer.

Each order the host takes asks the merchant's platform to reserve stock (a
decision call the switch journals with its latency and outcome, on behalf
of the host): the size's `reservations_per_platform` of each platform's
merchants, `reservations_of_busy` of the busy marketplace's (`cast`), from
hosts drawn evenly. Every stock desk answers in 5-20 ms (its own pace, the same
for everyone) and refuses about one call in fifty (stock ran out).

Completed orders (paid, shipped, delivered, confirmed) carry the split, so
the host's take per channel is evidence: own store (the host's own
merchants), storefront (approved storefronts) and link placement (rival
merchants' items placed by the host).

Plants:

* ``fee_discrimination``: the subject takes 4x its rate on link placements
  (Douyin's 20% against 5%), declared in its schedule.
* ``interop_parity``: the subject's stock desk answers calls for rival-group
  hosts three times slower and refuses one in six.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hutong.protocol.ids import new_id
from hutong.world.carriers import tracking_payload
from hutong.world.reference import ReferenceWorld
from hutong.world.synth.cast import Cast, Merchant
from hutong.world.synth.desks import SynthStockDesk
from hutong.world.synth.network import Network
from hutong.world.synth.plants import Plant, planted
from hutong.world.synth.registry import buyer

ORDER_REFUSALS = frozenset({"reservation_refused", "no_stock", "out_of_stock"})
FAIR_REFUSAL, PLANTED_REFUSAL, SLOWDOWN = 0.02, 1 / 6, 3.0
#: The carrier's delivered scan in its own format.
DELIVERED = {"jd-logistics.example": "60", "jtexpress.example": "3", "cainiao.example": "SIGN"}


@dataclass(frozen=True, slots=True)
class Desk:
    """How a stock desk answers one call: its delay in seconds and whether it refuses."""

    delay: float
    refuses: bool


def desk_behaviour(
    world: Cast, plants: list[Plant], platform: str, host: str, pace: float, u: float
) -> Desk:
    if planted(plants, "interop_parity", platform) and world.relation(platform, host) == "rival":
        return Desk(pace * SLOWDOWN, u < PLANTED_REFUSAL)
    return Desk(pace, u < FAIR_REFUSAL)


def schedule(world: Cast, plants: list[Plant], host: str, base: int, today: str) -> dict[str, Any]:
    external = base * 4 if planted(plants, "fee_discrimination", host) else base
    return {
        "valid_from": today,
        "channel_rates": {"own_store": base, "storefront": base, "link_placement": external},
        "default_take_bps": base,
        "note": "synthetic schedule",
    }


class Orders:
    def __init__(
        self, net: Network, world: Cast, plants: list[Plant], reference: ReferenceWorld
    ) -> None:
        self.net, self.world, self.plants, self.reference = net, world, plants, reference
        self.stores: dict[str, SynthStockDesk] = {}
        for platform in world.platforms:
            store = reference.stores[platform]
            assert isinstance(store, SynthStockDesk)
            self.stores[platform] = store
        self.rng = random.Random(f"{world.seed}:orders")
        self.pace = {p: self.rng.uniform(0.005, 0.02) for p in world.platforms}
        self.counts = {"orders": 0, "order_refusals": 0, "completed": 0}

    async def declare(self, today: str) -> None:
        for host in self.world.platforms:
            base = self.rng.choice((300, 500, 500, 800))
            body = schedule(self.world, self.plants, host, base, today)
            await self.net.act(host, "commission_schedule", "/v1/commission-schedules", body)

    async def take(
        self, host: str, merchant: Merchant, wallet: str, carrier: str, origin: dict[str, str]
    ) -> dict[str, Any] | None:
        """One order in `host` (via `origin`: placement or storefront id, or none)."""
        sku, price = self.rng.choice(merchant.skus)
        quantity = self.rng.randint(1, 3)
        desk = desk_behaviour(
            self.world,
            self.plants,
            merchant.home,
            host,
            self.pace[merchant.home],
            self.rng.random(),
        )
        stock = self.stores[merchant.home]
        stock.fail["reserve_stock"], stock.delay = "slow", desk.delay
        stock.refuse_next = desk.refuses
        try:
            answer = await self.net.act(
                host,
                "order",
                "/v1/orders",
                {
                    "buyer": f"{host.split('.', 1)[0]}-shopper-{self.rng.randrange(500)}",
                    "merchant": merchant.subscriber_id,
                    "lines": [{"sku_id": sku, "quantity": quantity, "unit_price": price}],
                    "wallet": wallet,
                    "payer": buyer(wallet, self.rng.randrange(8)),
                    "carrier": carrier,
                    "destination": {"area_code": "310104", "address": {"recipient": "synthetic"}},
                    **origin,
                },
                refusals=ORDER_REFUSALS,
            )
        finally:
            stock.refuse_next = False
            stock.fail.pop("reserve_stock", None)
        if answer is None:
            self.counts["order_refusals"] += 1
            return None
        self.counts["orders"] += 1
        order: dict[str, Any] = answer["order"]
        return order

    async def complete(self, host: str, merchant: str, order: dict[str, Any]) -> None:
        """Pay, ship, deliver, confirm: the order's split is then the switch's record."""
        oid = order["id"]
        if await self.net.act(host, "order_pay", f"/v1/orders/{oid}/pay", {}) is None:
            return
        shipped = await self.net.act(
            merchant, "order_ship", f"/v1/orders/{oid}/ship", {"origin": "330106", "weight_g": 500}
        )
        if shipped is None:
            return
        carrier = order["carrier"]
        number = shipped["shipment"]["tracking_number"]
        scan = tracking_payload(
            carrier, number, DELIVERED[carrier], "", datetime.now(UTC), new_id("ev")
        )
        await self.net.act(carrier, "tracking", "/v1/tracking", scan)
        if await self.net.act(host, "order_confirm", f"/v1/orders/{oid}/confirm", {}) is not None:
            self.counts["completed"] += 1


async def run(
    orders: Orders,
    today: str,
    approved: dict[tuple[str, str], str],
    allowed_carriers: dict[str, list[str]],
    accepted_wallets: dict[str, list[str]],
) -> dict[str, int]:
    """Reservations asked of every merchant platform, then completed orders per host."""
    world, rng, net = orders.world, orders.rng, orders.net
    await orders.declare(today)
    placements: dict[tuple[str, str, str], str] = {}

    async def origin(host: str, merchant: Merchant, sku: str) -> dict[str, str] | None:
        coin = rng.random()  # drawn always: plants never shift the stream
        if host == merchant.home:
            return {}
        storefront = approved.get((merchant.subscriber_id, host))
        if storefront is not None and coin < 0.5:
            return {"storefront_id": storefront}
        key = (host, merchant.subscriber_id, sku)
        if key not in placements:
            answer = await net.act(
                host,
                "placement",
                "/v1/placements",
                {
                    "host": host,
                    "surface": "search",
                    "merchant": merchant.subscriber_id,
                    "sku_id": sku,
                },
            )
            if answer is None:
                return None
            placements[key] = answer["message"]["placement"]["id"]
        return {"placement_id": placements[key]}

    async def one(host: str, merchant: Merchant) -> dict[str, Any] | None:
        # The host and the merchant's platform must both accept the wallet.
        wallet = rng.choice(
            [w for w in accepted_wallets[host] if w in accepted_wallets[merchant.home]]
        )
        carrier = rng.choice(allowed_carriers[host])
        sku = merchant.skus[0][0]
        how = await origin(host, merchant, sku)
        if how is None:
            return None
        # A storefront sells its catalog; a placement places one SKU: order that one.
        fixed = Merchant(
            merchant.subscriber_id,
            merchant.home,
            merchant.category,
            merchant.self_operated,
            (merchant.skus[0],),
        )
        return await orders.take(host, fixed, wallet, carrier, how)

    for platform in world.platforms:
        sellers = world.merchants_of(platform)
        busy = platform == world.busy
        asked = world.size.reservations_of_busy if busy else world.size.reservations_per_platform
        for _ in range(asked):
            await one(rng.choice(world.platforms), rng.choice(sellers))
    for host in world.platforms:
        for n in range(world.size.completed_per_host):
            merchant = rng.choice(
                world.merchants_of(host)
                if n % 2 == 0
                else [m for m in world.merchants if m.home != host]
            )
            order = await one(host, merchant)
            if order is not None:
                await orders.complete(host, merchant.subscriber_id, order)
    return dict(orders.counts, order_placements=len(placements))
