"""`hutong liquidity ...` and `hutong settle answers`: positions, caps and answers at the terminal.

After a minute of trade WeChat Pay owes the network what it collected for JD
and Taobao less the fee JD paid it back; JD and Taobao are owed. A cap for a
participant the registry does not know is refused with its code.
"""

from __future__ import annotations

from tests.cli.test_settle_cli import JD, WECHATPAY, Hutong, hutong, traded

__all__ = ["hutong", "traded"]  # the fixtures, used by name


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
