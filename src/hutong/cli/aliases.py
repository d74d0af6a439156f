"""`hutong alias ...`: a wallet publishes, withdraws and looks up payee aliases, with its key.

An alias (a phone number or a handle) names one of the wallet's users for
wallet-to-wallet transfers (`hutong transfer send --to`). The switch keeps
only a keyed digest of it; every answer, and so every line printed here,
shows it masked. A lookup answers a payee token per wallet, never another
wallet's account.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from hutong.cli import remote
from hutong.cli._common import AsJson, answer, console

app = typer.Typer(
    help="Payee aliases of a wallet's users: register, remove, lookup.", no_args_is_help=True
)

SWITCH = remote.DEFAULT_SWITCH_URL
Kind = Annotated[str, typer.Option(help="phone or handle.")]
Wallet = Annotated[str, typer.Option(help="Whose entry (default: the key's wallet).")]


def _line(verb: str, entry: dict[str, Any]) -> None:
    console.print(
        f"{verb} {entry['kind']} {entry['masked']} at {entry['wallet']} "
        f"for account {entry['account']}",
        soft_wrap=True,
        highlight=False,
    )


@app.command()
def register(
    value: Annotated[str, typer.Argument(help="The phone number or handle.")],
    account: Annotated[str, typer.Option(help="Your reference of the user's account.")],
    kind: Kind = "phone",
    wallet: Wallet = "",
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    message_id: remote.MessageId = None,
    as_json: AsJson = False,
) -> None:
    """Publish an alias of one of your users (as the wallet); again: it moves to `account`."""
    message = {"kind": kind, "value": value, "account": account, "wallet": wallet}
    body = remote.send(key_file, switch_url, "/v1/aliases", message, message_id)
    verb = "published" if body["created"] else "updated"
    answer(body, as_json, lambda said: _line(verb, said["alias"]))


@app.command()
def remove(
    value: Annotated[str, typer.Argument(help="The phone number or handle.")],
    kind: Kind = "phone",
    wallet: Wallet = "",
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    message_id: remote.MessageId = None,
    as_json: AsJson = False,
) -> None:
    """Withdraw an alias you published (as the wallet)."""
    message = {"kind": kind, "value": value, "wallet": wallet}
    body = remote.send(key_file, switch_url, "/v1/aliases/remove", message, message_id)
    answer(body, as_json, lambda said: _line("removed", said["removed"]))


@app.command()
def lookup(
    value: Annotated[str, typer.Argument(help="The phone number or handle.")],
    kind: Kind = "phone",
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    as_json: AsJson = False,
) -> None:
    """Which wallets serve an alias (as a wallet): masked, with a payee token each."""

    def human(body: dict[str, Any]) -> None:
        table = Table("wallet", "alias", "payee token")
        for entry in body["entries"]:
            table.add_row(entry["wallet"], entry["masked"], entry["payee_token"])
        console.print(table)

    message = {"kind": kind, "value": value}
    body = remote.call(
        remote.require_key(key_file), switch_url, "POST", "/v1/aliases/lookup", message
    )
    answer(body, as_json, human)
