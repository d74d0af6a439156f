"""Ledger writes over the signed API are for the switch's own services."""

from __future__ import annotations

from sqlalchemy import select

from hutong.client import Client
from hutong.protocol.signing import new_key_pair
from hutong.store.tables import switch_keys
from tests.harness.switch import Switch


async def switch_client(switch: Switch, key_id: str | None = None) -> Client:
    """A client signing as the switch itself, with the key it stores."""
    async with switch.services.db.read() as conn:
        row = (await conn.execute(select(switch_keys))).first()
    assert row is not None
    return Client(
        switch.url, switch.services.settings.switch_id, key_id or row.key_id, row.private_key
    )


ACCOUNTS = {
    "accounts": [
        {"id": "wallet-float", "owner": "alipay.example", "asset": "CNY", "kind": "funding"},
        {
            "id": "buyer-7",
            "owner": "alipay.example",
            "asset": "CNY",
            "kind": "user_balance",
            "debits_must_not_exceed_credits": True,
        },
    ]
}


async def test_the_switch_creates_accounts_and_moves_money_with_its_key(switch: Switch) -> None:
    service = await switch_client(switch)

    created = await service.post("/v1/ledger/accounts", ACCOUNTS)
    moved = await service.post(
        "/v1/ledger/transfers",
        {
            "transfers": [
                {
                    "id": "top-up-1",
                    "debit_account_id": "wallet-float",
                    "credit_account_id": "buyer-7",
                    "amount": 1999,
                    "asset": "CNY",
                    "code": "deposit",
                }
            ]
        },
    )

    assert created.status_code == 200, created.text
    assert created.json()["ok"] is True
    assert moved.json() == {"results": [{"id": "top-up-1", "result": "ok"}], "ok": True}
    balance = await switch.operator.get("/operator/ledger/accounts/buyer-7")
    assert balance.json()["balance"] == 1999
    assert (await switch.operator.get("/operator/ledger/check")).json()["ok"] is True
    await service.aclose()


async def test_a_participant_cannot_write_the_ledger(switch: Switch) -> None:
    wallet = await switch.register("alipay.example", ["wallet"])

    response = await wallet.post("/v1/ledger/accounts", ACCOUNTS)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "switch_services_only"
    listed = await switch.operator.get("/operator/ledger/accounts")
    assert listed.json() == []
    await wallet.aclose()


async def test_the_switch_key_is_not_a_participant_identity(switch: Switch) -> None:
    service = await switch_client(switch)

    response = await service.get("/v1/self")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "switch_identity"
    await service.aclose()


async def test_a_key_id_the_switch_does_not_have_is_refused(switch: Switch) -> None:
    forged = Client(
        switch.url, switch.services.settings.switch_id, "sk-forged", new_key_pair().private_key
    )

    response = await forged.post("/v1/ledger/accounts", ACCOUNTS)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unknown_key"
    await forged.aclose()


async def test_the_switch_key_id_with_another_private_key_is_refused(switch: Switch) -> None:
    real = await switch_client(switch)
    impostor = Client(
        switch.url,
        switch.services.settings.switch_id,
        real.signer.key_id,
        new_key_pair().private_key,
    )

    response = await impostor.post("/v1/ledger/accounts", ACCOUNTS)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "bad_signature"
    await real.aclose()
    await impostor.aclose()


async def test_an_account_whose_id_has_slashes_is_served_to_its_owner(switch: Switch) -> None:
    service = await switch_client(switch)
    owner = await switch.register("shop.example", ["merchant"])
    account = {"id": "m/shop.example/receivable", "owner": "shop.example", "asset": "CNY"}
    created = await service.post(
        "/v1/ledger/accounts", {"accounts": [account | {"kind": "funding"}]}
    )
    assert created.json()["ok"] is True, created.text

    raw = await owner.get("/v1/ledger/accounts/m/shop.example/receivable")
    encoded = await owner.get("/v1/ledger/accounts/m%2Fshop.example%2Freceivable")
    history = await owner.get("/v1/ledger/accounts/m/shop.example/receivable/transfers")
    by_operator = await switch.operator.get("/operator/ledger/accounts/m/shop.example/receivable")
    unknown = await owner.get("/v1/ledger/accounts/m/nobody/receivable")

    for response in (raw, encoded, by_operator):
        assert response.status_code == 200, response.text
        assert response.json()["id"] == account["id"]
    assert history.status_code == 200, history.text
    assert history.json()["account_id"] == account["id"]
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "unknown_account"
    await service.aclose()
    await owner.aclose()
