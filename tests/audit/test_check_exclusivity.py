"""`exclusivity_retaliation` (二选一) over merchant terms and storefronts handed in (pure).

Taobao's merchants, some of which open a storefront on JD (a rival host):
a fee raised or promotion dropped after multi-homing against merchants that
stayed, a worsening below 10%, a change applied to everyone, too few
multi-homers (inconclusive), and the "most worsened within 30 days" rule
when no merchant stayed to compare.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hutong.audit import AuditReport, run_checks
from hutong.audit.evidence import MultiHoming, TermsVersion
from tests.harness.audit import WINDOW, world

PLATFORM = "taobao.example"
START = WINDOW.start
OPENED = datetime(2025, 3, 5, tzinfo=UTC)


def terms(merchant: str, *changes: tuple[int, int, bool]) -> list[TermsVersion]:
    """Terms from the window's start at 500 bps; each change (day, bps, promoted) later."""
    made = [TermsVersion(PLATFORM, merchant, 1, 500, True, True, START, None)]
    for k, (day, bps, promoted) in enumerate(changes, start=2):
        made.append(
            TermsVersion(PLATFORM, merchant, k, bps, promoted, True, date(2025, 3, day), None)
        )
    return made


def merchants(
    count: int, prefix: str, *changes: tuple[int, int, bool], multi: bool
) -> tuple[list[TermsVersion], list[MultiHoming]]:
    versions, stores = [], []
    for n in range(count):
        who = f"{prefix}{n}.example"
        versions += terms(who, *changes)
        if multi:
            stores.append(MultiHoming(who, PLATFORM, "jd.example", OPENED + timedelta(hours=n)))
    return versions, stores


def judged(*groups: tuple[list[TermsVersion], list[MultiHoming]]) -> AuditReport:
    data = world(
        terms=tuple(v for g in groups for v in g[0]),
        multi_homing=tuple(m for g in groups for m in g[1]),
    )
    return run_checks(data).only(check="exclusivity_retaliation")


def test_a_fee_rise_after_multi_homing_against_those_that_stayed_is_flagged() -> None:
    report = judged(
        merchants(12, "multi", (20, 700, True), multi=True),
        merchants(12, "stay", multi=False),
    )
    surfaces = {f.surface for f in report.findings}
    assert surfaces == {"fee", "after_multi_homing"}
    fee = next(f for f in report.findings if f.surface == "fee")
    assert (fee.subject, fee.against, fee.n) == (PLATFORM, ("jd",), 12)
    assert fee.metric.value == 0.4
    assert fee.since == OPENED.date()
    assert "Indicator of possible exclusivity pressure" in fee.summary


def test_a_worsening_below_ten_percent_is_no_finding() -> None:
    report = judged(
        merchants(6, "multi", (20, 540, True), multi=True),
        merchants(6, "calm", multi=True),
        merchants(12, "stay", multi=False),
    )
    assert [f for f in report.findings if f.surface == "fee"] == []


def test_a_promotion_dropped_for_everyone_alike_is_no_finding() -> None:
    report = judged(
        merchants(12, "multi", (20, 500, False), multi=True),
        merchants(12, "stay", (20, 500, False), multi=False),
    )
    assert report.findings == ()


def test_fewer_than_ten_multi_homers_are_inconclusive() -> None:
    report = judged(
        merchants(9, "multi", (20, 700, False), multi=True),
        merchants(12, "stay", multi=False),
    )
    assert report.findings == ()
    assert {i.reason for i in report.inconclusive} == {"n=9 is below the minimum sample of 10"}


def test_most_multi_homers_worsened_within_thirty_days_is_flagged_without_controls() -> None:
    report = judged(merchants(10, "multi", (15, 500, False), multi=True))
    [finding] = report.findings
    assert finding.surface == "after_multi_homing"
    assert finding.metric.value == 1.0
    assert {i.reason for i in report.inconclusive} == {
        f"fewer than 2 merchants of {PLATFORM} stayed single-homed"
    }


def test_one_merchant_that_stayed_is_no_control_for_a_difference_in_differences() -> None:
    # Ten multi-homers with unchanged terms, one stayer whose routine review cut its fee 20%:
    # a "worsening" of 20% against a control of one, which has no variance to test with.
    report = judged(
        merchants(10, "multi", multi=True),
        merchants(1, "stay", (10, 400, True), multi=False),
    )
    assert report.findings == ()
    assert "fewer than 2 merchants of" in report.inconclusive[0].reason


def test_a_change_more_than_thirty_days_after_multi_homing_does_not_follow_it() -> None:
    late = [
        MultiHoming(f"multi{n}.example", PLATFORM, "jd.example", datetime(2025, 2, 1, tzinfo=UTC))
        for n in range(10)
    ]
    versions, _ = merchants(10, "multi", (20, 800, False), multi=False)
    report = judged((versions, late))
    assert report.findings == ()
