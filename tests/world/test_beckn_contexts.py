"""Every context Hutong sends passes Beckn 1.1's `Context.yaml`, formats checked.

The seed world's whole story runs for real on loopback (the demo's `STORY`:
orders, payments, shipments, points, settlement), then a participant uses
the CLI. Everything signed on the way is captured where it is signed
(`Signer.authorization`, wrapped to keep a copy of the body): the switch's
events and decision calls, the SDK's requests, the CLI's. Each body with a
context is checked against the vendored `Context.yaml` (and its
references) with every field present, UUID ids, an RFC 3339 timestamp and
an ISO 8601 ttl (`tests.harness.beckn_schemas.context_errors`).
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from hutong.cli.main import app
from hutong.config import sqlite_url
from hutong.protocol.beckn_context import route_action
from hutong.protocol.signing import Signer
from hutong.world.demo import STORY, demo_settings, running_world
from tests.harness.beckn_schemas import context_errors
from tests.harness.cli import key_file

#: (subscriber id, key id, request target, document) of each signed body with a context.
Captured = list[tuple[str, str, str | None, dict[str, Any]]]


def _tap(monkeypatch: pytest.MonkeyPatch) -> Captured:
    """Keep who signed, for which request line, every signed body that has a context."""
    captured: Captured = []
    sign = Signer.authorization

    def authorization(
        self: Signer, body: bytes, created: int, expires: int, *, target: str | None = None
    ) -> str:
        try:
            document = json.loads(body) if body else None
        except ValueError:
            document = None
        if isinstance(document, dict) and "context" in document:
            captured.append((self.subscriber_id, self.key_id, target, document))
        return sign(self, body, created, expires, target=target)

    monkeypatch.setattr(Signer, "authorization", authorization)
    return captured


def _kind(switch_id: str, signer: str, document: dict[str, Any]) -> str:
    context = document["context"]
    if signer != switch_id:
        return "request"
    if context["bap_id"] == switch_id:
        return "decision call" if context["bpp_id"] != switch_id else "request"
    return "event"


@pytest.mark.slow
async def test_every_context_of_a_real_flow_passes_beckns_context_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    captured = _tap(monkeypatch)
    settings = demo_settings(sqlite_url(tmp_path), tmp_path)
    async with running_world(settings) as stage:
        for _, _, step in STORY:
            await asyncio.wait_for(step(stage), timeout=60)
        taobao = stage.client("taobao.example")
        await stage.world.wait_for("taobao.example", 1)
        path = await key_file(taobao, tmp_path)
        env = {
            "HUTONG_KEY_FILE": str(path),
            "HUTONG_SWITCH_URL": stage.switch_url,
            "HUTONG_CLI_JOURNAL": str(tmp_path / "sent"),
        }
        runner = CliRunner()
        commands = [
            ["self", "ping", "--note", "from the terminal", "--json"],
            ["self", "ping", "--note", "again", "--message-id", "cli-retry-1", "--json"],
            ["self", "ping", "--note", "again", "--message-id", "cli-retry-1", "--json"],
            ["self", "add-key", "--key-id", "cli2", "--json"],
        ]
        for args in commands:
            done = await asyncio.to_thread(runner.invoke, app, args, env=env)
            assert done.exit_code == 0, (args, done.output)

    switch_id = settings.switch_id
    kinds = Counter(_kind(switch_id, signer, document) for signer, _, _, document in captured)
    cli = [document for _, key_id, _, document in captured if key_id == "cli"]  # key_file's
    assert kinds["event"] >= 100 and kinds["decision call"] >= 10, kinds
    assert kinds["request"] >= 100, kinds
    assert len(cli) == len(commands)
    failures = {
        f"{signer} {target or document['context'].get('action')}": errors
        for signer, _, target, document in captured
        if (errors := context_errors(document["context"]))
    }
    assert failures == {}, f"{len(failures)} of {len(captured)} contexts fail"
    # Each request names the route it was sent to; the CLI's retry is the same bytes.
    for _, _, target, document in captured:
        if target is not None and target.startswith("post "):
            assert document["context"]["action"] == route_action(target.split(" ", 1)[1])
    retried = cli[1:3]
    assert retried[0] == retried[1]
    assert retried[0]["context"]["hutong_message_id"] == "cli-retry-1"
