"""`hutong serve`, `hutong deliver` and `hutong migrate`."""

from __future__ import annotations

import asyncio
import os
import signal
import tempfile
from typing import Annotated

import typer

from hutong.cli._common import console, settings
from hutong.store.migrate import upgrade


def migrate() -> None:
    """Bring the database to the newest schema (SQLite by default, or HUTONG_DATABASE_URL)."""
    config = settings()
    upgrade(config.database_url)
    console.print(f"migrated {config.database_url.split('@')[-1]}")


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
    workers: Annotated[int, typer.Option(help="Worker processes (share the database).")] = 1,
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error.")] = "info",
) -> None:
    """Run the switch: the API, and the outbox delivery loop in each worker."""
    import uvicorn

    from hutong.api.server import HTTP_PROTOCOL

    config = settings()
    upgrade(config.database_url)
    if config.is_sqlite and workers > 1:
        console.print(
            "[yellow]several workers on SQLite share one file: fine for trying out, "
            "use PostgreSQL (HUTONG_DATABASE_URL) in production[/]"
        )
    os.environ["HUTONG_LOG_LEVEL"] = log_level
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # /metrics answers for every worker, not for the one that took the request.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="hutong-metrics-")
    uvicorn.run(
        "hutong.api.asgi:app_factory",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        log_level=log_level,
        proxy_headers=True,
        # The server's own 400s are NACKs with a code, as the app's are.
        http=HTTP_PROTOCOL,
    )


def deliver(
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error.")] = "info",
) -> None:
    """Run the background work alone: outbox delivery, expiries and deadlines, no HTTP.

    A cluster runs its API processes with HUTONG_RUN_DELIVERY=0 and one or
    more of these beside them; they share the outbox (each lane is leased by
    one worker at a time, with FOR UPDATE SKIP LOCKED). Stops on SIGTERM or
    SIGINT.
    """
    from hutong import logs
    from hutong.api.app import create_app
    from hutong.runtime.services import Services
    from hutong.store.db import Database

    config = settings()
    upgrade(config.database_url)
    logs.configure(log_level)
    app = create_app(Services(settings=config, db=Database.of(config)), run_background=True)

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        async with app.lifespan():
            await stop.wait()

    asyncio.run(run())
