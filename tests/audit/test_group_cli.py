"""`hutong group set|list|show`: the operator's groups from the terminal (the same rules).

A refused `set` keeps nothing but its refusal, the answer of its message id.
"""

from __future__ import annotations

from tests.harness.cli import add, and_its_answer, database_row_counts, in_db, table_rows

ALIBABA = ("taobao.example", "tmall.example", "alipay.example", "cainiao.example", "88vip.example")


def test_set_declares_versions_that_list_and_show_read_back(database_url: str) -> None:
    hutong = in_db(database_url)
    for member in ALIBABA:
        add(hutong, member, "platform")
    set_ = hutong("group", "set", "alibaba", *ALIBABA, "--from", "2013-01-01")
    assert set_.exit_code == 0, set_.output
    again = hutong("group", "set", "alibaba", *ALIBABA[:2], "--from", "2022-01-01")
    assert again.exit_code == 0, again.output

    shown = hutong("group", "show", "alibaba")
    assert shown.exit_code == 0, shown.output
    firsts = [row[:3] for row in table_rows(shown.output) if row[0]]
    assert firsts == [["alibaba", "1", "2013-01-01"], ["alibaba", "2", "2022-01-01"]]
    listed = hutong("group", "list")
    assert listed.exit_code == 0 and "88vip.example" in listed.output


def test_a_refused_group_exits_1_with_its_code_and_stores_nothing(database_url: str) -> None:
    hutong = in_db(database_url)
    add(hutong, "taobao.example", "platform")
    before = database_row_counts(database_url)
    result = hutong(
        "group", "set", "alibaba", "taobao.example", "ghost.example", "--from", "2013-01-01"
    )
    assert result.exit_code == 1
    assert "no_such_participant" in result.output
    assert database_row_counts(database_url) == and_its_answer(before)  # only the refusal
    missing = hutong("group", "show", "nowhere")
    assert missing.exit_code == 1 and "unknown_group" in missing.output
