"""`hutong points offer ...`: a points program publishes and withdraws exchange offers.

The issuing program (`program_to`, the key's) offers one unit of a benefit
for `--points` of another program's points (`--from`), and says what the
paying program owes it per unit (`--money-rate-fen`); `--daily-cap` limits
units per member per UTC day. `hutong points offers` lists them (operator);
`list` here reads them over HTTP with a key.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from hutong.cli import remote
from hutong.cli._common import AsJson, answer, console

app = typer.Typer(
    help="Exchange offers: publish, withdraw, list (with a key).", no_args_is_help=True
)

SWITCH = remote.DEFAULT_SWITCH_URL


def _offers(offers: list[dict[str, Any]]) -> None:
    table = Table("id", "from", "to", "points", "benefit", "daily cap", "fen per unit", "active")
    for offer in offers:
        cap = offer["daily_cap_per_user"]
        table.add_row(
            offer["id"],
            offer["program_from"],
            offer["program_to"],
            str(offer["points_price"]),
            offer["benefit"],
            "-" if cap is None else str(cap),
            str(offer["money_rate_fen"]),
            "yes" if offer["active"] else "no",
        )
    console.print(table)


@app.command()
def publish(
    program_from: Annotated[str, typer.Option("--from", help="Paid in this program's points.")],
    points: Annotated[int, typer.Option("--points", help="Points per unit.", min=1)],
    benefit: Annotated[str, typer.Option(help="One unit of what the member gets.")],
    money_rate_fen: Annotated[
        int, typer.Option(help="Fen the paying program owes you per unit.", min=0)
    ],
    daily_cap: Annotated[
        int | None, typer.Option(help="Units a member may take a UTC day (default: no cap).")
    ] = None,
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    message_id: remote.MessageId = None,
    as_json: AsJson = False,
) -> None:
    """Publish an exchange offer (as the issuing program)."""
    message = {
        "program_from": program_from,
        "points_price": points,
        "benefit": benefit,
        "daily_cap_per_user": daily_cap,
        "money_rate_fen": money_rate_fen,
    }
    body = remote.send(key_file, switch_url, "/v1/points/offers", message, message_id)
    answer(body, as_json, lambda said: _offers([said["offer"]]))


@app.command()
def withdraw(
    offer_id: str,
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    message_id: remote.MessageId = None,
    as_json: AsJson = False,
) -> None:
    """Withdraw an exchange offer (as the program that published it)."""
    path = remote.path_of("/v1/points/offers/{}/withdraw", offer_id)
    body = remote.send(key_file, switch_url, path, {}, message_id)
    answer(body, as_json, lambda said: _offers([said["offer"]]))


@app.command("list")
def list_offers(
    program_from: Annotated[str, typer.Option("--from", help="Paid in this program's.")] = "",
    program_to: Annotated[str, typer.Option("--to", help="Issued by this program.")] = "",
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    as_json: AsJson = False,
) -> None:
    """Published exchange offers."""
    path = "/v1/points/offers"
    body = remote.read(key_file, switch_url, path, program_from=program_from, program_to=program_to)
    answer(body, as_json, lambda said: _offers(said["offers"]))
