"""`hutong` at a participant's terminal, and at the operator's.

`Terminal(network, folder)` runs the CLI (typer's CliRunner, in a thread so
the switch keeps serving) as a participant of the network: it gives that
participant a second key (`POST /v1/keys`, signed with its first), writes it
as the key file `hutong participant add` prints, and passes it and the
switch's URL in `HUTONG_KEY_FILE` / `HUTONG_SWITCH_URL`, the way an operator
of a platform would set up a shell. No database is named: a participant's
command must not need one.

`in_db(database_url)` runs it as the operator does, on the switch's database
(`HUTONG_DATABASE_URL`); `add` registers a participant that way,
`database_row_counts` counts every table's rows straight from the database
(to show a refused command wrote nothing) and `table_rows` reads a printed
Rich table back.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import typer
from sqlalchemy import create_engine, func, select
from typer.testing import CliRunner, Result

from hutong.cli.main import app
from hutong.client import Client
from hutong.protocol.signing import new_key_pair
from hutong.store.db import sync_url
from hutong.store.tables import metadata
from tests.harness.network import Network
from tests.harness.shop import Shop

#: `hutong ARGS...` run somewhere: returns typer's Result.
Hutong = Callable[..., Result]

CALLBACK = "http://127.0.0.1:9000/cb/shop.example"

runner = CliRunner()


def invoke(env: dict[str, str | None], *args: str) -> Result:
    return runner.invoke(app, list(args), env={"COLUMNS": "200"} | env)


async def on_shop(shop: Shop, *args: str) -> Result:
    """`hutong ARGS...` as the operator, on the shop's switch database (off the event loop)."""
    settings = shop.switch.services.settings
    env = {"HUTONG_DATABASE_URL": settings.database_url, "HUTONG_DATA_DIR": str(settings.data_dir)}
    return await asyncio.to_thread(invoke, env, *args)


async def key_file(client: Client, folder: Path) -> Path:
    """A second key for an already registered participant, written as a key file."""
    pair = new_key_pair()
    added = await client.post("/v1/keys", {"key_id": "cli", "public_key": pair.public_key})
    assert added.status_code == 200, added.text
    path = folder / f"{client.subscriber_id}.json"
    path.write_text(
        json.dumps(
            {
                "subscriber_id": client.subscriber_id,
                "key_id": "cli",
                "private_key": pair.private_key,
            }
        )
    )
    return path


def no_traceback(result: Result) -> None:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def answered(result: Result) -> Any:
    """The JSON a `--json` command printed; it must have succeeded."""
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def refused_with(result: Result, code: str) -> None:
    """The command exited 1 with `<code>: ...` on stderr, and no traceback."""
    no_traceback(result)
    assert result.exit_code == 1, result.output
    assert f"{code}:" in result.stderr, result.stderr


class Terminal:
    """Runs `hutong ARGS...` as one of `network`'s participants, with its own key file."""

    def __init__(self, network: Network, folder: Path) -> None:
        self.network = network
        self.folder = folder
        self.keys: dict[str, Path] = {}

    async def __call__(self, who: str, *args: str) -> Result:
        if who not in self.keys:
            self.keys[who] = await key_file(await self.network.client(who), self.folder)
        env: dict[str, str | None] = {
            "HUTONG_KEY_FILE": str(self.keys[who]),
            "HUTONG_SWITCH_URL": self.network.switch.url,
            "HUTONG_DATABASE_URL": None,
            "HUTONG_DATA_DIR": str(self.folder / "no-switch-here"),
        }
        result = await asyncio.to_thread(invoke, env, *args)
        no_traceback(result)
        return result


# -- the operator's terminal: the switch's database named in HUTONG_DATABASE_URL --------------


def in_db(database_url: str) -> Hutong:
    """Runs `hutong ARGS...` against the database at `database_url`."""

    def run(*args: str) -> Result:
        return invoke({"HUTONG_DATABASE_URL": database_url}, *args)

    return run


def add(hutong: Hutong, subscriber_id: str, *roles: str, callback: str = CALLBACK) -> Result:
    """`hutong participant add` with a fresh public key; it must succeed."""
    role_args = [arg for role in roles for arg in ("--role", role)]
    result = hutong(
        "participant",
        "add",
        subscriber_id,
        *role_args,
        "--callback",
        callback,
        "--public-key",
        new_key_pair().public_key,
    )
    assert result.exit_code == 0, result.output
    return result


def database_row_counts(database_url: str) -> dict[str, int]:
    """Rows in every table, by name, read from the database itself (no `Services` needed).

    The CLI's counterpart of `tests.harness.switch.row_counts`, which counts
    through a running switch's services.
    """
    engine = create_engine(sync_url(database_url))
    try:
        with engine.connect() as conn:
            return {
                table.name: int(conn.scalar(select(func.count()).select_from(table)) or 0)
                for table in metadata.sorted_tables
            }
    finally:
        engine.dispose()


def and_its_answer(counts: dict[str, int]) -> dict[str, int]:
    """`counts` and one message record: what a refused operator write leaves.

    The operator's writes are done once per message id (`hutong.cli.once.as_operator`):
    a refusal is their answer, recorded so that a retry under the id gets it
    again; nothing else of the write is kept.
    """
    return counts | {"messages": counts["messages"] + 1}


def table_rows(output: str) -> list[list[str]]:
    """The body rows of the Rich tables in `output`, as lists of stripped cells."""
    return [
        [cell.strip() for cell in line.strip().strip("│").split("│")]
        for line in output.splitlines()
        if line.lstrip().startswith("│")
    ]


#: A command's path in the CLI: ("order", "pay").
CommandPath = tuple[str, ...]


def commands(group: Any = None, path: CommandPath = ()) -> Iterator[tuple[CommandPath, Any]]:
    """Every command of the CLI (typer's own click), by its path."""
    for name, command in (group or typer.main.get_command(app)).commands.items():
        if hasattr(command, "commands"):
            yield from commands(command, (*path, name))
        else:
            yield (*path, name), command


def options(command: Any) -> set[str]:
    """Every option a command takes, each spelling (`--as`, `-a`)."""
    return {opt for param in command.params for opt in param.opts}
