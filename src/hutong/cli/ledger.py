"""`hutong ledger balances|account|history|check`.

With `--key-file` a participant reads its own accounts over HTTP (signed:
`GET /v1/ledger/accounts`, `/v1/ledger/accounts/{id}` and its `/transfers`;
an auditor any account); without, the operator reads the database. `check`
is the operator's only.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from hutong.cli import remote
from hutong.cli._common import AsJson, answer, console, errors, refuse, with_services
from hutong.ledger.check import CheckReport, check_ledger
from hutong.ledger.models import Account
from hutong.ledger.store import HistoryEntry, get_account, history, list_accounts
from hutong.runtime.services import Services

app = typer.Typer(help="The double-entry ledger.", no_args_is_help=True)


SWITCH = remote.DEFAULT_SWITCH_URL
COLUMNS = ("account", "owner", "asset", "kind", "balance", "pending out", "pending in")


def _row(account: dict[str, Any]) -> list[str]:
    return [account["id"], account["owner"], account["asset"], account["kind"],
            str(account["balance"]), str(account["debits_pending"]),
            str(account["credits_pending"])]  # fmt: skip


def _account_dict(account: Account) -> dict[str, Any]:
    """The fields the tables show, named as `GET /v1/ledger/accounts` names them."""
    return {"id": account.id, "owner": account.owner, "asset": account.asset,
            "kind": account.kind, "balance": account.balance,
            "debits_pending": account.debits_pending,
            "credits_pending": account.credits_pending}  # fmt: skip


def _accounts(found: list[dict[str, Any]]) -> None:
    table = Table(*COLUMNS)
    for account in found:
        table.add_row(*_row(account))
    console.print(table)


@app.command()
def balances(
    participant: Annotated[str | None, typer.Option(help="Only this owner's accounts.")] = None,
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    as_json: AsJson = False,
) -> None:
    """Accounts with their posted and pending totals (integer minor units).

    With --key-file: your own accounts, over HTTP; without, every account (operator).
    """
    if key_file is not None:
        if participant is not None:
            refuse("invalid_option", "with --key-file you read your own accounts", exit_code=2)
        answer(remote.read(key_file, switch_url, "/v1/ledger/accounts"), as_json, _accounts)
        return

    async def work(services: Services) -> list[Account]:
        async with services.db.read() as conn:
            return await list_accounts(conn, participant)

    answer([_account_dict(a) for a in with_services(work)], as_json, _accounts)


@app.command()
def account(
    account_id: str,
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    as_json: AsJson = False,
) -> None:
    """One account: yours with --key-file (auditors: any), or as the switch keeps it."""
    if key_file is not None:
        path = remote.path_of("/v1/ledger/accounts/{}", account_id)
        answer(remote.read(key_file, switch_url, path), as_json, lambda a: _accounts([a]))
        return

    async def work(services: Services) -> Account | None:
        async with services.db.read() as conn:
            return await get_account(conn, account_id)

    found = with_services(work)
    if found is None:
        refuse("unknown_account", f"no ledger account {account_id}")
    answer(_account_dict(found), as_json, lambda a: _accounts([a]))


@app.command("history")
def history_(
    account_id: str,
    after: Annotated[int, typer.Option(help="Only transfers after this sequence number.")] = 0,
    limit: Annotated[int, typer.Option(help="At most this many.")] = 50,
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    as_json: AsJson = False,
) -> None:
    """Transfers of one account, oldest first: yours with --key-file, else the operator's."""
    if key_file is not None:
        path = remote.path_of("/v1/ledger/accounts/{}", account_id) + "/transfers"
        found = remote.read(key_file, switch_url, path, after=after or None, limit=limit)
        answer(found, as_json, _transfers)
        return

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


def _transfers(found: dict[str, Any]) -> None:
    """A page of `GET /v1/ledger/accounts/{id}/transfers` as a table."""
    account_id = found["account_id"]
    table = Table("#", "transfer", "debit", "credit", "amount", "code", "state", "reference")
    for t in found["transfers"]:
        sign = "-" if t["debit_account_id"] == account_id else "+"
        table.add_row(str(t["seq"]), t["id"], t["debit_account_id"], t["credit_account_id"],
                      f"{sign}{t['amount']}", t["code"], t["state"], t["reference"])  # fmt: skip
    console.print(table)
    if found["next_after"] is not None:
        console.print(f"more: --after {found['next_after']}")


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
