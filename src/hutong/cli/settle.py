"""`hutong settle close|show|file|settle|answers|confirm|dispute` and `hutong reconcile`.

The operator reads and writes the database. A participant, with its key
(`--key-file`), fetches its own file of a closed window (`settle file`,
`GET /v1/settlement/windows/{id}/file`) and reconciles its own statement
(`reconcile`, `POST /v1/settlement/windows/{id}/reconcile`), signed over HTTP.

Amounts in CNY are shown in yuan with every fen (``12,345.67``); points as
whole points. Files are written exactly as the API serves them.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import msgspec
import typer
from rich.table import Table

from hutong.api.routes.settlement_windows import (
    WindowDetailOut,
    WindowOut,
    closed_shown,
    detail_out,
    settled_shown,
)
from hutong.cli import once, remote
from hutong.cli._common import USAGE, console, errors, refuse, with_services
from hutong.ledger.settlement import Answer, SettlementFile, StoredWindow, WindowDetail, service
from hutong.runtime.services import Services

app = typer.Typer(help="Settlement windows, positions and files.", no_args_is_help=True)
SWITCH = remote.DEFAULT_SWITCH_URL


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


def _print_detail(detail: WindowDetailOut) -> None:
    w = detail.window
    console.print(
        f"{w.id} ({w.state}): {w.transfer_count} transfers, seq {w.from_seq}.."
        f"{w.to_seq if w.to_seq is not None else ''}, from {_when(w.opened_at)} "
        f"until {_when(w.closed_at)}"
    )
    overall = Table("asset", "participant", "net", title="Overall positions (+ is owed to it)")
    for o in detail.overall:
        overall.add_row(o.asset, o.participant, money(o.net, o.asset))
    pairs = Table("asset", "participant", "counterparty", "net", title="Bilateral positions")
    for p in detail.positions:
        pairs.add_row(p.asset, p.participant, p.counterparty, money(p.net, p.asset))
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
    message_id: remote.MessageId = None,
) -> None:
    """Close the open window (up to now less the grace) and open the next (once per --message-id).

    Done as `POST /operator/settlement/close` with the body `{"until": UNTIL}`
    (`{}` without one): the same command again shows the window it closed.
    """
    when = _parse_until(until)
    body = once.as_operator(
        message_id,
        ("POST", "/operator/settlement/close", {} if until is None else {"until": until}),
        lambda services: service.closing(services, when, by="cli"),
        closed_shown,
    )
    _print_detail(msgspec.convert(body, WindowDetailOut))


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

    _print_detail(detail_out(with_services(work)))


@app.command("file")
def file_(
    window: str,
    participant: Annotated[
        str | None, typer.Argument(help="Whose file (with --key-file: default yours).")
    ] = None,
    format: Annotated[str, typer.Option("--format", help="csv or json.")] = "csv",
    out: Annotated[Path | None, typer.Option(help="Write here instead of stdout.")] = None,
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
) -> None:
    """A participant's settlement file of a closed window.

    With --key-file: your own (auditors: anyone's), over HTTP; without, the operator's.
    """
    if format not in ("csv", "json"):
        errors.print(f"[red]invalid_format:[/] format is csv or json, not {format!r}")
        raise typer.Exit(2)
    if key_file is not None:
        path = remote.path_of("/v1/settlement/windows/{}/file", window)
        said = remote.read(key_file, switch_url, path, format=format, participant=participant)
        text = said if isinstance(said, str) else json.dumps(said, ensure_ascii=False, indent=2)
        _write(text.rstrip("\n") + "\n", out, f"the file of {window}")
        return
    if participant is None:
        refuse("missing_participant", "name the PARTICIPANT whose file it is", exit_code=USAGE)
    whose = participant

    async def work(services: Services) -> SettlementFile:
        return await service.participant_file(services, window, whose)

    found = with_services(work)
    text = found.to_csv() if format == "csv" else found.to_json()
    _write(text, out, f"{len(found.lines)} lines of {whose} in {found.window.id}")


def _write(text: str, out: Path | None, what: str) -> None:
    """The file on stdout, or in `out` (and a line on stderr saying so)."""
    if out is None:
        sys.stdout.write(text)
        return
    out.write_text(text, encoding="utf-8")
    errors.print(f"wrote {what} to {out}")


@app.command()
def settle(window: str, message_id: remote.MessageId = None) -> None:
    """Record that a closed window's pay instructions were paid (once per --message-id)."""

    body = once.as_operator(
        message_id,
        ("POST", f"/operator/settlement/windows/{window}/settle", {}),
        lambda services: service.settling(services, window),
        settled_shown,
        before=service.ensure_windows,
    )
    settled = msgspec.convert(body, WindowOut)
    console.print(f"{settled.id} settled at {_when(settled.settled_at)}")


@app.command()
def answers(window: str) -> None:
    """Each participant's answer to its settlement in WINDOW: pending, confirmed or disputed."""

    async def work(services: Services) -> list[Answer]:
        return await service.answers(services, window)

    table = Table("participant", "answer", "at", "reason", title=f"Answers to {window}")
    for a in with_services(work):
        table.add_row(a.participant, a.state.value, _when(a.at), a.reason)
    console.print(table)


def _answer(
    action: str, window: str, reason: str, key_file: Path | None, url: str, mid: str | None
) -> None:
    path = remote.path_of(f"/v1/settlement/windows/{{}}/{action}", window)
    found = remote.send(key_file, url, path, {"reason": reason}, mid)
    a = found["answer"]
    console.print(f"{a['participant']}: {a['state']} {a['window_id']}")


@app.command()
def confirm(
    window: str,
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    message_id: remote.MessageId = None,
) -> None:
    """Confirm your settlement in a closed WINDOW (signed with your key)."""
    _answer("confirm", window, "", key_file, switch_url, message_id)


@app.command()
def dispute(
    window: str,
    reason: Annotated[str, typer.Option(help="What is wrong (required).")],
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    message_id: remote.MessageId = None,
) -> None:
    """Dispute your settlement in a closed WINDOW; it is not settled while you do."""
    _answer("dispute", window, reason, key_file, switch_url, message_id)


def reconcile(
    statement: Annotated[Path, typer.Argument(help="The participant's CSV statement.")],
    window: Annotated[str, typer.Option(help="The window id or number.")],
    participant: Annotated[
        str | None, typer.Option(help="Whose statement it is (with --key-file: yours).")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the whole report as JSON.")
    ] = False,
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    message_id: remote.MessageId = None,
) -> None:
    """Reconcile a participant's statement with its settlement lines; exit 1 unless ok.

    With --key-file: your own statement, sent signed to the switch; else the operator's.
    """
    try:
        text = statement.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        errors.print(f"[red]invalid_statement:[/] cannot read {statement}: {exc}")
        raise typer.Exit(2) from None
    if key_file is not None:
        if participant is not None:
            refuse("invalid_option", "with --key-file you reconcile your own", exit_code=USAGE)
        path = remote.path_of("/v1/settlement/windows/{}/reconcile", window)
        report = remote.send(key_file, switch_url, path, {"statement": text}, message_id)
        whose = remote.load_key(key_file).subscriber_id
    elif participant is None:
        refuse("missing_participant", "name whose statement it is: --participant", exit_code=USAGE)
    else:
        whose = participant

        async def work(services: Services) -> dict[str, Any]:
            return (await service.reconcile_statement(services, window, whose, text)).to_dict()

        report = with_services(work)
    if as_json:
        sys.stdout.write(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    else:
        _print_report(report, whose)
    if not report["ok"]:
        raise typer.Exit(1)


def _print_report(report: dict[str, Any], participant: str) -> None:
    """A report as `Report.to_dict` (and the API) writes it, one line per discrepancy."""
    summary = ", ".join(f"{name} {count}" for name, count in report["summary"].items())
    verdict = "[green]reconciled[/]" if report["ok"] else "[red]discrepancies[/]"
    console.print(f"{participant}: {verdict}: {summary}")
    for m in report["amount_mismatches"]:
        asset = m["switch"]["asset"]
        console.print(
            f"  amount   {m['transfer_id']} (line {m['line']}): switch "
            f"{money(m['switch_amount'], asset)}, statement "
            f"{money(m['participant_amount'], m['participant']['asset'])}"
        )
    for m in report["detail_mismatches"]:
        fields = ", ".join(m["fields"])
        console.print(f"  detail   {m['transfer_id']} (line {m['line']}): {fields} differ")
    for line in report["missing_at_participant"]:
        console.print(
            f"  missing in statement  {line['transfer_id']}: {line['direction']} "
            f"{money(line['amount'], line['asset'])} {line['asset']} with {line['counterparty']}"
        )
    for s in report["missing_at_switch"]:
        console.print(
            f"  unknown to the switch {s['transfer_id']} (line {s['line']}): "
            f"{money(s['amount'], s['asset'])} {s['asset']}"
        )
    for d in report["duplicates"]:
        where = f"line {d['line']}" if d["side"] == "participant" else "switch"
        console.print(f"  duplicate {d['transfer_id']} ({where})")
    for e in report["invalid_rows"]:
        console.print(f"  invalid row {e['line']}: {e['code']}: {e['message']}")
