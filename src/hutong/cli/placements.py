"""`hutong placement ...`: place a merchant's offer on a host surface, with a key.

The host platform itself, or a creator on it, places an offer (a live cart,
a product page, a chat ...); the answer is the placement's universal link
(`/l/<code>`), its QR codes and its share text (a share code for apps that
block links). `show` reads one back. The operator's `hutong share make`
prints a placement's share text from the database.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from hutong.cli import remote
from hutong.cli._common import AsJson, answer, console

app = typer.Typer(help="Placements of offers on host surfaces: create, show.", no_args_is_help=True)

SWITCH = remote.DEFAULT_SWITCH_URL
DEFAULT_SHARE_DAYS = 30


def _shown(placement: dict[str, Any]) -> None:
    console.print(
        f"{placement['id']}: {placement['merchant']} {placement['sku_id']} on "
        f"{placement['host']} {placement['surface']} (placed by {placement['placed_by']})\n"
        f"{placement['url']}\n{placement['share_text']}",
        soft_wrap=True,
        highlight=False,
    )


@app.command()
def create(
    host: Annotated[str, typer.Option(help="The host platform.")],
    surface: Annotated[str, typer.Option(help="live_cart, product_page, chat, ...")],
    merchant: Annotated[str, typer.Option(help="The merchant whose offer is placed.")],
    sku_id: Annotated[str, typer.Option(help="The offer's SKU id.")],
    storefront: Annotated[str, typer.Option(help="The storefront it belongs to.")] = "",
    share_code_days: Annotated[
        int, typer.Option(help="Days its share code stays valid.", min=1, max=365)
    ] = DEFAULT_SHARE_DAYS,
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    message_id: remote.MessageId = None,
    as_json: AsJson = False,
) -> None:
    """Place an offer (as the host platform, or a creator on it): its link and share code."""
    message: dict[str, Any] = {
        "host": host,
        "surface": surface,
        "merchant": merchant,
        "sku_id": sku_id,
        "share_code_days": share_code_days,
    }
    if storefront:
        message["storefront_id"] = storefront
    body = remote.send(key_file, switch_url, "/v1/placements", message, message_id)
    answer(body, as_json, lambda said: _shown(said["message"]["placement"]))


@app.command()
def show(
    placement_id: str,
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    as_json: AsJson = False,
) -> None:
    """One placement with its link and share text."""
    path = remote.path_of("/v1/placements/{}", placement_id)
    answer(remote.read(key_file, switch_url, path), as_json, _shown)
