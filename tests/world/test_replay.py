"""`hutong replay` end to end at a small volume: the auditor reads the documented history.

One replay (2011 to 2025-03-08, two link visits a day) on SQLite serves every
test of this module; the assertions read its per-year audits and the links'
`?at=` resolutions on the switch it leaves behind. A link finding names the
host by its short name (the `host` a link is opened with); a wallet finding
names the platform by its subscriber id. A finding's `since` is its first
refused visit, within days of the fact (the visits take the lanes in turn).
"""

from __future__ import annotations

import asyncio
import json
import secrets
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from hutong.api.app import create_app
from hutong.audit import Finding, audit, current_run
from hutong.config import Settings, sqlite_url
from hutong.runtime.services import Services
from hutong.store.db import Database
from hutong.store.tables import coupon_campaigns, livestream_sessions
from hutong.web.dashboard.flows import availability, money_flow
from hutong.web.dashboard.weights import read_weights
from hutong.world.replay import ReplayResult, replay
from hutong.world.serving import serve_asgi
from tests.harness.cli import invoke


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> tuple[ReplayResult, Path]:
    folder = tmp_path_factory.mktemp("replay")
    settings = Settings(
        database_url=sqlite_url(folder), data_dir=folder, operator_token=secrets.token_urlsafe(8)
    )
    # Until JD Services' coupon day, the last fact.
    return asyncio.run(replay(settings, until=date(2025, 3, 8), volume=2)), folder


def findings(result: ReplayResult, year: int, check: str, subject: str) -> list[Finding]:
    return [f for f in result.audits[year].findings if f.check == check and f.subject == subject]


def against(found: list[Finding]) -> set[str]:
    return {a for f in found for a in f.against}


def test_every_request_is_answered_as_the_rules_say(replayed: Any) -> None:
    result, _ = replayed
    assert result.tally["unexpected"] == 0, result.tally["unexpected_samples"]
    assert result.counts["visits"] > 8000
    assert 0 < result.counts["paid"] < result.counts["checkouts"]


def started(found: list[Finding], fact: date) -> bool:
    """The first refusal came in the fortnight after the fact (visits take lanes in turn)."""
    first = min(f.since for f in found if f.since)
    return fact <= first < fact + timedelta(days=14)


async def test_each_years_audit_is_stored_and_the_link_traffic_folded(replayed: Any) -> None:
    """The dashboard's findings pages read these stored runs: they must be the auditor's answer."""
    result, folder = replayed
    db = Database(sqlite_url(folder))
    try:
        for year, report in result.audits.items():
            run = await current_run(db, report.window, datetime.now(UTC))
            assert run.recomputed == "", (year, run.recomputed)
            assert run.report == report == await audit(db, report.window), year
        async with db.read() as conn:
            weights = await read_weights(conn)
    finally:
        await db.dispose()
    assert any(r.findings for r in result.audits.values())
    # The openness index's weights were folded at the end: a page counts no tail.
    assert weights.through > 0 and weights.tail == 0
    assert sum(weights.counts.values()) > 5000


def test_wechat_keeps_taobao_links_code_only_until_2021_09_17(replayed: Any) -> None:
    result, _ = replayed
    for year in (2014, 2018, 2020):
        found = findings(result, year, "link_blocking", "wechat")
        assert "alibaba" in against(found), (year, result.audits[year].findings)
        # The timeline (Moments) was declared code-only too, and never reopened.
        assert {f.surface for f in found} == {"chat", "group_chat", "timeline"}
    for year in (2011, 2012):
        assert not findings(result, year, "link_blocking", "wechat"), year
    for year in (2022, 2023):
        reopened = [
            f for f in findings(result, year, "link_blocking", "wechat") if f.surface != "timeline"
        ]
        assert not reopened, year


def test_douyin_blocks_taobao_and_jd_in_live_carts_from_2020_10_09(replayed: Any) -> None:
    result, _ = replayed
    assert not findings(result, 2019, "link_blocking", "douyin")
    for year in (2020, 2022, 2024):
        found = findings(result, year, "link_blocking", "douyin")
        assert {f.surface for f in found} == {"live_cart"}, year
        assert against(found) == {"alibaba", "jd"}, year
    assert started(findings(result, 2020, "link_blocking", "douyin"), date(2020, 10, 9))


def test_kuaishou_blocks_taobao_alliance_links_from_2022_03_01_to_10_28(replayed: Any) -> None:
    result, _ = replayed
    found = [
        f for f in findings(result, 2022, "link_blocking", "kuaishou") if "alibaba" in f.against
    ]
    assert {f.surface for f in found} == {"live_cart", "video_cart", "product_page"}
    assert started(found, date(2022, 3, 1))
    assert "alibaba" not in against(findings(result, 2023, "link_blocking", "kuaishou"))
    # 2021: Kuaishou cut third-party store services (Youzan, Mokuai), not Taobao.
    assert against(findings(result, 2021, "link_blocking", "kuaishou")) == {"mokuai", "youzan"}


def test_jd_refuses_alipay_until_2024_10_29_and_taobao_wechat_pay_until_2024_09_27(
    replayed: Any,
) -> None:
    result, _ = replayed
    # The auditor compares with the platform's own group's wallet: groups start in 2013.
    for year in (2014, 2019, 2024):
        assert against(findings(result, year, "wallet_exclusion", "jd.example")) == {
            "alipay.example"
        }
    # The sources attest Taobao's refusal from 2021-10 (the month), not before.
    assert not findings(result, 2020, "wallet_exclusion", "taobao.example")
    for year in (2021, 2024):
        assert against(findings(result, year, "wallet_exclusion", "taobao.example")) == {
            "wechatpay.example"
        }


def test_douyin_takes_4x_its_own_store_fee_through_external_links_from_2020_08_20(
    replayed: Any,
) -> None:
    """Orders in Douyin's own store and through its external links, 1st and 15th monthly.

    From 2020-06 (Douyin e-commerce founded), with no commission until the schedule
    (2020-08-20), then 20% on the tea house's external link against 5% on the Douyin
    store's own food: 2020 mixes both halves in the same proportion for each, so
    the ratio is 4 that year too.
    """
    result, _ = replayed
    assert result.counts["completed"] == result.counts["orders"] > 0
    assert not findings(result, 2019, "fee_discrimination", "douyin.example")
    for year in (2020, 2021, 2022, 2023, 2024):
        found = findings(result, year, "fee_discrimination", "douyin.example")
        assert [(f.against, f.surface) for f in found] == [(("alibaba",), "food/link_placement")], (
            year
        )
        assert ratio(found[0]) == pytest.approx(4.0, rel=1e-3), year
        if year > 2020:
            assert found[0].metric.value == pytest.approx(0.2), year


def ratio(finding: Finding) -> float:
    assert finding.metric.baseline
    return finding.metric.value / finding.metric.baseline


async def test_the_money_flow_adds_up_and_shows_douyins_commission(replayed: Any) -> None:
    """The dashboard's money flow over the replayed decade: what buyers paid reaches receivers."""
    _, folder = replayed
    db = Database(sqlite_url(folder))
    try:
        async with db.read() as conn:
            flows = await money_flow(conn)
            available = await availability(conn)
    finally:
        await db.dispose()
    into = {(f.source, f.target): f.fen for f in flows}
    paid = sum(fen for (source, _), fen in into.items() if source == "buyers")
    # Every fen paid ends with a receiver (a node no flow leaves).
    passing = {source for source, _ in into}
    received = sum(fen for (_, target), fen in into.items() if target not in passing)
    assert paid == received > 0
    assert into[("douyin.example", "douyin.example commission")] > 0
    assert into[("douyin.example", "tea-house.example")] > 0
    # Every stock desk of the replay answers: its callback was available every month.
    assert available and all(a.share == 1.0 for a in available)


async def test_tmalls_douyin_livestream_and_jd_services_coupons_happen_on_their_days(
    replayed: Any,
) -> None:
    """2022-10-24: Tmall's official account live on Douyin, 1.3 million views; 2025-03-08:
    the 京东服务+ store on Tmall releases coupons at 0, 10, 14 and 20 o'clock (Beijing)."""
    _, folder = replayed
    db = Database(sqlite_url(folder))
    try:
        async with db.read() as conn:
            sessions = (await conn.execute(select(livestream_sessions))).all()
            campaigns = (await conn.execute(select(coupon_campaigns))).all()
    finally:
        await db.dispose()
    (live,) = [s for s in sessions if s.broadcaster == "tmall.example"]
    assert (live.host, live.broadcaster_kind, live.state) == (
        "douyin.example",
        "official_account",
        "ended",
    )
    assert live.views == 1_300_000
    assert live.started_at.date() == live.ended_at.date() == date(2022, 10, 24)
    (coupons,) = [c for c in campaigns if c.merchant == "jd-services.example"]
    assert coupons.created_at.date() == date(2025, 3, 8)
    released = [datetime.fromisoformat(at) for at, _ in json.loads(coupons.releases)]
    beijing = timezone(timedelta(hours=8))
    assert [at.astimezone(beijing).hour for at in released] == [0, 10, 14, 20]
    assert json.loads(coupons.hosts) == ["tmall.example"]


def test_no_finding_where_the_sources_record_openness(replayed: Any) -> None:
    result, _ = replayed
    for year in range(2020, 2025):
        for host in ("douyin.example", "kuaishou.example"):
            assert not findings(result, year, "storefront_refusal", host), (year, host)
        assert result.links.get(("kuaishou.example", "live_cart", "jd-beauty.example#store"))
    assert result.links.get(("douyin.example", "live_cart", "jd-beauty.example#store"))


async def test_links_resolve_as_history_says_at_any_date(replayed: Any) -> None:
    """`?at=` on the replayed switch's links: the answer a buyer had on that day."""
    result, folder = replayed
    services = Services(
        settings=Settings(database_url=sqlite_url(folder), data_dir=folder, operator_token="t"),
        db=Database(sqlite_url(folder)),
    )
    wechat = result.links[("wechat.example", "group_chat", "tea-house.example")]
    kuaishou = result.links[("kuaishou.example", "live_cart", "tea-house.example")]
    eleme = result.links[("douyin.example", "video_cart", "eleme-grocer.example")]
    tmall = result.links[("wechat.example", "group_chat", "tmall-flagship.example")]
    try:
        async with (
            serve_asgi(create_app(services, run_background=False)) as url,
            httpx.AsyncClient(base_url=url) as http,
        ):

            async def opened(code: str, host: str, surface: str, at: str) -> int:
                params = {"host": host, "surface": surface, "at": at}
                response = await http.get(f"/l/{code}", params=params)
                return response.status_code

            assert await opened(wechat, "wechat", "group_chat", "2019-06-01") == 200
            assert await opened(wechat, "wechat", "group_chat", "2022-06-01") == 302
            assert await opened(kuaishou, "kuaishou", "live_cart", "2019-06-01") == 302
            assert await opened(kuaishou, "kuaishou", "live_cart", "2022-06-01") == 403
            assert await opened(kuaishou, "kuaishou", "live_cart", "2022-11-01") == 302

            async def target(code: str, host: str, surface: str, at: str) -> Any:
                params = {"host": host, "surface": surface, "at": at}
                json = {"accept": "application/json"}
                response = await http.get(f"/l/{code}", params=params, headers=json)
                assert response.status_code < 400, response.text
                return response.json().get("mini_program")

            # The mini-program facts: Ele.me inside Douyin from 2022-08-19, the Tmall
            # Supermarket inside WeChat chats from 2022-10 (month known).
            assert await target(eleme, "douyin", "video_cart", "2022-08-18") is None
            found = await target(eleme, "douyin", "video_cart", "2022-09-01")
            assert found["app_id"] == "tt-eleme-local"
            assert await target(tmall, "wechat", "group_chat", "2022-09-30") is None
            found = await target(tmall, "wechat", "group_chat", "2022-10-01")
            assert found["app_id"] == "wx-tmall-supermarket"
    finally:
        await services.db.dispose()


@pytest.mark.parametrize("until", ["2010-12-31", "2026-01-01"])
def test_replay_refuses_a_last_day_outside_the_facts(tmp_path: Path, until: str) -> None:
    folder = tmp_path / "data"
    result = invoke({}, "replay", "--until", until, "--data-dir", str(folder))
    assert result.exit_code == 2, result.stdout
    assert "2011-01-01" in result.output and "2025-12-31" in result.output
    assert not folder.exists()


def test_the_replay_function_refuses_it_too(tmp_path: Path) -> None:
    settings = Settings(database_url=sqlite_url(tmp_path), data_dir=tmp_path, operator_token="t")
    with pytest.raises(ValueError, match="2011-01-01"):
        asyncio.run(replay(settings, until=date(2026, 1, 1)))
    assert not (tmp_path / "hutong.db").exists()
