"""`hutong coupon ...`: coupon campaigns at a participant's terminal.

`declare` (the merchant, its platform or a host it names) sends a campaign
from a JSON file in the API's shape (see ``POST /v1/coupons/campaigns``);
`claim` (a host) takes a coupon for its buyer; `show`, `list`, `held` (a
host's buyer's coupons) and `refusals` read. Each acts with the participant's
key file, signed over HTTP; a refusal exits 1 with ``<code>: <sentence>``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from hutong.cli import remote
from hutong.cli._common import USAGE, AsJson, answer, console, refuse
from hutong.ledger.models import yuan

app = typer.Typer(
    help="Coupon campaigns: declare, claim, show, list, held, refusals.", no_args_is_help=True
)

SWITCH = remote.DEFAULT_SWITCH_URL


def _value(campaign: dict[str, Any]) -> str:
    if campaign["value_kind"] == "fixed":
        return f"{yuan(campaign['value'])} off"
    cap = f" (at most {yuan(campaign['cap'])})" if campaign["cap"] else ""
    return f"{campaign['value'] / 100:g}% off{cap}"


def _campaigns(campaigns: list[dict[str, Any]]) -> None:
    table = Table("id", "merchant", "issuer", "value", "min spend", "issued", "hosts", "until")
    for c in campaigns:
        table.add_row(
            c["id"],
            c["merchant"],
            c["issuer"],
            _value(c),
            yuan(c["min_spend"]),
            f"{c['issued']}/{c['stock']}",
            ", ".join(c["hosts"]),
            c["valid_until"],
        )
    console.print(table)


def _coupons(coupons: list[dict[str, Any]]) -> None:
    table = Table("coupon", "campaign", "host", "surface", "state", "order")
    for c in coupons:
        table.add_row(
            c["id"], c["campaign_id"], c["host"], c["surface"], c["state"], c["order_id"] or "-"
        )
    console.print(table)


@app.command()
def declare(
    file: Annotated[Path, typer.Argument(help="The campaign as JSON (the API's message).")],
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    message_id: remote.MessageId = None,
    as_json: AsJson = False,
) -> None:
    """Declare a coupon campaign (as its issuer)."""
    try:
        message = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        refuse("invalid_campaign", f"{file}: not a JSON campaign ({error})", exit_code=USAGE)
    body = remote.send(key_file, switch_url, "/v1/coupons/campaigns", message, message_id)
    answer(body, as_json, lambda said: _campaigns([said["campaign"]]))


@app.command()
def claim(
    campaign_id: str,
    buyer: Annotated[str, typer.Option(help="Your pseudonymous id of the buyer.")],
    surface: Annotated[str, typer.Option(help="Where the buyer took it.")] = "product_page",
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    message_id: remote.MessageId = None,
    as_json: AsJson = False,
) -> None:
    """Claim a coupon for one of your buyers (as a host that hands the campaign out)."""
    path = remote.path_of("/v1/coupons/campaigns/{}/claims", campaign_id)
    message = {"buyer": buyer, "surface": surface}
    body = remote.send(key_file, switch_url, path, message, message_id)
    answer(body, as_json, lambda said: _coupons([said["coupon"]]))


@app.command()
def show(
    campaign_id: str,
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    as_json: AsJson = False,
) -> None:
    """A campaign and how many coupons it issued."""
    body = remote.read(
        key_file, switch_url, remote.path_of("/v1/coupons/campaigns/{}", campaign_id)
    )
    answer(body, as_json, lambda said: _campaigns([said["campaign"]]))


@app.command("list")
def list_campaigns(
    merchant: Annotated[str, typer.Option(help="A merchant's campaigns.")] = "",
    host: Annotated[str, typer.Option(help="Campaigns a host hands out.")] = "",
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    as_json: AsJson = False,
) -> None:
    """Coupon campaigns."""
    body = remote.read(key_file, switch_url, "/v1/coupons/campaigns", merchant=merchant, host=host)
    answer(body, as_json, lambda said: _campaigns(said["campaigns"]))


@app.command()
def held(
    buyer: str,
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    as_json: AsJson = False,
) -> None:
    """The coupons one of your buyers holds or used (as its host)."""
    body = remote.read(key_file, switch_url, remote.path_of("/v1/coupons/buyers/{}", buyer))
    answer(body, as_json, lambda said: _coupons(said["coupons"]))


@app.command()
def refusals(
    campaign: Annotated[str, typer.Option(help="One campaign's refusals.")] = "",
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    as_json: AsJson = False,
) -> None:
    """Coupon refusals: an auditor reads all, an issuer or funder its campaign's, a host its own."""

    def show_rows(said: dict[str, Any]) -> None:
        table = Table("when", "campaign", "action", "host", "merchant", "code", "order")
        for r in said["refusals"]:
            table.add_row(
                r["refused_at"],
                r["campaign_id"],
                r["action"],
                r["host"],
                r["merchant"],
                r["code"],
                r["order_id"] or "-",
            )
        console.print(table)

    body = remote.read(key_file, switch_url, "/v1/coupons/refusals", campaign_id=campaign)
    answer(body, as_json, show_rows)
