"""`hutong events list`: the outbox as the operator sees it.

Every change of a participant's status leaves an `on_participant_status` event for
that participant in the outbox, in the same transaction. The command lists events
oldest first, one row each (sequence number, event id, recipient, action, status,
tries, creation time, last error), can filter by recipient and by status, and ends
with one line counting the whole outbox by status. `hutong events prune` removes
the events delivered or given up longer ago than the retention and says how many.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, select, update
from typer.testing import CliRunner, Result

from hutong.cli.main import app
from hutong.protocol.signing import new_key_pair
from hutong.store.db import sync_url
from hutong.store.tables import outbox

Hutong = Callable[..., Result]
Row = dict[str, str]

COLUMNS = ("#", "event id", "to", "action", "status", "tries", "created (UTC)", "last error")

runner = CliRunner()


@pytest.fixture
def hutong(database_url: str) -> Hutong:
    """Runs `hutong ARGS...` against the test database, on a terminal wide enough for tables."""
    env = {"HUTONG_DATABASE_URL": database_url, "COLUMNS": "200"}

    def run(*args: str) -> Result:
        return runner.invoke(app, list(args), env=env)

    return run


def add(hutong: Hutong, subscriber_id: str) -> None:
    result = hutong(
        "participant",
        "add",
        subscriber_id,
        "--role",
        "merchant",
        "--callback",
        f"http://127.0.0.1:9000/cb/{subscriber_id}",
        "--public-key",
        new_key_pair().public_key,
    )
    assert result.exit_code == 0, result.output


def change(hutong: Hutong, command: str, subscriber_id: str, *args: str) -> None:
    result = hutong("participant", command, subscriber_id, *args)
    assert result.exit_code == 0, result.output


def events(hutong: Hutong, *options: str) -> tuple[list[Row], str]:
    """The rows of `hutong events list OPTIONS` and its summary (last) line."""
    result = hutong("events", "list", *options)
    assert result.exit_code == 0, result.output
    rows = [
        dict(
            zip(COLUMNS, [cell.strip() for cell in line.strip().strip("│").split("│")], strict=True)
        )
        for line in result.stdout.splitlines()
        if line.lstrip().startswith("│")
    ]
    return rows, result.stdout.strip().splitlines()[-1]


def set_status(
    database_url: str, event_id: str, status: str, last_error: str = "", days_ago: int = 0
) -> None:
    """Mark an event as the worker would, its last attempt `days_ago` days ago."""
    engine = create_engine(sync_url(database_url))
    try:
        with engine.begin() as conn:
            conn.execute(
                update(outbox)
                .where(outbox.c.event_id == event_id)
                .values(
                    status=status,
                    attempts=3,
                    last_error=last_error or None,
                    last_attempt_at=datetime.now(UTC) - timedelta(days=days_ago),
                )
            )
    finally:
        engine.dispose()


def event_ids(database_url: str) -> list[str]:
    engine = create_engine(sync_url(database_url))
    try:
        with engine.connect() as conn:
            return list(conn.scalars(select(outbox.c.event_id).order_by(outbox.c.id)))
    finally:
        engine.dispose()


def test_an_empty_outbox_lists_nothing_and_counts_zero(hutong: Hutong) -> None:
    add(hutong, "shop.example")  # registering alone sends no event

    rows, summary = events(hutong)

    assert rows == []
    assert summary == "pending: 0, delivered: 0, dead: 0"


def test_suspending_a_participant_leaves_a_pending_status_event(
    hutong: Hutong, database_url: str
) -> None:
    add(hutong, "shop.example")
    change(hutong, "suspend", "shop.example", "--reason", "unpaid fees")

    rows, summary = events(hutong)

    assert len(rows) == 1
    row = rows[0]
    assert row["event id"] == event_ids(database_url)[0]
    assert row["event id"].startswith("evt_")
    assert row["to"] == "shop.example"
    assert row["action"] == "on_participant_status"
    assert row["status"] == "pending"
    assert row["tries"] == "0"
    assert row["last error"] == ""
    assert summary == "pending: 1, delivered: 0, dead: 0"


def test_suspending_an_already_suspended_participant_adds_no_event(hutong: Hutong) -> None:
    add(hutong, "shop.example")
    change(hutong, "suspend", "shop.example")
    change(hutong, "suspend", "shop.example")

    rows, summary = events(hutong)

    assert len(rows) == 1
    assert summary == "pending: 1, delivered: 0, dead: 0"


def test_events_are_listed_oldest_first_and_filtered_by_participant(
    hutong: Hutong, database_url: str
) -> None:
    add(hutong, "shop.example")
    add(hutong, "wallet.example")
    change(hutong, "suspend", "shop.example")
    change(hutong, "suspend", "wallet.example")
    change(hutong, "reactivate", "shop.example")
    ids = event_ids(database_url)

    everything, _ = events(hutong)
    assert [row["event id"] for row in everything] == ids
    assert [row["#"] for row in everything] == ["1", "2", "3"]
    assert [row["to"] for row in everything] == ["shop.example", "wallet.example", "shop.example"]

    shop, summary = events(hutong, "--participant", "shop.example")
    assert [row["event id"] for row in shop] == [ids[0], ids[2]]
    assert {row["to"] for row in shop} == {"shop.example"}
    # The summary counts the whole outbox, whatever the filter.
    assert summary == "pending: 3, delivered: 0, dead: 0"

    nobody, _ = events(hutong, "--participant", "nobody.example")
    assert nobody == []


def test_events_are_filtered_by_status_and_counted_by_status(
    hutong: Hutong, database_url: str
) -> None:
    add(hutong, "shop.example")
    change(hutong, "suspend", "shop.example")
    change(hutong, "reactivate", "shop.example")
    change(hutong, "revoke", "shop.example")
    first, second, third = event_ids(database_url)
    set_status(database_url, first, "delivered")
    set_status(database_url, second, "dead", last_error="HTTP 503: endpoint is down")

    delivered, summary = events(hutong, "--status", "delivered")
    assert [row["event id"] for row in delivered] == [first]
    assert delivered[0]["status"] == "delivered"
    assert delivered[0]["tries"] == "3"
    assert summary == "pending: 1, delivered: 1, dead: 1"

    dead, _ = events(hutong, "--status", "dead")
    assert [row["event id"] for row in dead] == [second]
    assert dead[0]["last error"] == "HTTP 503: endpoint is down"

    pending, _ = events(hutong, "--status", "pending")
    assert [row["event id"] for row in pending] == [third]

    mine, _ = events(hutong, "--participant", "shop.example", "--status", "dead")
    assert [row["event id"] for row in mine] == [second]


def test_limit_and_after_page_through_the_outbox(hutong: Hutong, database_url: str) -> None:
    add(hutong, "shop.example")
    for command in ("suspend", "reactivate", "suspend", "reactivate"):
        change(hutong, command, "shop.example")
    ids = event_ids(database_url)

    page, _ = events(hutong, "--limit", "2")
    assert [row["event id"] for row in page] == ids[:2]
    page, _ = events(hutong, "--limit", "2", "--after", page[-1]["#"])
    assert [row["event id"] for row in page] == ids[2:4]


def test_an_unknown_status_is_a_usage_error(hutong: Hutong) -> None:
    result = hutong("events", "list", "--status", "lost")

    assert result.exit_code == 2, result.output
    assert "--status" in result.output


def test_prune_removes_finished_events_past_the_retention_and_says_how_many(
    hutong: Hutong, database_url: str
) -> None:
    add(hutong, "shop.example")
    for command in ("suspend", "reactivate", "suspend", "reactivate", "suspend"):
        change(hutong, command, "shop.example")
    old_delivered, old_dead, old_retrying, recent, newest = event_ids(database_url)
    set_status(database_url, old_delivered, "delivered", days_ago=31)
    set_status(database_url, old_dead, "dead", last_error="HTTP 503", days_ago=31)
    set_status(database_url, old_retrying, "pending", last_error="HTTP 503", days_ago=31)
    set_status(database_url, recent, "delivered", days_ago=29)
    set_status(database_url, newest, "delivered", days_ago=31)  # the newest always stays

    result = hutong("events", "prune")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "pruned 2 event(s) delivered or given up over 30 days ago"
    assert event_ids(database_url) == [old_retrying, recent, newest]

    # A shorter retention, given by hand, takes the recent one too.
    result = hutong("events", "prune", "--days", "7")
    assert result.stdout.strip() == "pruned 1 event(s) delivered or given up over 7 days ago"
    assert event_ids(database_url) == [old_retrying, newest]


def test_prune_keeps_everything_when_the_retention_is_zero(
    hutong: Hutong, database_url: str
) -> None:
    add(hutong, "shop.example")
    change(hutong, "suspend", "shop.example")
    change(hutong, "reactivate", "shop.example")
    first, _ = event_ids(database_url)
    set_status(database_url, first, "delivered", days_ago=4000)

    result = runner.invoke(
        app,
        ["events", "prune"],
        env={"HUTONG_DATABASE_URL": database_url, "HUTONG_OUTBOX_RETENTION_DAYS": "0"},
    )
    assert result.exit_code == 0, result.output
    assert "nothing pruned" in result.stdout
    assert len(event_ids(database_url)) == 2
