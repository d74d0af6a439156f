"""Auditing a month of a busy network on PostgreSQL, against a plain count(*) of its rows.

The month (the window 2025-03-01 .. 2025-04-01), at `--scale 1.0`:

    link_resolutions  1,000,000  over 2,000 placements of 400 merchants on 7 hosts,
                                 5 surfaces; one host blocks rival links in live carts
                                 by a declared rule (the audit finds it)
    orders              100,000  with channel, category, split and wallet
    impression_lists    100,000  of `--items` items each (impression_items)
    decision_calls       10,000  stock, payment and carrier calls on behalf of hosts
    storefronts           5,000  decided; payment_refusals and logistics_refusals 2,000 each

The rows are loaded with INSERT ... SELECT generate_series (loading speed is
not what is measured), then ANALYZE. Then, alternating for `--rounds`
rounds, the best of each is kept:

    audit   hutong.audit.audit(db, window): every registered check's SQL
            aggregates, the checks, Benjamini-Hochberg, the evidence samples
    count   SELECT count(*) of the same tables over the same window, one query each

    .venv/bin/python -m bench.audit [--scale 1.0] [--items 10] [--rounds 3]

PostgreSQL is the server named by HUTONG_TEST_POSTGRES_URL (`eval "$(bash
scripts/pg.sh start)"` starts one); its tables are emptied first. Results go
to bench/results/audit.json. Aim (issue 15): the audit under 30 s at scale 1.0.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from datetime import date
from typing import Any

from sqlalchemy import create_engine, func, select, text

from bench._harness import machine, reset_postgres, write_results
from hutong.audit import AuditReport, Window, audit
from hutong.audit.evidence import bounds
from hutong.store.db import Database, sync_url
from hutong.store.tables import (
    decision_calls,
    impression_items,
    impression_lists,
    link_resolutions,
    logistics_refusals,
    orders,
    payment_refusals,
    storefronts,
)

WINDOW = Window(date(2025, 3, 1), date(2025, 4, 1))
AIM_SECONDS = 30.0
HOSTS = (
    "aurora-mall",
    "aurora-video",
    "borealis-shop",
    "borealis-chat",
    "cirrus-live",
    "dune-market",
    "dune-clips",
)
GROUPS = (
    ("aurora", ("aurora-mall", "aurora-video", "aurora-pay", "cainiao"), ()),
    ("borealis", ("borealis-shop", "borealis-chat", "borealis-pay", "jtexpress"), ()),
    ("cirrus", ("cirrus-live",), ("borealis",)),
    ("dune", ("dune-market", "dune-clips", "dune-pay", "jd-logistics"), ()),
)
SURFACES = ("live_cart", "video_cart", "chat", "search", "product_page")
WALLETS = ("aurora-pay", "borealis-pay", "dune-pay", "openpay")
CARRIERS = ("cainiao", "jtexpress", "jd-logistics")
CATEGORIES = ("beauty", "food", "electronics", "apparel", "home")
MERCHANTS = 400
PLACEMENTS = 2_000
SECONDS_IN_WINDOW = 31 * 86_400


def _array(values: tuple[str, ...], suffix: str = ".example") -> str:
    return "ARRAY[" + ", ".join(f"'{v}{suffix}'" for v in values) + "]"


def _pick(values: tuple[str, ...], index: str, suffix: str = ".example") -> str:
    """SQL choosing values[index mod len] (PostgreSQL arrays start at 1)."""
    return f"({_array(values, suffix)})[(({index}) % {len(values)}) + 1]"


def _json(values: list[str]) -> str:
    return json.dumps(sorted(values))


def _into(table: str, columns: str, rest: str) -> tuple[str, str]:
    """(table, INSERT INTO table (columns) rest)."""
    return table, f"INSERT INTO {table} ({columns}) {rest}"


def _at(i: str) -> str:
    """A timestamp in the window, spread by the row number."""
    return f"TIMESTAMPTZ '2025-03-01 00:00:00+00' + (({i}) % {SECONDS_IN_WINDOW}) * INTERVAL '1 s'"


def statements(scale: float, items: int) -> list[tuple[str, str]]:
    """(table, INSERT ... SELECT generate_series) in load order."""
    n_links = int(1_000_000 * scale)
    n_orders = int(100_000 * scale)
    n_lists = int(100_000 * scale)
    n_calls = int(10_000 * scale)
    n_store = max(50, int(5_000 * scale))
    n_refusals = max(20, int(2_000 * scale))
    groups = ", ".join(
        f"('{name}', 1, DATE '2013-01-01', '{_json([m + '.example' for m in members])}', "
        f"'{_json(list(allied))}', now())"
        for name, members, allied in GROUPS
    )
    home = _pick(HOSTS, "m")  # merchant m's home platform
    # Placement p: host HOSTS[p % 7], surface SURFACES[p % 5], merchant p % 400.
    blocked = (
        "(p % 7 = 6 AND p % 5 = 0 AND (p % 400) % 7 NOT IN (5, 6))"  # dune-clips, live_cart, rival
    )
    return [
        ("participants", _participants()),
        _into(
            "corporate_groups",
            "name, version, valid_from, members, allied, declared_at",
            f"VALUES {groups}",
        ),
        _into(
            "merchant_profiles",
            "subscriber_id, home_platform, self_operated, updated_at",
            f"SELECT 'm' || m || '.example', {home}, m % 50 = 0, now() "
            f"FROM generate_series(0, {MERCHANTS - 1}) m",
        ),
        _into(
            "wallet_profiles",
            "subscriber_id, currencies, fees, updated_at",
            f"SELECT w, '[\"CNY\"]', '[]', now() FROM unnest({_array(WALLETS)}) w",
        ),
        _into(
            "carrier_services",
            "carrier, service, declaration, updated_at",
            f"SELECT c, 'standard', '{{}}', now() FROM unnest({_array(CARRIERS)}) c",
        ),
        _into(
            "placements",
            "id, code, share_serial, host, surface, merchant, sku_id, placed_by, storefront_id, "
            "created_at, share_expires_at",
            f"SELECT 'pl_' || p, 'c' || p, p, {_pick(HOSTS, 'p')}, {_pick(SURFACES, 'p', '')}, "
            f"'m' || (p % {MERCHANTS}) || '.example', 'sku-' || p, {_pick(HOSTS, 'p')}, NULL, "
            "TIMESTAMPTZ '2025-02-01 00:00:00+00', TIMESTAMPTZ '2026-02-01 00:00:00+00' "
            f"FROM generate_series(0, {PLACEMENTS - 1}) p",
        ),
        _into(
            "link_resolutions",
            "event_id, placement_id, host, surface, outcome, rule, policy_day, latency_us, "
            "detail, created_at",
            f"SELECT 'ev_' || i, 'pl_' || p, {_pick(HOSTS, 'p', '')}, {_pick(SURFACES, 'p', '')}, "
            f"CASE WHEN {blocked} THEN 'blocked' WHEN i % 101 = 0 THEN 'share_code_only' "
            f"ELSE 'open' END, CASE WHEN {blocked} THEN 'lr_dune_clips_1' ELSE '' END, "
            f"DATE '2025-03-01', 300 + i % 900, '{{}}', {_at('i * 2.6784')} "
            f"FROM (SELECT i, i % {PLACEMENTS} AS p FROM generate_series(1, {n_links}) i) s",
        ),
        _into(
            "storefronts",
            "id, merchant, host, status, catalog, commission_bps, reason, justification, "
            "justification_ref, decided_by, requested_at, decided_at",
            # One open storefront per merchant and host (ux_storefronts_open): the
            # first 400 x 7 are each pair once; any beyond that were refused.
            f"SELECT 'sf_' || i, 'm' || (i % {MERCHANTS}) || '.example', "
            f"{_pick(HOSTS, f'i / {MERCHANTS}')}, "
            f"CASE WHEN i % 11 = 0 OR i >= {MERCHANTS * len(HOSTS)} THEN 'refused' "
            "ELSE 'approved' END, '[]', 500, '', NULL, NULL, "
            f"'host', {_at('i * 500')}, {_at('i * 500 + 60')} "
            f"FROM generate_series(0, {n_store - 1}) i",
        ),
        _into(
            "payment_refusals",
            "by, wallet, subject, reason, policy_version, since, created_at",
            f"SELECT {_pick(HOSTS, 'i')}, {_pick(WALLETS, 'i / 7')}, 'ord_' || i, "
            f"'not accepted', 1, DATE '2025-03-01', {_at('i * 1300')} "
            f"FROM generate_series(1, {n_refusals}) i",
        ),
        _into(
            "logistics_refusals",
            "kind, by, against, subject, reason, created_at",
            f"SELECT 'pickup_full', {_pick(HOSTS, 'i')}, {_pick(CARRIERS, 'i')}, 'shp_' || i, "
            f"'full', {_at('i * 1300')} FROM generate_series(1, {n_refusals}) i",
        ),
        _into(
            "orders",
            "id, host, buyer, merchant, merchant_platform, wallet, carrier, carrier_service, "
            "creator, channel, placement_id, storefront_id, category, destination, lines, state, "
            "total, paid, refunded, carrier_booked, payment_id, shipment_id, reservation, "
            "schedule_version, split, refunded_after_split, reason, created_at, updated_at",
            f"SELECT 'ord_' || i, {_pick(HOSTS, 'i')}, 'buyer-' || (i % 5000), "
            f"'m' || (i % {MERCHANTS}) || '.example', {_pick(HOSTS, 'i % 400')}, "
            f"{_pick(WALLETS, 'i / 3')}, {_pick(CARRIERS, 'i / 5')}, 'standard', '', "
            "CASE WHEN i % 3 = 0 THEN 'external_link' ELSE 'storefront' END, "
            f"'pl_' || (i % {PLACEMENTS}), '', {_pick(CATEGORIES, 'i', '')}, '{{}}', '[]', "
            "'completed', 5000 + i % 90000, 5000 + i % 90000, '[]', true, 'pay_' || i, "
            # The split as completion writes it: the host's commission is 20% of an
            # external-link order and 5% of a storefront order (Douyin's two rates).
            "'shp_' || i, 'r', 1, '{\"host_commission\": ' || ((5000 + i % 90000) * "
            "CASE WHEN i % 3 = 0 THEN 2000 ELSE 500 END / 10000) || ', \"wallet_fee\": 30}', "
            "0, '', "
            f"{_at('i * 26.784')}, {_at('i * 26.784')} FROM generate_series(1, {n_orders}) i",
        ),
        _into(
            "impression_lists",
            "id, host, surface, query, shown_at, received_at",
            f"SELECT 'il_' || i, {_pick(HOSTS, 'i')}, 'search', 'query ' || (i % 300), "
            f"{_at('i * 26.784')}, {_at('i * 26.784 + 1')} FROM generate_series(1, {n_lists}) i",
        ),
        _into(
            "impression_items",
            "list_id, position, placement_id, merchant, sku_id, home_platform, sponsored, "
            "labelled_ad, rating, reviews",
            f"SELECT 'il_' || i, k, 'pl_' || ((i + k) % {PLACEMENTS}), "
            f"'m' || ((i + k) % {MERCHANTS}) || '.example', 'sku', "
            f"{_pick(HOSTS, '(i + k) % 400')}, k % 5 = 0, k % 5 = 0, "
            "3.0 + ((i + k) % 20) / 10.0, (i * k) % 5000 "
            f"FROM generate_series(1, {n_lists}) i, generate_series(1, {items}) k",
        ),
        _into(
            "decision_calls",
            "callee, on_behalf_of, action, message_id, latency_ms, outcome, code, called_at",
            f"SELECT {_pick(HOSTS, 'i / 7')}, {_pick(HOSTS, 'i')}, "
            f"{_pick(('reserve', 'authorize', 'book'), 'i', '')}, 'msg_' || i, 20 + i % 300, "
            "CASE WHEN i % 40 = 0 THEN 'refused' ELSE 'answered' END, '', "
            f"{_at('i * 267.84')} FROM generate_series(1, {n_calls}) i",
        ),
    ]


def _participants() -> str:
    everyone = [(h, "platform") for h in HOSTS] + [(w, "wallet") for w in WALLETS]
    everyone += [(c, "carrier") for c in CARRIERS]
    rows = ", ".join(f"('{p}.example', '{role}')" for p, role in everyone)
    return (
        "INSERT INTO participants (subscriber_id, name, roles, callback_url, status, "
        "created_at, updated_at) SELECT id, id, '[\"' || role || '\"]', 'http://127.0.0.1:9/cb', "
        f"'active', now(), now() FROM (VALUES {rows}) v(id, role)"
    )


#: The tables counted, with the column that places a row in the window.
COUNTED = (
    (link_resolutions, link_resolutions.c.created_at),
    (orders, orders.c.created_at),
    (impression_lists, impression_lists.c.shown_at),
    (decision_calls, decision_calls.c.called_at),
    (storefronts, storefronts.c.decided_at),
    (payment_refusals, payment_refusals.c.created_at),
    (logistics_refusals, logistics_refusals.c.created_at),
)


def load(url: str, scale: float, items: int) -> dict[str, float]:
    reset_postgres(url)
    engine = create_engine(sync_url(url))
    seconds: dict[str, float] = {}
    with engine.begin() as conn:
        for table, sql in statements(scale, items):
            started = time.perf_counter()
            conn.execute(text(sql))
            seconds[table] = round(time.perf_counter() - started, 2)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()
    return seconds


async def _count(db: Database) -> dict[str, int]:
    start, end = bounds(WINDOW)
    counts: dict[str, int] = {}
    async with db.read() as conn:
        for table, at in COUNTED:
            query = select(func.count()).select_from(table).where(at >= start, at < end)
            counts[table.name] = int(await conn.scalar(query) or 0)
        counts[impression_items.name] = int(
            await conn.scalar(select(func.count()).select_from(impression_items)) or 0
        )
    return counts


async def measure(url: str, rounds: int) -> dict[str, Any]:
    db = Database(url)
    audits: list[float] = []
    counts: list[float] = []
    report: AuditReport | None = None
    rows: dict[str, int] = {}
    try:
        for _ in range(rounds):
            started = time.perf_counter()
            rows = await _count(db)
            counts.append(time.perf_counter() - started)
            started = time.perf_counter()
            report = await audit(db, WINDOW)
            audits.append(time.perf_counter() - started)
    finally:
        await db.dispose()
    assert report is not None
    return {
        "rows": rows,
        "audit_seconds": round(min(audits), 3),
        "count_seconds": round(min(counts), 3),
        "ratio": round(min(audits) / min(counts), 2),
        "findings": [
            f"{f.check}:{f.subject} against {','.join(f.against)}" for f in report.findings
        ],
        "inconclusive": len(report.inconclusive),
        "checks_run": report.checks_run,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--items", type=int, default=10, help="items per impression list")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    url = os.environ.get("HUTONG_TEST_POSTGRES_URL", "")
    if not url:
        print('HUTONG_TEST_POSTGRES_URL is not set: eval "$(bash scripts/pg.sh start)"')
        return 2
    started = time.perf_counter()
    loaded = load(url, args.scale, args.items)
    print(f"loaded in {time.perf_counter() - started:.1f} s: {loaded}")
    result = asyncio.run(measure(url, args.rounds))
    print(f"rows: {result['rows']}")
    print(
        f"audit {result['audit_seconds']} s, count(*) {result['count_seconds']} s: "
        f"ratio {result['ratio']} (aim: audit < {AIM_SECONDS} s at scale 1.0)"
    )
    print(f"{result['checks_run']} checks; findings: {result['findings']}")
    path = write_results(
        "audit",
        {
            "benchmark": "audit",
            "machine": machine(),
            "settings": vars(args),
            "load_seconds": loaded,
            "aim_seconds": AIM_SECONDS,
        }
        | result,
    )
    print(f"written to {path.relative_to(path.parents[2])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
