"""Where the switch's time goes, read from its own `/metrics` around a phase.

The switch counts (src/hutong/store/batch.py, store/db.py, runtime/metrics.py):
how long each write waits for its group-commit batch, how long batches run
and commit, how many writes a batch holds, the deadlock and serialization
victims it ran again, the SQL statements it sent and how long its decision
calls to participants took. With several workers `hutong serve` keeps the
metrics of all of them in one place (prometheus_client's multiprocess mode),
so `/metrics` answers for the whole switch. PostgreSQL's own count of
deadlocks comes from `pg_stat_database`.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

__all__ = ["Snapshot", "postgres_deadlocks", "scrape", "waits"]

#: (sample name, sorted label items) -> value
Snapshot = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(base_url: str) -> Snapshot:
    text = httpx.get(f"{base_url}/metrics", timeout=30).text
    out: Snapshot = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if not sample.name.startswith("hutong_"):
                continue
            key = (sample.name, tuple(sorted(sample.labels.items())))
            out[key] = out.get(key, 0.0) + sample.value
    return out


def _delta(before: Snapshot, after: Snapshot, name: str, **labels: str) -> float:
    """The change of every sample `name` whose labels include `labels`, summed."""
    total = 0.0
    for (sample, items), value in after.items():
        if sample == name and all(dict(items).get(k) == v for k, v in labels.items()):
            total += value - before.get((sample, items), 0.0)
    return total


def _by_label(before: Snapshot, after: Snapshot, name: str, label: str) -> dict[str, float]:
    out: dict[str, float] = defaultdict(float)
    for (sample, items), value in after.items():
        if sample == name:
            out[dict(items).get(label, "")] += value - before.get((sample, items), 0.0)
    return dict(out)


def waits(before: Snapshot, after: Snapshot, orders: int, unit: str = "order") -> dict[str, Any]:
    """The phase's waits and work, per `unit` (an order, a transfer) and per 1,000 of them."""
    per = max(orders, 1)

    def mean_ms(name: str, **labels: str) -> float:
        count = _delta(before, after, f"{name}_count", **labels)
        return (
            round(1000 * _delta(before, after, f"{name}_sum", **labels) / count, 2)
            if count
            else 0.0
        )

    batches = _delta(before, after, "hutong_write_batch_writes_count")
    writes = _delta(before, after, "hutong_write_batch_writes_sum")
    calls = _by_label(before, after, "hutong_decision_call_seconds_count", "action")
    call_seconds = _by_label(before, after, "hutong_decision_call_seconds_sum", "action")
    conflicts = _by_label(before, after, "hutong_write_batch_conflicts_total", "outcome")
    kinds = _by_label(before, after, "hutong_sql_statements_total", "kind")
    return {
        f"statements_per_{unit}": round(
            _delta(before, after, "hutong_sql_statements_total") / per, 1
        ),
        # The kinds that cost at least 0.1 statement per order, the costliest first.
        f"statements_per_{unit}_by_kind": {
            kind: round(n / per, 2)
            for kind, n in sorted(kinds.items(), key=lambda item: -item[1])
            if n / per >= 0.1
        },
        f"writes_per_{unit}": round(writes / per, 2),
        "writes_per_batch": round(writes / batches, 2) if batches else 0.0,
        "batch_queued_ms_per_write": mean_ms("hutong_write_batch_seconds", phase="queued"),
        "batch_run_ms": mean_ms("hutong_write_batch_seconds", phase="run"),
        "batch_commit_ms": mean_ms("hutong_write_batch_seconds", phase="commit"),
        f"batch_ms_per_{unit}": round(
            1000
            * sum(
                _delta(before, after, "hutong_write_batch_seconds_sum", phase=p)
                for p in ("run", "commit")
            )
            / per,
            2,
        ),
        f"conflicts_per_1000_{unit}s": {
            k: round(1000 * v / per, 1) for k, v in sorted(conflicts.items())
        },
        "decision_call_ms": {
            action: round(1000 * call_seconds.get(action, 0.0) / n, 2)
            for action, n in sorted(calls.items())
            if n
        },
    }


def postgres_deadlocks(database_url: str) -> int:
    """PostgreSQL's count of deadlocks detected in the benchmark's database, so far."""
    from sqlalchemy import create_engine, text

    from hutong.store.db import sync_url

    engine = create_engine(sync_url(database_url))
    try:
        with engine.connect() as conn:
            found = conn.execute(
                text("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
            ).scalar()
    finally:
        engine.dispose()
    return int(found or 0)
