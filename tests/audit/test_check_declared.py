"""`declared_vs_observed` over aggregates handed in (pure): practice against declaration.

A schedule honoured to the fen (commissions round down) is no finding; one
fen over it, or a rate the schedule never declared, is. A wallet refused as
the acceptance policy says is no finding; one refused under a version that
accepts it is, whatever the count (the minimum sample is one record).
"""

from __future__ import annotations

import json
from datetime import date

from hutong.audit import AuditReport, run_checks
from hutong.audit.evidence import (
    Evidence,
    FeeCell,
    PolicyVersion,
    ServiceRefusalCell,
    WalletRefusalCell,
)
from tests.harness.audit import DAY, WINDOW, world

#: Taobao's schedule v1: 5% by default, 20% on external links, 10% on jewellery in its store.
RULE = {
    "take_rates": [{"category": "jewellery", "channel": "own_store", "bps": 1000}],
    "channel_rates": {"link_placement": 2000},
    "default_take_bps": 500,
}


def judged(data: Evidence) -> AuditReport:
    return run_checks(data).only(check="declared_vs_observed")


def charged(
    low: float, high: float, *, channel: str = "own_store", category: str = "tea", gmv: int = 999
) -> Evidence:
    cell = FeeCell(
        "taobao.example", category, channel, "jd.example", 1, 4, 4 * gmv, 0, 0.0, 0.0,
        low, high, gmv, DAY,
    )  # fmt: skip
    schedule = PolicyVersion("taobao.example", 1, WINDOW.start, json.dumps(RULE))
    return world(fees=(cell,), schedules=(schedule,))


def test_orders_charged_as_declared_to_the_fen_are_no_finding() -> None:
    # 999 fen at 5%: 49 fen (rounded down), a rate of 0.049049...
    assert judged(charged(49 / 999, 0.05)).findings == ()
    assert judged(charged(0.2, 0.2, channel="link_placement")).findings == ()
    assert judged(charged(0.1, 0.1, category="jewellery")).findings == ()


def test_a_fen_over_the_declared_rate_is_a_finding_with_the_orders() -> None:
    [finding] = judged(charged(0.05, 50 / 999)).findings
    assert finding.subject == "taobao.example" and finding.against == ("jd",)
    assert finding.surface == "commission_schedule v1 tea/own_store"
    assert finding.metric.baseline == 0.05 and finding.n == 4 and finding.p_value is None
    assert finding.evidence.filters["versions"] == ("1",)
    assert "declares 500 bps" in finding.summary


def test_a_rate_below_what_rounding_allows_is_a_finding_too() -> None:
    assert len(judged(charged(48 / 999, 0.05)).findings) == 1


def test_a_category_rate_declared_for_one_channel_only_does_not_cover_another() -> None:
    assert len(judged(charged(0.1, 0.1, category="jewellery", channel="storefront")).findings) == 1


def acceptance(stance: dict[str, object], *refusals: WalletRefusalCell) -> Evidence:
    policy = PolicyVersion("taobao.example", 2, date(2024, 1, 1), json.dumps(stance))
    return world(wallet_refusals=refusals, acceptance_policies=(policy,))


def refusals(count: int, version: int = 2) -> WalletRefusalCell:
    return WalletRefusalCell("taobao.example", "tenpay.example", version, date(2024, 1, 1), count)


def test_a_wallet_refused_as_declared_is_no_contradiction() -> None:
    refused = {"accepts": None, "refused": {"tenpay.example": "not yet"}}
    assert judged(acceptance(refused, refusals(9))).findings == ()
    only = {"accepts": ["alipay.example"], "refused": {}}
    assert judged(acceptance(only, refusals(9))).findings == ()


def test_a_wallet_declared_accepted_but_refused_once_is_a_finding() -> None:
    accepted = {"accepts": ["alipay.example", "tenpay.example"], "refused": {}}
    [finding] = judged(acceptance(accepted, refusals(1))).findings
    assert (finding.subject, finding.against, finding.surface) == (
        "taobao.example",
        ("tenpay.example",),
        "acceptance_policy v2",
    )
    assert "which accepts it" in finding.summary and finding.evidence_count == 1
    assert finding.evidence.filters["version"] == "2"


def test_a_refusal_under_a_version_never_declared_is_a_finding() -> None:
    [finding] = judged(acceptance({"accepts": None}, refusals(3, version=5))).findings
    assert "which was never declared" in finding.summary


def test_the_same_records_give_the_same_findings() -> None:
    data = acceptance({"accepts": None}, refusals(3))
    assert run_checks(data) == run_checks(data)


def test_a_carrier_refusing_bookings_its_declared_service_covers_is_flagged() -> None:
    refusals = (
        ServiceRefusalCell("jdl.example", "book", "not_serviceable", "taobao.example", 3, DAY),
        ServiceRefusalCell("jdl.example", "book", "not_serviceable", "wechat.example", 2, DAY),
    )
    report = run_checks(world(service_refusals=refusals)).only(check="declared_vs_observed")
    [finding] = report.findings
    assert (finding.subject, finding.against, finding.n) == (
        "jdl.example",
        ("alibaba", "tencent"),
        5,
    )
    assert finding.surface == "book/not_serviceable" and finding.p_value is None
