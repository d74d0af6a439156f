"""Link policies: treatments per surface, dated versions, precedence, the seed world."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hutong.links.policy import (
    ALL_LINKS,
    Basis,
    Decision,
    ExtraStep,
    LinkRule,
    PolicyError,
    PolicyHistory,
    ScopeKind,
    SourceScope,
    Surface,
    Treatment,
    decide,
)
from hutong.protocol.errors import Kind, RuleBroken
from hutong.world.link_policies import SEED_LINK_RULES, seed_policies


def rule(
    source: str = "taobao",
    treatment: Treatment = Treatment.BLOCKED,
    valid_from: date = date(2022, 3, 1),
    *,
    host: str = "kuaishou",
    surfaces: set[Surface] | None = None,
    scope: SourceScope = ALL_LINKS,
    extra_steps: tuple[ExtraStep, ...] = (),
    valid_until: date | None = None,
    declared_at: date | None = None,
    note: str = "",
) -> LinkRule:
    return LinkRule(
        host=host,
        source=source,
        surfaces=None if surfaces is None else frozenset(surfaces),
        scope=scope,
        treatment=treatment,
        extra_steps=extra_steps,
        valid_from=valid_from,
        valid_until=valid_until,
        declared_at=declared_at,
        note=note,
    )


# -- each treatment on each surface ----------------------------------------------------


@pytest.mark.parametrize("surface", list(Surface))
@pytest.mark.parametrize("treatment", list(Treatment))
def test_each_treatment_on_each_surface(treatment: Treatment, surface: Surface) -> None:
    steps = () if treatment is Treatment.BLOCKED else (ExtraStep.COPY_TO_BROWSER,)
    history = PolicyHistory("kuaishou")
    history.declare(rule(treatment=treatment, surfaces={surface}, extra_steps=steps))

    got = history.decide("taobao", surface, date(2022, 3, 1))
    assert got.treatment is treatment
    assert got.extra_steps == steps
    assert got.declared and got.basis is Basis.RULE
    assert got.rule is not None and got.rule.version == 1

    for other in Surface:
        if other is not surface:
            elsewhere = history.decide("taobao", other, date(2022, 3, 1))
            assert elsewhere.basis is Basis.UNDECLARED
            assert elsewhere.treatment is Treatment.OPEN


def test_a_rule_without_surfaces_covers_every_surface() -> None:
    history = PolicyHistory("kuaishou", [rule("youzan")])
    assert {history.decide("youzan", s, date(2023, 1, 1)).treatment for s in Surface} == {
        Treatment.BLOCKED
    }


def test_only_link_treatments_are_clickable() -> None:
    assert {t for t in Treatment if t.clickable} == {
        Treatment.OPEN,
        Treatment.DEEP_LINK,
        Treatment.MINI_PROGRAM,
    }


# -- dates: valid_from inclusive, valid_until exclusive --------------------------------


def test_validity_window_is_from_inclusive_until_exclusive() -> None:
    history = PolicyHistory(
        "kuaishou", [rule(valid_from=date(2022, 3, 1), valid_until=date(2022, 10, 28))]
    )
    live = Surface.LIVE_CART

    assert history.decide("taobao", live, date(2022, 2, 28)).basis is Basis.UNDECLARED
    assert history.decide("taobao", live, date(2022, 3, 1)).treatment is Treatment.BLOCKED
    assert history.decide("taobao", live, date(2022, 10, 27)).treatment is Treatment.BLOCKED
    assert history.decide("taobao", live, date(2022, 10, 28)).basis is Basis.UNDECLARED
    assert history.rules_at(date(2022, 10, 27)) == history.versions
    assert history.rules_at(date(2022, 10, 28)) == ()


def test_history_answers_before_at_and_after_a_change() -> None:
    history = PolicyHistory("douyin")
    opened = history.declare(
        rule(
            "taobao",
            Treatment.OPEN,
            date(2018, 12, 1),
            host="douyin",
            surfaces={Surface.LIVE_CART, Surface.VIDEO_CART},
        )
    )
    cut = history.declare(
        rule(
            "taobao",
            Treatment.BLOCKED,
            date(2020, 10, 9),
            host="douyin",
            surfaces={Surface.LIVE_CART},
        )
    )
    live = Surface.LIVE_CART

    before = history.decide("taobao", live, date(2020, 10, 8))
    at = history.decide("taobao", live, date(2020, 10, 9))
    after = history.decide("taobao", live, date(2024, 1, 1))
    assert (before.treatment, before.rule) == (Treatment.OPEN, opened)
    assert (at.treatment, at.rule) == (Treatment.BLOCKED, cut)
    assert (after.treatment, after.rule, after.overridden) == (Treatment.BLOCKED, cut, (opened,))
    # The short-video cart was not part of the change.
    assert history.decide("taobao", Surface.VIDEO_CART, date(2024, 1, 1)).rule == opened
    assert history.rules_at(date(2020, 10, 8)) == (opened,)
    assert history.rules_at(date(2020, 10, 9)) == (opened, cut)


def test_an_expired_exception_falls_back_to_the_broader_rule() -> None:
    history = PolicyHistory("kuaishou")
    history.declare(rule("jd"))
    history.declare(
        rule(
            "jd",
            Treatment.OPEN,
            date(2022, 6, 1),
            scope=SourceScope.self_operated(),
            valid_until=date(2022, 7, 1),
        )
    )
    day = date(2022, 7, 1)
    got = history.decide("jd", Surface.SEARCH, day, merchant_is_self_operated=True)
    assert got.treatment is Treatment.BLOCKED


# -- scope ----------------------------------------------------------------------------


def test_self_operated_scope_restores_only_self_operated_stores() -> None:
    history = PolicyHistory("kuaishou")
    blocked = history.declare(rule("jd", surfaces={Surface.LIVE_CART}))
    restored = history.declare(
        rule(
            "jd",
            Treatment.OPEN,
            date(2022, 10, 28),
            surfaces={Surface.LIVE_CART},
            scope=SourceScope.self_operated(),
        )
    )
    live = Surface.LIVE_CART

    self_op = history.decide("jd", live, date(2022, 11, 1), merchant_is_self_operated=True)
    assert (self_op.treatment, self_op.rule, self_op.overridden) == (
        Treatment.OPEN,
        restored,
        (blocked,),
    )
    third_party = history.decide("jd", live, date(2022, 11, 1), merchant_id="jd-shop-42")
    assert (third_party.treatment, third_party.rule) == (Treatment.BLOCKED, blocked)
    earlier = history.decide("jd", live, date(2022, 10, 27), merchant_is_self_operated=True)
    assert earlier.treatment is Treatment.BLOCKED


def test_merchant_scope_beats_self_operated_which_beats_all() -> None:
    history = PolicyHistory("kuaishou")
    # Declared first, yet it wins over the later rules: its scope is narrower.
    merchant_rule = history.declare(
        rule("jd", Treatment.MINI_PROGRAM, scope=SourceScope.merchants("jd-beauty"))
    )
    history.declare(rule("jd", Treatment.DEEP_LINK, scope=SourceScope.self_operated()))
    history.declare(rule("jd", Treatment.BLOCKED))
    day, s = date(2022, 4, 1), Surface.PRODUCT_PAGE

    beauty = history.decide("jd", s, day, merchant_is_self_operated=True, merchant_id="jd-beauty")
    assert (beauty.treatment, beauty.rule) == (Treatment.MINI_PROGRAM, merchant_rule)
    assert len(beauty.overridden) == 2
    sports = history.decide("jd", s, day, merchant_is_self_operated=True, merchant_id="jd-sports")
    assert sports.treatment is Treatment.DEEP_LINK
    assert history.decide("jd", s, day, merchant_id="shop-9").treatment is Treatment.BLOCKED
    assert history.decide("jd", s, day).treatment is Treatment.BLOCKED


def test_a_named_surface_beats_every_surface_even_when_older() -> None:
    history = PolicyHistory("kuaishou")
    live_open = history.declare(rule(treatment=Treatment.OPEN, surfaces={Surface.LIVE_CART}))
    history.declare(rule(treatment=Treatment.BLOCKED))
    day = date(2022, 5, 1)
    assert history.decide("taobao", Surface.LIVE_CART, day).rule == live_open
    assert history.decide("taobao", Surface.SEARCH, day).treatment is Treatment.BLOCKED


def test_scope_is_weighed_before_surface() -> None:
    history = PolicyHistory("kuaishou")
    history.declare(rule("jd", Treatment.BLOCKED, surfaces={Surface.LIVE_CART}))
    history.declare(rule("jd", Treatment.OPEN, scope=SourceScope.self_operated()))
    got = history.decide("jd", Surface.LIVE_CART, date(2022, 5, 1), merchant_is_self_operated=True)
    assert got.treatment is Treatment.OPEN


def test_scopes_check_their_merchant_ids() -> None:
    with pytest.raises(PolicyError):
        SourceScope(ScopeKind.MERCHANTS)
    with pytest.raises(PolicyError):
        SourceScope.merchants(" ")
    with pytest.raises(PolicyError):
        SourceScope(ScopeKind.SELF_OPERATED, frozenset({"m"}))
    assert SourceScope.merchants("b", "a").describe() == "merchants a, b"
    assert not SourceScope.merchants("a").covers(self_operated=True, merchant_id=None)


# -- versions -------------------------------------------------------------------------


def test_a_later_version_overrides_without_rewriting_earlier_dates() -> None:
    history = PolicyHistory("wechat")
    codes = history.declare(
        rule(
            "taobao",
            Treatment.SHARE_CODE_ONLY,
            date(2013, 1, 1),
            host="wechat",
            surfaces={Surface.GROUP_CHAT},
        )
    )
    first_view = [
        history.decide("taobao", Surface.GROUP_CHAT, date(y, 6, 1)) for y in range(2013, 2025)
    ]

    opened = history.declare(
        rule(
            "taobao",
            Treatment.OPEN,
            date(2021, 11, 29),
            host="wechat",
            surfaces={Surface.GROUP_CHAT},
        )
    )
    assert history.versions[0] is codes  # the earlier version is kept as it was
    for before in first_view:
        now = history.decide("taobao", Surface.GROUP_CHAT, before.day)
        if before.day < opened.valid_from:
            assert now == before
        else:
            assert now.rule == opened and now.treatment is Treatment.OPEN


def test_a_correction_from_the_same_day_wins_and_as_of_shows_what_was_said() -> None:
    history = PolicyHistory("kuaishou")
    history.declare(rule(treatment=Treatment.BLOCKED, surfaces={Surface.LIVE_CART}))
    fixed = history.declare(
        rule(
            treatment=Treatment.OPEN,
            surfaces={Surface.LIVE_CART},
            extra_steps=(ExtraStep.WARNING_PAGE,),
        )
    )
    day = date(2022, 3, 1)
    assert history.decide("taobao", Surface.LIVE_CART, day).rule == fixed
    assert history.as_of(1).decide("taobao", Surface.LIVE_CART, day).treatment is Treatment.BLOCKED
    assert history.as_of(0).decide("taobao", Surface.LIVE_CART, day).basis is Basis.UNDECLARED
    assert len(history) == 2 and history.latest_version == 2
    with pytest.raises(PolicyError):
        history.as_of(3)


def test_versions_are_numbered_by_the_history_and_frozen() -> None:
    history = PolicyHistory("kuaishou")
    draft = rule()
    stored = history.declare(draft)
    assert draft.version == 0 and stored.version == 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        stored.treatment = Treatment.OPEN  # type: ignore[misc]
    with pytest.raises(PolicyError, match="expected version 2"):
        history.declare(dataclasses.replace(draft, version=5))
    assert history.declare(dataclasses.replace(draft, version=2)).version == 2
    with pytest.raises(PolicyError, match="cannot join"):
        history.declare(rule(host="douyin"))


def test_declarations_do_not_go_back_in_time() -> None:
    history = PolicyHistory("kuaishou")
    history.declare(rule(declared_at=date(2022, 2, 1)))
    history.declare(rule(declared_at=None))  # unknown dates are accepted
    with pytest.raises(PolicyError, match="before the latest"):
        history.declare(rule(declared_at=date(2022, 1, 31)))
    assert len(history) == 2


def test_a_refused_rule_is_a_broken_rule_with_a_stable_code() -> None:
    history = PolicyHistory("kuaishou")
    history.declare(rule(declared_at=date(2022, 2, 1)))
    refusals = {
        "own_link_rule": lambda: rule("kuaishou"),
        "invalid_link_rule": lambda: rule(valid_until=date(2022, 1, 1)),
        "invalid_scope": lambda: SourceScope.merchants(),
        "version_out_of_order": lambda: history.declare(dataclasses.replace(rule(), version=5)),
        "declared_out_of_order": lambda: history.declare(rule(declared_at=date(2022, 1, 1))),
        "unknown_version": lambda: history.as_of(9),
        "wrong_host": lambda: history.declare(rule(host="douyin")),
    }
    kinds = {}
    for code, refuse in refusals.items():
        with pytest.raises(PolicyError) as refused:
            refuse()
        assert isinstance(refused.value, RuleBroken) and isinstance(refused.value, ValueError)
        assert refused.value.code == code
        kinds[code] = refused.value.kind
    assert kinds == {
        "own_link_rule": Kind.INVALID,
        "invalid_link_rule": Kind.INVALID,
        "invalid_scope": Kind.INVALID,
        "version_out_of_order": Kind.CONFLICT,
        "declared_out_of_order": Kind.CONFLICT,
        "unknown_version": Kind.NOT_FOUND,
        "wrong_host": Kind.INVALID,
    }


# -- own links, undeclared links, explanations ---------------------------------------


def test_a_hosts_own_links_are_always_open_and_cannot_be_ruled() -> None:
    history = PolicyHistory("douyin", [rule("jd", host="douyin")])
    own = history.decide("douyin", Surface.LIVE_CART, date(2022, 1, 1))
    assert own.treatment is Treatment.OPEN and own.basis is Basis.OWN_LINK
    assert not own.declared and own.rule is None
    with pytest.raises(PolicyError, match="always open"):
        rule("douyin", host="douyin")


def test_no_rule_means_open_but_flagged_undeclared() -> None:
    got = decide({}, "xiaohongshu", "taobao", Surface.SEARCH, date(2022, 1, 1))
    assert got.treatment is Treatment.OPEN
    assert got.rule is None and not got.declared and got.basis is Basis.UNDECLARED
    assert got.since is None
    assert "no policy" in got.explain() and "open by default" in got.explain()


def test_module_decide_refuses_a_misfiled_history() -> None:
    with pytest.raises(PolicyError):
        decide({"wechat": PolicyHistory("douyin")}, "wechat", "jd", Surface.CHAT, date(2022, 1, 1))


def test_a_blocked_page_can_say_by_whom_and_since_when() -> None:
    history = PolicyHistory("kuaishou", [rule(note="alliance links cut")])
    got = history.decide("taobao", Surface.LIVE_CART, date(2022, 5, 1))
    assert got.explain().startswith("blocked by kuaishou since 2022-03-01")
    assert "version 1" in got.explain() and "alliance links cut" in got.explain()
    assert got.since == date(2022, 3, 1)


def test_snapshot_and_sources_cover_the_declared_sources() -> None:
    history = PolicyHistory("kuaishou", [rule("taobao"), rule("jd", surfaces={Surface.LIVE_CART})])
    assert history.sources() == ("jd", "taobao")
    shot = history.snapshot(date(2022, 5, 1))
    assert len(shot) == 2 * len(Surface)
    by_key = {(d.source, d.surface): d for d in shot}
    assert by_key[("jd", Surface.LIVE_CART)].treatment is Treatment.BLOCKED
    assert by_key[("jd", Surface.CHAT)].basis is Basis.UNDECLARED
    line = history.versions[1].describe()
    assert line == "kuaishou v2: jd (all links) on live_cart: blocked from 2022-03-01"


# -- validation and serialization -----------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"valid_until": date(2022, 3, 1)},
        {"valid_until": date(2022, 2, 1)},
        {"extra_steps": (ExtraStep.WARNING_PAGE,)},  # blocked
        {"treatment": Treatment.OPEN, "extra_steps": (ExtraStep.WARNING_PAGE,) * 2},
        {"surfaces": frozenset()},
        {"valid_from": datetime(2022, 3, 1, 12, 0)},
        {"host": " "},
        {"version": -1},
    ],
)
def test_invalid_rules_are_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(PolicyError):
        dataclasses.replace(rule(), **changes)


def test_rules_round_trip_through_dicts() -> None:
    original = PolicyHistory("wechat").declare(
        rule(
            "taobao",
            Treatment.OPEN,
            date(2021, 9, 17),
            host="wechat",
            surfaces={Surface.CHAT, Surface.GROUP_CHAT},
            scope=SourceScope.merchants("m2", "m1"),
            extra_steps=(ExtraStep.WARNING_PAGE, ExtraStep.DELAYED_LOAD),
            valid_until=date(2021, 11, 29),
            declared_at=date(2021, 9, 9),
            note="n",
        )
    )
    data = original.to_dict()
    assert data["surfaces"] == ["chat", "group_chat"]
    assert LinkRule.from_dict(data) == original
    everywhere = rule()
    assert LinkRule.from_dict(everywhere.to_dict()) == everywhere
    with pytest.raises(PolicyError):
        LinkRule.from_dict({"host": "a"})
    with pytest.raises(PolicyError):
        LinkRule.from_dict({**data, "treatment": "throttled"})


# -- the seed world -------------------------------------------------------------------


def seed_decide(host: str, source: str, surface: Surface, day: date, **kwargs: Any) -> Decision:
    return decide(seed_policies(), host, source, surface, day, **kwargs)


def test_seed_wechat_taobao_group_chat_share_codes_then_open() -> None:
    in_2013 = seed_decide("wechat", "taobao", Surface.GROUP_CHAT, date(2013, 6, 1))
    assert in_2013.treatment is Treatment.SHARE_CODE_ONLY
    assert in_2013.since == date(2013, 1, 1)
    eve = seed_decide("wechat", "taobao", Surface.GROUP_CHAT, date(2021, 11, 28))
    assert eve.treatment is Treatment.SHARE_CODE_ONLY
    opened = seed_decide("wechat", "taobao", Surface.GROUP_CHAT, date(2021, 11, 29))
    assert (opened.treatment, opened.extra_steps, opened.since) == (
        Treatment.OPEN,
        (),
        date(2021, 11, 29),
    )


def test_seed_wechat_one_to_one_chat_opens_behind_a_warning_from_2021_09_17() -> None:
    chat = Surface.CHAT
    assert seed_decide("wechat", "taobao", chat, date(2021, 9, 16)).treatment is (
        Treatment.SHARE_CODE_ONLY
    )
    warned = seed_decide("wechat", "taobao", chat, date(2021, 9, 17))
    assert (warned.treatment, warned.extra_steps) == (Treatment.OPEN, (ExtraStep.WARNING_PAGE,))
    later = seed_decide("wechat", "taobao", chat, date(2022, 1, 1))
    assert (later.treatment, later.extra_steps) == (Treatment.OPEN, ())


def test_seed_kuaishou_live_cart_taobao_alliance_blocked_then_restored() -> None:
    may = seed_decide("kuaishou", "taobao", Surface.LIVE_CART, date(2022, 5, 1))
    assert may.treatment is Treatment.BLOCKED
    assert may.explain().startswith("blocked by kuaishou since 2022-03-01")
    november = seed_decide("kuaishou", "taobao", Surface.LIVE_CART, date(2022, 11, 1))
    assert (november.treatment, november.since) == (Treatment.OPEN, date(2022, 10, 28))
    for surface in (Surface.VIDEO_CART, Surface.PRODUCT_PAGE):
        assert seed_decide("kuaishou", "tmall", surface, date(2022, 5, 1)).treatment is (
            Treatment.BLOCKED
        )
        assert seed_decide("kuaishou", "tmall", surface, date(2022, 11, 1)).treatment is (
            Treatment.OPEN
        )
    # Only Taobao Alliance links were reported restored.
    jd = seed_decide("kuaishou", "jd", Surface.LIVE_CART, date(2022, 11, 1))
    assert jd.treatment is Treatment.BLOCKED


def test_seed_douyin_live_cart_blocks_third_party_links_from_2020_10_09() -> None:
    for source in ("taobao", "tmall", "jd"):
        got = seed_decide("douyin", source, Surface.LIVE_CART, date(2020, 10, 9))
        assert (got.treatment, got.since) == (Treatment.BLOCKED, date(2020, 10, 9))
    assert seed_decide("douyin", "taobao", Surface.LIVE_CART, date(2020, 10, 8)).treatment is (
        Treatment.OPEN
    )
    # Short-video links stayed.
    video = seed_decide("douyin", "taobao", Surface.VIDEO_CART, date(2021, 6, 1))
    assert (video.treatment, video.since) == (Treatment.OPEN, date(2018, 12, 1))


def test_seed_jd_beauty_in_a_douyin_live_cart_opens_inside_douyin() -> None:
    # JD Beauty's Douyin shop is sold and paid inside Douyin: its links are Douyin's own.
    in_douyin = seed_decide(
        "douyin", "douyin", Surface.LIVE_CART, date(2021, 6, 1), merchant_id="jd-beauty"
    )
    assert in_douyin.treatment is Treatment.OPEN and in_douyin.basis is Basis.OWN_LINK
    # The same brand's link to its JD home store is an external link, cut since 2020-10-09.
    external = seed_decide(
        "douyin", "jd", Surface.LIVE_CART, date(2021, 6, 1), merchant_is_self_operated=True
    )
    assert external.treatment is Treatment.BLOCKED


def test_seed_histories_are_versioned_noted_and_fresh() -> None:
    policies = seed_policies()
    assert set(policies) == {"wechat", "douyin", "kuaishou"}
    for host, history in policies.items():
        assert [r.version for r in history.versions] == list(range(1, len(history) + 1))
        assert all(r.host == host and r.note and r.declared_at for r in history.versions)
    assert sum(len(h) for h in policies.values()) == len(SEED_LINK_RULES)
    assert all(r.version == 0 for r in SEED_LINK_RULES)
    policies["kuaishou"].declare(rule("pinduoduo"))
    assert len(seed_policies()["kuaishou"]) == len(policies["kuaishou"]) - 1
    eleme = seed_decide("douyin", "eleme", Surface.VIDEO_CART, date(2022, 9, 1))
    assert eleme.treatment is Treatment.MINI_PROGRAM


# -- property: a new version never changes the past ----------------------------------

START = date(2020, 1, 1)
SOURCES = ("taobao", "jd", "tmall")
USED_SURFACES = (Surface.LIVE_CART, Surface.CHAT, Surface.SEARCH)
MERCHANTS = ((False, None), (True, None), (False, "m1"), (True, "m2"))

scopes = st.sampled_from(
    [
        SourceScope.all_links(),
        SourceScope.self_operated(),
        SourceScope.merchants("m1"),
        SourceScope.merchants("m1", "m2"),
    ]
)


@st.composite
def link_rules(draw: st.DrawFn) -> LinkRule:
    treatment = draw(st.sampled_from(list(Treatment)))
    steps: tuple[ExtraStep, ...] = ()
    if treatment is not Treatment.BLOCKED:
        steps = tuple(draw(st.lists(st.sampled_from(list(ExtraStep)), unique=True, max_size=2)))
    valid_from = START + timedelta(days=draw(st.integers(0, 60)))
    length = draw(st.none() | st.integers(1, 30))
    surfaces = draw(st.none() | st.frozensets(st.sampled_from(USED_SURFACES), min_size=1))
    return LinkRule(
        host="kuaishou",
        source=draw(st.sampled_from(SOURCES)),
        surfaces=surfaces,
        scope=draw(scopes),
        treatment=treatment,
        extra_steps=steps,
        valid_from=valid_from,
        valid_until=None if length is None else valid_from + timedelta(days=length),
    )


def all_decisions(history: PolicyHistory, days: list[date]) -> list[Decision]:
    return [
        history.decide(source, surface, day, merchant_is_self_operated=so, merchant_id=m)
        for day in days
        for source in (*SOURCES, "kuaishou")
        for surface in (*USED_SURFACES, Surface.VIDEO_CART)
        for so, m in MERCHANTS
    ]


def boundary_days(rules: list[LinkRule]) -> list[date]:
    """Days on which a decision can change, and the day before each: enough to see every state."""
    days = {START - timedelta(days=1)}
    for r in rules:
        for edge in (r.valid_from, r.valid_until):
            if edge is not None:
                days |= {edge, edge - timedelta(days=1)}
    return sorted(days)


@settings(max_examples=100, deadline=None)
@given(earlier=st.lists(link_rules(), max_size=8), new=link_rules())
def test_a_new_version_never_changes_decisions_before_its_valid_from(
    earlier: list[LinkRule], new: LinkRule
) -> None:
    history = PolicyHistory("kuaishou", earlier)
    days = [d for d in boundary_days([*earlier, new]) if d < new.valid_from]
    before = all_decisions(history, days)
    old_versions = history.versions

    history.declare(new)

    assert history.versions[:-1] == old_versions
    assert all_decisions(history, days) == before
    assert all_decisions(history.as_of(len(old_versions)), days) == before


SCOPE_RANK = {ScopeKind.ALL: 0, ScopeKind.SELF_OPERATED: 1, ScopeKind.MERCHANTS: 2}


@settings(max_examples=60, deadline=None)
@given(rules=st.lists(link_rules(), min_size=1, max_size=8))
def test_decisions_agree_with_a_brute_force_reading_of_the_rules(rules: list[LinkRule]) -> None:
    history = PolicyHistory("kuaishou", rules)
    for day in boundary_days(rules):
        for source in SOURCES:
            for surface in (*USED_SURFACES, Surface.VIDEO_CART):
                for self_op, merchant in MERCHANTS:
                    got = history.decide(
                        source,
                        surface,
                        day,
                        merchant_is_self_operated=self_op,
                        merchant_id=merchant,
                    )
                    matching = [
                        r
                        for r in history.versions
                        if r.source == source
                        and (r.surfaces is None or surface in r.surfaces)
                        and r.valid_from <= day
                        and (r.valid_until is None or day < r.valid_until)
                        and (
                            r.scope.kind is ScopeKind.ALL
                            or (r.scope.kind is ScopeKind.SELF_OPERATED and self_op)
                            or merchant in r.scope.merchant_ids
                        )
                    ]
                    if not matching:
                        assert (got.treatment, got.basis) == (Treatment.OPEN, Basis.UNDECLARED)
                        continue
                    best = max(
                        matching,
                        key=lambda r: (SCOPE_RANK[r.scope.kind], r.surfaces is not None, r.version),
                    )
                    assert got.rule == best
                    assert (got.treatment, got.extra_steps) == (best.treatment, best.extra_steps)
                    assert list(got.overridden) == [r for r in matching if r is not best]
