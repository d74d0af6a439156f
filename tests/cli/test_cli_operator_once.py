"""The operator's own CLI writes are done once per `--message-id`, or need none.

`hutong participant add`, `group set`, `settle close`, ... write the switch's
database as the operator's routes do, through the exactly-once record in the
operator's key space: the same command with the same `--message-id` shows
the first answer again and changes no row; another request under the id is
refused ``message_id_conflict`` and changes nothing either. The walk below
sorts every command that acts on the database without `--as` or a key file:
a new one fails it until it is a read, a set-up tool, a write that needs no
id (proved here) or a recorded write (walked here).
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime

from sqlalchemy import select
from typer.testing import Result

from hutong.config import Settings
from hutong.protocol.signing import new_key_pair
from hutong.runtime.operator_messages import OPERATOR
from hutong.runtime.services import Services
from hutong.store.db import Database
from hutong.store.tables import messages
from tests.harness.cli import (
    CALLBACK,
    CommandPath,
    add,
    commands,
    database_row_counts,
    in_db,
    options,
    refused_with,
)
from tests.harness.subscriptions import record_pending
from tests.harness.switch import Switch, row_counts

#: Commands that set a switch up or work alone, not on a running switch's records.
SETUP = {
    ("serve",),
    ("deliver",),
    ("demo",),
    ("replay",),
    ("migrate",),
    ("keys", "new"),
    ("sign", "make"),
    ("sign", "verify"),
    ("world", "synth"),
}
#: The operator's reads.
READS = {
    ("participant", "list"),
    ("participant", "show"),
    ("participant", "subscriptions"),
    ("group", "list"),
    ("group", "show"),
    ("audit", "show"),
    ("events", "list"),
    ("events", "listen"),
    ("ledger", "check"),
    ("policy", "show"),
    ("share", "parse"),
    ("share", "make"),  # makes the switch's share-code key the first time, once
    ("pickup", "search"),
    ("pay", "list"),
    ("pay", "for-me", "show"),
    ("points", "offers"),
    ("transfer", "list"),
    ("order", "schedules"),
    ("settle", "show"),
    ("settle", "answers"),
    ("liquidity", "show"),
}
#: Writes whose repeat is one effect already (`test_writes_that_need_no_id_...`).
NATURAL = {
    ("participant", "suspend"),
    ("participant", "reactivate"),
    ("participant", "revoke"),
    ("events", "prune"),
    ("audit", "run"),
    ("audit", "refresh"),
}


def operator_commands() -> dict[CommandPath, set[str]]:
    """The commands that act on the database as the operator (no `--as`, no key file)."""
    participant_ways = {"--as", "--operator", "--key-file"}
    return {
        path: options(command)
        for path, command in commands()
        if not options(command) & participant_ways
    }


async def pending_subscription(database_url: str, *subscribers: str) -> None:
    """Beckn subscriptions awaiting the operator's approval (as `/subscribe` leaves them)."""
    now = datetime.now(UTC)
    services = Services(settings=Settings(database_url=database_url), db=Database(database_url))
    try:
        for seller in subscribers:
            await record_pending(services.db, seller, now)
    finally:
        await services.db.dispose()


async def recorded_by(database_url: str, message_id: str) -> list[str]:
    """Who recorded an answer under `message_id`."""
    db = Database(database_url)
    try:
        async with db.read() as conn:
            found = await conn.execute(
                select(messages.c.sender).where(messages.c.message_id == message_id)
            )
            return [sender for (sender,) in found]
    finally:
        await db.dispose()


def the_writes(key: str) -> dict[CommandPath, tuple[tuple[str, ...], tuple[str, ...]]]:
    """Each recorded write: its arguments, and another request (a whole command) under its id."""
    key_args = ("--callback", CALLBACK, "--public-key", key, "-r", "merchant")
    cap = ("alipay.example", "--prefunded", "80000")
    return {
        ("participant", "add"): (
            ("shop.example", *key_args, "--name", "Shop"),
            ("participant", "add", "shop.example", *key_args, "--name", "Another shop"),
        ),
        ("participant", "approve"): (
            ("seller.example",),
            ("participant", "approve", "other-seller.example"),
        ),
        ("group", "set"): (
            ("alibaba", "tmall.example", "--from", "2024-01-01"),
            ("group", "set", "alibaba", "tmall.example", "--from", "2024-02-01"),
        ),
        ("liquidity", "set"): (
            (*cap, "--cap", "50000"),
            ("liquidity", "set", *cap, "--cap", "60000"),
        ),
        ("settle", "close"): ((), ("settle", "close", "--until", "2020-01-01T00:00:00+00:00")),
        ("settle", "settle"): (("window-1",), ("settle", "settle", "window-2")),
        # A seed takes no arguments: the other request is the other seed.
        ("policy", "seed"): ((), ("pay", "acceptance", "seed")),
        ("pay", "acceptance", "seed"): ((), ("policy", "seed")),
    }


async def test_every_operator_write_is_recorded_under_its_message_id_and_answered_again(
    database_url: str,
) -> None:
    """Each operator command that writes goes through the exactly-once record.

    Listed in `SETUP`, `READS` or `NATURAL`, or walked: its write is recorded
    under the operator and the message id, the same command again shows the
    same answer and changes no row, and another request under the id is
    refused ``message_id_conflict`` and changes no row either.
    """
    hutong = in_db(database_url)

    async def run(*args: str) -> Result:
        return await asyncio.to_thread(hutong, *args)

    writes = the_writes(new_key_pair().public_key)
    operator = operator_commands()
    unsorted = set(operator) - SETUP - READS - NATURAL - set(writes)
    assert unsorted == set(), "sort the new operator command here"
    assert {path for path in writes if "--message-id" not in operator[path]} == set()

    for subscriber_id, role in (("tmall.example", "platform"), ("alipay.example", "wallet")):
        await asyncio.to_thread(add, hutong, subscriber_id, role)
    await pending_subscription(database_url, "seller.example", "other-seller.example")
    for path in (("settle", "close"), ("settle", "close")):  # window-1 and window-2 closed
        assert (await run(*path)).exit_code == 0

    for n, (path, (args, other)) in enumerate(writes.items()):
        message_id = f"walk-{n}"
        first = await run(*path, *args, "--message-id", message_id)
        assert first.exit_code == 0, (path, first.output)
        assert await recorded_by(database_url, message_id) == [OPERATOR], path
        before = database_row_counts(database_url)

        again = await run(*path, *args, "--message-id", message_id)
        assert (again.exit_code, again.stdout) == (first.exit_code, first.stdout), path
        assert database_row_counts(database_url) == before, path  # changed nothing

        changed = await run(*other, "--message-id", message_id)
        refused_with(changed, "message_id_conflict")
        assert database_row_counts(database_url) == before, path


def test_without_a_message_id_the_new_one_is_said_and_repeats_the_registration(
    database_url: str,
) -> None:
    hutong = in_db(database_url)
    args = ("participant", "add", "shop.example", "-r", "merchant", "--callback", CALLBACK)
    given = ("--public-key", new_key_pair().public_key)
    first = hutong(*args, *given)
    said = re.search(r"message id: (\S+)", first.stderr)
    assert first.exit_code == 0 and said is not None, first.output

    again = hutong(*args, *given, "--message-id", said.group(1))

    assert again.exit_code == 0, again.output
    assert again.stdout == first.stdout


def test_a_generated_key_is_shown_by_the_first_run_only(database_url: str) -> None:
    hutong = in_db(database_url)
    args = ("participant", "add", "shop.example", "-r", "merchant", "--callback", CALLBACK)
    first = hutong(*args, "--message-id", "add-1")
    assert first.exit_code == 0 and '"private_key"' in first.stdout, first.output
    before = database_row_counts(database_url)

    again = hutong(*args, "--message-id", "add-1")

    assert again.exit_code == 0, again.output
    assert "private_key" not in again.stdout
    assert "shown by that run only" in again.stderr
    assert database_row_counts(database_url) == before


def test_writes_that_need_no_id_change_nothing_when_repeated(database_url: str) -> None:
    """A status change to the status a participant has, a prune, the audit's stored runs."""
    hutong = in_db(database_url)
    add(hutong, "shop.example", "merchant")
    repeated = [
        ("participant", "suspend", "shop.example", "--reason", "audit"),
        ("participant", "reactivate", "shop.example"),
        ("participant", "revoke", "shop.example"),
        ("events", "prune", "--days", "1"),
        ("audit", "run", "--from", "2024-01-01", "--to", "2024-02-01", "--json"),
        ("audit", "refresh", "--from", "2024-01-01", "--to", "2024-02-01"),
    ]
    for args in repeated:
        first = hutong(*args)
        assert first.exit_code == 0, (args, first.output)
        before = database_row_counts(database_url)
        again = hutong(*args)
        assert again.exit_code == 0, (args, again.output)
        assert database_row_counts(database_url) == before, args
        if args[0] == "participant":
            assert again.stdout == first.stdout, args


async def test_a_cli_write_and_the_same_http_write_under_one_key_are_one_write(
    switch: Switch,
) -> None:
    """`hutong group set --message-id K` and `POST /operator/groups` with `Idempotency-Key: K`
    and the body the route takes are the same request: the second is the first's answer."""
    hutong = in_db(switch.services.settings.database_url)
    await asyncio.to_thread(add, hutong, "tmall.example", "platform")
    cli = await asyncio.to_thread(
        hutong, "group", "set", "alibaba", "tmall.example", "--from", "2024-01-01",
        "--message-id", "both-1",
    )  # fmt: skip
    assert cli.exit_code == 0, cli.output
    before = await row_counts(switch.services)

    body = {"name": "alibaba", "members": ["tmall.example"], "valid_from": "2024-01-01"}
    http = await switch.operator.post(
        "/operator/groups", json=body | {"allied": []}, headers={"Idempotency-Key": "both-1"}
    )

    assert http.status_code == 201, http.text
    assert http.headers["x-hutong-replay"] == "true"
    assert http.json()["version"] == 1
    assert await row_counts(switch.services) == before
