"""`link_friction` over aggregated link resolutions handed in (pure: no database).

Extra steps for rival links only flag on their own; steps on links to the
host's own group's other platforms (QQ, WeChat's sibling here) are equal
treatment. WeChat's own store links are no baseline for steps (the switch
keeps them always open), so with no sibling link resolved the declared
rules for the sibling decide. The p95 latency flags just above 1.5 times
own links' and not at it, and only from 200 links on (inconclusive below).
"""

from __future__ import annotations

from datetime import date

from hutong.audit import AuditReport, run_checks
from hutong.audit.evidence import Evidence, FrictionCell
from hutong.links.policy.rules import ExtraStep, LinkRule, Surface, Treatment
from hutong.registry.groups import GroupVersion
from tests.harness.audit import GROUPS, world

#: The harness's groups, QQ joining Tencent as WeChat's sibling platform.
WITH_QQ = tuple(
    GroupVersion(g.name, g.version, g.valid_from, g.members | {"qq.example"}, g.allied)
    if g.name == "tencent"
    else g
    for g in GROUPS
)


def opened(source: str, count: int, *, steps: int = 0, bucket: int = 9) -> FrictionCell:
    """`count` links to `source` opened on WeChat's chat in [bucket, bucket + 1) x 100 us."""
    return FrictionCell("wechat", source, "chat", steps, steps > 0, bucket, count)


def judged(*cells: FrictionCell, rules: tuple[LinkRule, ...] = ()) -> AuditReport:
    data: Evidence = world(friction=cells, groups=WITH_QQ, link_rules=rules)
    return run_checks(data).only(check="link_friction")


def rule(source: str, steps: tuple[ExtraStep, ...]) -> LinkRule:
    return LinkRule(
        host="wechat",
        source=source,
        treatment=Treatment.OPEN,
        valid_from=date(2025, 1, 1),
        surfaces=frozenset({Surface.CHAT}),
        extra_steps=steps,
        version=1,
    )


def test_extra_steps_for_rival_links_only_are_flagged_without_a_test() -> None:
    [finding] = judged(opened("qq.example", 40), opened("taobao.example", 5, steps=2)).findings
    assert (finding.subject, finding.against, finding.surface) == (
        "wechat",
        ("alibaba",),
        "chat/steps",
    )
    assert finding.metric.value == 2.0 and finding.p_value is None
    assert "100% copied into a browser" in finding.summary


def test_the_same_steps_for_own_links_are_equal_treatment() -> None:
    own = opened("qq.example", 40, steps=1)
    assert judged(own, opened("taobao.example", 40, steps=2)).findings == ()


def test_own_store_links_are_no_baseline_for_steps() -> None:
    # A warning page before every external link, QQ's too; only WeChat's own store links
    # (always open by the switch) were resolved without one: equal treatment, no finding.
    rules = (rule("qq", (ExtraStep.WARNING_PAGE,)), rule("taobao", (ExtraStep.WARNING_PAGE,)))
    store = opened("wechat.example", 40)
    report = judged(store, opened("taobao.example", 5, steps=1), rules=rules)
    assert report.findings == ()


def test_with_no_sibling_link_resolved_the_declared_rules_for_siblings_decide() -> None:
    rules = (rule("qq", ()), rule("taobao", (ExtraStep.COPY_TO_BROWSER,)))
    [finding] = judged(opened("taobao.example", 5, steps=1), rules=rules).findings
    assert "declared rules give its own group's qq none" in finding.summary
    warned = (rule("qq", (ExtraStep.WARNING_PAGE,)), *rules[1:])
    assert judged(opened("taobao.example", 5, steps=1), rules=warned).findings == ()


def test_a_host_whose_group_has_no_other_platform_is_inconclusive_on_steps() -> None:
    data = world(friction=(opened("taobao.example", 5, steps=1),))  # Tencent: WeChat alone
    report = run_checks(data).only(check="link_friction")
    assert report.findings == ()
    assert [i.reason for i in report.inconclusive] == [
        "no other own-group platform's links to compare"
    ]


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
    [finding] = judged(opened("qq.example", 40), opened("jd.example", 5, steps=1)).findings
    assert finding.against == ("jd",) and "allied jd" in finding.summary


def test_the_same_links_give_the_same_findings() -> None:
    cells = (opened("wechat.example", 400), opened("taobao.example", 300, bucket=20))
    assert judged(*cells) == judged(*cells)


def test_a_host_alone_in_its_group_is_judged_against_its_allies_declared_rules() -> None:
    # Tencent (allied with JD): WeChat alone; its rules open JD links without steps.
    rules = (rule("jd", ()), rule("taobao", (ExtraStep.COPY_TO_BROWSER,)))
    data = world(friction=(opened("taobao.example", 5, steps=1),), link_rules=rules)
    [finding] = run_checks(data).only(check="link_friction").findings
    assert finding.against == ("alibaba",)
    assert "declared rules give its allies' jd none" in finding.summary
    warned = (rule("jd", (ExtraStep.WARNING_PAGE,)), *rules[1:])
    data = world(friction=(opened("taobao.example", 5, steps=1),), link_rules=warned)
    assert run_checks(data).only(check="link_friction").findings == ()


def test_declared_steps_for_rivals_only_are_flagged_with_no_link_resolved() -> None:
    rules = (rule("qq", ()), rule("taobao", (ExtraStep.COPY_TO_BROWSER,)))
    [finding] = judged(rules=rules).findings
    assert (finding.subject, finding.against, finding.surface) == (
        "wechat",
        ("alibaba",),
        "chat/steps",
    )
    assert finding.n == 0 and finding.p_value is None and finding.evidence.kind == "link_rules"
    assert "open only after copy_to_browser" in finding.summary
    warned = (rule("qq", (ExtraStep.WARNING_PAGE,)), *rules[1:])
    assert judged(rules=warned).findings == ()


def test_declared_steps_with_nothing_of_its_own_to_compare_are_inconclusive() -> None:
    data = world(link_rules=(rule("taobao", (ExtraStep.COPY_TO_BROWSER,)),))  # WeChat alone
    report = run_checks(data).only(check="link_friction")
    assert report.findings == ()
    assert [i.reason for i in report.inconclusive] == [
        "no other own-group platform's links to compare"
    ]
