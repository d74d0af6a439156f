"""`hutong offer ...`: a merchant publishes its offers and reads them back, with its key.

`publish` upserts one offer from the options, or many from a JSON file (a
list of offers, or `{"offers": [...]}`); the switch checks each item on its
own and answers one result per item (ok, unchanged, or the item's error
code). When any item is refused, its `<code>: <sku>: <sentence>` goes to
stderr and the command exits 1 (the others are stored). Prices are fen.
The switch has no withdraw: publish the offer with `--stock 0`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from hutong.cli import remote
from hutong.cli._common import REFUSED, USAGE, AsJson, answer, console, errors, refuse
from hutong.ledger.models import yuan

app = typer.Typer(help="A merchant's offers: publish, list (with its key).", no_args_is_help=True)

SWITCH = remote.DEFAULT_SWITCH_URL
Text = Annotated[str | None, typer.Option()]


def _from_file(path: Path) -> list[Any]:
    """The offers of a JSON file: a list, or an object with `offers`; else exit 2."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        refuse("invalid_offers_file", f"cannot read {path}: {exc.strerror or exc}", exit_code=USAGE)
    except (UnicodeDecodeError, json.JSONDecodeError):
        refuse("invalid_offers_file", f"{path} is not JSON", exit_code=USAGE)
    offers = document.get("offers") if isinstance(document, dict) else document
    if not isinstance(offers, list) or not offers:
        refuse("invalid_offers_file", f"{path} holds no list of offers", exit_code=USAGE)
    return offers


def _results(body: dict[str, Any]) -> None:
    table = Table("sku", "result", "why")
    for item in body["results"]:
        table.add_row(item["sku_id"], item["result"], item.get("message", ""))
    console.print(table)


@app.command()
def publish(
    sku_id: Annotated[str | None, typer.Option(help="The offer's SKU id.")] = None,
    title: Text = None,
    price: Annotated[int | None, typer.Option(help="Price in fen.")] = None,
    stock: Annotated[int | None, typer.Option(help="Units in stock (0: not for sale).")] = None,
    category: Text = None,
    h5_url: Annotated[str | None, typer.Option(help="The offer's web page (http/https).")] = None,
    deep_link: Annotated[str | None, typer.Option(help="Its app link (optional).")] = None,
    mini_program_app_id: Text = None,
    mini_program_path: Text = None,
    file: Annotated[
        Path | None, typer.Option(help="Publish every offer of this JSON file instead.")
    ] = None,
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    message_id: remote.MessageId = None,
    as_json: AsJson = False,
) -> None:
    """Publish (insert or update) offers, as the merchant: one result per item."""
    given = {
        "sku_id": sku_id,
        "title": title,
        "price": price,
        "stock": stock,
        "category": category,
        "h5_url": h5_url,
        "deep_link": deep_link,
        "mini_program_app_id": mini_program_app_id,
        "mini_program_path": mini_program_path,
    }
    single = {name: value for name, value in given.items() if value is not None}
    if file is not None and single:
        refuse("invalid_offer", "give --file or the offer's options, not both", exit_code=USAGE)
    if file is None and not single:
        refuse(
            "invalid_offer", "give the offer's options (--sku-id ...) or --file", exit_code=USAGE
        )
    offers = _from_file(file) if file is not None else [single]
    body = remote.send(key_file, switch_url, "/v1/offers", {"offers": offers}, message_id)
    answer(body, as_json, _results)
    failed = [item for item in body["results"] if item["result"] not in ("ok", "unchanged")]
    for item in failed:
        errors.print(
            f"[red]{escape(item['result'])}:[/] {escape(str(item['sku_id']))}: "
            f"{escape(item.get('message', ''))}",
            soft_wrap=True,
        )
    if failed:
        raise typer.Exit(REFUSED)


@app.command("list")
def list_offers(
    after: Annotated[str, typer.Option(help="Only SKU ids after this one (paging).")] = "",
    limit: Annotated[int, typer.Option(help="At most this many.", min=1, max=1000)] = 100,
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    as_json: AsJson = False,
) -> None:
    """Your offers, by SKU id (as the merchant)."""

    def human(found: list[dict[str, Any]]) -> None:
        table = Table("sku", "title", "price", "stock", "category")
        for offer in found:
            table.add_row(
                offer["sku_id"],
                offer["title"],
                yuan(offer["price"]),
                str(offer["stock"]),
                offer["category"],
            )
        console.print(table)

    found = remote.read(key_file, switch_url, "/v1/offers", after=after, limit=limit)
    answer(found, as_json, human)
