"""Shared pieces of the benchmarks: a server subprocess, a lean load generator.

The load generator replays pre-built HTTP/1.1 requests over keep-alive
connections with almost no parsing, so the client spends little of the two
cores that it shares with the server; signing is done before the clock starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(os.environ.get("HUTONG_BENCH_RESULTS") or Path(__file__).parent / "results")
OPERATOR_TOKEN = "bench-operator-token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    url: str
    host: str
    port: int
    process: subprocess.Popen[bytes]
    database_url: str
    #: The switch's stderr (its log), written to a file: a pipe nobody reads
    #: would fill up and stall the switch once it logs enough.
    log_path: Path


@contextlib.contextmanager
def hutong_server(
    database_url: str | None, *, env: dict[str, str] | None = None, workers: int = 1
) -> Iterator[Server]:
    """`hutong serve` in its own process (`workers` worker processes), on a fresh database."""
    with tempfile.TemporaryDirectory(prefix="hutong-bench-") as scratch:
        port = free_port()
        url = database_url or f"sqlite+aiosqlite:///{scratch}/hutong.db"
        environment = {
            **os.environ,
            "HUTONG_DATABASE_URL": url,
            "HUTONG_DATA_DIR": scratch,
            "HUTONG_OPERATOR_TOKEN": OPERATOR_TOKEN,
            "HUTONG_RUN_DELIVERY": "0",
            **(env or {}),
        }
        hutong = str(Path(sys.executable).parent / "hutong")
        log_path = Path(scratch) / "switch.log"
        log = log_path.open("wb")
        process = subprocess.Popen(
            [hutong, "serve", "--port", str(port), "--log-level", "warning"]
            + (["--workers", str(workers)] if workers > 1 else []),
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        log.close()  # the child has its own descriptor
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                if process.poll() is not None:
                    raise RuntimeError(log_path.read_text(errors="replace"))
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError("server did not start in 30 s")
                time.sleep(0.1)
            yield Server(base, "127.0.0.1", port, process, url, log_path)
        finally:
            process.terminate()  # with workers, uvicorn's supervisor stops them
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()


def enrol(operator: httpx.Client, entries: Sequence[tuple[str, str, str, str]]) -> None:
    """Each (subscriber id, role, callback URL, public key) enrolled by the operator, key "k1"."""
    for subscriber, role, callback, public_key in entries:
        response = operator.post(
            "/operator/participants",
            json={
                "subscriber_id": subscriber,
                "roles": [role],
                "callback_url": callback,
                "key_id": "k1",
                "public_key": public_key,
            },
        )
        if response.status_code != 201:
            raise SystemExit(f"enrol {subscriber}: {response.status_code} {response.text[:500]}")


def enrol_platforms(
    url: str, operator_token: str, names: Sequence[str]
) -> list[tuple[str, str, str]]:
    """Each name enrolled as a platform with a new key: (subscriber id, key id, private key)."""
    from hutong.protocol.signing import new_key_pair

    pairs = [new_key_pair() for _ in names]
    headers = {"authorization": f"Bearer {operator_token}"}
    with httpx.Client(base_url=url, headers=headers, timeout=30) as operator:
        enrol(
            operator,
            [
                (name, "platform", "http://127.0.0.1:9/cb", pair.public_key)
                for name, pair in zip(names, pairs, strict=True)
            ],
        )
    return [(name, "k1", pair.private_key) for name, pair in zip(names, pairs, strict=True)]


def reset_postgres(url: str) -> None:
    """Empty every table of a PostgreSQL database so a run starts clean."""
    from sqlalchemy import create_engine, text

    from hutong.store.db import sync_url
    from hutong.store.migrate import upgrade
    from hutong.store.tables import metadata

    upgrade(url)
    engine = create_engine(sync_url(url))
    names = ", ".join(t.name for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


def http_request(method: str, path: str, host: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"host: {host}", f"content-length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


@dataclass
class PhaseResult:
    name: str
    requests: int
    seconds: float
    rate: float
    p50_ms: float
    p99_ms: float
    statuses: dict[str, int]


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """One HTTP/1.1 answer with a Content-Length: its status and body."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
            break
    body = await reader.readexactly(length) if length else b""
    return status, body


async def _connection(
    host: str,
    port: int,
    requests: Sequence[bytes],
    latencies: list[float],
    statuses: dict[int, int],
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        for raw in requests:
            started = time.perf_counter()
            writer.write(raw)
            status, _body = await read_response(reader)
            latencies.append(time.perf_counter() - started)
            statuses[status] = statuses.get(status, 0) + 1
    finally:
        writer.close()


def run_phase(
    name: str, host: str, port: int, requests: Sequence[bytes], concurrency: int
) -> PhaseResult:
    """Send `requests` over `concurrency` keep-alive connections; measure."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    shards = [requests[i::concurrency] for i in range(concurrency)]

    async def main() -> float:
        started = time.perf_counter()
        await asyncio.gather(*(_connection(host, port, s, latencies, statuses) for s in shards))
        return time.perf_counter() - started

    seconds = asyncio.run(main())
    latencies.sort()
    return PhaseResult(
        name=name,
        requests=len(requests),
        seconds=round(seconds, 3),
        rate=round(len(requests) / seconds, 1),
        p50_ms=round(statistics.median(latencies) * 1000, 2),
        p99_ms=round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
        statuses={str(k): v for k, v in sorted(statuses.items())},
    )


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "when_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def write_results(name: str, payload: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    return path


def as_dict(result: PhaseResult) -> dict[str, Any]:
    return asdict(result)


def run_on_databases(
    name: str, bench_database: Any, args: Any, extra: dict[str, Any] | None = None
) -> None:
    """Run `bench_database(label, url, args)` on SQLite and (if configured) PostgreSQL.

    `args.database` picks sqlite, postgres or both; PostgreSQL is the server
    named by HUTONG_TEST_POSTGRES_URL. The runs are written to
    bench/results/NAME.json with the machine and the settings.
    """
    postgres = os.environ.get("HUTONG_TEST_POSTGRES_URL", "")
    runs = []
    if args.database in ("sqlite", "both"):
        runs.append(bench_database("sqlite", None, args))
    if args.database in ("postgres", "both"):
        if postgres:
            runs.append(bench_database("postgres", postgres, args))
        else:
            print("[postgres] skipped: HUTONG_TEST_POSTGRES_URL is not set")
    payload = {"benchmark": name, "machine": machine(), "settings": vars(args), "runs": runs}
    path = write_results(name, payload | (extra or {}))
    print(f"written to {path.relative_to(path.parents[2])}")
