"""`hutong events list`: what was delivered, what is pending, what is dead."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from hutong.api.services import Services
from hutong.cli._common import console, with_services
from hutong.events.outbox import EventRecord, EventStatus, count_by_status, list_events

app = typer.Typer(help="Events to participants (the outbox).", no_args_is_help=True)


@app.command("list")
def list_(
    participant: Annotated[
        str | None, typer.Option(help="Only events to this participant.")
    ] = None,
    status: Annotated[EventStatus | None, typer.Option(help="pending, delivered or dead.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many, oldest first.")] = 50,
    after: Annotated[int, typer.Option(help="Only events after this sequence number.")] = 0,
) -> None:
    """List events with their delivery state."""

    async def work(services: Services) -> tuple[list[EventRecord], dict[str, int]]:
        async with services.db.read() as conn:
            found = await list_events(
                conn, recipient=participant, status=status, limit=limit, after_id=after
            )
            return found, await count_by_status(conn)

    found, counts = with_services(work)
    table = Table("#", "event id", "to", "action", "status", "tries", "created (UTC)", "last error")
    for event in found:
        table.add_row(
            str(event.id),
            event.event_id,
            event.recipient,
            event.action,
            event.status.value,
            str(event.attempts),
            f"{event.created_at:%Y-%m-%d %H:%M:%S}",
            (event.last_error or "")[:60],
        )
    console.print(table)
    console.print(", ".join(f"{name}: {count}" for name, count in counts.items()))
