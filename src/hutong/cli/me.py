"""`hutong self ...`: a participant's own record, keys and a ping, with its key file.

`show` is the registry's record of the key's participant; `add-key` adds a
signing key (rotation: the old keys stay valid until they end), and without
`--public-key` makes the pair and prints the new key file once, as the last
line, as `hutong participant add` does; `ping` asks the switch to send an
`on_ping` event to the participant's callback URL.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

import typer
from rich.table import Table

from hutong.cli import remote
from hutong.cli._common import AsJson, answer, console
from hutong.protocol.signing import new_key_pair

app = typer.Typer(help="Your own record, keys and a ping (with your key).", no_args_is_help=True)

SWITCH = remote.DEFAULT_SWITCH_URL


@app.command()
def show(
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    as_json: AsJson = False,
) -> None:
    """The registry's record of the key file's participant."""

    def human(record: dict[str, Any]) -> None:
        table = Table("field", "value")
        table.add_row("subscriber", record["subscriber_id"])
        table.add_row("roles", ", ".join(record["roles"]))
        table.add_row("status", record["status"])
        table.add_row("callback", record["callback_url"])
        for key in record["keys"]:
            revoked = " (revoked)" if key.get("revoked_at") else ""
            window = f"{key['valid_from']} → {key['valid_until']}{revoked}"
            table.add_row(f"key {key['key_id']}", window)
        console.print(table)

    answer(remote.read(key_file, switch_url, "/v1/self"), as_json, human)


@app.command("add-key")
def add_key(
    key_id: Annotated[str, typer.Option(help="The new key's id.")],
    public_key: Annotated[
        str | None, typer.Option(help="Its public key (default: make a pair, print it once).")
    ] = None,
    valid_from: Annotated[datetime | None, typer.Option(help="From (UTC).")] = None,
    valid_until: Annotated[datetime | None, typer.Option(help="Until (UTC).")] = None,
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    message_id: remote.MessageId = None,
    as_json: AsJson = False,
) -> None:
    """Add a signing key (signed with the current one); the old keys stay valid."""
    generated = None if public_key else new_key_pair()
    message: dict[str, Any] = {
        "key_id": key_id,
        "public_key": public_key or (generated.public_key if generated else ""),
    }
    for name, moment in (("valid_from", valid_from), ("valid_until", valid_until)):
        if moment is not None:
            message[name] = moment.isoformat() + ("" if moment.tzinfo else "Z")
    body = remote.send(key_file, switch_url, "/v1/keys", message, message_id)

    def human(said: dict[str, Any]) -> None:
        key = said["message"]["key"]
        console.print(
            f"key {key['key_id']} added: {key['valid_from']} → {key['valid_until']}",
            highlight=False,
        )

    answer(body, as_json, human)
    if generated is not None:
        subscriber_id = remote.load_key(remote.require_key(key_file)).subscriber_id
        console.print("[bold]Generated key pair (the private key is shown only now):[/]")
        typer.echo(
            json.dumps(
                {
                    "subscriber_id": subscriber_id,
                    "key_id": key_id,
                    "public_key": generated.public_key,
                    "private_key": generated.private_key,
                }
            )
        )


@app.command()
def ping(
    note: Annotated[str, typer.Option(help="Sent back in the event.")] = "",
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    message_id: remote.MessageId = None,
    as_json: AsJson = False,
) -> None:
    """Ask the switch to send an on_ping event to your callback URL."""
    body = remote.send(key_file, switch_url, "/v1/ping", {"note": note}, message_id)
    answer(
        body,
        as_json,
        lambda said: console.print(
            f"on_ping queued: {said['message']['event_id']}", highlight=False
        ),
    )
