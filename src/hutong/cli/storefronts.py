"""`hutong storefront ...`: storefronts (入驻) and a host's standing rules, with a key.

A merchant asks a host for a storefront (`request`, its catalog as SKU=FEN);
the host approves or refuses it, or declares a standing rule (`policy
declare`) that decides requests on arrival. `list` and `show` read what the
key's participant may see. The switch has no closing of a storefront: a host
refuses new ones with a standing rule.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from hutong.cli import remote
from hutong.cli._common import AsJson, Correction, answer, console, with_correction

app = typer.Typer(
    help="Storefronts: request, approve, refuse, list, show; a host's standing rules.",
    no_args_is_help=True,
)
policy_app = typer.Typer(help="A host's standing storefront rules.", no_args_is_help=True)
app.add_typer(policy_app, name="policy")

SWITCH = remote.DEFAULT_SWITCH_URL


def _catalog(items: list[str]) -> list[dict[str, Any]]:
    """["sku=fen", ...] as the catalog the switch takes."""
    catalog = []
    for item in items:
        sku, _, price = item.partition("=")
        if not sku or not price.isdigit():
            raise typer.BadParameter(f"an item is SKU=PRICE_FEN, not {item!r}")
        catalog.append({"sku_id": sku, "price": int(price)})
    return catalog


def _line(storefront: dict[str, Any]) -> None:
    """`<id>: <status> (<merchant> in <host>, <bps> bp)`, and the reason if any."""
    said = f" ({storefront['reason']})" if storefront["reason"] else ""
    console.print(
        f"{storefront['id']}: {storefront['status']} "
        f"({storefront['merchant']} in {storefront['host']}, "
        f"{storefront['commission_bps']} bp){said}",
        soft_wrap=True,
        highlight=False,
    )


@app.command()
def request(
    host: Annotated[str, typer.Option(help="The host platform asked.")],
    item: Annotated[list[str], typer.Option(help="SKU=PRICE_FEN inside the host (repeatable).")],
    commission_bps: Annotated[
        int, typer.Option(help="Commission offered to the host, basis points.", min=0, max=10_000)
    ],
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    message_id: remote.MessageId = None,
    as_json: AsJson = False,
) -> None:
    """Ask a host for a storefront (as the merchant); a standing rule may decide it at once."""
    message = {"host": host, "catalog": _catalog(item), "commission_bps": commission_bps}
    body = remote.send(key_file, switch_url, "/v1/storefronts", message, message_id)
    answer(body, as_json, _line)


def _decide(
    storefront_id: str,
    step: str,
    reason: str,
    key_file: remote.KeyFile,
    switch_url: str,
    message_id: str | None,
    as_json: bool,
) -> None:
    path = remote.path_of("/v1/storefronts/{}/" + step, storefront_id)
    body = remote.send(key_file, switch_url, path, {"reason": reason}, message_id)
    answer(body, as_json, _line)


@app.command()
def approve(
    storefront_id: str,
    reason: Annotated[str, typer.Option(help="Why (optional).")] = "",
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    message_id: remote.MessageId = None,
    as_json: AsJson = False,
) -> None:
    """Approve a storefront requested on you (as the host)."""
    _decide(storefront_id, "approve", reason, key_file, switch_url, message_id, as_json)


@app.command()
def refuse(
    storefront_id: str,
    reason: Annotated[str, typer.Option(help="Why (required): the merchant is told.")],
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    message_id: remote.MessageId = None,
    as_json: AsJson = False,
) -> None:
    """Refuse a storefront requested on you (as the host), with a reason."""
    _decide(storefront_id, "refuse", reason, key_file, switch_url, message_id, as_json)


@app.command("list")
def list_storefronts(
    status: Annotated[
        str, typer.Option(help="Only storefronts requested, approved or refused.")
    ] = "",
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    as_json: AsJson = False,
) -> None:
    """Your storefronts, as merchant and as host (an auditor: everyone's)."""

    def human(found: list[dict[str, Any]]) -> None:
        table = Table("storefront", "status", "merchant", "host", "bp", "skus", "decided by")
        for storefront in found:
            table.add_row(
                storefront["id"],
                storefront["status"],
                storefront["merchant"],
                storefront["host"],
                str(storefront["commission_bps"]),
                str(len(storefront["catalog"])),
                storefront["decided_by"],
            )
        console.print(table)

    found = remote.read(key_file, switch_url, "/v1/storefronts", status=status)
    answer(found, as_json, human)


@app.command()
def show(
    storefront_id: str,
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    as_json: AsJson = False,
) -> None:
    """One storefront and its catalog (its merchant, its host, auditors)."""

    def human(storefront: dict[str, Any]) -> None:
        _line(storefront)
        table = Table("sku", "price (fen)")
        for item in storefront["catalog"]:
            table.add_row(item["sku_id"], str(item["price"]))
        console.print(table)

    path = remote.path_of("/v1/storefronts/{}", storefront_id)
    answer(remote.read(key_file, switch_url, path), as_json, human)


def _rules(rules: list[dict[str, Any]]) -> None:
    table = Table("host", "version", "decision", "from", "categories", "home platforms", "reason")
    for rule in rules:
        table.add_row(
            rule["host"],
            str(rule["version"]),
            rule["decision"],
            rule["valid_from"],
            ", ".join(rule["categories"]) or "any",
            ", ".join(rule["home_platforms"]) or "any",
            rule["reason"],
        )
    console.print(table)


@policy_app.command("declare")
def declare_policy(
    decision: Annotated[str, typer.Option(help="approve or refuse.")],
    valid_from: Annotated[str, typer.Option(help="The first day (UTC, YYYY-MM-DD) it decides.")],
    category: Annotated[
        list[str] | None, typer.Option(help="Only offers of this category (repeatable).")
    ] = None,
    home_platform: Annotated[
        list[str] | None, typer.Option(help="Only merchants of this home platform (repeatable).")
    ] = None,
    reason: Annotated[str, typer.Option(help="Required to refuse: the refusal's reason.")] = "",
    correction: Correction = None,
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    message_id: remote.MessageId = None,
    as_json: AsJson = False,
) -> None:
    """Declare a standing rule (as the host): a new version, deciding requests on arrival."""
    message = {
        "decision": decision,
        "valid_from": valid_from,
        "categories": category or [],
        "home_platforms": home_platform or [],
        "reason": reason,
    }
    body = remote.send(
        key_file,
        switch_url,
        "/v1/storefront-policies",
        with_correction(message, correction),
        message_id,
    )
    answer(body, as_json, lambda rule: _rules([rule]))


@policy_app.command("show")
def show_policy(
    host: Annotated[str, typer.Option(help="Whose rules (default: your own).")] = "",
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    as_json: AsJson = False,
) -> None:
    """A host's standing rules, every version (declared rules are public)."""
    found = remote.read(key_file, switch_url, "/v1/storefront-policies", host=host)
    answer(found, as_json, _rules)
