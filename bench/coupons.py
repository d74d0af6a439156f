"""Concurrent coupon claims on one campaign (a hot row), against the signed ping of the same run.

    claims: POST /v1/coupons/campaigns/{id}/claims, Beckn-signed, every claim a
            different buyer, all on one campaign whose stock is half the claims:
            each takes the stock with one conditional UPDATE of the campaign's
            row (or is refused ``coupon_exhausted`` and recorded), with its
            message-id record and its events, in one transaction
    signed: POST /v1/ping, signed the same way (the baseline: authentication,
            the message-id record and one outbox event)

Phases alternate (signed, claims, ...) over keep-alive connections from a
separate process, against `hutong serve` (one worker, delivery loop off);
each claims phase uses a fresh campaign, and the best of each kind is kept.
After each claims phase the campaign is read back: it must have issued
exactly as many coupons as were answered 201 and never more than its stock
(``over_issued`` is 0, or the run fails).

    .venv/bin/python -m bench.coupons [--claims N] [--concurrency C] [--rounds R]
        [--database sqlite|postgres|both] [--profile /tmp/coupons_spy.txt]

Each phase also reads the switch's own metrics around it (statements per
claim and per ping by kind, group-commit waits: `bench._switch_metrics`).
`--profile PATH` adds one claims phase after the measured ones, not counted,
while py-spy (pip install py-spy) samples the switch: raw folded stacks for
`python -m bench.folded PATH`.

Results: bench/results/coupons.json. PostgreSQL is used when
HUTONG_TEST_POSTGRES_URL is set (scripts/pg.sh starts one).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
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
    reset_postgres,
    run_on_databases,
    run_phase,
)
from bench._switch_metrics import scrape, waits
from hutong.client import encode_json
from hutong.protocol.envelope import request_envelope
from hutong.protocol.ids import new_id
from hutong.protocol.signing import Signer, new_key_pair

HOSTS = 16
MERCHANT = "bench-shop.example"
ISSUER = "bench-0.example"


def _register(operator: httpx.Client, subscriber: str, role: str) -> Signer:
    pair = new_key_pair()
    enrol(operator, [(subscriber, role, "http://127.0.0.1:9/cb", pair.public_key)])
    return Signer(subscriber, "k1", pair.private_key)


def setup(server: Server) -> list[Signer]:
    """16 host platforms (the first is the merchant's home) and the merchant."""
    with httpx.Client(
        base_url=server.url, headers={"authorization": f"Bearer {OPERATOR_TOKEN}"}
    ) as operator:
        hosts = [_register(operator, f"bench-{n}.example", "platform") for n in range(HOSTS)]
        _register(operator, MERCHANT, "merchant")
        operator.put(
            f"/operator/merchants/{MERCHANT}/profile",
            json={"home_platform": ISSUER, "self_operated": False},
        ).raise_for_status()
    return hosts


def _signed(server: Server, signer: Signer, path: str, message: dict[str, Any]) -> bytes:
    body = encode_json(request_envelope(message, message_id=new_id("msg")))
    created = int(time.time())
    auth = signer.for_request("POST", path, body, created, created + 600)
    headers = {"content-type": "application/json", "authorization": auth}
    return http_request("POST", path, f"{server.host}:{server.port}", body, headers)


def declare(server: Server, issuer: Signer, stock: int) -> str:
    """A campaign of `stock` coupons, released now, handed out by every host."""
    now = datetime.now(UTC)
    message = {
        "merchant": MERCHANT,
        "title": "bench",
        "funding": {ISSUER: 10_000},
        "value_kind": "fixed",
        "value": 100,
        "releases": [{"at": (now - timedelta(seconds=5)).isoformat(), "quantity": stock}],
        "valid_from": (now - timedelta(seconds=5)).isoformat(),
        "valid_until": (now + timedelta(days=1)).isoformat(),
        "hosts": [f"bench-{n}.example" for n in range(HOSTS)],
    }
    path = "/v1/coupons/campaigns"
    body = encode_json(request_envelope(message, message_id=new_id("msg")))
    created = int(time.time())
    auth = issuer.for_request("POST", path, body, created, created + 600)
    response = httpx.post(
        server.url + path,
        content=body,
        headers={"content-type": "application/json", "authorization": auth},
        timeout=30,
    )
    response.raise_for_status()
    campaign_id: str = response.json()["campaign"]["id"]
    return campaign_id


def issued(server: Server, reader: Signer, campaign_id: str) -> int:
    path = f"/v1/coupons/campaigns/{campaign_id}"
    created = int(time.time())
    auth = reader.for_request("GET", path, b"", created, created + 600)
    response = httpx.get(server.url + path, headers={"authorization": auth}, timeout=30)
    response.raise_for_status()
    return int(json.loads(response.content)["campaign"]["issued"])


def claims(server: Server, hosts: list[Signer], campaign_id: str, count: int) -> list[bytes]:
    path = f"/v1/coupons/campaigns/{campaign_id}/claims"
    return [
        _signed(server, hosts[n % len(hosts)], path, {"buyer": f"b-{n}", "surface": "search"})
        for n in range(count)
    ]


def pings(server: Server, hosts: list[Signer], count: int) -> list[bytes]:
    return [
        _signed(server, hosts[n % len(hosts)], "/v1/ping", {"note": "bench"}) for n in range(count)
    ]


def measured(
    server: Server, name: str, batch: list[bytes], concurrency: int
) -> tuple[PhaseResult, dict[str, Any]]:
    """A phase, and what the switch counted during it per request (statements, batch waits)."""
    before = scrape(server.url)
    run = run_phase(name, server.host, server.port, batch, concurrency)
    return run, waits(before, scrape(server.url), len(batch), "request")


def profiled(server: Server, hosts: list[Signer], args: argparse.Namespace) -> None:
    """One more claims phase, not counted, while py-spy samples the switch (raw folded stacks)."""
    spy = str(Path(sys.executable).parent / "py-spy")
    batch = claims(server, hosts, declare(server, hosts[0], max(1, args.claims // 2)), args.claims)
    command = [spy, "record", "-p", str(server.process.pid), "-r", "200", "-f", "raw"]
    sampler = subprocess.Popen(
        [*command, "-o", args.profile], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    time.sleep(0.5)
    run_phase("claims", server.host, server.port, batch, args.concurrency)
    sampler.send_signal(2)  # SIGINT: py-spy writes what it sampled and stops
    if sampler.wait(60) != 0:
        err = sampler.stderr.read().decode() if sampler.stderr else ""
        print(f"py-spy failed: {err.strip()[:500]}")
    else:
        print(f"py-spy samples of the switch written to {args.profile}")


def bench_database(
    label: str, database_url: str | None, args: argparse.Namespace
) -> dict[str, Any]:
    if database_url and database_url.startswith("postgresql"):
        reset_postgres(database_url)
    stock = max(1, args.claims // 2)
    checks: list[dict[str, int]] = []
    with hutong_server(database_url) as server:
        hosts = setup(server)
        run_phase("warmup", server.host, server.port, pings(server, hosts, 200), args.concurrency)
        ping_runs: list[tuple[PhaseResult, dict[str, Any]]] = []
        claim_runs: list[tuple[PhaseResult, dict[str, Any]]] = []
        for _ in range(args.rounds):
            batch = pings(server, hosts, args.claims)
            ping_runs.append(measured(server, "signed", batch, args.concurrency))
            campaign = declare(server, hosts[0], stock)
            batch = claims(server, hosts, campaign, args.claims)
            run, switch = measured(server, "claims", batch, args.concurrency)
            claim_runs.append((run, switch))
            granted = run.statuses.get("201", 0)
            out = issued(server, hosts[0], campaign)
            checks.append(
                {
                    "stock": stock,
                    "granted": granted,
                    "issued": out,
                    "exhausted": run.statuses.get("409", 0),
                    "over_issued": max(0, out - stock, granted - stock),
                }
            )
            if out != granted or out > stock or set(run.statuses) - {"201", "409"}:
                raise SystemExit(f"[{label}] claims went wrong: {run.statuses}, issued {out}")
        if args.profile:
            profiled(server, hosts, args)
    best_ping, ping_switch = max(ping_runs, key=lambda r: r[0].rate)
    best_claims, claims_switch = max(claim_runs, key=lambda r: r[0].rate)
    ratio = round(best_claims.rate / best_ping.rate, 3)
    over = max(c["over_issued"] for c in checks)
    print(
        f"[{label}] signed ping {best_ping.rate:8.0f} req/s | claims {best_claims.rate:8.0f} "
        f"claims/s (p50 {best_claims.p50_ms} ms, p99 {best_claims.p99_ms} ms) | ratio {ratio} "
        f"| over-issued {over}"
    )
    print(f"[{label}] per ping (best round): {ping_switch}")
    print(f"[{label}] per claim (best round, half of them refused exhausted): {claims_switch}")
    return {
        "database": label,
        "signed": as_dict(best_ping),
        "claims": as_dict(best_claims),
        "switch_per_ping": ping_switch,
        "switch_per_claim": claims_switch,
        "ratio_claims_to_signed": ratio,
        "over_issued": over,
        "checks": checks,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--claims", type=int, default=2000, help="claims (and pings) per phase")
    parser.add_argument("--concurrency", type=int, default=16, help="client connections")
    parser.add_argument("--rounds", type=int, default=2, help="alternating phases of each kind")
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--profile", default="", help="py-spy raw output path (extra phase)")
    args = parser.parse_args()
    run_on_databases("coupons", bench_database, args)


if __name__ == "__main__":
    main()
