"""A host declares its link policy at its own terminal, with its key.

`hutong policy declare` signs `POST /v1/link-policies` with the host's key
file: each declaration is a new version from `--valid-from` (today or later
here), answered as the switch stored it. A refusal exits 1 with its code; the
same `--message-id` is answered the same and declares once.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.harness.cast import DOUYIN, MARKET_MERCHANT
from tests.harness.cli import Terminal, answered, invoke, refused_with
from tests.harness.networks import Market


@pytest.fixture
def hutong(market: Market, tmp_path: Path) -> Terminal:
    return Terminal(market, tmp_path)


def today(market: Market) -> str:
    return market.switch.services.clock().date().isoformat()


async def test_a_host_declares_a_link_rule_and_a_retry_declares_it_once(
    hutong: Terminal, market: Market
) -> None:
    args = ("policy", "declare", "--source", "taobao", "--treatment", "share_code_only",
            "--valid-from", today(market), "--surface", "chat", "--surface", "group_chat",
            "--extra-step", "copy_to_browser", "--note", "淘宝链接只认口令",
            "--message-id", "msg-link-1", "--json")  # fmt: skip
    first, again = answered(await hutong(DOUYIN, *args)), answered(await hutong(DOUYIN, *args))
    assert first == again, "the retry is answered, not a version 2"
    rule = first["message"]["rule"]
    assert (rule["host"], rule["source"], rule["version"]) == ("douyin", "taobao", 1)
    assert (rule["surfaces"], rule["treatment"]) == (["chat", "group_chat"], "share_code_only")

    human = await hutong(DOUYIN, "policy", "declare", "--source", "jd", "--treatment", "open",
                         "--valid-from", today(market))  # fmt: skip
    assert human.exit_code == 0, human.output
    assert "douyin version 2 from " in human.stdout and "jd links (all) on every surface: open" in (
        human.stdout
    )


async def test_only_a_platform_declares_and_a_rule_must_be_one(
    hutong: Terminal, market: Market
) -> None:
    rule = ("policy", "declare", "--source", "taobao", "--valid-from", today(market))
    refused_with(await hutong(MARKET_MERCHANT, *rule, "--treatment", "open"), "wrong_role")
    refused_with(await hutong(DOUYIN, *rule, "--treatment", "teleport"), "invalid_link_rule")
    refused_with(
        await hutong(DOUYIN, *rule, "--treatment", "open", "--scope", "merchants"),
        "invalid_link_rule",
    )
    missing = await hutong(DOUYIN, "policy", "declare", "--source", "taobao")
    assert missing.exit_code == 2, missing.output


@pytest.mark.parametrize(
    "args",
    [
        (
            "policy",
            "declare",
            "--source",
            "jd",
            "--treatment",
            "open",
            "--valid-from",
            "2030-01-01",
        ),
        ("carrier", "services"),
        ("carrier", "track", "-"),
        ("pickup", "publish", "--file", "-"),
        ("pickup", "policy", "--valid-from", "2030-01-01"),
        ("ship", "policy", "--valid-from", "2030-01-01"),
    ],
)
def test_a_declaration_without_a_key_file_says_how(args: tuple[str, ...]) -> None:
    result = invoke({"HUTONG_KEY_FILE": None}, *args)
    assert result.exit_code == 2, result.output
    assert "no_participant" in result.stderr and "--key-file" in result.stderr
