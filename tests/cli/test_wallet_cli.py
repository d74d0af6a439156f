"""Payee aliases and pay-for-me requests at a participant's terminal.

A wallet publishes, looks up and withdraws aliases of its users with its own
key; a phone number is only ever printed masked. A host turns a payment into
a pay-for-me request, a friend's app pays it, anyone reads its public page.
A refusal exits 1 with `<code>: <sentence>` on stderr; the same
`--message-id` is answered the same and done once.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.harness.cast import (
    ALIPAY,
    BOB_PHONE,
    DOUYIN,
    JD_BEAUTY,
    TAOBAO,
    VIDEO,
    VIP,
    WECHAT,
    WECHATPAY,
)
from tests.harness.cli import Terminal, answered, refused_with
from tests.harness.networks import PayNet

#: Declarations take effect from their declaring day (UTC) on: the switch's today.
TODAY = datetime.now(UTC).date().isoformat()

MASKED = "138****5678"


@pytest.fixture
def hutong(paynet: PayNet, tmp_path: Path) -> Terminal:
    return Terminal(paynet, tmp_path)


# -- aliases ------------------------------------------------------------------------------------


async def test_a_wallet_publishes_an_alias_others_find_it_and_it_is_withdrawn(
    hutong: Terminal,
) -> None:
    published = await hutong(WECHATPAY, "alias", "register", BOB_PHONE, "--account", "u-bob")
    assert published.exit_code == 0, published.output
    assert f"published phone {MASKED} at {WECHATPAY} for account u-bob" in published.stdout

    found = await hutong(ALIPAY, "alias", "lookup", BOB_PHONE)
    assert found.exit_code == 0, found.output
    assert WECHATPAY in found.stdout and MASKED in found.stdout
    [entry] = answered(await hutong(ALIPAY, "alias", "lookup", BOB_PHONE, "--json"))["entries"]
    assert entry["payee_token"].startswith("pt1_") and "account" not in entry
    old = await hutong(ALIPAY, "transfer", "lookup", BOB_PHONE)
    assert old.exit_code == 0 and WECHATPAY in old.stdout, "the transfer lookup answers too"

    removed = await hutong(WECHATPAY, "alias", "remove", BOB_PHONE)
    assert removed.exit_code == 0, removed.output
    assert f"removed phone {MASKED}" in removed.stdout
    refused_with(await hutong(ALIPAY, "alias", "lookup", BOB_PHONE), "alias_not_found")
    for result in (published, found, removed):
        assert BOB_PHONE not in result.output, "a phone number is only ever printed masked"


async def test_alias_refusals_exit_1_with_their_code(hutong: Terminal) -> None:
    refused_with(await hutong(WECHATPAY, "alias", "remove", BOB_PHONE), "alias_not_found")
    refused_with(
        await hutong(WECHATPAY, "alias", "register", "12", "--account", "u-bob"), "invalid_alias"
    )
    refused_with(
        await hutong(DOUYIN, "alias", "register", BOB_PHONE, "--account", "u-bob"), "wrong_role"
    )


async def test_an_alias_sent_again_with_its_message_id_is_answered_the_same(
    hutong: Terminal,
) -> None:
    args = ("alias", "register", BOB_PHONE, "--account", "u-bob", "--message-id", "msg-alias-1")
    first = answered(await hutong(WECHATPAY, *args, "--json"))
    again = answered(await hutong(WECHATPAY, *args, "--json"))
    assert first == again and first["created"] is True
    other = await hutong(
        WECHATPAY, "alias", "register", BOB_PHONE, "--account", "u-rob",
        "--message-id", "msg-alias-1",
    )  # fmt: skip
    refused_with(other, "message_id_conflict")


# -- pay-for-me ---------------------------------------------------------------------------------


async def asked(hutong: Terminal, paynet: PayNet, *extra: str) -> dict[str, str]:
    payment = await paynet.payment(DOUYIN, merchant=JD_BEAUTY, amount=19_900)
    result = await hutong(
        DOUYIN, "pay", "for-me", "create", payment["id"], "--buyer", "dy-buyer-7",
        "--note", "生日礼物", "--json", *extra,
    )  # fmt: skip
    request: dict[str, str] = answered(result)["request"]
    return request


async def test_a_friend_in_wechat_pays_a_douyin_buyers_request(
    hutong: Terminal, paynet: PayNet
) -> None:
    request = await asked(hutong, paynet)
    assert request["state"] == "open" and "/p/" in request["url"]

    shown = await hutong(WECHAT, "pay", "for-me", "show", request["url"], "--host", "wechat")
    assert shown.exit_code == 0, shown.output
    assert f"{DOUYIN} asks 19900 fen for {JD_BEAUTY}" in shown.stdout and "生日礼物" in shown.stdout

    paid = await hutong(
        WECHAT, "pay", "for-me", "pay", request["url"], "--wallet", WECHATPAY, "--payer", "u-bob"
    )
    assert paid.exit_code == 0, paid.output
    assert f"paid by {WECHAT} with {WECHATPAY}" in paid.stdout
    assert "u-bob" not in paid.stdout, "the payer's account is never shown"
    assert paynet.wallet(WECHATPAY).available("u-bob") == 50_000 - 19_900


async def test_pay_for_me_refusals_exit_1_with_their_code(hutong: Terminal, paynet: PayNet) -> None:
    request = await asked(hutong, paynet)
    code = request["url"].rsplit("/p/", 1)[1]
    refused_with(
        await hutong(
            TAOBAO, "pay", "for-me", "pay", code, "--wallet", WECHATPAY, "--payer", "u-bob"
        ),
        "wallet_not_accepted",
    )
    cancelled = answered(await hutong(DOUYIN, "pay", "for-me", "cancel", request["id"], "--json"))
    assert cancelled["request"]["state"] == "cancelled"
    refused_with(
        await hutong(
            WECHAT, "pay", "for-me", "pay", code, "--wallet", WECHATPAY, "--payer", "u-bob"
        ),
        "request_cancelled",
    )
    refused_with(await hutong(WECHAT, "pay", "for-me", "show", "nosuchcode"), "unknown_request")


async def test_a_payment_sent_again_with_its_message_id_is_paid_once(
    hutong: Terminal, paynet: PayNet
) -> None:
    request = await asked(hutong, paynet)
    args = ("pay", "for-me", "pay", request["url"], "--wallet", WECHATPAY, "--payer", "u-bob",
            "--message-id", "msg-friend-pays-1", "--json")  # fmt: skip
    first = answered(await hutong(WECHAT, *args))
    again = answered(await hutong(WECHAT, *args))
    assert first == again and first["request"]["state"] == "paid"
    assert paynet.wallet(WECHATPAY).available("u-bob") == 50_000 - 19_900, "held once"


# -- fees and acceptance ------------------------------------------------------------------------


async def test_a_wallet_declares_its_fees_and_anyone_lists_them(hutong: Terminal) -> None:
    args = ("wallet", "fees", "--fee", "order=55", "--fee", "transfer=0+100",
            "--message-id", "msg-fees-1", "--json")  # fmt: skip
    first = answered(await hutong(ALIPAY, *args))
    assert answered(await hutong(ALIPAY, *args)) == first
    assert {f["kind"]: (f["bps"], f["fixed"]) for f in first["profile"]["fees"]} == {
        "order": (55, 0),
        "transfer": (0, 100),
    }
    listed = await hutong(DOUYIN, "wallet", "list")
    assert listed.exit_code == 0, listed.output
    assert ALIPAY in listed.stdout and WECHATPAY in listed.stdout
    refused_with(await hutong(DOUYIN, "wallet", "fees", "--fee", "order=60"), "wrong_role")
    bad = await hutong(ALIPAY, "wallet", "fees", "--fee", "order")
    assert bad.exit_code == 2 and "KIND=BPS" in bad.output


async def test_a_platform_declares_which_wallets_it_accepts(hutong: Terminal) -> None:
    args = ("pay", "acceptance", "declare", "--valid-from", TODAY,
            "--refuse", f"{ALIPAY}=微信内不支持支付宝", "--message-id", "msg-accept-1")  # fmt: skip
    first = await hutong(WECHAT, *args)
    assert first.exit_code == 0, first.output
    assert f"{WECHAT} version 1 from {TODAY}: accepts every wallet" in first.stdout
    again = await hutong(WECHAT, *args)
    assert again.stdout == first.stdout, "the retry is answered, not a version 2"
    refused_with(
        await hutong(ALIPAY, "pay", "acceptance", "declare", "--valid-from", TODAY),
        "wrong_role",
    )


async def test_a_back_dated_declaration_must_say_it_is_a_correction(hutong: Terminal) -> None:
    back_dated = ("pay", "acceptance", "declare", "--valid-from", "2019-05-01",
                  "--refuse", f"{ALIPAY}=微信内不支持支付宝")  # fmt: skip
    refused_with(await hutong(WECHAT, *back_dated), "valid_from_in_past")

    filed = await hutong(WECHAT, *back_dated, "--correction", "the 2019 rule, never declared")
    assert filed.exit_code == 0, filed.output
    shown = await hutong(WECHAT, "pay", "acceptance", "show", WECHAT, "--json")
    (version,) = json.loads(shown.stdout)["versions"]
    assert version["correction"]["reason"] == "the 2019 rule, never declared"


# -- points exchange offers ---------------------------------------------------------------------


async def test_a_program_publishes_and_withdraws_an_exchange_offer(hutong: Terminal) -> None:
    args = ("points", "offer", "publish", "--from", VIP, "--points", "300",
            "--benefit", "1 month of VIP", "--money-rate-fen", "1500", "--daily-cap", "2",
            "--message-id", "msg-points-offer-1", "--json")  # fmt: skip
    first = answered(await hutong(VIDEO, *args))
    assert answered(await hutong(VIDEO, *args)) == first, "published once"
    offer = first["offer"]
    listed = await hutong(VIP, "points", "offer", "list", "--to", VIDEO)
    assert listed.exit_code == 0, listed.output
    assert offer["id"] in listed.stdout and "1 month of VIP" in listed.stdout

    withdrawn = answered(await hutong(VIDEO, "points", "offer", "withdraw", offer["id"], "--json"))
    assert withdrawn["offer"]["active"] is False
    refused_with(await hutong(VIP, "points", "offer", "withdraw", offer["id"]), "not_a_party")
