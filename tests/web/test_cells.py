"""The matrix's vocabulary, the openness index, the session cookie and the latency percentiles.

Pure code, no browser: the rules the dashboard's pages stand on.
"""

from __future__ import annotations

from datetime import date

import pytest

from hutong.web.dashboard.cells import Status, openness_index
from hutong.web.dashboard.matrix import link_matrix_of
from hutong.web.dashboard.operations import percentile
from hutong.web.dashboard.session import new_session, session_valid, token_matches
from hutong.world.link_policies import seed_policies

HISTORY = seed_policies()


def status(host: str, source: str, day: date) -> Status:
    return link_matrix_of(HISTORY, day).cell(host, source).status


@pytest.mark.parametrize(
    ("host", "source", "day", "expected"),
    [
        ("wechat", "taobao", date(2012, 6, 1), Status.UNDECLARED),
        ("wechat", "taobao", date(2019, 6, 1), Status.CODE_ONLY),
        ("wechat", "taobao", date(2021, 10, 1), Status.EXTRA_STEPS),  # chat, behind a warning
        ("wechat", "taobao", date(2022, 6, 1), Status.OPEN),
        ("kuaishou", "taobao", date(2019, 6, 1), Status.UNDECLARED),
        ("kuaishou", "taobao", date(2022, 6, 1), Status.BLOCKED),
        ("kuaishou", "taobao", date(2022, 11, 1), Status.OPEN),
        ("kuaishou", "jd", date(2022, 11, 1), Status.BLOCKED),
        ("douyin", "douyin", date(2022, 6, 1), Status.OWN),
    ],
)
def test_a_cell_follows_the_declared_history(
    host: str, source: str, day: date, expected: Status
) -> None:
    assert status(host, source, day) is expected


def test_a_cell_names_the_surfaces_more_closed_than_it() -> None:
    cell = link_matrix_of(HISTORY, date(2022, 6, 1)).cell("douyin", "taobao")
    assert cell.status is Status.OPEN  # short-video carts keep the links
    assert cell.exceptions == (("live_cart", Status.BLOCKED),)
    assert cell.versions == (1, 3)  # 2018 open to Taobao; 2020 its live carts blocked


def test_the_openness_index_weighs_pairs_by_their_traffic() -> None:
    cells = list(link_matrix_of(HISTORY, date(2022, 6, 1)).cells.values())
    plain = openness_index(cells)
    weighted = openness_index(cells, {("kuaishou", "taobao"): 1000})
    assert plain is not None and weighted is not None
    assert 0 < weighted < plain < 1, "a blocked pair with traffic pulls the index down"
    assert openness_index([]) is None


def test_the_index_falls_when_kuaishou_blocks_and_recovers_when_it_reopens() -> None:
    def index(day: date) -> float:
        value = openness_index(link_matrix_of(HISTORY, day).cells.values())
        assert value is not None
        return value

    assert index(date(2022, 6, 1)) < index(date(2022, 2, 1))
    assert index(date(2022, 11, 1)) > index(date(2022, 6, 1))


def test_a_session_is_valid_until_it_expires_and_only_for_its_token() -> None:
    value = new_session("token-a", 1_000)
    assert session_valid("token-a", value, 1_001)
    assert not session_valid("token-a", value, 1_000 + 8 * 3600)
    assert not session_valid("token-b", value, 1_001), "a new operator token ends sessions"
    assert not session_valid("token-a", value.replace("v1.", "v1.9"), 1_001)
    assert not session_valid("", value, 1_001)
    assert not session_valid("token-a", None, 1_001)
    assert token_matches("token-a", "token-a") and not token_matches("", "")


def test_percentiles_are_by_nearest_rank() -> None:
    latencies = list(range(1, 101))
    assert percentile(latencies, 0.5) == 50
    assert percentile(latencies, 0.95) == 95
    assert percentile([7], 0.95) == 7
    assert percentile([], 0.5) == 0
