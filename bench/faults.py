"""Faults under load on a real cluster: what the clients were told against what the database kept.

A correctness run, not a speed benchmark. On loopback only, in ports
`--port-base` + 0..49 (default 26000) and in /tmp/hutong-cluster-faults:

    cluster   scripts/cluster.sh up: pg_auto_failover (monitor, primary, synchronous
              standby), three `hutong serve` behind HAProxy, two delivery workers.
    setup     as bench/orders.py: Douyin hosts JD Beauty's storefront; JD's stock
              desk, Alipay's wallet and JD Logistics' booking desk are reference
              participants in their own processes. Douyin's and JD Beauty's event
              endpoints are served here (they count each event id they receive).
    load      `--clients` buyers make whole orders through HAProxy at about `--rate`
              orders a second in all (create, pay, ship, picked up, delivered,
              confirm: 6 signed requests), each followed by a wallet-to-wallet
              transfer (Alipay user to WeChat Pay user: lookup, quote, execute;
              both wallets are reference desks too). A step not answered (a 5xx, a broken or
              refused connection) is sent again with the SAME message id, as the
              protocol allows, every 0.25 s until answered or the run ends.
    faults    one after the other, each in a window of `--seconds` with load before
              and after:
                worker    switch process 2 is SIGKILLed and restarted;
                primary   the PostgreSQL primary's keeper and server are SIGKILLed;
                          pg_auto_failover promotes the standby; the old primary
                          then rejoins as standby;
                callback  JD Beauty's event endpoint answers 503 for the window
                          (its events wait in the outbox, Douyin's keep flowing);
                network   the network from the switch tier to the database is cut
                          for `--cut-seconds` (default 10): `cluster.sh cut-db`, an
                          nftables rule dropping the switch processes' packets to
                          both nodes (connections stay open, nothing answers);
                          without root or nft, the primary is frozen (SIGSTOP).
    check     load stops; the outbox is given up to 90 s to drain; then, per fault
              (a step belongs to the window it was first sent in):
                lost        steps acknowledged whose effect is not in the database
                            (an order answered paid must be paid or later, ...; a
                            transfer answered committed must be committed);
                duplicated  orders stored twice for one create message (each order
                            has its own buyer tag), ledger transfers stored twice,
                            a committed transfer with more ledger legs than its
                            amount and fees;
                ledger      `hutong ledger check`;
                events      Douyin's and JD Beauty's events: all delivered, and each
                            received at their endpoints;
                stall       the longest a client waited for an answer (first send to
                            answer, retries included) among steps first sent in it.

    .venv/bin/python -m bench.faults [--seconds 20] [--rate 3] [--clients 6]
        [--cut-seconds 10]
        [--faults worker,primary,callback,network] [--keep]

Prints one table and writes bench/results/faults.json. Needs root (or the
packages already installed) for Debian's postgresql-15-auto-failover and haproxy.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench._harness import ROOT, Server, enrol, write_results
from bench._reference import Desk, reference_processes
from bench.orders import (
    ALIPAY,
    BEIJING,
    DOUYIN,
    HANGZHOU,
    JD_BEAUTY,
    JDL,
    PRICES,
    SERUM,
    Shop,
    account,
    desk_configs,
    open_shop,
)
from bench.transfers import WECHATPAY, phone, publish
from hutong.client import encode_json
from hutong.protocol.envelope import request_envelope
from hutong.protocol.ids import new_id
from hutong.protocol.signing import Signer, new_key_pair
from hutong.world.carriers import tracking_payload

CLUSTER = ROOT / "scripts" / "cluster.sh"
FAULTS = ("worker", "primary", "callback", "network")
OPERATOR = "cluster-operator"
#: A step first sent this long before a fault still counts as the fault's.
LEAD_IN = 1.0
#: What the database shows of an order once its carrier is booked: booking
#: (the ship step) leaves the order `paid`, with `carrier_booked`, until the
#: carrier's pickup moves it to `shipped`.
BOOKED = "carrier booked"
#: What an acknowledged step promises about its order afterwards: one of these
#: in what the database shows of it (its state, and BOOKED once booked).
AFTER = {
    "create": None,  # the order exists
    "pay": {"paid", "shipped", "delivered", "completed"},
    "ship": {BOOKED},
    "picked_up": {"shipped", "delivered", "completed"},
    "delivered": {"delivered", "completed"},
    "confirm": {"completed"},
}
#: The issue's aim for the client-visible stall of a primary failover.
FAILOVER_STALL_AIM = 15.0


def log(message: str) -> None:
    print(f"faults {time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


# -- the cluster ------------------------------------------------------------------------------


@dataclass
class Cluster:
    directory: str
    base: int

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "HUTONG_CLUSTER_DIR": self.directory,
            "HUTONG_CLUSTER_PORT_BASE": str(self.base),
            "HUTONG_OPERATOR_TOKEN": OPERATOR,
            # An endpoint back after a while is tried again within seconds.
            "HUTONG_DELIVERY_MAX_DELAY": "2",
            # Every transfer looks its payee up: not the rate limit's business here.
            "HUTONG_ALIAS_LOOKUPS_PER_MINUTE": "1000000",
            "HUTONG_ALIAS_LOOKUP_BURST": "100000",
        }

    def run(self, *args: str, timeout: float = 300) -> str:
        done = subprocess.run(
            ["bash", str(CLUSTER), *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"cluster.sh {' '.join(args)}: {done.stderr[-2000:]}")
        return done.stdout

    def up(self, *, keep: bool = False) -> None:
        """Start the cluster; one that failed half-way is taken down again unless `keep`."""
        try:
            self.run("up", timeout=600)
        except BaseException:
            if not keep:
                with contextlib.suppress(Exception):
                    self.run("down", timeout=120)
            raise

    def command(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            ["bash", str(CLUSTER), *args],
            env=self.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.base + 20}"

    @property
    def database_url(self) -> str:
        p = (self.base + 2, self.base + 3)
        return (
            f"postgresql+psycopg://hutong@/hutong?host=127.0.0.1:{p[0]}&host=127.0.0.1:{p[1]}"
            "&target_session_attrs=read-write&connect_timeout=2"
        )

    def succeeds(self, *args: str) -> tuple[bool, str]:
        done = subprocess.run(
            ["bash", str(CLUSTER), *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        return done.returncode == 0, done.stdout.strip()

    def in_sync(self) -> bool:
        return self.succeeds("in-sync")[0]

    async def wait_in_sync(self, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if await asyncio.to_thread(self.in_sync):
                return True
            await asyncio.sleep(1)
        return False


# -- event endpoints --------------------------------------------------------------------------


@dataclass
class Endpoints:
    """Douyin's and JD Beauty's event endpoints: who got which event ids, and when."""

    port: int
    down: set[str] = field(default_factory=set)
    received: dict[str, set[str]] = field(default_factory=dict)
    arrivals: dict[str, list[float]] = field(default_factory=dict)
    _open: set[asyncio.StreamWriter] = field(default_factory=set)

    def url(self, participant: str) -> str:
        return f"http://127.0.0.1:{self.port}/cb/{participant}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._open.add(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1]
                length = next(
                    (
                        int(x.split(":", 1)[1])
                        for x in lines
                        if x.lower().startswith("content-length")
                    ),
                    0,
                )
                body = await reader.readexactly(length)
                who = path.rsplit("/", 1)[-1]
                if who in self.down:
                    status, answer = 503, b'{"error":{"code":"down"}}'
                else:
                    # Hutong's own id of the event (the outbox's), beside Beckn's UUID.
                    context = json.loads(body).get("context", {})
                    event = context.get("hutong_message_id") or context.get("message_id", "")
                    self.received.setdefault(who, set()).add(event)
                    self.arrivals.setdefault(who, []).append(time.monotonic())
                    status, answer = 200, b'{"message":{"ack":{"status":"ACK"}}}'
                writer.write(
                    f"HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n"
                    f"content-length: {len(answer)}\r\n\r\n".encode()
                    + answer
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, IndexError, ValueError):
            writer.close()
        finally:
            self._open.discard(writer)

    async def start(self) -> asyncio.Server:
        return await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    def timeline(self, since: float) -> dict[str, list[int]]:
        """Events received per recipient in each 5 s from `since`."""
        out: dict[str, list[int]] = {}
        for who, times in self.arrivals.items():
            buckets = [0] * (int((max(times) - since) // 5) + 1)
            for t in times:
                buckets[int((t - since) // 5)] += 1
            out[who] = buckets
        return out

    async def close(self, server: asyncio.Server) -> None:
        server.close()
        for writer in list(self._open):
            writer.close()
        await asyncio.sleep(0.2)  # the handlers see their connections end


# -- the load ---------------------------------------------------------------------------------


class Stopped(Exception):
    """The load stopped before this step was sent: the client ends here."""


@dataclass
class Step:
    order: int
    name: str
    first_sent: float
    answered: float | None = None
    status: int = 0
    retries: int = 0


@dataclass
class Load:
    cluster: Cluster
    shop: Shop
    buyers: int
    stop_at: float
    steps: list[Step] = field(default_factory=list)
    #: buyer tag -> (order id, last acknowledged step, when it was acknowledged)
    orders: dict[str, tuple[str, str, float]] = field(default_factory=dict)
    outcomes: dict[str, int] = field(default_factory=dict)
    #: transfer id -> when its execution was acknowledged committed
    transfers: dict[str, float] = field(default_factory=dict)

    def count(self, what: str) -> None:
        self.outcomes[what] = self.outcomes.get(what, 0) + 1

    async def send(
        self,
        client: httpx.AsyncClient,
        signer: Signer,
        path: str,
        message: dict[str, Any],
        step: Step,
    ) -> tuple[int, dict[str, Any]]:
        """Send until answered (no 5xx, no broken connection), with the same message id.

        Once the load has stopped, no new step is begun (`Stopped`); one already
        sent is still sent again until answered.
        """
        if time.monotonic() >= self.stop_at:
            raise Stopped
        body = encode_json(request_envelope(message, message_id=new_id("msg")))
        self.steps.append(step)
        while True:
            created = int(time.time())
            headers = {
                "content-type": "application/json",
                "authorization": signer.for_request("POST", path, body, created, created + 300),
            }
            try:
                response = await client.post(path, content=body, headers=headers)
                if response.status_code < 500:
                    step.answered, step.status = time.monotonic(), response.status_code
                    answer: dict[str, Any] = response.json()
                    return response.status_code, answer
                self.count(f"{step.name} {response.status_code}: sent again")
            except httpx.HTTPError as exc:
                self.count(f"{step.name} {type(exc).__name__}: sent again")
            step.retries += 1
            if time.monotonic() > self.stop_at + 60:
                return 0, {}
            await asyncio.sleep(0.25)

    async def order(self, client: httpx.AsyncClient, n: int, tag: str, rng: random.Random) -> None:
        signers = self.shop.signers
        who = rng.randrange(self.buyers)
        message = {
            "buyer": tag,
            "merchant": JD_BEAUTY,
            "lines": [{"sku_id": SERUM, "quantity": 1, "unit_price": PRICES[SERUM]}],
            "wallet": ALIPAY,
            "payer": account(who),
            "carrier": JDL,
            "destination": {"area_code": BEIJING, "address": {"name": tag, "street": "-"}},
            "storefront_id": self.shop.storefront,
        }

        def step(name: str) -> Step:
            return Step(n, name, time.monotonic())

        status, body = await self.send(
            client, signers[DOUYIN], "/v1/orders", message, step("create")
        )
        if status != 201:
            return self.count(f"create {status}")
        order_id = body["order"]["id"]
        self.orders[tag] = (order_id, "create", time.monotonic())
        plan: list[tuple[str, Signer, str, dict[str, Any], int]] = [
            ("pay", signers[DOUYIN], f"/v1/orders/{order_id}/pay", {}, 200),
            (
                "ship",
                signers[JD_BEAUTY],
                f"/v1/orders/{order_id}/ship",
                {"origin": HANGZHOU, "weight_g": 500},
                200,
            ),
        ]
        for name, signer, path, payload, expected in plan:
            status, body = await self.send(client, signer, path, payload, step(name))
            if status != expected:
                return self.count(f"{name} {status}: {str(body)[:120]}")
            self.orders[tag] = (order_id, name, time.monotonic())
        number = body["shipment"]["tracking_number"]
        picked = datetime.now(UTC) - timedelta(seconds=1)
        for name, code, when in (
            ("picked_up", "20", picked),
            ("delivered", "60", picked + timedelta(milliseconds=500)),
        ):
            payload = tracking_payload(JDL, number, code, "", when, new_id("ev"))
            status, body = await self.send(
                client, signers[JDL], "/v1/tracking", payload, step(name)
            )
            if status != 200 or not body.get("applied"):
                return self.count(f"{name} {status}: {str(body)[:120]}")
            self.orders[tag] = (order_id, name, time.monotonic())
        path = f"/v1/orders/{order_id}/confirm"
        status, body = await self.send(client, signers[DOUYIN], path, {}, step("confirm"))
        if status != 200 or body["order"]["state"] != "completed":
            return self.count(f"confirm {status}: {str(body)[:120]}")
        self.orders[tag] = (order_id, "confirm", time.monotonic())
        self.count("completed")

    async def transfer(self, client: httpx.AsyncClient, n: int, rng: random.Random) -> None:
        """Alipay user to WeChat Pay user: look the payee up, quote, execute."""
        signer = self.shop.signers[ALIPAY]
        payee = phone(WECHATPAY, rng.randrange(self.buyers))
        lookup = {"kind": "phone", "value": payee}
        status, body = await self.send(
            client, signer, "/v1/aliases/lookup", lookup, Step(n, "lookup", time.monotonic())
        )
        if status != 200:
            return self.count(f"lookup {status}: {str(body)[:120]}")
        quote = {
            "payer": account(rng.randrange(self.buyers)),
            "payee_token": body["entries"][0]["payee_token"],
            "amount": rng.randrange(100, 100_000),
        }
        step = Step(n, "quote", time.monotonic())
        status, body = await self.send(client, signer, "/v1/transfers/quote", quote, step)
        if status != 201:
            return self.count(f"quote {status}: {str(body)[:120]}")
        transfer_id = body["transfer"]["id"]
        path = f"/v1/transfers/{transfer_id}/execute"
        step = Step(n, "execute", time.monotonic())
        status, body = await self.send(client, signer, path, {}, step)
        if status != 200 or body["transfer"]["state"] != "committed":
            return self.count(f"execute {status}: {str(body)[:120]}")
        self.transfers[transfer_id] = time.monotonic()
        self.count("transfer committed")

    async def client(self, number: int, interval: float, run: str) -> None:
        rng = random.Random(number)
        limits = httpx.Limits(max_connections=4, max_keepalive_connections=4)
        async with httpx.AsyncClient(
            base_url=self.cluster.url, timeout=60, limits=limits
        ) as client:
            n = 0
            while time.monotonic() < self.stop_at:
                started = time.monotonic()
                n += 1
                try:
                    await self.order(client, n, f"f-{run}-{number}-{n}", rng)
                    await self.transfer(client, n, rng)
                except Stopped:
                    return
                await asyncio.sleep(max(0.0, interval - (time.monotonic() - started)))


# -- setup ------------------------------------------------------------------------------------


def join(cluster: Cluster, desks: dict[str, Desk], endpoints: Endpoints) -> dict[str, Signer]:
    signers = {desk.participant: desk.signer for desk in desks.values()}
    entries = [(d.participant, d.role, d.callback_url, d.public_key) for d in desks.values()]
    for participant, role in ((DOUYIN, "platform"), (JD_BEAUTY, "merchant")):
        pair = new_key_pair()
        signers[participant] = Signer(participant, "k1", pair.private_key)
        entries.append((participant, role, endpoints.url(participant), pair.public_key))
    headers = {"authorization": f"Bearer {OPERATOR}"}
    with httpx.Client(base_url=cluster.url, headers=headers, timeout=30) as operator:
        enrol(operator, entries)
        response = operator.put(
            f"/operator/merchants/{JD_BEAUTY}/profile", json={"home_platform": "jd.example"}
        )
        if response.status_code != 200:
            raise SystemExit(f"merchant profile: {response.status_code} {response.text}")
    return signers


# -- faults -----------------------------------------------------------------------------------


@dataclass
class Window:
    fault: str
    started: float
    ended: float = 0.0
    notes: dict[str, Any] = field(default_factory=dict)
    #: after a failover: the wait for the old primary to be back in sync as
    #: standby, which goes on during the next fault (one that does not touch
    #: the database) and is awaited before one that does
    resync: asyncio.Task[bool] | None = None


def cut_network(cluster: Cluster, seconds: float) -> str:
    """Cut the switch tier off the database for `seconds`: how it was done.

    A real cut (`cluster.sh cut-db`: an nftables rule dropping the switch
    processes' packets to the database) where it can be had (root, nft);
    otherwise (cut-db exits 3) the primary's PostgreSQL frozen with SIGSTOP.
    """
    done = subprocess.run(
        ["bash", str(CLUSTER), "cut-db", f"{seconds:g}"],
        env=cluster.env(),
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=False,
    )
    if done.returncode == 0:
        return "nftables"
    if done.returncode != 3:
        raise RuntimeError(f"cluster.sh cut-db: {done.stderr[-2000:]}")
    cluster.run("freeze-primary", f"{seconds:g}", timeout=seconds + 60)
    return "sigstop"


async def settle(windows: list[Window]) -> None:
    """Wait for every standby still resyncing after an earlier failover."""
    for window in windows:
        if window.resync is not None:
            window.notes["standby_back_in_sync"] = await window.resync
            window.resync = None


async def inject(
    fault: str, cluster: Cluster, endpoints: Endpoints, seconds: float, cut: float
) -> Window:
    window = Window(fault, time.monotonic())
    if fault == "worker":
        await asyncio.to_thread(cluster.run, "kill-worker", "2")
    elif fault == "primary":
        killed = (await asyncio.to_thread(cluster.run, "kill-primary")).strip()
        promoted = time.monotonic()
        while not (await asyncio.to_thread(cluster.succeeds, "primary"))[0]:
            await asyncio.sleep(0.2)
            if time.monotonic() - promoted > 60:
                break
        window.notes["promoted_after_s"] = round(time.monotonic() - promoted, 1)
        window.notes["killed"] = killed
        await asyncio.to_thread(cluster.run, "rejoin")
    elif fault == "callback":
        endpoints.down.add(JD_BEAUTY)
        before = {p: len(endpoints.arrivals.get(p, [])) for p in (DOUYIN, JD_BEAUTY)}
        await asyncio.sleep(seconds)
        endpoints.down.discard(JD_BEAUTY)
        window.notes["received_while_down"] = {
            p: len(endpoints.arrivals.get(p, [])) - before[p] for p in (DOUYIN, JD_BEAUTY)
        }
    elif fault == "network":
        window.notes["cut_s"] = cut
        window.notes["cut_by"] = await asyncio.to_thread(cut_network, cluster, cut)
    remaining = seconds - (time.monotonic() - window.started)
    if remaining > 0:
        await asyncio.sleep(remaining)
    window.ended = time.monotonic()
    if fault == "primary":
        window.resync = asyncio.create_task(cluster.wait_in_sync(90))
    elif fault == "network":
        window.notes["standby_back_in_sync"] = await cluster.wait_in_sync(90)
    return window


# -- the check --------------------------------------------------------------------------------


def database_view(cluster: Cluster, run: str) -> dict[str, Any]:
    from sqlalchemy import create_engine, text

    from hutong.store.db import sync_url

    engine = create_engine(sync_url(cluster.database_url))
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT buyer, id, state, carrier_booked FROM orders WHERE buyer LIKE :tag"),
                {"tag": f"f-{run}-%"},
            ).all()
            doubled_ledger = conn.execute(
                text(
                    "SELECT count(*) FROM (SELECT id FROM ledger_transfers GROUP BY id"
                    " HAVING count(*) > 1) AS d"
                )
            ).scalar_one()
            transfers = conn.execute(
                text("SELECT id, state, payer_fee, payee_fee FROM transfers")
            ).all()
            legs: dict[str, int] = dict(
                conn.execute(
                    text("SELECT reference, count(*) FROM ledger_transfers GROUP BY reference")
                ).all()
            )
            outbox = conn.execute(
                text("SELECT recipient, status, event_id FROM outbox WHERE recipient IN (:a, :b)"),
                {"a": DOUYIN, "b": JD_BEAUTY},
            ).all()
    finally:
        engine.dispose()
    by_buyer: dict[str, list[tuple[str, set[str]]]] = {}
    for buyer, order_id, state, booked in rows:
        by_buyer.setdefault(buyer, []).append((order_id, shown(state, bool(booked))))
    # A committed transfer posts its amount and each non-zero fee: more is a
    # double, fewer a loss (it is then not counted as committed).
    expected = {
        r.id: 1 + int(r.payer_fee > 0) + int(r.payee_fee > 0)
        for r in transfers
        if r.state == "committed"
    }
    committed = {t for t, n in expected.items() if int(legs.get(t, 0)) >= n}
    doubled_transfers = {t for t, n in expected.items() if int(legs.get(t, 0)) > n}
    return {
        "orders": by_buyer,
        "doubled_ledger": int(doubled_ledger),
        "outbox": outbox,
        "committed_transfers": committed,
        "doubled_transfers": doubled_transfers,
    }


def shown(state: str, carrier_booked: bool) -> set[str]:
    """What the database shows of an order, in `AFTER`'s terms."""
    return {state, BOOKED} if carrier_booked else {state}


def pending_events(cluster: Cluster) -> int:
    from sqlalchemy import create_engine, text

    from hutong.store.db import sync_url

    engine = create_engine(sync_url(cluster.database_url))
    try:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    text(
                        "SELECT count(*) FROM outbox WHERE status = 'pending'"
                        " AND recipient IN (:a, :b)"
                    ),
                    {"a": DOUYIN, "b": JD_BEAUTY},
                ).scalar_one()
            )
    finally:
        engine.dispose()


def ledger_check(cluster: Cluster) -> tuple[bool, str]:
    """`hutong ledger check` (its function, run here rather than in a new process)."""
    from sqlalchemy.ext.asyncio import create_async_engine

    from hutong.ledger.check import check_ledger

    async def run() -> tuple[bool, str]:
        engine = create_async_engine(cluster.database_url)
        try:
            async with engine.connect() as conn:
                report = await check_ledger(conn)
        finally:
            await engine.dispose()
        if report.ok:
            return True, f"ledger ok: {report.accounts} accounts, {report.transfers} transfers"
        return False, "; ".join(report.problems)[:300]

    return asyncio.run(run())


def judge(
    load: Load,
    windows: list[Window],
    view: dict[str, Any],
    ledger: tuple[bool, str],
    endpoints: Endpoints,
) -> list[dict[str, Any]]:
    stored = view["orders"]
    # Per order: what was acknowledged, and whether the database keeps it.
    lost_tags: dict[str, float] = {}
    for tag, (order_id, last, acknowledged) in load.orders.items():
        kept = stored.get(tag, [])
        facts = [facts for oid, facts in kept if oid == order_id]
        wanted = AFTER[last]
        if not facts or (wanted is not None and not facts[0] & wanted):
            lost_tags[tag] = acknowledged
    for transfer_id, acknowledged in load.transfers.items():
        if transfer_id not in view["committed_transfers"]:
            lost_tags[transfer_id] = acknowledged
    doubled_tags = {tag for tag, kept in stored.items() if len(kept) > 1}
    doubled_tags |= view["doubled_transfers"]
    delivered = {(r, e) for r, status, e in view["outbox"] if status == "delivered"}
    undelivered = [(r, e) for r, status, e in view["outbox"] if status != "delivered"]
    unreceived = [(r, e) for r, e in delivered if e not in endpoints.received.get(r, set())]
    events_ok = not undelivered and not unreceived
    rows = []
    for window in windows:
        lo, hi = window.started - LEAD_IN, window.ended
        in_window = [s for s in load.steps if lo <= s.first_sent <= hi]
        stall = max(
            ((s.answered or time.monotonic()) - s.first_sent for s in in_window), default=0.0
        )
        rows.append(
            {
                "fault": window.fault,
                "steps_in_window": len(in_window),
                "retried_steps": sum(1 for s in in_window if s.retries),
                "unanswered_steps": sum(1 for s in in_window if s.answered is None),
                "acknowledged_lost": sum(1 for t in lost_tags.values() if lo <= t <= hi + 5),
                "duplicated": len(doubled_tags) + view["doubled_ledger"],
                "ledger_check_ok": ledger[0],
                "events_delivered_after_recovery": events_ok,
                "longest_stall_s": round(stall, 2),
                **window.notes,
            }
        )
    summary = {
        "orders_acknowledged": len(load.orders),
        "transfers_acknowledged_committed": len(load.transfers),
        "lost": len(lost_tags),
        "lost_orders": sorted(lost_tags)[:20],
        "duplicated": sorted(doubled_tags)[:20],
        "doubled_ledger_transfers": view["doubled_ledger"],
        "events": {
            "stored": len(view["outbox"]),
            "delivered": len(delivered),
            "undelivered": len(undelivered),
            "delivered_not_received": len(unreceived),
        },
        "ledger_check": ledger[1],
        "outcomes": dict(sorted(load.outcomes.items())),
    }
    return [*rows, {"summary": summary}]


# -- the run ----------------------------------------------------------------------------------


async def drive(args: argparse.Namespace, cluster: Cluster) -> list[dict[str, Any]]:
    run = new_id("r")[-6:]
    began = time.monotonic()
    endpoints = Endpoints(next(free_ports(range(cluster.base + 45, cluster.base + 50), set())))
    server = await endpoints.start()
    known = httpx.get(f"{cluster.url}/.well-known/hutong.json", timeout=10).json()
    ports = free_ports(range(cluster.base + 30, cluster.base + 50), skip={endpoints.port})
    specs = desk_configs(64, 10**6)
    specs[WECHATPAY] = ("wallet", "wallets", {"balances": {account(n): 10**13 for n in range(64)}})
    with reference_processes(
        known["signing_public_key"], known["subscriber_id"], specs, ports
    ) as desks:
        signers = await asyncio.to_thread(join, cluster, desks, endpoints)
        facade = Server(
            cluster.url,
            "127.0.0.1",
            cluster.base + 20,
            None,  # type: ignore[arg-type]
            cluster.database_url,
            Path("/dev/null"),
        )
        shop = await open_shop(facade, signers, 10**6)
        # After the shop: each wallet's profile (order, pay-for-me and transfer fees),
        # then the phone numbers of 64 users each.
        await publish(facade, {w: signers[w] for w in (ALIPAY, WECHATPAY)}, 64)
        faults = [f for f in args.faults.split(",") if f]
        total = args.seconds * (len(faults) + 1) + 120 * ("primary" in faults)
        load = Load(cluster, shop, 64, time.monotonic() + total)
        interval = args.clients / args.rate
        clients = [asyncio.create_task(load.client(n, interval, run)) for n in range(args.clients)]
        windows: list[Window] = []
        await asyncio.sleep(args.seconds / 2)
        for fault in faults:
            if fault in ("primary", "network"):
                await settle(windows)  # a database fault starts from a standby in sync
            log(f"fault: {fault}")
            windows.append(await inject(fault, cluster, endpoints, args.seconds, args.cut_seconds))
            log(f"fault {fault} over: {windows[-1].notes}")
            await asyncio.sleep(args.seconds / 2)
        load.stop_at = time.monotonic()
        log("load stopping; waiting for the clients' last orders")
        await asyncio.gather(*clients)
        await settle(windows)
        log("clients done; waiting for the outbox to drain")
        deadline = time.monotonic() + 90
        while (
            time.monotonic() < deadline and (await asyncio.to_thread(pending_events, cluster)) > 0
        ):
            await asyncio.sleep(0.5)
        await asyncio.sleep(1)  # the last answers reach the endpoints
        log("outbox drained; comparing acknowledgements with the database")
        view = await asyncio.to_thread(database_view, cluster, run)
        ledger = await asyncio.to_thread(ledger_check, cluster)
        log("checked")
    await endpoints.close(server)
    rows = judge(load, windows, view, ledger, endpoints)
    rows[-1]["summary"]["events_received_per_5s"] = endpoints.timeline(began)
    rows[-1]["summary"]["windows_s"] = {
        w.fault: [round(w.started - began, 1), round(w.ended - began, 1)] for w in windows
    }
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    head = ("fault", "steps", "retried", "lost", "duplicated", "ledger", "events", "stall s")
    lines = ["  ".join(f"{h:>10}" for h in head)]
    for row in rows:
        if "fault" not in row:
            continue
        lines.append(
            "  ".join(
                f"{v:>10}"
                for v in (
                    row["fault"],
                    row["steps_in_window"],
                    row["retried_steps"],
                    row["acknowledged_lost"],
                    row["duplicated"],
                    "ok" if row["ledger_check_ok"] else "BROKEN",
                    "all" if row["events_delivered_after_recovery"] else "MISSING",
                    row["longest_stall_s"],
                )
            )
        )
    return "\n".join(lines)


def passed(rows: list[dict[str, Any]]) -> bool:
    faults = [r for r in rows if "fault" in r]
    summary = rows[-1]["summary"]
    return bool(faults) and all(
        r["acknowledged_lost"] == 0
        and r["duplicated"] == 0
        and not summary["lost"]
        and r["ledger_check_ok"]
        and r["events_delivered_after_recovery"]
        and r["unanswered_steps"] == 0
        for r in faults
    )


def free_ports(candidates: range, skip: set[int]) -> Iterator[int]:
    """The ports of `candidates` nothing is bound to now (a client's ephemeral port may be)."""
    for port in candidates:
        if port in skip:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        yield port


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each fault window")
    parser.add_argument("--rate", type=float, default=3.0, help="orders a second, all clients")
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument(
        "--cut-seconds", type=float, default=10.0, help="how long the network fault lasts"
    )
    parser.add_argument("--faults", default=",".join(FAULTS))
    parser.add_argument("--port-base", type=int, default=26000)
    parser.add_argument("--dir", default="/tmp/hutong-cluster-faults")
    parser.add_argument("--keep", action="store_true", help="leave the cluster up afterwards")
    parser.add_argument("--results", default="faults", help="name of the results file")
    args = parser.parse_args(argv)
    unknown = set(args.faults.split(",")) - set(FAULTS)
    if unknown or not 26000 <= args.port_base <= 26050:
        parser.error(f"unknown faults {unknown} or port base outside 26000-26050")
    cluster = Cluster(args.dir, args.port_base)
    started = time.monotonic()
    log(f"cluster up in {cluster.directory}")
    cluster.up(keep=args.keep)
    try:
        rows = asyncio.run(drive(args, cluster))
    finally:
        if not args.keep:
            cluster.run("down", timeout=120)
            log("cluster down")
    print(table(rows))
    ok = passed(rows)
    primary = [r for r in rows if r.get("fault") == "primary"]
    payload = {
        "passed": ok,
        "seconds": round(time.monotonic() - started, 1),
        "failover_stall_aim_s": FAILOVER_STALL_AIM,
        "rows": rows,
        "settings": vars(args),
    }
    if primary:
        print(
            f"primary failover: clients stalled at most {primary[0]['longest_stall_s']} s"
            f" (aim < {FAILOVER_STALL_AIM} s)"
        )
    path = write_results(args.results, payload)
    print(f"{'PASSED' if ok else 'FAILED'}; written to {path}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
