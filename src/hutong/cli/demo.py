"""`hutong demo`: the seed world on loopback, with a progress display and a table."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from hutong import logs
from hutong.cli._common import console
from hutong.config import Settings, sqlite_url
from hutong.ledger.models import yuan
from hutong.world.demo import STORY, demo_settings, run_story
from hutong.world.demo_settlement import MONEY_FILE, money_rows
from hutong.world.story import StepResult


def demo(
    data_dir: Annotated[
        Path,
        typer.Option(
            envvar="HUTONG_DATA_DIR",
            help="Keep the demo's SQLite database here, where `hutong serve` reads it.",
        ),
    ] = Path("hutong-data"),
    database_url: Annotated[
        str, typer.Option(envvar="HUTONG_DEMO_DATABASE_URL", help="Run on another database.")
    ] = "",
) -> None:
    """Run the seed world's story over real HTTP and print what happened."""
    logs.configure("error")
    logging.getLogger("uvicorn").setLevel(logging.ERROR)
    folder = data_dir
    if not database_url:
        fresh_folder(folder)
    url = database_url or sqlite_url(folder)
    settings = demo_settings(url, folder)
    results = _run_with_progress(settings)
    money = _money_table(folder) if all(r.ok for r in results) else None
    table = Table("", "step", "who", "what happened", "s", title="Hutong demo")
    for result in results:
        mark = "[green]✓[/]" if result.ok else "[red]✗[/]"
        table.add_row(mark, result.title, result.actor, result.outcome, f"{result.seconds:.2f}")
    # Piped output (CI logs) gets a readable width instead of 80 columns.
    out = console if console.is_terminal else Console(width=140)
    out.print(table)
    if money is not None:
        out.print(money)
    failed = [r for r in results if not r.ok]
    if failed or len(results) != len(STORY):
        out.print(f"[red]{len(failed)} step(s) failed[/]")
        raise typer.Exit(1)
    out.print(f"[green]all {len(results)} steps passed[/]")


def fresh_folder(folder: Path) -> None:
    """Refuse a folder that already holds a switch's database (the world registers anew)."""
    if (folder / "hutong.db").exists():
        console.print(
            f"[red]{folder / 'hutong.db'} exists[/]: remove it or pass --data-dir to another folder"
        )
        raise typer.Exit(2)
    folder.mkdir(parents=True, exist_ok=True)


def _run_with_progress(settings: Settings) -> list[StepResult]:
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("starting the switch…", total=len(STORY))

        def advance(result: StepResult) -> None:
            progress.update(task, advance=1, description=result.title)

        return asyncio.run(run_story(settings, advance))


def _money_table(folder: Path) -> Table | None:
    """Who received what from the demo's orders (written by its last step)."""
    path = folder / MONEY_FILE
    if not path.is_file():
        return None
    money = json.loads(path.read_text(encoding="utf-8"))
    orders = "; ".join(
        f"#{o['number']} {o['merchant']} in {o['host']}: paid {yuan(o['paid'])}"
        + (f" ({yuan(o['coupon'])} of it by a coupon's funders)" if o.get("coupon") else "")
        + (f", {yuan(o['refunded'])} refunded" if o["refunded"] else "")
        for o in money["orders"]
    )
    table = Table(
        "participant",
        "received",
        "from",
        title="Who received what (settlement " + money["window"] + ")",
        caption=orders,
    )
    for participant, received, sources in money_rows(money):
        table.add_row(participant, received, sources)
    total = sum(entry["fen"] for entry in money["received"])
    couponed = any(o.get("coupon") for o in money["orders"])
    payers = "buyers and coupons' funders" if couponed else "buyers"
    table.add_row(
        "[bold]total[/]",
        f"[bold]{yuan(total)}[/]",
        f"{payers} paid {yuan(money['paid'])} less {yuan(money['refunded'])} refunded",
    )
    return table
