"""A day of trade through the ledger API and closing its window: what settlement tests share."""

from __future__ import annotations

from typing import Any

from tests.harness.ledger import account, create, move, resolve, submit
from tests.harness.switch import Clock, Switch

__all__ = ["ALIPAY", "JD", "TAOBAO", "WECHATPAY", "a_day_of_trade", "close"]

WECHATPAY, ALIPAY, JD, TAOBAO = (
    "wechatpay.example",
    "alipay.example",
    "jd.example",
    "taobao.example",
)


async def a_day_of_trade(switch: Switch, clock: Clock) -> None:
    """Buyers pay JD and Taobao through WeChat Pay and Alipay; fees go back; one hold."""
    await create(
        switch,
        *(
            account(f"{owner}/cny", owner, kind="settlement_position")
            for owner in (WECHATPAY, ALIPAY, JD, TAOBAO)
        ),
    )
    await submit(
        switch,
        move("pay-1", f"{WECHATPAY}/cny", f"{JD}/cny", 10_000),
        move("pay-2", f"{ALIPAY}/cny", f"{TAOBAO}/cny", 5_000),
        move("pay-3", f"{WECHATPAY}/cny", f"{TAOBAO}/cny", 2_000),
        move("fee-1", f"{JD}/cny", f"{WECHATPAY}/cny", 60),
        move("hold-1", f"{ALIPAY}/cny", f"{JD}/cny", 999, flags=["pending"]),
    )
    assert await resolve(switch, "post", "hold-1", "hold-1/post", 500) == "ok"
    clock.advance(switch.services.settings.settlement_grace + 1)


async def close(switch: Switch, **body: Any) -> dict[str, Any]:
    response = await switch.operator.post("/operator/settlement/close", json=body or None)
    assert response.status_code == 200, response.text
    return dict(response.json())
