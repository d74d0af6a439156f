"""`hutong replay`: the 2011-2025 history through a switch on a simulated clock, audited."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from hutong import logs
from hutong.cli._common import console
from hutong.cli.demo import fresh_folder
from hutong.config import Settings, sqlite_url
from hutong.world.replay import FIRST_DAY, LAST_DAY, ReplayResult
from hutong.world.replay import replay as run_replay


def replay(
    until: Annotated[
        datetime,
        typer.Option(formats=["%Y-%m-%d"], help="Last simulated day (default 2025-12-31)."),
    ] = datetime(LAST_DAY.year, LAST_DAY.month, LAST_DAY.day),
    volume: Annotated[
        int,
        typer.Option(
            min=1,
            help="Link visits per simulated day; also Douyin's external-link orders per order day.",
        ),
    ] = 4,
    data_dir: Annotated[
        Path,
        typer.Option(envvar="HUTONG_DATA_DIR", help="Where the switch's SQLite database goes."),
    ] = Path("hutong-data"),
    database_url: Annotated[
        str, typer.Option(envvar="HUTONG_DATABASE_URL", help="Run on another database.")
    ] = "",
) -> None:
    """Replay the dated facts of 2011-2025 through the signed API, then audit each year."""
    last = until.date()
    if not FIRST_DAY <= last <= LAST_DAY:
        raise typer.BadParameter(
            f"the facts run from {FIRST_DAY} to {LAST_DAY}", param_hint="--until"
        )
    logs.configure("error")
    logging.getLogger("uvicorn").setLevel(logging.ERROR)
    if not database_url:
        fresh_folder(data_dir)
    settings = Settings(
        database_url=database_url or sqlite_url(data_dir),
        data_dir=data_dir,
        operator_token=secrets.token_urlsafe(24),
    )
    started = time.perf_counter()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} days"),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        tasks: dict[int, TaskID] = {}
        for year in range(FIRST_DAY.year, last.year + 1):
            end = min(date(year, 12, 31), last)
            tasks[year] = progress.add_task(str(year), total=(end - date(year, 1, 1)).days + 1)

        def advance(day: date) -> None:
            progress.update(tasks[day.year], advance=1)

        result = asyncio.run(run_replay(settings, until=last, volume=volume, on_day=advance))
    console.print(audit_table(result))
    console.print(
        f"{result.days} days in {time.perf_counter() - started:.0f} s; "
        f"requests {sum(result.tally['ok'].values())} ok, "
        f"{sum(result.tally['refused'].values())} refused by policy, "
        f"{result.tally['unexpected']} unexpected; data in {data_dir}"
    )
    if result.tally["unexpected"]:
        for sample in result.tally["unexpected_samples"]:
            console.print(f"[red]unexpected[/] {sample}")
        raise typer.Exit(1)


def audit_table(result: ReplayResult) -> Table:
    """One row per year: the findings per check and who they name."""
    table = Table(
        "year", "findings", "by check", "subjects (vs)", title="The auditor, year by year"
    )
    for year, report in result.audits.items():
        checks = Counter(f.check for f in report.findings)
        names = sorted(
            {
                f"{_short(f.subject)}→{','.join(_short(a) for a in f.against)}"
                for f in report.findings
            }
        )
        table.add_row(
            str(year),
            str(len(report.findings)),
            ", ".join(f"{c} {n}" for c, n in sorted(checks.items())),
            " ".join(names),
        )
    return table


def _short(name: str) -> str:
    return name.removesuffix(".example")
