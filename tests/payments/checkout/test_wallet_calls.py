"""The switch's calls to a wallet follow the registry within a second.

A wallet's record (status, callback URL) is read at most once a second for
calls, so a suspension stops the switch's calls to it within `CALLEE_TTL`,
and nothing is held or written for a payment that could not be authorized.
"""

from __future__ import annotations

import asyncio

from hutong.net.calls import CALLEE_TTL
from tests.harness.cast import ALIPAY, TAOBAO, TEA_HOUSE
from tests.harness.networks import PayNet


async def test_a_suspended_wallet_is_not_called(paynet: PayNet) -> None:
    warm = await paynet.payment(
        TAOBAO, merchant=TEA_HOUSE, amount=1_000, wallet=ALIPAY, payer="u-alice"
    )
    answered = await paynet.post(TAOBAO, f"/v1/payments/{warm['id']}/authorize", {})
    assert answered.status_code == 200, answered.text
    payment = await paynet.payment(
        TAOBAO, merchant=TEA_HOUSE, amount=1_000, wallet=ALIPAY, payer="u-alice"
    )
    suspended = await paynet.switch.operator.post(
        f"/operator/participants/{ALIPAY}/suspend", json={"reason": "test"}
    )
    assert suspended.status_code == 200, suspended.text
    await asyncio.sleep(CALLEE_TTL + 0.1)
    calls_before = len(paynet.wallet(ALIPAY).calls)

    refused = await paynet.post(TAOBAO, f"/v1/payments/{payment['id']}/authorize", {})

    assert refused.status_code in (409, 502), refused.text
    assert refused.json()["error"]["code"] in ("wallet_inactive", "participant_inactive")
    assert len(paynet.wallet(ALIPAY).calls) == calls_before
    assert paynet.wallet(ALIPAY).available("u-alice") == 100_000 - 1_000
