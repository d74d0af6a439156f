"""`hutong audit run|show|refresh`: the auditor's findings for a window, from the terminal.

    hutong audit run --from 2025-03-01 --to 2025-04-01 [--json] [--html report.html]
    hutong audit show af_20250301_20250401_0123456789abcdef
    hutong audit refresh [--from 2025-01-01 --to 2026-01-01] [--force]

`run` prints a table per finding (or the API's JSON, or writes a
self-contained HTML report grouped by platform) and stores the run, which
the dashboard then reads (`hutong.audit.stored`); `show` prints one finding
and the first page of the records behind it; `refresh` recomputes the stored
runs that are stale (all of them with --force), or the one window asked,
and folds the link traffic the dashboard's openness index weighs; first it
prunes the runs past `HUTONG_AUDIT_RUN_RETENTION_DAYS` (the newest kept).
"""

from __future__ import annotations

import json
from datetime import datetime
from itertools import groupby
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn
from rich.table import Table

from hutong.audit import (
    AuditReport,
    EvidencePage,
    StoredRun,
    Window,
    compute_run,
    evidence_of,
    prune_runs,
    refresh,
)
from hutong.cli._common import console, with_services
from hutong.runtime.services import Services
from hutong.web.dashboard.weights import fold
from hutong.web.pages import render

app = typer.Typer(help="The openness and fairness audit (operator).", no_args_is_help=True)


def _table(report: dict[str, Any]) -> Table:
    window = report["window"]
    table = Table(
        "subject",
        "check",
        "against",
        "surface",
        "value",
        "baseline",
        "n",
        "p",
        "since",
        title=f"audit {window['from']} to {window['to']} ({report['checks_run']} checks)",
    )
    for f in report["findings"]:
        p = f["p_value"]
        table.add_row(
            f["subject"],
            f["check"],
            ", ".join(f["against"]),
            f["surface"] or "",
            str(f["metric"]["value"]),
            str(f["metric"]["baseline"]),
            str(f["n"]),
            "declared" if p is None else f"{p:.3g}",
            f["since"] or "",
        )
    return table


def html_report(report: dict[str, Any]) -> str:
    """The self-contained HTML report (no script, no CDN), one section per platform."""
    ordered = sorted(report["findings"], key=lambda f: f["subject"])
    by_subject = [(s, list(fs)) for s, fs in groupby(ordered, key=lambda f: f["subject"])]
    return render("audit_report.html", report=report, by_subject=by_subject)


@app.command()
def run(
    start: Annotated[datetime, typer.Option("--from", formats=["%Y-%m-%d"], help="First day.")],
    end: Annotated[
        datetime, typer.Option("--to", formats=["%Y-%m-%d"], help="Day after the last.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="The API's JSON answer.")] = False,
    html: Annotated[Path | None, typer.Option("--html", help="Write an HTML report here.")] = None,
) -> None:
    """Run every check over [--from, --to), store the run and show the findings."""
    window = Window(start.date(), end.date())

    async def work(services: Services) -> AuditReport:
        return (await compute_run(services.db, window, services.clock())).report

    with Progress(
        SpinnerColumn(),
        TextColumn("reading the window's evidence"),
        console=console,
        transient=True,
        disable=as_json,
    ) as progress:
        progress.add_task("audit", total=None)
        report: dict[str, Any] = with_services(work).to_dict()
    if as_json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        console.print(_table(report))
        for i in report["inconclusive"]:
            against = ", ".join(i["against"])
            console.print(f"inconclusive: {i['check']} {i['subject']} vs {against}: {i['reason']}")
    if html is not None:
        html.write_text(html_report(report), encoding="utf-8")
        if not as_json:
            console.print(f"HTML report written to {html}")


@app.command()
def show(
    finding: Annotated[str, typer.Argument(help="A finding id (af_...)")],
    offset: int = 0,
    limit: int = 20,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """One finding and the records behind it."""

    async def work(services: Services) -> EvidencePage:
        return await evidence_of(services.db, finding, offset=offset, limit=limit)

    page = with_services(work)
    shown = {"finding": page.finding.to_dict(), "total": page.total, "records": page.records}
    if as_json:
        print(json.dumps(shown, ensure_ascii=False, indent=2, default=str))
        return
    console.print(page.finding.summary)
    console.print(f"rule: {page.finding.rule}")
    table = Table(
        *(sorted(page.records[0]) if page.records else ["records"]), title=f"{page.total} records"
    )
    for record in page.records:
        table.add_row(*(str(record[k]) for k in sorted(record)))
    console.print(table)


@app.command("refresh")
def refresh_runs(
    start: Annotated[
        datetime | None, typer.Option("--from", formats=["%Y-%m-%d"], help="First day.")
    ] = None,
    end: Annotated[
        datetime | None, typer.Option("--to", formats=["%Y-%m-%d"], help="Day after the last.")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Recompute even fresh runs.")] = False,
) -> None:
    """Bring what the dashboard reads precomputed up to date: stale runs (all with --force)."""
    if (start is None) != (end is None):
        raise typer.BadParameter("give both --from and --to, or neither")
    windows = None if start is None or end is None else [Window(start.date(), end.date())]

    async def work(services: Services) -> tuple[list[StoredRun], int, int]:
        await fold(services.db, services.clock())
        days = services.settings.audit_run_retention_days
        pruned = await prune_runs(services.db, services.clock(), days)
        return await refresh(services.db, services.clock(), windows, force=force), pruned, days

    runs, pruned, days = with_services(work)
    table = Table("window", "findings", "computed at", "recomputed because", title="stored runs")
    for run in runs:
        w = run.report.window
        table.add_row(
            f"{w.start} to {w.end}",
            str(len(run.report.findings)),
            f"{run.computed_at:%Y-%m-%d %H:%M:%S} UTC",
            run.recomputed or "(fresh)",
        )
    console.print(table)
    if pruned:
        console.print(f"pruned {pruned} run(s) computed over {days} days ago (the newest is kept)")
