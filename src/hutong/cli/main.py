"""Entry point of the `hutong` command.

`main` is what the installed `hutong` runs: the Typer app, and one last
catch for what no command expected. A refusal or bad input is already
answered by the commands (exit 1 or 2, `code: sentence` on stderr); anything
else reaching here is a bug in Hutong, so the user gets one line saying so
(exit 70, EX_SOFTWARE) and the traceback goes to a file they can attach to a
report, not onto their terminal. `HUTONG_DEBUG=1` lets it through instead.
"""

from __future__ import annotations

import os
import sys
import tempfile
import traceback
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import typer

from hutong.cli import (
    aliases,
    audit,
    carriers,
    commissions,
    coupons,
    demo,
    events,
    groups,
    keys,
    ledger,
    links,
    liquidity,
    live,
    logistics,
    me,
    offers,
    orders,
    participant,
    pay_for_me,
    payments,
    placements,
    points,
    points_offers,
    replay,
    serve,
    settle,
    sign,
    storefronts,
    transfers,
    wallets,
    world,
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
app.add_typer(me.app, name="self")
app.add_typer(groups.app, name="group")
app.add_typer(audit.app, name="audit")
app.add_typer(events.app, name="events")
app.add_typer(ledger.app, name="ledger")
app.add_typer(links.policy_app, name="policy")
app.add_typer(links.share_app, name="share")
app.add_typer(logistics.ship_app, name="ship")
logistics.ship_app.command("policy")(carriers.carrier_policy)
logistics.pickup_app.command("publish")(carriers.publish_points)
logistics.pickup_app.command("policy")(carriers.pickup_policy)
app.add_typer(carriers.app, name="carrier")
app.add_typer(logistics.pickup_app, name="pickup")
payments.app.add_typer(pay_for_me.app, name="for-me")
points.app.add_typer(points_offers.app, name="offer")
payments.acceptance_app.command("declare")(wallets.declare_acceptance)
app.add_typer(payments.app, name="pay")
app.add_typer(points.app, name="points")
app.add_typer(transfers.app, name="transfer")
app.add_typer(orders.app, name="order")
app.add_typer(offers.app, name="offer")
app.add_typer(world.app, name="world")
app.add_typer(storefronts.app, name="storefront")
app.add_typer(placements.app, name="placement")
app.add_typer(live.app, name="live")
app.add_typer(aliases.app, name="alias")
app.add_typer(wallets.app, name="wallet")
app.add_typer(commissions.app, name="commission")
app.add_typer(settle.app, name="settle")
app.add_typer(coupons.app, name="coupon")
app.add_typer(liquidity.app, name="liquidity")
app.command("reconcile")(settle.reconcile)
app.command("discover")(live.discover)
app.command("serve")(serve.serve)
app.command("deliver")(serve.deliver)
app.command("demo")(demo.demo)
app.command("replay")(replay.replay)
app.command("migrate")(serve.migrate)


#: Exit code for a bug (sysexits.h EX_SOFTWARE); an interrupted command exits 130.
INTERNAL_ERROR = 70
INTERRUPTED = 130


def run(command: typer.Typer, argv: Sequence[str] | None = None) -> int:
    """Run `command`, turning what no command expected into one line and a kept traceback."""
    try:
        command(args=None if argv is None else list(argv), prog_name="hutong")
    except SystemExit as finished:
        code = finished.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return INTERRUPTED
    except Exception as error:
        if os.environ.get("HUTONG_DEBUG"):
            raise
        kept = _keep_traceback(error)
        print(
            f"internal_error: {type(error).__name__} is a bug in Hutong, not something you did; "
            f"the traceback is in {kept} (HUTONG_DEBUG=1 shows it here)",
            file=sys.stderr,
        )
        return INTERNAL_ERROR
    return 0


def _keep_traceback(error: BaseException) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    handle, name = tempfile.mkstemp(prefix=f"hutong-crash-{stamp}-", suffix=".txt")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write("".join(traceback.format_exception(error)))
    return Path(name)


def main() -> None:
    """The installed `hutong` command."""
    sys.exit(run(app))


if __name__ == "__main__":  # pragma: no cover
    main()
