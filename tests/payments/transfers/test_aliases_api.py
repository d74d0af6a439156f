"""The alias directory over real HTTP: wallets publish their users' aliases, payers look them up.

Only the owning wallet registers or removes an entry; the same phone number
may be published by several wallets (one person, an account at each). The
full phone number is never in an answer, nor stored: only its keyed digest
and its masked form.
"""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from hutong.store.tables import aliases
from tests.harness.cast import ALIPAY, TAOBAO, WECHATPAY
from tests.harness.networks import PayNet

PHONE = "13800135678"
MASKED = "138****5678"


async def register(
    paynet: PayNet, sender: str, account: str, value: str = PHONE, **extra: Any
) -> httpx.Response:
    """`sender` publishes `value` (a phone number unless `kind` says otherwise) for `account`."""
    message = {"kind": extra.pop("kind", "phone"), "value": value, "account": account, **extra}
    return await paynet.post(sender, "/v1/aliases", message)


async def lookup(paynet: PayNet, sender: str, value: str = PHONE, kind: str = "phone") -> Any:
    return await paynet.post(sender, "/v1/aliases/lookup", {"kind": kind, "value": value})


async def test_a_wallet_publishes_a_phone_number_that_answers_masked(paynet: PayNet) -> None:
    published = await register(paynet, WECHATPAY, "u-bob", "+86 138-0013-5678")
    assert published.status_code == 201, published.text
    assert published.json()["alias"] == {
        "kind": "phone",
        "masked": MASKED,
        "wallet": WECHATPAY,
        "account": "u-bob",
    }
    found = await lookup(paynet, ALIPAY, "138 0013 5678")
    assert found.status_code == 200, found.text
    (entry,) = found.json()["entries"]
    token = entry.pop("payee_token")
    assert entry == {"kind": "phone", "masked": MASKED, "wallet": WECHATPAY}
    assert token.startswith("pt1_") and "u-bob" not in found.text
    assert PHONE not in published.text + found.text


async def test_the_directory_keeps_a_digest_and_the_masked_form_only(paynet: PayNet) -> None:
    assert (await register(paynet, WECHATPAY, "u-bob")).status_code == 201
    async with paynet.switch.services.db.read() as conn:
        (row,) = (await conn.execute(select(aliases))).all()
    assert row.digest.startswith("b2:") and row.masked == MASKED
    assert PHONE not in " ".join(str(value) for value in row)


async def test_publishing_the_same_entry_again_changes_nothing(paynet: PayNet) -> None:
    assert (await register(paynet, WECHATPAY, "u-bob")).status_code == 201
    again = await register(paynet, WECHATPAY, "u-bob", "13800135678")
    assert again.status_code == 200, again.text
    assert again.json()["created"] is False
    assert len((await lookup(paynet, ALIPAY)).json()["entries"]) == 1


async def test_within_one_wallet_an_alias_names_one_account(paynet: PayNet) -> None:
    assert (await register(paynet, WECHATPAY, "u-bob")).status_code == 201
    taken = await register(paynet, WECHATPAY, "u-alice")
    assert taken.status_code == 409
    assert taken.json()["error"]["code"] == "alias_taken"
    assert PHONE not in taken.text


async def test_several_wallets_may_publish_the_same_number(paynet: PayNet) -> None:
    assert (await register(paynet, WECHATPAY, "u-bob")).status_code == 201
    assert (await register(paynet, ALIPAY, "u-bob-at-alipay")).status_code == 201
    entries = (await lookup(paynet, WECHATPAY)).json()["entries"]
    assert [e["wallet"] for e in entries] == [ALIPAY, WECHATPAY]
    assert len({e["payee_token"] for e in entries}) == 2  # one person, a token at each wallet


async def test_a_wallet_cannot_publish_or_remove_another_wallets_alias(paynet: PayNet) -> None:
    forged = await register(paynet, ALIPAY, "u-bob", wallet=WECHATPAY)
    assert forged.status_code == 403
    assert forged.json()["error"]["code"] == "alias_not_owned"
    assert (await register(paynet, WECHATPAY, "u-bob")).status_code == 201
    removed = await paynet.post(
        ALIPAY, "/v1/aliases/remove", {"kind": "phone", "value": PHONE, "wallet": WECHATPAY}
    )
    assert removed.status_code == 403
    assert removed.json()["error"]["code"] == "alias_not_owned"
    assert len((await lookup(paynet, ALIPAY)).json()["entries"]) == 1


async def test_a_removed_alias_is_no_longer_found(paynet: PayNet) -> None:
    assert (await register(paynet, WECHATPAY, "bob.w", "@Bob.W", kind="handle")).status_code == 201
    removed = await paynet.post(
        WECHATPAY, "/v1/aliases/remove", {"kind": "handle", "value": "bob.w"}
    )
    assert removed.status_code == 200, removed.text
    assert removed.json()["removed"]["masked"] == "bob.w"  # a handle is shown as it is
    missing = await lookup(paynet, ALIPAY, "bob.w", kind="handle")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "alias_not_found"
    again = await paynet.post(WECHATPAY, "/v1/aliases/remove", {"kind": "handle", "value": "bob.w"})
    assert again.status_code == 404
    assert again.json()["error"]["code"] == "alias_not_found"


async def test_an_unknown_number_is_not_found_and_not_echoed(paynet: PayNet) -> None:
    missing = await lookup(paynet, ALIPAY, "13912345678")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "alias_not_found"
    assert "13912345678" not in missing.text
    assert "139****5678" in missing.text


async def test_a_malformed_alias_is_refused_without_echoing_it(paynet: PayNet) -> None:
    bad = await register(paynet, WECHATPAY, "u-bob", "1380013567")  # ten digits
    assert bad.status_code == 422
    assert bad.json()["error"]["code"] == "invalid_alias"
    assert "1380013567" not in bad.text
    unknown_kind = await register(paynet, WECHATPAY, "u-bob", kind="email")
    assert unknown_kind.status_code == 422
    assert unknown_kind.json()["error"]["code"] == "invalid_alias"


async def test_only_wallets_use_the_directory(paynet: PayNet) -> None:
    refused = await register(paynet, TAOBAO, "u-bob")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "wrong_role"
    assert (await lookup(paynet, TAOBAO)).status_code == 403
