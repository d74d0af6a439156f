"""Settlement windows: who owes whom, the payments that settle it, and the files."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hutong.ledger.settlement import (
    COLUMNS,
    HUB,
    Direction,
    Instruction,
    SettlementError,
    SettlementLine,
    Window,
    WindowEvent,
    WindowState,
    WindowTransfer,
    advance,
    instructions,
    lines_by_participant,
    movements,
    net_positions,
    participant_lines,
    settlement_file,
)

WECHATPAY, ALIPAY, JD, TAOBAO = (
    "wechatpay.example",
    "alipay.example",
    "jd.example",
    "taobao.example",
)
DAY = Window(
    "2024-11-11",
    datetime(2024, 11, 11, tzinfo=UTC),
    datetime(2024, 11, 12, tzinfo=UTC),
    WindowState.CLOSED,
)

#: A day of the network: buyers pay JD and Taobao with WeChat Pay and Alipay.
TRANSFERS = [
    WindowTransfer("pay-1/capture", WECHATPAY, JD, "CNY", 10_000),  # WeChat Pay owes JD
    WindowTransfer("pay-2/capture", ALIPAY, TAOBAO, "CNY", 5_000),
    WindowTransfer("pay-3/capture", WECHATPAY, TAOBAO, "CNY", 2_000),
    WindowTransfer("pay-1/fee", JD, WECHATPAY, "CNY", 60),  # JD owes WeChat Pay its fee
    WindowTransfer("pay-1/refund/r1", JD, WECHATPAY, "CNY", 1_000),
    WindowTransfer("x-1/money", TAOBAO, JD, "CNY", 300),
    WindowTransfer("x-1/points", TAOBAO, TAOBAO, "points:88vip", 500),  # inside one owner
]


# -- windows ----------------------------------------------------------------------------------


def test_a_window_is_closed_then_settled() -> None:
    closed = advance(WindowState.OPEN, WindowEvent.CLOSE)
    assert closed is WindowState.CLOSED
    assert advance(closed, WindowEvent.SETTLE) is WindowState.SETTLED


@pytest.mark.parametrize(
    ("state", "event", "code"),
    [
        (WindowState.OPEN, WindowEvent.SETTLE, "window_open"),  # close it first
        (WindowState.CLOSED, WindowEvent.CLOSE, "window_closed"),
        (WindowState.SETTLED, WindowEvent.CLOSE, "window_settled"),
        (WindowState.SETTLED, WindowEvent.SETTLE, "window_settled"),
    ],
)
def test_a_window_never_goes_back_or_skips_a_step(
    state: WindowState, event: WindowEvent, code: str
) -> None:
    with pytest.raises(SettlementError) as refused:
        advance(state, event)
    assert refused.value.code == code


def test_a_window_ends_after_it_starts() -> None:
    with pytest.raises(SettlementError, match="ends after"):
        Window("w", DAY.end, DAY.start)


# -- positions -------------------------------------------------------------------------------


def test_positions_net_each_pair_and_each_participant() -> None:
    positions = net_positions(movements(TRANSFERS))
    # WeChat Pay collected 12000 for merchants and is owed 1060 back by JD.
    assert positions.bilateral(WECHATPAY, JD, "CNY") == -10_000 + 60 + 1_000
    assert positions.bilateral(JD, WECHATPAY, "CNY") == 8_940
    assert positions.bilateral(WECHATPAY, TAOBAO, "CNY") == -2_000
    assert positions.bilateral(WECHATPAY, ALIPAY, "CNY") == 0  # never traded
    assert {p: positions.net(p, "CNY") for p in positions.participants()} == {
        ALIPAY: -5_000,
        JD: 8_940 + 300,
        TAOBAO: 5_000 + 2_000 - 300,
        WECHATPAY: -8_940 - 2_000,
    }
    assert positions.transfers == 7 and positions.internal == 1
    assert positions.assets() == ["CNY"]  # the points moved inside Taobao


def test_bilateral_rows_show_every_pair_from_both_sides() -> None:
    rows = net_positions([(JD, TAOBAO, "CNY", 5)]).bilateral_rows()
    assert [(r.participant, r.counterparty, r.net) for r in rows] == [
        (JD, TAOBAO, -5),
        (TAOBAO, JD, 5),
    ]


@pytest.mark.parametrize(
    "movement",
    [(JD, TAOBAO, "CNY", 0), (JD, TAOBAO, "CNY", -5), ("", TAOBAO, "CNY", 5), (JD, TAOBAO, "", 1)],
)
def test_a_movement_that_is_no_ledger_transfer_is_refused(
    movement: tuple[str, str, str, int],
) -> None:
    with pytest.raises(SettlementError) as refused:
        net_positions([(JD, ALIPAY, "CNY", 1), movement])
    assert refused.value.code == "invalid_transfer"
    assert "#2" in refused.value.message


def test_positions_stream_without_holding_the_transfers() -> None:
    """A generator is read once; memory grows with the pairs, not with the transfers."""
    many = ((WECHATPAY, JD, "CNY", 1) for _ in range(100_000))
    positions = net_positions(many)
    assert positions.net(JD, "CNY") == 100_000
    assert len(positions.pairs) == 1


# -- instructions ------------------------------------------------------------------------------


def test_each_participant_settles_its_own_net_with_the_hub() -> None:
    """Debtors pay the hub, the hub pays creditors: nobody pays a stranger."""
    paid = instructions(net_positions(movements(TRANSFERS)))
    assert paid == [
        Instruction("CNY", ALIPAY, HUB, 5_000),
        Instruction("CNY", WECHATPAY, HUB, 10_940),
        Instruction("CNY", HUB, JD, 9_240),
        Instruction("CNY", HUB, TAOBAO, 6_700),
    ]


def test_two_participants_who_never_dealt_are_never_told_to_pay_each_other() -> None:
    """88VIP owes Tencent Video, a buyer's wallet owes Douyin: two separate debts."""
    positions = net_positions(
        [
            ("88vip.example", "tencent-video.example", "CNY", 1_200),
            ("alipay.example", "douyin.example", "CNY", 766),
        ]
    )
    pairs = {(i.payer, i.payee) for i in instructions(positions)}
    assert ("88vip.example", "douyin.example") not in pairs
    assert all(HUB in pair for pair in pairs)


def test_a_participant_whose_trades_cancel_out_pays_nothing() -> None:
    positions = net_positions([(JD, TAOBAO, "CNY", 7), (TAOBAO, JD, "CNY", 7)])
    assert instructions(positions) == []


# -- settlement files -----------------------------------------------------------------------------


def test_a_settlement_file_has_one_line_per_transfer_seen_from_the_participant() -> None:
    file = settlement_file(JD, DAY, participant_lines(JD, TRANSFERS))
    assert file.to_csv() == (
        "transfer_id,counterparty,asset,amount,direction\n"
        "pay-1/capture,wechatpay.example,CNY,10000,credit\n"
        "pay-1/fee,wechatpay.example,CNY,60,debit\n"
        "pay-1/refund/r1,wechatpay.example,CNY,1000,debit\n"
        "x-1/money,taobao.example,CNY,300,credit\n"
    )


def test_the_json_file_adds_the_nets_and_the_participants_instructions() -> None:
    positions = net_positions(movements(TRANSFERS))
    file = settlement_file(JD, DAY, participant_lines(JD, TRANSFERS), instructions(positions))
    body = json.loads(file.to_json())
    assert body["participant"] == JD and body["window"]["state"] == "closed"
    assert body["columns"] == list(COLUMNS)
    assert body["lines"][0] == {
        "transfer_id": "pay-1/capture",
        "counterparty": WECHATPAY,
        "asset": "CNY",
        "amount": 10_000,
        "direction": "credit",
    }
    assert body["positions"] == [
        {"asset": "CNY", "counterparty": TAOBAO, "net": 300},
        {"asset": "CNY", "counterparty": WECHATPAY, "net": 8_940},
    ]
    assert body["net"] == [{"asset": "CNY", "net": positions.net(JD, "CNY")}]
    assert body["instructions"] == [{"asset": "CNY", "payer": HUB, "payee": JD, "amount": 9_240}]
    assert file.to_json() == file.to_json()  # deterministic


def test_no_file_is_made_for_an_open_window() -> None:
    open_day = Window(DAY.id, DAY.start, DAY.end)
    with pytest.raises(SettlementError) as refused:
        settlement_file(JD, open_day, [])
    assert refused.value.code == "window_open"


def test_a_transfer_twice_in_a_file_is_refused() -> None:
    line = SettlementLine("t1", TAOBAO, "CNY", 5, Direction.CREDIT)
    with pytest.raises(SettlementError) as refused:
        settlement_file(JD, DAY, [line, line])
    assert refused.value.code == "duplicate_transfer"


# -- properties ------------------------------------------------------------------------------------

PARTICIPANTS = [WECHATPAY, ALIPAY, JD, TAOBAO, "kuaishou.example"]
ASSETS = ["CNY", "points:88vip"]


@st.composite
def windows(draw: st.DrawFn) -> list[WindowTransfer]:
    rows = draw(
        st.lists(
            st.tuples(
                st.sampled_from(PARTICIPANTS),
                st.sampled_from(PARTICIPANTS),
                st.sampled_from(ASSETS),
                st.integers(1, 10**12),
            ),
            max_size=60,
        )
    )
    return [WindowTransfer(f"t{n}", *row) for n, row in enumerate(rows)]


@settings(max_examples=200, deadline=None)
@given(transfers=windows())
def test_positions_sum_to_zero_per_asset(transfers: list[WindowTransfer]) -> None:
    positions = net_positions(movements(transfers))
    total: defaultdict[str, int] = defaultdict(int)
    for (asset, _), net in positions.overall.items():
        total[asset] += net
    assert all(value == 0 for value in total.values())
    for row in positions.bilateral_rows():  # both sides of every pair agree
        assert positions.bilateral(row.counterparty or "", row.participant, row.asset) == -row.net
    for asset in ASSETS:
        for p in PARTICIPANTS:  # each overall net is the sum of its bilateral nets
            bilateral = sum(positions.bilateral(p, cp, asset) for cp in PARTICIPANTS if cp != p)
            assert positions.net(p, asset) == bilateral


@settings(max_examples=200, deadline=None)
@given(transfers=windows())
def test_instructions_settle_every_position_exactly(transfers: list[WindowTransfer]) -> None:
    positions = net_positions(movements(transfers))
    paid = instructions(positions)
    settled: defaultdict[tuple[str, str], int] = defaultdict(int)
    for i in paid:
        assert i.amount > 0 and i.payer != i.payee and HUB in (i.payer, i.payee)
        settled[(i.asset, i.payer)] -= i.amount
        settled[(i.asset, i.payee)] += i.amount
    hub = {asset: settled.pop((asset, HUB), 0) for asset in ASSETS}
    assert hub == dict.fromkeys(ASSETS, 0)  # the instructions sum to zero: the hub keeps nothing
    assert {k: v for k, v in settled.items() if v} == {
        k: v for k, v in positions.overall.items() if v
    }
    for asset in ASSETS:  # one payment per participant with a net, no more
        active = sum(1 for (a, _), net in positions.overall.items() if a == asset and net)
        assert sum(1 for i in paid if i.asset == asset) == active


@settings(max_examples=200, deadline=None)
@given(transfers=windows())
def test_every_file_reconciles_to_the_ledger_transfers(transfers: list[WindowTransfer]) -> None:
    positions = net_positions(movements(transfers))
    by_id = {t.transfer_id: t for t in transfers}
    for participant, lines in lines_by_participant(transfers).items():
        assert lines == list(participant_lines(participant, transfers))
        file = settlement_file(participant, DAY, lines)
        for line in file.lines:  # each line is one ledger transfer, seen from this side
            t = by_id[line.transfer_id]
            mine = t.debit_owner if line.direction is Direction.DEBIT else t.credit_owner
            assert mine == participant and line.amount == t.amount and line.asset == t.asset
        for p in file.counterparty_nets():  # the lines add up to the ledger's nets
            assert p.counterparty is not None
            assert p.net == positions.bilateral(participant, p.counterparty, p.asset)
        for p in file.overall_nets():
            assert p.net == positions.net(participant, p.asset)
        parsed = list(csv.DictReader(io.StringIO(file.to_csv())))
        assert [row["transfer_id"] for row in parsed] == [line.transfer_id for line in file.lines]
