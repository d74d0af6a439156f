"""A switch process that claims one message and asks a slow participant: run as a program.

`python -m tests.cluster.claimer DATABASE_URL TAKEOVER_AFTER SLOW` starts a
heartbeat as a switch process does, claims message `m-1` of
`shop.example` with `run_decided`, prints `claimed` once the claim is
committed, then "asks a participant" that takes SLOW seconds, writes a
switch key and prints its answer as JSON: `{"status", "body", "replayed"}`.
Tests SIGKILL or SIGSTOP it while it asks (tests/cluster/test_claim_takeover.py).
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.config import Settings
from hutong.protocol.errors import HutongError
from hutong.runtime.exactly_once import MessageKey, Write, run_decided
from hutong.runtime.heartbeat import Heartbeat
from hutong.runtime.services import Services
from hutong.store.db import Database
from hutong.store.tables import switch_keys

KEY = MessageKey(
    sender="shop.example", message_id="m-1", digest="d-1", method="POST", path="/v1/things"
)


def new_key(by: str) -> Write[str]:
    """A write that adds a switch key named after who ran it: running it twice shows."""

    async def write(conn: AsyncConnection) -> str:
        await conn.execute(
            insert(switch_keys),
            {
                "key_id": f"{by}-{uuid.uuid4().hex[:8]}",
                "public_key": "p",
                "private_key": "s",
                "created_at": datetime.now(UTC),
            },
        )
        return by

    return write


def present(by: str) -> tuple[int, dict[str, Any]]:
    return 201, {"answered_by": by}


def refusal(error: HutongError) -> tuple[int, dict[str, Any]]:
    return 409, error.body()


async def main(url: str, takeover_after: float, slow: float) -> None:
    settings = Settings(database_url=url, claim_takeover_after=takeover_after)
    services = Services(settings=settings, db=Database(url))
    heartbeat = Heartbeat(url)
    services.process_id = await heartbeat.start()
    stop = asyncio.Event()
    beating = asyncio.create_task(heartbeat.run(stop))

    async def prepare() -> Write[str]:
        print("claimed", flush=True)
        await asyncio.sleep(slow)  # a slow wallet
        return new_key("claimer")

    answer = await run_decided(services, KEY, prepare, present, refusal)
    print(
        json.dumps(
            {"status": answer.status, "body": json.loads(answer.body), "replayed": answer.replayed}
        ),
        flush=True,
    )
    stop.set()
    await beating
    await heartbeat.stop()
    await services.batcher().close()
    await services.db.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], float(sys.argv[2]), float(sys.argv[3])))
