"""The statement counter names each statement by its verb and first table.

The benchmark's "statements per order by kind" is read off these names, so
what a step spends its statements on can be told without a trace.
"""

from __future__ import annotations

import pytest

from hutong.store.db import statement_kind


@pytest.mark.parametrize(
    ("sql", "kind"),
    [
        ("SELECT orders.id, orders.host FROM orders WHERE orders.id = ?", "SELECT orders"),
        ("SELECT a.id FROM ledger_accounts AS a UNION ALL SELECT 1", "SELECT ledger_accounts"),
        ("SELECT anon_1.id FROM (SELECT id FROM outbox) AS anon_1", "SELECT (subquery)"),
        ("INSERT INTO outbox (event_id) VALUES (?)", "INSERT outbox"),
        ("insert into payment_attempts (payment_id) select 1", "INSERT payment_attempts"),
        ("UPDATE messages SET status_code=? WHERE sender = ?", "UPDATE messages"),
        ("DELETE FROM switch_processes WHERE id = ?", "DELETE switch_processes"),
        ("BEGIN IMMEDIATE", "BEGIN"),
        ("SAVEPOINT sa_savepoint_1", "SAVEPOINT"),
        ("select 1", "SELECT"),
        ("", "other"),
    ],
)
def test_a_statement_is_named_by_its_verb_and_first_table(sql: str, kind: str) -> None:
    assert statement_kind(sql) == kind
