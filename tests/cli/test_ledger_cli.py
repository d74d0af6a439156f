"""A participant reads its ledger accounts and settles its window at its own terminal.

With its key file, signed over HTTP to a real switch on loopback: its own
accounts and their history (another's is `not_your_account`), its own
settlement file of a closed window, and the reconciliation of its statement
(exit 1 when anything differs). No database is named.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.harness.cast import DOUYIN, KUAISHOU, MARKET_MERCHANT
from tests.harness.cli import Terminal, answered, refused_with
from tests.harness.ledger import account, create, move, submit
from tests.harness.networks import Market
from tests.harness.switch import Clock, Switch

MERCHANT = MARKET_MERCHANT
OWN, HOSTS = f"{MERCHANT}/cny", f"{DOUYIN}/cny"
FILE = [
    "transfer_id,counterparty,asset,amount,direction",
    f"fee-1,{DOUYIN},CNY,60,debit",
    f"pay-1,{DOUYIN},CNY,10000,credit",
]


@pytest.fixture
async def hutong(market: Market, switch: Switch, clock: Clock, tmp_path: Path) -> Terminal:
    """Douyin paid the merchant and took a fee back; the window is closed."""
    await create(switch, *(account(a, a.split("/")[0], kind="settlement_position")
                           for a in (OWN, HOSTS)))  # fmt: skip
    await submit(switch, move("pay-1", HOSTS, OWN, 10_000), move("fee-1", OWN, HOSTS, 60))
    clock.advance(switch.services.settings.settlement_grace + 1)
    closed = await switch.operator.post("/operator/settlement/close")
    assert closed.status_code == 200, closed.text
    return Terminal(market, tmp_path)


async def test_a_participant_reads_its_own_accounts_and_their_history(hutong: Terminal) -> None:
    [mine] = answered(await hutong(MERCHANT, "ledger", "balances", "--json"))
    assert (mine["id"], mine["balance"]) == (OWN, 10_000 - 60)
    table = await hutong(MERCHANT, "ledger", "balances")
    assert table.exit_code == 0 and OWN in table.stdout and HOSTS not in table.stdout

    shown = answered(await hutong(MERCHANT, "ledger", "account", OWN, "--json"))
    assert shown["owner"] == MERCHANT
    history = answered(await hutong(MERCHANT, "ledger", "history", OWN, "--json"))
    assert [t["id"] for t in history["transfers"]] == ["pay-1", "fee-1"]
    assert "-60" in (await hutong(MERCHANT, "ledger", "history", OWN)).stdout

    refused_with(await hutong(MERCHANT, "ledger", "account", HOSTS), "not_your_account")
    refused_with(await hutong(MERCHANT, "ledger", "account", "nobody/cny"), "unknown_account")


async def test_a_participant_fetches_its_settlement_file(hutong: Terminal, tmp_path: Path) -> None:
    fetched = await hutong(MERCHANT, "settle", "file", "window-1")
    assert fetched.exit_code == 0, fetched.output
    assert fetched.stdout.splitlines() == FILE

    out = tmp_path / "mine.json"
    written = await hutong(MERCHANT, "settle", "file", "window-1", "--format", "json",
                           "--out", str(out))  # fmt: skip
    assert written.exit_code == 0, written.output
    assert f'"participant": "{MERCHANT}"' in out.read_text()
    refused_with(await hutong(MERCHANT, "settle", "file", "window-1", DOUYIN), "not_your_file")


async def test_a_participant_reconciles_its_statement(hutong: Terminal, tmp_path: Path) -> None:
    statement = tmp_path / "statement.csv"
    statement.write_text("\n".join(FILE) + "\n")
    args = ("reconcile", str(statement), "--window", "window-1")
    first = await hutong(MERCHANT, *args, "--message-id", "msg-rec-1", "--json")
    again = await hutong(MERCHANT, *args, "--message-id", "msg-rec-1", "--json")
    assert answered(first) == answered(again)
    assert answered(first)["ok"] is True and answered(first)["summary"]["matched"] == 2

    statement.write_text("\n".join([*FILE[:2], f"pay-1,{DOUYIN},CNY,9000,credit"]) + "\n")
    differs = await hutong(MERCHANT, *args)
    assert differs.exit_code == 1, differs.output
    assert f"{MERCHANT}: discrepancies" in differs.stdout and "amount   pay-1" in differs.stdout

    usage = await hutong(KUAISHOU, *args, "--participant", MERCHANT)
    assert usage.exit_code == 2 and "invalid_option:" in usage.stderr
    refused_with(
        await hutong(MERCHANT, "reconcile", str(statement), "--window", "window-9"),
        "unknown_window",
    )
