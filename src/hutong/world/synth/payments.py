"""Payments: platforms declare which wallets they accept; their checkouts create payments.

Fair world: every platform accepts every wallet. Buyers choose a wallet
with a skew to the platform's own group's wallet (as they do), and about one
payment in three is authorized (a decision call to the wallet).

Plant ``wallet_exclusion``: the subject refuses every rival group's wallet
while its own stays accepted; checkouts that chose one are refused
(``wallet_not_accepted``, recorded by the switch).
"""

from __future__ import annotations

import random
from datetime import date

from hutong.world.synth.cast import Cast
from hutong.world.synth.network import Network
from hutong.world.synth.plants import Plant, planted
from hutong.world.synth.registry import buyer

REFUSALS = frozenset({"wallet_not_accepted", "wallet_refused"})


def refused_wallets(world: Cast, plants: list[Plant], platform: str) -> dict[str, str]:
    if not planted(plants, "wallet_exclusion", platform):
        return {}
    return {
        w: "not offered at our checkout"
        for w in world.wallets
        if world.group(w) and world.relation(platform, w) == "rival"
    }


async def run(net: Network, world: Cast, plants: list[Plant], today: date) -> dict[str, int]:
    rng = random.Random(f"{world.seed}:payments")
    for platform in world.platforms:
        policy: dict[str, object] = {
            "valid_from": today.isoformat(),
            "accepts": None,
            "note": "every wallet on the switch",
        }
        refused = refused_wallets(world, plants, platform)
        if refused:
            policy["refused"] = refused
        await net.act(platform, "acceptance_policy", "/v1/acceptance-policy", policy)
    created = refused_count = authorized = 0
    for platform in world.platforms:
        own = world.own_wallet.get(platform, "")
        sellers = world.merchants_of(platform)
        for _ in range(world.size.payments_per_host):
            merchant = rng.choice(sellers)
            wallet = own if own and rng.random() < 0.35 else rng.choice(world.wallets)
            amount = rng.choice(merchant.skus)[1] * rng.randint(1, 3)
            payer = buyer(wallet, rng.randrange(8))
            authorize = rng.random() < 0.35
            answer = await net.act(
                platform,
                "payment",
                "/v1/payments",
                {
                    "merchant": merchant.subscriber_id,
                    "amount": amount,
                    "host": platform,
                    "wallet": wallet,
                    "payer": payer,
                },
                refusals=REFUSALS,
            )
            if answer is None:
                refused_count += 1
                continue
            created += 1
            if authorize:
                payment = answer.get("payment", answer)
                await net.act(platform, "authorize", f"/v1/payments/{payment['id']}/authorize", {})
                authorized += 1
    return {"payments": created, "payment_refusals": refused_count, "authorizations": authorized}
