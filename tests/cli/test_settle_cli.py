"""`hutong settle ...`, `hutong reconcile` and `hutong liquidity`: settlement at the terminal.

`settle close` closes the open window and prints its positions and payments
in yuan (every fen shown); `settle file` writes a participant's file;
`reconcile` compares a statement with it and exits 1 when anything differs.
Refusals exit 1 with `<code>: <sentence>`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from hutong.cli.main import app
from hutong.cli.settle import money
from hutong.config import Settings
from hutong.ledger.models import Result as LedgerResult
from hutong.ledger.models import TransferRequest
from hutong.ledger.store import NewAccount, create_accounts
from hutong.runtime.services import Services
from hutong.store.db import Database
from hutong.store.migrate import upgrade

Hutong = Callable[..., Result]

runner = CliRunner()
WECHATPAY, JD, TAOBAO = "wechatpay.example", "jd.example", "taobao.example"


@pytest.fixture
def hutong(database_url: str) -> Hutong:
    env = {"HUTONG_DATABASE_URL": database_url, "COLUMNS": "200"}

    def run(*args: str) -> Result:
        return runner.invoke(app, list(args), env=env)

    return run


async def _trade(url: str) -> None:
    """A minute ago: WeChat Pay collected for JD and Taobao, JD paid a fee back."""
    a_minute_ago = datetime.now(UTC) - timedelta(minutes=1)
    services = Services(settings=Settings(database_url=url), db=Database(url))
    services.clock = lambda: a_minute_ago
    try:
        async with services.db.transaction() as conn:
            await create_accounts(
                conn,
                [
                    NewAccount(f"{o}/cny", o, "CNY", "settlement_position")
                    for o in (WECHATPAY, JD, TAOBAO)
                ],
                a_minute_ago,
            )
        results = await services.ledger().submit(
            [
                TransferRequest("pay-1", f"{WECHATPAY}/cny", f"{JD}/cny", 1_234_505, "CNY"),
                TransferRequest("pay-2", f"{WECHATPAY}/cny", f"{TAOBAO}/cny", 2_000, "CNY"),
                TransferRequest("fee-1", f"{JD}/cny", f"{WECHATPAY}/cny", 60, "CNY"),
            ]
        )
        assert set(results) == {LedgerResult.OK}
    finally:
        await services.ledger().close()
        await services.db.dispose()


@pytest.fixture
def traded(database_url: str) -> None:
    upgrade(database_url)
    asyncio.run(_trade(database_url))


def test_money_is_shown_in_yuan_with_every_fen() -> None:
    assert money(1_234_505, "CNY") == "12,345.05"
    assert money(-60, "CNY") == "-0.60"
    assert money(0, "CNY") == "0.00"
    assert money(1500, "points:88vip") == "1,500"


def test_close_show_file_reconcile_and_settle(hutong: Hutong, traded: None, tmp_path: Path) -> None:
    listed = hutong("settle", "show")
    assert listed.exit_code == 0, listed.output
    assert "window-1" in listed.output and "open" in listed.output

    closed = hutong("settle", "close")
    assert closed.exit_code == 0, closed.output
    assert "window-1 (closed): 3 transfers" in closed.output
    assert "12,344.45" in closed.output  # JD: 12,345.05 in, 0.60 fee out
    assert "-12,364.45" in closed.output  # WeChat Pay owes it all

    shown = hutong("settle", "show", "1")
    assert shown.exit_code == 0, shown.output
    assert "Pay instructions" in shown.output and "20.00" in shown.output

    path = tmp_path / "jd.csv"
    written = hutong("settle", "file", "window-1", JD, "--out", str(path))
    assert written.exit_code == 0, written.output
    assert path.read_text().splitlines() == [
        "transfer_id,counterparty,asset,amount,direction",
        "fee-1,wechatpay.example,CNY,60,debit",
        "pay-1,wechatpay.example,CNY,1234505,credit",
    ]
    as_json = hutong("settle", "file", "1", JD, "--format", "json")
    assert json.loads(as_json.output)["net"] == [{"asset": "CNY", "net": 1_234_445}]

    same = hutong("reconcile", str(path), "--window", "1", "--participant", JD)
    assert same.exit_code == 0, same.output
    assert "reconciled" in same.output

    statement = tmp_path / "statement.csv"
    lines = path.read_text().splitlines()
    statement.write_text("\n".join([lines[0], lines[2].replace("1234505", "1234500")]) + "\n")
    differs = hutong("reconcile", str(statement), "--window", "1", "--participant", JD)
    assert differs.exit_code == 1
    assert "discrepancies" in differs.output
    assert "amount   pay-1 (line 2): switch 12,345.05, statement 12,345.00" in differs.output
    assert "missing in statement  fee-1: debit 0.60 CNY with wechatpay.example" in differs.output
    report = hutong("reconcile", str(statement), "--window", "1", "--participant", JD, "--json")
    assert report.exit_code == 1
    assert json.loads(report.output)["summary"]["amount_mismatches"] == 1

    settled = hutong("settle", "settle", "window-1")
    assert settled.exit_code == 0, settled.output
    assert "window-1 settled at" in settled.output
    again = hutong("settle", "settle", "window-1")
    assert again.exit_code == 1
    assert "window_settled" in again.output


def test_refusals_exit_with_their_code(hutong: Hutong, traded: None, tmp_path: Path) -> None:
    assert "window_open" in hutong("settle", "file", "1", JD).output
    assert "window_open" in hutong("settle", "settle", "1").output
    assert "unknown_window" in hutong("settle", "show", "window-9").output
    future = hutong("settle", "close", "--until", "2999-01-01T00:00:00Z")
    assert future.exit_code == 1 and "until_in_future" in future.output
    garbage = hutong("settle", "close", "--until", "soon")
    assert garbage.exit_code == 2 and "invalid_until" in garbage.output
    missing = hutong("reconcile", str(tmp_path / "none.csv"), "--window", "1", "--participant", JD)
    assert missing.exit_code == 2 and "invalid_statement" in missing.output


# -- liquidity and answers ----------------------------------------------------------------


def test_positions_are_shown_in_yuan_and_a_cap_for_nobody_is_refused(
    hutong: Hutong, traded: None
) -> None:
    shown = hutong("liquidity", "show")
    assert shown.exit_code == 0, shown.output
    assert WECHATPAY in shown.output and "¥12,364.45" not in shown.output
    assert "¥12364.45" in shown.output  # WeChat Pay's position: what it owes, net
    assert "-¥12344.45" in shown.output  # JD is owed
    assert "not capped" in shown.output

    refused = hutong("liquidity", "set", "nobody.example", "--cap", "100", "--prefunded", "100")
    assert refused.exit_code == 1
    assert "unknown_participant" in refused.output


def test_each_participants_answer_is_pending_until_it_confirms(
    hutong: Hutong, traded: None
) -> None:
    assert hutong("settle", "close").exit_code == 0
    answers = hutong("settle", "answers", "1")
    assert answers.exit_code == 0, answers.output
    assert JD in answers.output and "pending" in answers.output
    assert "confirmed" not in answers.output
