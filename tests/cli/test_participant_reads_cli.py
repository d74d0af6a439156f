"""What a participant reads, and points it moves, with its own key rather than the database.

Payment options, a platform's acceptance policy, its own orders, a points
exchange: each is asked of a real switch on loopback, signed with the
participant's key file (no database named). A grant or an exchange sent again
with the same `--message-id` is the same message, done once.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.harness.cast import DOUYIN, TAOBAO, TEA_HOUSE, VIDEO, VIP, WECHATPAY
from tests.harness.cli import Terminal, answered, refused_with
from tests.harness.networks import PayNet


@pytest.fixture
def hutong(paynet: PayNet, tmp_path: Path) -> Terminal:
    return Terminal(paynet, tmp_path)


async def test_a_host_reads_payment_options_and_an_acceptance_policy(hutong: Terminal) -> None:
    options = answered(await hutong(DOUYIN, "pay", "options", "--host", TAOBAO,
                                    "--merchant", TEA_HOUSE))  # fmt: skip
    assert WECHATPAY in {refusal["wallet"] for refusal in options["refused"]}

    policy = answered(await hutong(DOUYIN, "pay", "acceptance", "show", TAOBAO, "--json"))
    assert policy["in_force"]["refused"] == {WECHATPAY: policy["in_force"]["refused"][WECHATPAY]}
    table = await hutong(DOUYIN, "pay", "acceptance", "show", TAOBAO)
    assert table.exit_code == 0 and f"{TAOBAO} on " in table.stdout and WECHATPAY in table.stdout


async def test_a_host_lists_its_own_orders(hutong: Terminal) -> None:
    assert answered(await hutong(DOUYIN, "order", "list", "--json")) == {"orders": []}
    refused_with(await hutong(DOUYIN, "order", "list", "--state", "lost"), "invalid_state")


async def test_points_are_granted_exchanged_and_the_exchange_read_with_the_programs_key(
    hutong: Terminal,
) -> None:
    offer = answered(await hutong(VIDEO, "points", "offer", "publish", "--from", VIP,
                                  "--points", "300", "--benefit", "1 month of VIP",
                                  "--money-rate-fen", "1500", "--json"))["offer"]  # fmt: skip
    grant = ("points", "grant", "--member", "m-alice", "--points", "1000",
             "--message-id", "msg-grant-1")  # fmt: skip
    first, again = answered(await hutong(VIP, *grant)), answered(await hutong(VIP, *grant))
    assert first == again, "the same message id is the same grant, credited once"
    balance = answered(await hutong(VIP, "points", "balance", "--member", "m-alice"))
    assert balance["points"] == 1000

    exchange = ("points", "exchange", "--offer", offer["id"], "--member", "m-alice",
                "--beneficiary", "m-alice", "--message-id", "msg-exchange-1")  # fmt: skip
    done = answered(await hutong(VIP, *exchange))
    assert answered(await hutong(VIP, *exchange)) == done
    exchange_id = done["exchange"]["id"]
    shown = answered(await hutong(VIP, "points", "show", exchange_id))
    assert shown["exchange"]["id"] == exchange_id
    refused_with(await hutong(DOUYIN, "points", "show", exchange_id), "not_a_party")
