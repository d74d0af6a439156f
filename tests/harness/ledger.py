"""The ledger API, spoken by the operator: accounts, transfers, their resolution."""

from __future__ import annotations

from typing import Any

from tests.harness.switch import Switch


def account(
    account_id: str,
    owner: str = "switch.example",
    asset: str = "CNY",
    kind: str = "user_balance",
    **flags: Any,
) -> dict[str, Any]:
    return {"id": account_id, "owner": owner, "asset": asset, "kind": kind, **flags}


def move(
    transfer_id: str,
    debit: str,
    credit: str,
    amount: Any,
    asset: str = "CNY",
    **fields: Any,
) -> dict[str, Any]:
    return {
        "id": transfer_id,
        "debit_account_id": debit,
        "credit_account_id": credit,
        "amount": amount,
        "asset": asset,
        **fields,
    }


async def create(switch: Switch, *accounts: dict[str, Any]) -> list[str]:
    response = await switch.operator.post(
        "/operator/ledger/accounts", json={"accounts": list(accounts)}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    results = [item["result"] for item in body["results"]]
    assert [item["id"] for item in body["results"]] == [a["id"] for a in accounts]
    assert body["ok"] is all(r in ("ok", "exists") for r in results)
    return results


async def submit(switch: Switch, *transfers: dict[str, Any]) -> list[str]:
    response = await switch.operator.post(
        "/operator/ledger/transfers", json={"transfers": list(transfers)}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    results = [item["result"] for item in body["results"]]
    assert [item["id"] for item in body["results"]] == [t["id"] for t in transfers]
    assert body["ok"] is all(r in ("ok", "exists") for r in results)
    return results


async def resolve(
    switch: Switch, action: str, pending_id: str, transfer_id: str, amount: int = 0
) -> str:
    response = await switch.operator.post(
        f"/operator/ledger/pending/{pending_id}/{action}",
        json={"id": transfer_id, "amount": amount},
    )
    assert response.status_code == 200, response.text
    [item] = response.json()["results"]
    assert item["id"] == transfer_id
    return str(item["result"])
