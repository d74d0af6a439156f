"""Every benchmark at a small fixed size, one table of figures against their aims.

    .venv/bin/python -m bench [--only NAME ...] [--workers 1 2]

Runs, one after the other (never two at once: the machine has two cores),
each benchmark under `bench/` with the sizes below, on SQLite and on the
PostgreSQL named by HUTONG_TEST_POSTGRES_URL (`eval "$(bash scripts/pg.sh
start)"`), writing their own results to bench/results/summary/. Then prints
one table: what was measured, against which baseline of the same run, the
figure, the aim (the speed issue's table) and whether it is met; and writes
it to bench/results/summary.json, the file a closing note quotes. A whole
run takes about 8 minutes on this machine. Every figure is a ratio or a
latency measured in the same run as its baseline; the machine is shared, so
read the ratios, not the absolute rates.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench._harness import RESULTS, machine

SUMMARY = RESULTS / "summary"


@dataclass(frozen=True)
class Row:
    benchmark: str
    database: str
    figure: str
    value: float | None
    aim: str
    met: bool | None


@dataclass(frozen=True)
class Bench:
    name: str
    module: str
    args: tuple[str, ...]
    read: Callable[[dict[str, Any]], list[Row]]
    results: str = ""


def _runs(data: dict[str, Any]) -> list[dict[str, Any]]:
    runs: list[dict[str, Any]] = data.get("runs", [])
    return runs


def _at_least(value: float | None, aim: float) -> bool | None:
    return None if value is None else value >= aim


def _below(value: float | None, aim: float) -> bool | None:
    return None if value is None else value < aim


def read_signed(data: dict[str, Any]) -> list[Row]:
    return [
        Row(
            "signed requests",
            r["database"],
            "signed / echo req/s",
            r["ratio_signed_to_echo"],
            ">= 0.5",
            _at_least(r["ratio_signed_to_echo"], 0.5),
        )
        for r in _runs(data)
    ]


def read_ledger(data: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    for label, baseline in (("postgres", "pgbench"), ("sqlite", "sqlite3")):
        part = data.get(label)
        if not part:
            continue
        ratio = part.get(f"ratio_ledger_to_{baseline}")
        rows.append(
            Row(
                "ledger, calls of 500",
                label,
                f"transfers/s / {baseline}",
                ratio,
                ">= 5",
                _at_least(ratio, 5),
            )
        )
        p99 = part["ledger"]["single"]["p99_ms"]
        rows.append(
            Row("ledger, single-transfer calls", label, "p99 ms", p99, "< 20", _below(p99, 20))
        )
    return rows


def read_links(data: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    for r in _runs(data):
        ratio, p99 = r["ratio_resolve_to_healthz"], r["p99_resolve_ms"]
        rows.append(
            Row(
                "link resolution",
                r["database"],
                "resolve / healthz req/s",
                ratio,
                ">= 0.6",
                _at_least(ratio, 0.6),
            )
        )
        rows.append(Row("link resolution", r["database"], "p99 ms", p99, "< 10", _below(p99, 10)))
    return rows


def read_transfers(data: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    for r in _runs(data):
        workers = data["settings"].get("workers", 1)
        where = f"{r['database']}, {workers} worker(s)"
        rate = r["transfers"]["rate"]
        p99 = r["transfers"]["latency"]["transfer"]["p99_ms"]
        rows.append(
            Row(
                "wallet-to-wallet transfers",
                where,
                "transfers/s",
                rate,
                ">= 300",
                _at_least(rate, 300),
            )
        )
        rows.append(
            Row("wallet-to-wallet transfers", where, "p99 ms", p99, "< 200", _below(p99, 200))
        )
        rows.append(
            Row(
                "wallet-to-wallet transfers",
                where,
                "transfers / signed pings",
                r["ratio_transfers_to_signed"],
                "",
                None,
            )
        )
    return rows


def read_coupons(data: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    for r in _runs(data):
        ratio, over = r["ratio_claims_to_signed"], r["over_issued"]
        rows += [
            Row("coupon claims", r["database"], "claims / signed ping req/s", ratio, ">= 0.3",
                _at_least(ratio, 0.3)),
            Row("coupon claims", r["database"], "coupons over-issued", over, "== 0", over == 0),
        ]  # fmt: skip
    return rows


def read_orders(data: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    for r in _runs(data):
        workers = data["settings"].get("workers", 1)
        where = f"{r['database']}, {workers} worker(s)"
        best = r["orders"]
        rate, p99 = best["rate"], best["latency"]["order"]["p99_ms"]
        statements = r.get("statements_per_step", {}).get("order")
        waits = best.get("waits", {})
        loaded = waits.get("statements_per_order")
        deadlocks = waits.get("postgres_deadlocks_per_1000_orders")
        rows += [
            Row("cross-platform orders", where, "orders/s", rate, ">= 100", _at_least(rate, 100)),
            Row("cross-platform orders", where, "order p99 ms", p99, "< 1000", _below(p99, 1000)),
            Row(
                "cross-platform orders",
                where,
                "SQL statements per order (one alone)",
                statements,
                "<= 40",
                None if statements is None else statements <= 40,
            ),
            Row(
                "cross-platform orders",
                where,
                "SQL statements per order (under load)",
                loaded,
                "<= 40",
                None if loaded is None else loaded <= 40,
            ),
            Row(
                "cross-platform orders",
                where,
                "switch CPU ms per order",
                r["cpu_ms_per_order"]["switch"],
                "~12",
                _below(r["cpu_ms_per_order"]["switch"], 12.5),
            ),
            Row(
                "cross-platform orders",
                where,
                "orders / signed pings",
                r["ratio_orders_to_signed"],
                "",
                None,
            ),
            Row(
                "cross-platform orders",
                where,
                "consistent (ledger check)",
                float(r["consistent"]),
                "1",
                bool(r["consistent"]),
            ),
        ]
        if deadlocks is not None:
            rows.append(
                Row(
                    "cross-platform orders",
                    where,
                    "deadlocks per 1000 orders",
                    deadlocks,
                    "0",
                    deadlocks == 0,
                )
            )
    return rows


def read_tracking(data: dict[str, Any]) -> list[Row]:
    return [
        Row(
            "tracking events",
            r["database"],
            "events / signed pings",
            r["ratio_tracking_to_signed"],
            "",
            None,
        )
        for r in _runs(data)
    ]


def read_settlement(data: dict[str, Any]) -> list[Row]:
    return [
        Row(
            "settlement close",
            r["database"],
            f"close / count(*) of {r['transfers']:,} transfers",
            r["close_vs_count"],
            "",
            None,
        )
        for r in _runs(data)
    ]


def read_audit(data: dict[str, Any]) -> list[Row]:
    seconds = data["audit_seconds"]
    return [
        Row("audit, a busy month", "postgres", "seconds", seconds, "< 30", _below(seconds, 30)),
        Row("audit, a busy month", "postgres", "audit / count(*)", data["ratio"], "", None),
    ]


def benches(workers: list[int]) -> list[Bench]:
    out = [
        Bench(
            "signed_requests",
            "bench.signed_requests",
            ("--requests", "3000", "--rounds", "2", "--database", "both"),
            read_signed,
        ),
        Bench(
            "ledger",
            "bench.ledger",
            (
                "--database",
                "both",
                "--seconds",
                "4",
                "--single-seconds",
                "3",
                "--pgbench-seconds",
                "5",
                "--sqlite-seconds",
                "3",
                "--rounds",
                "1",
            ),
            read_ledger,
        ),
        Bench(
            "links",
            "bench.links",
            ("--requests", "3000", "--rounds", "2", "--database", "both"),
            read_links,
        ),
        Bench(
            "tracking",
            "bench.tracking",
            ("--shipments", "150", "--requests", "1050", "--rounds", "2", "--database", "both"),
            read_tracking,
        ),
        Bench(
            "settlement",
            "bench.settlement",
            ("--transfers", "200000", "--rounds", "1", "--database", "both"),
            read_settlement,
        ),
        Bench("audit", "bench.audit", ("--scale", "1.0", "--rounds", "1"), read_audit),
        Bench(
            "coupons",
            "bench.coupons",
            ("--claims", "1000", "--rounds", "2", "--database", "both"),
            read_coupons,
        ),
    ]
    for n in workers:
        out.append(
            Bench(
                f"transfers-{n}w",
                "bench.transfers",
                (
                    "--transfers",
                    "400",
                    "--rounds",
                    "2",
                    "--database",
                    "both" if n == 1 else "postgres",
                    "--workers",
                    str(n),
                ),
                read_transfers,
                results="transfers",
            )
        )
        out.append(
            Bench(
                f"orders-{n}w",
                "bench.orders",
                (
                    "--orders",
                    "200",
                    "--rounds",
                    "2",
                    "--database",
                    "both" if n == 1 else "postgres",
                    "--transfers",
                    "0",
                    "--workers",
                    str(n),
                ),
                read_orders,
                results="orders",
            )
        )
    return out


def run(bench: Bench) -> tuple[list[Row], float, str]:
    env = {**os.environ, "HUTONG_BENCH_RESULTS": str(SUMMARY)}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", bench.module, *bench.args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-6:])
    path = SUMMARY / f"{bench.results or bench.name}.json"
    if done.returncode != 0 or not path.exists():
        return [Row(bench.name, "-", "failed", None, "", False)], seconds, tail
    data = json.loads(path.read_text())
    if bench.results:  # several runs of one benchmark: keep each under its own name
        path.rename(SUMMARY / f"{bench.name}.json")
    return bench.read(data), seconds, tail


def show(rows: list[Row]) -> str:
    header = ("benchmark", "where", "figure", "value", "aim", "met")
    table = [header] + [
        (
            r.benchmark,
            r.database,
            r.figure,
            "-" if r.value is None else f"{r.value:g}",
            r.aim,
            {True: "yes", False: "NO", None: ""}[r.met],
        )
        for r in rows
    ]
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)) for line in table
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="*", default=[], help="benchmark names to run")
    parser.add_argument(
        "--workers",
        nargs="*",
        type=int,
        default=[1, 2],
        help="worker counts for transfers and orders",
    )
    args = parser.parse_args()
    if not os.environ.get("HUTONG_TEST_POSTGRES_URL"):
        raise SystemExit('set HUTONG_TEST_POSTGRES_URL: eval "$(bash scripts/pg.sh start)"')
    SUMMARY.mkdir(parents=True, exist_ok=True)
    chosen = [b for b in benches(args.workers) if not args.only or b.name in args.only]
    rows: list[Row] = []
    timings: dict[str, float] = {}
    started = time.perf_counter()
    for bench in chosen:
        print(f"-- {bench.name}: python -m {bench.module} {' '.join(bench.args)}", flush=True)
        got, seconds, tail = run(bench)
        timings[bench.name] = round(seconds, 1)
        rows += got
        print(tail if any(r.figure == "failed" for r in got) else f"   {seconds:.0f} s", flush=True)
    total = time.perf_counter() - started
    print()
    print(show(rows))
    met = [r.met for r in rows if r.met is not None]
    print(f"\n{sum(met)} of {len(met)} aims met; {total:.0f} s in all")
    out = RESULTS / "summary.json"
    out.write_text(
        json.dumps(
            {
                "benchmark": "summary",
                "machine": machine(),
                "seconds": round(total, 1),
                "seconds_by_benchmark": timings,
                "rows": [asdict(r) for r in rows],
            },
            indent=2,
            ensure_ascii=False,
        )
        + "\n"
    )
    print(f"written to {Path('bench/results/summary.json')}")


if __name__ == "__main__":
    main()
