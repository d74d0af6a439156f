"""`hutong transfer send --as WALLET`: the operator sends a transfer for the payer's wallet.

It goes through the service the API's execute route calls, exactly once per
message id: `--message-id X` quotes as X and executes as X.execute, so the
same command again shows the first answer, asks no wallet and moves no money
twice. A refusal exits 1 with its code, and leaves the transfer as the API
would (failed, nothing held, nothing posted). Alice (``u-alice`` at Alipay)
pays Bob (``u-bob`` at WeChat Pay) by his phone number, with the reference
wallets over real HTTP.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from sqlalchemy import func, select
from typer.testing import Result

from hutong.store.tables import ledger_transfers, transfers
from tests.harness.cast import ALIPAY, BOB_PHONE, WECHATPAY
from tests.harness.cli import invoke, refused_with
from tests.harness.delivery import deliver_due
from tests.harness.networks import PayNet
from tests.harness.switch import row_counts


async def send(net: PayNet, *args: str, payer: str = "u-alice", to: str = BOB_PHONE) -> Result:
    """`hutong transfer send --as alipay.example ...` on the switch's database."""
    settings = net.switch.services.settings
    env: dict[str, str | None] = {
        "HUTONG_DATABASE_URL": settings.database_url,
        "HUTONG_DATA_DIR": str(settings.data_dir),
    }
    command = ("transfer", "send", "--as", ALIPAY, "--payer", payer, "--to", to)
    return await asyncio.to_thread(invoke, env, *command, "--amount", "10000", *args)


def calls(net: PayNet, wallet: str) -> list[str]:
    return [action for action, _ in net.wallet(wallet).calls]


async def counted(net: PayNet) -> tuple[int, int]:
    """Transfers the switch keeps, and legs its ledger posted."""
    async with net.switch.services.db.read() as conn:
        kept = await conn.scalar(select(func.count()).select_from(transfers))
        legs = await conn.scalar(select(func.count()).select_from(ledger_transfers))
    return int(kept or 0), int(legs or 0)


def answered(result: Result) -> dict[str, Any]:
    assert result.exit_code == 0, result.output
    body: dict[str, Any] = json.loads(result.stdout)
    return body


async def test_the_same_send_twice_moves_the_money_once(bob: PayNet) -> None:
    first = answered(await send(bob, "--message-id", "send-1"))
    again = answered(await send(bob, "--message-id", "send-1"))

    assert first["transfer"]["state"] == "committed"
    assert again == first
    assert calls(bob, ALIPAY) == ["reserve"] and calls(bob, WECHATPAY) == ["confirm"]
    assert await counted(bob) == (1, 3)  # one transfer: its amount and two fees, posted once
    await deliver_due(bob.switch.services)
    assert bob.wallet(ALIPAY).balance("u-alice") == 100_000 - 10_010
    assert bob.wallet(WECHATPAY).balance("u-bob") == 50_000 + 9_900


async def test_another_message_id_is_another_transfer(bob: PayNet) -> None:
    one = answered(await send(bob, "--message-id", "send-1"))
    two = answered(await send(bob, "--message-id", "send-2"))
    assert one["transfer"]["id"] != two["transfer"]["id"]
    assert await counted(bob) == (2, 6)


async def test_a_refused_send_fails_the_transfer_whole_and_is_refused_again_the_same(
    bob: PayNet,
) -> None:
    refused = await send(bob, "--message-id", "poor-1", payer="u-poor")
    refused_with(refused, "insufficient_funds")
    assert '"state": "failed"' in refused.stdout
    again = await send(bob, "--message-id", "poor-1", payer="u-poor")
    refused_with(again, "insufficient_funds")
    assert again.stdout == refused.stdout

    assert calls(bob, ALIPAY) == ["reserve"]  # asked once
    assert calls(bob, WECHATPAY) == []
    assert bob.wallet(ALIPAY).held("u-poor") == 0
    assert await counted(bob) == (1, 0)


async def test_a_send_refused_before_any_wallet_is_asked_keeps_only_its_answers(
    bob: PayNet,
) -> None:
    """An unknown alias: the quote is refused (the lookup it cost stays spent), no transfer."""
    before = await row_counts(bob.switch.services)
    refused_with(await send(bob, "--message-id", "nobody-1", to="13912345678"), "alias_not_found")
    after = await row_counts(bob.switch.services)
    changed = {table: after[table] - before[table] for table in after}
    assert {table: n for table, n in changed.items() if n} == {
        "messages": 1,
        "alias_lookup_buckets": 1,
    }
    assert calls(bob, ALIPAY) == [] and await counted(bob) == (0, 0)


async def test_the_same_message_id_with_another_message_is_refused(bob: PayNet) -> None:
    answered(await send(bob, "--message-id", "send-1"))
    refused_with(await send(bob, "--message-id", "send-1", payer="u-poor"), "message_id_conflict")
    assert await counted(bob) == (1, 3)
