"""`hutong points ...`: exchange offers, members' balances, exchanges.

Acting commands take `--as` (the program acting) and go through the same
checks as the API; `exchange` asks the issuing program over signed HTTP,
exactly as the switch would.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from hutong.api.routes.points_presenters import exchange_out, grant_out
from hutong.cli._common import console, show_json, with_services
from hutong.cli.payments import As, run_operation
from hutong.net.transport import call_transport
from hutong.payments import points
from hutong.protocol.errors import NotFoundError
from hutong.protocol.ids import new_id
from hutong.runtime.services import Services

app = typer.Typer(help="Points programs: offers, balances, exchanges.", no_args_is_help=True)


@app.command()
def offers(
    program_from: Annotated[
        str | None, typer.Option("--from", help="Paid in this program's points.")
    ] = None,
    program_to: Annotated[str | None, typer.Option("--to", help="Issued by this program.")] = None,
) -> None:
    """Published exchange offers."""

    async def work(services: Services) -> list[points.OfferRow]:
        return await points.list_offers(services, program_from=program_from, program_to=program_to)

    table = Table("id", "from", "to", "points", "benefit", "daily cap", "fen per unit", "active")
    for o in with_services(work):
        table.add_row(
            o.id,
            o.program_from,
            o.program_to,
            str(o.points_price),
            o.benefit,
            "-" if o.daily_cap_per_user is None else str(o.daily_cap_per_user),
            str(o.money_rate_fen),
            "yes" if o.active else "no",
        )
    console.print(table)


@app.command()
def balance(member: str, sender: As) -> None:
    """A member's points at the program acting (`--as`)."""

    async def work(services: Services) -> dict[str, Any]:
        return (await points.balance(services, sender, member)).to_dict()

    show_json(with_services(work))


@app.command()
def grant(
    member: str,
    sender: As,
    amount: Annotated[int, typer.Option("--points", help="Points to credit.")],
) -> None:
    """Credit points to the acting program's member."""

    async def work(services: Services) -> dict[str, Any]:
        operation = await points.grant(services, sender, member, amount, new_id("grant"))
        return await run_operation(services, operation, grant_out)

    show_json(with_services(work))


@app.command()
def exchange(
    sender: As,
    offer: Annotated[str, typer.Option(help="The offer id.")],
    member: Annotated[str, typer.Option(help="The member whose points pay.")],
    beneficiary: Annotated[str, typer.Option(help="The member's account at the issuer.")],
    quantity: int = 1,
) -> None:
    """Exchange a member's points for the offer's benefit (both or neither)."""

    async def work(services: Services) -> dict[str, Any]:
        await services.load_switch_key()
        spec = points.NewExchange(offer, member, beneficiary, quantity)
        operation = await points.exchange(services, call_transport(), sender, new_id("cli"), spec)
        return await run_operation(services, operation, exchange_out)

    show_json(with_services(work))


@app.command("show")
def show_exchange(exchange_id: str) -> None:
    """One exchange."""

    async def work(services: Services) -> dict[str, Any]:
        async with services.db.read() as conn:
            found = await points.get_exchange(conn, exchange_id)
        if found is None:
            raise NotFoundError(f"no exchange {exchange_id}", code="unknown_exchange")
        return found.to_dict()

    show_json(with_services(work))
