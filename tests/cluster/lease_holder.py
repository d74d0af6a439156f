"""A switch process that leases delivery lanes or Beckn jobs and holds them: run as a program.

`python -m tests.cluster.lease_holder DATABASE_URL lanes|jobs` starts a
heartbeat as a switch process does, leases every due lane (a
`DeliveryWorker`'s `claim_lanes`) or every due job (`hutong.beckn.queue.claim`)
under an owner that names its process, prints `held N`, then keeps them
while beating, as a worker does whose endpoint or participant is slow. Tests
SIGKILL or SIGSTOP it (tests/net/test_lane_takeover.py,
tests/beckn/test_job_takeover.py).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from hutong.beckn.queue import claim, worker_id
from hutong.config import Settings
from hutong.net.delivery import DeliveryWorker
from hutong.runtime.heartbeat import Heartbeat
from hutong.runtime.services import Services
from hutong.store.db import Database


async def main(url: str, what: str) -> None:
    services = Services(settings=Settings(database_url=url), db=Database(url))
    heartbeat = Heartbeat(url)
    services.process_id = await heartbeat.start()
    stop = asyncio.Event()
    beating = asyncio.create_task(heartbeat.run(stop))
    if what == "lanes":
        worker = DeliveryWorker(services)
        held = len(await worker.claim_lanes(100))
        await worker.close()
    else:
        held = len(await claim(services, worker_id(services), 100))
    print(f"held {held}", flush=True)
    await beating  # a slow endpoint or participant: held while beating, until killed


def start_holder(url: str, what: str) -> subprocess.Popen[str]:
    """Start the program; returns once it holds its leases (at least one)."""
    root = Path(__file__).resolve().parents[2]
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.cluster.lease_holder", url, what],
        cwd=root,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    assert line.startswith("held ") and int(line.split()[1]) >= 1, line
    return process


def end_holder(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGCONT)
        process.kill()
    process.wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
