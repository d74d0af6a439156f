"""Settlement windows over the stored ledger, on SQLite and PostgreSQL.

Money enters through the ledger service (group commit, as every caller uses
it); windows are closed, settled and read through the settlement service.
Positions must be exactly the money that moved: plain transfers and posts of
holds, never a hold itself, a void or an expiry.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from hutong.config import Settings
from hutong.ledger.models import AccountFlags, Result, TransferFlags, TransferRequest
from hutong.ledger.settlement import (
    WindowDetail,
    WindowState,
    net_positions,
    parse_statement,
    reconcile,
    service,
)
from hutong.ledger.store import NewAccount, create_accounts
from hutong.protocol.errors import HutongError
from hutong.runtime.services import Services
from hutong.store.db import Database
from hutong.store.tables import (
    ledger_accounts,
    ledger_failures,
    ledger_transfers,
    settlement_instructions,
    settlement_positions,
    settlement_windows,
)
from tests.harness.switch import Clock

WECHATPAY, ALIPAY, JD, TAOBAO = (
    "wechatpay.example",
    "alipay.example",
    "jd.example",
    "taobao.example",
)
PARTICIPANTS = (WECHATPAY, ALIPAY, JD, TAOBAO)


def acct(owner: str, asset: str = "CNY") -> str:
    return f"{owner}/{asset}"


async def open_accounts(services: Services, *owners: str) -> None:
    new = [
        NewAccount(acct(o, asset), o, asset, "settlement_position", AccountFlags.NONE)
        for o in owners
        for asset in ("CNY", "points:88vip")
    ]
    async with services.db.transaction() as conn:
        results = await create_accounts(conn, new, services.clock())
    assert set(results) == {"ok"}


async def move(services: Services, *requests: TransferRequest) -> None:
    results = await services.ledger().submit(list(requests))
    assert results == [Result.OK] * len(requests), results


def pay(tid: str, payer: str, payee: str, amount: int, asset: str = "CNY") -> TransferRequest:
    return TransferRequest(tid, acct(payer, asset), acct(payee, asset), amount, asset)


def hold(tid: str, payer: str, payee: str, amount: int, asset: str = "CNY") -> TransferRequest:
    return TransferRequest(
        tid, acct(payer, asset), acct(payee, asset), amount, asset, flags=TransferFlags.PENDING
    )


def post(tid: str, pending: str, amount: int = 0) -> TransferRequest:
    return TransferRequest(tid, pending_id=pending, amount=amount, flags=TransferFlags.POST_PENDING)


def void(tid: str, pending: str) -> TransferRequest:
    return TransferRequest(tid, pending_id=pending, flags=TransferFlags.VOID_PENDING)


async def close_later(services: Services, clock: Clock) -> WindowDetail:
    """Let the grace pass, then close the open window up to now - grace."""
    clock.advance(services.settings.settlement_grace + 1)
    return await service.close(services, by="test")


async def refused(code: str, work: object) -> HutongError:
    with pytest.raises(HutongError) as caught:
        await work  # type: ignore[misc]
    assert caught.value.code == code, caught.value.message
    return caught.value


# -- positions -----------------------------------------------------------------------------


async def test_positions_net_to_zero_per_asset_and_each_pair_is_seen_from_both_sides(
    services: Services, clock: Clock
) -> None:
    await open_accounts(services, *PARTICIPANTS)
    await move(
        services,
        pay("pay-1", WECHATPAY, JD, 10_000),
        pay("pay-2", ALIPAY, TAOBAO, 5_000),
        pay("fee-1", JD, WECHATPAY, 60),
        pay("x-1", TAOBAO, JD, 300),
        pay("pts-1", TAOBAO, ALIPAY, 500, "points:88vip"),
    )
    closed = await close_later(services, clock)

    assert closed.window.state is WindowState.CLOSED
    assert closed.window.transfer_count == 5
    positions = closed.positions
    assert positions.net(JD, "CNY") == 10_000 - 60 + 300
    assert positions.net(WECHATPAY, "CNY") == -10_000 + 60
    assert positions.net(ALIPAY, "points:88vip") == 500
    for asset in positions.assets():
        assert sum(positions.net(p, asset) for p in positions.participants()) == 0
    rows = {(p.asset, p.participant, p.counterparty): p.net for p in positions.bilateral_rows()}
    for (asset, a, b), net in rows.items():
        assert rows[(asset, b, a)] == -net
    assert rows[("CNY", JD, WECHATPAY)] == 9_940

    # What was stored reads back the same, with the pay instructions.
    shown = await service.detail(services, closed.window.id)
    assert shown.positions.bilateral_rows() == positions.bilateral_rows()
    assert shown.positions.overall_rows() == positions.overall_rows()
    assert shown.instructions == closed.instructions
    paid: defaultdict[tuple[str, str], int] = defaultdict(int)
    for i in shown.instructions:
        paid[(i.asset, i.payer)] -= i.amount
        paid[(i.asset, i.payee)] += i.amount
    assert {k: v for k, v in paid.items() if v} == {
        (asset, p): net for (asset, p), net in positions.overall.items() if net
    }


async def test_a_hold_counts_only_what_was_posted_and_where_it_was_posted(
    services: Services, clock: Clock
) -> None:
    await open_accounts(services, WECHATPAY, JD, TAOBAO)
    await move(
        services,
        hold("h-partial", WECHATPAY, JD, 1_000),
        hold("h-void", WECHATPAY, TAOBAO, 700),
        hold("h-later", WECHATPAY, TAOBAO, 400),
        hold("h-open", WECHATPAY, JD, 900),
    )
    await move(services, post("h-partial/post", "h-partial", 600), void("h-void/void", "h-void"))
    first = await close_later(services, clock)

    # The partial post moved 600 of the 1,000 held; the void and the holds moved nothing.
    assert first.positions.bilateral(JD, WECHATPAY, "CNY") == 600
    assert first.positions.bilateral(TAOBAO, WECHATPAY, "CNY") == 0
    assert first.window.transfer_count == 1
    jd_file = await service.participant_file(services, first.window.id, JD)
    assert [(line.transfer_id, line.amount) for line in jd_file.lines] == [("h-partial/post", 600)]

    # A hold made in window 1 and posted in window 2 is money of window 2.
    await move(services, post("h-later/post", "h-later"))
    second = await close_later(services, clock)
    assert second.positions.bilateral(TAOBAO, WECHATPAY, "CNY") == 400
    assert second.positions.net(JD, "CNY") == 0
    assert second.window.from_seq == first.window.to_seq


async def test_a_transfer_after_the_cutoff_falls_in_the_next_window(
    services: Services, clock: Clock
) -> None:
    grace = services.settings.settlement_grace
    await open_accounts(services, WECHATPAY, JD)
    await move(services, pay("early", WECHATPAY, JD, 100))
    clock.advance(2)
    await move(services, pay("late", WECHATPAY, JD, 20))
    # Now is 2 s after "late" was made: still inside the grace, so it is not closed.
    clock.advance(grace - 2 + 1)
    first = await service.close(services, clock.now - timedelta(seconds=grace - 1))
    assert first.positions.net(JD, "CNY") == 100
    assert first.window.closed_at == clock.now - timedelta(seconds=grace)

    second = await close_later(services, clock)
    assert second.window.number == 2
    assert second.positions.net(JD, "CNY") == 20
    assert second.window.opened_at == first.window.closed_at
    listed = await service.windows(services)
    assert [(w.number, w.state) for w in listed] == [
        (1, WindowState.CLOSED),
        (2, WindowState.CLOSED),
        (3, WindowState.OPEN),
    ]


async def test_what_cannot_happen_to_a_window_is_refused(services: Services, clock: Clock) -> None:
    await open_accounts(services, WECHATPAY, JD)
    await move(services, pay("p-1", WECHATPAY, JD, 100))
    assert [w.state for w in await service.windows(services)] == [WindowState.OPEN]
    await refused("window_open", service.settle(services, "window-1"))
    await refused("window_open", service.participant_file(services, "window-1", JD))
    await refused("until_in_future", service.close(services, clock.now + timedelta(seconds=1)))
    await refused("invalid_until", service.close(services, clock.now.replace(tzinfo=None)))

    closed = await close_later(services, clock)
    # Closing again at once: the next window has not started yet.
    await refused("invalid_cutoff", service.close(services))
    settled = await service.settle(services, closed.window.id)
    assert settled.state is WindowState.SETTLED
    assert settled.settled_at == clock.now
    await refused("window_settled", service.settle(services, closed.window.id))
    await refused("unknown_window", service.settle(services, "window-9"))
    await refused("unknown_window", service.detail(services, "nope"))
    await refused("unknown_participant", service.participant_file(services, "1", "nobody.example"))
    # A settled window still has its files.
    assert len((await service.participant_file(services, "1", JD)).lines) == 1


async def test_every_participants_file_reconciles_against_itself(
    services: Services, clock: Clock
) -> None:
    await open_accounts(services, *PARTICIPANTS)
    await move(
        services,
        *(pay(f"t-{n}", PARTICIPANTS[n % 4], PARTICIPANTS[(n + 1) % 4], 10 + n) for n in range(40)),
        pay("pts-1", JD, ALIPAY, 7, "points:88vip"),
    )
    closed = await close_later(services, clock)
    for participant in PARTICIPANTS:
        found = await service.participant_file(services, closed.window.id, participant)
        assert len(found.lines) == 20 + (participant in (JD, ALIPAY))
        report = reconcile(found.lines, parse_statement(found.to_csv()))
        assert report.ok, report.summary
        assert report.summary["matched"] == len(found.lines)
        nets = {p.asset: p.net for p in found.overall_nets()}
        assert nets == {
            asset: closed.positions.net(participant, asset)
            for asset in closed.positions.assets()
            if (asset, participant) in closed.positions.overall
        }


async def test_transfers_between_accounts_of_one_owner_are_not_settled(
    services: Services, clock: Clock
) -> None:
    await open_accounts(services, JD, WECHATPAY)
    async with services.db.transaction() as conn:
        await create_accounts(
            conn, [NewAccount("jd/fees", JD, "CNY", "fee_income")], services.clock()
        )
    await move(
        services,
        TransferRequest("inside", acct(JD), "jd/fees", 50, "CNY"),
        pay("across", WECHATPAY, JD, 80),
    )
    closed = await close_later(services, clock)
    assert closed.window.transfer_count == 2
    assert closed.positions.internal == 1
    assert closed.positions.net(JD, "CNY") == 80
    found = await service.participant_file(services, closed.window.id, JD)
    assert [line.transfer_id for line in found.lines] == ["across"]


# -- property: the database's positions are net_positions over the same movements ----------

OWNERS = ("a.example", "b.example", "c.example", "d.example")
step = st.tuples(
    st.sampled_from(("pay", "hold", "post", "void")),
    st.sampled_from(OWNERS),
    st.sampled_from(OWNERS),
    st.sampled_from(("CNY", "points:88vip")),
    st.integers(1, 10**9),
    st.booleans(),  # close the window after this step
)


async def _scenario(url: str, steps: list[tuple[str, str, str, str, int, bool]]) -> None:
    clock = Clock()
    services = Services(settings=Settings(database_url=url), db=Database(url), clock=clock)
    try:
        async with services.db.transaction() as conn:
            for table in (
                settlement_positions,
                settlement_instructions,
                settlement_windows,
                ledger_transfers,
                ledger_failures,
                ledger_accounts,
            ):
                await conn.execute(delete(table))
        await open_accounts(services, *OWNERS)
        expected: list[list[tuple[str, str, str, int]]] = [[]]
        holds: list[tuple[str, str, str, str, int]] = []
        for n, (kind, payer, payee, asset, amount, then_close) in enumerate(steps):
            if kind == "pay" and payer != payee:
                await move(services, pay(f"p{n}", payer, payee, amount, asset))
                expected[-1].append((payer, payee, asset, amount))
            elif kind == "hold" and payer != payee:
                await move(services, hold(f"h{n}", payer, payee, amount, asset))
                holds.append((f"h{n}", payer, payee, asset, amount))
            elif kind in ("post", "void") and holds:
                tid, h_payer, h_payee, h_asset, held = holds.pop(amount % len(holds))
                if kind == "void":
                    await move(services, void(f"v{n}", tid))
                else:
                    part = 1 + amount % held
                    await move(services, post(f"o{n}", tid, part))
                    expected[-1].append((h_payer, h_payee, h_asset, part))
            clock.advance(1)
            if then_close:
                await close_later(services, clock)
                expected.append([])
        await close_later(services, clock)
        windows = [w for w in await service.windows(services) if w.state is WindowState.CLOSED]
        assert len(windows) == len(expected)
        for window, moves in zip(windows, expected, strict=True):
            stored = (await service.detail(services, window.id)).positions
            computed = net_positions(moves)
            assert stored.bilateral_rows() == computed.bilateral_rows()
            assert stored.overall_rows() == computed.overall_rows()
    finally:
        await services.ledger().close()
        await services.db.dispose()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(step, max_size=25))
def test_stored_positions_equal_net_positions_of_the_moves(
    database_url: str, steps: list[tuple[str, str, str, str, int, bool]]
) -> None:
    asyncio.run(_scenario(database_url, steps))
