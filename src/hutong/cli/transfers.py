"""`hutong transfer ...`: wallet-to-wallet transfers for the operator and by hand.

`send` acts for the payer's wallet: with its key (`--key-file`) it sends the
quote and the execution to the switch, signed; the operator may instead act
directly (`--as`), through the services the API's routes call
(`transfers.quote` and `transfers.execute_once`, exactly once per message
id, `hutong.cli.once`): the switch's services ask both wallets over signed
HTTP, with the same caps, fees, events and answers as the API.
Phone numbers are only ever printed masked.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table
from sqlalchemy import select

from hutong.api.idempotency import refusal_reply
from hutong.api.routes.transfers_presenters import executed_out, quote_out
from hutong.cli import once, remote
from hutong.cli._common import console, show_json, with_services
from hutong.net.transport import call_transport
from hutong.payments import transfers
from hutong.payments.transfers import directory
from hutong.runtime.exactly_once import run_once
from hutong.runtime.services import Services
from hutong.store.tables import transfers as transfers_table

app = typer.Typer(help="Wallet-to-wallet transfers: look up, send, show.", no_args_is_help=True)

SWITCH = remote.DEFAULT_SWITCH_URL
Kind = Annotated[str, typer.Option(help="phone or handle.")]


@app.command()
def lookup(
    value: str,
    kind: Kind = "phone",
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
) -> None:
    """Which wallets serve an alias (shown masked): as a wallet (--key-file), or the operator."""

    async def work(services: Services) -> list[dict[str, Any]]:
        await services.load_switch_key()
        found = await directory.published(services, directory.parse(kind, value))
        return [directory.entry_out(entry) for entry in found]

    if key_file is not None:
        message = {"kind": kind, "value": value}
        found = remote.call(key_file, switch_url, "POST", "/v1/aliases/lookup", message)["entries"]
    else:
        found = with_services(work)
    # The operator sees the account; another wallet only a payee token.
    table = Table("wallet", "alias", "account" if key_file is None else "payee token")
    for entry in found:
        table.add_row(
            entry["wallet"], entry["masked"], entry.get("account", entry.get("payee_token"))
        )
    console.print(table)


@app.command()
def send(
    payer: Annotated[str, typer.Option(help="The payer's account at the sending wallet.")],
    to: Annotated[str, typer.Option(help="The payee's alias (a phone number or a handle).")],
    amount: Annotated[int, typer.Option(help="Fen to send.", min=1)],
    kind: Kind = "phone",
    payee_wallet: Annotated[str, typer.Option(help="When several wallets serve the alias.")] = "",
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    sender: remote.As = None,
    message_id: remote.MessageId = None,
    as_json: remote.JsonAnswer = False,
) -> None:
    """Quote and execute a transfer (as the payer's wallet): both wallets or neither.

    Exits 1 when a wallet refuses (the transfer is then released). With
    --message-id X the quote goes as X and the execution as X.execute, so a
    retry with X quotes and executes the same transfer, once (with --as too:
    the same command again shows the first answer and asks no wallet).
    """
    alias = directory.parse(kind, to)
    message = {
        "payer": payer,
        "alias": {"kind": kind, "value": to},
        "amount": amount,
        "payee_wallet": payee_wallet,
    }

    def direct(sent: once.Sent) -> dict[str, Any]:
        async def work(services: Services) -> dict[str, Any]:
            await services.load_switch_key()
            spec = transfers.QuoteRequest(
                payer=payer, alias=alias, amount=amount, payee_wallet=payee_wallet
            )
            write = await transfers.quote(services, sent.sender, spec)
            answer = await run_once(services, sent.key, write, quote_out, refusal_reply)
            transfer_id = once.shown(answer)["transfer"]["id"]
            path = remote.path_of("/v1/transfers/{}/execute", transfer_id)
            execute_key = once.key(sent.sender, f"{sent.message_id}.execute", path, {})
            answer = await transfers.execute_once(
                services, call_transport(), execute_key, transfer_id, executed_out, refusal_reply
            )
            return once.shown(answer)

        return with_services(work)

    if sender or key_file is None:
        remote.act(
            sender, key_file, switch_url, ("/v1/transfers/quote", message), direct, message_id
        )
        return
    quoted = remote.send(key_file, switch_url, "/v1/transfers/quote", message, message_id)
    path = remote.path_of("/v1/transfers/{}/execute", quoted["transfer"]["id"])
    execute_id = f"{message_id}.execute" if message_id else None
    show_json(remote.send(key_file, switch_url, path, {}, execute_id))


@app.command()
def show(
    transfer_id: str, key_file: remote.KeyFile = None, switch_url: remote.SwitchUrl = SWITCH
) -> None:
    """One transfer: as one of its wallets (--key-file), or as the switch keeps it (operator)."""

    async def work(services: Services) -> dict[str, Any]:
        async with services.db.read() as conn:
            return (await transfers.store.require(conn, transfer_id)).to_dict()

    path = remote.path_of("/v1/transfers/{}", transfer_id)
    show_json(remote.read_or_direct(key_file, switch_url, path, lambda: with_services(work)))


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
