"""Stored runs: the auditor's findings computed once per window, served until stale.

A stored run must be the run the findings API gives (same findings, same
ids, same evidence), read back whole; a declaration or enough traffic makes
it stale and the next read recomputes it. Worlds through the public API, on
SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hutong.audit import Window, audit, compute_run, current_run, refresh, run_evidence, staleness
from hutong.audit.stored import (
    DECLARED,
    MAX_AGE,
    TRAFFIC,
    evidence_mark,
    prune_runs,
    stored_windows,
)
from hutong.web.dashboard.service import findings_page
from hutong.workers.deadlines import sweep_once
from tests.harness.cast import AUDITOR, JD, TAOBAO, TMALL, ok
from tests.harness.networks import Evidence
from tests.harness.switch import Clock

T0 = datetime(2025, 3, 1, 12, tzinfo=UTC)


def the_window(net: Evidence) -> Window:
    """Today, as the findings API's tests audit it."""
    today = net.switch.services.clock().date()
    return Window(today, today + timedelta(days=1))


def findings_path(net: Evidence) -> str:
    w = the_window(net)
    return f"/v1/audit/findings?from={w.start}&to={w.end}"


async def refuse_by_home(net: Evidence, home: str) -> None:
    """Taobao declares: refuse every storefront of merchants at home on `home` (a rival's)."""
    await ok(await net.group("alibaba", TAOBAO, TMALL), 201)
    await ok(await net.group("jd", JD), 201)
    rule = {
        "decision": "refuse",
        "home_platforms": [home],
        "valid_from": the_window(net).start.isoformat(),
        "reason": "not hosted here",
    }
    await ok(await net.post(TAOBAO, "/v1/storefront-policies", rule), 201)


async def test_a_stored_run_reads_back_as_the_fresh_run_and_the_api_answer(
    evidence: Evidence,
) -> None:
    await refuse_by_home(evidence, JD)
    db, now = evidence.switch.services.db, evidence.switch.services.clock()
    computed = await compute_run(db, the_window(evidence), now)

    stored = await current_run(db, the_window(evidence), now)

    assert stored.recomputed == "" and stored.computed_at == computed.computed_at == now
    assert stored.report == computed.report == await audit(db, the_window(evidence))
    api = await ok(await evidence.get(AUDITOR, findings_path(evidence)))
    assert stored.report.to_dict() == api
    [finding] = stored.report.findings
    page, _ = await run_evidence(db, finding.id, now)
    fresh = await ok(await evidence.get(AUDITOR, f"/v1/audit/evidence/{finding.id}"))
    assert page.total == fresh["total"] == 1
    assert page.records == fresh["records"]


async def test_a_new_declaration_makes_the_stored_run_stale_and_the_next_read_recomputes(
    evidence: Evidence,
) -> None:
    db, now = evidence.switch.services.db, evidence.switch.services.clock()
    empty = await current_run(db, the_window(evidence), now)
    assert empty.recomputed == "no stored run of this window"
    assert empty.report.findings == ()

    await refuse_by_home(evidence, JD)
    later = now + timedelta(seconds=5)
    again = await current_run(db, the_window(evidence), later)

    assert again.recomputed.startswith("declarations changed: ")
    assert "storefront_policies" in again.recomputed and "corporate_groups" in again.recomputed
    assert [f.check for f in again.report.findings] == ["storefront_refusal"]
    assert again.computed_at == later
    assert (await current_run(db, the_window(evidence), later)).recomputed == ""


async def test_refresh_recomputes_every_stored_window_only_when_stale_unless_forced(
    evidence: Evidence,
) -> None:
    db, now = evidence.switch.services.db, evidence.switch.services.clock()
    first = the_window(evidence)
    other = Window(first.start - timedelta(days=7), first.start)
    for w in (first, other):
        await compute_run(db, w, now)

    fresh = await refresh(db, now)
    await refuse_by_home(evidence, JD)
    stale = await refresh(db, now)
    forced = await refresh(db, now, [other], force=True)

    assert [(r.report.window, r.recomputed) for r in fresh] == [(other, ""), (first, "")]
    assert all(r.recomputed.startswith("declarations changed") for r in stale)
    assert [r.report.window for r in stale] == [other, first]
    assert [(r.report.window, r.recomputed) for r in forced] == [(other, "forced")]


async def test_runs_past_their_retention_are_pruned_but_the_newest_stays_on_the_dashboard(
    evidence: Evidence, clock: Clock
) -> None:
    services = evidence.switch.services
    db, now, days = services.db, services.clock(), services.settings.audit_run_retention_days
    assert days == 90
    newest = the_window(evidence)
    middle = Window(newest.start - timedelta(days=30), newest.start)
    oldest = Window(newest.start - timedelta(days=60), middle.start)
    await compute_run(db, oldest, now)
    await compute_run(db, middle, now + timedelta(days=60))
    await compute_run(db, newest, now + timedelta(days=100))

    # Computed more than 90 days ago: pruned; within them: kept.
    later = now + timedelta(days=100, seconds=1)
    assert await prune_runs(db, later, days) == 1
    assert await stored_windows(db) == [middle, newest]

    # Long after, the newest run is kept though it is old: the dashboard still reads it.
    much_later = now + timedelta(days=400)
    assert await prune_runs(db, much_later, 0) == 0  # 0 keeps every run
    clock.advance(400 * 86_400)
    assert (await sweep_once(services))["stored audit runs past their retention"] == 1
    assert await stored_windows(db) == [newest]
    page = await findings_page(db, newest.start, newest.end, much_later, check=None, subject=None)
    assert page.run.recomputed == ""  # read as stored, not computed again
    assert page.run.computed_at == now + timedelta(days=100)


async def test_the_mark_counts_every_table_the_auditor_reads(evidence: Evidence) -> None:
    async with evidence.switch.services.db.read() as conn:
        before = await evidence_mark(conn)
    await refuse_by_home(evidence, JD)
    async with evidence.switch.services.db.read() as conn:
        after = await evidence_mark(conn)

    assert set(before) == set(DECLARED) | set(TRAFFIC)
    assert after["storefront_policies"] == before["storefront_policies"] + 1
    assert after["corporate_groups"] == before["corporate_groups"] + 2


def mark(declared: int = 10, traffic: int = 0) -> dict[str, int]:
    return (
        {name: declared for name in DECLARED}
        | {name: 0 for name in TRAFFIC}
        | {"link_resolutions": traffic}
    )


def test_traffic_makes_a_run_stale_past_one_percent_or_after_fifteen_minutes() -> None:
    young, old = T0 + timedelta(minutes=1), T0 + MAX_AGE + timedelta(seconds=1)

    assert staleness(mark(traffic=10_000), mark(traffic=10_000), T0, old) == ""
    assert staleness(mark(traffic=10_000), mark(traffic=10_100), T0, young) == ""
    assert "over 1% of 10000" in staleness(mark(traffic=10_000), mark(traffic=10_101), T0, young)
    assert "computed over 0:15:00 ago" in staleness(
        mark(traffic=10_000), mark(traffic=10_001), T0, old
    )
    assert "over 1% of 0" in staleness(mark(), mark(traffic=1), T0, young)


def test_any_declaration_makes_a_run_stale_at_once() -> None:
    then = mark()
    now = then | {"link_rules": 11}
    assert staleness(then, now, T0, T0) == "declarations changed: link_rules"
    decided = then | {"storefronts.decided": 11}
    assert staleness(then, decided, T0, T0) == "declarations changed: storefronts.decided"
