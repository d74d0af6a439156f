"""Migration 0029: a transfer left ``reserved`` is ``asking``, and ``reserved`` again going back.

Both meant the same thing (the execute recorded, the wallets being asked);
only the name said more than had happened. The CHECK moves with the rows.
"""

from __future__ import annotations

from sqlalchemy import insert, select

from hutong.store.migrate import upgrade
from hutong.store.tables import transfers
from tests.store.test_database_invariants import (  # noqa: F401 (scratch_url: a fixture)
    accepted,
    downgrade,
    raw_engine,
    refused,
    scratch_url,
    some_row,
)


def test_a_reserved_transfer_becomes_asking_and_back(scratch_url: str) -> None:  # noqa: F811
    upgrade(scratch_url, "0026")
    engine = raw_engine(scratch_url)
    try:
        with engine.begin() as conn:
            conn.execute(insert(transfers), some_row(transfers, id="t-reserved", state="reserved"))
            conn.execute(insert(transfers), some_row(transfers, id="t-quoted", state="quoted"))
        engine.dispose()

        upgrade(scratch_url)
        with engine.begin() as conn:
            states = dict(conn.execute(select(transfers.c.id, transfers.c.state)).all())
        assert states == {"t-reserved": "asking", "t-quoted": "quoted"}
        assert refused(
            engine,
            insert(transfers),
            some_row(transfers, state="reserved"),
            by="ck_transfers_state_known",
        )
        engine.dispose()

        downgrade(scratch_url, "0026")
        with engine.begin() as conn:
            states = dict(conn.execute(select(transfers.c.id, transfers.c.state)).all())
        assert states == {"t-reserved": "reserved", "t-quoted": "quoted"}
        assert accepted(engine, insert(transfers), some_row(transfers, state="reserved"))
    finally:
        engine.dispose()
