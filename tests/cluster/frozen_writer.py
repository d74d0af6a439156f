"""A switch process that locks a row inside a transaction and stops there: run as a program.

`python -m tests.cluster.frozen_writer DATABASE_URL KEY_ID IDLE_TIMEOUT`
opens a write transaction on a `Database` whose sessions end after
`IDLE_TIMEOUT` seconds idle in a transaction (0: never), locks the
`switch_keys` row `KEY_ID` (`FOR UPDATE`), prints `locked` and waits for a
line on stdin: the test freezes it there (SIGSTOP), as a GC pause or a VM
stall would. Given the line, it writes the row and commits, and prints
`committed`, or, when its session was ended meanwhile, `lost` and whether
the switch takes the error for a lost connection (`database_lost`: the
write's outcome is then resolved by its message record).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError

from hutong.store.db import Database, SessionLimits
from hutong.store.failover import database_lost
from hutong.store.tables import switch_keys


async def main(url: str, key_id: str, idle_timeout: float) -> None:
    db = Database(url, limits=SessionLimits(idle_in_transaction_timeout=idle_timeout))
    row = switch_keys.c.key_id == key_id
    try:
        async with db.transaction() as conn:
            await conn.execute(select(switch_keys.c.key_id).where(row).with_for_update())
            print("locked", flush=True)
            await asyncio.to_thread(sys.stdin.readline)  # frozen here by the test
            await conn.execute(update(switch_keys).where(row).values(public_key="frozen"))
        print("committed", flush=True)
    except DBAPIError as exc:
        print(f"lost {database_lost(exc)}", flush=True)
    finally:
        await db.dispose()


def start_writer(url: str, key_id: str, idle_timeout: float) -> subprocess.Popen[str]:
    """Start the program; returns once it holds the row's lock."""
    root = Path(__file__).resolve().parents[2]
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.cluster.frozen_writer", url, key_id, str(idle_timeout)],
        cwd=root,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    assert line == "locked", line
    return process


def wake_writer(process: subprocess.Popen[str]) -> str:
    """Let the frozen program go on (SIGCONT and its line); what it printed last."""
    assert process.stdin is not None and process.stdout is not None
    process.send_signal(signal.SIGCONT)
    process.stdin.write("go\n")
    process.stdin.flush()
    said = process.stdout.readline().strip()
    process.wait(timeout=30)
    return said


def end_writer(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGCONT)
        process.kill()
    process.wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3])))
