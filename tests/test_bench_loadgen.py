"""The benchmarks' load generator survives a far end that drops connections, and never hangs.

A switch process that HAProxy marks down has its sessions shut: the
generator's connection closes without an answer. That is counted as
`closed` and the connection reopened, not the end of the generator (which
used to die, leaving the benchmark waiting ten minutes for its report).
"""

from __future__ import annotations

import asyncio
import socket
import time

import pytest
from bench._loadgen import Generators, Job, _send

from hutong.protocol.signing import new_key_pair

ANSWER = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}"


def _job(port: int, *, seconds: float) -> Job:
    return Job(
        host="127.0.0.1",
        port=port,
        kind="echo",
        seconds=seconds,
        connections=2,
        pool=10,
        signers=(("bench.example", "k1", new_key_pair().private_key),),
    )


def _freed_port() -> int:
    """A loopback port that was bound, then freed: connecting to it is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_a_connection_closed_without_an_answer_is_counted_and_reopened() -> None:
    served = 0

    async def every_third_request_dropped(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        nonlocal served
        try:
            while True:
                await reader.readuntil(b"\r\n\r\n")  # the requests here have no body
                served += 1
                if served % 3 == 0:
                    return  # closed without an answer
                writer.write(ANSWER)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(every_third_request_dropped, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        outcome = await _send(_job(port, seconds=0.5), [b"POST /echo HTTP/1.1\r\n\r\n"])

    assert outcome.statuses.get("closed", 0) > 0
    assert outcome.statuses.get("200", 0) > outcome.statuses["closed"]
    assert outcome.count == outcome.statuses["200"]  # a closed connection is no answer
    assert outcome.error == ""


def test_a_generator_that_cannot_connect_fails_the_run_at_once() -> None:
    started = time.monotonic()
    with (
        Generators([_job(_freed_port(), seconds=30)]) as generators,
        pytest.raises(RuntimeError, match="a generator failed: ConnectionRefusedError"),
    ):
        generators.run()
    assert time.monotonic() - started < 30  # not the job's 30 s, nor a 600 s wait
