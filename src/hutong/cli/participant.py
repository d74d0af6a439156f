"""`hutong participant add|list|show|suspend|reactivate|revoke|subscriptions|approve`.

`subscriptions` lists Beckn `/subscribe` requests; `approve` turns a
subscriber's pending ones into a participant (see `hutong.registry.beckn_store`).

`add` without `--public-key` prints the generated key once, as its last line:
the JSON key file (`subscriber_id`, `key_id`, `public_key`, `private_key`)
that participants' commands take as `--key-file`.

`add` and `approve` are done once per `--message-id` (`hutong.cli.once.as_operator`,
the write and the answer of `POST /operator/participants` and
`/operator/subscriptions/{id}/approve`): repeated, they show the participant
they registered and register nothing. A repeated `add` that generated its key
says the private key was shown by the first run only (it is kept nowhere).
Status changes need no id: to the status a participant has, they change nothing.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

import msgspec
import typer
from rich.table import Table

from hutong.api.routes.beckn_registry import approving
from hutong.api.routes.operator import adding, shown_as
from hutong.api.schemas import ParticipantIn, ParticipantOut, participant_out
from hutong.cli import once, remote
from hutong.cli._common import console, errors, with_services
from hutong.protocol.signing import new_key_pair
from hutong.registry import beckn_store, service
from hutong.registry.models import Participant, Role, Status
from hutong.runtime.services import Services

#: What a generated key is in the message `add` records (the key itself is new each run).
GENERATED = "generated"

app = typer.Typer(help="Register and manage participants (operator).", no_args_is_help=True)


def _show(participant: ParticipantOut) -> None:
    table = Table(title=participant.subscriber_id, show_header=False)
    table.add_row("name", participant.name)
    table.add_row("roles", ", ".join(participant.roles))
    table.add_row("callback", participant.callback_url)
    table.add_row("status", participant.status)
    for key in participant.keys:
        revoked = f" revoked {key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else ""
        table.add_row(
            f"key {key.key_id}",
            f"{key.public_key}\n{key.valid_from:%Y-%m-%d %H:%M} → "
            f"{key.valid_until:%Y-%m-%d %H:%M} UTC{revoked}",
        )
    console.print(table)


@app.command()
def add(
    subscriber_id: Annotated[str, typer.Argument(help="Domain-like id, e.g. douyin.example")],
    role: Annotated[list[str], typer.Option("--role", "-r", help="Role; repeat for several.")],
    callback_url: Annotated[str, typer.Option("--callback", help="Where events are sent.")],
    public_key: Annotated[
        str, typer.Option(help="Base64 ed25519 public key; omit to generate a key pair.")
    ] = "",
    key_id: Annotated[str, typer.Option(help="Id of the first key.")] = "k1",
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    valid_until: Annotated[
        datetime | None, typer.Option(help="End of the key's validity (UTC).")
    ] = None,
    message_id: remote.MessageId = None,
) -> None:
    """Register a participant with its first signing key (once per --message-id)."""
    generated = None
    if not public_key:
        generated = new_key_pair()
        public_key = generated.public_key
    until = valid_until.replace(tzinfo=valid_until.tzinfo or UTC) if valid_until else None
    data = ParticipantIn(
        subscriber_id=subscriber_id,
        roles=role,
        callback_url=callback_url,
        key_id=key_id,
        public_key=public_key,
        name=name,
        valid_until=until,
    )
    message = msgspec.to_builtins(data) | ({"public_key": GENERATED} if generated else {})
    body = once.as_operator(
        message_id,
        ("POST", "/operator/participants", message),
        lambda services: adding(data, services.clock()),
        shown_as(201),
        create=True,
    )
    participant = msgspec.convert(body, ParticipantOut)
    _show(participant)
    if generated is None:
        return
    if all(key.public_key != generated.public_key for key in participant.keys):
        errors.print(
            "registered by the first run of this message id; its generated private key "
            "was shown by that run only"
        )
        return
    console.print("[bold]Generated key pair (the private key is shown only now):[/]")
    typer.echo(
        json.dumps(
            {
                "subscriber_id": participant.subscriber_id,
                "key_id": key_id,
                "public_key": generated.public_key,
                "private_key": generated.private_key,
            }
        )
    )


@app.command("list")
def list_(
    role: Annotated[Role | None, typer.Option(help="Only this role.")] = None,
    status: Annotated[Status | None, typer.Option(help="Only this status.")] = None,
) -> None:
    """List participants."""

    async def work(services: Services) -> list[Participant]:
        async with services.db.read() as conn:
            return await service.list_participants(conn, role=role, status=status)

    found = with_services(work)
    table = Table("subscriber id", "roles", "status", "keys", "callback URL")
    for p in found:
        table.add_row(
            p.subscriber_id, ", ".join(p.roles), p.status.value, str(len(p.keys)), p.callback_url
        )
    console.print(table)


@app.command()
def show(subscriber_id: str) -> None:
    """Show one participant and its keys."""

    async def work(services: Services) -> Participant:
        async with services.db.read() as conn:
            return await service.require_participant(conn, subscriber_id)

    _show(participant_out(with_services(work)))


def _set_status(subscriber_id: str, status: Status, reason: str) -> None:
    async def work(services: Services) -> Participant:
        async with services.db.transaction() as conn:
            return await service.set_status(conn, subscriber_id, status, services.clock(), reason)

    participant = with_services(work)
    console.print(f"{participant.subscriber_id} is now {participant.status.value}")


@app.command()
def suspend(
    subscriber_id: str, reason: Annotated[str, typer.Option(help="Why, for the record.")] = ""
) -> None:
    """Suspend a participant: its requests are refused until reactivated."""
    _set_status(subscriber_id, Status.SUSPENDED, reason)


@app.command()
def reactivate(
    subscriber_id: str, reason: Annotated[str, typer.Option(help="Why, for the record.")] = ""
) -> None:
    """Lift a suspension."""
    _set_status(subscriber_id, Status.ACTIVE, reason)


@app.command()
def revoke(
    subscriber_id: str, reason: Annotated[str, typer.Option(help="Why, for the record.")] = ""
) -> None:
    """Revoke a participant and all its keys. This is final."""
    _set_status(subscriber_id, Status.REVOKED, reason)


@app.command()
def subscriptions(
    status: Annotated[
        str | None, typer.Option(help="UNDER_SUBSCRIPTION or SUBSCRIBED; omit for all.")
    ] = None,
) -> None:
    """List Beckn subscriptions (self-registrations through /subscribe)."""

    async def work(services: Services) -> list[dict[str, str]]:
        async with services.db.read() as conn:
            return await beckn_store.list_subscriptions(conn, status)

    table = Table("subscriber", "type", "domain", "country", "key", "status", "url")
    for row in with_services(work):
        table.add_row(
            row["subscriber_id"],
            row["type"],
            row["domain"],
            row["country"],
            row["ukId"],
            row["status"],
            row["url"],
        )
    console.print(table)


@app.command()
def approve(subscriber_id: str, message_id: remote.MessageId = None) -> None:
    """Approve a subscriber's pending Beckn subscriptions: it becomes a participant."""
    body = once.as_operator(
        message_id,
        ("POST", f"/operator/subscriptions/{subscriber_id}/approve", {}),
        lambda services: approving(subscriber_id, services.clock()),
        shown_as(201),
    )
    _show(msgspec.convert(body, ParticipantOut))
