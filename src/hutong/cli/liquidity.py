"""`hutong liquidity set|show`: net debit caps and positions (the operator's, on the database).

A participant's position is what it owes the network, net, in yuan; its
net debit cap (at most what it prefunded) is the most it may come to owe. A
payment or transfer past the cap is refused ``net_debit_cap_exceeded``
before anyone is asked to pay.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from hutong.cli._common import console, with_services
from hutong.ledger.liquidity.service import Liquidity, declare, liquidity, overview
from hutong.ledger.models import yuan
from hutong.runtime.services import Services

app = typer.Typer(help="Net debit caps, prefunded amounts and positions.", no_args_is_help=True)


def _table(found: list[Liquidity]) -> Table:
    table = Table("participant", "position", "net debit cap", "prefunded", "headroom", "version")
    for x in found:
        limit = x.limit
        table.add_row(
            x.participant,
            yuan(x.position),
            yuan(limit.net_debit_cap) if limit else "not capped",
            yuan(limit.prefunded) if limit else "",
            yuan(x.headroom) if x.headroom is not None else "",
            str(limit.version) if limit else "",
        )
    return table


@app.command("set")
def set_limit(
    participant: str,
    cap: Annotated[int, typer.Option("--cap", help="Net debit cap in fen (at most prefunded).")],
    prefunded: Annotated[int, typer.Option(help="What it prefunded, in fen.")],
    reason: Annotated[str, typer.Option(help="Why (kept with the version).")] = "",
) -> None:
    """Declare PARTICIPANT's next net debit cap and prefunded amount."""

    async def work(services: Services) -> Liquidity:
        return await declare(services, participant, cap, prefunded, reason=reason)

    console.print(_table([with_services(work)]))


@app.command()
def show(participant: Annotated[str | None, typer.Argument()] = None) -> None:
    """Every participant's position and cap, or PARTICIPANT's."""

    async def work(services: Services) -> list[Liquidity]:
        if participant is None:
            return await overview(services)
        return [await liquidity(services, participant)]

    console.print(_table(with_services(work)))
