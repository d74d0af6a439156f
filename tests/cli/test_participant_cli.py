"""`hutong participant add|list|show|suspend|reactivate|revoke`: the operator's registry commands.

Each command opens the database named by `HUTONG_DATABASE_URL` (migrating it first),
prints a table, and exits 1 with `<error code>: <sentence>` when the registry refuses.
`add` without `--public-key` generates a key pair and prints it once, as the last line
of its output, in JSON. Revocation is final. `add` and `approve` are done once
per message id: a refused one keeps nothing but its refusal, as the answer a
retry under the id gets again.
"""

from __future__ import annotations

import base64
import json

import pytest

from hutong.protocol.signing import new_key_pair, public_key_of
from tests.harness.cli import (
    CALLBACK,
    Hutong,
    add,
    and_its_answer,
    database_row_counts,
    in_db,
    table_rows,
)


@pytest.fixture
def hutong(database_url: str) -> Hutong:
    """Runs `hutong ARGS...` against the test database, on a terminal wide enough for tables."""
    return in_db(database_url)


def show_fields(output: str) -> dict[str, str]:
    """The `show` table as {field: value}; a value continued on the next line joins with '\\n'."""
    fields: dict[str, str] = {}
    last = ""
    for name, value in table_rows(output):
        if name:
            fields[name] = value
            last = name
        else:
            fields[last] += "\n" + value
    return fields


def listed(output: str) -> dict[str, list[str]]:
    """The `list` table as {subscriber id: [roles, status, keys, callback URL]}."""
    return {row[0]: row[1:] for row in table_rows(output)}


def test_add_with_a_given_public_key_registers_that_key(hutong: Hutong) -> None:
    public_key = new_key_pair().public_key
    result = hutong(
        "participant",
        "add",
        "shop.example",
        "--role",
        "merchant",
        "-r",
        "wallet",
        "--callback",
        CALLBACK,
        "--public-key",
        public_key,
        "--key-id",
        "main-2024",
        "--name",
        "Shop",
    )

    assert result.exit_code == 0, result.output
    assert "private_key" not in result.output
    assert "Generated" not in result.output
    shown = hutong("participant", "show", "shop.example")
    assert shown.exit_code == 0, shown.output
    fields = show_fields(shown.stdout)
    assert fields["name"] == "Shop"
    assert fields["roles"] == "merchant, wallet"
    assert fields["callback"] == CALLBACK
    assert fields["status"] == "active"
    assert fields["key main-2024"].splitlines()[0] == public_key
    assert fields["key main-2024"].endswith("UTC")


def test_add_without_a_key_prints_the_generated_pair_as_the_last_line(hutong: Hutong) -> None:
    result = hutong("participant", "add", "shop.example", "-r", "merchant", "--callback", CALLBACK)

    assert result.exit_code == 0, result.output
    pair = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(pair) == {"subscriber_id", "key_id", "public_key", "private_key"}
    assert pair["key_id"] == "k1"
    assert public_key_of(pair["private_key"]) == pair["public_key"]
    shown = hutong("participant", "show", "shop.example")
    assert shown.exit_code == 0, shown.output
    assert show_fields(shown.stdout)["key k1"].splitlines()[0] == pair["public_key"]
    assert pair["private_key"] not in shown.output


def test_add_with_valid_until_ends_the_key_window_then(hutong: Hutong, database_url: str) -> None:
    result = hutong(
        "participant", "add", "shop.example", "-r", "merchant", "--callback", CALLBACK,
        "--public-key", new_key_pair().public_key, "--valid-until", "2099-01-02T03:04:00",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    window = show_fields(hutong("participant", "show", "shop.example").stdout)["key k1"]
    assert window.splitlines()[1].endswith("→ 2099-01-02 03:04 UTC")

    before = database_row_counts(database_url)
    past = hutong(
        "participant", "add", "old.example", "-r", "merchant", "--callback", CALLBACK,
        "--public-key", new_key_pair().public_key, "--valid-until", "2001-01-01",
    )  # fmt: skip
    assert past.exit_code == 1, past.output
    assert "invalid_key_window:" in past.stderr
    assert database_row_counts(database_url) == and_its_answer(before)  # only the refusal


@pytest.mark.parametrize(
    ("subscriber_id", "role", "callback", "public_key", "code"),
    [
        ("Shop_Example", "merchant", CALLBACK, "", "invalid_subscriber_id"),
        ("shop.example", "grocer", CALLBACK, "", "invalid_roles"),
        ("shop.example", "merchant", "ftp://shop.example/cb", "", "invalid_callback_url"),
        ("shop.example", "merchant", "/cb/shop.example", "", "invalid_callback_url"),
        ("shop.example", "merchant", CALLBACK, "bm90IGEga2V5", "invalid_public_key"),
    ],
)
def test_an_invalid_registration_exits_1_with_its_code_and_stores_nothing(
    hutong: Hutong,
    database_url: str,
    subscriber_id: str,
    role: str,
    callback: str,
    public_key: str,
    code: str,
) -> None:
    before = database_row_counts(database_url)
    args = ["participant", "add", subscriber_id, "--role", role, "--callback", callback]
    if public_key:
        args += ["--public-key", public_key]

    result = hutong(*args)

    assert result.exit_code == 1, result.output
    assert f"{code}:" in result.stderr
    assert "private_key" not in result.output, "no key pair is handed out for a refusal"
    assert database_row_counts(database_url) == and_its_answer(before)  # only the refusal
    assert listed(hutong("participant", "list").stdout) == {}


def test_registering_the_same_subscriber_twice_exits_1_participant_exists(
    hutong: Hutong, database_url: str
) -> None:
    first_key = new_key_pair().public_key
    result = hutong(
        "participant",
        "add",
        "shop.example",
        "-r",
        "merchant",
        "--callback",
        CALLBACK,
        "--public-key",
        first_key,
    )
    assert result.exit_code == 0, result.output
    before = database_row_counts(database_url)

    again = hutong("participant", "add", "shop.example", "-r", "wallet", "--callback", CALLBACK)

    assert again.exit_code == 1, again.output
    assert "participant_exists:" in again.stderr
    assert "private_key" not in again.output
    assert database_row_counts(database_url) == and_its_answer(before)  # only the refusal
    fields = show_fields(hutong("participant", "show", "shop.example").stdout)
    assert fields["roles"] == "merchant"
    assert fields["key k1"].splitlines()[0] == first_key


def test_suspend_then_reactivate(hutong: Hutong) -> None:
    add(hutong, "shop.example", "merchant")

    suspended = hutong("participant", "suspend", "shop.example", "--reason", "unpaid fees")
    assert suspended.exit_code == 0, suspended.output
    assert "shop.example is now suspended" in suspended.stdout
    assert listed(hutong("participant", "list").stdout)["shop.example"][1] == "suspended"

    reactivated = hutong("participant", "reactivate", "shop.example")
    assert reactivated.exit_code == 0, reactivated.output
    assert "shop.example is now active" in reactivated.stdout
    assert show_fields(hutong("participant", "show", "shop.example").stdout)["status"] == "active"


def test_revocation_is_final(hutong: Hutong) -> None:
    add(hutong, "shop.example", "merchant")

    revoked = hutong("participant", "revoke", "shop.example", "--reason", "fraud")
    assert revoked.exit_code == 0, revoked.output
    assert "shop.example is now revoked" in revoked.stdout

    for command in ("reactivate", "suspend"):
        refused = hutong("participant", command, "shop.example")
        assert refused.exit_code == 1, f"{command}: {refused.output}"
        assert "participant_revoked:" in refused.stderr, command
    fields = show_fields(hutong("participant", "show", "shop.example").stdout)
    assert fields["status"] == "revoked"
    assert " revoked " in fields["key k1"], "revoking the participant revokes its keys"


@pytest.mark.parametrize("command", ["show", "suspend", "reactivate", "revoke"])
def test_an_unknown_participant_exits_1_unknown_participant(hutong: Hutong, command: str) -> None:
    result = hutong("participant", command, "nobody.example")

    assert result.exit_code == 1, result.output
    assert "unknown_participant:" in result.stderr


def test_list_shows_everyone_and_filters_by_role_and_status(hutong: Hutong) -> None:
    add(hutong, "taobao.example", "platform", callback="http://127.0.0.1:9000/cb/taobao")
    add(hutong, "alipay.example", "wallet")
    add(hutong, "jdpay.example", "wallet", "merchant")
    assert hutong("participant", "suspend", "alipay.example").exit_code == 0

    everyone = listed(hutong("participant", "list").stdout)
    assert list(everyone) == ["alipay.example", "jdpay.example", "taobao.example"]
    assert everyone["taobao.example"] == [
        "platform",
        "active",
        "1",
        "http://127.0.0.1:9000/cb/taobao",
    ]
    assert everyone["jdpay.example"][:3] == ["merchant, wallet", "active", "1"]

    def names(*options: str) -> list[str]:
        result = hutong("participant", "list", *options)
        assert result.exit_code == 0, result.output
        return list(listed(result.stdout))

    assert names("--role", "wallet") == ["alipay.example", "jdpay.example"]
    assert names("--status", "active") == ["jdpay.example", "taobao.example"]
    assert names("--status", "suspended") == ["alipay.example"]
    assert names("--role", "wallet", "--status", "active") == ["jdpay.example"]
    assert names("--role", "auditor") == []
    assert names("--status", "revoked") == []


def test_list_refuses_an_unknown_role_or_status_as_a_usage_error(hutong: Hutong) -> None:
    for option, value in (("--role", "grocer"), ("--status", "asleep")):
        result = hutong("participant", "list", option, value)
        assert result.exit_code == 2, result.output
        assert option in result.output


def _subscribe_directly(database_url: str, subscriber_id: str) -> None:
    """A subscription that answered its challenge (what `POST /subscribe` keeps)."""
    import asyncio
    from datetime import UTC, datetime, timedelta

    import nacl.public

    from hutong.protocol.signing import new_key_pair
    from hutong.registry.beckn_store import NewSubscription, record_subscription
    from hutong.store.db import Database

    now = datetime.now(UTC)
    encr = nacl.public.PrivateKey.generate().public_key
    sub = NewSubscription(
        subscriber_id=subscriber_id,
        url="https://seller.example/beckn",
        beckn_type="BPP",
        domain="ONDC:RET10",
        country="IND",
        city="",
        key_id="uk-1",
        signing_public_key=new_key_pair().public_key,
        encr_public_key=base64.b64encode(bytes(encr)).decode(),
        valid_from=now,
        valid_until=now + timedelta(days=30),
    )

    async def work() -> None:
        db = Database(database_url)
        try:
            async with db.transaction() as conn:
                await record_subscription(conn, sub, now)
        finally:
            await db.dispose()

    asyncio.run(work())


def test_approve_turns_a_pending_subscription_into_a_participant(
    hutong: Hutong, database_url: str
) -> None:
    empty = hutong("participant", "subscriptions")
    assert empty.exit_code == 0, empty.output
    _subscribe_directly(database_url, "seller.example")
    pending = hutong("participant", "subscriptions", "--status", "UNDER_SUBSCRIPTION")
    assert [row[0] for row in table_rows(pending.stdout)] == ["seller.example"]

    approved = hutong("participant", "approve", "seller.example")
    assert approved.exit_code == 0, approved.output
    fields = show_fields(approved.stdout)
    assert (fields["roles"], fields["status"]) == ("merchant", "active")
    assert "key uk-1" in fields

    again = hutong("participant", "approve", "seller.example")
    assert again.exit_code == 1, again.output
    assert "no_pending_subscription:" in again.stderr
