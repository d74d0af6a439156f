"""Positions move with the ledger exactly, caps hold, and settlement instructions sum to zero.

Any mix of order payments (held, captured in part with the wallet's fee, or
voided), refunds and wallet-to-wallet transfers, posted through the ledger
with some wallets and merchants capped: after every step each participant's
stored position equals its net in the ledger (debits posted and pending less
credits posted over its CNY accounts), no capped participant is past its cap,
and a step is either applied whole or refused ``net_debit_cap_exceeded`` whole.
Closing the window then settles every participant's net with the hub, and
what the hub is paid equals what it pays.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from hutong.config import Settings
from hutong.ledger.accounts import account_from_row
from hutong.ledger.liquidity import net_debit
from hutong.ledger.liquidity import store as liquidity
from hutong.ledger.models import Result, TransferRequest
from hutong.ledger.settlement import HUB, service
from hutong.ledger.store import create_accounts
from hutong.payments import legs
from hutong.runtime.services import Services
from hutong.store.db import Database
from hutong.store.tables import ledger_accounts, metadata
from tests.harness.switch import Clock

WALLETS = ("alipay.example", "wechatpay.example")
MERCHANTS = ("jd-beauty.example", "tea-house.example")
PARTIES = WALLETS + MERCHANTS

step = st.tuples(
    st.sampled_from(("order", "capture_or_void", "refund", "transfer")),
    st.integers(0, 1),  # which wallet
    st.integers(0, 1),  # which merchant (or, for a transfer, the other wallet's index)
    st.integers(1, 50_000),  # amount
    st.integers(0, 99),  # a fraction of what it applies to, in percent
)
Step = tuple[str, int, int, int, int]
caps = st.dictionaries(st.sampled_from(PARTIES), st.integers(0, 100_000), max_size=3)


async def _ledger_nets(services: Services) -> dict[str, int]:
    nets: defaultdict[str, int] = defaultdict(int)
    async with services.db.read() as conn:
        for row in (await conn.execute(select(ledger_accounts))).all():
            account = account_from_row(row)
            if account.asset == "CNY":
                nets[account.owner] += net_debit(account)
    return dict(nets)


async def _post(services: Services, batch: list[TransferRequest]) -> bool:
    """True if applied, False if refused for a cap; anything else is a test failure."""
    results = await services.ledger().submit(batch)
    if Result.NET_DEBIT_CAP_EXCEEDED in results:
        assert set(results) == {Result.NET_DEBIT_CAP_EXCEEDED}, results
        return False
    assert all(r.succeeded for r in results), results
    return True


async def _scenario(url: str, declared: dict[str, int], steps: list[Step]) -> None:
    clock = Clock()
    services = Services(settings=Settings(database_url=url), db=Database(url), clock=clock)
    try:
        async with services.db.transaction() as conn:
            for table in reversed(metadata.sorted_tables):
                await conn.execute(delete(table))
            new = [a for w in WALLETS for a in legs.wallet_accounts(w)]
            new += [a for m in MERCHANTS for a in legs.merchant_accounts(m)]
            assert set(await create_accounts(conn, new, clock())) == {"ok"}
            for who, cap in declared.items():
                await liquidity.declare(conn, who, cap, cap, clock(), by="test")
        held: list[tuple[str, str, str, int]] = []  # payment, wallet, merchant, amount
        captured: list[tuple[str, str, str, int, int]] = []  # ..., captured, fee
        for n, (kind, w, m, amount, percent) in enumerate(steps):
            wallet, merchant = WALLETS[w], MERCHANTS[m]
            if kind == "order":
                pid = f"pay-{n}"
                if await _post(services, legs.hold(pid, wallet, merchant, amount, 3600)):
                    held.append((pid, wallet, merchant, amount))
            elif kind == "capture_or_void" and held:
                pid, wallet, merchant, amount = held.pop(percent % len(held))
                if percent % 2:  # capture part of it, the wallet's fee 1%
                    value = max(1, amount * (percent + 1) // 100)
                    fee = value // 100
                    assert await _post(services, legs.capture(pid, wallet, merchant, value, fee))
                    captured.append((pid, wallet, merchant, value, fee))
                else:
                    assert await _post(services, legs.release(pid))
            elif kind == "refund" and captured:
                pid, wallet, merchant, value, fee = captured.pop(percent % len(captured))
                back = max(1, value * (percent + 1) // 100)
                fee_back = legs.fee_returned_after(fee, value, back)
                await _post(services, legs.refund(pid, f"r{n}", wallet, merchant, back, fee_back))
            elif kind == "transfer":
                payee = WALLETS[1 - w]
                fee = amount // 1000
                await _post(services, legs.transfer_legs(f"t{n}", wallet, payee, amount, fee, fee))
            async with services.db.read() as conn:
                stored = await liquidity.positions(conn)
            nets = await _ledger_nets(services)
            assert {k: v for k, v in stored.items() if v} == {k: v for k, v in nets.items() if v}
            for who, cap in declared.items():
                assert stored.get(who, 0) <= cap, (who, stored.get(who), cap)
            clock.advance(1)
        clock.advance(services.settings.settlement_grace + 1)
        closed = await service.close(services, by="test")
        paid_in: defaultdict[str, int] = defaultdict(int)
        for i in closed.instructions:
            assert HUB in (i.payer, i.payee) and i.amount > 0
            paid_in[i.asset] += i.amount if i.payee == HUB else -i.amount
        assert all(total == 0 for total in paid_in.values()), dict(paid_in)
    finally:
        await services.ledger().close()
        await services.db.dispose()


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(declared=caps, steps=st.lists(step, max_size=20))
def test_positions_equal_the_ledgers_net_and_caps_hold_after_any_mix(
    database_url: str, declared: dict[str, int], steps: list[Step]
) -> None:
    asyncio.run(_scenario(database_url, declared, steps))
