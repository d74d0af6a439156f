"""`hutong commission ...`: a host declares its commission schedule, anyone reads it.

A schedule says what the host takes of an order by channel (own_store,
storefront, link_placement, creator_placement), by category and channel,
and what it pays creators by category; each declaration is a new version
from `--valid-from` on (rates in basis points). `declare` acts with the
host's key; `show` reads over HTTP with a key, or the database (operator).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from hutong.cli import remote
from hutong.cli._common import AsJson, Correction, answer, console, with_correction, with_services
from hutong.commerce import commission_store
from hutong.runtime.services import Services

app = typer.Typer(
    help="A host's commission schedule: declare (with its key), show.", no_args_is_help=True
)

SWITCH = remote.DEFAULT_SWITCH_URL


def _bps(text: str, shape: str) -> tuple[str, int]:
    """`NAME=BPS` as (NAME, BPS); anything else is a usage error naming `shape`."""
    name, _, value = text.partition("=")
    if not name or not value.isdigit():
        raise typer.BadParameter(f"a rate is {shape}, not {text!r}")
    return name, int(value)


def _take_rate(text: str) -> dict[str, Any]:
    key, bps = _bps(text, "CATEGORY:CHANNEL=BPS")
    category, _, channel = key.partition(":")
    if not category or not channel:
        raise typer.BadParameter(f"a take rate is CATEGORY:CHANNEL=BPS, not {text!r}")
    return {"category": category, "channel": channel, "bps": bps}


def _versions(body: dict[str, Any]) -> None:
    table = Table("version", "from", "channels", "categories", "default", "creators", "note")
    for schedule in body["versions"]:
        takes = [f"{r['category']}:{r['channel']}={r['bps']}" for r in schedule["take_rates"]]
        creators = [f"{c}={bps}" for c, bps in schedule["creator_rates"].items()]
        table.add_row(
            str(schedule["version"]),
            schedule["valid_from"],
            ", ".join(f"{c}={bps}" for c, bps in schedule["channel_rates"].items()),
            ", ".join(takes),
            str(schedule["default_take_bps"]),
            ", ".join([*creators, f"default={schedule['default_creator_bps']}"]),
            schedule["note"],
        )
    console.print(f"{body['host']}: {len(body['versions'])} version(s)", highlight=False)
    console.print(table)


@app.command()
def declare(
    valid_from: Annotated[str, typer.Option(help="The first day (UTC, YYYY-MM-DD) it applies.")],
    channel_rate: Annotated[
        list[str] | None, typer.Option(help="CHANNEL=BPS taken on that channel (repeatable).")
    ] = None,
    take_rate: Annotated[
        list[str] | None, typer.Option(help="CATEGORY:CHANNEL=BPS, finer (repeatable).")
    ] = None,
    default_take_bps: Annotated[int, typer.Option(help="Taken when nothing else says.")] = 0,
    creator_rate: Annotated[
        list[str] | None, typer.Option(help="CATEGORY=BPS paid to creators (repeatable).")
    ] = None,
    default_creator_bps: Annotated[int, typer.Option(help="Paid to creators otherwise.")] = 0,
    note: Annotated[str, typer.Option(help="A note kept with the version.")] = "",
    correction: Correction = None,
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    message_id: remote.MessageId = None,
    as_json: AsJson = False,
) -> None:
    """Declare a new version of your commission schedule (as the host platform)."""
    message = {
        "valid_from": valid_from,
        "channel_rates": dict(_bps(r, "CHANNEL=BPS") for r in channel_rate or []),
        "take_rates": [_take_rate(r) for r in take_rate or []],
        "default_take_bps": default_take_bps,
        "creator_rates": dict(_bps(r, "CATEGORY=BPS") for r in creator_rate or []),
        "default_creator_bps": default_creator_bps,
        "note": note,
    }
    body = remote.send(
        key_file,
        switch_url,
        "/v1/commission-schedules",
        with_correction(message, correction),
        message_id,
    )
    schedule = body["schedule"]
    answer(body, as_json, lambda _: _versions({"host": schedule["host"], "versions": [schedule]}))


@app.command()
def show(
    host: str,
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    as_json: AsJson = False,
) -> None:
    """A host's commission schedule, every version: with a key over HTTP, else the operator's."""

    async def work(services: Services) -> dict[str, Any]:
        async with services.db.read() as conn:
            history = await commission_store.commission_history(conn, host)
        return {"host": host, "versions": [s.to_dict() for s in history.versions]}

    path = remote.path_of("/v1/commission-schedules/{}", host)
    body = remote.read_or_direct(key_file, switch_url, path, lambda: with_services(work))
    answer(body, as_json, _versions)
