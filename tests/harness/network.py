"""One network over real HTTP: the switch, the reference world, and who has joined.

A network is drawn from a cast (`tests.harness.cast`): who may take part, in
which role, what each needs first (a merchant its home platform) and how it
sets itself up once registered (a wallet's desk and fees, a carrier's desk
and services). Nobody is registered until a test needs them: `join` (or the
first request a participant sends through `post`/`send`/`get`) registers that
participant and what it needs, once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from hutong.client import Client, encode_json
from hutong.protocol.envelope import request_envelope
from hutong.protocol.ids import new_id
from hutong.world.reference import CarrierDesk, ReferenceWorld
from hutong.world.stock import StockDesk
from hutong.world.wallets import ProgramDesk, WalletDesk
from tests.harness.switch import Clock, Switch

Setup = Callable[["Network", Client], Awaitable[None]]


@dataclass(frozen=True)
class Part:
    """A participant's part in a cast."""

    role: str
    #: Who must have joined first.
    needs: tuple[str, ...] = ()
    #: What it does once registered (declare fees, publish a station, ...).
    setup: Setup | None = None
    #: Whether the switch calls it back at the reference world (else at a closed port).
    answers: bool = True


class Network:
    """The switch and the reference world, and the participants of `cast` that have joined."""

    def __init__(
        self,
        switch: Switch,
        world: ReferenceWorld | None,
        world_url: str,
        cast: Mapping[str, Part],
        http: httpx.AsyncClient,
        *,
        clock: Clock | None = None,
    ) -> None:
        self.switch = switch
        self._world = world
        self.world_url = world_url
        self.cast = cast
        self.http = http
        #: When set, requests sent through the network are signed at this clock (tests move it).
        self.clock = clock
        self.clients: dict[str, Client] = {}

    @property
    def world(self) -> ReferenceWorld:
        assert self._world is not None, "this network has no reference world"
        return self._world

    # -- joining -------------------------------------------------------------------------------

    async def join(self, *subscriber_ids: str) -> None:
        """Register each of `subscriber_ids` (and what it needs first), unless it has joined."""
        for subscriber_id in subscriber_ids:
            if subscriber_id in self.clients:
                continue
            part = self.cast[subscriber_id]
            await self.join(*part.needs)
            callback = (
                f"{self.world_url}/cb/{subscriber_id}"
                if part.answers and self._world is not None
                else "http://127.0.0.1:9/unused"
            )
            client = await self.switch.register(
                subscriber_id, [part.role], callback, http=self.http
            )
            self.clients[subscriber_id] = client
            if part.setup is not None:
                await part.setup(self, client)

    async def client(self, subscriber_id: str) -> Client:
        await self.join(subscriber_id)
        return self.clients[subscriber_id]

    def __getitem__(self, subscriber_id: str) -> Client:
        if subscriber_id not in self.clients:
            raise KeyError(f"{subscriber_id} has not joined: `await net.join({subscriber_id!r})`")
        return self.clients[subscriber_id]

    # -- requests ------------------------------------------------------------------------------

    async def send(self, sender: str, method: str, path: str, body: bytes = b"") -> httpx.Response:
        """Send `body` signed by `sender` (joining it first), at the network's clock if set."""
        client = await self.client(sender)
        created = self.clock.unix if self.clock is not None else None
        return await client.send(method, path, body, created=created)

    async def post(
        self, sender: str, path: str, message: dict[str, Any], *, message_id: str | None = None
    ) -> httpx.Response:
        body = encode_json(request_envelope(message, message_id=message_id or new_id("msg")))
        return await self.send(sender, "POST", path, body)

    async def get(self, reader: str, path: str) -> httpx.Response:
        return await self.send(reader, "GET", path)

    # -- the reference world's desks -----------------------------------------------------------

    def wallet(self, subscriber_id: str) -> WalletDesk:
        return self.world.wallets[subscriber_id]

    def program(self, subscriber_id: str) -> ProgramDesk:
        return self.world.programs[subscriber_id]

    def desk(self, carrier: str) -> CarrierDesk:
        return self.world.carriers[carrier]

    def store(self, platform: str) -> StockDesk:
        return self.world.stores[platform]
