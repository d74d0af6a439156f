"""`hutong ledger balances|history|check` for the operator."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from hutong.cli._common import console, errors, with_services
from hutong.ledger.check import CheckReport, check_ledger
from hutong.ledger.models import Account
from hutong.ledger.store import HistoryEntry, get_account, history, list_accounts
from hutong.runtime.services import Services

app = typer.Typer(help="The double-entry ledger.", no_args_is_help=True)


@app.command()
def balances(
    participant: Annotated[str | None, typer.Option(help="Only this owner's accounts.")] = None,
) -> None:
    """Accounts with their posted and pending totals (integer minor units)."""

    async def work(services: Services) -> list[Account]:
        async with services.db.read() as conn:
            return await list_accounts(conn, participant)

    table = Table("account", "owner", "asset", "kind", "balance", "pending out", "pending in")
    for account in with_services(work):
        table.add_row(
            account.id,
            account.owner,
            account.asset,
            account.kind,
            str(account.balance),
            str(account.debits_pending),
            str(account.credits_pending),
        )
    console.print(table)


@app.command("history")
def history_(
    account_id: str,
    after: Annotated[int, typer.Option(help="Only transfers after this sequence number.")] = 0,
    limit: Annotated[int, typer.Option(help="At most this many.")] = 50,
) -> None:
    """Transfers of one account, oldest first."""

    async def work(services: Services) -> tuple[Account | None, list[HistoryEntry]]:
        async with services.db.read() as conn:
            account = await get_account(conn, account_id)
            entries = await history(conn, account_id, after=after, limit=limit)
            return account, entries

    account, entries = with_services(work)
    if account is None:
        errors.print(f"[red]unknown_account:[/] no ledger account {account_id}")
        raise typer.Exit(1)
    table = Table("#", "transfer", "debit", "credit", "amount", "code", "state", "reference")
    for entry in entries:
        t = entry.transfer
        sign = "-" if t.debit_account_id == account_id else "+"
        table.add_row(
            str(entry.seq),
            t.id,
            t.debit_account_id,
            t.credit_account_id,
            f"{sign}{t.amount}",
            t.code,
            t.state.value,
            t.reference,
        )
    console.print(table)
    console.print(f"{account.id}: balance {account.balance} {account.asset}")


@app.command()
def check() -> None:
    """Verify the ledger: assets balance, limits hold, totals match transfers."""

    async def work(services: Services) -> CheckReport:
        async with services.db.read() as conn:
            return await check_ledger(conn)

    report = with_services(work)
    if report.ok:
        console.print(
            f"ledger ok: {report.accounts} accounts, {report.transfers} transfers; "
            "every asset balances, no limit is broken, every total matches its transfers"
        )
        return
    for problem in report.problems:
        errors.print(f"[red]✗[/] {problem}")
    errors.print(f"[red]ledger check failed: {len(report.problems)} problem(s)[/]")
    raise typer.Exit(1)
