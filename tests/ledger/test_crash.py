"""The ledger survives `kill -9`: an acknowledged transfer is durable, a refused one never lands.

`hutong serve` runs as a real process. Several clients submit transfers
(deposits that succeed; debits, some of which must be refused for exceeding
the user's credits) while the server is killed with SIGKILL three times and
restarted on the same port and database. A client whose call failed or went
unanswered retries it with the same transfer ids. At the end, the stored
transfers are exactly those the clients saw acknowledged (`ok` or `exists`),
every account's totals equal the sums of those transfers, and
`hutong ledger check`, run as its own process, exits 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import socket
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from hutong.store.db import Database
from hutong.store.tables import ledger_accounts, ledger_transfers
from tests.harness.switch import OPERATOR_TOKEN

pytestmark = pytest.mark.slow

HUTONG = str(Path(sys.executable).parent / "hutong")
USERS = [f"user-{n:02d}" for n in range(20)]
WORKERS = 8
KILLS = 3
#: Longest a client keeps retrying one call (the server restarts in between).
RETRY_FOR = 30.0
SUCCEEDED = ("ok", "exists")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """`hutong serve` as a subprocess, restartable on the same port and database."""

    def __init__(self, database_url: str, data_dir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = data_dir / "server.log"
        self.env = {
            **os.environ,
            "HUTONG_DATABASE_URL": database_url,
            "HUTONG_DATA_DIR": str(data_dir),
            "HUTONG_OPERATOR_TOKEN": OPERATOR_TOKEN,
            "HUTONG_RUN_DELIVERY": "0",
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    async def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [HUTONG, "serve", "--port", str(self.port), "--log-level", "warning"],
                env=self.env,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        self.starts += 1
        deadline = time.monotonic() + 30
        async with httpx.AsyncClient(base_url=self.url, timeout=1) as http:
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(f"hutong serve exited: {self.log.read_text()[-2000:]}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get("/healthz")).status_code == 200:
                        return
                if time.monotonic() > deadline:
                    raise RuntimeError("hutong serve did not start in 30 s")
                await asyncio.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: no shutdown hook runs, in-flight requests die with the process."""
        assert self.process is not None
        self.process.kill()
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


@dataclass
class Planned:
    id: str
    debit: str
    credit: str
    amount: int
    linked: bool = False

    def body(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "debit_account_id": self.debit,
            "credit_account_id": self.credit,
            "amount": self.amount,
            "asset": "CNY",
            "code": "deposit" if self.debit == "bank" else "payment",
            "flags": ["linked"] if self.linked else [],
        }


@dataclass
class Load:
    """What the clients sent and what they were finally told, per transfer id."""

    planned: dict[str, Planned] = field(default_factory=dict)
    results: dict[str, str] = field(default_factory=dict)
    calls: int = 0
    retries: int = 0
    retried_results: Counter[str] = field(default_factory=Counter)


def next_call(rng: random.Random, worker: int, n: int) -> list[Planned]:
    """One call: a deposit, a debit (often far too big), or a linked payment with a fee."""
    user = rng.choice(USERS)
    prefix = f"w{worker}-{n}"
    kind = rng.random()
    if kind < 0.45:
        return [Planned(f"{prefix}-dep", "bank", user, rng.randint(1, 100))]
    if kind < 0.8:
        amount = rng.choice([10**9, rng.randint(1, 150)])  # 10**9 always exceeds the credits
        return [Planned(f"{prefix}-out", user, "shop", amount)]
    return [
        Planned(f"{prefix}-pay", user, "shop", rng.randint(1, 120), linked=True),
        Planned(f"{prefix}-fee", user, "bank", rng.randint(1, 5)),
    ]


async def call_until_answered(
    http: httpx.AsyncClient, transfers: list[Planned], load: Load
) -> list[str]:
    """POST the batch; on a dead connection or a server error, retry the same ids."""
    body = {"transfers": [t.body() for t in transfers]}
    deadline = time.monotonic() + RETRY_FOR
    attempt = 0
    while True:
        attempt += 1
        try:
            response = await http.post("/operator/ledger/transfers", json=body)
        except httpx.TransportError:
            response = None
        if response is not None and response.status_code == 200:
            results = [item["result"] for item in response.json()["results"]]
            assert [item["id"] for item in response.json()["results"]] == [t.id for t in transfers]
            if attempt > 1:
                load.retries += 1
                load.retried_results.update(results)
            return results
        assert response is None or response.status_code >= 500, response.text
        if time.monotonic() > deadline:
            raise AssertionError(f"no answer for {[t.id for t in transfers]} in {RETRY_FOR} s")
        await asyncio.sleep(0.05)


async def worker(
    server: Server, worker_id: int, stop: asyncio.Event, load: Load, seed: int
) -> None:
    rng = random.Random(seed * 100 + worker_id)
    headers = {"authorization": f"Bearer {OPERATOR_TOKEN}"}
    async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=5) as http:
        n = 0
        while not stop.is_set():
            transfers = next_call(rng, worker_id, n)
            n += 1
            for t in transfers:
                load.planned[t.id] = t
            results = await call_until_answered(http, transfers, load)
            load.calls += 1
            for t, result in zip(transfers, results, strict=True):
                load.results[t.id] = result


async def killer(server: Server, stop: asyncio.Event, rng: random.Random) -> None:
    for _ in range(KILLS):
        await asyncio.sleep(rng.uniform(0.3, 0.8))
        server.kill()
        await server.start()
    await asyncio.sleep(0.5)  # some load on the last incarnation too
    stop.set()


async def create_accounts(server: Server) -> None:
    accounts = [
        {"id": "bank", "owner": "switch.example", "asset": "CNY", "kind": "funding"},
        {"id": "shop", "owner": "shop.example", "asset": "CNY", "kind": "merchant_receivable"},
    ] + [
        {
            "id": user,
            "owner": f"{user}.example",
            "asset": "CNY",
            "kind": "user_balance",
            "debits_must_not_exceed_credits": True,
        }
        for user in USERS
    ]
    headers = {"authorization": f"Bearer {OPERATOR_TOKEN}"}
    async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=10) as http:
        response = await http.post("/operator/ledger/accounts", json={"accounts": accounts})
        assert response.status_code == 200, response.text
        assert response.json()["ok"] is True, response.text


async def stored_state(
    database_url: str,
) -> tuple[Counter[str], dict[str, tuple[int, int, int, int]]]:
    db = Database(database_url)
    try:
        async with db.read() as conn:
            ids = Counter(
                row.id for row in (await conn.execute(select(ledger_transfers.c.id))).all()
            )
            count = await conn.scalar(select(func.count()).select_from(ledger_transfers))
            assert count == sum(ids.values())
            accounts = {
                row.id: (
                    row.debits_pending,
                    row.debits_posted,
                    row.credits_pending,
                    row.credits_posted,
                )
                for row in (await conn.execute(select(ledger_accounts))).all()
            }
    finally:
        await db.dispose()
    return ids, accounts


async def test_acknowledged_transfers_survive_sigkill(database_url: str, tmp_path: Path) -> None:
    seed = random.randrange(1_000_000)
    rng = random.Random(seed)
    server = Server(database_url, tmp_path)
    load = Load()
    try:
        await server.start()
        await create_accounts(server)
        stop = asyncio.Event()
        started = time.monotonic()
        await asyncio.gather(
            killer(server, stop, rng),
            *(worker(server, w, stop, load, seed) for w in range(WORKERS)),
        )
        elapsed = time.monotonic() - started
    finally:
        server.stop()
    context = (
        f"seed {seed}: {load.calls} calls, {len(load.results)} transfers, "
        f"{load.retries} retried calls ({dict(load.retried_results)}), "
        f"{server.starts} starts, {elapsed:.1f} s"
    )
    assert server.starts == KILLS + 1, context
    assert load.retries >= 1, f"no call was caught by a kill: {context}"
    assert set(load.results) == set(load.planned), context

    acknowledged = {key for key, result in load.results.items() if result in SUCCEEDED}
    refused = set(load.results) - acknowledged
    outcomes = Counter(load.results.values())
    # The mix did what it was meant to: money moved, and overdrafts were refused.
    assert outcomes["ok"] > 0 and outcomes["exceeds_credits"] > 0, (outcomes, context)

    stored, accounts = await stored_state(database_url)
    assert all(count == 1 for count in stored.values()), context
    assert acknowledged - set(stored) == set(), f"acknowledged but lost: {context}"
    assert refused & set(stored) == set(), f"refused but stored: {context}"
    assert set(stored) == acknowledged, f"stored but never acknowledged: {context}"

    # Every total is exactly the sum of the acknowledged transfers.
    expected = {key: [0, 0, 0, 0] for key in accounts}
    for transfer_id in acknowledged:
        t = load.planned[transfer_id]
        expected[t.debit][1] += t.amount
        expected[t.credit][3] += t.amount
    assert {key: tuple(v) for key, v in expected.items()} == accounts, context
    for user in USERS:
        _, debits_posted, _, credits_posted = accounts[user]
        assert debits_posted <= credits_posted, f"{user} overdrawn: {context}"

    check = subprocess.run(
        [HUTONG, "ledger", "check"],
        env={**server.env, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert f"{len(accounts)} accounts, {len(acknowledged)} transfers" in check.stdout, check.stdout
