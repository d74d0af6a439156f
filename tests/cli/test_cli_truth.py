"""The CLI tells the truth (issue 20, section 8).

Bad input is a sentence on stderr and exit 2, never a traceback; a refusal
(the domain's or the switch's NACK) is `<code>: <sentence>` on stderr and
exit 1; a command that only reads never creates a database. Participants act
with their own key (`--key-file`), signed over HTTP to a real switch on
loopback; `--as` is the operator's direct write.
"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from typer.testing import Result

from hutong.protocol.signing import new_key_pair
from hutong.store.tables import placements
from tests.harness.cast import ALIPAY, BOB_PHONE, DOUYIN
from tests.harness.cli import invoke, key_file, no_traceback
from tests.harness.networks import PayNet
from tests.harness.shop import Shop
from tests.harness.switch import Clock


async def ahutong(url: str, data_dir: Path, *args: str) -> Result:
    env: dict[str, str | None] = {"HUTONG_DATABASE_URL": url, "HUTONG_DATA_DIR": str(data_dir)}
    return await asyncio.to_thread(invoke, env, *args)


# -- bad input: exit 2 and a sentence ---------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("--lat", "999", "--lng", "999"),
        ("--lat", "30.27", "--lng", "120.08", "--radius-m", "-1"),
        ("--lat", "30.27", "--lng", "120.08", "--limit", "0"),
    ],
)
def test_bad_coordinates_are_a_usage_error_not_a_traceback(
    database_url: str, args: tuple[str, ...]
) -> None:
    result = invoke({"HUTONG_DATABASE_URL": database_url}, "pickup", "search", *args)
    assert result.exit_code == 2, result.output
    no_traceback(result)
    assert "Invalid value" in result.stderr


def test_a_key_file_that_is_not_one_is_a_usage_error(database_url: str, tmp_path: Path) -> None:
    bad = tmp_path / "key.json"
    bad.write_text('{"private_key": "not a key"}')
    result = invoke({}, "order", "pay", "ord_1", "--key-file", str(bad))
    assert result.exit_code == 2
    assert "invalid_key_file" in result.stderr and "not a key" not in result.output


def test_an_acting_command_without_a_key_or_operator_says_how(database_url: str) -> None:
    result = invoke({"HUTONG_KEY_FILE": None}, "order", "pay", "ord_1")
    assert result.exit_code == 2
    assert "--key-file" in result.stderr


# -- refusals: exit 1, and nothing created ----------------------------------------------------


def test_ledger_check_outside_a_data_dir_refuses_and_creates_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke({"HUTONG_DATABASE_URL": None, "HUTONG_DATA_DIR": None}, "ledger", "check")
    assert result.exit_code == 1, result.output
    assert "no_database" in result.stderr and "ledger ok" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_policy_show_of_a_host_without_policies_exits_1(database_url: str) -> None:
    result = invoke({"HUTONG_DATABASE_URL": database_url}, "policy", "show", "nosuchhost")
    assert result.exit_code == 1, result.output
    assert "no_link_policy" in result.stderr


async def test_share_make_refuses_an_expired_code(shop: Shop, clock: Clock) -> None:
    services = shop.switch.services
    async with services.db.transaction() as conn:
        await conn.execute(
            update(placements)
            .where(placements.c.id == shop.placement)
            .values(share_expires_at=clock.now - timedelta(days=1))
        )
    result = await ahutong(
        services.settings.database_url, services.settings.data_dir, "share", "make", shop.placement
    )
    assert result.exit_code == 1, result.output
    assert "share_code_expired" in result.stderr
    assert "₴" not in result.stdout


async def test_a_transfer_a_wallet_refuses_exits_1_for_operator_and_participant(
    bob: PayNet, tmp_path: Path
) -> None:
    settings = bob.switch.services.settings
    common = ("transfer", "send", "--payer", "u-poor", "--to", BOB_PHONE, "--amount", "5000")
    direct = await ahutong(settings.database_url, settings.data_dir, *common, "--as", ALIPAY)
    assert direct.exit_code == 1, direct.output
    assert "insufficient_funds" in direct.stderr
    assert '"state": "failed"' in direct.stdout

    key = await key_file(bob[ALIPAY], tmp_path)
    signed = await ahutong(
        settings.database_url, settings.data_dir, *common,
        "--key-file", str(key), "--switch-url", bob.switch.url,
    )  # fmt: skip
    assert signed.exit_code == 1, signed.output
    assert "insufficient_funds" in signed.stderr


# -- participants act with their key over HTTP ------------------------------------------------


async def test_an_order_is_paid_with_the_hosts_key_file_over_http(
    shop: Shop, tmp_path: Path
) -> None:
    settings = shop.switch.services.settings
    order = await shop.placed()
    key = await key_file(shop[DOUYIN], tmp_path)
    env = ("--key-file", str(key), "--switch-url", shop.switch.url)

    early = await ahutong(
        settings.database_url, settings.data_dir, "order", "confirm", order["id"], *env
    )
    assert early.exit_code == 1, early.output
    assert "not_paid" in early.stderr

    paid = await ahutong(
        settings.database_url, settings.data_dir, "order", "pay", order["id"], *env
    )
    assert paid.exit_code == 0, paid.output
    assert json.loads(paid.stdout)["order"]["state"] == "paid"
    shown = await ahutong(
        settings.database_url, settings.data_dir, "order", "show", order["id"], *env
    )
    assert json.loads(shown.stdout)["order"]["state"] == "paid"


def test_participant_add_prints_a_key_file_the_commands_take(database_url: str) -> None:
    env: dict[str, str | None] = {"HUTONG_DATABASE_URL": database_url}
    added = invoke(
        env, "participant", "add", "shop.example", "--role", "merchant",
        "--callback", "http://127.0.0.1:9/cb",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    key = json.loads(added.stdout.strip().splitlines()[-1])
    assert key["subscriber_id"] == "shop.example" and key["key_id"] == "k1"


# -- one spelling per concept -----------------------------------------------------------------


def test_weights_are_weight_g_everywhere_the_old_spelling_hidden(database_url: str) -> None:
    env: dict[str, str | None] = {"HUTONG_DATABASE_URL": database_url}
    for command in (("ship", "quote"), ("ship", "book"), ("order", "ship")):
        shown = invoke(env, *command, "--help")
        assert "--weight-g" in shown.stdout, command
        assert "--weight " not in shown.stdout, command
    old = invoke(env, "ship", "quote", "--origin", "330106", "--destination", "110105",
                 "--weight", "1200")  # fmt: skip
    new = invoke(env, "ship", "quote", "--origin", "330106", "--destination", "110105",
                 "--weight-g", "1200")  # fmt: skip
    assert old.exit_code == new.exit_code == 0, old.output + new.output
    assert old.stdout == new.stdout


def test_points_take_member_as_an_option(database_url: str) -> None:
    env: dict[str, str | None] = {"HUTONG_DATABASE_URL": database_url}
    for command in (("points", "grant"), ("points", "balance"), ("points", "exchange")):
        assert "--member" in invoke(env, *command, "--help").stdout, command


def test_the_demo_keeps_each_participants_key_as_a_private_key_file(tmp_path: Path) -> None:
    from hutong.cli.remote import load_key
    from hutong.world.demo_keys import keep_key

    pair = new_key_pair()
    path = keep_key(tmp_path, DOUYIN, "k2", pair.private_key)
    assert path == tmp_path / "keys" / f"{DOUYIN}.json"
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_key(path).subscriber_id == DOUYIN and load_key(path).key_id == "k2"
