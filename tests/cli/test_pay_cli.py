"""`hutong pay ...`: the operator's view of payments and of who accepts which wallet.

`pay acceptance seed` declares the seed world's history once (running it again
declares nothing new); `pay acceptance show` answers for any day; `pay options`
names every refusal; `pay create` goes through the same checks as the API and
exits 1 with `<code>: <sentence>` when refused.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from typer.testing import CliRunner, Result

from hutong.cli.main import app

Hutong = Callable[..., Result]

runner = CliRunner()


@pytest.fixture
def hutong(database_url: str) -> Hutong:
    env = {"HUTONG_DATABASE_URL": database_url, "COLUMNS": "200"}

    def run(*args: str) -> Result:
        return runner.invoke(app, list(args), env=env)

    return run


def test_the_seed_history_is_declared_once_and_answers_for_any_day(hutong: Hutong) -> None:
    first = hutong("pay", "acceptance", "seed")
    assert first.exit_code == 0, first.output
    assert "declared 5 acceptance policy versions" in first.output
    again = hutong("pay", "acceptance", "seed")
    assert "declared 0 acceptance policy versions" in again.output

    in_2020 = hutong("pay", "acceptance", "show", "jd.example", "--at", "2020-06-18")
    assert in_2020.exit_code == 0, in_2020.output
    assert "jd.example on 2020-06-18: version 1" in in_2020.output
    assert "JD stopped accepting Alipay" in in_2020.output
    in_2025 = hutong("pay", "acceptance", "show", "jd.example", "--at", "2025-01-01")
    assert "jd.example on 2025-01-01: version 2" in in_2025.output


def test_a_refused_payment_exits_1_with_its_code(hutong: Hutong) -> None:
    added = hutong(
        "participant",
        "add",
        "taobao.example",
        "--role",
        "platform",
        "--callback",
        "http://127.0.0.1:9/cb/taobao.example",
    )
    assert added.exit_code == 0, added.output
    refused = hutong(
        "pay", "create", "--as", "taobao.example", "--merchant", "nobody.example", "--amount", "100"
    )
    assert refused.exit_code == 1
    assert "no_such_merchant" in refused.output  # the message names it: 422, as in the API
    listed = hutong("pay", "list")
    assert listed.exit_code == 0, listed.output
