"""`link_friction` over aggregated link resolutions handed in (pure: no database).

Extra steps for rival links only flag on their own; steps on own links too
are equal treatment. The p95 latency flags just above 1.5 times own links'
and not at it, and only from 200 links on (inconclusive below).
"""

from __future__ import annotations

from hutong.audit import AuditReport, run_checks
from hutong.audit.evidence import Evidence, FrictionCell
from tests.harness.audit import world


def opened(source: str, count: int, *, steps: int = 0, bucket: int = 9) -> FrictionCell:
    """`count` links to `source` opened on WeChat's chat in [bucket, bucket + 1) x 100 us."""
    return FrictionCell("wechat", source, "chat", steps, steps > 0, bucket, count)


def judged(*cells: FrictionCell) -> AuditReport:
    data: Evidence = world(friction=cells)
    return run_checks(data).only(check="link_friction")


def test_extra_steps_for_rival_links_only_are_flagged_without_a_test() -> None:
    [finding] = judged(opened("wechat.example", 40), opened("taobao.example", 5, steps=2)).findings
    assert (finding.subject, finding.against, finding.surface) == (
        "wechat",
        ("alibaba",),
        "chat/steps",
    )
    assert finding.metric.value == 2.0 and finding.p_value is None
    assert "100% copied into a browser" in finding.summary


def test_the_same_steps_for_own_links_are_equal_treatment() -> None:
    own = opened("wechat.example", 40, steps=1)
    assert judged(own, opened("taobao.example", 40, steps=2)).findings == ()


def test_a_p95_latency_at_the_ratio_is_no_finding_and_just_above_it_is() -> None:
    # Own links' p95: the bucket [900, 1000) us, so 1000 us; the limit is 1500 us.
    at = judged(opened("wechat.example", 400), opened("taobao.example", 300, bucket=14))
    assert at.findings == ()
    [finding] = judged(
        opened("wechat.example", 400), opened("taobao.example", 300, bucket=15)
    ).findings
    assert finding.surface == "chat/latency"
    assert (finding.metric.value, finding.metric.baseline) == (1600.0, 1000.0)
    assert finding.p_value is not None and finding.p_value <= 0.01


def test_a_slow_tail_short_of_the_p95_is_no_finding() -> None:
    cells = (
        opened("wechat.example", 400),
        opened("taobao.example", 290),
        opened("taobao.example", 10, bucket=40),
    )
    assert judged(*cells).findings == ()


def test_below_200_links_a_slower_p95_is_inconclusive() -> None:
    report = judged(opened("wechat.example", 400), opened("taobao.example", 199, bucket=30))
    assert report.findings == ()
    assert report.inconclusive[0].reason == "n=199 is below the minimum sample of 200"
    more = judged(opened("wechat.example", 400), opened("taobao.example", 200, bucket=30))
    assert len(more.findings) == 1


def test_allied_links_are_reported_as_allied() -> None:
    [finding] = judged(opened("wechat.example", 40), opened("jd.example", 5, steps=1)).findings
    assert finding.against == ("jd",) and "allied jd" in finding.summary


def test_the_same_links_give_the_same_findings() -> None:
    cells = (opened("wechat.example", 400), opened("taobao.example", 300, bucket=20))
    assert judged(*cells) == judged(*cells)
