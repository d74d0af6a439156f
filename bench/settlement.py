"""Closing a settlement window of a million transfers, against a plain count of them.

Per database, in one run:

    fill      ~50 participants with 4 CNY accounts each, and `--transfers` posted
              transfers between random accounts, bulk-loaded straight into the
              tables (COPY on PostgreSQL, executemany on SQLite): this measures
              closing, not posting. The accounts' posted totals are written to
              match the transfers, so the ledger stays consistent (`hutong ledger
              check` would pass; it is not run here).
    baseline  ``SELECT count(*)`` over the same seq range (best of 3): the least
              any query that reads the window's transfers can cost.
    close     `settlement.service.close` (lock the window, pick the cutoff, one
              GROUP BY over the window joining the accounts twice, net positions,
              instructions, store them, open the next window); best of
              `--rounds`, the stored window emptied between rounds.
    file      one participant's settlement file (its transfers read a page at a
              time, then rendered as CSV).

The stored positions are compared with net positions computed in Python while
the transfers were generated; a difference fails the run.

    .venv/bin/python -m bench.settlement [--transfers N] [--rounds R]
        [--database sqlite|postgres|both]

PostgreSQL is the database named by HUTONG_TEST_POSTGRES_URL; its tables are
EMPTIED first (so is any database handed to `close_window_benchmark`).
Results go to bench/results/settlement.json.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.engine import make_url

from bench._harness import reset_postgres, run_on_databases
from hutong.config import Settings
from hutong.ledger.settlement import net_positions
from hutong.ledger.settlement import service as settlement_service
from hutong.ledger.settlement.window_store import movement_sums
from hutong.runtime.services import Services
from hutong.store.db import Database, sync_url
from hutong.store.migrate import upgrade
from hutong.store.tables import (
    ledger_accounts,
    ledger_failures,
    ledger_transfers,
    settlement_instructions,
    settlement_positions,
    settlement_windows,
)

PARTICIPANTS = 50
ACCOUNTS_EACH = 4
CHUNK = 50_000
TRANSFER_COLUMNS = (
    "id",
    "debit_account_id",
    "credit_account_id",
    "amount",
    "asset",
    "code",
    "reference",
    "flags",
    "pending_id",
    "timeout",
    "requested_amount",
    "state",
    "created_at",
    "expires_at",
)


def _owner(n: int) -> str:
    return f"bench-p{n:02d}.example"


def _rows(
    transfers: int, start: datetime, seed: int
) -> Iterator[tuple[str, str, str, int, datetime]]:
    """(id, debit account, credit account, amount, created_at), reproducibly random."""
    rng = random.Random(seed)
    count = PARTICIPANTS * ACCOUNTS_EACH
    for n in range(transfers):
        debit = rng.randrange(count)
        credit = (debit + 1 + rng.randrange(count - 1)) % count
        yield (
            f"bench-t{n}",
            f"bench-a{debit}",
            f"bench-a{credit}",
            rng.randint(1, 100_000),
            start + timedelta(microseconds=n),
        )


def _accounts(totals: dict[str, list[int]], now: datetime) -> list[dict[str, Any]]:
    return [
        {
            "id": f"bench-a{i}",
            "owner": _owner(i // ACCOUNTS_EACH),
            "asset": "CNY",
            "kind": "settlement_position",
            "flags": 0,
            "debits_pending": 0,
            "debits_posted": totals[f"bench-a{i}"][0],
            "credits_pending": 0,
            "credits_posted": totals[f"bench-a{i}"][1],
            "created_at": now,
        }
        for i in range(PARTICIPANTS * ACCOUNTS_EACH)
    ]


def _posted(account: dict[str, Any]) -> tuple[int, int, str]:
    return account["debits_posted"], account["credits_posted"], account["id"]


def _fill(url: str, transfers: int, now: datetime) -> dict[tuple[str, str], int]:
    """Bulk-load accounts and transfers; returns the (debit owner, credit owner) sums."""
    start = now - timedelta(hours=1)
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    pairs: dict[tuple[str, str], int] = defaultdict(int)

    def tracked() -> Iterator[tuple[Any, ...]]:
        for tid, debit, credit, amount, created in _rows(transfers, start, seed=7):
            totals[debit][0] += amount
            totals[credit][1] += amount
            d, c = int(debit[7:]) // ACCOUNTS_EACH, int(credit[7:]) // ACCOUNTS_EACH
            pairs[(_owner(d), _owner(c))] += amount
            yield (
                tid,
                debit,
                credit,
                amount,
                "CNY",
                "payment",
                "",
                0,
                "",
                0,
                amount,
                "posted",
                created,
            )

    columns = ", ".join(TRANSFER_COLUMNS)
    if url.startswith("sqlite"):
        conn = sqlite3.connect(make_url(url).database or "")
        with conn:
            # Accounts first (the transfers' foreign keys name them), their
            # posted totals once the transfers that make them are loaded.
            names = list(_accounts(totals, now)[0])
            conn.executemany(
                f"INSERT INTO ledger_accounts ({', '.join(names)}) "
                f"VALUES ({', '.join('?' * len(names))})",
                [
                    tuple(
                        v.replace(tzinfo=None).isoformat(" ") if isinstance(v, datetime) else v
                        for v in a.values()
                    )
                    for a in _accounts(totals, now)
                ],
            )
            marks = ", ".join("?" * len(TRANSFER_COLUMNS))
            insert = f"INSERT INTO ledger_transfers ({columns}) VALUES ({marks})"
            batch: list[tuple[Any, ...]] = []
            for *row, created in tracked():
                batch.append((*row, created.replace(tzinfo=None).isoformat(" "), None))
                if len(batch) == CHUNK:
                    conn.executemany(insert, batch)
                    batch.clear()
            conn.executemany(insert, batch)
            conn.executemany(
                "UPDATE ledger_accounts SET debits_posted = ?, credits_posted = ? WHERE id = ?",
                [_posted(a) for a in _accounts(totals, now)],
            )
        conn.execute("ANALYZE")
        conn.close()
    else:
        import psycopg

        conninfo = make_url(sync_url(url)).set(drivername="postgresql")
        with psycopg.connect(conninfo.render_as_string(hide_password=False)) as conn:
            # Accounts first (the transfers' foreign keys name them), their
            # posted totals once the transfers that make them are loaded.
            accounts = _accounts(totals, now)
            names = list(accounts[0])
            conn.cursor().executemany(
                f"INSERT INTO ledger_accounts ({', '.join(names)}) "
                f"VALUES ({', '.join('%s' for _ in names)})",
                [tuple(a.values()) for a in accounts],
            )
            with (
                conn.cursor() as cur,
                cur.copy(f"COPY ledger_transfers ({columns}) FROM STDIN") as copy,
            ):
                for row in tracked():
                    copy.write_row((*row, None))
            conn.cursor().executemany(
                "UPDATE ledger_accounts SET debits_posted = %s, credits_posted = %s WHERE id = %s",
                [_posted(a) for a in _accounts(totals, now)],
            )
        with psycopg.connect(conninfo.render_as_string(hide_password=False), autocommit=True) as c:
            c.execute("VACUUM ANALYZE ledger_transfers")
            c.execute("VACUUM ANALYZE ledger_accounts")
    return pairs


async def _timed(work: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = await work
    return time.perf_counter() - started, result


async def _measure(url: str, transfers: int, rounds: int, pairs: dict[Any, int]) -> dict[str, Any]:
    services = Services(settings=Settings(database_url=url), db=Database(url))
    t = ledger_transfers
    try:
        async with services.db.read() as conn:
            last = int(await conn.scalar(select(func.max(t.c.seq))) or 0)
        counts = []
        for _ in range(3):
            async with services.db.read() as conn:
                query = select(func.count()).where(t.c.seq > 0, t.c.seq <= last)
                seconds, found = await _timed(conn.scalar(query))
            counts.append(seconds)
            assert found == transfers, found
        aggregates = []
        for _ in range(3):
            async with services.db.read() as conn:
                seconds, _sums = await _timed(movement_sums(conn, 0, last))
            aggregates.append(seconds)
        closes = []
        for _ in range(max(rounds, 1)):
            async with services.db.transaction() as conn:
                for table in (settlement_positions, settlement_instructions, settlement_windows):
                    await conn.execute(delete(table))
            seconds, closed = await _timed(settlement_service.close(services, by="bench"))
            closes.append(seconds)
        assert closed.window.transfer_count == transfers, closed.window.transfer_count
        expected = net_positions((d, c, "CNY", amount) for (d, c), amount in pairs.items())
        stored = (await settlement_service.detail(services, closed.window.id)).positions
        consistent = stored.bilateral_rows() == expected.bilateral_rows()
        seconds, found = await _timed(
            settlement_service.participant_file(services, closed.window.id, _owner(0))
        )
        started = time.perf_counter()
        size = len(found.to_csv())
        render = time.perf_counter() - started
    finally:
        await services.ledger().close()
        await services.db.dispose()
    count = min(counts)
    close = min(closes)
    return {
        "transfers": transfers,
        "participants": PARTICIPANTS,
        "accounts": PARTICIPANTS * ACCOUNTS_EACH,
        "count_seconds": round(count, 4),
        "aggregate_seconds": round(min(aggregates), 4),
        "close_seconds": round(close, 4),
        "close_vs_count": round(close / count, 2),
        "close_rounds": [round(s, 4) for s in closes],
        "instructions": len(closed.instructions),
        "file_participant": _owner(0),
        "file_lines": len(found.lines),
        "file_bytes": size,
        "file_read_seconds": round(seconds, 4),
        "file_csv_seconds": round(render, 4),
        "file_vs_count": round((seconds + render) / count, 2),
        "consistent": consistent,
    }


def _empty(url: str) -> None:
    if url.startswith("postgresql"):
        reset_postgres(url)
        return
    upgrade(url)
    from sqlalchemy import create_engine

    engine = create_engine(sync_url(url))
    with engine.begin() as conn:
        for table in (
            settlement_positions,
            settlement_instructions,
            settlement_windows,
            ledger_transfers,
            ledger_failures,
            ledger_accounts,
        ):
            conn.execute(delete(table))
    engine.dispose()


def close_window_benchmark(
    url: str, transfers: int = 1_000_000, *, rounds: int = 2
) -> dict[str, Any]:
    """Fill the (EMPTIED) database at `url` with `transfers` and time closing one window.

    Returns the figures (also printed); ``consistent`` says whether the stored
    positions equal those computed while generating the transfers.
    """
    label = "sqlite" if url.startswith("sqlite") else "postgres"
    _empty(url)
    now = datetime.now(UTC)
    started = time.perf_counter()
    pairs = _fill(url, transfers, now)
    fill = time.perf_counter() - started
    result = {"database": label, "fill_seconds": round(fill, 2)}
    result |= asyncio.run(_measure(url, transfers, rounds, pairs))
    print(
        f"[{label}] {transfers:,} transfers (filled in {fill:.1f} s): "
        f"count(*) {result['count_seconds']:.3f} s, GROUP BY {result['aggregate_seconds']:.3f} s, "
        f"close {result['close_seconds']:.3f} s = {result['close_vs_count']}x count; "
        f"{result['file_participant']}'s file: {result['file_lines']:,} lines in "
        f"{result['file_read_seconds'] + result['file_csv_seconds']:.3f} s "
        f"= {result['file_vs_count']}x count; consistent: {result['consistent']}"
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--transfers", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=2, help="closes timed (best kept)")
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()
    if args.transfers < 1:
        parser.error("--transfers must be at least 1")
    runs: list[dict[str, Any]] = []

    def run(label: str, database_url: str | None, args: argparse.Namespace) -> dict[str, Any]:
        if database_url is None:
            with tempfile.TemporaryDirectory(prefix="hutong-bench-") as scratch:
                url = f"sqlite+aiosqlite:///{scratch}/hutong.db"
                runs.append(close_window_benchmark(url, args.transfers, rounds=args.rounds))
        else:
            runs.append(close_window_benchmark(database_url, args.transfers, rounds=args.rounds))
        return runs[-1]

    run_on_databases("settlement", run, args)
    if not all(r["consistent"] for r in runs):
        raise SystemExit("stored positions differ from the transfers' net positions")


if __name__ == "__main__":
    main()
