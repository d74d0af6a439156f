"""The demo's ledger step: the switch itself splits a payment over one linked group.

The switch signs with its own stored key, opens five accounts, posts a top-up
and a ¥99.99 payment split into commission, wallet fee and merchant legs as
one linked group (all or nothing), shows that an overdraft of the same legs
moves nothing, and runs the operator's ledger check.
"""

from __future__ import annotations

from sqlalchemy import select

from hutong.client import Client
from hutong.ledger.splits import Leg, split
from hutong.store.tables import switch_keys
from hutong.world.story import Stage, StepFailed, expect, expect_status

__all__ = ["money_moves_exactly"]


async def money_moves_exactly(stage: Stage) -> str:
    """The switch's services split a payment over a linked group and check the ledger."""
    signer = stage.services.signer()
    async with stage.services.db.read() as conn:
        row = (
            await conn.execute(
                select(switch_keys.c.private_key).where(switch_keys.c.key_id == signer.key_id)
            )
        ).first()
    if row is None:  # the key came from configuration
        raise StepFailed("the demo needs the switch key stored in the database")
    service = Client(stage.switch_url, signer.subscriber_id, signer.key_id, row.private_key)
    stage.clients["hutong.switch"] = service
    accounts = [
        ("wechatpay:buyer-42", "wechatpay.example", "user_balance", True),
        ("wechatpay:float", "wechatpay.example", "funding", False),
        ("taobao:merchant-7", "taobao.example", "merchant_receivable", False),
        ("taobao:commission", "taobao.example", "commission_income", False),
        ("wechatpay:fees", "wechatpay.example", "fee_income", False),
    ]
    response = await service.post(
        "/v1/ledger/accounts",
        {
            "accounts": [
                {
                    "id": i,
                    "owner": o,
                    "asset": "CNY",
                    "kind": k,
                    "debits_must_not_exceed_credits": limited,
                }
                for i, o, k, limited in accounts
            ]
        },
    )
    expect_status(response, 200)
    expect(response.json()["ok"], f"accounts refused: {response.text}")
    price = 9999  # fen: ¥99.99
    legs = split(price, [Leg("commission", 500), Leg("wallet_fee", 60), Leg("merchant")])
    credit = {
        "merchant": "taobao:merchant-7",
        "commission": "taobao:commission",
        "wallet_fee": "wechatpay:fees",
    }
    transfers: list[dict[str, object]] = [
        {
            "id": "demo-topup",
            "debit_account_id": "wechatpay:float",
            "credit_account_id": "wechatpay:buyer-42",
            "amount": 20000,
            "asset": "CNY",
            "code": "deposit",
        },
    ] + [
        {
            "id": f"demo-order-1:{name}",
            "debit_account_id": "wechatpay:buyer-42",
            "credit_account_id": credit[name],
            "amount": amount,
            "asset": "CNY",
            "code": "payment"
            if name == "merchant"
            else "fee"
            if name == "wallet_fee"
            else "commission",
            "reference": "order-1",
            "flags": ["linked"],
        }
        for name, amount in legs.items()
    ]
    transfers[-1]["flags"] = []  # the last leg closes the linked group
    response = await service.post("/v1/ledger/transfers", {"transfers": transfers})
    expect_status(response, 200)
    expect(response.json()["ok"], f"transfers refused: {response.text}")
    # Too much for the balance: the whole group fails, nothing moves.
    overdraw = [
        dict(t, id=f"{t['id']}-again", amount=legs[name] * 10)
        for t, name in zip(transfers[1:], legs, strict=True)
    ]
    response = await service.post("/v1/ledger/transfers", {"transfers": overdraw})
    results = [r["result"] for r in response.json()["results"]]
    expect("exceeds_credits" in results and not response.json()["ok"], f"got {results}")
    check = await stage.operator.get(f"{stage.switch_url}/operator/ledger/check")
    expect(check.json()["ok"], f"ledger check: {check.text}")
    parts = ", ".join(f"{name} {amount}" for name, amount in legs.items())
    return f"¥99.99 split in one linked group ({parts} fen); an overdraft moved nothing; check ok"
