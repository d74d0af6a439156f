"""`hutong settle close|show|file|settle` and `hutong reconcile` for the operator.

Amounts in CNY are shown in yuan with every fen (``12,345.67``); points as
whole points. Files are written exactly as the API serves them.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from hutong.cli._common import console, errors, with_services
from hutong.ledger.settlement import Report, SettlementFile, StoredWindow, WindowDetail, service
from hutong.runtime.services import Services

app = typer.Typer(help="Settlement windows, positions and files.", no_args_is_help=True)


def money(amount: int, asset: str) -> str:
    """Fen as yuan, exact (``-1,234.05``); points as they are."""
    if asset != "CNY":
        return f"{amount:,}"
    sign = "-" if amount < 0 else ""
    yuan, fen = divmod(abs(amount), 100)
    return f"{sign}{yuan:,}.{fen:02d}"


def _when(value: datetime | None) -> str:
    return value.isoformat() if value is not None else ""


def _parse_until(until: str | None) -> datetime | None:
    if until is None:
        return None
    try:
        return datetime.fromisoformat(until)
    except ValueError:
        errors.print(f"[red]invalid_until:[/] {until!r} is not an ISO 8601 time")
        raise typer.Exit(2) from None


def _print_windows(found: list[StoredWindow]) -> None:
    table = Table("window", "state", "seq", "transfers", "from", "until", "settled")
    for w in found:
        seq = f"{w.from_seq}..{w.to_seq}" if w.to_seq is not None else f"{w.from_seq}.."
        table.add_row(
            w.id,
            w.state.value,
            seq,
            str(w.transfer_count),
            _when(w.opened_at),
            _when(w.closed_at),
            _when(w.settled_at),
        )
    console.print(table)


def _print_detail(detail: WindowDetail) -> None:
    w = detail.window
    console.print(
        f"{w.id} ({w.state.value}): {w.transfer_count} transfers, seq {w.from_seq}.."
        f"{w.to_seq if w.to_seq is not None else ''}, from {_when(w.opened_at)} "
        f"until {_when(w.closed_at)}"
    )
    overall = Table("asset", "participant", "net", title="Overall positions (+ is owed to it)")
    for p in detail.positions.overall_rows():
        overall.add_row(p.asset, p.participant, money(p.net, p.asset))
    pairs = Table("asset", "participant", "counterparty", "net", title="Bilateral positions")
    for p in detail.positions.bilateral_rows():
        pairs.add_row(p.asset, p.participant, p.counterparty or "", money(p.net, p.asset))
    paying = Table("asset", "payer", "payee", "amount", title="Pay instructions")
    for i in detail.instructions:
        paying.add_row(i.asset, i.payer, i.payee, money(i.amount, i.asset))
    for table in (overall, pairs, paying):
        console.print(table)


@app.command()
def close(
    until: Annotated[
        str | None, typer.Option(help="Close up to this ISO time (never the future).")
    ] = None,
) -> None:
    """Close the open window (up to now less the grace) and open the next."""
    when = _parse_until(until)

    async def work(services: Services) -> WindowDetail:
        return await service.close(services, when, by="cli")

    _print_detail(with_services(work))


@app.command()
def show(
    window: Annotated[str | None, typer.Argument(help="A window id or number.")] = None,
) -> None:
    """Without WINDOW: every window. With it: its positions and pay instructions."""
    if window is None:
        _print_windows(with_services(service.windows))
        return
    wanted = window

    async def work(services: Services) -> WindowDetail:
        return await service.detail(services, wanted)

    _print_detail(with_services(work))


@app.command("file")
def file_(
    window: str,
    participant: str,
    format: Annotated[str, typer.Option("--format", help="csv or json.")] = "csv",
    out: Annotated[Path | None, typer.Option(help="Write here instead of stdout.")] = None,
) -> None:
    """A participant's settlement file of a closed window."""
    if format not in ("csv", "json"):
        errors.print(f"[red]invalid_format:[/] format is csv or json, not {format!r}")
        raise typer.Exit(2)

    async def work(services: Services) -> SettlementFile:
        return await service.participant_file(services, window, participant)

    found = with_services(work)
    text = found.to_csv() if format == "csv" else found.to_json()
    if out is None:
        sys.stdout.write(text)
        return
    out.write_text(text, encoding="utf-8")
    errors.print(f"wrote {len(found.lines)} lines of {participant} in {found.window.id} to {out}")


@app.command()
def settle(window: str) -> None:
    """Record that a closed window's pay instructions were paid."""

    async def work(services: Services) -> StoredWindow:
        return await service.settle(services, window)

    settled = with_services(work)
    console.print(f"{settled.id} settled at {_when(settled.settled_at)}")


def reconcile(
    statement: Annotated[Path, typer.Argument(help="The participant's CSV statement.")],
    window: Annotated[str, typer.Option(help="The window id or number.")],
    participant: Annotated[str, typer.Option(help="Whose statement it is.")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the whole report as JSON.")
    ] = False,
) -> None:
    """Reconcile a participant's statement with its settlement lines; exit 1 unless ok."""
    try:
        text = statement.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        errors.print(f"[red]invalid_statement:[/] cannot read {statement}: {exc}")
        raise typer.Exit(2) from None

    async def work(services: Services) -> Report:
        return await service.reconcile_statement(services, window, participant, text)

    report = with_services(work)
    if as_json:
        sys.stdout.write(json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n")
    else:
        _print_report(report, participant)
    if not report.ok:
        raise typer.Exit(1)


def _print_report(report: Report, participant: str) -> None:
    summary = ", ".join(f"{name} {count}" for name, count in report.summary.items())
    verdict = "[green]reconciled[/]" if report.ok else "[red]discrepancies[/]"
    console.print(f"{participant}: {verdict}: {summary}")
    for m in report.amount_mismatches:
        console.print(
            f"  amount   {m.transfer_id} (line {m.line}): switch "
            f"{money(m.switch.signed, m.switch.asset)}, statement "
            f"{money(m.participant.signed, m.participant.asset)}"
        )
    for m in report.detail_mismatches:
        console.print(f"  detail   {m.transfer_id} (line {m.line}): {', '.join(m.fields)} differ")
    for line in report.missing_at_participant:
        console.print(
            f"  missing in statement  {line.transfer_id}: {line.direction.value} "
            f"{money(line.amount, line.asset)} {line.asset} with {line.counterparty}"
        )
    for s in report.missing_at_switch:
        console.print(
            f"  unknown to the switch {s.entry.transfer_id} (line {s.line}): "
            f"{money(s.entry.amount, s.entry.asset)} {s.entry.asset}"
        )
    for d in report.duplicates:
        where = f"line {d.line}" if d.side == "participant" else "switch"
        console.print(f"  duplicate {d.transfer_id} ({where})")
    for e in report.invalid_rows:
        console.print(f"  invalid row {e.line}: {e.code}: {e.message}")
