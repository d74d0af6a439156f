"""The database refuses what the code never writes, even when the code is bypassed.

The ledger engine and the state machines refuse first, with their own error
codes; these tests write raw rows (no engine, no service) to show that the
database is the second line: CHECK constraints on amounts, totals and states,
foreign keys from ledger transfers to their accounts, and the no-overdraft
rule of flagged accounts. Each refusal sits next to an accepted valid row, so
no test passes because every write fails.
"""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

import pytest
from alembic import command
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Connection,
    Date,
    Engine,
    Integer,
    String,
    Table,
    UniqueConstraint,
    create_engine,
    event,
    func,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError

from hutong.commerce.orders import OrderState
from hutong.commerce.storefronts import StorefrontStatus
from hutong.ledger.models import (
    AccountFlags,
    AccountKind,
    PendingState,
    TransferCode,
    TransferFlags,
)
from hutong.ledger.settlement import WindowState
from hutong.logistics.statuses import Status as ShipmentStatus
from hutong.net.call_journal import Outcome
from hutong.payments.checkout import PaymentState
from hutong.payments.pay_for_me import PayForMeState
from hutong.payments.points import ExchangeState
from hutong.payments.transfers import TransferState
from hutong.protocol.justifications import JustificationCode
from hutong.registry.models import Status as ParticipantStatus
from hutong.store import evidence_tables, tables
from hutong.store.db import sync_url
from hutong.store.migrate import alembic_config, upgrade
from hutong.store.tables import (
    ledger_accounts,
    ledger_transfers,
    metadata,
    orders,
    payment_attempts,
    payments,
    transfers,
)
from hutong.store.types import UTCDateTime
from tests.harness.ledger_rows import account, transfer
from tests.harness.switch import POSTGRES_URL

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def _enforce_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    # As the switch's own connections do (hutong.store.db): SQLite leaves them off.
    dbapi_connection.execute("PRAGMA foreign_keys=ON")


def raw_engine(url: str) -> Engine:
    """A plain SQLAlchemy engine on the database: nothing of Hutong in the way."""
    engine = create_engine(sync_url(url))
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _enforce_foreign_keys)
    return engine


@pytest.fixture
def raw(database_url: str) -> Iterator[Engine]:
    engine = raw_engine(database_url)
    yield engine
    engine.dispose()


def refusal(engine: Engine, statement: Any, rows: Any = None) -> str:
    """Why the database refused the write, or "" when it took it (and committed)."""
    try:
        with engine.begin() as conn:
            conn.execute(statement, rows)
    except (IntegrityError, DBAPIError) as error:
        return str(error.orig)
    return ""


def refused(engine: Engine, statement: Any, rows: Any = None, *, by: str | tuple[str, ...]) -> bool:
    """True when the database refuses the write because of a constraint named in `by`.

    (A row that breaks two rules may be refused by either: which one a
    database checks first is its own business.)
    """
    why = refusal(engine, statement, rows)
    for name in (by,) if isinstance(by, str) else by:
        if name.startswith("fk_") and engine.dialect.name == "sqlite":
            if "FOREIGN KEY constraint failed" in why:  # SQLite does not name it
                return True
        elif name in why:
            return True
    return False


def accepted(engine: Engine, statement: Any, rows: Any = None) -> bool:
    why = refusal(engine, statement, rows)
    assert why == "", why
    return True


# -- rows --------------------------------------------------------------------------------

_serial = itertools.count(1)


def some_row(table: Table, **overrides: Any) -> dict[str, Any]:
    """A row every constraint of `table` accepts: unique keys, amounts of 1, known states."""
    n = next(_serial)
    keys = {c.name for c in table.primary_key} | {
        c.name
        for constraint in table.constraints
        if isinstance(constraint, UniqueConstraint)
        for c in constraint.columns
    }
    row: dict[str, Any] = {}
    for column in table.columns:
        if column.autoincrement is True:
            continue
        kind = column.type
        if isinstance(kind, UTCDateTime):
            row[column.name] = NOW
        elif isinstance(kind, Date):
            row[column.name] = date(2024, 5, 1)
        elif isinstance(kind, Boolean):
            row[column.name] = False
        elif isinstance(kind, String) and kind.length is not None:
            row[column.name] = f"{n}-{column.name}"[: kind.length]
        elif isinstance(kind, String):  # Text
            row[column.name] = "{}"
        elif isinstance(kind, Integer):  # BigInteger too
            row[column.name] = n if column.name in keys else 1
        else:
            row[column.name] = 1
    for constraint in table.constraints:
        if isinstance(constraint, CheckConstraint) and "values" in constraint.info:
            row[constraint.info["column"]] = constraint.info["values"][0]
    row.update(_VALID.get(table.name, {}))
    return row | overrides


#: What a generic row needs to satisfy a table's cross-column rules.
_VALID: dict[str, dict[str, Any]] = {
    "ledger_accounts": {"flags": 0},
    "ledger_transfers": {
        "debit_account_id": "payer",
        "credit_account_id": "payee",
        # A hold: a state other than `posted` then breaks only the list of states.
        "flags": int(TransferFlags.PENDING),
        "state": "pending",
    },
    "transfers": {"amount": 2, "payer_fee": 1, "payee_fee": 1, "total_debit": 3, "credited": 1},
}


def known_state_columns() -> list[tuple[str, str]]:
    return sorted(
        (table.name, constraint.info["column"])
        for table in metadata.sorted_tables
        for constraint in table.constraints
        if isinstance(constraint, CheckConstraint) and "values" in constraint.info
    )


@pytest.fixture
def two_accounts(raw: Engine) -> Engine:
    with raw.begin() as conn:
        conn.execute(insert(ledger_accounts), [account("payer"), account("payee")])
    return raw


# -- ledger transfers ---------------------------------------------------------------------


def test_a_valid_transfer_between_two_existing_accounts_is_accepted(two_accounts: Engine) -> None:
    assert accepted(two_accounts, insert(ledger_transfers), transfer("t1", "payer", "payee", 100))


@pytest.mark.parametrize("amount", [-100, 0])
def test_a_transfer_moves_a_positive_amount(two_accounts: Engine, amount: int) -> None:
    assert refused(
        two_accounts,
        insert(ledger_transfers),
        # requested_amount 0: the row breaks this one rule only (a recreated SQLite
        # table may check its constraints in another order).
        transfer("t1", "payer", "payee", amount, requested_amount=0),
        by="ck_ledger_transfers_amount_positive",
    )


def test_a_post_of_the_whole_hold_stores_the_held_amount_and_may_ask_for_zero(
    two_accounts: Engine,
) -> None:
    # What the engine writes for `post_pending` with amount 0 ("the whole hold").
    hold = transfer(
        "hold", "payer", "payee", 100, flags=int(TransferFlags.PENDING), state="posted_pending"
    )
    post = transfer(
        "post",
        "payer",
        "payee",
        100,
        flags=int(TransferFlags.POST_PENDING),
        pending_id="hold",
        requested_amount=0,
    )
    assert accepted(two_accounts, insert(ledger_transfers), [hold, post])
    assert refused(
        two_accounts,
        insert(ledger_transfers),
        transfer("again", "payer", "payee", 100, requested_amount=-1),
        by="ck_ledger_transfers_requested_amount_not_negative",
    )


def test_a_transfer_debits_and_credits_different_accounts(two_accounts: Engine) -> None:
    assert refused(
        two_accounts,
        insert(ledger_transfers),
        transfer("t1", "payer", "payer", 100),
        by="ck_ledger_transfers_accounts_differ",
    )


@pytest.mark.parametrize("side", ["debit_account_id", "credit_account_id"])
def test_a_transfer_names_accounts_that_exist(two_accounts: Engine, side: str) -> None:
    row = transfer("t1", "payer", "payee", 100) | {side: "nobody"}
    assert refused(
        two_accounts,
        insert(ledger_transfers),
        row,
        by=f"fk_ledger_transfers_{side}_ledger_accounts",
    )


def test_an_account_with_transfers_cannot_be_deleted(two_accounts: Engine) -> None:
    with two_accounts.begin() as conn:
        conn.execute(insert(ledger_transfers), transfer("t1", "payer", "payee", 100))
    assert refused(
        two_accounts,
        ledger_accounts.delete().where(ledger_accounts.c.id == "payer"),
        by="fk_ledger_transfers_debit_account_id_ledger_accounts",
    )


def test_a_transfer_has_a_known_state_and_code(two_accounts: Engine) -> None:
    assert refused(
        two_accounts,
        insert(ledger_transfers),
        transfer("t1", "payer", "payee", 1, flags=int(TransferFlags.PENDING), state="lost"),
        by="ck_ledger_transfers_state_known",
    )
    assert refused(
        two_accounts,
        insert(ledger_transfers),
        transfer("t2", "payer", "payee", 1, code="gift"),
        by="ck_ledger_transfers_code_known",
    )


def test_only_a_pending_transfer_has_a_pending_state(two_accounts: Engine) -> None:
    pending = int(TransferFlags.PENDING)
    assert accepted(
        two_accounts,
        insert(ledger_transfers),
        transfer("hold", "payer", "payee", 1, flags=pending, state=PendingState.PENDING.value),
    )
    assert refused(
        two_accounts,
        insert(ledger_transfers),
        transfer("plain", "payer", "payee", 1, state=PendingState.PENDING.value),
        by="ck_ledger_transfers_state_follows_flags",
    )
    assert refused(
        two_accounts,
        insert(ledger_transfers),
        transfer("hold-2", "payer", "payee", 1, flags=pending, state="posted"),
        by="ck_ledger_transfers_state_follows_flags",
    )


# -- ledger accounts: totals and the no-overdraft rule ---------------------------------------


@pytest.mark.parametrize(
    "total", ["debits_pending", "debits_posted", "credits_pending", "credits_posted"]
)
def test_an_accounts_totals_never_go_negative(two_accounts: Engine, total: str) -> None:
    change = update(ledger_accounts).where(ledger_accounts.c.id == "payee")
    assert accepted(two_accounts, change.values({total: 5}))
    assert refused(
        two_accounts, change.values({total: -1}), by=f"ck_ledger_accounts_{total}_not_negative"
    )


def test_an_account_without_limits_may_go_below_zero(raw: Engine) -> None:
    assert accepted(raw, insert(ledger_accounts), account("funding", debits_posted=500))


def test_a_no_overdraft_account_never_owes_more_than_came_in(raw: Engine) -> None:
    limited = int(AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS)
    with raw.begin() as conn:
        conn.execute(insert(ledger_accounts), account("alice", limited, credits_posted=100))
    change = update(ledger_accounts).where(ledger_accounts.c.id == "alice")

    assert accepted(raw, change.values(debits_posted=100))  # down to exactly zero
    overdraft = "ck_ledger_accounts_debits_within_credits"
    assert refused(raw, change.values(debits_posted=101), by=overdraft)
    # A hold counts against the balance too.
    assert refused(raw, change.values(debits_posted=60, debits_pending=41), by=overdraft)
    assert accepted(raw, change.values(debits_posted=60, debits_pending=40))
    # Nor can an overdrawn account be written in one go.
    assert refused(
        raw, insert(ledger_accounts), account("bob", limited, debits_posted=1), by=overdraft
    )


def test_a_credit_limited_account_is_never_credited_beyond_its_debits(raw: Engine) -> None:
    limited = int(AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS)
    with raw.begin() as conn:
        conn.execute(insert(ledger_accounts), account("float", limited, debits_posted=100))
    change = update(ledger_accounts).where(ledger_accounts.c.id == "float")

    assert accepted(raw, change.values(credits_posted=70, credits_pending=30))
    assert refused(
        raw,
        change.values(credits_posted=70, credits_pending=31),
        by="ck_ledger_accounts_credits_within_debits",
    )


def test_an_account_takes_at_most_one_limit(raw: Engine) -> None:
    both = int(
        AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS | AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS
    )
    assert refused(
        raw, insert(ledger_accounts), account("odd", both), by="ck_ledger_accounts_flags_known"
    )


# -- states everywhere -----------------------------------------------------------------------


@pytest.mark.parametrize(("table_name", "column"), known_state_columns())
def test_a_state_column_holds_only_the_states_the_code_knows(
    raw: Engine, table_name: str, column: str
) -> None:
    table = metadata.tables[table_name]
    if table_name == "ledger_transfers":
        with raw.begin() as conn:
            conn.execute(insert(ledger_accounts), [account("payer"), account("payee")])

    assert accepted(raw, insert(table), some_row(table))
    assert refused(
        raw,
        insert(table),
        some_row(table, **{column: "no-such-state"}),
        by=f"ck_{table_name}_{column}_known",
    )


def test_an_order_resumes_to_a_known_state_or_none(raw: Engine) -> None:
    assert accepted(raw, insert(orders), some_row(orders, resume=None))
    assert refused(
        raw, insert(orders), some_row(orders, resume="somewhere"), by="ck_orders_resume_known"
    )


# -- money outside the ledger ----------------------------------------------------------------


def test_a_payment_keeps_refunded_within_captured_within_amount(raw: Engine) -> None:
    assert accepted(raw, insert(payments), some_row(payments, amount=100, captured=80, refunded=30))
    assert refused(
        raw,
        insert(payments),
        some_row(payments, amount=-100, captured=0, refunded=0),
        by=("ck_payments_amount_positive", "ck_payments_captured_within_amount"),
    )
    assert refused(
        raw,
        insert(payments),
        some_row(payments, amount=100, captured=120),
        by="ck_payments_captured_within_amount",
    )
    assert refused(
        raw,
        insert(payments),
        some_row(payments, captured=80, refunded=90, amount=100),
        by="ck_payments_refunded_within_captured",
    )
    assert refused(
        raw,
        insert(payments),
        some_row(payments, refunded=-1, captured=0),
        by="ck_payments_refunded_not_negative",
    )


def test_an_order_is_paid_in_full_or_not_at_all(raw: Engine) -> None:
    assert accepted(raw, insert(orders), some_row(orders, total=500, paid=0))
    assert accepted(raw, insert(orders), some_row(orders, total=500, paid=500))
    assert refused(
        raw,
        insert(orders),
        some_row(orders, total=500, paid=499),
        by="ck_orders_paid_all_or_nothing",
    )
    assert refused(
        raw, insert(orders), some_row(orders, total=-500, paid=0), by="ck_orders_total_positive"
    )


def test_a_wallet_transfer_adds_up(raw: Engine) -> None:
    assert accepted(
        raw,
        insert(transfers),
        some_row(transfers, amount=1000, payer_fee=6, payee_fee=4, total_debit=1006, credited=996),
    )
    assert refused(
        raw,
        insert(transfers),
        some_row(transfers, amount=1000, payer_fee=6, payee_fee=4, total_debit=1000, credited=996),
        by="ck_transfers_total_debit_adds_up",
    )
    assert refused(
        raw,
        insert(transfers),
        some_row(
            transfers, amount=-1000, payer_fee=0, payee_fee=0, total_debit=-1000, credited=-1000
        ),
        by=("ck_transfers_amount_positive", "ck_transfers_credited_not_negative"),
    )


# -- the migrated schema holds exactly the tables module's rules -----------------------------

_QUOTED = re.compile(r"'([^']*)'")


def test_the_migrated_database_has_every_check_of_the_tables_module(raw: Engine) -> None:
    found = inspect(raw)
    for table in metadata.sorted_tables:
        declared = {c.name for c in table.constraints if isinstance(c, CheckConstraint)}
        migrated = {c["name"] for c in found.get_check_constraints(table.name)}
        assert migrated == declared, table.name


#: The enum of the code behind each state list of store/tables.py.
ENUMS: dict[tuple[str, ...], type[StrEnum]] = {
    tables.ORDER_STATES: OrderState,
    tables.STOREFRONT_STATUSES: StorefrontStatus,
    tables.ACCOUNT_KINDS: AccountKind,
    tables.PENDING_STATES: PendingState,
    tables.TRANSFER_CODES: TransferCode,
    tables.WINDOW_STATES: WindowState,
    tables.SHIPMENT_STATUSES: ShipmentStatus,
    tables.EXCHANGE_STATES: ExchangeState,
    tables.PAY_FOR_ME_STATES: PayForMeState,
    tables.PAYMENT_STATES: PaymentState,
    tables.TRANSFER_STATES: TransferState,
    tables.PARTICIPANT_STATUSES: ParticipantStatus,
    evidence_tables.JUSTIFICATIONS: JustificationCode,
    evidence_tables.DECISION_OUTCOMES: Outcome,
}


def test_the_state_lists_of_the_tables_are_the_enums_of_the_code() -> None:
    # The store sits below the packages that own the enums, so it writes the
    # values out; a state added to an enum fails here until the list (and a
    # migration) follow.
    for values, enum in ENUMS.items():
        assert values == tuple(member.value for member in enum), enum.__name__
    assert (tables.DEBITS_LIMITED_FLAG, tables.CREDITS_LIMITED_FLAG, tables.PENDING_FLAG) == (
        AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS,
        AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS,
        TransferFlags.PENDING,
    )


def test_the_migrated_state_lists_are_the_lists_of_the_tables(raw: Engine) -> None:
    # The migration froze the lists; a new state fails here until a migration
    # changes the CHECK.
    found = inspect(raw)
    for table in metadata.sorted_tables:
        migrated = {c["name"]: c["sqltext"] for c in found.get_check_constraints(table.name)}
        for constraint in table.constraints:
            if isinstance(constraint, CheckConstraint) and "values" in constraint.info:
                values = set(_QUOTED.findall(migrated[str(constraint.name)]))
                assert values == set(constraint.info["values"]), constraint.name


# -- the migration keeps the data, and goes back -------------------------------------------


@pytest.fixture(params=["sqlite", "postgres"])
def scratch_url(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    """An empty database of its own: this test migrates up and down."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'scratch.db'}"
        return
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL not available (run scripts/test.sh to start one)")
    name = f"hutong_scratch_{uuid.uuid4().hex[:12]}"
    server = create_engine(sync_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield (
            make_url(sync_url(POSTGRES_URL))
            .set(database=name)
            .render_as_string(hide_password=False)
        )
    finally:
        with server.connect() as conn:
            conn.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
        server.dispose()


def downgrade(url: str, revision: str) -> None:
    engine = create_engine(sync_url(url))
    try:
        with engine.begin() as conn:
            config = alembic_config()
            config.attributes["connection"] = conn
            command.downgrade(config, revision)
    finally:
        engine.dispose()


def _snapshot(conn: Connection) -> dict[str, list[tuple[Any, ...]]]:
    return {
        table.name: [tuple(row) for row in conn.execute(select(table).order_by(*table.primary_key))]
        for table in (ledger_accounts, ledger_transfers, orders)
    }


def test_upgrading_keeps_every_row_and_downgrading_takes_the_rules_away(scratch_url: str) -> None:
    upgrade(scratch_url, "0007")
    engine = raw_engine(scratch_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(ledger_accounts),
                [account("payer", 1, credits_posted=900, debits_posted=300), account("payee")],
            )
            conn.execute(insert(ledger_transfers), transfer("t1", "payer", "payee", 300))
            conn.execute(insert(orders), some_row(orders, total=300, paid=300))
            before = _snapshot(conn)
        engine.dispose()

        upgrade(scratch_url)
        with engine.begin() as conn:
            assert _snapshot(conn) == before
        assert refused(
            engine,
            insert(ledger_transfers),
            transfer("t2", "payer", "payee", -1, requested_amount=0),
            by="ck_ledger_transfers_amount_positive",
        )
        assert refused(
            engine,
            insert(ledger_transfers),
            transfer("t2", "payer", "nobody", 1),
            by="fk_ledger_transfers_credit_account_id_ledger_accounts",
        )
        engine.dispose()

        downgrade(scratch_url, "0007")
        with engine.begin() as conn:
            assert _snapshot(conn) == before
            assert not inspect(conn).get_foreign_keys("ledger_transfers")
        # Without the constraints the database takes what the code would refuse.
        assert accepted(engine, insert(ledger_transfers), transfer("t2", "payer", "nobody", -1))
        with engine.begin() as conn:
            conn.execute(ledger_transfers.delete().where(ledger_transfers.c.id == "t2"))
        engine.dispose()

        upgrade(scratch_url)  # and up again
        with engine.begin() as conn:
            assert conn.scalar(select(func.count()).select_from(ledger_transfers)) == 1
    finally:
        engine.dispose()


def test_a_transfer_left_reserved_is_asking_after_0029_and_reserved_before(
    scratch_url: str,
) -> None:
    """Both meant the execute recorded, the wallets being asked; the CHECK moves with the rows."""
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
        reserved = some_row(transfers, state="reserved")
        assert refused(engine, insert(transfers), reserved, by="ck_transfers_state_known")
        engine.dispose()

        downgrade(scratch_url, "0026")
        with engine.begin() as conn:
            states = dict(conn.execute(select(transfers.c.id, transfers.c.state)).all())
        assert states == {"t-reserved": "reserved", "t-quoted": "quoted"}
        assert accepted(engine, insert(transfers), some_row(transfers, state="reserved"))
    finally:
        engine.dispose()


def test_the_other_wallets_asked_are_on_their_payments_after_0030(scratch_url: str) -> None:
    """Asks recorded before 0030: the one wallet asked besides a payment's own, or ``*``."""
    upgrade(scratch_url, "0029")
    engine = raw_engine(scratch_url)
    asks = {
        "p-own": ("alipay", ["alipay"]),
        "p-one": ("alipay", ["alipay", "wechat", "wechat"]),
        "p-two": ("alipay", ["wechat", "unionpay"]),
        "p-open": ("", ["wechat"]),
        "p-none": ("alipay", []),
    }
    try:
        with engine.begin() as conn:
            for payment_id, (wallet, asked) in asks.items():
                row = some_row(payments, id=payment_id, wallet=wallet)
                del row["other_wallet_asked"]  # not a column before 0030
                conn.execute(insert(payments), row)
                for n, other in enumerate(asked):
                    ask = some_row(payment_attempts, payment_id=payment_id, wallet=other)
                    conn.execute(insert(payment_attempts), ask | {"attempt": f"a-{n}"})
        engine.dispose()

        upgrade(scratch_url)
        with engine.begin() as conn:
            found = conn.execute(select(payments.c.id, payments.c.other_wallet_asked)).all()
        assert dict(found) == {
            "p-own": "",
            "p-one": "wechat",
            "p-two": "*",
            "p-open": "wechat",
            "p-none": "",
        }
        engine.dispose()

        downgrade(scratch_url, "0029")
        with engine.begin() as conn:
            assert "other_wallet_asked" not in {
                c["name"] for c in inspect(conn).get_columns("payments")
            }
    finally:
        engine.dispose()
