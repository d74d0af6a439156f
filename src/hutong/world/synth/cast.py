"""The synthetic world's cast: groups, platforms, wallets, carriers, merchants, offers.

Pure and deterministic: `cast(seed, size)` draws everything from
`random.Random(f"{seed}:cast")`, so a seed names one world. Four corporate
groups own platforms; `cirrus` is allied with `borealis` (the weaker
relation, never own). Carriers are the three the switch has tracking
plugins for, one per group that owns logistics; `openpay` is a wallet of no
group.

Besides the merchants that trade (offers, links, orders, impressions), each
platform has applicants: merchants of its own that go looking for storefronts
on other hosts (their catalogs and terms only). They are what gives a host's
storefront decisions per home group, and a platform's multi-homing merchants,
a sample to judge; drawn from their own stream (``"{seed}:applicants"``), so
the trading merchants are the same whatever their number.

Traffic is not spread evenly in a real network: one platform per world (the
`busy` marketplace, drawn from ``"{seed}:busy"``) sells far more than the
others, so its stock desk answers enough reservations, for own and rival
hosts, for its parity to be judged.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

#: (group, its platforms, its wallet or "", its carrier or "", groups it is allied with)
GROUPS: tuple[tuple[str, tuple[str, ...], str, str, tuple[str, ...]], ...] = (
    ("aurora", ("aurora-mall.example", "aurora-video.example"), "aurora-pay.example",
     "cainiao.example", ()),
    ("borealis", ("borealis-shop.example", "borealis-chat.example"), "borealis-pay.example",
     "jtexpress.example", ()),
    ("cirrus", ("cirrus-live.example",), "", "", ("borealis",)),
    ("dune", ("dune-market.example", "dune-clips.example"), "dune-pay.example",
     "jd-logistics.example", ()),
)  # fmt: skip
INDEPENDENT_WALLETS = ("openpay.example",)
AUDITOR = "watchdog.example"
CATEGORIES = ("beauty", "food", "electronics", "apparel", "home", "supplements")
#: Price range in fen per category (low, high).
PRICES = {
    "beauty": (3_900, 39_900),
    "food": (1_500, 19_900),
    "electronics": (19_900, 699_900),
    "apparel": (4_900, 59_900),
    "home": (2_900, 129_900),
    "supplements": (5_900, 49_900),
}


@dataclass(frozen=True, slots=True)
class Size:
    """How much traffic a world makes (`tiny`, `small` for tests, `medium` for benchmarks)."""

    name: str
    merchants_per_platform: int
    storefront_share: float  # chance a merchant asks each other host for a storefront
    applicants_per_platform: int  # merchants that only ask hosts for storefronts
    placements_per_merchant: int
    visits_per_placement: int
    payments_per_host: int
    bookings_per_host: int
    reservations_per_platform: int  # orders asked of each merchant platform's stock desk
    reservations_of_busy: int  # orders asked of the busy marketplace's desk
    completed_per_host: int  # orders taken through to confirmation (the split)
    impression_lists_per_host: int
    items_per_list: int


SIZES = {
    # Every chapter once or twice: for tests of the generator itself (determinism, plants).
    "tiny": Size("tiny", 2, 0.5, 0, 1, 1, 4, 4, 2, 2, 1, 5, 5),
    "small": Size("small", 3, 0.5, 20, 2, 2, 10, 8, 6, 380, 2, 500, 10),
    "medium": Size("medium", 16, 0.6, 8, 2, 6, 90, 70, 400, 400, 16, 220, 10),
}


@dataclass(frozen=True, slots=True)
class Merchant:
    subscriber_id: str
    home: str
    category: str
    self_operated: bool
    #: (sku_id, price in fen)
    skus: tuple[tuple[str, int], ...]


@dataclass(slots=True)
class Cast:
    seed: int
    size: Size
    group_of: dict[str, str] = field(default_factory=dict)
    allied: dict[str, tuple[str, ...]] = field(default_factory=dict)
    platforms: list[str] = field(default_factory=list)
    wallets: list[str] = field(default_factory=list)
    carriers: list[str] = field(default_factory=list)
    merchants: list[Merchant] = field(default_factory=list)
    #: Merchants that only ask other hosts for storefronts (see the module's docstring).
    applicants: list[Merchant] = field(default_factory=list)
    #: The platform that sells the most (see the module's docstring).
    busy: str = ""
    own_wallet: dict[str, str] = field(default_factory=dict)
    own_carrier: dict[str, str] = field(default_factory=dict)

    def group(self, participant: str) -> str:
        return self.group_of.get(participant, "")

    def relation(self, a: str, b: str) -> str:
        """own, allied or rival: how participant `b` stands to participant `a`."""
        ga, gb = self.group(a), self.group(b)
        if ga and ga == gb:
            return "own"
        if ga and gb and (gb in self.allied.get(ga, ()) or ga in self.allied.get(gb, ())):
            return "allied"
        return "rival"

    def merchants_of(self, platform: str) -> list[Merchant]:
        return [m for m in self.merchants if m.home == platform]

    def applicants_of(self, platform: str) -> list[Merchant]:
        return [m for m in self.applicants if m.home == platform]


def cast(seed: int, size: Size) -> Cast:
    rng = random.Random(f"{seed}:cast")
    world = Cast(seed=seed, size=size)
    for name, platforms, wallet, carrier, allies in GROUPS:
        world.allied[name] = allies
        for member in (*platforms, wallet, carrier):
            if member:
                world.group_of[member] = name
        world.platforms.extend(platforms)
        if wallet:
            world.wallets.append(wallet)
        if carrier:
            world.carriers.append(carrier)
        for platform in platforms:
            world.own_wallet[platform] = wallet
            world.own_carrier[platform] = carrier
    world.wallets.extend(INDEPENDENT_WALLETS)
    for platform in world.platforms:
        short = platform.split(".", 1)[0]
        # Merchants per platform vary ±1/3 around the size's figure.
        spread = max(1, size.merchants_per_platform // 3)
        count = size.merchants_per_platform + rng.randint(-spread, spread) // 2
        for n in range(max(2, count)):
            category = rng.choice(CATEGORIES)
            low, high = PRICES[category]
            skus = tuple(
                (f"{short}-m{n}-sku{k}", rng.randrange(low, high, 100))
                for k in range(rng.randint(1, 3))
            )
            world.merchants.append(
                Merchant(f"{short}-m{n}.example", platform, category, n == 0, skus)
            )
    world.busy = random.Random(f"{seed}:busy").choice(world.platforms)
    applicants = random.Random(f"{seed}:applicants")
    for platform in world.platforms:
        short = platform.split(".", 1)[0]
        for n in range(size.applicants_per_platform):
            category = applicants.choice(CATEGORIES)
            low, high = PRICES[category]
            sku = (f"{short}-a{n}-sku0", applicants.randrange(low, high, 100))
            world.applicants.append(
                Merchant(f"{short}-a{n}.example", platform, category, False, (sku,))
            )
    return world
