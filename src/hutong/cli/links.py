"""`hutong policy …` and `hutong share …`: link policies and share codes by hand.

A host declares a link rule with its key (`hutong policy declare`, signed to
`POST /v1/link-policies`, done once per `--message-id`); `show` and `seed`
read and write the switch's database (the operator).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.cli import once, remote
from hutong.cli._common import (
    AsJson,
    Correction,
    answer,
    console,
    refuse,
    with_correction,
    with_services,
)
from hutong.links.hosts import alias
from hutong.links.policy import PolicyHistory, Surface
from hutong.links.share_code import ShareCodeError, first_live, make_code, scan, wrap
from hutong.links.store import (
    PlacementView,
    declare_rule,
    placement_by_id,
    placements_by_serials,
    policy_history,
    rule_corrections,
)
from hutong.payments import pay_for_me
from hutong.payments.pay_for_me import SharedRequest
from hutong.registry.switch_key import load_or_create, share_code_key
from hutong.runtime.exactly_once import Write
from hutong.runtime.services import Services
from hutong.store.corrections import CorrectionRecord
from hutong.world.link_policies import SEED_LINK_RULES
from hutong.world.story import history_correction

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

    async def work(services: Services) -> tuple[PolicyHistory, dict[int, CorrectionRecord]]:
        async with services.db.read() as conn:
            return await policy_history(conn, host), await rule_corrections(conn, host)

    history, corrected = with_services(work)
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
    table = Table(
        "v",
        "source",
        "surfaces",
        "scope",
        "treatment",
        "steps",
        "from",
        "until",
        "note",
        "back-dated",
    )
    for rule in rules:
        correction = corrected.get(rule.version)
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
            "-" if correction is None else f"correction: {correction.reason}",
        )
    console.print(table)
    if history.sources():
        grid = Table("source", *[s.value for s in Surface], title="decisions")
        for source in history.sources():
            grid.add_row(source, *[history.decide(source, s, day).treatment.value for s in Surface])
        console.print(grid)


@policy_app.command("declare")
def declare(
    source: Annotated[str, typer.Option(help="The platform whose links the rule is about.")],
    treatment: Annotated[
        str, typer.Option(help="open, deep_link, mini_program, share_code_only or blocked.")
    ],
    valid_from: Annotated[str, typer.Option(help="The first day (UTC, YYYY-MM-DD) it holds.")],
    valid_until: Annotated[
        str | None, typer.Option(help="The day it stops holding (default: until replaced).")
    ] = None,
    surface: Annotated[
        list[str] | None, typer.Option(help="Only on this surface (repeatable; default: all).")
    ] = None,
    scope: Annotated[str, typer.Option(help="all, self_operated or merchants.")] = "all",
    merchant: Annotated[
        list[str] | None, typer.Option(help="With --scope merchants: a merchant (repeatable).")
    ] = None,
    extra_step: Annotated[
        list[str] | None,
        typer.Option(help="warning_page, copy_to_browser, confirm_leave, delayed_load."),
    ] = None,
    note: Annotated[str, typer.Option(help="A note kept with the version.")] = "",
    correction: Correction = None,
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = remote.DEFAULT_SWITCH_URL,
    message_id: remote.MessageId = None,
    as_json: AsJson = False,
) -> None:
    """Declare a link rule (as the host platform): a new version, from --valid-from on."""
    message: dict[str, Any] = {
        "source": source,
        "surfaces": surface or None,
        "scope": {"kind": scope, "merchant_ids": merchant or []},
        "treatment": treatment,
        "extra_steps": extra_step or [],
        "valid_from": valid_from,
        "valid_until": valid_until,
        "note": note,
    }
    body = remote.send(
        key_file, switch_url, "/v1/link-policies", with_correction(message, correction), message_id
    )

    def human(said: dict[str, Any]) -> None:
        rule = said["message"]["rule"]
        surfaces = "every surface" if rule["surfaces"] is None else ", ".join(rule["surfaces"])
        steps = f" after {', '.join(rule['extra_steps'])}" if rule["extra_steps"] else ""
        console.print(
            f"{rule['host']} version {rule['version']} from {rule['valid_from']}: "
            f"{rule['source']} links ({rule['scope']['kind']}) on {surfaces}: "
            f"{rule['treatment']}{steps}",
            soft_wrap=True,
            highlight=False,
        )

    answer(body, as_json, human)


@policy_app.command("seed")
def seed(message_id: remote.MessageId = None) -> None:
    """Declare the seed world's link policies (2013-2022) for hosts that have none.

    Once per --message-id: the same command again says what the first declared.
    """

    def seeding(services: Services) -> Write[int]:
        async def write(conn: AsyncConnection) -> int:
            declared = 0
            known: dict[str, bool] = {}
            for rule in SEED_LINK_RULES:
                if rule.host not in known:
                    known[rule.host] = len(await policy_history(conn, rule.host)) == 0
                if known[rule.host]:
                    now = services.clock()
                    correction = history_correction(rule.valid_from, now.date())
                    await declare_rule(conn, rule, now, correction=correction)
                    declared += 1
            return declared

        return write

    body = once.as_operator(
        message_id, ("POST", "hutong policy seed", {}), seeding, once.counted, create=True
    )
    console.print(f"declared {body['declared']} seed rule(s)")


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
