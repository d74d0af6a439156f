"""`link_blocking` on declarations alone: a declared block needs no sample of resolutions.

A host's declared rule that refuses (blocks or reduces to a share code) the
links of a rival group's platform on a surface, in force on some day of the
window, is a finding even when no such link was resolved in the window,
when the host's own links open there: its own group's other platforms under
its declared rules, or (alone in its group, with no ally to compare) its own
store, whose links the switch always opens. The same refusal declared for its
own group too is equal treatment; a rule that ended before the window, starts
after it, or was superseded by then, decides nothing in it.
"""

from __future__ import annotations

from datetime import date

from hutong.audit import run_checks
from hutong.audit.evidence import LinkCell
from hutong.links.policy.rules import LinkRule, Surface, Treatment
from hutong.registry.groups import GroupVersion
from tests.harness.audit import DAY, GROUPS, world

#: Tencent with a second platform, QQ: WeChat's sibling.
WITH_QQ = tuple(
    GroupVersion(g.name, g.version, g.valid_from, g.members | {"qq.example"}, g.allied)
    if g.name == "tencent"
    else g
    for g in GROUPS
)
#: ByteDance: Douyin alone in its group, with no ally.
WITH_DOUYIN = (
    *GROUPS,
    GroupVersion("bytedance", 1, date(2016, 1, 1), frozenset({"douyin.example"})),
)


def rule(
    host: str,
    source: str,
    treatment: Treatment = Treatment.BLOCKED,
    *,
    valid_from: date = date(2020, 10, 9),
    valid_until: date | None = None,
    surfaces: frozenset[Surface] | None = frozenset({Surface.LIVE_CART}),
    version: int = 1,
) -> LinkRule:
    return LinkRule(
        host=host,
        source=source,
        treatment=treatment,
        valid_from=valid_from,
        valid_until=valid_until,
        surfaces=surfaces,
        version=version,
    )


def blocking(**parts: object) -> list[tuple[str, tuple[str, ...], str | None]]:
    report = run_checks(world(**parts)).only(check="link_blocking")
    return [(f.subject, f.against, f.surface) for f in report.findings]


def test_a_declared_block_of_rivals_in_force_is_flagged_with_no_link_resolved() -> None:
    rules = (
        rule("wechat", "taobao", Treatment.SHARE_CODE_ONLY, surfaces=None),
        rule("wechat", "qq", Treatment.OPEN, surfaces=None, version=2),
    )
    [finding] = run_checks(world(groups=WITH_QQ, link_rules=rules)).findings
    assert (finding.check, finding.subject, finding.against) == (
        "link_blocking",
        "wechat",
        ("alibaba",),
    )
    assert finding.surface is None  # every surface
    assert finding.n == 0 and finding.p_value is None
    assert finding.since == date(2025, 3, 1)  # in force since before the window: its first day
    assert finding.evidence.kind == "link_rules"
    assert finding.evidence.filters == {"host": "wechat", "versions": ("1",)}
    assert "declared rule wechat#v1" in finding.summary
    assert "share_code_only" in finding.summary and "qq" in finding.summary


def test_rival_platforms_of_one_group_make_one_finding_per_surface() -> None:
    rules = tuple(
        rule("douyin", source, version=v) for v, source in enumerate(("taobao", "jd", "tmall"), 1)
    )
    groups = tuple(
        GroupVersion(g.name, g.version, g.valid_from, g.members | {"tmall.example"}, g.allied)
        if g.name == "alibaba"
        else g
        for g in WITH_DOUYIN
    )
    assert blocking(groups=groups, link_rules=rules) == [
        ("douyin", ("alibaba",), "live_cart"),
        ("douyin", ("jd",), "live_cart"),
    ]


def test_a_host_alone_in_its_group_is_compared_with_its_own_store() -> None:
    [finding] = run_checks(world(groups=WITH_DOUYIN, link_rules=(rule("douyin", "jd"),))).findings
    assert (finding.subject, finding.against, finding.surface) == ("douyin", ("jd",), "live_cart")
    assert "its own store's links open there" in finding.summary


def test_the_same_block_declared_for_its_own_group_is_no_finding() -> None:
    rules = (
        rule("wechat", "taobao", surfaces=None),
        rule("wechat", "qq", surfaces=None, version=2),
    )
    assert blocking(groups=WITH_QQ, link_rules=rules) == []


def test_a_block_outside_the_window_or_superseded_before_it_decides_nothing() -> None:
    ended = rule("douyin", "jd", valid_until=date(2025, 3, 1))
    later = rule("douyin", "jd", valid_from=date(2025, 4, 1))
    reopened = (rule("douyin", "jd"), rule("douyin", "jd", Treatment.OPEN, version=2))
    for rules in ((ended,), (later,), reopened):
        assert blocking(groups=WITH_DOUYIN, link_rules=rules) == []
    starts_inside = rule("douyin", "jd", valid_from=date(2025, 3, 20))
    [finding] = run_checks(world(groups=WITH_DOUYIN, link_rules=(starts_inside,))).findings
    assert finding.since == date(2025, 3, 20)


def test_an_open_rule_with_friction_or_an_own_group_rule_is_no_block() -> None:
    rules = (
        rule("wechat", "taobao", Treatment.OPEN),
        rule("wechat", "qq", Treatment.BLOCKED, version=2),
    )
    assert blocking(groups=WITH_QQ, link_rules=rules) == []


def test_a_declared_block_already_seen_in_resolutions_is_one_finding() -> None:
    cells = (
        LinkCell("douyin", "douyin.example", "live_cart", "opened", "", 40, DAY),
        LinkCell("douyin", "jd.example", "live_cart", "blocked", "douyin#v1", 25, DAY),
    )
    found = blocking(groups=WITH_DOUYIN, links=cells, link_rules=(rule("douyin", "jd"),))
    assert found == [("douyin", ("jd",), "live_cart")]
    [finding] = run_checks(
        world(groups=WITH_DOUYIN, links=cells, link_rules=(rule("douyin", "jd"),))
    ).findings
    assert finding.n == 25  # the resolutions' cell, tested
