"""`hutong liquidity set|show`: net debit caps and positions (the operator's, on the database).

A participant's position is what it owes the network, net, in yuan; its
net debit cap (at most what it prefunded) is the most it may come to owe. A
payment or transfer past the cap is refused ``net_debit_cap_exceeded``
before anyone is asked to pay. `set` is done once per `--message-id`, as
`POST /operator/liquidity/{participant}` under an `Idempotency-Key`.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
import typer
from rich.table import Table

from hutong.api.routes.liquidity import LimitIn, LiquidityOut, declaring, liquidity_out, shown
from hutong.cli import once, remote
from hutong.cli._common import console, with_services
from hutong.ledger.liquidity.service import Liquidity, liquidity, overview
from hutong.ledger.models import yuan
from hutong.runtime.services import Services

app = typer.Typer(help="Net debit caps, prefunded amounts and positions.", no_args_is_help=True)


def _table(found: list[LiquidityOut]) -> Table:
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
    message_id: remote.MessageId = None,
) -> None:
    """Declare PARTICIPANT's next net debit cap and prefunded amount (once per --message-id)."""
    data = LimitIn(net_debit_cap=cap, prefunded=prefunded, reason=reason)
    body = once.as_operator(
        message_id,
        ("POST", f"/operator/liquidity/{participant}", msgspec.to_builtins(data)),
        lambda services: declaring(participant, data, services.clock(), by="operator"),
        shown,
    )
    console.print(_table([msgspec.convert(body, LiquidityOut)]))


@app.command()
def show(participant: Annotated[str | None, typer.Argument()] = None) -> None:
    """Every participant's position and cap, or PARTICIPANT's."""

    async def work(services: Services) -> list[Liquidity]:
        if participant is None:
            return await overview(services)
        return [await liquidity(services, participant)]

    console.print(_table([liquidity_out(found) for found in with_services(work)]))
