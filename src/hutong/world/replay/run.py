"""`replay`: the 2011-2025 history walked day by day through a switch on the simulated clock.

The switch, the reference participants (wallet desks) and every signed
client read one `SimClock`. Each day the replay first makes the day's
declarations (`acts`), then its traffic (`traffic`), then, on a day that
wrote events (declarations or payments; link visits write none), delivers
them: the replay runs the switch's delivery worker itself, so every event is
signed, delivered and verified on its simulated day. After the last day it
runs the auditor over each calendar year and stores each run
(`hutong.audit.compute_run`), and folds the link traffic the openness index
weighs (`hutong.web.dashboard.weights`): the dashboard reads both.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from hutong.api.app import create_app
from hutong.audit import AuditReport, Window, compute_run
from hutong.config import Settings
from hutong.net.delivery import DeliveryWorker
from hutong.protocol.signing import new_key_pair
from hutong.runtime.services import Services
from hutong.store.db import Database
from hutong.store.migrate import upgrade
from hutong.web.dashboard.weights import fold
from hutong.world.demo_keys import keep_key
from hutong.world.reference import ReferenceWorld, reference_app
from hutong.world.replay.acts import acts
from hutong.world.replay.cast import HOME, PARTICIPANTS, offer_of
from hutong.world.replay.clock import SimClient, SimClock
from hutong.world.replay.mini import mini_program_acts, visit_mini_programs
from hutong.world.replay.orders import Orders
from hutong.world.replay.traffic import Traffic
from hutong.world.serving import WORLD_KEEP_ALIVE, serve_asgi
from hutong.world.synth.network import Network
from hutong.world.wallets import WalletDesk

__all__ = ["FIRST_DAY", "LAST_DAY", "ReplayResult", "replay"]

FIRST_DAY, LAST_DAY = date(2011, 1, 1), date(2025, 12, 31)
BALANCE = 10**12  # fen: the replay's buyers never run out


@dataclass(slots=True)
class ReplayResult:
    days: int
    counts: dict[str, int]
    tally: dict[str, Any]
    #: The placed links' codes by (host, surface, merchant).
    links: dict[tuple[str, str, str], str] = field(default_factory=dict)
    audits: dict[int, AuditReport] = field(default_factory=dict)


@dataclass(slots=True)
class _Switch:
    net: Network
    world: ReferenceWorld
    world_url: str
    delivery: DeliveryWorker


@contextlib.asynccontextmanager
async def _switch(settings: Settings, clock: SimClock) -> AsyncIterator[_Switch]:
    upgrade(settings.database_url)
    # A replay is rebuilt from its facts: its commits need not wait for the disk.
    db = Database.of(settings, durable=False)
    services = Services(settings=settings, db=db, clock=clock)
    delivery = DeliveryWorker(services)
    try:
        # A participant's client can sit idle for many real seconds between its acts
        # (a merchant ships twice a month): its connections are kept for the whole run.
        app = create_app(services, run_background=False)
        async with serve_asgi(app, keep_alive=WORLD_KEEP_ALIVE) as switch_url:
            world = ReferenceWorld(switch_public_key=services.switch_public_key, clock=clock)
            async with serve_asgi(reference_app(world), keep_alive=WORLD_KEEP_ALIVE) as world_url:
                operator = httpx.AsyncClient(
                    headers={"authorization": f"Bearer {settings.operator_token}"}, timeout=30
                )
                net = Network(switch_url, operator)
                try:
                    yield _Switch(net, world, world_url, delivery)
                finally:
                    await net.aclose()
                    await operator.aclose()
    finally:
        await delivery.close()
        await services.db.dispose()


async def _join(
    net: Network, world: ReferenceWorld, world_url: str, settings: Settings, clock: SimClock
) -> None:
    """The operator registers everyone; merchants publish offers; wallets open their desks."""
    for seed in PARTICIPANTS:
        pair = new_key_pair()
        await net.operate(
            "register",
            "POST",
            "/operator/participants",
            {
                "subscriber_id": seed.subscriber_id,
                "name": seed.name,
                "roles": list(seed.roles),
                "callback_url": f"{world_url}/cb/{seed.subscriber_id}",
                "key_id": "k1",
                "public_key": pair.public_key,
                # One key for the whole replay (a key is otherwise valid for a year).
                "valid_until": "2026-12-31T00:00:00Z",
            },
        )
        net.clients[seed.subscriber_id] = SimClient(
            clock, net.switch_url, seed.subscriber_id, "k1", pair.private_key, timeout=30
        )
        keep_key(settings.data_dir, seed.subscriber_id, "k1", pair.private_key)
    for merchant, (home, self_operated) in HOME.items():
        await net.operate(
            "merchant_profile",
            "PUT",
            f"/operator/merchants/{merchant}/profile",
            {"home_platform": home, "self_operated": self_operated},
        )
        answer = await net.act(merchant, "offer", "/v1/offers", {"offers": [offer_of(merchant)]})
        if answer is not None and not answer["ok"]:
            net.tally.unexpected.append(f"offer {merchant}: {answer['results']}")
    for seed in PARTICIPANTS:
        if "wallet" in seed.roles:
            client = net.clients[seed.subscriber_id]
            payers = {"ali-buyer-1", "jdp-user-1", "wx-buyer-3", "up-user-1"}
            world.wallets[seed.subscriber_id] = WalletDesk(
                signer=client.signer, balances={p: BALANCE for p in payers}
            )
            fees = {"fees": [{"kind": "order", "bps": 60}]}
            await net.act(seed.subscriber_id, "wallet_profile", "/v1/wallet/profile", fees)


async def replay(
    settings: Settings,
    *,
    until: date = LAST_DAY,
    volume: int = 4,
    on_day: Callable[[date], None] | None = None,
) -> ReplayResult:
    """Walk FIRST_DAY..until (inclusive) through a switch; audit each year and store the runs."""
    if volume < 1:
        raise ValueError("volume is at least 1 visit a day")
    if not FIRST_DAY <= until <= LAST_DAY:
        raise ValueError(f"the facts run from {FIRST_DAY} to {LAST_DAY}, not to {until}")
    clock = SimClock(FIRST_DAY)
    # A stable sort: each history's versions stay in their declared order.
    pending = sorted([*acts(), *mini_program_acts()], key=lambda act: act.day)
    state: dict[str, Any] = {}
    async with _switch(settings, clock) as switch:
        net = switch.net
        await _join(net, switch.world, switch.world_url, settings, clock)
        traffic = Traffic(net, volume)
        orders = Orders(net, switch.world, volume, clock)
        await orders.open()
        day, days = FIRST_DAY, 0
        while day <= until:
            clock.set(day)
            acted = bool(pending) and pending[0].day <= day
            while pending and pending[0].day <= day:
                await pending.pop(0).do(net, state)
            paid = await traffic.day(day, state.get("links", {}))
            ordered = await orders.day(day, state.get("placements", {}))
            traffic.counts["visits"] += await visit_mini_programs(
                net, day, volume, state.get("mini_programs", {})
            )
            if acted or paid or ordered:  # link visits write no events
                await switch.delivery.drain()
            days += 1
            if on_day is not None:
                on_day(day)
            day += timedelta(days=1)
        result = ReplayResult(
            days,
            dict(traffic.counts) | orders.counts,
            net.tally.to_dict(),
            dict(state.get("links", {})) | state.get("mini_programs", {}),
        )
        result.tally["unexpected_samples"] = net.tally.unexpected[:5]
    db = Database.of(settings)
    try:
        for year in range(FIRST_DAY.year, until.year + 1):
            end = min(date(year + 1, 1, 1), until + timedelta(days=1))
            # Stored with the real time it was computed: the dashboard says when.
            run = await compute_run(db, Window(date(year, 1, 1), end), datetime.now(UTC))
            result.audits[year] = run.report
        await fold(db, datetime.now(UTC))
    finally:
        await db.dispose()
    return result
