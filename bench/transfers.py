"""Wallet-to-wallet transfers per second, end to end, against the signed-request baseline.

In one run, per database, on one `hutong serve` (one worker, delivery loop off):

    setup     two wallets, alipay.example and wechatpay.example, each a reference
              wallet in its OWN process (`python -m hutong.world.reference_server`),
              each with `--users` users (large balances) whose phone numbers the
              wallet publishes in the switch's alias directory; both declare a
              transfer fee (Alipay 10 bp on top, WeChat Pay 1 yuan taken from
              what arrives). The operator registers them with their processes'
              callback URLs.
    transfers `--senders` concurrent senders, half at each wallet, each on its own
              keep-alive connection, each doing whole transfers one after the
              other: look the payee's phone number up (POST /v1/aliases/lookup),
              quote to the payee token it answers (POST /v1/transfers/quote), execute (POST
              /v1/transfers/{id}/execute: the switch asks the payer's wallet
              process to reserve and the payee's to confirm, then commits both
              sides in the ledger and enqueues an event to each wallet). Every
              request is signed by its wallet as it is sent (the payee and the
              quote are not known in advance), over loopback.
    signed    the foundation's baseline, as bench/signed_requests.py (POST
              /v1/ping, pre-signed by 16 platforms), `--senders` connections.

Phases alternate (signed, transfers, signed, transfers...), the best of each
is kept. Afterwards the switch's database must agree with what was answered:
every transfer answered ``committed`` is committed, each has its ledger legs
(the amount and each non-zero fee, posted at once), and `hutong ledger check`
passes. CPU seconds of each process (switch, the two wallet processes, this
load generator, PostgreSQL's processes) are read from /proc around the measured
transfer phases: a rough profile of where the time goes.

    .venv/bin/python -m bench.transfers [--users N] [--transfers N] [--senders C]
        [--pings N] [--rounds R] [--database sqlite|postgres|both]
        [--profile /tmp/transfers_spy.txt]

`--profile PATH` adds one transfer phase after the measured ones, not counted,
during which `py-spy record -d 5 -f raw` samples the switch into PATH (one
file per database: PATH's stem gets `-sqlite` / `-postgres`).

PostgreSQL is used when HUTONG_TEST_POSTGRES_URL is set (its tables are
emptied first). Results go to bench/results/transfers.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench._harness import (
    OPERATOR_TOKEN,
    PhaseResult,
    Server,
    as_dict,
    enrol,
    http_request,
    hutong_server,
    read_response,
    reset_postgres,
    run_on_databases,
    run_phase,
)
from bench._reference import Desk, DeskSpec, reference_processes
from bench._switch_metrics import scrape, waits
from bench.signed_requests import build_requests, register
from hutong.client import encode_json
from hutong.protocol.envelope import request_envelope
from hutong.protocol.ids import new_id
from hutong.protocol.signing import Signer

ALIPAY, WECHATPAY = "alipay.example", "wechatpay.example"
WALLETS = (ALIPAY, WECHATPAY)
#: Declared transfer fees: (bps, fixed fen).
FEES = {ALIPAY: (10, 0), WECHATPAY: (0, 100)}
#: Phone prefixes of each wallet's users: 138 0000 nnnn at Alipay, 139 0000 nnnn at WeChat Pay.
PREFIX = {ALIPAY: "1380000", WECHATPAY: "1390000"}
BALANCE = 10**12
WARMUP = 60


def phone(wallet: str, user: int) -> str:
    return f"{PREFIX[wallet]}{user:04d}"


def account(user: int) -> str:
    return f"u-{user}"


# -- wallet processes ---------------------------------------------------------------------


def wallet_specs(users: int) -> dict[str, DeskSpec]:
    """Each wallet, its own process, with `users` users of large balances."""
    entry = {"balances": {account(n): BALANCE for n in range(users)}}
    return {wallet: ("wallet", "wallets", entry) for wallet in WALLETS}


# -- the switch ---------------------------------------------------------------------------


# -- a lean signed client -----------------------------------------------------------------


class Connection:
    """One keep-alive connection to the switch; each request signed by `signer` as it is sent."""

    def __init__(self, server: Server, signer: Signer) -> None:
        self.server = server
        self.signer = signer
        self.host = f"{server.host}:{server.port}"
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def __aenter__(self) -> Connection:
        self.reader, self.writer = await asyncio.open_connection(self.server.host, self.server.port)
        return self

    async def __aexit__(self, *_: object) -> None:
        if self.writer is not None:
            self.writer.close()

    async def post(self, path: str, message: dict[str, Any]) -> tuple[int, bytes]:
        assert self.reader is not None and self.writer is not None
        body = encode_json(request_envelope(message, message_id=new_id("msg")))
        created = int(time.time())
        headers = {
            "content-type": "application/json",
            "authorization": self.signer.for_request("POST", path, body, created, created + 300),
        }
        self.writer.write(http_request("POST", path, self.host, body, headers))
        return await read_response(self.reader)


@dataclass
class Tally:
    """What the senders saw: latencies by step (seconds), outcomes, committed transfer ids."""

    steps: dict[str, list[float]] = field(
        default_factory=lambda: {"lookup": [], "quote": [], "execute": [], "transfer": []}
    )
    outcomes: dict[str, int] = field(default_factory=dict)
    committed: list[str] = field(default_factory=list)

    def count(self, outcome: str) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1


async def one_transfer(
    conn: Connection, payer_wallet: str, users: int, rng: random.Random, tally: Tally
) -> None:
    payee_wallet = WECHATPAY if payer_wallet == ALIPAY else ALIPAY
    payee = phone(payee_wallet, rng.randrange(users))
    started = time.perf_counter()
    status, body = await conn.post("/v1/aliases/lookup", {"kind": "phone", "value": payee})
    looked = time.perf_counter()
    if status != 200:
        tally.count(f"lookup {status}")
        return
    (entry,) = json.loads(body)["entries"]
    status, body = await conn.post(
        "/v1/transfers/quote",
        {
            "payer": account(rng.randrange(users)),
            "payee_token": entry["payee_token"],
            "amount": rng.randrange(100, 100_000),
        },
    )
    quoted = time.perf_counter()
    if status != 201:
        tally.count(f"quote {status}: {body[:120]!r}")
        return
    transfer = json.loads(body)["transfer"]
    status, body = await conn.post(f"/v1/transfers/{transfer['id']}/execute", {})
    done = time.perf_counter()
    if status != 200:
        tally.count(f"execute {status}: {body[:120]!r}")
        return
    state = json.loads(body)["transfer"]["state"]
    tally.count(state)
    if state == "committed":
        tally.committed.append(transfer["id"])
    tally.steps["lookup"].append(looked - started)
    tally.steps["quote"].append(quoted - looked)
    tally.steps["execute"].append(done - quoted)
    tally.steps["transfer"].append(done - started)


def transfer_phase(
    server: Server, signers: dict[str, Signer], users: int, transfers: int, senders: int
) -> tuple[dict[str, Any], Tally]:
    """`transfers` whole transfers by `senders` concurrent senders, half at each wallet."""
    tally = Tally()
    share = [transfers // senders + (1 if n < transfers % senders else 0) for n in range(senders)]

    async def sender(n: int) -> None:
        wallet = WALLETS[n % 2]
        rng = random.Random(n * 7919 + transfers)
        async with Connection(server, signers[wallet]) as conn:
            for _ in range(share[n]):
                await one_transfer(conn, wallet, users, rng, tally)

    async def main() -> float:
        started = time.perf_counter()
        await asyncio.gather(*(sender(n) for n in range(senders)))
        return time.perf_counter() - started

    seconds = asyncio.run(main())
    committed = len(tally.committed)

    def quantiles(values: list[float]) -> dict[str, float]:
        if not values:
            return {"p50_ms": 0.0, "p99_ms": 0.0}
        ordered = sorted(values)
        return {
            "p50_ms": round(statistics.median(ordered) * 1000, 2),
            "p99_ms": round(ordered[max(int(len(ordered) * 0.99) - 1, 0)] * 1000, 2),
        }

    result = {
        "transfers": transfers,
        "committed": committed,
        "seconds": round(seconds, 3),
        "rate": round(committed / seconds, 1),
        "requests_per_second": round(3 * committed / seconds, 1),
        "latency": {step: quantiles(values) for step, values in tally.steps.items()},
        "outcomes": dict(sorted(tally.outcomes.items())),
    }
    return result, tally


# -- CPU accounting -----------------------------------------------------------------------

_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of a process and its live children (`hutong serve --workers N`)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    return cpu_seconds(pid) + sum(tree_cpu_seconds(int(child)) for child in children)


def postgres_pids() -> list[int]:
    """Processes named postgres (read only: their CPU is reported, nothing else)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() == "postgres":
                    pids.append(int(entry.name))
    return pids


def cpu_snapshot(server: Server, desks: list[Desk], postgres: bool) -> dict[str, float]:
    times = os.times()
    return {
        "switch": tree_cpu_seconds(server.process.pid),
        "wallets": sum(cpu_seconds(d.process.pid) for d in desks),
        "load_generator": times.user + times.system,
        "postgres": sum(cpu_seconds(pid) for pid in postgres_pids()) if postgres else 0.0,
        "machine": machine_busy_seconds(),
    }


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine spent busy (every process, ours or not; /proc/stat)."""
    ticks = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(ticks) - ticks[3] - ticks[4]) / _TICK


# -- setup and verification ---------------------------------------------------------------


def register_wallets(server: Server, desks: list[Desk]) -> None:
    with httpx.Client(
        base_url=server.url, headers={"authorization": f"Bearer {OPERATOR_TOKEN}"}
    ) as operator:
        enrol(
            operator,
            [
                (
                    desk.participant,
                    "wallet",
                    f"http://127.0.0.1:{desk.port}/cb/{desk.participant}",
                    desk.public_key,
                )
                for desk in desks
            ],
        )


async def publish(server: Server, signers: dict[str, Signer], users: int) -> None:
    """Each wallet declares its fees and publishes its users' phone numbers."""
    for wallet, signer in signers.items():
        async with Connection(server, signer) as conn:
            bps, fixed = FEES[wallet]
            fees = [
                {"kind": kind, "bps": bps, "fixed": fixed}
                for kind in ("order", "pay_for_me", "transfer")
            ]
            status, body = await conn.post("/v1/wallet/profile", {"fees": fees})
            if status != 200:
                raise SystemExit(f"{wallet} profile: {status} {body[:300]!r}")

    async def publisher(wallet: str, part: range) -> None:
        async with Connection(server, signers[wallet]) as conn:
            for user in part:
                message = {"kind": "phone", "value": phone(wallet, user), "account": account(user)}
                status, body = await conn.post("/v1/aliases", message)
                if status != 201:
                    raise SystemExit(f"{wallet} alias {user}: {status} {body[:300]!r}")

    await asyncio.gather(
        *(publisher(wallet, range(k, users, 4)) for wallet in signers for k in range(4))
    )


def verify(database_url: str, committed_ids: set[str]) -> dict[str, Any]:
    """The switch's own records: states, ledger legs of the committed transfers, ledger check."""
    from sqlalchemy import create_engine, text

    from hutong.store.db import sync_url

    engine = create_engine(sync_url(database_url))
    try:
        with engine.connect() as conn:
            by_state = {
                str(s): int(n)
                for s, n in conn.execute(
                    text("SELECT state, count(*) FROM transfers GROUP BY state ORDER BY state")
                ).all()
            }
            committed_rows = conn.execute(
                text("SELECT id, payer_fee, payee_fee FROM transfers WHERE state = 'committed'")
            ).all()
            legs_by_transfer: dict[str, int] = dict(
                conn.execute(
                    text("SELECT reference, count(*) FROM ledger_transfers GROUP BY reference")
                ).all()
            )
    finally:
        engine.dispose()
    expected_legs = sum(1 + int(r.payer_fee > 0) + int(r.payee_fee > 0) for r in committed_rows)
    posted_legs = sum(int(legs_by_transfer.get(r.id, 0)) for r in committed_rows)
    stored_ids = {r.id for r in committed_rows}
    with tempfile.TemporaryDirectory(prefix="hutong-bench-check-") as scratch:
        check = subprocess.run(
            [str(Path(sys.executable).parent / "hutong"), "ledger", "check"],
            env={**os.environ, "HUTONG_DATABASE_URL": database_url, "HUTONG_DATA_DIR": scratch},
            capture_output=True,
            text=True,
            check=False,
        )
    return {
        "transfers_by_state": by_state,
        "answered_committed": len(committed_ids),
        "stored_committed": len(stored_ids),
        "answered_are_stored": committed_ids <= stored_ids,
        "ledger_legs_expected": expected_legs,
        "ledger_legs_posted": posted_legs,
        "ledger_check": " ".join((check.stdout + check.stderr).split()),
        "ledger_check_ok": check.returncode == 0,
    }


def profiled(
    server: Server, signers: dict[str, Signer], args: argparse.Namespace, path: Path
) -> None:
    """One more transfer phase, not counted, while py-spy samples the switch for 5 s."""
    spy = str(Path(sys.executable).parent / "py-spy")
    command = [spy, "record", "-p", str(server.process.pid), "-d", "5", "-f", "raw"]
    if args.workers > 1:
        command.append("--subprocesses")
    sampler = subprocess.Popen(
        [*command, "-o", str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    time.sleep(0.5)
    transfer_phase(server, signers, args.users, args.transfers, args.senders)
    if sampler.wait(30) != 0:
        err = sampler.stderr.read().decode() if sampler.stderr else ""
        print(f"py-spy failed: {err.strip()[:500]}")
    else:
        print(f"py-spy samples of the switch written to {path}")


# -- one database -------------------------------------------------------------------------


def bench_database(
    label: str, database_url: str | None, args: argparse.Namespace
) -> dict[str, Any]:
    if database_url and database_url.startswith("postgresql"):
        reset_postgres(database_url)
    started = time.perf_counter()
    # Every transfer looks its payee up: the per-wallet lookup limit (60 a minute
    # by default) is raised out of the way, and still taken (its row) on each lookup.
    unlimited = {
        "HUTONG_ALIAS_LOOKUPS_PER_MINUTE": "100000000",
        "HUTONG_ALIAS_LOOKUP_BURST": "1000000",
    }
    with hutong_server(database_url, env=unlimited, workers=args.workers) as server:
        known = httpx.get(f"{server.url}/.well-known/hutong.json").json()
        with reference_processes(
            known["signing_public_key"], known["subscriber_id"], wallet_specs(args.users)
        ) as running:
            desks = list(running.values())
            register_wallets(server, desks)
            signers = {desk.participant: desk.signer for desk in desks}
            asyncio.run(publish(server, signers, args.users))
            platforms = register(server)
            setup_seconds = time.perf_counter() - started

            warm_ping, *_ = build_requests(server, platforms, 500)
            run_phase("warmup", server.host, server.port, warm_ping, args.senders)
            _, warm_tally = transfer_phase(server, signers, args.users, WARMUP, args.senders)
            committed = set(warm_tally.committed)
            pings: list[PhaseResult] = []
            rounds: list[dict[str, Any]] = []
            cpu = dict.fromkeys(("switch", "wallets", "load_generator", "postgres", "machine"), 0.0)
            for _ in range(args.rounds):
                ping, *_ = build_requests(server, platforms, args.pings)
                pings.append(run_phase("signed", server.host, server.port, ping, args.senders))
                before = cpu_snapshot(server, desks, label == "postgres")
                metrics_before = scrape(server.url)
                result, tally = transfer_phase(
                    server, signers, args.users, args.transfers, args.senders
                )
                after = cpu_snapshot(server, desks, label == "postgres")
                # The switch's own account of the round (per transfer, as orders do per order).
                result["waits"] = waits(
                    metrics_before, scrape(server.url), len(tally.committed), "transfer"
                )
                for name in cpu:
                    cpu[name] += after[name] - before[name]
                result["cpu_seconds"] = {k: round(after[k] - before[k], 2) for k in after}
                rounds.append(result)
                committed |= set(tally.committed)
            if args.profile:
                path = Path(args.profile)
                path = path.with_name(f"{path.stem}-{label}{path.suffix}")
                profiled(server, signers, args, path)
            checked = verify(server.database_url, committed)
    seconds = time.perf_counter() - started
    best_ping = max(pings, key=lambda r: r.rate)
    best = max(rounds, key=lambda r: r["rate"])
    ratio = round(best["rate"] / best_ping.rate, 4)
    measured = sum(r["committed"] for r in rounds)
    cpu_per_transfer = {k: round(1000 * v / max(measured, 1), 2) for k, v in cpu.items()}
    wall = sum(r["seconds"] for r in rounds)
    cpu_share = {k: round(v / wall, 2) for k, v in cpu.items()}
    ok = (
        checked["answered_are_stored"]
        and checked["ledger_legs_expected"] == checked["ledger_legs_posted"]
        and checked["ledger_check_ok"]
        and all(r["committed"] == r["transfers"] for r in rounds)
    )
    lat = best["latency"]
    print(
        f"[{label}] {args.workers} worker(s) | signed ping {best_ping.rate:7.0f} req/s "
        f"(p50 {best_ping.p50_ms} ms) | "
        f"transfers {best['rate']:6.1f}/s ({best['requests_per_second']:.0f} signed req/s; "
        f"transfer p50 {lat['transfer']['p50_ms']} ms, p99 {lat['transfer']['p99_ms']} ms; "
        f"execute p50 {lat['execute']['p50_ms']} ms, p99 {lat['execute']['p99_ms']} ms) | "
        f"ratio {ratio}"
    )
    print(f"[{label}] where the time goes, per transfer (best round): {best['waits']}")
    print(
        f"[{label}] CPU ms per transfer {cpu_per_transfer}; busy cores {cpu_share} "
        f"(of {os.cpu_count()})"
    )
    print(
        f"[{label}] {checked['stored_committed']} committed ({checked['transfers_by_state']}), "
        f"ledger legs {checked['ledger_legs_posted']}/{checked['ledger_legs_expected']}, "
        f"{checked['ledger_check']}: "
        + ("consistent" if ok else "MISMATCH")
        + f"; setup {setup_seconds:.1f} s, {seconds:.0f} s in all"
    )
    return {
        "database": label,
        "signed": as_dict(best_ping),
        "transfers": best,
        "ratio_transfers_to_signed": ratio,
        "all_rounds": {
            "signed": [r.rate for r in pings],
            "transfers": [r["rate"] for r in rounds],
        },
        "cpu_ms_per_transfer": cpu_per_transfer,
        "busy_cores_during_transfers": cpu_share,
        "verification": checked,
        "consistent": ok,
        "setup_seconds": round(setup_seconds, 1),
        "seconds": round(seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=200, help="users per wallet (aliases)")
    parser.add_argument("--transfers", type=int, default=600, help="transfers per round")
    parser.add_argument("--senders", type=int, default=16, help="concurrent senders")
    parser.add_argument("--pings", type=int, default=2000, help="signed pings per round")
    parser.add_argument("--rounds", type=int, default=2, help="alternating phases of each kind")
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--profile", default="", help="py-spy raw output path (extra phase)")
    parser.add_argument(
        "--workers", type=int, default=1, help="worker processes of the switch (hutong serve)"
    )
    args = parser.parse_args()
    if not 1 <= args.users <= 10_000 or args.senders < 2 or args.transfers < args.senders:
        parser.error("--users is 1 to 10000, --senders at least 2, --transfers >= --senders")
    runs: list[dict[str, Any]] = []

    def run(label: str, database_url: str | None, args: argparse.Namespace) -> dict[str, Any]:
        runs.append(bench_database(label, database_url, args))
        return runs[-1]

    run_on_databases("transfers", run, args)
    if not all(r["consistent"] for r in runs):
        raise SystemExit("a committed transfer is missing from the switch's records or ledger")


if __name__ == "__main__":
    main()
