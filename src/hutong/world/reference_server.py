"""Run reference wallets, programs, merchant platforms and carriers in their own process.

    python -m hutong.world.reference_server --config world.json --port 9100

The config is JSON::

    {"switch_public_key": "<base64>", "switch_id": "hutong.switch",
     "wallets": {"alipay.example": {"key_id": "k1", "private_key": "<base64>",
                                    "balances": {"u1": 100000}}},
     "programs": {"tencent-video.example": {"key_id": "k1", "private_key": "<base64>",
                                            "members": ["m1"]}},
     "stores": {"jd.example": {"key_id": "k1", "private_key": "<base64>",
                               "offers": {"jd-beauty.example": {"sku-1": [1999, 100]}}}},
     "carriers": {"jd-logistics.example": {"key_id": "k1", "private_key": "<base64>",
                                           "tracking_prefix": "JDV"}}}

A carrier's booking desk (`hutong.world.reference.CarrierDesk`) answers
``book`` and ``cancel``; its tracking numbers are the prefix and a counter.

Register each participant with callback URL `http://HOST:PORT/cb/<subscriber id>`.
Only the URL and the participants' ids are printed, never a key.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import uvicorn

from hutong.protocol.signing import Signer
from hutong.world.reference import CarrierDesk, ReferenceWorld, reference_app
from hutong.world.stock import StockDesk
from hutong.world.wallets import ProgramDesk, WalletDesk


def world_from_config(config: dict[str, Any]) -> ReferenceWorld:
    """The reference world a config describes."""
    world = ReferenceWorld(
        switch_public_key=str(config["switch_public_key"]),
        switch_id=str(config.get("switch_id", "hutong.switch")),
    )
    for wallet_id, wallet in config.get("wallets", {}).items():
        world.wallets[wallet_id] = WalletDesk(
            signer=_signer(wallet_id, wallet),
            balances={str(account): int(fen) for account, fen in wallet["balances"].items()},
        )
    for program_id, program in config.get("programs", {}).items():
        world.programs[program_id] = ProgramDesk(
            signer=_signer(program_id, program), members={str(m) for m in program["members"]}
        )
    for platform_id, platform in config.get("stores", {}).items():
        desk = StockDesk(signer=_signer(platform_id, platform))
        for merchant, offers in platform.get("offers", {}).items():
            for sku_id, (price, stock) in offers.items():
                desk.offer(str(merchant), str(sku_id), int(price), int(stock))
        world.stores[platform_id] = desk
    for carrier_id, carrier in config.get("carriers", {}).items():
        world.carriers[carrier_id] = CarrierDesk(
            signer=_signer(carrier_id, carrier), tracking_prefix=str(carrier["tracking_prefix"])
        )
    return world


def _signer(subscriber_id: str, entry: dict[str, Any]) -> Signer:
    return Signer(subscriber_id, str(entry.get("key_id", "k1")), str(entry["private_key"]))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--config", required=True, type=Path, help="JSON file, see the module")
    parser.add_argument("--port", required=True, type=int)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)
    world = world_from_config(json.loads(args.config.read_text(encoding="utf-8")))
    desks = ", ".join([*world.wallets, *world.programs, *world.stores, *world.carriers]) or "none"
    print(f"reference world on http://{args.host}:{args.port}/cb/<id>; desks: {desks}", flush=True)
    uvicorn.run(reference_app(world), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
