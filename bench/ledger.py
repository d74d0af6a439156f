"""Ledger transfers per second, against what the same database does on its own.

In one run:

    postgres  pgbench's TPC-B-like workload (`pgbench -i -s 10`, then
              `-c 16 -j 2 -T 10 -M prepared`, synchronous_commit on) in its own
              database on the same server, then transfers through the ledger
              API: `hutong serve` (one worker), a funding account and 1000
              user accounts funded first, then 8 keep-alive connections each
              POSTing calls of 500 random user-to-user transfers for ~10 s
              (transfers with result `ok` are counted), then a shorter phase
              of single-transfer calls over 32 connections (what an
              interactive caller sees). GET /operator/ledger/check must say ok.
    sqlite    the ledger API on the embedded default (WAL, synchronous=FULL)
              against a plain sqlite3 loop of one commit per inserted row
              (WAL, synchronous=FULL) in a temp dir on the same disk.

Each baseline (pgbench, the plain sqlite3 loop) runs before and after the
ledger phases and the better run is kept (`--rounds 1`: before only), since
the machine is shared and noisy. Both ledgers commit durably; throughput
comes from group commit (many transfers per transaction), see
src/hutong/ledger/service.py. Latency of a call is also the latency of each
transfer in it.

    .venv/bin/python -m bench.ledger [--database sqlite|postgres|both]
        [--transfers-per-call N] [--connections C] [--seconds S] ...

PostgreSQL is used when HUTONG_TEST_POSTGRES_URL is set (`eval "$(bash
scripts/pg.sh start)"` starts one, and exports HUTONG_TEST_PG_BIN, where
pgbench is looked for first). Results go to bench/results/ledger.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench._harness import (
    OPERATOR_TOKEN,
    Server,
    http_request,
    hutong_server,
    machine,
    read_response,
    reset_postgres,
    write_results,
)

ASSET = "CNY"
FUNDING = "bench-funding"
#: Each user starts with this much (fen), far more than the run moves.
FUNDED = 10**12
OK_MARK = b'"result":"ok"'
PGBENCH_DB = "bench_pgbench"


class BenchError(RuntimeError):
    """A section of the run failed; reported, and the run goes on."""


# -- load generator ----------------------------------------------------------------


@dataclass
class LoadResult:
    name: str
    connections: int
    transfers_per_call: int
    calls: int
    transfers_ok: int
    transfers_not_ok: int
    seconds: float
    transfers_per_second: float
    calls_per_second: float
    #: Latency of a call; every transfer in it waits exactly as long.
    p50_ms: float
    p99_ms: float
    max_ms: float
    statuses: dict[str, int] = field(default_factory=dict)


async def _connection(
    host: str,
    port: int,
    requests: Iterator[bytes],
    deadline: float,
    latencies: list[float],
    statuses: dict[int, int],
    oks: list[int],
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        # `requests` is shared by all connections: each takes the next call.
        for raw in requests:
            started = time.perf_counter()
            if started >= deadline:
                break
            writer.write(raw)
            status, body = await read_response(reader)
            latencies.append(time.perf_counter() - started)
            statuses[status] = statuses.get(status, 0) + 1
            if status == 200:
                oks.append(body.count(OK_MARK))
    finally:
        writer.close()


def run_load(
    name: str,
    server: Server,
    requests: Sequence[bytes],
    *,
    transfers_per_call: int,
    connections: int,
    seconds: float,
) -> LoadResult:
    """Send pre-built calls over keep-alive connections until `seconds` pass or
    the calls run out; count transfers whose result is `ok`."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    oks: list[int] = []
    shared = iter(requests)

    async def main() -> float:
        started = time.perf_counter()
        deadline = started + seconds
        await asyncio.gather(
            *(
                _connection(server.host, server.port, shared, deadline, latencies, statuses, oks)
                for _ in range(connections)
            )
        )
        return time.perf_counter() - started

    elapsed = asyncio.run(main())
    if not latencies:
        raise BenchError(f"{name}: no call completed")
    latencies.sort()
    ok = sum(oks)
    calls = len(latencies)
    return LoadResult(
        name=name,
        connections=connections,
        transfers_per_call=transfers_per_call,
        calls=calls,
        transfers_ok=ok,
        transfers_not_ok=calls * transfers_per_call - ok,
        seconds=round(elapsed, 3),
        transfers_per_second=round(ok / elapsed, 1),
        calls_per_second=round(calls / elapsed, 1),
        p50_ms=round(statistics.median(latencies) * 1000, 2),
        p99_ms=round(latencies[max(int(len(latencies) * 0.99) - 1, 0)] * 1000, 2),
        max_ms=round(latencies[-1] * 1000, 2),
        statuses={str(k): v for k, v in sorted(statuses.items())},
    )


# -- the ledger through its API ------------------------------------------------------


def _operator(server: Server) -> httpx.Client:
    return httpx.Client(
        base_url=server.url,
        headers={"authorization": f"Bearer {OPERATOR_TOKEN}"},
        timeout=120,
    )


def setup_accounts(server: Server, users: int) -> list[str]:
    """A funding account and `users` user balances, each funded with FUNDED."""
    ids = [f"bench-user-{n:05d}" for n in range(users)]
    accounts = [{"id": FUNDING, "owner": "bench", "asset": ASSET, "kind": "funding"}] + [
        {
            "id": account_id,
            "owner": f"bench-{n % 16}.example",
            "asset": ASSET,
            "kind": "user_balance",
            "debits_must_not_exceed_credits": True,
        }
        for n, account_id in enumerate(ids)
    ]
    with _operator(server) as operator:
        for start in range(0, len(accounts), 1000):
            response = operator.post(
                "/operator/ledger/accounts", json={"accounts": accounts[start : start + 1000]}
            )
            response.raise_for_status()
            if not response.json()["ok"]:
                raise BenchError(f"creating accounts failed: {response.text[:500]}")
        for start in range(0, users, 4000):
            transfers = [
                {
                    "id": f"bench-fund-{account_id}",
                    "debit_account_id": FUNDING,
                    "credit_account_id": account_id,
                    "amount": FUNDED,
                    "asset": ASSET,
                    "code": "deposit",
                }
                for account_id in ids[start : start + 4000]
            ]
            response = operator.post("/operator/ledger/transfers", json={"transfers": transfers})
            response.raise_for_status()
            if not response.json()["ok"]:
                raise BenchError(f"funding users failed: {response.text[:500]}")
    return ids


def build_calls(
    server: Server,
    users: list[str],
    *,
    prefix: str,
    calls: int,
    per_call: int,
    rng: random.Random,
) -> list[bytes]:
    """`calls` POSTs of `per_call` random user-to-user transfers with unique ids."""
    host = f"{server.host}:{server.port}"
    headers = {"content-type": "application/json", "authorization": f"Bearer {OPERATOR_TOKEN}"}
    last = len(users) - 1
    out = []
    for c in range(calls):
        transfers = []
        for i in range(per_call):
            debit = rng.randint(0, last)
            credit = rng.randint(0, last - 1)
            if credit >= debit:
                credit += 1  # never the same account
            transfers.append(
                {
                    "id": f"{prefix}-{c}-{i}",
                    "debit_account_id": users[debit],
                    "credit_account_id": users[credit],
                    "amount": rng.randint(1, 10_000),
                    "asset": ASSET,
                    "code": "transfer",
                }
            )
        body = json.dumps({"transfers": transfers}, separators=(",", ":")).encode()
        out.append(http_request("POST", "/operator/ledger/transfers", host, body, headers))
    return out


def check(server: Server) -> dict[str, Any]:
    with _operator(server) as operator:
        response = operator.get("/operator/ledger/check")
        response.raise_for_status()
        report: dict[str, Any] = response.json()
    problems = report.get("problems") or []
    print(
        f"  check: ok={report.get('ok')} accounts={report.get('accounts')} "
        f"transfers={report.get('transfers')}" + (f" problems={problems[:5]}" if problems else "")
    )
    return report


@contextlib.contextmanager
def profiled(pid: int, seconds: float, path: str | None) -> Iterator[None]:
    """py-spy the server during the block, when asked (--profile PATH)."""
    if not path:
        yield
        return
    py_spy = Path(sys.executable).parent / "py-spy"
    command = [str(py_spy), "record", "-p", str(pid), "-d", str(int(seconds))]
    command += ["-f", "raw", "-o", path, "--nonblocking"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        yield
    finally:
        try:
            _, err = process.communicate(timeout=seconds + 30)
            if process.returncode:
                print(f"  py-spy failed: {err.decode(errors='replace').strip()[-300:]}")
            else:
                print(f"  profile written to {path}")
        except subprocess.TimeoutExpired:
            process.kill()


def bench_ledger(label: str, database_url: str | None, args: argparse.Namespace) -> dict[str, Any]:
    """The ledger API on one database: batched calls, then single-transfer calls."""
    if database_url:
        reset_postgres(database_url)
    rng = random.Random(args.seed)
    try:
        server_cm = hutong_server(database_url)
        server = server_cm.__enter__()
    except RuntimeError as exc:
        raise BenchError(f"`hutong serve` failed to start on {label}:\n{exc}") from exc
    try:
        users = setup_accounts(server, args.users)
        per_call = args.transfers_per_call
        # Enough calls that time, not supply, ends each phase (a cap keeps memory sane).
        batched_calls = max(args.max_transfers // per_call, 1)
        warmup = build_calls(server, users, prefix="warm", calls=16, per_call=per_call, rng=rng)
        batched = build_calls(
            server, users, prefix="batch", calls=batched_calls, per_call=per_call, rng=rng
        )
        single_calls = args.single_max
        singles = build_calls(
            server, users, prefix="single", calls=single_calls, per_call=1, rng=rng
        )
        run_load(
            "warmup",
            server,
            warmup,
            transfers_per_call=per_call,
            connections=args.connections,
            seconds=30,
        )
        profile = args.profile
        with profiled(
            server.process.pid, min(5, args.seconds), profile and f"{profile}.batched.txt"
        ):
            batch = run_load(
                "batched",
                server,
                batched,
                transfers_per_call=per_call,
                connections=args.connections,
                seconds=args.seconds,
            )
        with profiled(
            server.process.pid, min(5, args.single_seconds), profile and f"{profile}.single.txt"
        ):
            single = run_load(
                "single",
                server,
                singles,
                transfers_per_call=1,
                connections=args.single_connections,
                seconds=args.single_seconds,
            )
        for run in (batch, single):
            print(
                f"  [{label}] {run.name:7s} {run.connections:2d} conn x {run.transfers_per_call:4d}"
                f"/call: {run.transfers_per_second:9.0f} transfers/s ok "
                f"({run.transfers_ok} ok, {run.transfers_not_ok} not, {run.seconds} s) "
                f"call p50 {run.p50_ms} ms p99 {run.p99_ms} ms statuses {run.statuses}"
            )
            if run.statuses.keys() - {"200"}:
                print(f"  [{label}] WARNING: {run.name} had non-200 answers: {run.statuses}")
        report = check(server)
    finally:
        server_cm.__exit__(None, None, None)
    if not report.get("ok"):
        raise BenchError(f"ledger check failed on {label}: {report.get('problems')}")
    return {"batched": asdict(batch), "single": asdict(single), "check": report}


# -- PostgreSQL on its own: pgbench ------------------------------------------------------


def find_pgbench() -> str | None:
    bin_dir = os.environ.get("HUTONG_TEST_PG_BIN", "")
    if bin_dir and os.access(Path(bin_dir) / "pgbench", os.X_OK):
        return str(Path(bin_dir) / "pgbench")
    return shutil.which("pgbench")


def _pg_settings(url: str) -> dict[str, str]:
    import psycopg
    from sqlalchemy.engine import make_url

    from hutong.store.db import sync_url

    conninfo = make_url(sync_url(url)).set(drivername="postgresql")
    with psycopg.connect(conninfo.render_as_string(hide_password=False)) as conn:
        settings = {}
        for name in ("server_version", "synchronous_commit", "fsync", "wal_sync_method"):
            row = conn.execute(f"SHOW {name}").fetchone()
            settings[name] = str(row[0]) if row else ""
        return settings


def _recreate_database(url: str, name: str, *, create: bool = True) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    from hutong.store.db import sync_url

    conninfo = make_url(sync_url(url)).set(drivername="postgresql")
    with psycopg.connect(conninfo.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        if create:
            conn.execute(f'CREATE DATABASE "{name}"')


@dataclass
class PgBench:
    """pgbench against its own database on the hutong server; `run()` as often as wanted."""

    program: str
    connection: list[str]
    env: dict[str, str]
    args: argparse.Namespace
    init_seconds: float = 0.0

    def run(self) -> dict[str, Any]:
        args = self.args
        command = [self.program, *self.connection, "-c", str(args.pgbench_clients), "-j", "2"]
        command += ["-T", str(args.pgbench_seconds), "-M", "prepared", PGBENCH_DB]
        run = subprocess.run(
            command,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=args.pgbench_seconds + 120,
            cwd=tempfile.gettempdir(),
        )
        if run.returncode:
            raise BenchError(f"pgbench failed:\n{run.stderr[-2000:]}\n{run.stdout[-2000:]}")
        tps = re.search(
            r"tps = ([\d.]+) \((?:without initial connection time|excluding connections)",
            run.stdout,
        )
        if tps is None:
            raise BenchError(f"could not find tps in pgbench's output:\n{run.stdout[-2000:]}")
        latency = re.search(r"latency average = ([\d.]+) ms", run.stdout)
        failed = re.search(r"number of failed transactions: (\d+)", run.stdout)
        done = re.search(r"number of transactions actually processed: (\d+)", run.stdout)
        result = {
            "command": " ".join(["pgbench", *command[1 + len(self.connection) :]]),
            "scale": args.pgbench_scale,
            "tps": round(float(tps.group(1)), 1),
            "latency_avg_ms": float(latency.group(1)) if latency else None,
            "transactions": int(done.group(1)) if done else None,
            "failed": int(failed.group(1)) if failed else None,
        }
        print(
            f"  [postgres] pgbench TPC-B-like, -c {args.pgbench_clients} -j 2 -M prepared, "
            f"scale {args.pgbench_scale}: {result['tps']:.0f} tps "
            f"(latency avg {result['latency_avg_ms']} ms)"
        )
        return result


@contextlib.contextmanager
def pgbench_database(url: str, args: argparse.Namespace) -> Iterator[PgBench]:
    """`pgbench -i -s SCALE` into a fresh database, dropped afterwards."""
    from sqlalchemy.engine import make_url

    program = find_pgbench()
    if program is None:
        raise BenchError(
            "pgbench not found (neither in $HUTONG_TEST_PG_BIN nor on PATH); "
            "skipping the pgbench comparison"
        )
    parsed = make_url(url)
    connection = ["-h", parsed.host or "127.0.0.1", "-p", str(parsed.port or 5432)]
    connection += ["-U", parsed.username or "postgres"]
    env = {**os.environ, "PGOPTIONS": "-c synchronous_commit=on"}
    if parsed.password:
        env["PGPASSWORD"] = parsed.password
    _recreate_database(url, PGBENCH_DB)
    try:
        started = time.perf_counter()
        init = subprocess.run(
            [program, *connection, "-i", "-q", "-s", str(args.pgbench_scale), PGBENCH_DB],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            cwd=tempfile.gettempdir(),
        )
        if init.returncode:
            raise BenchError(f"pgbench -i failed:\n{init.stderr[-2000:]}")
        bench = PgBench(program, connection, env, args, round(time.perf_counter() - started, 1))
        yield bench
    finally:
        with contextlib.suppress(Exception):
            _recreate_database(url, PGBENCH_DB, create=False)


# -- SQLite on its own: one commit per insert ---------------------------------------------


def sqlite_loop(seconds: float) -> dict[str, Any]:
    """Insert small rows, one durable commit each (WAL, synchronous=FULL)."""
    with tempfile.TemporaryDirectory(prefix="hutong-bench-sqlite-") as scratch:
        conn = sqlite3.connect(Path(scratch) / "plain.db", isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute(
                "CREATE TABLE moves (id TEXT PRIMARY KEY, debit TEXT NOT NULL, "
                "credit TEXT NOT NULL, amount INTEGER NOT NULL)"
            )
            insert = "INSERT INTO moves (id, debit, credit, amount) VALUES (?, ?, ?, ?)"
            n = 0
            started = time.perf_counter()
            deadline = started + seconds
            while True:
                conn.execute("BEGIN")
                conn.execute(insert, (f"m-{n}", "bench-user-1", "bench-user-2", n % 10_000 + 1))
                conn.execute("COMMIT")
                n += 1
                if n % 64 == 0 and time.perf_counter() >= deadline:
                    break
            elapsed = time.perf_counter() - started
            stored = conn.execute("SELECT count(*) FROM moves").fetchone()[0]
        finally:
            conn.close()
    if stored != n:
        raise BenchError(f"sqlite3 loop stored {stored} rows, expected {n}")
    result = {
        "commits": n,
        "seconds": round(elapsed, 3),
        "commits_per_second": round(n / elapsed, 1),
        "journal_mode": "wal",
        "synchronous": "FULL",
        "sqlite_version": sqlite3.sqlite_version,
    }
    print(
        f"  [sqlite] plain sqlite3, one commit per insert (WAL, synchronous=FULL): "
        f"{result['commits_per_second']:.0f} commits/s"
    )
    return result


# -- the run ---------------------------------------------------------------------


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a and b else None


def _best(runs: list[dict[str, Any]], key: str) -> dict[str, Any]:
    """The best of several runs of a baseline, with every run's rate kept."""
    best = dict(max(runs, key=lambda r: r[key]))
    best["all_rounds"] = [r[key] for r in runs]
    return best


def bench_postgres(url: str, args: argparse.Namespace, errors: list[str]) -> dict[str, Any]:
    """pgbench, the ledger, pgbench again (best of the two: the machine is shared)."""
    out: dict[str, Any] = {}
    try:
        out["server"] = _pg_settings(url)
    except Exception as exc:  # any driver error: say which server, skip the section
        where = url.rpartition("@")[2]
        message = f"cannot connect to PostgreSQL at {where}: {exc}".strip()
        print(f"  [postgres] {message}")
        errors.append(f"postgres: {message}")
        return {"error": message}
    pgbench_runs: list[dict[str, Any]] = []
    with contextlib.ExitStack() as stack:
        bench: PgBench | None = None
        try:
            bench = stack.enter_context(pgbench_database(url, args))
            pgbench_runs.append(bench.run())
        except (BenchError, OSError, subprocess.TimeoutExpired) as exc:
            print(f"  [postgres] pgbench: {exc}")
            out["pgbench"] = {"skipped": str(exc)}
            if "not found" not in str(exc):
                errors.append(f"postgres pgbench: {exc}")
            bench = None
        try:
            out["ledger"] = bench_ledger("postgres", url, args)
        except (BenchError, httpx.HTTPError) as exc:
            print(f"  [postgres] ledger: FAILED: {exc}")
            out["ledger"] = {"error": str(exc)}
            errors.append(f"postgres ledger: {exc}")
        if bench is not None and args.rounds > 1:
            try:
                pgbench_runs.append(bench.run())
            except (BenchError, OSError, subprocess.TimeoutExpired) as exc:
                print(f"  [postgres] pgbench (second run): {exc}")
                errors.append(f"postgres pgbench: {exc}")
        if pgbench_runs:
            out["pgbench"] = {
                **_best(pgbench_runs, "tps"),
                "init_seconds": bench and bench.init_seconds,
            }
    if "batched" not in out["ledger"]:
        return out
    tps = out["pgbench"].get("tps")
    out["ratio_ledger_to_pgbench"] = _ratio(out["ledger"]["batched"]["transfers_per_second"], tps)
    out["ratio_single_to_pgbench"] = _ratio(out["ledger"]["single"]["transfers_per_second"], tps)
    return out


def bench_sqlite(args: argparse.Namespace, errors: list[str]) -> dict[str, Any]:
    """The plain loop, the ledger, the plain loop again (best of the two)."""
    out: dict[str, Any] = {}
    loops: list[dict[str, Any]] = []

    def loop() -> None:
        try:
            loops.append(sqlite_loop(args.sqlite_seconds))
        except (BenchError, sqlite3.Error) as exc:
            print(f"  [sqlite] plain loop: FAILED: {exc}")
            errors.append(f"sqlite loop: {exc}")

    loop()
    try:
        out["ledger"] = bench_ledger("sqlite", None, args)
    except (BenchError, httpx.HTTPError) as exc:
        print(f"  [sqlite] ledger: FAILED: {exc}")
        out["ledger"] = {"error": str(exc)}
        errors.append(f"sqlite ledger: {exc}")
    if args.rounds > 1:
        loop()
    out["sqlite3_loop"] = _best(loops, "commits_per_second") if loops else {"error": "failed"}
    if "batched" not in out["ledger"]:
        return out
    plain = out["sqlite3_loop"].get("commits_per_second")
    out["ratio_ledger_to_sqlite3"] = _ratio(out["ledger"]["batched"]["transfers_per_second"], plain)
    out["ratio_single_to_sqlite3"] = _ratio(out["ledger"]["single"]["transfers_per_second"], plain)
    return out


def _temp_filesystem() -> str:
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        df = subprocess.run(
            ["df", "--output=fstype", tempfile.gettempdir()],
            capture_output=True,
            text=True,
            timeout=5,
        )
        return df.stdout.split()[-1]
    return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--users", type=int, default=1000, help="user accounts")
    parser.add_argument("--transfers-per-call", type=int, default=500)
    parser.add_argument("--connections", type=int, default=8, help="batched phase")
    parser.add_argument("--seconds", type=float, default=10, help="batched phase")
    parser.add_argument(
        "--max-transfers", type=int, default=400_000, help="cap on the batched phase"
    )
    parser.add_argument("--single-connections", type=int, default=32)
    parser.add_argument("--single-seconds", type=float, default=5)
    parser.add_argument("--single-max", type=int, default=30_000, help="cap on single calls")
    parser.add_argument("--pgbench-scale", type=int, default=10)
    parser.add_argument("--pgbench-clients", type=int, default=16)
    parser.add_argument("--pgbench-seconds", type=int, default=10)
    parser.add_argument("--sqlite-seconds", type=float, default=4, help="per plain loop")
    parser.add_argument(
        "--rounds",
        type=int,
        choices=[1, 2],
        default=2,
        help="baseline runs (before and after the ledger; the best is kept)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--profile",
        metavar="PREFIX",
        help="py-spy the server in each phase: PREFIX.{postgres,sqlite}.{batched,single}.txt",
    )
    args = parser.parse_args()
    if not 1 <= args.transfers_per_call <= 8190:
        parser.error("--transfers-per-call must be 1..8190")
    if args.users < 2:
        parser.error("--users must be at least 2")

    started = time.monotonic()
    load_before = os.getloadavg()
    if load_before[0] > (os.cpu_count() or 1):
        print(f"note: load average {load_before[0]:.1f} on {os.cpu_count()} CPUs: a busy machine")
    errors: list[str] = []
    results: dict[str, Any] = {}
    postgres = os.environ.get("HUTONG_TEST_POSTGRES_URL", "")
    profile = args.profile
    if args.database in ("postgres", "both"):
        if postgres:
            print("postgres:")
            args.profile = f"{profile}.postgres" if profile else None
            results["postgres"] = bench_postgres(postgres, args, errors)
        else:
            print("[postgres] skipped: HUTONG_TEST_POSTGRES_URL is not set")
            results["postgres"] = {"skipped": "HUTONG_TEST_POSTGRES_URL is not set"}
    if args.database in ("sqlite", "both"):
        print("sqlite:")
        args.profile = f"{profile}.sqlite" if profile else None
        results["sqlite"] = bench_sqlite(args, errors)
    args.profile = profile

    print("summary:")
    pg = results.get("postgres", {})
    if "ledger" in pg and "batched" in pg["ledger"]:
        ledger = pg["ledger"]
        tps = pg.get("pgbench", {}).get("tps")
        print(
            f"  postgres: ledger {ledger['batched']['transfers_per_second']:.0f} transfers/s "
            f"(calls of {args.transfers_per_call}) vs pgbench "
            + (f"{tps:.0f} tps: ratio {pg['ratio_ledger_to_pgbench']}" if tps else "n/a")
        )
        print(
            f"  postgres: single-transfer calls {ledger['single']['transfers_per_second']:.0f} "
            f"transfers/s (p50 {ledger['single']['p50_ms']} ms, p99 "
            f"{ledger['single']['p99_ms']} ms)"
            + (f": ratio {pg['ratio_single_to_pgbench']}" if tps else "")
        )
    sq = results.get("sqlite", {})
    if "ledger" in sq and "batched" in sq["ledger"]:
        plain = sq.get("sqlite3_loop", {}).get("commits_per_second")
        print(
            f"  sqlite:   ledger {sq['ledger']['batched']['transfers_per_second']:.0f} "
            f"transfers/s vs plain sqlite3 "
            + (f"{plain:.0f} commits/s: ratio {sq['ratio_ledger_to_sqlite3']}" if plain else "n/a")
        )
        print(
            f"  sqlite:   single-transfer calls "
            f"{sq['ledger']['single']['transfers_per_second']:.0f} transfers/s (p50 "
            f"{sq['ledger']['single']['p50_ms']} ms, p99 {sq['ledger']['single']['p99_ms']} ms)"
            + (f": ratio {sq['ratio_single_to_sqlite3']}" if plain else "")
        )
    wall = round(time.monotonic() - started, 1)
    path = write_results(
        "ledger",
        {
            "benchmark": "ledger",
            "machine": {
                **machine(),
                "temp_filesystem": _temp_filesystem(),
                "loadavg_before": [round(x, 2) for x in load_before],
                "loadavg_after": [round(x, 2) for x in os.getloadavg()],
            },
            "settings": vars(args),
            "wall_seconds": wall,
            **results,
            "errors": errors,
        },
    )
    print(f"written to {path.relative_to(path.parents[2])} ({wall} s)")
    if errors:
        raise SystemExit("errors:\n  " + "\n  ".join(errors))


if __name__ == "__main__":
    main()
