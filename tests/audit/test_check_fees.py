"""`fee_discrimination` over aggregated orders handed in (pure: no database).

Just below and just above the take-rate ratio, a difference short of
significance, the inconclusive path, a price applied to own and rival
merchants alike (no finding), a dearer channel for rivals only (Douyin's 20%
against 5%: a finding), allied merchants reported apart, and commission
taken under no declared schedule.
"""

from __future__ import annotations

from datetime import date

from hutong.audit import AuditReport, run_checks
from hutong.audit.evidence import Evidence, FeeCell, PolicyVersion
from hutong.registry.groups import GroupVersion
from tests.harness.audit import DAY, GROUPS, WINDOW, world


def fees(
    platform: str,
    n: int,
    rate: float,
    *,
    channel: str = "own_store",
    category: str = "tea",
    sd: float = 0.0,
    version: int | None = 1,
    host: str = "taobao.example",
) -> FeeCell:
    """`n` orders of 10,000 fen whose take rates have mean `rate` and deviation `sd`."""
    squares = (n - 1) * sd**2 + n * rate**2
    return FeeCell(
        host,
        category,
        channel,
        platform,
        version,
        n,
        n * 10_000,
        round(n * 10_000 * rate),
        n * rate,
        squares,
        max(0.0, rate - 2 * sd),
        rate + 2 * sd,
        10_000,
        DAY,
    )


def judged(data: Evidence) -> AuditReport:
    return run_checks(data).only(check="fee_discrimination")


def orders(*cells: FeeCell) -> Evidence:
    """The cells, each host having declared schedule version 1."""
    declared = tuple(PolicyVersion(h, 1, WINDOW.start, "{}") for h in {c.host for c in cells})
    return world(fees=cells, schedules=declared)


def test_a_dearer_external_channel_for_rival_merchants_is_flagged_with_its_ratio() -> None:
    data = orders(
        fees("taobao.example", 40, 0.05),
        fees("jd.example", 40, 0.20, channel="link_placement"),
    )
    [finding] = judged(data).findings
    assert (finding.check, finding.subject, finding.against, finding.surface) == (
        "fee_discrimination",
        "taobao.example",
        ("jd",),
        "tea/link_placement",
    )
    assert finding.metric.value == 0.2 and finding.metric.baseline == 0.05
    assert finding.metric.threshold == 1.05
    assert "(ratio 4.00)" in finding.summary and "rival jd" in finding.summary
    assert finding.p_value is not None and finding.p_value <= 0.01


def test_a_ratio_of_exactly_the_threshold_is_no_finding_and_just_above_it_is() -> None:
    at = orders(fees("taobao.example", 40, 0.05), fees("alipay.example", 40, 0.0525))
    assert judged(at).findings == ()
    above = orders(fees("taobao.example", 40, 0.05), fees("jd.example", 40, 0.0526))
    assert len(judged(above).findings) == 1


def test_a_higher_mean_short_of_significance_is_no_finding() -> None:
    noisy = orders(
        fees("taobao.example", 30, 0.05, sd=0.01),
        fees("jd.example", 30, 0.06, sd=0.05),
    )
    assert judged(noisy).findings == ()
    many = orders(
        fees("taobao.example", 2000, 0.05, sd=0.01),
        fees("jd.example", 2000, 0.06, sd=0.05),
    )
    assert len(judged(many).findings) == 1


def test_below_the_minimum_sample_a_dearer_rate_is_inconclusive() -> None:
    few = orders(fees("taobao.example", 40, 0.05), fees("jd.example", 19, 0.20))
    report = judged(few)
    assert report.findings == ()
    assert report.inconclusive[0].reason == "n=19 is below the minimum sample of 20"
    enough = orders(fees("taobao.example", 40, 0.05), fees("jd.example", 20, 0.20))
    assert len(judged(enough).findings) == 1


def test_a_category_dearer_in_every_channel_for_own_and_rival_merchants_is_not_flagged() -> None:
    data = orders(
        fees("taobao.example", 40, 0.05),
        fees("jd.example", 40, 0.05, channel="link_placement"),
        fees("taobao.example", 40, 0.10, category="jewellery"),
        fees("jd.example", 40, 0.10, category="jewellery"),
    )
    assert judged(data).findings == ()


def test_a_dearer_external_channel_is_flagged_even_when_the_hosts_own_group_pays_it_too() -> None:
    # Douyin's 20% on every external link: its siblings' merchants paying it too spares no rival.
    data = orders(
        fees("taobao.example", 40, 0.05),
        fees("taobao.example", 40, 0.20, channel="link_placement"),
        fees("jd.example", 40, 0.20, channel="link_placement"),
    )
    [finding] = judged(data).findings
    assert finding.against == ("jd",) and finding.surface == "tea/link_placement"
    assert (finding.metric.value, finding.metric.baseline) == (0.2, 0.05)


def test_allied_merchants_are_reported_as_allied_never_as_own() -> None:
    data = orders(
        fees("wechat.example", 40, 0.05, host="wechat.example"),
        fees("jd.example", 40, 0.08, host="wechat.example"),
    )
    [finding] = judged(data).findings
    assert finding.against == ("jd",) and "allied jd" in finding.summary


def test_rival_merchants_with_no_own_orders_to_compare_are_inconclusive() -> None:
    report = judged(orders(fees("jd.example", 40, 0.20, category="phones")))
    assert report.findings == ()
    assert (
        report.inconclusive[0].reason == "no own-group phones orders on taobao.example to compare"
    )


def test_commission_under_no_declared_schedule_is_flagged_without_a_test() -> None:
    data = orders(
        fees("taobao.example", 3, 0.05, version=None),
        fees("jd.example", 2, 0.05, version=7),
    )
    [finding] = judged(data).findings
    assert finding.surface == "tea/own_store/undeclared" and finding.p_value is None
    # Taobao's own group paying it too is no discrimination against it: only JD is named.
    assert finding.against == ("jd",) and finding.n == 5
    assert "under no schedule it declared" in finding.summary


def test_the_same_orders_give_the_same_findings() -> None:
    data = orders(
        fees("taobao.example", 40, 0.05),
        fees("jd.example", 40, 0.20, channel="link_placement"),
        fees("wechat.example", 40, 0.30, channel="link_placement"),
    )
    first = judged(data)
    assert (
        first == run_checks(data).only(check="fee_discrimination")
        and len({f.id for f in first.findings}) == 2
    )


def test_with_no_own_orders_in_the_category_the_declared_own_store_rate_is_the_baseline() -> None:
    schedule = PolicyVersion(
        "taobao.example",
        1,
        WINDOW.start,
        '{"take_rates": [{"category": "phones", "channel": "own_store", "bps": 500}], '
        '"channel_rates": {"own_store": 300}, "default_take_bps": 300}',
    )
    dear = world(
        fees=(fees("jd.example", 40, 0.20, category="phones", channel="link_placement", sd=0.01),),
        schedules=(schedule,),
    )
    [finding] = judged(dear).findings
    assert (finding.metric.value, finding.metric.baseline) == (0.2, 0.05)
    assert "the 5.00% its schedule declares for its own store" in finding.summary
    fair = world(
        fees=(fees("jd.example", 40, 0.05, category="phones", channel="link_placement", sd=0.01),),
        schedules=(schedule,),
    )
    assert judged(fair).findings == ()


# -- on the declared schedule alone --------------------------------------------------------

#: Douyin's schedule as reported in 2020: 5% in its stores, 20% through external links.
DOUYIN_2020 = PolicyVersion(
    "douyin.example",
    1,
    date(2020, 8, 20),
    '{"channel_rates": {"own_store": 500, "storefront": 500, "link_placement": 2000}}',
)
WITH_DOUYIN = (
    *GROUPS,
    GroupVersion("bytedance", 1, date(2016, 1, 1), frozenset({"douyin.example"})),
)


def test_a_dearer_declared_rate_on_external_links_is_flagged_with_no_order() -> None:
    [finding] = judged(world(groups=WITH_DOUYIN, schedules=(DOUYIN_2020,))).findings
    assert (finding.subject, finding.surface) == ("douyin.example", "*/link_placement/declared")
    assert finding.against == ("alibaba", "jd", "tencent")
    assert (finding.metric.value, finding.metric.baseline) == (0.2, 0.05)
    assert finding.n == 0 and finding.p_value is None and finding.since == WINDOW.start
    assert finding.evidence.kind == "commission_schedules"
    assert "declares 20% on link_placement" in finding.summary and "ratio 4.00" in finding.summary


def test_a_declared_rate_the_same_as_the_own_store_or_within_the_threshold_is_no_finding() -> None:
    for rates in (
        '{"own_store": 500, "link_placement": 500}',
        '{"own_store": 2000, "link_placement": 2100}',
    ):
        schedule = PolicyVersion(
            "douyin.example", 1, date(2020, 8, 20), f'{{"channel_rates": {rates}}}'
        )
        assert judged(world(groups=WITH_DOUYIN, schedules=(schedule,))).findings == ()
    just_above = PolicyVersion(
        "douyin.example",
        1,
        date(2020, 8, 20),
        '{"channel_rates": {"own_store": 2000, "link_placement": 2101}}',
    )
    assert len(judged(world(groups=WITH_DOUYIN, schedules=(just_above,))).findings) == 1


def test_a_dearer_declared_rate_of_a_host_with_sibling_platforms_names_only_other_groups() -> None:
    # Taobao's group has Tmall: Tmall's merchants pay Taobao's link rate too, JD's still do.
    groups = tuple(
        GroupVersion(g.name, g.version, g.valid_from, g.members | {"tmall.example"}, g.allied)
        if g.name == "alibaba"
        else g
        for g in GROUPS
    )
    schedules = (
        PolicyVersion("taobao.example", 1, date(2020, 1, 1), DOUYIN_2020.rule),
        PolicyVersion("tmall.example", 1, date(2020, 1, 1), DOUYIN_2020.rule),
    )
    report = judged(world(groups=groups, schedules=schedules))
    assert {(f.subject, f.against) for f in report.findings} == {
        ("taobao.example", ("jd", "tencent")),
        ("tmall.example", ("jd", "tencent")),
    }
    assert report.inconclusive == ()


def test_a_schedule_replaced_before_the_window_decides_nothing_in_it() -> None:
    fair = PolicyVersion(
        "douyin.example",
        2,
        date(2024, 1, 1),
        '{"channel_rates": {"own_store": 500, "link_placement": 500}}',
    )
    assert judged(world(groups=WITH_DOUYIN, schedules=(DOUYIN_2020, fair))).findings == ()
    later = PolicyVersion(
        "douyin.example",
        2,
        date(2025, 3, 15),
        '{"channel_rates": {"own_store": 500, "link_placement": 500}}',
    )
    [finding] = judged(world(groups=WITH_DOUYIN, schedules=(DOUYIN_2020, later))).findings
    assert finding.since == WINDOW.start


def test_rival_orders_on_the_channel_are_judged_as_orders_not_as_the_declaration() -> None:
    data = world(
        groups=WITH_DOUYIN,
        schedules=(DOUYIN_2020,),
        fees=(
            fees("jd.example", 40, 0.20, channel="link_placement", host="douyin.example", sd=0.01),
        ),
    )
    [finding] = judged(data).findings
    assert finding.surface == "tea/link_placement" and finding.n == 40


def test_too_few_rival_orders_on_the_channel_leave_the_declaration_to_decide() -> None:
    data = world(
        groups=WITH_DOUYIN,
        schedules=(DOUYIN_2020,),
        fees=(
            fees("jd.example", 3, 0.20, channel="link_placement", host="douyin.example", sd=0.01),
        ),
    )
    report = judged(data)
    assert [f.surface for f in report.findings] == ["*/link_placement/declared"]
    assert report.inconclusive[0].reason == "n=3 is below the minimum sample of 20"
