"""Each check's edges over aggregated evidence handed in (pure: no database).

For every check: just below and just above its threshold, the inconclusive
path below the minimum sample, a justified difference applied to own and
rivals alike (no finding), one applied to rivals only (a finding showing it),
and the same data giving the same findings with the same ids.
"""

from __future__ import annotations

from datetime import date

from hutong.audit import Thresholds, run_checks
from hutong.audit.checks.cells import Cell, decide
from hutong.audit.evidence import (
    CarrierRefusalCell,
    LinkCell,
    PolicyVersion,
    StorefrontCell,
    WalletRefusalCell,
)
from hutong.audit.findings import EvidenceRef, Metric
from hutong.links.policy.rules import LinkRule, Surface, Treatment
from hutong.registry.groups import GroupVersion
from tests.harness.audit import DAY, GROUPS, WINDOW, world


def links(
    own_open: int, own_refused: int, rival_open: int, rival_refused: int, rule: str = ""
) -> tuple[LinkCell, ...]:
    cells = [
        LinkCell("wechat", "wechat.example", "chat", "opened", "", own_open, DAY),
        LinkCell("wechat", "wechat.example", "chat", "blocked", "", own_refused, DAY),
        LinkCell("wechat", "taobao.example", "chat", "opened", "", rival_open, DAY),
        LinkCell("wechat", "taobao.example", "chat", "blocked", rule, rival_refused, DAY),
    ]
    return tuple(c for c in cells if c.count)


# -- link_blocking ------------------------------------------------------------------------


def test_rival_links_blocked_where_own_links_open_are_flagged() -> None:
    report = run_checks(world(links=links(40, 0, 28, 12)))
    [finding] = report.findings
    assert (finding.check, finding.subject, finding.against, finding.surface) == (
        "link_blocking",
        "wechat",
        ("alibaba",),
        "chat",
    )
    assert finding.metric.value == 0.7 and finding.metric.baseline == 1.0
    assert finding.p_value is not None and finding.p_value <= 0.01
    assert finding.n == 40 and finding.evidence_count == 12
    assert finding.summary.startswith("Indicator of possible link blocking")


def test_a_shortfall_just_short_of_significance_is_no_finding() -> None:
    # 40 vs 40 links: 4 refused of the rival's is p ~ 0.058, 6 is p ~ 0.013, 7 is p ~ 0.006.
    assert run_checks(world(links=links(40, 0, 34, 6))).findings == ()
    assert len(run_checks(world(links=links(40, 0, 33, 7))).findings) == 1


def test_below_the_minimum_sample_a_shortfall_is_inconclusive() -> None:
    report = run_checks(world(links=links(40, 0, 0, 19)))
    assert report.findings == ()
    [cell] = report.inconclusive
    assert cell.reason == "n=19 is below the minimum sample of 20"
    assert len(run_checks(world(links=links(40, 0, 0, 20))).findings) == 1


def test_a_block_by_a_declared_rule_counts_on_its_own_whatever_the_sample() -> None:
    [finding] = run_checks(world(links=links(40, 0, 0, 3, rule="wechat#v1"))).findings
    assert finding.p_value is not None
    assert "declared rule wechat#v1" in finding.summary


def test_the_same_treatment_of_own_and_rival_links_is_not_flagged() -> None:
    assert run_checks(world(links=links(30, 10, 30, 10, rule="wechat#v1"))).findings == ()


def test_allied_links_are_reported_as_allied_never_as_own() -> None:
    cells = (
        LinkCell("wechat", "wechat.example", "chat", "opened", "", 40, DAY),
        LinkCell("wechat", "jd.example", "chat", "blocked", "wechat#v2", 25, DAY),
    )
    [finding] = run_checks(world(links=cells)).findings
    assert finding.against == ("jd",)
    assert "allied jd" in finding.summary


def test_no_own_links_to_compare_is_inconclusive() -> None:
    cells = (LinkCell("wechat", "taobao.example", "chat", "blocked", "", 50, DAY),)
    report = run_checks(world(links=cells))
    assert report.findings == ()
    assert report.inconclusive[0].reason == "no own links on this surface to compare"


def test_a_threshold_is_configurable() -> None:
    strict = Thresholds().with_threshold("link_blocking", min_n=50)
    report = run_checks(world(links=links(40, 0, 28, 12)), strict)
    assert report.findings == () and len(report.inconclusive) == 1


# -- storefront_refusal ----------------------------------------------------------------------


def storefronts(
    own: tuple[int, int],
    rival: tuple[int, int],
    *,
    own_code: str | None = None,
    rival_code: str | None = None,
    justified: int = 0,
) -> tuple[StorefrontCell, ...]:
    cells = [
        StorefrontCell("taobao.example", "taobao.example", "approved", None, False, own[0], DAY),
        StorefrontCell("taobao.example", "taobao.example", "refused", None, False, own[1], DAY),
        StorefrontCell("taobao.example", "jd.example", "approved", None, False, rival[0], DAY),
        StorefrontCell("taobao.example", "jd.example", "refused", None, False, rival[1], DAY),
    ]
    if justified:
        cells.append(
            StorefrontCell(
                "taobao.example", "jd.example", "refused", rival_code, False, justified, DAY
            )
        )
        if own_code:
            cells.append(
                StorefrontCell(
                    "taobao.example", "taobao.example", "refused", own_code, False, 1, DAY
                )
            )
    return tuple(c for c in cells if c.count)


def test_a_significantly_lower_rival_approval_rate_is_flagged() -> None:
    [finding] = run_checks(world(storefronts=storefronts((30, 0), (20, 10)))).findings
    assert finding.check == "storefront_refusal" and finding.against == ("jd",)
    assert finding.metric.value == 0.666667 and finding.metric.baseline == 1.0


def test_a_lower_rival_rate_short_of_significance_is_no_finding() -> None:
    assert run_checks(world(storefronts=storefronts((30, 0), (26, 4)))).findings == ()


def test_few_storefront_decisions_are_inconclusive() -> None:
    report = run_checks(world(storefronts=storefronts((30, 0), (0, 19))))
    assert report.findings == ()
    assert report.inconclusive[0].reason == "n=19 is below the minimum sample of 20"


def test_a_justification_applied_to_own_merchants_at_the_same_rate_is_left_out() -> None:
    # Fraud cited for 1 in 31 own requests and 1 in 21 rival ones: applied equally.
    cells = storefronts((30, 0), (20, 0), rival_code="fraud", own_code="fraud", justified=1)
    assert run_checks(world(storefronts=cells)).findings == ()


def test_a_justification_cited_for_rivals_far_more_often_is_no_excuse() -> None:
    # Fraud cited once for an own merchant (1 in 31) but 15 times in 35 rival requests: the
    # own rate excuses one rival refusal, the other 14 count.
    cells = storefronts((30, 0), (20, 0), rival_code="fraud", own_code="fraud", justified=15)
    [finding] = run_checks(world(storefronts=cells)).findings
    assert finding.n == 34 and "justified to rivals beyond own: fraud" in finding.summary


def test_a_justification_applied_to_rivals_only_is_flagged_and_shown() -> None:
    cells = storefronts((30, 0), (20, 0), rival_code="fraud", justified=15)
    [finding] = run_checks(world(storefronts=cells)).findings
    assert "justified to rivals beyond own: fraud" in finding.summary


# -- wallet_exclusion and carrier_exclusion ----------------------------------------------------


def test_a_rival_wallet_refused_while_the_own_wallet_is_accepted_is_flagged() -> None:
    refusals = (WalletRefusalCell("taobao.example", "tenpay.example", 1, date(2011, 1, 1), 3),)
    [finding] = run_checks(world(wallet_refusals=refusals)).findings
    assert (finding.check, finding.subject, finding.against) == (
        "wallet_exclusion",
        "taobao.example",
        ("tenpay.example",),
    )
    assert finding.since == date(2011, 1, 1) and finding.n == 3


def test_a_wallet_refused_by_a_platform_refusing_its_own_too_is_not_flagged() -> None:
    refusals = (
        WalletRefusalCell("taobao.example", "tenpay.example", 1, date(2011, 1, 1), 3),
        WalletRefusalCell("taobao.example", "alipay.example", 1, date(2011, 1, 1), 2),
    )
    report = run_checks(world(wallet_refusals=refusals))
    assert report.findings == ()
    assert "no accepted own-group one" in report.inconclusive[0].reason


def test_no_refusal_is_no_finding() -> None:
    report = run_checks(world())
    assert report.findings == () and report.inconclusive == ()


def test_a_rival_carrier_refused_while_the_own_carrier_is_accepted_is_flagged() -> None:
    refusals = (CarrierRefusalCell("host_carrier", "jd.example", "cainiao.example", 2, DAY),)
    [finding] = run_checks(world(carrier_refusals=refusals)).findings
    assert finding.check == "carrier_exclusion" and finding.against == ("cainiao.example",)


def test_a_declared_refusal_of_a_rival_carrier_is_flagged_before_any_booking_meets_it() -> None:
    policy = PolicyVersion(
        "jd.example", 1, date(2025, 1, 1), '{"allowed": null, "refused": ["cainiao.example"]}'
    )
    [finding] = run_checks(world(carrier_policies=(policy,))).findings
    assert (finding.check, finding.subject, finding.against) == (
        "carrier_exclusion",
        "jd.example",
        ("cainiao.example",),
    )
    assert "its declared policy refuses it" in finding.summary
    everyone = PolicyVersion("jd.example", 2, date(2025, 2, 1), '{"allowed": null, "refused": []}')
    assert run_checks(world(carrier_policies=(policy, everyone))).findings == ()


def test_a_full_pickup_point_refuses_everyone_alike_and_is_not_flagged() -> None:
    refusals = (CarrierRefusalCell("pickup_full", "jd.example", "cainiao.example", 9, DAY),)
    assert run_checks(world(carrier_refusals=refusals)).findings == ()


# -- determinism --------------------------------------------------------------------------------


def test_the_same_data_gives_the_same_findings_and_ids_and_another_window_other_ids() -> None:
    data = world(
        links=links(40, 0, 28, 12),
        storefronts=storefronts((30, 0), (20, 10)),
        wallet_refusals=(
            WalletRefusalCell("taobao.example", "tenpay.example", 1, date(2011, 1, 1), 3),
        ),
    )
    first, again = run_checks(data), run_checks(data)
    assert first == again
    assert len({f.id for f in first.findings}) == 3


def test_a_declared_block_of_rivals_only_is_flagged_with_no_own_link_resolved() -> None:
    # WeChat declares a block of Taobao on chat; QQ, its sibling, has no rule (open).
    groups = tuple(
        GroupVersion(g.name, g.version, g.valid_from, g.members | {"qq.example"}, g.allied)
        if g.name == "tencent"
        else g
        for g in GROUPS
    )
    cells = (
        LinkCell("wechat", "taobao.example", "chat", "blocked", "wechat#v1", 5, DAY),
        LinkCell("qq", "qq.example", "chat", "opened", "", 5, DAY),
    )
    [finding] = run_checks(world(links=cells, groups=groups)).only(check="link_blocking").findings
    assert finding.subject == "wechat" and "open the links of qq there" in finding.summary
    blocked_too = LinkRule(
        host="wechat",
        source="qq",
        treatment=Treatment.BLOCKED,
        valid_from=date(2025, 1, 1),
        surfaces=frozenset({Surface.CHAT}),
        version=2,
    )
    same = world(links=cells, groups=groups, link_rules=(blocked_too,))
    assert run_checks(same).only(check="link_blocking").findings == ()


# -- the run's decision --------------------------------------------------------------------------


def _cell(subject: str, n: int, p: float) -> Cell:
    return Cell(
        check="storefront_refusal",
        subject=subject,
        against=("jd",),
        surface=None,
        metric=Metric("rival_approval_rate", 0.5, 0.9, 1.0),
        n=n,
        p_value=p,
        since=None,
        evidence_count=n,
        evidence=EvidenceRef("storefronts"),
        what="discriminatory refusal to deal",
        exceeds=True,
    )


def test_cells_below_their_minimum_sample_do_not_dilute_the_others_q_values() -> None:
    # Nine cells too small to judge, whatever their p, are no hypotheses of the run: the one
    # judgeable cell keeps q = p = 0.004 (with them in the family it would be 0.04, no finding).
    cells = [_cell("taobao.example", 40, 0.004)] + [
        _cell(f"host{k}.example", 5, 0.5) for k in range(9)
    ]
    findings, inconclusive = decide(cells, WINDOW, Thresholds())
    assert [(f.subject, f.p_value) for f in findings] == [("taobao.example", 0.004)]
    assert len(inconclusive) == 9
