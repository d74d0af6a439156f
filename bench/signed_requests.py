"""Signed requests per second through the full authentication path.

Against the same server's unauthenticated `/echo` route, in the same run:

    signed: POST /v1/ping, Beckn-signed: parse the header, look up the key and
            its participant, check the window, verify ed25519 over the BLAKE2b
            digest of the exact bytes, check the message id, then one write
            transaction (the message-id record and an outbox event)
    read:   GET /v1/self, signed over its request line: the same checks but
            the body's and the message id's, then the caller's own record
            (from the declaration cache); nothing is written
    echo:   POST /echo with a body of the same size

Both are sent by a lean client over keep-alive connections from a separate
process; the switch runs as `hutong serve` (one worker, delivery loop off).
Each phase also reads the CPU time the switch's processes spent (user and
system, every thread, from /proc): CPU per request does not depend on what
else the machine runs, so it compares code and servers where rates cannot.
Phases alternate (echo, signed, read, echo, signed, read, ...) and the best
of each is kept, since the machine is shared and noisy.

    .venv/bin/python bench/signed_requests.py [--requests N] [--concurrency C]
        [--rounds R] [--database sqlite|postgres|both]

PostgreSQL is used when HUTONG_TEST_POSTGRES_URL is set (scripts/pg.sh starts one).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench._harness import (
    OPERATOR_TOKEN,
    PhaseResult,
    Server,
    as_dict,
    enrol_platforms,
    http_request,
    hutong_server,
    reset_postgres,
    run_on_databases,
    run_phase,
)
from hutong.client import encode_json
from hutong.protocol.envelope import request_envelope
from hutong.protocol.ids import new_id
from hutong.protocol.signing import Signer

PARTICIPANTS = 16


def register(server: Server) -> list[Signer]:
    names = [f"bench-{n}.example" for n in range(PARTICIPANTS)]
    return [Signer(*enrolled) for enrolled in enrol_platforms(server.url, OPERATOR_TOKEN, names)]


def server_cpu_seconds(pid: int) -> float:
    """User and system CPU of process `pid` and its descendants, all threads (Linux /proc)."""
    total = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            stat = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(stat[11]) + int(stat[12])
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue  # gone, or not Linux
    return total / os.sysconf("SC_CLK_TCK")


def timed_phase(
    name: str, server: Server, requests: list[bytes], concurrency: int
) -> tuple[PhaseResult, float]:
    """`run_phase`, and the switch's CPU milliseconds per request during it."""
    before = server_cpu_seconds(server.process.pid)
    result = run_phase(name, server.host, server.port, requests, concurrency)
    spent = server_cpu_seconds(server.process.pid) - before
    return result, round(spent / len(requests) * 1000, 3)


def build_requests(
    server: Server, signers: list[Signer], count: int
) -> tuple[list[bytes], list[bytes], list[bytes]]:
    """`count` each of signed writes, echoes and signed reads."""
    host = f"{server.host}:{server.port}"
    signed, echo, read = [], [], []
    created = int(time.time())
    for n in range(count):
        signer = signers[n % len(signers)]
        body = encode_json(request_envelope({"note": "bench"}, message_id=new_id("msg")))
        auth = signer.for_request("POST", "/v1/ping", body, created, created + 600)
        headers = {"content-type": "application/json", "authorization": auth}
        signed.append(http_request("POST", "/v1/ping", host, body, headers))
        echo.append(http_request("POST", "/echo", host, body, {"content-type": "application/json"}))
        auth = signer.for_request("GET", "/v1/self", b"", created, created + 600)
        read.append(http_request("GET", "/v1/self", host, b"", {"authorization": auth}))
    return signed, echo, read


def profile(server: Server, signers: list[Signer], args: argparse.Namespace, path: Path) -> None:
    """One more signed phase, not counted, while py-spy samples the switch (raw, folded stacks)."""
    spy = str(Path(sys.executable).parent / "py-spy")
    command = [spy, "record", "-p", str(server.process.pid), "-d", "4", "-f", "raw"]
    command += ["-o", str(path)]
    sampler = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(0.5)
    deadline = time.monotonic() + 4
    while time.monotonic() < deadline:
        signed, _, _ = build_requests(server, signers, args.requests)
        run_phase("profiled", server.host, server.port, signed, args.concurrency)
    if sampler.wait(60) != 0:
        err = sampler.stderr.read().decode() if sampler.stderr else ""
        print(f"py-spy failed: {err.strip()[:500]}")
    else:
        print(f"py-spy samples of the switch written to {path} (bench/folded.py reads them)")


def bench_database(
    label: str, database_url: str | None, args: argparse.Namespace
) -> dict[str, Any]:
    if database_url and database_url.startswith("postgresql"):
        reset_postgres(database_url)
    with hutong_server(database_url) as server:
        signers = register(server)
        for warmup in build_requests(server, signers, 500):
            run_phase("warmup", server.host, server.port, warmup, args.concurrency)
        runs: dict[str, list[PhaseResult]] = {"echo": [], "signed": [], "read": []}
        cpu: dict[str, list[float]] = {"echo": [], "signed": [], "read": []}
        for _ in range(args.rounds):
            signed, echo, read = build_requests(server, signers, args.requests)
            for name, requests in (("echo", echo), ("signed", signed), ("read", read)):
                result, ms = timed_phase(name, server, requests, args.concurrency)
                runs[name].append(result)
                cpu[name].append(ms)
        if args.profile:
            profile(server, signers, args, Path(f"{args.profile}.{label}"))
    echo_runs, signed_runs, read_runs = runs["echo"], runs["signed"], runs["read"]
    best_echo = max(echo_runs, key=lambda r: r.rate)
    best_signed = max(signed_runs, key=lambda r: r.rate)
    best_read = max(read_runs, key=lambda r: r.rate)
    least_cpu = {name: min(spent) for name, spent in cpu.items()}
    for run in signed_runs + read_runs:
        if run.statuses != {"200": run.requests}:
            raise SystemExit(f"{run.name} phase had refusals: {run.statuses}")
    ratio = round(best_signed.rate / best_echo.rate, 3)
    read_ratio = round(best_read.rate / best_echo.rate, 3)
    print(
        f"[{label}] echo {best_echo.rate:8.0f} req/s (p50 {best_echo.p50_ms} ms, p99 "
        f"{best_echo.p99_ms} ms) | signed {best_signed.rate:8.0f} req/s (p50 "
        f"{best_signed.p50_ms} ms, p99 {best_signed.p99_ms} ms) | ratio {ratio}"
        f" | read {best_read.rate:8.0f} req/s (p50 {best_read.p50_ms} ms) | ratio {read_ratio}"
    )
    print(
        f"[{label}] switch CPU per request (least of the rounds): echo {least_cpu['echo']} ms,"
        f" signed {least_cpu['signed']} ms, read {least_cpu['read']} ms"
    )
    return {
        "database": label,
        "echo": as_dict(best_echo),
        "signed": as_dict(best_signed),
        "read": as_dict(best_read),
        "ratio_signed_to_echo": ratio,
        "ratio_read_to_echo": read_ratio,
        "switch_cpu_ms_per_request": least_cpu,
        "all_rounds": {
            "echo": [r.rate for r in echo_runs],
            "signed": [r.rate for r in signed_runs],
            "read": [r.rate for r in read_runs],
            "switch_cpu_ms_per_request": cpu,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=6000, help="requests per phase")
    parser.add_argument("--concurrency", type=int, default=16, help="client connections")
    parser.add_argument("--rounds", type=int, default=3, help="alternating phases of each kind")
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--profile", default="", help="py-spy raw output path prefix (extra phase)")
    args = parser.parse_args()
    run_on_databases("signed_requests", bench_database, args)


if __name__ == "__main__":
    main()
