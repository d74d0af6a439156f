"""`hutong points ...`: exchange offers, members' balances, exchanges.

A program acts with its key (`--key-file`, `HUTONG_KEY_FILE`): signed
requests to the switch at `--switch-url`. The operator may instead act
directly as a program (`--as`), through the same checks and exactly-once
record as the API (`hutong.cli.once`);
`exchange` then asks the issuing program over signed HTTP, as the switch would.
The member is `--member` everywhere (the old positional MEMBER still works).
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

import typer
from rich.table import Table

from hutong.api.routes.points_presenters import exchange_out, grant_out
from hutong.cli import once, remote
from hutong.cli._common import (
    USAGE,
    console,
    refuse,
    show_json,
    with_services,
)
from hutong.net.transport import call_transport
from hutong.payments import points
from hutong.protocol.errors import NotFoundError
from hutong.runtime.services import Services

T = TypeVar("T")
SWITCH = remote.DEFAULT_SWITCH_URL

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


Member = Annotated[str | None, typer.Option("--member", help="The member (your own id of them).")]
#: The member as an argument, as before; kept hidden and deprecated for `--member`.
OldMember = Annotated[str | None, typer.Argument(hidden=True, show_default=False)]


def _member(member: str | None, old: str | None) -> str:
    chosen = member or old
    if not chosen:
        refuse("missing_member", "give --member", exit_code=USAGE)
    if old and member and old != member:
        refuse("conflicting_member", "give the member once, as --member", exit_code=USAGE)
    return chosen


@app.command()
def balance(
    old_member: OldMember = None,
    member: Member = None,
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    sender: remote.As = None,
) -> None:
    """A member's points at your program."""
    who = _member(member, old_member)

    def direct(program: str) -> dict[str, Any]:
        async def work(services: Services) -> dict[str, Any]:
            return (await points.balance(services, program, who)).to_dict()

        return with_services(work)

    path = remote.path_of("/v1/points/members/{}/balance", who)
    remote.read_as(sender, key_file, switch_url, path, direct)


@app.command()
def grant(
    amount: Annotated[int, typer.Option("--points", help="Points to credit.", min=1)],
    old_member: OldMember = None,
    member: Member = None,
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    sender: remote.As = None,
    message_id: remote.MessageId = None,
    as_json: remote.JsonAnswer = False,
) -> None:
    """Credit points to your program's member."""
    who = _member(member, old_member)

    def granted(message_id: str | None) -> dict[str, Any]:
        grant_id = remote.derived_id("grant", "", message_id)
        return {"member": who, "points": amount, "grant_id": grant_id}

    remote.act(
        sender,
        key_file,
        switch_url,
        ("/v1/points/grants", granted),
        once.decided(
            lambda services, sent: points.grant(
                services, sent.sender, who, amount, granted(sent.message_id)["grant_id"]
            ),
            grant_out,
        ),
        message_id=message_id,
    )


@app.command()
def exchange(
    offer: Annotated[str, typer.Option(help="The offer id.")],
    member: Annotated[str, typer.Option(help="The member whose points pay.")],
    beneficiary: Annotated[str, typer.Option(help="The member's account at the issuer.")],
    quantity: Annotated[int, typer.Option(min=1)] = 1,
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    sender: remote.As = None,
    message_id: remote.MessageId = None,
    as_json: remote.JsonAnswer = False,
) -> None:
    """Exchange a member's points for the offer's benefit (both or neither)."""
    message = {
        "offer_id": offer,
        "member": member,
        "beneficiary": beneficiary,
        "quantity": quantity,
    }
    spec = points.NewExchange(offer, member, beneficiary, quantity)
    remote.act(
        sender,
        key_file,
        switch_url,
        ("/v1/points/exchanges", message),
        once.decided(
            lambda services, sent: points.exchange(
                services, call_transport(), sent.sender, sent.message_id, spec
            ),
            exchange_out,
        ),
        message_id=message_id,
    )


@app.command("show")
def show_exchange(
    exchange_id: str, key_file: remote.KeyFile = None, switch_url: remote.SwitchUrl = SWITCH
) -> None:
    """One exchange: as one of its programs (--key-file), or as the switch keeps it (operator)."""
    if key_file is not None:
        path = remote.path_of("/v1/points/exchanges/{}", exchange_id)
        show_json(remote.read(key_file, switch_url, path))
        return

    async def work(services: Services) -> dict[str, Any]:
        async with services.db.read() as conn:
            found = await points.get_exchange(conn, exchange_id)
        if found is None:
            raise NotFoundError(f"no exchange {exchange_id}", code="unknown_exchange")
        return found.to_dict()

    show_json(with_services(work))
