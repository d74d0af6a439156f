"""Tracking events ingested per second, against the signed-request baseline.

In one run, per database, on one `hutong serve` (one worker, delivery loop off):

    setup     the operator registers a merchant, a host platform and the three
              reference carriers (jd-logistics, cainiao, jtexpress), whose
              callback URLs point at a reference world (`reference_app`, in
              this process, its carrier desks signing with the carriers' keys);
              the carriers declare their services; the merchant books
              `--shipments` shipments spread over the three (Hangzhou 330106 ->
              Shanghai 310104, 800 g), each booking a signed call from the
              switch to the carrier's desk. The world stops once all are booked.
    tracking  POST /v1/tracking, each a distinct event pushed by its carrier in
              its own format (JD and Cainiao with unique event ids, J&T without
              one, so each of its events has its own time): per shipment a
              life of collected, hub scans, out for delivery, a failed attempt,
              out again, delivered, one step every 10 minutes, so nearly every
              event moves the shipment (a status update and two outbox events,
              merchant and host, besides the stored event). Connections carry
              one carrier each (`--concurrency` / 3 per carrier).
    signed    the foundation's baseline, exactly as bench/signed_requests.py
              (POST /v1/ping, pre-signed by 16 platforms), same connections.

All requests are signed before the clock starts and replayed by the lean
keep-alive client of bench/_harness.py from this process. Phases alternate
(signed, tracking, signed, tracking, ...), the best of each is kept. At the end
the rows of `tracking_events` must equal the tracking events sent (warm-up
included): none lost, none stored twice.

    .venv/bin/python -m bench.tracking [--shipments N] [--requests N]
        [--concurrency C] [--rounds R] [--database sqlite|postgres|both]
        [--profile /tmp/tracking_spy.txt]

`--profile PATH` adds one tracking phase after the measured ones, not counted,
during which `py-spy record -d 5 -f raw` samples the server into
PATH (one file per database: PATH's stem gets `-sqlite` / `-postgres`).

PostgreSQL is used when HUTONG_TEST_POSTGRES_URL is set (`eval "$(bash
scripts/pg.sh start)"`). Results go to bench/results/tracking.json.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench._harness import (
    OPERATOR_TOKEN,
    PhaseResult,
    Server,
    as_dict,
    http_request,
    hutong_server,
    reset_postgres,
    run_on_databases,
    run_phase,
)
from bench.signed_requests import build_requests, register
from hutong.client import Client, encode_json
from hutong.protocol.envelope import request_envelope
from hutong.protocol.ids import new_id
from hutong.protocol.signing import Signer, new_key_pair
from hutong.world.carriers import tracking_payload
from hutong.world.demo_logistics import CARRIERS
from hutong.world.reference import CarrierDesk, ReferenceWorld, reference_app
from hutong.world.serving import serve_asgi

MERCHANT = "bench-merchant.example"
HOST = "bench-host.example"
ORIGIN, DESTINATION, WEIGHT_G = "330106", "310104", 800
WARMUP = 600
STEP = timedelta(minutes=10)

Code = tuple[str, str]
#: Per carrier, in its own vocabulary: (first step, hub scans cycled, last steps).
LIFE: dict[str, tuple[Code, tuple[Code, ...], tuple[Code, ...]]] = {
    "jd-logistics.example": (
        ("20", ""),
        (("30", ""), ("31", ""), ("40", "")),
        (("50", ""), ("80", "8001"), ("50", ""), ("60", "")),
    ),
    "cainiao.example": (
        ("ACCEPT", ""),
        (("TRANSPORT", "ARRIVE"), ("TRANSPORT", "DEPART"), ("TRANSPORT", "")),
        (("DELIVERING", ""), ("FAILED", "NOBODY_HOME"), ("DELIVERING", ""), ("SIGN", "")),
    ),
    "jtexpress.example": (
        ("1", "103"),
        (("0", ""), ("0", "1001"), ("0", "1002")),
        (("5", ""), ("2", "206"), ("5", ""), ("3", "")),
    ),
}


@dataclass(frozen=True, slots=True)
class Event:
    carrier: str
    tracking_number: str
    code: str
    sub_code: str
    when: datetime


def life(carrier: str, steps: int) -> list[Code]:
    """`steps` codes a shipment of `carrier` goes through, in order."""
    first, hubs, last = LIFE[carrier]
    middle = max(steps - 1 - len(last), 0)
    return ([first] + [hubs[i % len(hubs)] for i in range(middle)] + list(last))[:steps]


def plan_events(parcels: dict[str, list[str]], total: int) -> list[Event]:
    """`total` distinct events, step by step over every shipment; event n is of carrier n % 3."""
    per_carrier = min(len(numbers) for numbers in parcels.values())
    steps = math.ceil(total / (per_carrier * len(parcels)))
    codes = {carrier: life(carrier, steps) for carrier in parcels}
    start = datetime.now(UTC).replace(microsecond=0) - STEP * (steps + 6)
    events = []
    for step in range(steps):
        for j in range(per_carrier):
            when = start + STEP * step + timedelta(seconds=j)
            for carrier, numbers in parcels.items():
                code, sub_code = codes[carrier][step]
                events.append(Event(carrier, numbers[j], code, sub_code, when))
    return events[:total]


def build_tracking(server: Server, signers: dict[str, Signer], events: list[Event]) -> list[bytes]:
    """Signed pushes of `events`, each with its own message id (and event id, where sent)."""
    host = f"{server.host}:{server.port}"
    created = int(time.time())
    out = []
    for e in events:
        payload = tracking_payload(
            e.carrier, e.tracking_number, e.code, e.sub_code, e.when, new_id("ev"), "bench scan"
        )
        body = encode_json(request_envelope(payload, message_id=new_id("msg")))
        auth = signers[e.carrier].for_request("POST", "/v1/tracking", body, created, created + 600)
        headers = {"content-type": "application/json", "authorization": auth}
        out.append(http_request("POST", "/v1/tracking", host, body, headers))
    return out


def _expect(response: httpx.Response, status: int, what: str) -> None:
    if response.status_code != status:
        raise SystemExit(f"{what}: HTTP {response.status_code} {response.text[:500]}")


async def setup(server: Server, shipments: int) -> tuple[dict[str, Signer], dict[str, list[str]]]:
    """Participants, carriers' services and booked shipments; the carriers' signers and
    tracking numbers by carrier."""
    world = ReferenceWorld()
    operator = {"authorization": f"Bearer {OPERATOR_TOKEN}"}
    async with (
        serve_asgi(reference_app(world)) as world_url,
        httpx.AsyncClient(base_url=server.url, timeout=30) as http,
    ):
        known = (await http.get("/.well-known/hutong.json")).json()
        world.switch_public_key = known["signing_public_key"]
        world.switch_id = known["subscriber_id"]
        members = [(MERCHANT, "merchant"), (HOST, "platform")]
        members += [(carrier, "carrier") for carrier in CARRIERS]
        keys: dict[str, str] = {}
        for subscriber, role in members:
            pair = new_key_pair()
            response = await http.post(
                "/operator/participants",
                headers=operator,
                json={
                    "subscriber_id": subscriber,
                    "roles": [role],
                    "callback_url": f"{world_url}/cb/{subscriber}",
                    "key_id": "k1",
                    "public_key": pair.public_key,
                },
            )
            if response.status_code not in (200, 201):
                _expect(response, 201, f"register {subscriber}")
            keys[subscriber] = pair.private_key
        clients = {s: Client(server.url, s, "k1", key, http=http) for s, key in keys.items()}
        # A shipment's host must be a platform its merchant sells on: here, its home.
        response = await http.put(
            f"/operator/merchants/{MERCHANT}/profile",
            headers=operator,
            json={"home_platform": HOST},
        )
        _expect(response, 200, "merchant profile")
        signers = {carrier: clients[carrier].signer for carrier in CARRIERS}
        for carrier, prefix in CARRIERS.items():
            world.carriers[carrier] = CarrierDesk(signer=signers[carrier], tracking_prefix=prefix)
            response = await clients[carrier].post("/v1/carrier/services", {"services": []})
            _expect(response, 200, f"{carrier} declares services")
        route = {"origin": ORIGIN, "destination": DESTINATION, "weight_g": WEIGHT_G}
        response = await clients[MERCHANT].post("/v1/shipments/quote", route)
        _expect(response, 200, "quote")
        service: dict[str, str] = {}
        for q in response.json()["quotes"]:  # cheapest first
            service.setdefault(q["carrier"], q["service"])
        if set(service) != set(CARRIERS):
            raise SystemExit(f"not every carrier quoted the route: {service}")

        carriers = list(CARRIERS)
        parcels: dict[str, list[str]] = {carrier: [] for carrier in carriers}
        gate = asyncio.Semaphore(8)

        async def book(n: int) -> None:
            carrier = carriers[n % len(carriers)]
            body = route | {
                "carrier": carrier,
                "service": service[carrier],
                "host": HOST,
                "address": {"name": f"收件人 {n}", "street": "徐汇区漕溪北路 1 号"},
            }
            async with gate:
                response = await clients[MERCHANT].post("/v1/shipments", body)
            _expect(response, 201, f"booking {n} with {carrier}")
            parcels[carrier].append(response.json()["tracking_number"])

        await asyncio.gather(*(book(n) for n in range(shipments)))
    return signers, parcels


def count_rows(database_url: str) -> dict[str, Any]:
    """What the database holds after the run (read while the server is still up)."""
    from sqlalchemy import create_engine, text

    from hutong.store.db import sync_url

    engine = create_engine(sync_url(database_url))
    try:
        with engine.connect() as conn:
            rows, applied = conn.execute(
                text(
                    "SELECT count(*), coalesce(sum(CASE WHEN applied THEN 1 ELSE 0 END), 0) "
                    "FROM tracking_events"
                )
            ).one()
            by_status = conn.execute(
                text("SELECT status, count(*) FROM shipments GROUP BY status ORDER BY status")
            ).all()
    finally:
        engine.dispose()
    return {
        "tracking_events": int(rows),
        "applied": int(applied),
        "shipments_by_status": {str(s): int(n) for s, n in by_status},
    }


def profiled_phase(
    server: Server, requests: list[bytes], concurrency: int, path: Path
) -> PhaseResult:
    """A tracking phase while py-spy samples the server for 5 s."""
    spy = str(Path(sys.executable).parent / "py-spy")
    command = [spy, "record", "-p", str(server.process.pid), "-d", "5", "-f", "raw"]
    sampler = subprocess.Popen(
        [*command, "-o", str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    time.sleep(0.5)
    result = run_phase("profiled", server.host, server.port, requests, concurrency)
    if sampler.wait(30) != 0:
        err = sampler.stderr.read().decode() if sampler.stderr else ""
        print(f"py-spy failed: {err.strip()[:500]}")
    else:
        print(f"py-spy samples of the server written to {path}")
    return result


def bench_database(
    label: str, database_url: str | None, args: argparse.Namespace
) -> dict[str, Any]:
    if database_url and database_url.startswith("postgresql"):
        reset_postgres(database_url)
    requests = args.requests - args.requests % 3
    profile_requests = 2 * requests if args.profile else 0
    started = time.perf_counter()
    with hutong_server(database_url) as server:
        signers, parcels = asyncio.run(setup(server, args.shipments))
        setup_seconds = time.perf_counter() - started
        platforms = register(server)
        total = WARMUP + args.rounds * requests + profile_requests
        events = plan_events(parcels, total)
        position = 0

        def take(count: int) -> list[Event]:
            nonlocal position
            chunk = events[position : position + count]
            position += count
            return chunk

        warm_ping, *_ = build_requests(server, platforms, 500)
        run_phase("warmup", server.host, server.port, warm_ping, args.concurrency)
        warm = run_phase(
            "warmup",
            server.host,
            server.port,
            build_tracking(server, signers, take(WARMUP)),
            args.concurrency,
        )
        phases = [warm]
        ping_runs: list[PhaseResult] = []
        tracking_runs: list[PhaseResult] = []
        for _ in range(args.rounds):
            ping, *_ = build_requests(server, platforms, requests)
            pushes = build_tracking(server, signers, take(requests))
            ping_runs.append(run_phase("signed", server.host, server.port, ping, args.concurrency))
            tracking_runs.append(
                run_phase("tracking", server.host, server.port, pushes, args.concurrency)
            )
        phases += tracking_runs
        if args.profile:
            path = Path(args.profile)
            path = path.with_name(f"{path.stem}-{label}{path.suffix}")
            pushes = build_tracking(server, signers, take(profile_requests))
            phases.append(profiled_phase(server, pushes, args.concurrency, path))
        stored = count_rows(server.database_url)
    seconds = time.perf_counter() - started
    sent = sum(p.requests for p in phases)
    refused = {p.name: p.statuses for p in phases if p.statuses != {"200": p.requests}}
    refused |= {
        f"signed#{n}": r.statuses
        for n, r in enumerate(ping_runs)
        if r.statuses != {"200": r.requests}
    }
    best_ping = max(ping_runs, key=lambda r: r.rate)
    best_tracking = max(tracking_runs, key=lambda r: r.rate)
    ratio = round(best_tracking.rate / best_ping.rate, 3)
    lossless = stored["tracking_events"] == sent
    print(
        f"[{label}] signed ping {best_ping.rate:7.0f} req/s (p50 {best_ping.p50_ms} ms, p99 "
        f"{best_ping.p99_ms} ms) | tracking {best_tracking.rate:7.0f} events/s (p50 "
        f"{best_tracking.p50_ms} ms, p99 {best_tracking.p99_ms} ms) | ratio {ratio}"
    )
    print(
        f"[{label}] {sum(len(v) for v in parcels.values())} shipments booked in "
        f"{setup_seconds:.1f} s; {sent} events sent, {stored['tracking_events']} stored "
        f"({stored['applied']} moved a shipment): "
        + ("no loss, no double" if lossless else "MISMATCH")
        + f"; shipments {stored['shipments_by_status']}; {seconds:.0f} s in all"
    )
    if refused:
        print(f"[{label}] non-200 answers: {refused}")
    return {
        "database": label,
        "signed": as_dict(best_ping),
        "tracking": as_dict(best_tracking),
        "ratio_tracking_to_signed": ratio,
        "all_rounds": {
            "signed": [r.rate for r in ping_runs],
            "tracking": [r.rate for r in tracking_runs],
        },
        "shipments": {carrier: len(numbers) for carrier, numbers in parcels.items()},
        "setup_seconds": round(setup_seconds, 1),
        "events_sent": sent,
        "stored": stored,
        "lossless": lossless,
        "non_200": refused,
        "seconds": round(seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shipments", type=int, default=300, help="booked, over 3 carriers")
    parser.add_argument("--requests", type=int, default=2100, help="requests per phase")
    parser.add_argument("--concurrency", type=int, default=24, help="connections (3 divides it)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating phases of each kind")
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--profile", default="", help="py-spy raw output path (extra phase)")
    args = parser.parse_args()
    if args.concurrency % 3 or args.shipments < 3 or args.requests < 3:
        parser.error("--concurrency must be a multiple of 3; --shipments, --requests >= 3")
    runs: list[dict[str, Any]] = []

    def run(label: str, database_url: str | None, args: argparse.Namespace) -> dict[str, Any]:
        runs.append(bench_database(label, database_url, args))
        return runs[-1]

    run_on_databases("tracking", run, args)
    if not all(r["lossless"] and not r["non_200"] for r in runs):
        raise SystemExit("tracking events were refused, lost or stored twice")


if __name__ == "__main__":
    main()
