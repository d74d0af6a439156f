"""What the sub-commands share: settings, the database, errors, tables."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import typer
from rich.console import Console

from hutong.config import Settings, load_settings
from hutong.net.transport import close_call_transport
from hutong.protocol.errors import HutongError
from hutong.runtime.services import Services
from hutong.store.db import Database
from hutong.store.migrate import upgrade

T = TypeVar("T")

console = Console()
errors = Console(stderr=True)


def show_json(body: Any) -> None:
    """A command's answer, as JSON (Chinese text as it is)."""
    console.print_json(json.dumps(body, ensure_ascii=False))


def settings() -> Settings:
    try:
        return load_settings()
    except ValueError as exc:
        errors.print(f"[red]configuration error:[/] {exc}")
        raise typer.Exit(2) from None


def with_services(work: Callable[[Services], Awaitable[T]], *, migrate: bool = True) -> T:
    """Run `work` against the configured database; a refusal exits 1 with its message."""
    config = settings()
    if migrate:
        upgrade(config.database_url)

    async def run() -> T:
        services = Services(settings=config, db=Database(config.database_url))
        try:
            return await work(services)
        finally:
            await close_call_transport()  # the calls a command made to participants
            await services.db.dispose()

    try:
        return asyncio.run(run())
    except HutongError as exc:
        errors.print(f"[red]{exc.code}:[/] {exc.message}")
        raise typer.Exit(1) from None
