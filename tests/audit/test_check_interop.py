"""`interop_parity` over aggregated decision calls handed in (pure: no database).

Alipay's desk answering Taobao (own group) and JD or WeChat (rivals): the
refusal-rate ratio either side of 1.25, the p95 latency ratio either side
of 1.5, the minimum of 200 rival calls, justified refusals left out, and
allied hosts reported apart.
"""

from __future__ import annotations

from hutong.audit import AuditReport, run_checks
from hutong.audit.evidence import CallCell, Evidence
from tests.harness.audit import world

DESK = "alipay.example"


def calls(
    host: str, n: int, refused: int = 0, ms: int = 10, outcome: str = "refused"
) -> list[CallCell]:
    """`n` calls for `host`, `refused` of them refused (as `outcome`), each taking `ms`."""
    made = [CallCell(DESK, host, "answered", ms, n - refused)]
    if refused:
        made.append(CallCell(DESK, host, outcome, ms, refused))
    return made


def judged(*cells: list[CallCell]) -> AuditReport:
    data: Evidence = world(calls=tuple(c for group in cells for c in group))
    return run_checks(data).only(check="interop_parity")


def test_refusing_rival_hosts_far_more_often_is_flagged_with_both_rates() -> None:
    report = judged(calls("taobao.example", 400, 8), calls("jd.example", 400, 60))
    [finding] = report.findings
    assert (finding.subject, finding.against, finding.surface) == (DESK, ("jd",), "refusals")
    assert (finding.metric.value, finding.metric.baseline) == (0.15, 0.02)
    assert "Indicator of possible unequal interoperation" in finding.summary


def test_a_refusal_rate_just_below_the_ratio_is_not_flagged() -> None:
    report = judged(calls("taobao.example", 2000, 200), calls("jd.example", 2000, 240))
    assert report.findings == ()


def test_slower_answers_for_rivals_beyond_one_and_a_half_times_are_flagged() -> None:
    report = judged(calls("taobao.example", 300, ms=10), calls("jd.example", 300, ms=16))
    [finding] = report.findings
    assert finding.surface == "latency"
    assert (finding.metric.value, finding.metric.baseline) == (16.0, 10.0)


def test_latency_at_one_and_a_half_times_is_parity() -> None:
    report = judged(calls("taobao.example", 300, ms=10), calls("jd.example", 300, ms=15))
    assert report.findings == ()


def test_below_two_hundred_rival_calls_the_check_is_inconclusive() -> None:
    report = judged(calls("taobao.example", 400, 4), calls("jd.example", 199, 60, ms=40))
    assert report.findings == ()
    assert {i.reason for i in report.inconclusive} == {"n=199 is below the minimum sample of 200"}


def test_justified_refusals_do_not_count_as_refusals() -> None:
    report = judged(
        calls("taobao.example", 400, 8), calls("jd.example", 400, 60, outcome="justified")
    )
    assert report.findings == ()


def test_allied_hosts_are_reported_apart_from_rivals() -> None:
    desk = "tenpay.example"
    cells = [
        CallCell(desk, "wechat.example", "answered", 10, 400),
        CallCell(desk, "jd.example", "answered", 10, 340),
        CallCell(desk, "jd.example", "refused", 10, 60),
        CallCell(desk, "taobao.example", "answered", 10, 400),
    ]
    report = run_checks(world(calls=tuple(cells))).only(check="interop_parity")
    [finding] = report.findings
    assert (finding.subject, finding.against) == (desk, ("jd",))
    assert "allied jd" in finding.summary


def test_calls_for_every_rival_group_are_pooled_against_own_ones() -> None:
    report = judged(
        calls("taobao.example", 400, 8),
        calls("jd.example", 100, 15),
        calls("wechat.example", 100, 15),
    )
    [finding] = report.findings
    assert finding.against == ("jd", "tencent")
    assert finding.n == 200
