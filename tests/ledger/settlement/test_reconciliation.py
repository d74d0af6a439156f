"""Reconciliation: a participant's own statement against the switch's settlement file."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from hutong.ledger.settlement import (
    Direction,
    SettlementLine,
    Statement,
    Window,
    WindowState,
    WindowTransfer,
    parse_statement,
    participant_lines,
    reconcile,
    settlement_file,
)

JD, WECHATPAY, TAOBAO = "jd.example", "wechatpay.example", "taobao.example"
DAY = Window(
    "2024-11-11",
    datetime(2024, 11, 11, tzinfo=UTC),
    datetime(2024, 11, 12, tzinfo=UTC),
    WindowState.CLOSED,
)

#: JD's lines in the switch's settlement file.
SWITCH = [
    SettlementLine("pay-1/capture", WECHATPAY, "CNY", 10_000, Direction.CREDIT),
    SettlementLine("pay-1/fee", WECHATPAY, "CNY", 60, Direction.DEBIT),
    SettlementLine("pay-2/capture", WECHATPAY, "CNY", 2_500, Direction.CREDIT),
    SettlementLine("x-1/money", TAOBAO, "CNY", 300, Direction.CREDIT),
]


def test_the_switchs_own_file_reconciles_with_itself() -> None:
    csv_text = settlement_file(JD, DAY, SWITCH).to_csv()
    report = reconcile(SWITCH, parse_statement(csv_text))
    assert report.ok
    assert report.summary["matched"] == 4
    assert [m.line for m in report.matched] == [2, 3, 4, 5]  # lines of the statement


def test_each_planted_discrepancy_is_found() -> None:
    statement = parse_statement(
        "transfer_id,counterparty,asset,amount,direction\n"
        "pay-1/capture,wechatpay.example,CNY,10000,credit\n"  # matches
        "pay-1/fee,wechatpay.example,CNY,6,debit\n"  # 60 on the switch
        # pay-2/capture is missing here
        "x-1/money,taobao.example,CNY,300,credit\n"  # matches
        "x-1/money,taobao.example,CNY,300,credit\n"  # listed twice
        "pay-9/capture,wechatpay.example,CNY,700,credit\n"  # the switch never saw it
    )
    report = reconcile(SWITCH, statement)
    assert not report.ok
    assert report.summary == {
        "matched": 2,
        "amount_mismatches": 1,
        "detail_mismatches": 0,
        "missing_at_participant": 1,
        "missing_at_switch": 1,
        "duplicates": 1,
        "invalid_rows": 0,
    }
    (mismatch,) = report.amount_mismatches
    assert (mismatch.transfer_id, mismatch.line) == ("pay-1/fee", 3)
    assert (mismatch.switch.signed, mismatch.participant.signed) == (-60, -6)
    assert mismatch.fields == ("amount",)
    assert report.missing_at_participant == (SWITCH[2],)
    assert [(s.line, s.entry.transfer_id) for s in report.missing_at_switch] == [
        (6, "pay-9/capture")
    ]
    assert [(d.side, d.line, d.transfer_id) for d in report.duplicates] == [
        ("participant", 5, "x-1/money")
    ]


def test_a_turned_around_direction_is_an_amount_mismatch() -> None:
    statement = parse_statement(
        "transfer_id,counterparty,asset,amount,direction\nx-1/money,taobao.example,CNY,300,debit\n"
    )
    (mismatch,) = reconcile(SWITCH[3:], statement).amount_mismatches
    assert (mismatch.switch.signed, mismatch.participant.signed) == (300, -300)
    assert mismatch.fields == ("direction",)


def test_another_counterparty_or_asset_is_a_detail_mismatch() -> None:
    statement = parse_statement(
        "asset,transfer_id,amount,direction,counterparty,memo\n"  # any column order; extras ignored
        "CNY,x-1/money,300,credit,tmall.example,hello\n"
    )
    report = reconcile(SWITCH[3:], statement)
    assert [m.fields for m in report.detail_mismatches] == [("counterparty",)]
    assert report.to_dict()["detail_mismatches"][0]["switch"]["counterparty"] == TAOBAO


def test_a_transfer_twice_on_the_switchs_side_is_reported_too() -> None:
    report = reconcile([SWITCH[0], SWITCH[0]], Statement((), ()))
    assert [(d.side, d.transfer_id) for d in report.duplicates] == [("switch", "pay-1/capture")]
    assert len(report.missing_at_participant) == 1


# -- reading statements --------------------------------------------------------------------------


def test_bad_rows_are_reported_with_their_line_numbers_and_the_good_ones_kept() -> None:
    statement = parse_statement(
        "\ufefftransfer_id,counterparty,asset,amount,direction\r\n"  # a spreadsheet's BOM
        "pay-1/capture,wechatpay.example,CNY,10000,credit\r\n"
        "pay-1/fee,wechatpay.example,CNY,0.60,debit\r\n"
        "pay-2/capture,wechatpay.example,USD,2500,credit\r\n"
        "\r\n"
        "x-1/money,taobao.example,CNY,300,sideways\r\n"
        "x-2/money,taobao.example,CNY,300\r\n"
        "bad id,taobao.example,CNY,300,credit\r\n"
        "x-3/money,,CNY,300,credit\r\n"
        "x-4/money,taobao.example,CNY,-300,credit\r\n"
        "x-5/money,taobao.example,CNY,300,CREDIT\r\n"
    )
    assert [(e.line, e.code) for e in statement.errors] == [
        (3, "invalid_amount"),  # money is whole fen, never yuan with decimals
        (4, "invalid_asset"),
        (6, "invalid_direction"),
        (7, "wrong_field_count"),
        (8, "invalid_transfer_id"),
        (9, "invalid_counterparty"),
        (10, "invalid_amount"),
    ]
    assert [(s.line, s.entry.transfer_id) for s in statement.lines] == [
        (2, "pay-1/capture"),
        (11, "x-5/money"),
    ]
    report = reconcile(SWITCH, statement)
    assert report.summary["invalid_rows"] == 7 and not report.ok


def test_a_header_without_the_columns_rejects_the_statement() -> None:
    statement = parse_statement("id,amount\nt1,5\n")
    assert [(e.line, e.code) for e in statement.errors] == [(1, "missing_column")]
    assert "transfer_id" in statement.errors[0].message and statement.lines == ()
    assert parse_statement("").errors[0].code == "missing_column"


def test_a_broken_quote_stops_the_reading_with_a_line_number() -> None:
    statement = parse_statement(
        "transfer_id,counterparty,asset,amount,direction\n"
        "t1,taobao.example,CNY,5,credit\n"
        't2,"taobao.example"x,CNY,5,credit\n'
    )
    assert [(e.line, e.code) for e in statement.errors] == [(3, "malformed_csv")]
    assert [s.entry.transfer_id for s in statement.lines] == ["t1"]


def test_the_report_is_deterministic_and_serialisable() -> None:
    statement = parse_statement(
        "transfer_id,counterparty,asset,amount,direction\n"
        "z-9,taobao.example,CNY,5,credit\n"
        "a-1,taobao.example,CNY,5,credit\n"
    )
    body = reconcile([], statement).to_dict()
    assert [row["transfer_id"] for row in body["missing_at_switch"]] == ["a-1", "z-9"]
    assert body["ok"] is False and body["summary"]["missing_at_switch"] == 2


# -- properties ------------------------------------------------------------------------------------

PARTICIPANTS = [JD, WECHATPAY, TAOBAO, "alipay.example"]


@st.composite
def window_lines(draw: st.DrawFn) -> list[SettlementLine]:
    """JD's lines of a random window, at least one."""
    rows = draw(
        st.lists(
            st.tuples(
                st.sampled_from(PARTICIPANTS),
                st.sampled_from(PARTICIPANTS),
                st.sampled_from(["CNY", "points:88vip"]),
                st.integers(1, 10**12),
            ),
            max_size=40,
        )
    )
    transfers = [WindowTransfer(f"t{n}", *row) for n, row in enumerate(rows)]
    transfers.append(WindowTransfer("t-last", WECHATPAY, JD, "CNY", 1))
    return list(participant_lines(JD, transfers))


def as_csv(lines: list[SettlementLine]) -> str:
    return settlement_file(JD, DAY, []).to_csv() + "".join(
        f"{x.transfer_id},{x.counterparty},{x.asset},{x.amount},{x.direction.value}\n"
        for x in lines
    )


@settings(max_examples=200, deadline=None)
@given(lines=window_lines(), data=st.data())
def test_reconciliation_finds_each_planted_discrepancy(
    lines: list[SettlementLine], data: st.DataObject
) -> None:
    statement = list(data.draw(st.permutations(lines), label="statement order"))
    planted = data.draw(
        st.sampled_from(["missing_here", "missing_there", "amount", "duplicate"]), label="planted"
    )
    victim = data.draw(st.sampled_from(statement), label="victim")
    switch = list(lines)
    if planted == "missing_here":
        statement.remove(victim)
    elif planted == "missing_there":
        switch.remove(victim)
    elif planted == "amount":
        changed = victim._replace(amount=victim.amount + data.draw(st.integers(1, 100)))
        statement[statement.index(victim)] = changed
    else:
        statement.insert(data.draw(st.integers(0, len(statement))), victim)
    report = reconcile(switch, parse_statement(as_csv(statement)))
    found = {
        "missing_here": [x.transfer_id for x in report.missing_at_participant],
        "missing_there": [x.entry.transfer_id for x in report.missing_at_switch],
        "amount": [x.transfer_id for x in report.amount_mismatches],
        "duplicate": [x.transfer_id for x in report.duplicates],
    }
    assert found[planted] == [victim.transfer_id]  # exactly the planted one, where expected
    assert all(not ids for kind, ids in found.items() if kind != planted)  # and nothing else
    assert report.summary["matched"] == len(lines) - (planted != "duplicate")
    assert not report.ok
