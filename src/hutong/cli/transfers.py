"""`hutong transfer ...`: wallet-to-wallet transfers for the operator and by hand.

`send` acts for the payer's wallet (`--as`): it quotes, then executes the
two-phase transfer over signed HTTP to both wallets, exactly as the API does.
Phone numbers are only ever printed masked.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table
from sqlalchemy import select

from hutong.api.routes.transfers_presenters import executed_out, quote_out
from hutong.cli._common import console, show_json, with_services
from hutong.cli.payments import As, run_operation
from hutong.net.transport import call_transport
from hutong.payments import transfers
from hutong.payments.transfers import directory
from hutong.runtime.services import Services
from hutong.store.tables import transfers as transfers_table

app = typer.Typer(help="Wallet-to-wallet transfers: look up, send, show.", no_args_is_help=True)

Kind = Annotated[str, typer.Option(help="phone or handle.")]


@app.command()
def lookup(value: str, kind: Kind = "phone") -> None:
    """Which wallets serve an alias (shown masked)."""

    async def work(services: Services) -> list[dict[str, Any]]:
        await services.load_switch_key()
        found = await directory.published(services, directory.parse(kind, value))
        return [directory.entry_out(entry) for entry in found]

    table = Table("wallet", "alias", "account")
    for entry in with_services(work):
        table.add_row(entry["wallet"], entry["masked"], entry["account"])
    console.print(table)


@app.command()
def send(
    sender: As,
    payer: Annotated[str, typer.Option(help="The payer's account at the sending wallet.")],
    to: Annotated[str, typer.Option(help="The payee's alias (a phone number or a handle).")],
    amount: Annotated[int, typer.Option(help="Fen to send.")],
    kind: Kind = "phone",
    payee_wallet: Annotated[str, typer.Option(help="When several wallets serve the alias.")] = "",
) -> None:
    """Quote and execute a transfer: both wallets or neither."""

    async def work(services: Services) -> dict[str, Any]:
        await services.load_switch_key()
        spec = transfers.QuoteRequest(
            payer=payer, alias=directory.parse(kind, to), amount=amount, payee_wallet=payee_wallet
        )
        quoted = await run_operation(
            services, await transfers.quote(services, sender, spec), quote_out
        )
        transfer_id = quoted["transfer"]["id"]
        operation = await transfers.execute(services, call_transport(), sender, transfer_id)
        return await run_operation(services, operation, executed_out)

    show_json(with_services(work))


@app.command()
def show(transfer_id: str) -> None:
    """One transfer."""

    async def work(services: Services) -> dict[str, Any]:
        async with services.db.read() as conn:
            return (await transfers.store.require(conn, transfer_id)).to_dict()

    show_json(with_services(work))


@app.command("list")
def list_transfers(limit: int = 50) -> None:
    """The latest transfers."""

    async def work(services: Services) -> list[Any]:
        async with services.db.read() as conn:
            query = (
                select(transfers_table).order_by(transfers_table.c.created_at.desc()).limit(limit)
            )
            return list((await conn.execute(query)).all())

    table = Table("id", "state", "from", "to", "amount", "fees", "credited")
    for row in with_services(work):
        table.add_row(
            row.id,
            row.state,
            row.payer_wallet,
            f"{row.payee_wallet} {row.payee_masked}",
            str(row.amount),
            str(row.payer_fee + row.payee_fee),
            str(row.credited),
        )
    console.print(table)
