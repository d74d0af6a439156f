"""`hutong events list`: what was delivered, what is pending, what is dead.

`hutong events prune` removes, by hand, what the deadline sweep removes every
second: events delivered or given up longer ago than the retention
(`hutong.events.retention`).
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from hutong.cli._common import console, errors, with_services
from hutong.events.outbox import EventRecord, EventStatus, count_by_status, list_events
from hutong.events.retention import prune_events
from hutong.runtime.services import Services

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


@app.command()
def prune(
    days: Annotated[
        int | None,
        typer.Option(min=1, help="Keep this many days (default HUTONG_OUTBOX_RETENTION_DAYS)."),
    ] = None,
) -> None:
    """Remove events delivered or given up over the retention ago; pending ones never go."""

    async def work(services: Services) -> tuple[int, int]:
        kept = services.settings.outbox_retention_days if days is None else days
        return await prune_events(services.db, services.clock(), kept), kept

    removed, kept = with_services(work)
    if kept == 0:
        console.print("HUTONG_OUTBOX_RETENTION_DAYS is 0: every event is kept; nothing pruned")
        return
    console.print(f"pruned {removed} event(s) delivered or given up over {kept} days ago")


@app.command()
def listen(
    switch_url: Annotated[str, typer.Option(help="The switch, to fetch its public key.")] = (
        "http://127.0.0.1:8080"
    ),
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 9000,
) -> None:
    """Receive events as a participant would: verify each and print it.

    Register the participant with callback URL http://HOST:PORT/cb/SUBSCRIBER_ID.
    """
    import json

    import uvicorn

    from hutong.world.reference import ReferenceWorld, reference_app

    key = _switch_key(switch_url)
    world = ReferenceWorld(
        switch_public_key=key["signing_public_key"],
        switch_id=key["subscriber_id"],
        on_event=lambda subscriber, envelope: console.print_json(
            json.dumps({"to": subscriber, **envelope}, ensure_ascii=False)
        ),
    )
    console.print(f"listening on http://{host}:{port}/cb/<subscriber_id>; events are verified")
    uvicorn.run(reference_app(world), host=host, port=port, log_level="warning")


def _switch_key(switch_url: str, attempts: int = 20) -> dict[str, str]:
    """The switch's published key; waits a little for a switch that is starting."""
    import time

    import httpx

    url = f"{switch_url.rstrip('/')}/.well-known/hutong.json"
    for attempt in range(attempts):
        try:
            response = httpx.get(url, timeout=5)
            response.raise_for_status()
            document: dict[str, str] = response.json()
            return document
        except httpx.HTTPError as exc:
            if attempt == attempts - 1:
                errors.print(f"[red]cannot read the switch's key at {url}:[/] {exc}")
                raise typer.Exit(1) from None
            time.sleep(0.5)
    raise AssertionError("unreachable")
