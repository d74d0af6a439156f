"""`ranking_self_preference` over aggregated impressions handed in (pure: no database).

Taobao showing Taobao items (own group) and JD or WeChat items: the
merit-adjusted exposure ratio either side of 1.25, the dominated-item win
odds ratio either side of 1.5 at equal rating gap, the minimum of 200, and
allied items left out of both sides.
"""

from __future__ import annotations

from hutong.audit import AuditReport, run_checks
from hutong.audit.checks.ranking import dcg_weight, ranking_self_preference
from hutong.audit.evidence import DominanceCell, ExposureCell
from hutong.audit.parties import Parties
from hutong.audit.rules import Thresholds
from tests.harness.audit import GROUPS, WINDOW, world

HOST = "taobao.example"
PARTIES = Parties.of(GROUPS, WINDOW.end)
RULES = Thresholds()


def shown(
    home: str, position: int, n: int, rating: float = 4.5, *, items: int = 30
) -> list[ExposureCell]:
    """`n` showings at `position`, spread evenly over `items` distinct items of `home`."""
    each = n // items
    return [
        ExposureCell(HOST, home, f"{home}-m/sku{k}", position, each, each * rating)
        for k in range(items)
    ]


def pairs(a_home: str, b_home: str, wins: int, losses: int, gap: int = 3) -> list[DominanceCell]:
    """`wins + losses` pairs where a `b_home` item out-rates an `a_home` item by `gap` tenths."""
    return [
        DominanceCell(HOST, a_home, b_home, gap, True, wins),
        DominanceCell(HOST, a_home, b_home, gap, False, losses),
    ]


def judged(exposure: list[ExposureCell], dominance: list[DominanceCell]) -> AuditReport:
    data = world(exposure=tuple(exposure), dominance=tuple(dominance))
    return run_checks(data).only(check="ranking_self_preference")


def test_dcg_weights_halve_attention_by_the_third_place() -> None:
    assert dcg_weight(1) == 1.0
    assert dcg_weight(3) == 0.5


def test_own_items_on_top_at_equal_rating_are_flagged_with_the_exposure_ratio() -> None:
    exposure = shown(HOST, 1, 300) + shown("jd.example", 3, 300)
    [finding] = judged(exposure, []).findings
    assert (finding.subject, finding.against, finding.surface) == (HOST, ("jd",), "exposure")
    assert finding.metric.value == 2.0  # w(1) / w(3) at the same rating
    assert "Indicator of possible self-preferencing in ranking" in finding.summary


def test_exposure_in_proportion_to_rating_is_no_finding() -> None:
    # Own items rated 4.8 at the top, rival items rated 3.2 next: 1.06, below 1.25.
    exposure = shown(HOST, 1, 300, 4.8) + shown("jd.example", 2, 300, 3.2)
    report = judged(exposure, [])
    assert report.findings == ()


def test_an_item_shown_again_and_again_is_one_item_not_many_observations() -> None:
    # The same two items in 300 lists each: own item on top, rival below, ratings equal.
    # 300 showings of one item are no evidence that the host prefers its own group.
    exposure = [
        ExposureCell(HOST, HOST, "taobao-m/sku1", 1, 300, 1350.0),
        ExposureCell(HOST, "jd.example", "jd-m/sku1", 3, 300, 1350.0),
    ]
    report = judged(exposure, [])
    assert report.findings == ()
    assert [i.reason for i in report.inconclusive] == [
        "fewer than 2 distinct items on a side: no interval"
    ]


def test_own_items_ranked_anywhere_from_top_to_bottom_have_a_wide_interval() -> None:
    # Own items average twice the rival exposure, but each own item sits either on top or far
    # below: over 8 own items the interval is too wide to say it is more than chance.
    exposure = [
        *shown(HOST, 1, 200, items=2),
        *[ExposureCell(HOST, HOST, f"taobao-low/sku{k}", 40, 100, 450.0) for k in range(6)],
        *shown("jd.example", 10, 800, items=40),
    ]
    [cell] = [c for c in ranking_self_preference(world(exposure=tuple(exposure)), PARTIES, RULES)]
    assert cell.metric.value > 1.25 and not cell.exceeds
    assert judged(exposure, []).findings == ()


def test_dominated_own_items_winning_far_more_often_are_flagged() -> None:
    dominance = pairs(HOST, "jd.example", 120, 100) + pairs("wechat.example", "jd.example", 40, 160)
    [finding] = judged([], dominance).findings
    assert finding.surface == "dominated_wins"
    assert finding.metric.value > 1.5
    assert finding.n == 220


def test_an_odds_ratio_below_one_and_a_half_is_no_finding() -> None:
    dominance = pairs(HOST, "jd.example", 1100, 1900) + pairs(
        "wechat.example", "jd.example", 1000, 2000
    )
    assert judged([], dominance).findings == ()


def test_fewer_than_two_hundred_dominated_own_pairs_are_inconclusive() -> None:
    dominance = pairs(HOST, "jd.example", 120, 79) + pairs("wechat.example", "jd.example", 40, 160)
    report = judged([], dominance)
    assert report.findings == ()
    assert [i.reason for i in report.inconclusive] == ["n=199 is below the minimum sample of 200"]


def test_pairs_compared_only_within_their_rating_gap() -> None:
    # Own items are dominated by small gaps (often win), rival ones by large gaps (rarely):
    # stratum by stratum the win rates are equal, so no finding.
    dominance = (
        pairs(HOST, "jd.example", 200, 200, gap=1)
        + pairs("wechat.example", "jd.example", 20, 20, gap=1)
        + pairs(HOST, "jd.example", 2, 18, gap=10)
        + pairs("wechat.example", "jd.example", 20, 180, gap=10)
    )
    assert judged([], dominance).findings == ()


def test_allied_items_are_neither_own_nor_rival() -> None:
    host = "wechat.example"
    exposure = [
        ExposureCell(host, "wechat.example", "w/1", 2, 300, 1350.0),
        ExposureCell(host, "jd.example", "j/1", 1, 300, 1350.0),  # allied, on top
        ExposureCell(host, "taobao.example", "t/1", 2, 300, 1350.0),
    ]
    report = run_checks(world(exposure=tuple(exposure))).only(check="ranking_self_preference")
    assert report.findings == ()
