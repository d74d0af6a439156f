"""`hutong policy …` and `hutong share …`: link policies and share codes by hand."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from hutong.cli._common import console, refuse, with_services
from hutong.links.hosts import alias
from hutong.links.policy import PolicyHistory, Surface
from hutong.links.share_code import ShareCodeError, first_live, make_code, scan, wrap
from hutong.links.store import (
    PlacementView,
    declare_rule,
    placement_by_id,
    placements_by_serials,
    policy_history,
)
from hutong.payments import pay_for_me
from hutong.payments.pay_for_me import SharedRequest
from hutong.registry.switch_key import load_or_create, share_code_key
from hutong.runtime.services import Services
from hutong.world.link_policies import SEED_LINK_RULES

policy_app = typer.Typer(
    help="Link policies: what each host does with links, by date.", no_args_is_help=True
)
share_app = typer.Typer(
    help="Share codes (口令): make one, find one in pasted text.", no_args_is_help=True
)


@policy_app.command("show")
def show(
    host: Annotated[str, typer.Argument(help="Host platform: alias or subscriber id.")],
    at: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="The day (default: today).")
    ] = None,
) -> None:
    """The rules in force on a day, and what they decide per source and surface."""
    day = at.date() if at else datetime.now(UTC).date()

    async def work(services: Services) -> PolicyHistory:
        async with services.db.read() as conn:
            return await policy_history(conn, host)

    history = with_services(work)
    if len(history) == 0:
        refuse(
            "no_link_policy",
            f"{host} has declared no link policy (hosts declare them with "
            "POST /v1/link-policies; `hutong policy seed` declares the seed world's)",
        )
    rules = history.rules_at(day)
    console.print(
        f"[bold]{history.host}[/] on {day.isoformat()}: {len(rules)} rule(s) in force, "
        f"{len(history)} version(s) declared"
    )
    table = Table("v", "source", "surfaces", "scope", "treatment", "steps", "from", "until", "note")
    for rule in rules:
        surfaces = "all" if rule.surfaces is None else ", ".join(sorted(rule.surfaces))
        table.add_row(
            str(rule.version),
            rule.source,
            surfaces,
            rule.scope.describe(),
            rule.treatment.value,
            ", ".join(rule.extra_steps) or "-",
            rule.valid_from.isoformat(),
            rule.valid_until.isoformat() if rule.valid_until else "-",
            rule.note,
        )
    console.print(table)
    if history.sources():
        grid = Table("source", *[s.value for s in Surface], title="decisions")
        for source in history.sources():
            grid.add_row(source, *[history.decide(source, s, day).treatment.value for s in Surface])
        console.print(grid)


@policy_app.command("seed")
def seed() -> None:
    """Declare the seed world's link policies (2013-2022) for hosts that have none."""

    async def work(services: Services) -> int:
        declared = 0
        async with services.db.transaction() as conn:
            known: dict[str, bool] = {}
            for rule in SEED_LINK_RULES:
                if rule.host not in known:
                    known[rule.host] = len(await policy_history(conn, rule.host)) == 0
                if known[rule.host]:
                    await declare_rule(conn, rule, services.clock())
                    declared += 1
        return declared

    console.print(f"declared {with_services(work, create=True)} seed rule(s)")


async def _share_key(services: Services) -> bytes:
    _key_id, _public, private = await load_or_create(services.db, services.clock())
    return share_code_key(private)


@share_app.command("make")
def make(placement_id: str) -> None:
    """Print the share text of a placement, ready to paste."""

    async def work(services: Services) -> tuple[PlacementView | None, bytes, datetime]:
        async with services.db.read() as conn:
            view = await placement_by_id(conn, placement_id)
        return view, await _share_key(services), services.clock()

    view, key, now = with_services(work)
    if view is None:
        refuse("unknown_placement", f"no placement {placement_id}")
    if view.share_expires_at <= now:
        refuse(
            "share_code_expired",
            f"the share code of {placement_id} expired at {view.share_expires_at:%Y-%m-%d %H:%M} "
            "UTC; nobody could open it",
        )
    typer.echo(wrap(make_code(view.share_serial, key)))


@share_app.command("parse")
def parse(
    text: Annotated[str, typer.Argument(help="Pasted text; '-' reads standard input.")],
) -> None:
    """Find the first valid share code in the text and say what it opens."""
    if text == "-":
        text = typer.get_text_stream("stdin").read()

    async def work(services: Services) -> tuple[PlacementView | SharedRequest | None, str]:
        await services.load_switch_key()
        found = scan(text, services.share_key())
        async with services.db.read() as conn:
            views = await placements_by_serials(conn, found.serials)
        try:
            live = first_live(
                found, {s: v.share_expires_at for s, v in views.items()}, services.clock()
            )
        except ShareCodeError:
            # A pay-for-me code has a key of its own: refused as forged above.
            shared = await pay_for_me.by_share_text(services, text)
            if shared is None:
                raise
            return shared, shared.code.code
        if live is None:
            return None, ""
        return views[live.serial], live.code

    view, code = with_services(work)  # a ShareCodeError is a HutongError: exit 1
    if view is None:
        refuse("share_code_missing", "no share code in the text")
    if isinstance(view, SharedRequest):
        request = view.request
        console.print(
            f"{code} → pay-for-me request {request.id} ({request.state.value}): "
            f"{view.amount} fen to {view.merchant}; link /p/{request.code}"
        )
        return
    console.print(
        f"{code} → placement {view.id}: {view.title} ({view.merchant} {view.sku_id}) "
        f"placed on {alias(view.host)} {view.surface.value}; link /l/{view.code}"
    )
