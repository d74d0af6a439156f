"""The world joins: the operator registers everyone and declares groups; desks open.

Each participant gets a fresh key pair, is registered by the operator with
its public key and a callback in the reference world, and from then on acts
only through its own signed client. Wallets, merchant platforms' stock desks
and carriers answer the switch's decision calls from the reference world.
"""

from __future__ import annotations

from datetime import date

from hutong.client import Client
from hutong.protocol.signing import new_key_pair
from hutong.world.reference import CarrierDesk, ReferenceWorld
from hutong.world.synth.cast import AUDITOR, GROUPS, Cast
from hutong.world.synth.desks import SynthStockDesk
from hutong.world.synth.network import Network
from hutong.world.wallets import WalletDesk

#: Buyers' balances at every wallet, in fen (ample: payments never fail for want of money).
BALANCE = 10**12
TRACKING_PREFIX = {
    "cainiao.example": "CN",
    "jtexpress.example": "JT",
    "jd-logistics.example": "JDV",
}


def roles(world: Cast) -> list[tuple[str, str]]:
    """(subscriber id, role) of everyone in the world, in registration order."""
    return [
        *((p, "platform") for p in world.platforms),
        *((w, "wallet") for w in world.wallets),
        *((c, "carrier") for c in world.carriers),
        *((m.subscriber_id, "merchant") for m in (*world.merchants, *world.applicants)),
        (AUDITOR, "auditor"),
    ]


def buyer(wallet: str, n: int) -> str:
    return f"{wallet.split('.', 1)[0]}-buyer-{n}"


async def register(net: Network, world: Cast, reference: ReferenceWorld, world_url: str) -> None:
    for subscriber_id, role in roles(world):
        pair = new_key_pair()
        response = await net.operate(
            "register",
            "POST",
            "/operator/participants",
            {
                "subscriber_id": subscriber_id,
                "name": f"synthetic {role} {subscriber_id}",
                "roles": [role],
                "callback_url": f"{world_url}/cb/{subscriber_id}",
                "key_id": "k1",
                "public_key": pair.public_key,
            },
        )
        if response.status_code != 201:
            raise RuntimeError(f"registering {subscriber_id}: {response.text[:300]}")
        client = Client(net.switch_url, subscriber_id, "k1", pair.private_key)
        net.clients[subscriber_id] = client
        if role == "wallet":
            balances = {buyer(subscriber_id, n): BALANCE for n in range(8)}
            reference.wallets[subscriber_id] = WalletDesk(signer=client.signer, balances=balances)
        elif role == "carrier":
            prefix = TRACKING_PREFIX[subscriber_id]
            reference.carriers[subscriber_id] = CarrierDesk(client.signer, prefix)
        elif role == "platform":
            reference.stores[subscriber_id] = SynthStockDesk(signer=client.signer)


async def declare_groups(net: Network, world: Cast, today: date) -> None:
    for name, platforms, wallet, carrier, allies in GROUPS:
        members = [m for m in (*platforms, wallet, carrier) if m]
        # A platform's own stores belong to its group; third-party merchants do not.
        members += [
            m.subscriber_id for p in platforms for m in world.merchants_of(p) if m.self_operated
        ]
        await net.operate(
            "group",
            "POST",
            "/operator/groups",
            {
                "name": name,
                "members": members,
                "allied": list(allies),
                "valid_from": today.isoformat(),
            },
        )


async def merchants_and_offers(net: Network, world: Cast, reference: ReferenceWorld) -> None:
    for merchant in (*world.merchants, *world.applicants):
        await net.operate(
            "merchant_profile",
            "PUT",
            f"/operator/merchants/{merchant.subscriber_id}/profile",
            {"home_platform": merchant.home, "self_operated": merchant.self_operated},
        )
        offers = [
            {
                "sku_id": sku,
                "title": f"{merchant.category} item {sku}",
                "price": price,
                "stock": 10**6,
                "category": merchant.category,
                "h5_url": f"https://{merchant.home.split('.', 1)[0]}.example/item/{sku}",
            }
            for sku, price in merchant.skus
        ]
        await net.act(merchant.subscriber_id, "offers", "/v1/offers", {"offers": offers})
        desk = reference.stores[merchant.home]
        for sku, price in merchant.skus:
            desk.offer(merchant.subscriber_id, sku, price, 10**6)
    for wallet in world.wallets:
        await net.act(
            wallet, "wallet_profile", "/v1/wallet/profile", {"fees": [{"kind": "order", "bps": 60}]}
        )
    for carrier in world.carriers:
        await net.act(carrier, "carrier_services", "/v1/carrier/services", {"services": []})
