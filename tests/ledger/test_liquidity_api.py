"""Net debit caps over real HTTP: declared by the operator, enforced before anyone is asked to pay.

Alipay's position is what it owes the network, net: a payment it authorizes
raises it by the amount held, a transfer it sends by the amount sent. The
operator declares Alipay's net debit cap (covered by what it prefunded);
anything that would take Alipay past it is refused ``net_debit_cap_exceeded``
with the cap, the position and the amount, before Alipay (or anyone) is
asked: no hold at the wallet, nothing in the ledger, no row anywhere.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

import httpx
from sqlalchemy import insert

from hutong.store.tables import liquidity_limits
from tests.harness.assertions import assert_nack, refused_without_writes
from tests.harness.cast import ALIPAY, BOB_PHONE, DOUYIN, TAOBAO, TEA_HOUSE, WECHATPAY
from tests.harness.networks import PayNet
from tests.harness.payments import calls, held_in_ledger, post
from tests.harness.shop import Shop
from tests.harness.statements import lasting_declarations
from tests.harness.switch import row_counts


async def declare(paynet: PayNet, participant: str, cap: int, prefunded: int) -> Any:
    return await paynet.switch.operator.post(
        f"/operator/liquidity/{participant}",
        json={"net_debit_cap": cap, "prefunded": prefunded, "reason": "test"},
    )


async def liquidity(paynet: PayNet, participant: str) -> dict[str, Any]:
    shown = await paynet.switch.operator.get(f"/operator/liquidity/{participant}")
    assert shown.status_code == 200, shown.text
    found: dict[str, Any] = shown.json()
    return found


#: What a refusal may write: its answer under the message id (a retry gets the same
#: answer), and the wallet's and merchant's empty ledger accounts with their positions
#: at 0 (made before the check, so the check reads the accounts the step would post to).
BOOKKEEPING = ("messages", "ledger_accounts", "liquidity_positions")


async def counts(paynet: PayNet) -> dict[str, int]:
    found = await row_counts(paynet.switch.services)
    return {table: n for table, n in found.items() if table not in BOOKKEEPING}


async def past_the_cap(paynet: PayNet, request: Awaitable[httpx.Response]) -> dict[str, Any]:
    """`request` is refused ``net_debit_cap_exceeded`` and nothing was held or recorded
    (no transfer, hold, attempt or event); returns what the answer says of the cap."""
    before = await counts(paynet)
    document = assert_nack(await request, 409, "net_debit_cap_exceeded", extra=("liquidity",))
    assert await counts(paynet) == before
    found: dict[str, Any] = document["liquidity"]
    return found


async def payment(paynet: PayNet, amount: int) -> dict[str, Any]:
    message = {"merchant": TEA_HOUSE, "amount": amount, "wallet": ALIPAY, "payer": "u-alice"}
    response = await post(paynet, TAOBAO, "/v1/payments", message)
    assert response.status_code == 201, response.text
    found: dict[str, Any] = response.json()["payment"]
    return found


async def test_the_operator_declares_versions_and_reads_the_position(paynet: PayNet) -> None:
    first = await declare(paynet, ALIPAY, 50_000, 80_000)
    assert first.status_code == 200, first.text
    second = (await declare(paynet, ALIPAY, 60_000, 80_000)).json()
    assert second["limit"]["version"] == 2 and second["limit"]["net_debit_cap"] == 60_000
    assert [v["net_debit_cap"] for v in second["history"]] == [50_000, 60_000]
    assert (second["position"], second["headroom"]) == (0, 60_000)


async def test_a_cap_not_covered_by_what_was_prefunded_is_refused_and_writes_nothing(
    paynet: PayNet,
) -> None:
    await refused_without_writes(
        paynet.switch, declare(paynet, ALIPAY, 10_001, 10_000), 422, "cap_exceeds_prefunded"
    )


async def test_a_cap_for_an_unknown_participant_is_refused_and_writes_nothing(
    paynet: PayNet,
) -> None:
    await refused_without_writes(
        paynet.switch, declare(paynet, "nobody.example", 0, 0), 404, "unknown_participant"
    )


async def test_a_payment_past_the_wallets_cap_is_refused_before_the_wallet_is_asked(
    paynet: PayNet,
) -> None:
    assert (await declare(paynet, ALIPAY, 5_000, 5_000)).status_code == 200
    created = await payment(paynet, 6_000)
    authorize = post(paynet, TAOBAO, f"/v1/payments/{created['id']}/authorize", {})

    error = await past_the_cap(paynet, authorize)

    assert error == {"participant": ALIPAY, "cap": 5_000, "position": 0, "amount": 6_000}
    assert calls(paynet, ALIPAY, "authorize") == []  # nobody was asked to pay
    assert paynet.wallet(ALIPAY).holds == {}
    assert await held_in_ledger(paynet) == 0


async def test_payments_raise_the_position_until_the_cap_refuses_the_next(paynet: PayNet) -> None:
    assert (await declare(paynet, ALIPAY, 10_000, 20_000)).status_code == 200
    first = await payment(paynet, 7_000)
    done = await post(paynet, TAOBAO, f"/v1/payments/{first['id']}/authorize", {})
    assert done.status_code == 200, done.text
    assert (await liquidity(paynet, ALIPAY))["position"] == 7_000  # the hold counts at once

    second = await payment(paynet, 3_001)
    refused = post(paynet, TAOBAO, f"/v1/payments/{second['id']}/authorize", {})

    error = await past_the_cap(paynet, refused)
    assert (error["position"], error["amount"]) == (7_000, 3_001)
    released = await post(paynet, TAOBAO, f"/v1/payments/{first['id']}/void", {})
    assert released.status_code == 200, released.text
    assert (await liquidity(paynet, ALIPAY))["position"] == 0  # a released hold gives it back
    again = await post(paynet, TAOBAO, f"/v1/payments/{second['id']}/authorize", {})
    assert again.status_code == 200, again.text


async def test_a_transfer_past_the_payer_wallets_cap_is_refused_before_either_wallet_is_asked(
    bob: PayNet,
) -> None:
    assert (await declare(bob, ALIPAY, 9_999, 9_999)).status_code == 200
    quoted = await bob.post(
        ALIPAY,
        "/v1/transfers/quote",
        {"payer": "u-alice", "alias": {"kind": "phone", "value": BOB_PHONE}, "amount": 10_000},
    )
    assert quoted.status_code == 201, quoted.text
    transfer = quoted.json()["transfer"]

    error = await past_the_cap(bob, bob.post(ALIPAY, f"/v1/transfers/{transfer['id']}/execute", {}))

    assert (error["cap"], error["position"], error["amount"]) == (9_999, 0, 10_000)
    assert calls(bob, ALIPAY, "reserve") == [] and calls(bob, WECHATPAY, "confirm") == []
    shown = await bob[ALIPAY].get(f"/v1/transfers/{transfer['id']}")
    assert shown.json()["transfer"]["state"] == "quoted"


async def test_an_order_payment_past_the_wallets_cap_is_refused_and_the_order_waits(
    shop: Shop,
) -> None:
    """A Douyin buyer's order paid with Alipay: Alipay at its cap is not asked to hold."""
    declared = await shop.switch.operator.post(
        f"/operator/liquidity/{ALIPAY}", json={"net_debit_cap": 10_000, "prefunded": 10_000}
    )
    assert declared.status_code == 200, declared.text
    order = await shop.placed()
    assert order["total"] > 10_000
    before = await row_counts(shop.switch.services)

    refused = await shop.post(DOUYIN, f"/v1/orders/{order['id']}/pay", {})

    body = assert_nack(refused, 409, "net_debit_cap_exceeded", extra=("liquidity",))
    assert body["liquidity"] == {
        "participant": ALIPAY,
        "cap": 10_000,
        "position": 0,
        "amount": order["total"],
    }
    after = await row_counts(shop.switch.services)
    for table in ("payments", "payment_attempts", "ledger_transfers", "outbox"):
        assert after[table] == before[table], table
    assert shop.wallet(ALIPAY).holds == {}
    assert (await shop.show(order["id"]))["state"] == "reserved"


async def test_a_cap_declared_elsewhere_just_now_is_still_enforced_when_the_ledger_posts(
    paynet: PayNet,
) -> None:
    """Which payers have a cap is cached for under a second, for the early refusal only.

    A cap another process (a second worker, the CLI) declared a moment ago may
    not be seen before the wallet is asked; the ledger reads the cap with the
    accounts it posts to and refuses the hold there, and the position never
    passes the cap.
    """
    with lasting_declarations(paynet.switch.services.db):
        first = await payment(paynet, 1_000)
        done = await post(paynet, TAOBAO, f"/v1/payments/{first['id']}/authorize", {})
        assert done.status_code == 200, done.text  # Alipay is cached as having no cap
        async with paynet.switch.services.db.transaction() as conn:  # not this process's write
            await conn.execute(
                insert(liquidity_limits).values(
                    participant=ALIPAY,
                    version=1,
                    net_debit_cap=5_000,
                    prefunded=5_000,
                    declared_at=paynet.switch.services.clock(),
                    declared_by="operator",
                )
            )
        second = await payment(paynet, 6_000)

        refused = await post(paynet, TAOBAO, f"/v1/payments/{second['id']}/authorize", {})

    assert_nack(refused, 409, "net_debit_cap_exceeded")
    assert len(calls(paynet, ALIPAY, "authorize")) == 2  # asked before the ledger refused
    assert (await liquidity(paynet, ALIPAY))["position"] == 1_000
    assert await held_in_ledger(paynet) == 1_000
