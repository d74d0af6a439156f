"""A load generator in several processes, each sending for a fixed time: rate, latency, its CPU.

One Python process replaying requests can itself become the bottleneck once
the thing measured is three server processes, so the load is split over
`generators` processes. Each builds (and signs) its own pool of raw HTTP/1.1
requests before the clock starts, waits at a common start line, then keeps
`connections` keep-alive connections busy for `seconds`, one request in
flight on each (closed loop), and reports:

    count      answers received within the time
    seconds    from the start line to its last answer
    cpu_s      its own user + system CPU seconds while sending (process_time)
    statuses   answers by HTTP status; "closed" counts connections the far end
               closed without an answer (reopened at once, the request not resent)
    latencies  seconds per answer

A generator that fails still reports (its `error` says why), which fails the
run at once; so does one that dies without reporting, and one that has not
reported `REPORT_GRACE_S` seconds after its sending time.

The kinds of request, each with a body of the same shape:

    echo   POST /echo, unauthenticated (no signature, no database)
    ping   POST /v1/ping, signed, a new message id each (a write: the message
           record and an outbox event, through the exactly-once path)
    self   GET /v1/self, signed (a read of the caller's participant record)
"""

from __future__ import annotations

import asyncio
import itertools
import multiprocessing
import queue
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from bench._harness import http_request, read_response

KINDS = ("echo", "ping", "self")
#: Seconds past its sending time a generator has to report before the run fails
#: (a far end that stops answering without closing would otherwise hold it).
REPORT_GRACE_S = 60


@dataclass(frozen=True)
class Job:
    host: str
    port: int
    kind: str
    seconds: float
    connections: int
    #: requests built before the clock; a ping is never sent twice, so this
    #: bounds the pings one generator can send in `seconds`.
    pool: int
    #: (subscriber id, key id, private key) of the participants signing
    signers: tuple[tuple[str, str, str], ...]
    offset: int = 0


@dataclass
class Outcome:
    count: int = 0
    seconds: float = 0.0
    cpu_s: float = 0.0
    statuses: dict[str, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    pool_exhausted: bool = False
    error: str = ""


def build(job: Job) -> list[bytes]:
    """The raw requests of `job`, signed now with a 10-minute validity."""
    from hutong.client import encode_json
    from hutong.protocol.envelope import request_envelope
    from hutong.protocol.ids import new_id
    from hutong.protocol.signing import Signer

    signers = [Signer(s, k, p) for s, k, p in job.signers]
    host = f"{job.host}:{job.port}"
    created = int(time.time())
    count = job.pool if job.kind == "ping" else min(job.pool, 500)
    out = []
    for n in range(count):
        signer = signers[(job.offset + n) % len(signers)]
        body = encode_json(request_envelope({"note": "bench"}, message_id=new_id("msg")))
        json_type = {"content-type": "application/json"}
        if job.kind == "echo":
            out.append(http_request("POST", "/echo", host, body, json_type))
        elif job.kind == "ping":
            auth = signer.for_request("POST", "/v1/ping", body, created, created + 600)
            out.append(
                http_request("POST", "/v1/ping", host, body, json_type | {"authorization": auth})
            )
        else:
            auth = signer.for_request("GET", "/v1/self", b"", created, created + 600)
            out.append(http_request("GET", "/v1/self", host, b"", {"authorization": auth}))
    return out


async def _send(job: Job, requests: Sequence[bytes]) -> Outcome:
    outcome = Outcome()
    reusable = job.kind != "ping"
    source: Iterator[bytes] = itertools.cycle(requests) if reusable else iter(requests)
    started = time.perf_counter()
    deadline = started + job.seconds
    last = started

    def count(status: str) -> None:
        outcome.statuses[status] = outcome.statuses.get(status, 0) + 1

    async def connection() -> None:
        nonlocal last
        while time.perf_counter() < deadline:
            reader, writer = await asyncio.open_connection(job.host, job.port)
            try:
                while time.perf_counter() < deadline:
                    raw = next(source, None)
                    if raw is None:
                        outcome.pool_exhausted = True
                        return
                    sent = time.perf_counter()
                    writer.write(raw)
                    status, _ = await read_response(reader)
                    last = time.perf_counter()
                    outcome.latencies.append(last - sent)
                    count(str(status))
                    outcome.count += 1
            except (asyncio.IncompleteReadError, ConnectionError):
                count("closed")  # closed without an answer: open another
            finally:
                writer.close()

    await asyncio.gather(*(connection() for _ in range(job.connections)))
    outcome.seconds = last - started
    return outcome


def _generator(job: Job, ready: Any, go: Any, results: Any) -> None:
    requests = build(job)
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover - uvloop comes with uvicorn[standard]
        pass
    ready.put(True)
    go.wait()
    cpu = time.process_time()
    try:
        outcome = asyncio.run(_send(job, requests))
    except Exception as error:  # reported, so the run ends with a reason, not a wait
        outcome = Outcome(error=f"{type(error).__name__}: {error}")
    outcome.cpu_s = time.process_time() - cpu
    results.put(outcome)


class Generators:
    """`len(jobs)` generator processes, started and ready (pools built) on entry."""

    def __init__(self, jobs: Sequence[Job]) -> None:
        self._jobs = tuple(jobs)
        context = multiprocessing.get_context("spawn")
        self._ready = context.Queue()
        self._results = context.Queue()
        self._go = context.Event()
        self._processes = [
            context.Process(target=_generator, args=(job, self._ready, self._go, self._results))
            for job in jobs
        ]

    def __enter__(self) -> Generators:
        for process in self._processes:
            process.start()
        for _ in self._processes:
            self._ready.get(timeout=300)
        return self

    def run(self) -> list[Outcome]:
        """Start them all at once; their outcomes when every one is done."""
        self._go.set()
        deadline = time.monotonic() + max(job.seconds for job in self._jobs) + REPORT_GRACE_S
        outcomes: list[Outcome] = []
        while len(outcomes) < len(self._processes):
            try:
                outcome: Outcome = self._results.get(timeout=1)
            except queue.Empty:
                dead = [p.exitcode for p in self._processes if p.exitcode not in (None, 0)]
                if dead:
                    raise RuntimeError(
                        f"a generator died without reporting (exit codes {dead})"
                    ) from None
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"a generator did not report within {REPORT_GRACE_S} s of its time"
                    ) from None
                continue
            if outcome.error:  # the others are stopped on the way out (__exit__)
                raise RuntimeError(f"a generator failed: {outcome.error}")
            outcomes.append(outcome)
        return outcomes

    def __exit__(self, *_: object) -> None:
        for process in self._processes:
            process.join(30)
            if process.is_alive():
                process.kill()
