"""Entry point of the `hutong` command."""

from __future__ import annotations

import typer

from hutong.cli import (
    demo,
    events,
    groups,
    keys,
    ledger,
    links,
    logistics,
    orders,
    participant,
    payments,
    points,
    serve,
    settle,
    sign,
    transfers,
)

app = typer.Typer(
    name="hutong",
    help="Hutong (互通): an open interconnection switch for commerce platforms.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)
app.add_typer(keys.app, name="keys")
app.add_typer(sign.app, name="sign")
app.add_typer(participant.app, name="participant")
app.add_typer(groups.app, name="group")
app.add_typer(events.app, name="events")
app.add_typer(ledger.app, name="ledger")
app.add_typer(links.policy_app, name="policy")
app.add_typer(links.share_app, name="share")
app.add_typer(logistics.ship_app, name="ship")
app.add_typer(logistics.pickup_app, name="pickup")
app.add_typer(payments.app, name="pay")
app.add_typer(points.app, name="points")
app.add_typer(transfers.app, name="transfer")
app.add_typer(orders.app, name="order")
app.add_typer(settle.app, name="settle")
app.command("reconcile")(settle.reconcile)
app.command("serve")(serve.serve)
app.command("demo")(demo.demo)
app.command("migrate")(serve.migrate)


if __name__ == "__main__":  # pragma: no cover
    app()
