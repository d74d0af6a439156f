"""Run the generator: against a switch at a URL, or one started here on SQLite.

Either way the reference participants (wallets, stock desks, carriers) run
in this process on loopback, answering the switch's decision calls.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import httpx

from hutong.api.app import create_app
from hutong.config import Settings, sqlite_url
from hutong.runtime.services import Services
from hutong.store.db import Database
from hutong.store.migrate import upgrade
from hutong.world.reference import ReferenceWorld, reference_app
from hutong.world.serving import WORLD_KEEP_ALIVE, serve_asgi
from hutong.world.synth.build import build
from hutong.world.synth.network import Network


async def synthesize(
    switch_url: str,
    operator_token: str,
    seed: int,
    size: str = "small",
    plants: list[str] | None = None,
) -> dict[str, Any]:
    """Build a world on the switch at `switch_url`; its manifest."""
    async with httpx.AsyncClient(timeout=30) as anonymous:
        key = (await anonymous.get(f"{switch_url}/.well-known/hutong.json")).json()
    world = ReferenceWorld(switch_public_key=key["signing_public_key"])
    async with serve_asgi(reference_app(world), keep_alive=WORLD_KEEP_ALIVE) as world_url:
        operator = httpx.AsyncClient(
            headers={"authorization": f"Bearer {operator_token}"}, timeout=30
        )
        net = Network(switch_url, operator)
        try:
            return await build(net, world, world_url, seed, size, plants)
        finally:
            await net.aclose()
            await operator.aclose()


async def synthesize_locally(
    data_dir: Path, seed: int, size: str = "small", plants: list[str] | None = None
) -> dict[str, Any]:
    """Start a switch on SQLite in `data_dir`, build the world on it; its manifest."""
    token = secrets.token_urlsafe(24)
    settings = Settings(database_url=sqlite_url(data_dir), data_dir=data_dir, operator_token=token)
    upgrade(settings.database_url)
    services = Services(settings=settings, db=Database.of(settings))
    try:
        async with serve_asgi(
            create_app(services, run_background=False), keep_alive=WORLD_KEEP_ALIVE
        ) as url:
            return await synthesize(url, token, seed, size, plants)
    finally:
        await services.db.dispose()
