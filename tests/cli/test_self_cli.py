"""`hutong self ...`: a participant reads its own record, adds a key and pings, with its key.

The key added without `--public-key` is made at the terminal and printed
once, as the last line, as a key file the commands take; it signs at once.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from tests.harness.cast import DOUYIN
from tests.harness.cli import Terminal, answered, invoke, refused_with
from tests.harness.networks import Market


@pytest.fixture
def hutong(market: Market, tmp_path: Path) -> Terminal:
    return Terminal(market, tmp_path)


async def test_a_participant_reads_its_record_and_pings(hutong: Terminal) -> None:
    shown = await hutong(DOUYIN, "self", "show")
    assert shown.exit_code == 0, shown.output
    assert DOUYIN in shown.stdout and "platform" in shown.stdout and "key cli" in shown.stdout

    args = ("self", "ping", "--note", "你好", "--message-id", "msg-ping-1", "--json")
    first = answered(await hutong(DOUYIN, *args))
    assert answered(await hutong(DOUYIN, *args)) == first, "one event for one message id"
    assert first["message"]["event_id"]


async def test_a_made_key_is_printed_once_and_signs_at_once(
    hutong: Terminal, market: Market, tmp_path: Path
) -> None:
    added = await hutong(DOUYIN, "self", "add-key", "--key-id", "k-2025")
    assert added.exit_code == 0, added.output
    assert "key k-2025 added" in added.stdout
    new_key = json.loads(added.stdout.strip().splitlines()[-1])
    assert (new_key["subscriber_id"], new_key["key_id"]) == (DOUYIN, "k-2025")
    path = tmp_path / "k-2025.json"
    path.write_text(json.dumps(new_key))

    env: dict[str, str | None] = {
        "HUTONG_KEY_FILE": str(path),
        "HUTONG_SWITCH_URL": market.switch.url,
    }
    shown = await asyncio.to_thread(invoke, env, "self", "show", "--json")
    assert shown.exit_code == 0, shown.output
    assert "k-2025" in [key["key_id"] for key in json.loads(shown.stdout)["keys"]]
    refused_with(await hutong(DOUYIN, "self", "add-key", "--key-id", "k-2025"), "key_exists")
