"""Payments over real HTTP with the reference wallets: every transition and every refusal."""

from __future__ import annotations

from typing import Any

from tests.payments.conftest import (
    ALIPAY,
    TAOBAO,
    TEA_HOUSE,
    PayNet,
)


async def _authorized(paynet: PayNet, amount: int = 10_000, **extra: Any) -> dict[str, Any]:
    payment = await paynet.payment(
        TAOBAO, merchant=TEA_HOUSE, amount=amount, wallet=ALIPAY, payer="u-alice", **extra
    )
    response = await paynet.post(TAOBAO, f"/v1/payments/{payment['id']}/authorize", {})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()["payment"]
    return result


async def test_a_payment_is_held_captured_and_refunded(paynet: PayNet) -> None:
    payment = await _authorized(paynet)
    assert payment["state"] == "authorized"
    alipay = paynet.wallet(ALIPAY)
    assert alipay.available("u-alice") == 90_000
    captured = await paynet.post(TAOBAO, f"/v1/payments/{payment['id']}/capture", {})
    assert captured.status_code == 200, captured.text
    assert captured.json()["payment"]["state"] == "captured"
    assert captured.json()["payment"]["fee"] == 60
    assert alipay.balance("u-alice") == 90_000
    refunded = await paynet.post(
        TEA_HOUSE, f"/v1/payments/{payment['id']}/refunds", {"amount": 2_500}
    )
    assert refunded.status_code == 200, refunded.text
    body = refunded.json()["payment"]
    assert (body["state"], body["refunded"], body["fee_returned"]) == (
        "partially_refunded",
        2_500,
        15,
    )
    assert alipay.balance("u-alice") == 92_500
