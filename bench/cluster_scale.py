"""Signed requests per second through HAProxy: one switch process against three, same cluster.

On loopback, in ports `--port-base` + 0..49 (default 26000) and in
/tmp/hutong-cluster-scale, `scripts/cluster.sh up` with no delivery workers:
pg_auto_failover (monitor, primary, synchronous standby) and three
`hutong serve` processes behind HAProxy. HAProxy's runtime API puts switch
processes 2 and 3 in maintenance for the one-process rounds and back for
the three-process rounds; the load always goes through HAProxy.

Each round runs, for `--seconds` each, three kinds of request from
`--generators` generator processes of `--connections` keep-alive connections
each (bench/_loadgen.py):

    echo   POST /echo, unsigned, no database: HTTP alone, the ceiling
    ping   POST /v1/ping, signed: verify, then write (message record, outbox event)
    self   GET /v1/self, signed: verify, then read the participant

Rounds alternate the process counts of `--processes` (1 and 3 by default;
`--processes 1,2,3` adds two, one per core of this machine), `--rounds` of
each, so a noisy shared machine biases none. For every phase the CPU seconds spent are read
from /proc (bench/_proc_cpu.py) and divided by the requests answered:

    switch     the switch processes (all three trees; idle ones spend ~0)
    haproxy    HAProxy
    database   every process of the user hutongha (primary, standby, monitor)
    generator  the generators' own CPU (their process_time)
    other      the machine's busy core-seconds less all of the above: the
               benchmark's parent, and whatever else shares the machine

plus the machine's busy share (busy core-seconds / (2 cores x seconds)). When
the busy share is near 100 % in both configurations, more processes can only
add throughput if one process alone left a core idle.

Signed writes depend on `--connections`: a process's group commit batches
only the writes waiting at once, so with 16 per generator (32 in flight)
three processes get batches of about 5 and give fewer writes than one; with
32 or 48 per generator they keep batches of 10-16 and give more
(docs/production.md, "More clients").

The generators are not the bottleneck when (a) echo reaches a rate well
above the signed kinds' and (b) the generators' CPU per request is small
next to the switch's; both are printed.

    .venv/bin/python -m bench.cluster_scale [--seconds 6] [--rounds 2]
        [--generators 2] [--connections 16] [--processes 1,3] [--keep]

Prints one table (best rate per kind and configuration, ratio to one
process, CPU ms per request) and writes bench/results/cluster_scale.json. Needs root (or
the packages already installed) for Debian's postgresql-15-auto-failover and
haproxy.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from bench import _proc_cpu as cpu
from bench._harness import enrol_platforms, machine, write_results
from bench._loadgen import KINDS, Generators, Job, Outcome
from bench._switch_metrics import Snapshot, scrape, waits
from bench.faults import OPERATOR, Cluster

PARTICIPANTS = 16
SWITCHES = ("switch1", "switch2", "switch3")


def log(message: str) -> None:
    print(f"cluster_scale {time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


# -- HAProxy's runtime API ----------------------------------------------------------------


def haproxy(cluster: Cluster, command: str) -> str:
    with socket.socket(socket.AF_UNIX) as sock:
        sock.connect(f"{cluster.directory}/haproxy.sock")
        sock.sendall(command.encode() + b"\n")
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks).decode()


def serve_with(cluster: Cluster, processes: int) -> None:
    """Let HAProxy send to switch processes 1..`processes` only; wait until it does."""
    wanted = {}
    for n, name in enumerate(SWITCHES, start=1):
        state = "ready" if n <= processes else "maint"
        haproxy(cluster, f"set server switches/{name} state {state}")
        wanted[name] = "UP" if n <= processes else "MAINT"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        seen = {}
        for line in haproxy(cluster, "show stat").splitlines():
            fields = line.split(",")
            if len(fields) > 17 and fields[0] == "switches" and fields[1] in wanted:
                seen[fields[1]] = fields[17]
        if seen == wanted:
            return
        time.sleep(0.2)
    raise SystemExit(f"HAProxy did not take {wanted}: {seen}")


# -- setup --------------------------------------------------------------------------------


def register(cluster: Cluster) -> tuple[tuple[str, str, str], ...]:
    from hutong.protocol.ids import new_id

    run = new_id("s")[-6:].lower()
    names = [f"scale-{run}-{n}.example" for n in range(PARTICIPANTS)]
    return tuple(enrol_platforms(cluster.url, OPERATOR, names))


# -- one phase ----------------------------------------------------------------------------


def groups(cluster: Cluster, snap: cpu.Snapshot) -> dict[str, set[int]]:
    def pid(name: str) -> int:
        try:
            return int(Path(cluster.directory, "pids", name).read_text())
        except (OSError, ValueError):
            return -1

    import pwd

    database_uid = pwd.getpwnam("hutongha").pw_uid if os.getuid() == 0 else os.getuid()
    found = {
        "switch": cpu.tree([pid(name) for name in SWITCHES], snap.procs),
        "haproxy": cpu.tree([pid("haproxy")], snap.procs),
        "database": cpu.of_user(snap.procs, database_uid),
    }
    if os.getuid() != 0:  # everything runs as one user: the database is what is left
        found["database"] -= found["switch"] | found["haproxy"]
    return found


def phase(
    cluster: Cluster, args: argparse.Namespace, kind: str, processes: int, signers: Any
) -> dict[str, Any]:
    jobs = [
        Job(
            host="127.0.0.1",
            port=cluster.base + 20,
            kind=kind,
            seconds=args.seconds,
            connections=args.connections,
            pool=args.pool,
            signers=signers,
            offset=g,
        )
        for g in range(args.generators)
    ]
    with Generators(jobs) as generators:
        counted = metrics(cluster)
        before = cpu.snapshot()
        outcomes = generators.run()
        after = cpu.snapshot()
    result = summarize(kind, processes, outcomes, before, after, groups(cluster, after))
    later = metrics(cluster)
    if counted is not None and later is not None:
        # the switch's own counts: writes per group-commit batch, statements per request
        result["switch_metrics"] = waits(counted, later, result["requests"], "request")
    return result


def metrics(cluster: Cluster) -> Snapshot | None:
    """The switch processes' metrics (one multiprocess directory: all of them at once)."""
    try:
        return scrape(cluster.url)
    except httpx.HTTPError:
        return None


def summarize(
    kind: str,
    processes: int,
    outcomes: list[Outcome],
    before: cpu.Snapshot,
    after: cpu.Snapshot,
    pids: dict[str, set[int]],
) -> dict[str, Any]:
    count = sum(o.count for o in outcomes)
    seconds = max(o.seconds for o in outcomes)
    statuses: dict[str, int] = {}
    for outcome in outcomes:
        for status, n in outcome.statuses.items():
            statuses[status] = statuses.get(status, 0) + n
    latencies = sorted(x for o in outcomes for x in o.latencies)
    spent = {name: cpu.spent(before, after, group) for name, group in pids.items()}
    spent["generator"] = sum(o.cpu_s for o in outcomes)
    busy = after.busy_s - before.busy_s
    spent["other"] = max(0.0, busy - sum(spent.values()))
    capacity = after.total_s - before.total_s  # core-seconds the machine had
    return {
        "kind": kind,
        "processes": processes,
        "requests": count,
        "seconds": round(seconds, 3),
        "rate": round(count / seconds, 1) if seconds else 0.0,
        "p50_ms": round(statistics.median(latencies) * 1000, 2) if latencies else None,
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2) if latencies else None,
        "statuses": statuses,
        "pool_exhausted": any(o.pool_exhausted for o in outcomes),
        "cpu_ms_per_request": {
            k: round(v / count * 1000, 3) if count else None for k, v in spent.items()
        },
        "cpu_s": {k: round(v, 2) for k, v in spent.items()},
        "machine_busy_share": round(busy / capacity, 3) if capacity else None,
        "generator_cpu_share": round(spent["generator"] / (len(outcomes) * seconds), 3)
        if seconds
        else None,
        # cores the switch processes kept busy: 1.0 is all one process can use (one GIL)
        "switch_cores": round(spent["switch"] / seconds, 3) if seconds else None,
    }


def ceiling(processes: int, ms: dict[str, float | None]) -> float | None:
    """Requests/s if CPU were the only limit and the machine the cluster's alone.

    min(processes x 1 core / switch ms, cores / (switch + haproxy + database +
    generator) ms): a switch process uses at most one core; all of them, with
    HAProxy, PostgreSQL and the load, share the machine's cores.
    """
    parts = [ms[k] for k in ("switch", "haproxy", "database", "generator")]
    if any(v is None or v <= 0 for v in parts):
        return None
    switch, own = float(parts[0] or 0), sum(float(v or 0) for v in parts)
    return round(min(processes * 1000 / switch, (os.cpu_count() or 1) * 1000 / own), 1)


# -- the run ------------------------------------------------------------------------------


def measure(cluster: Cluster, args: argparse.Namespace) -> list[dict[str, Any]]:
    signers = register(cluster)
    log("warm-up: every process, every kind")
    serve_with(cluster, 3)
    warm = argparse.Namespace(**{**vars(args), "seconds": 2.0})
    for kind in KINDS:
        phase(cluster, warm, kind, 3, signers)
    phases = []
    for round_number in range(args.rounds):
        for processes in args.processes:
            serve_with(cluster, processes)
            for kind in KINDS:
                result = phase(cluster, args, kind, processes, signers)
                result["round"] = round_number + 1
                log(
                    f"round {round_number + 1}, {processes} proc, {kind}: {result['rate']} req/s,"
                    f" switch {result['cpu_ms_per_request']['switch']} ms/req,"
                    f" busy {result['machine_busy_share']}"
                )
                phases.append(result)
    serve_with(cluster, 3)
    return phases


def compare(phases: list[dict[str, Any]], counts: list[int]) -> list[dict[str, Any]]:
    """Per kind: best and mean rate of each process count, ratio to one process, CPU per
    request."""
    rows = []
    for kind in KINDS:
        row: dict[str, Any] = {"kind": kind}
        for processes in counts:
            mine = [p for p in phases if p["kind"] == kind and p["processes"] == processes]
            best = max(mine, key=lambda p: p["rate"])
            row[f"p{processes}"] = {
                "best_rate": best["rate"],
                "mean_rate": round(statistics.mean(p["rate"] for p in mine), 1),
                "rates": [p["rate"] for p in mine],
                "cpu_ms_per_request": best["cpu_ms_per_request"],
                "machine_busy_share": best["machine_busy_share"],
                "p50_ms": best["p50_ms"],
                "p99_ms": best["p99_ms"],
                "switch_cores": best["switch_cores"],
                "switch_metrics": best.get("switch_metrics"),
                "cpu_bound_ceiling": ceiling(processes, best["cpu_ms_per_request"]),
            }
        for n in counts[1:]:
            one, many = row[f"p{counts[0]}"], row[f"p{n}"]
            row[f"ratio_{n}_to_1_best"] = round(many["best_rate"] / one["best_rate"], 3)
            row[f"ratio_{n}_to_1_mean"] = round(many["mean_rate"] / one["mean_rate"], 3)
            low, high = one["cpu_bound_ceiling"], many["cpu_bound_ceiling"]
            row[f"ceiling_ratio_{n}_to_1"] = round(high / low, 3) if low and high else None
        rows.append(row)
    return rows


def table(rows: list[dict[str, Any]], counts: list[int]) -> str:
    head = (
        f"{'kind':<5} {'procs':>5} {'req/s':>8} {'ratio':>6} {'switch':>7} {'haproxy':>7}"
        f" {'db':>7} {'gen':>7} {'other':>7} {'busy':>5} {'sw.cores':>8} {'ceiling':>8}"
        f" {'w/batch':>8}"
    )
    lines = [
        head,
        "  (best of the rounds; CPU in ms per request; busy = the machine's busy share;"
        " sw.cores = cores the switch processes used; ceiling = req/s if CPU-bound on a"
        " machine of our own; w/batch = writes per group commit)",
    ]
    for row in rows:
        for processes in counts:
            cell = row[f"p{processes}"]
            ms = cell["cpu_ms_per_request"]
            best = row.get(f"ratio_{processes}_to_1_best")
            ratio = f"{best:.2f}" if best is not None else ""
            lines.append(
                f"{row['kind']:<5} {processes:>5} {cell['best_rate']:>8.0f} {ratio:>6}"
                + "".join(
                    f" {ms[k]:>7.2f}"
                    for k in ("switch", "haproxy", "database", "generator", "other")
                )
                + f" {cell['machine_busy_share'] * 100:>4.0f}%"
                + f" {cell['switch_cores']:>8.2f} {cell['cpu_bound_ceiling'] or 0:>8.0f}"
                + f" {(cell['switch_metrics'] or {}).get('writes_per_batch', 0):>8.1f}"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=6.0, help="length of each phase")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of each configuration")
    parser.add_argument("--generators", type=int, default=2, help="load generator processes")
    parser.add_argument("--connections", type=int, default=16, help="connections per generator")
    parser.add_argument(
        "--pool", type=int, default=5000, help="pings signed per generator and phase"
    )
    parser.add_argument("--port-base", type=int, default=26000)
    parser.add_argument("--dir", default="/tmp/hutong-cluster-scale")
    parser.add_argument(
        "--processes", default="1,3", help="switch process counts to compare, the first as base"
    )
    parser.add_argument("--keep", action="store_true", help="leave the cluster up afterwards")
    args = parser.parse_args(argv)
    if not 26000 <= args.port_base <= 26050:
        parser.error("port base outside 26000-26050")
    try:
        args.processes = [int(n) for n in args.processes.split(",")]
    except ValueError:
        parser.error("--processes is a list of process counts such as 1,2,3")
    if args.processes[0] != 1 or not all(1 <= n <= len(SWITCHES) for n in args.processes):
        parser.error(f"--processes starts with 1 and counts 1 to {len(SWITCHES)} processes")
    os.environ["HUTONG_CLUSTER_DELIVERY_WORKERS"] = "0"  # pings' events stay in the outbox
    cluster = Cluster(args.dir, args.port_base)
    started = time.monotonic()
    log(f"cluster up in {cluster.directory}")
    cluster.up(keep=args.keep)
    try:
        phases = measure(cluster, args)
    finally:
        if not args.keep:
            cluster.run("down", timeout=120)
    rows = compare(phases, args.processes)
    print(table(rows, args.processes))
    refused = [p for p in phases if set(p["statuses"]) != {"200"}]
    exhausted = [p for p in phases if p["pool_exhausted"]]
    payload = {
        "benchmark": "cluster_scale",
        "command": "python -m bench.cluster_scale " + " ".join(argv or sys.argv[1:]),
        "machine": machine(),
        "settings": vars(args),
        "seconds": round(time.monotonic() - started, 1),
        "rows": rows,
        "phases": phases,
        "refused_phases": len(refused),
        "exhausted_phases": len(exhausted),
    }
    path = write_results("cluster_scale", payload)
    for row in rows:
        for n in args.processes[1:]:
            print(
                f"{row['kind']}: {n} processes / 1 process = {row[f'ratio_{n}_to_1_best']}"
                f" (best), {row[f'ratio_{n}_to_1_mean']} (mean); CPU-bound ceiling"
                f" {row[f'ceiling_ratio_{n}_to_1']}"
            )
    if refused or exhausted:
        print(
            f"WARNING: {len(refused)} phases had non-200 answers, {len(exhausted)} ran out of pings"
        )
    print(f"written to {path}")
    return 1 if refused else 0


if __name__ == "__main__":
    raise SystemExit(main())
