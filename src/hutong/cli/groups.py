"""`hutong group set|list|show`: the operator declares corporate groups (versioned).

    hutong group set alibaba taobao.example tmall.example alipay.example \
        cainiao.example 88vip.example --from 2013-01-01
    hutong group set tencent wechat.example wechatpay.example --allied jd \
        --allied kuaishou.example --from 2017-03-23

Each `set` adds the group's next version, in force from `--from`; "own" is
one group, "allied" the weaker relation (`hutong.registry.groups`). A `set`
is done once per `--message-id`, as `POST /operator/groups` under an
`Idempotency-Key` (`hutong.cli.once.as_operator`): repeated, it shows the
version it declared and declares no other.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import msgspec
import typer
from rich.table import Table

from hutong.api.routes.groups import GroupIn, declaring, shown
from hutong.cli import once, remote
from hutong.cli._common import console, with_services
from hutong.registry import group_store
from hutong.registry.groups import GroupVersion
from hutong.runtime.services import Services

app = typer.Typer(help="Declare and read corporate groups (operator).", no_args_is_help=True)


def _table(title: str, versions: list[GroupVersion]) -> Table:
    table = Table("group", "version", "from", "members", "allied", title=title)
    for v in versions:
        table.add_row(
            v.name,
            str(v.version),
            v.valid_from.isoformat(),
            "\n".join(sorted(v.members)),
            "\n".join(sorted(v.allied)),
        )
    return table


@app.command("set")
def set_(
    name: Annotated[str, typer.Argument(help="The group, e.g. alibaba")],
    members: Annotated[list[str], typer.Argument(help="Its members' subscriber ids")],
    valid_from: Annotated[
        datetime, typer.Option("--from", formats=["%Y-%m-%d"], help="First day in force.")
    ],
    allied: Annotated[
        list[str] | None,
        typer.Option("--allied", help="An allied group or participant; repeat for several."),
    ] = None,
    message_id: remote.MessageId = None,
) -> None:
    """Declare the next version of a group (once per --message-id)."""
    data = GroupIn(name=name, members=members, valid_from=valid_from.date(), allied=allied or [])
    body = once.as_operator(
        message_id,
        ("POST", "/operator/groups", msgspec.to_builtins(data)),
        lambda services: declaring(data, services.clock()),
        shown,
    )
    declared = GroupVersion(
        name=body["name"],
        version=body["version"],
        valid_from=date.fromisoformat(body["valid_from"]),
        members=frozenset(body["members"]),
        allied=frozenset(body["allied"]),
    )
    console.print(_table(f"{declared.name} version {declared.version}", [declared]))


@app.command("list")
def list_() -> None:
    """Every version of every group."""

    async def work(services: Services) -> list[GroupVersion]:
        async with services.db.read() as conn:
            return await group_store.all_versions(conn)

    console.print(_table("corporate groups", with_services(work)))


@app.command()
def show(name: str) -> None:
    """One group's versions, oldest first."""

    async def work(services: Services) -> list[GroupVersion]:
        async with services.db.read() as conn:
            return await group_store.versions_of(conn, name)

    console.print(_table(name, with_services(work)))
