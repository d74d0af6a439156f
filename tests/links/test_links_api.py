"""Links over real HTTP, on SQLite and PostgreSQL.

Hosts declare their link rules (signed `POST /v1/link-policies`) and place
offers (signed `POST /v1/placements`); anyone resolves `GET /l/{code}` with
`?host=&surface=&at=` (or the in-app browser's User-Agent), pastes share text
into `POST /share/parse`, fetches QR codes and reads `GET /policies/{host}`.
Offers, merchant profiles and storefronts are written with SQL here: the
commerce API is not what is under test.
"""

from __future__ import annotations

import asyncio
import html
import json
import re
from collections import Counter
from datetime import date, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select

from hutong.links.policy import Surface, Treatment
from hutong.store.tables import (
    link_resolutions,
    link_rules,
    link_what_if_resolutions,
    placements,
)
from hutong.world.link_policies import DOUYIN_LINK_RULES, SEED_LINK_RULES
from tests.harness.assertions import assert_nack
from tests.harness.links import (
    APPROVED_STOREFRONT,
    FULL_DEEP,
    FULL_H5,
    JD_BEAUTY,
    MP_APP_ID,
    MP_PATH,
    REQUESTED_STOREFRONT,
    SERUM_H5,
    TB_TEA,
    TEA_H5,
    Net,
    declare,
    declared_message,
    link_rule,
    place,
    placed,
    resolve,
    rule_message,
)
from tests.harness.switch import row_counts

ISSUE_SURFACES = (
    Surface.LIVE_CART,
    Surface.VIDEO_CART,
    Surface.PRODUCT_PAGE,
    Surface.CHAT,
    Surface.GROUP_CHAT,
    Surface.MINI_PROGRAM,
    Surface.SEARCH,
)
TREATMENTS = (
    Treatment.OPEN,
    Treatment.DEEP_LINK,
    Treatment.MINI_PROGRAM,
    Treatment.SHARE_CODE_ONLY,
    Treatment.BLOCKED,
)

UA = {
    "wechat": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI",
    "douyin": "Mozilla/5.0 (Linux; Android 13; wv) AppleWebKit/537.36 Chrome/116.0.0.0 "
    "Mobile Safari/537.36 aweme_290100 JsSdk/1.0 AppName/aweme BytedanceWebview/d8a21c6",
    "kuaishou": "Mozilla/5.0 (Linux; Android 13; wv) AppleWebKit/537.36 Chrome/116.0.0.0 "
    "Mobile Safari/537.36 Yoda/3.2.9-rc6 Kwai/11.10.40.6632",
    "browser": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/124.0",
}
JSON = {"accept": "application/json"}
SHARE_TEXT = re.compile(r'<p class="code" id="share-text">(.*?)</p>', re.S)
WHO_BLOCKS = re.compile(r'<p id="who-blocks">(.*?)</p>', re.S)


def assert_no_store(response: httpx.Response) -> None:
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["vary"] == "User-Agent"


def assert_redirect(response: httpx.Response, location: str) -> None:
    assert response.status_code == 302, response.text
    assert response.headers["location"] == location
    assert_no_store(response)


def page(response: httpx.Response, status: int = 200) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    return response.text


def plain(fragment: str) -> str:
    """An HTML fragment as a sentence: tags dropped, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", fragment)).split())


def blocked_sentence(response: httpx.Response) -> str:
    """The sentence of a blocked page, which is answered 403: the page says "blocked"."""
    text = page(response, 403)
    assert_no_store(response)
    found = WHO_BLOCKS.search(text)
    assert found is not None, text
    return plain(found.group(1))


def share_text_on(response: httpx.Response) -> str:
    text = page(response)
    assert_no_store(response)
    found = SHARE_TEXT.search(text)
    assert found is not None, text
    return html.unescape(found.group(1)).strip()


async def outcomes(net: Net, *, what_if: bool = False) -> Counter[str]:
    """Resolution events by outcome, after the batched log is written.

    Real visits (the traffic), or (`what_if`) the resolutions asked with ``?at=``.
    """
    await net.switch.services.resolver().log.flush()
    table = link_what_if_resolutions if what_if else link_resolutions
    async with net.switch.services.db.read() as conn:
        rows = await conn.execute(select(table.c.outcome, func.count()).group_by(table.c.outcome))
        return Counter({outcome: int(count) for outcome, count in rows})


async def events_of(net: Net, placement_id: str, *, what_if: bool = False) -> list[Any]:
    """A placement's resolution events: real visits, or (`what_if`) the ``?at=`` ones."""
    await net.switch.services.resolver().log.flush()
    table = link_what_if_resolutions if what_if else link_resolutions
    async with net.switch.services.db.read() as conn:
        rows = await conn.execute(
            select(table).where(table.c.placement_id == placement_id).order_by(table.c.id)
        )
        return list(rows)


async def parse(net: Net, text: str, **more: Any) -> httpx.Response:
    return await net.http.post("/share/parse", json={"text": text} | more)


# -- every treatment on every surface ----------------------------------------------------


def month(index: int) -> date:
    return date(2023, 1 + index, 1)


async def test_each_outcome_on_each_surface(links_net: Net) -> None:
    # Douyin declares, for each surface, a different treatment each month of
    # early 2023 for links to Taobao: every treatment on every surface.
    for i in range(len(TREATMENTS)):
        for j, surface in enumerate(ISSUE_SURFACES):
            await declare(
                links_net,
                link_rule(
                    "douyin",
                    "taobao",
                    TREATMENTS[(i + j) % len(TREATMENTS)],
                    month(i),
                    valid_until=month(i + 1),
                    surfaces={surface},
                ),
            )
    by_surface = {
        surface: await placed(links_net, "douyin", surface.value, TB_TEA, "tea-full")
        for surface in ISSUE_SURFACES
    }
    url_links: set[str] = set()
    parsed = 0
    for i in range(len(TREATMENTS)):
        day = month(i) + timedelta(days=14)
        for j, surface in enumerate(ISSUE_SURFACES):
            treatment = TREATMENTS[(i + j) % len(TREATMENTS)]
            placement = by_surface[surface]
            code, where = placement["code"], surface.value
            browser = await resolve(links_net, code, host="douyin", surface=where, at=day)
            app = await resolve(links_net, code, host="douyin", surface=where, at=day, headers=JSON)
            what = f"{treatment} on {surface} at {day}"
            if treatment is Treatment.BLOCKED:
                # An app asking for JSON is refused in JSON, naming the rule;
                # the share code still travels (the offer itself is not gone).
                refusal = assert_nack(app, 403, "link_blocked", what, extra={"link"})
                assert_no_store(app)
                link = refusal["link"]
                assert (link["outcome"], link["treatment"]) == ("blocked", "blocked"), what
                assert (link["host"], link["source"]) == ("douyin", "taobao"), what
                assert link["rule"] and link["since"] == month(i).isoformat(), what
                assert link["share_text"] == placement["share_text"], what
                assert "douyin blocks links to taobao" in refusal["error"]["message"], what
            elif treatment is Treatment.SHARE_CODE_ONLY:
                # Copying the code is the answer, not a refusal: 200, in JSON.
                assert app.status_code == 200, what
                assert_no_store(app)
                body = app.json()
                assert (body["outcome"], body["treatment"]) == ("share_code_only",) * 2, what
                assert body["share_text"] == placement["share_text"], what
            else:
                assert app.status_code == 200, what
                assert_no_store(app)
                body = app.json()
                assert body["treatment"] == treatment.value, what
                assert body["surface"] == surface.value, what
                assert body["host"] == "douyin" and body["source"] == "taobao", what
                assert body["since"] == month(i).isoformat(), what
                assert body["title"] == placement["title"], what

            if treatment is Treatment.OPEN:
                assert_redirect(browser, FULL_H5)
                assert (body["outcome"], body["url"]) == ("open", FULL_H5), what
            elif treatment is Treatment.DEEP_LINK:
                assert_redirect(browser, FULL_DEEP)
                assert (body["outcome"], body["deep_link"]) == ("deep_link", FULL_DEEP), what
            elif treatment is Treatment.MINI_PROGRAM:
                assert body["outcome"] == "mini_program", what
                target = body["mini_program"]
                assert (target["app_id"], target["path"]) == (MP_APP_ID, MP_PATH), what
                assert target["url_link"].startswith("https://"), what
                url_links.add(target["url_link"])
                text = page(browser)
                assert_no_store(browser)
                assert f'href="{target["url_link"]}"' in text, what
                assert MP_APP_ID in text and placement["share_text"] in text, what
            elif treatment is Treatment.SHARE_CODE_ONLY:
                shared = share_text_on(browser)
                assert shared == placement["share_text"], what
                back = await parse(links_net, shared, host="douyin", surface=surface.value)
                assert back.status_code == 200, back.text
                assert back.json()["placement"]["id"] == placement["id"], what
                assert back.json()["code"] in shared, what
                parsed += 1
            else:
                sentence = blocked_sentence(browser)
                assert sentence == (
                    f"douyin blocks links to taobao on {surface.value} "
                    f"since {month(i).isoformat()}."
                ), what
    # One url_link per placement, reused across its resolutions.
    assert len(url_links) == len(ISSUE_SURFACES)
    # Each resolution is an event: the share codes parsed back are visits that
    # resolve today, when no rule is in force (open); the ?at= ones are what-ifs.
    per_outcome = 2 * len(ISSUE_SURFACES)
    assert await outcomes(links_net) == Counter({"open": parsed})
    assert await outcomes(links_net, what_if=True) == Counter(
        {
            "open": per_outcome,
            "deep_link": per_outcome,
            "mini_program": per_outcome,
            "share_code_only": per_outcome,
            "blocked": per_outcome,
        }
    )
    assert parsed == len(ISSUE_SURFACES)


async def test_extra_steps_and_missing_targets(links_net: Net) -> None:
    # WeChat opens Taobao links in chats behind a warning page, and asks for
    # a deep link in search, which the tea-1 offer does not have.
    await declare(
        links_net,
        link_rule(
            "wechat",
            "taobao",
            Treatment.OPEN,
            date(2021, 9, 17),
            surfaces={Surface.CHAT},
            extra_steps=("warning_page",),
        ),
    )
    await declare(
        links_net,
        link_rule(
            "wechat", "taobao", Treatment.DEEP_LINK, date(2021, 9, 17), surfaces={Surface.SEARCH}
        ),
    )
    placement = await placed(links_net, "wechat", "chat", TB_TEA, "tea-1")
    day = date(2021, 10, 1)
    text = page(await resolve(links_net, placement["code"], host="wechat", at=day))
    assert "warning_page" in text
    assert f'id="continue" href="{TEA_H5}"' in text
    app = await resolve(links_net, placement["code"], host="wechat", at=day, headers=JSON)
    assert (app.json()["outcome"], app.json()["url"]) == ("open", TEA_H5)
    assert app.json()["extra_steps"] == ["warning_page"]

    fallback = await resolve(links_net, placement["code"], host="wechat", surface="search", at=day)
    assert_redirect(fallback, TEA_H5)
    app = await resolve(
        links_net, placement["code"], host="wechat", surface="search", at=day, headers=JSON
    )
    assert app.status_code == 200, app.text
    assert (app.json()["outcome"], app.json()["url"]) == ("deep_link_fallback_open", TEA_H5)

    bad = await resolve(links_net, placement["code"], host="wechat", surface="moon")
    assert_nack(bad, 422, "invalid_surface")
    assert await outcomes(links_net) == Counter()
    assert await outcomes(links_net, what_if=True) == Counter(
        {"open": 2, "deep_link_fallback_open": 2}
    )


async def test_mini_program_url_link_is_renewed_a_day_before_it_lapses(links_net: Net) -> None:
    mini = link_rule("wechat", "taobao", Treatment.MINI_PROGRAM, date(2020, 1, 1))
    await declare(links_net, mini)
    placement = await placed(links_net, "wechat", "mini_program", TB_TEA, "tea-full")
    fresh = await placed(links_net, "wechat", "group_chat", TB_TEA, "tea-full")
    day = date(2024, 1, 1)

    async def url_link() -> str:
        response = await resolve(links_net, placement["code"], host="wechat", at=day, headers=JSON)
        assert response.status_code == 200, response.text
        assert response.json()["outcome"] == "mini_program"
        link: str = response.json()["mini_program"]["url_link"]
        return link

    first = await url_link()
    assert await url_link() == first
    links_net.clock.advance(timedelta(days=28).total_seconds())  # 2 days left: reused
    assert await url_link() == first
    links_net.clock.advance(timedelta(days=1, hours=12).total_seconds())  # 12 hours left: renewed
    second = await url_link()
    assert second != first
    assert await url_link() == second
    browser = page(await resolve(links_net, placement["code"], host="wechat", at=day))
    assert f'href="{second}"' in browser and first not in browser
    links_net.clock.advance(timedelta(days=28).total_seconds())  # 30 - 28 = 2 days left: reused
    assert await url_link() == second

    # Many buyers tapping a fresh link at once all get an answer and share one url_link.
    answers = await asyncio.gather(
        *(resolve(links_net, fresh["code"], host="wechat", at=day, headers=JSON) for _ in range(8))
    )
    assert [a.status_code for a in answers] == [200] * 8, [a.text for a in answers]
    after = await resolve(links_net, fresh["code"], host="wechat", at=day, headers=JSON)
    assert after.json()["mini_program"]["url_link"] in {
        a.json()["mini_program"]["url_link"] for a in answers
    }


# -- dated policy history and the seed world --------------------------------------------


async def declare_seed(net: Net, host: str) -> None:
    for rule in SEED_LINK_RULES:
        if rule.host == host:
            stored = await declare(net, rule)
            assert stored == rule_message(rule) | {"host": host, "version": stored["version"]}


async def test_seed_facts(links_net: Net) -> None:
    await declare_seed(links_net, "wechat")
    await declare_seed(links_net, "kuaishou")

    group = await placed(links_net, "wechat", "group_chat", TB_TEA, "tea-1")
    blocked_2013 = await resolve(links_net, group["code"], host="wechat", at=date(2013, 6, 1))
    assert share_text_on(blocked_2013) == group["share_text"]
    assert "since 2013-01-01" in blocked_2013.text
    before = await resolve(links_net, group["code"], host="wechat", at=date(2021, 11, 28))
    assert share_text_on(before) == group["share_text"]
    assert_redirect(
        await resolve(links_net, group["code"], host="wechat", at=date(2021, 11, 29)), TEA_H5
    )

    live = await placed(links_net, "kuaishou", "live_cart", TB_TEA, "tea-1")
    cut = await resolve(links_net, live["code"], host="kuaishou", at=date(2022, 5, 1))
    assert blocked_sentence(cut) == "kuaishou blocks links to taobao on live_cart since 2022-03-01."
    assert_redirect(
        await resolve(links_net, live["code"], host="kuaishou", at=date(2022, 11, 1)), TEA_H5
    )
    # The share code of a blocked link still parses back to its placement.
    shared = await parse(links_net, live["share_text"], host="kuaishou")
    assert shared.json()["placement"]["id"] == live["id"]


async def test_policy_history_before_at_and_after_a_change(links_net: Net) -> None:
    # Placed before Kuaishou declares its rules: a placement its host now
    # blocks could not be made (blocked_by_host_policy), but one made earlier
    # still resolves, and says who blocks it.
    taobao = await placed(links_net, "kuaishou", "live_cart", TB_TEA, "tea-1")
    jd = await placed(links_net, "kuaishou", "product_page", JD_BEAUTY, "serum-1")
    await declare_seed(links_net, "kuaishou")

    async def answer(code: str, day: date) -> str:
        response = await resolve(links_net, code, host="kuaishou", at=day)
        if response.status_code == 302:
            return "302"
        return blocked_sentence(response)

    cut = "kuaishou blocks links to {} on {} since 2022-03-01."
    assert await answer(taobao["code"], date(2022, 2, 28)) == "302"  # nothing declared yet
    assert await answer(taobao["code"], date(2022, 3, 1)) == cut.format("taobao", "live_cart")
    assert await answer(taobao["code"], date(2022, 10, 27)) == cut.format("taobao", "live_cart")
    assert await answer(taobao["code"], date(2022, 10, 28)) == "302"  # restored, inclusive
    assert await answer(jd["code"], date(2022, 2, 28)) == "302"
    assert await answer(jd["code"], date(2022, 3, 1)) == cut.format("jd", "product_page")
    assert await answer(jd["code"], date(2022, 11, 1)) == cut.format("jd", "product_page")

    events = await events_of(links_net, taobao["id"], what_if=True)
    assert [(e.outcome, e.rule, e.policy_day) for e in events] == [
        ("open", "", date(2022, 2, 28)),
        ("blocked", "kuaishou#v3", date(2022, 3, 1)),
        ("blocked", "kuaishou#v3", date(2022, 10, 27)),
        ("open", "kuaishou#v6", date(2022, 10, 28)),
    ]


async def test_a_storefront_inside_the_host_is_its_own_link(links_net: Net) -> None:
    external = await placed(
        links_net, "douyin", "live_cart", JD_BEAUTY, "serum-1"
    )  # before the rules
    assert external["source"] == "jd"
    for rule in DOUYIN_LINK_RULES:
        await declare(links_net, rule)
    in_store = await placed(
        links_net, "douyin", "live_cart", JD_BEAUTY, "serum-1", storefront_id=APPROVED_STOREFRONT
    )
    assert (in_store["source"], in_store["storefront_id"]) == ("douyin", APPROVED_STOREFRONT)
    # Douyin's own rules now block JD links in live carts: no new external placement there.
    again = await place(links_net, "douyin", "douyin.example", "live_cart", JD_BEAUTY, "serum-1")
    assert_nack(again, 409, "blocked_by_host_policy")
    day = date(2021, 6, 1)
    assert_redirect(await resolve(links_net, in_store["code"], host="douyin", at=day), SERUM_H5)
    app = await resolve(links_net, in_store["code"], host="douyin", at=day, headers=JSON)
    assert (app.json()["outcome"], app.json()["source"], app.json()["since"]) == (
        "open",
        "douyin",
        None,
    )
    assert app.json()["rule"] == ""
    assert blocked_sentence(await resolve(links_net, external["code"], host="douyin", at=day)) == (
        "douyin blocks links to jd on live_cart since 2020-10-09."
    )


async def test_the_host_is_read_from_the_user_agent(links_net: Net) -> None:
    await declare_seed(links_net, "wechat")
    group = await placed(links_net, "wechat", "group_chat", TB_TEA, "tea-1")
    day = date(2013, 6, 1)
    code = group["code"]
    # No ?host and no app marker: the placement's own host decides.
    assert share_text_on(
        await resolve(links_net, code, at=day, headers={"user-agent": UA["browser"]})
    )
    assert share_text_on(
        await resolve(links_net, code, at=day, headers={"user-agent": UA["wechat"]})
    )
    # Douyin declared nothing: open.
    douyin = await resolve(links_net, code, at=day, headers={"user-agent": UA["douyin"]})
    assert_redirect(douyin, TEA_H5)
    # An explicit ?host wins over the User-Agent, both ways.
    assert_redirect(
        await resolve(links_net, code, host="douyin", at=day, headers={"user-agent": UA["wechat"]}),
        TEA_H5,
    )
    assert share_text_on(
        await resolve(links_net, code, host="wechat", at=day, headers={"user-agent": UA["douyin"]})
    )
    events = await events_of(links_net, group["id"], what_if=True)
    assert [(e.host, json.loads(e.detail)["host_from"], e.outcome) for e in events] == [
        ("wechat", "unknown", "share_code_only"),
        ("wechat", "user_agent", "share_code_only"),
        ("douyin", "user_agent", "open"),
        ("douyin", "parameter", "open"),
        ("wechat", "parameter", "share_code_only"),
    ]


# -- unknown links and QR codes -------------------------------------------------------------


async def test_an_unknown_link_is_a_404_page(links_net: Net) -> None:
    response = await resolve(links_net, "zzzzzzzz", host="wechat")
    text = page(response, 404)
    assert "zzzzzzzz" in text and "does not exist" in text
    assert_no_store(response)
    app = await resolve(links_net, "zzzzzzzz", host="wechat", headers=JSON)
    assert_nack(app, 404, "unknown_link")
    assert_no_store(app)
    assert_nack(await links_net.http.get("/l/zzzzzzzz/qr.svg"), 404, "unknown_link")
    assert await outcomes(links_net) == Counter({"refused_unknown_link": 2})


async def test_qr_codes(links_net: Net) -> None:
    placement = await placed(links_net, "douyin", "video_cart", TB_TEA, "tea-1")
    assert placement["qr_svg"].endswith(f"/l/{placement['code']}/qr.svg")
    svg = await links_net.http.get(f"/l/{placement['code']}/qr.svg")
    assert svg.status_code == 200
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in svg.content
    png = await links_net.http.get(f"/l/{placement['code'].upper()}/qr.png")
    assert png.status_code == 200
    assert png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n")


# -- share codes ----------------------------------------------------------------------------


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


async def test_share_parse_finds_codes_in_noisy_text_and_records_refusals(links_net: Net) -> None:
    placement = await placed(links_net, "douyin", "video_cart", TB_TEA, "tea-1", share_code_days=1)
    code = re.search(r"₴(\w+)₴", placement["share_text"])
    assert code is not None
    token = code.group(1)
    noisy = (
        "好物分享🎉🎉\n看看这个茶 👉 ￥"
        + full_width(token[:4])
        + "\u200b\u2060\n"
        + full_width(token[4:]).lower()
        + "\ufeff￥ 复制这段话打开 🍵\r\n"
    )
    found = await parse(links_net, noisy, host="douyin")
    assert found.status_code == 200, found.text
    assert_no_store(found)
    body = found.json()
    assert (body["code"], body["placement"]["id"], body["outcome"]) == (
        token,
        placement["id"],
        "open",
    )

    forged_token = token[:-1] + ("2" if token[-1] != "2" else "3")
    forged = await parse(links_net, f"【互通】₴{forged_token}₴ 复制这段话打开", host="wechat")
    assert_nack(forged, 422, "share_code_forged")
    assert_nack(await parse(links_net, "今天天气不错，没有口令 🌤"), 422, "share_code_missing")
    assert_nack(
        await parse(links_net, placement["share_text"], surface="moon"), 422, "invalid_surface"
    )

    links_net.clock.advance(timedelta(days=1).total_seconds())  # at share_expires_at: expired
    assert_nack(await parse(links_net, placement["share_text"]), 422, "share_code_expired")

    assert await outcomes(links_net) == Counter(
        {
            "open": 1,
            "refused_forged": 1,
            "refused_missing": 1,
            "refused_invalid_surface": 1,
            "refused_expired": 1,
        }
    )


# -- placements -------------------------------------------------------------------------------


async def test_placement_refusals_store_nothing(links_net: Net) -> None:
    await links_net.client("douyin")
    await links_net.client("kuaishou")
    await links_net.client(JD_BEAUTY, ("merchant",))
    before = (await row_counts(links_net.switch.services))["placements"]

    # The body names the merchant's offer: one it does not have is the body's mistake (422;
    # `unknown_offer` is the 404 of a path naming one).
    assert_nack(
        await place(links_net, "douyin", "douyin.example", "live_cart", TB_TEA, "nope"),
        422,
        "no_such_offer",
    )
    assert_nack(
        await place(links_net, JD_BEAUTY, "douyin.example", "live_cart", JD_BEAUTY, "serum-1"),
        403,
        "wrong_role",
    )
    assert_nack(
        await place(links_net, "douyin", "douyin.example", "moon", TB_TEA, "tea-1"),
        422,
        "invalid_surface",
    )
    assert_nack(
        await place(
            links_net,
            "kuaishou",
            "kuaishou.example",
            "live_cart",
            JD_BEAUTY,
            "serum-1",
            storefront_id=REQUESTED_STOREFRONT,
        ),
        409,
        "storefront_not_approved",
    )
    # Another host's placement of douyin's storefront, and a placement on
    # somebody else's behalf, are refused too.
    assert_nack(
        await place(
            links_net,
            "kuaishou",
            "douyin.example",
            "live_cart",
            JD_BEAUTY,
            "serum-1",
            storefront_id=APPROVED_STOREFRONT,
        ),
        403,
        "wrong_role",
    )
    assert_nack(
        await place(links_net, "douyin", "nowhere.example", "live_cart", TB_TEA, "tea-1"),
        422,
        "invalid_host",
    )
    async with links_net.switch.services.db.read() as conn:
        assert await conn.scalar(select(func.count()).select_from(placements)) == before == 0


async def test_a_creator_places_an_offer_on_a_host(links_net: Net) -> None:
    await links_net.client("douyin")
    streamer = await links_net.client("streamer", ("creator",))
    response = await streamer.post(
        "/v1/placements",
        {"host": "douyin.example", "surface": "live_cart", "merchant": TB_TEA, "sku_id": "tea-1"},
    )
    assert response.status_code == 200, response.text
    placement = response.json()["message"]["placement"]
    assert placement["placed_by"] == "streamer.example"
    assert placement["host"] == "douyin.example"
    assert placement["url"].endswith(f"/l/{placement['code']}")
    shown = await streamer.get(f"/v1/placements/{placement['id']}")
    assert shown.status_code == 200, shown.text
    assert shown.json()["placed_by"] == "streamer.example"
    assert_redirect(await resolve(links_net, placement["code"]), TEA_H5)


# -- declaring link policies -------------------------------------------------------------------


async def policies(net: Net, host: str, day: date) -> dict[str, Any]:
    response = await net.http.get(f"/policies/{host}", params={"at": day.isoformat()})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_declaring_link_policies(links_net: Net) -> None:
    merchant = await links_net.client(JD_BEAUTY, ("merchant",))
    kuaishou = await links_net.client("kuaishou")
    cut = link_rule(
        "kuaishou",
        "taobao",
        Treatment.BLOCKED,
        date(2022, 3, 1),
        surfaces={Surface.LIVE_CART},
        declared_at=date(2022, 2, 1),
    )
    refused = await merchant.post("/v1/link-policies", declared_message(links_net, cut))
    assert_nack(refused, 403, "wrong_role")

    for bad in (
        rule_message(cut) | {"treatment": "hidden"},
        rule_message(cut) | {"source": "kuaishou"},  # its own links
        rule_message(cut) | {"valid_until": "2022-02-01"},
        rule_message(cut) | {"surfaces": ["moon"]},
        rule_message(cut) | {"valid_from": "soon"},
        {k: v for k, v in rule_message(cut).items() if k != "valid_from"},
        rule_message(cut) | {"extra_steps": ["warning_page"]},  # blocked: no steps
    ):
        assert_nack(await kuaishou.post("/v1/link-policies", bad), 422, "invalid_link_rule")
    assert (await row_counts(links_net.switch.services))["link_rules"] == 0

    days = [date(2022, 2, 28), date(2022, 3, 1), date(2022, 6, 1), date(2022, 10, 27)]
    v1 = await declare(links_net, cut)
    assert (v1["host"], v1["version"]) == ("kuaishou", 1)
    earlier = {day: await policies(links_net, "kuaishou", day) for day in days}
    assert earlier[date(2022, 2, 28)]["rules_in_force"] == []
    assert earlier[date(2022, 3, 1)]["rules_in_force"] == [v1]
    assert earlier[date(2022, 3, 1)]["versions"] == 1

    restore = link_rule(
        "kuaishou", "taobao", Treatment.OPEN, date(2022, 10, 28), surfaces={Surface.LIVE_CART}
    )
    v2 = await declare(links_net, restore)
    assert v2["version"] == 2
    for day in days:
        now = await policies(links_net, "kuaishou", day)
        assert now["rules_in_force"] == earlier[day]["rules_in_force"], day
        assert now["versions"] == 2
    at_change = await policies(links_net, "kuaishou.example", date(2022, 10, 28))
    assert (at_change["host"], at_change["at"]) == ("kuaishou", "2022-10-28")
    assert at_change["rules_in_force"] == [v1, v2]

    # A declaration dated before the latest one would rewrite the past: refused.
    backdated = declared_message(links_net, restore) | {"declared_at": "2021-01-01"}
    assert_nack(await kuaishou.post("/v1/link-policies", backdated), 422, "invalid_link_rule")
    assert (await row_counts(links_net.switch.services))["link_rules"] == 2
    async with links_net.switch.services.db.read() as conn:
        assert await conn.scalar(select(func.count()).select_from(link_rules)) == 2
    assert (await policies(links_net, "nobody", date(2022, 1, 1)))["rules_in_force"] == []


async def test_a_refused_link_rule_says_why_in_the_rule_s_own_words(links_net: Net) -> None:
    """One code for every rule problem; the sentence is the rule's, after a fixed preamble."""
    kuaishou = await links_net.client("kuaishou")
    cut = link_rule(
        "kuaishou", "taobao", Treatment.BLOCKED, date(2022, 3, 1), declared_at=date(2022, 2, 1)
    )
    own = await kuaishou.post("/v1/link-policies", rule_message(cut) | {"source": "kuaishou"})
    assert_nack(own, 422, "invalid_link_rule")
    assert own.json()["error"]["message"] == (
        "the link rule is not valid: kuaishou's own links are always open; no rule applies to them"
    )
    await declare(links_net, cut)
    backdated = declared_message(links_net, cut) | {"declared_at": "2021-01-01"}
    refused = await kuaishou.post("/v1/link-policies", backdated)
    assert_nack(refused, 422, "invalid_link_rule")
    assert refused.json()["error"]["message"] == (
        "the link rule is not valid: declared_at 2021-01-01 is before the latest "
        "declaration (2022-02-01); versions only move forward"
    )


# -- declared history: what-ifs apart, corrections on record -------------------------------------


async def test_a_what_if_resolution_is_not_traffic(links_net: Net) -> None:
    placement = await placed(links_net, "douyin", "live_cart", TB_TEA, "tea-1")
    today = links_net.clock().date()

    assert_redirect(await resolve(links_net, placement["code"], host="douyin"), TEA_H5)
    for day in (date(2016, 1, 1), today):  # ?at= is a question, even about today
        assert_redirect(await resolve(links_net, placement["code"], host="douyin", at=day), TEA_H5)

    assert await outcomes(links_net) == Counter({"open": 1})
    assert [e.policy_day for e in await events_of(links_net, placement["id"])] == [today]
    what_ifs = await events_of(links_net, placement["id"], what_if=True)
    assert [e.policy_day for e in what_ifs] == [date(2016, 1, 1), today]


async def test_a_correction_changes_later_questions_and_keeps_recorded_answers(
    links_net: Net,
) -> None:
    placement = await placed(links_net, "douyin", "live_cart", TB_TEA, "tea-1")
    assert_redirect(await resolve(links_net, placement["code"], host="douyin"), TEA_H5)
    before = [tuple(e) for e in await events_of(links_net, placement["id"])]
    cut = link_rule("douyin", "taobao", Treatment.BLOCKED, date(2015, 1, 1))
    douyin = await links_net.client("douyin")

    refused = await douyin.post("/v1/link-policies", rule_message(cut))

    assert_nack(refused, 422, "valid_from_in_past")
    corrected = await douyin.post(
        "/v1/link-policies", rule_message(cut) | {"correction": {"reason": "historical record"}}
    )
    assert corrected.status_code == 200, corrected.text
    assert corrected.json()["message"]["correction"] == {"reason": "historical record"}
    then = await resolve(links_net, placement["code"], host="douyin", at=date(2016, 1, 1))
    assert blocked_sentence(then) == "douyin blocks links to taobao on live_cart since 2015-01-01."
    assert "as a correction: historical record" in plain(then.text)
    # The visit answered before the correction stays what it was: open, by no rule.
    assert [tuple(e) for e in await events_of(links_net, placement["id"])] == before
    assert [(e.outcome, e.rule) for e in await events_of(links_net, placement["id"])] == [
        ("open", "")
    ]
    listed = (await links_net.http.get("/policies/douyin/history")).json()["versions"]
    assert [v["correction"]["reason"] for v in listed] == ["historical record"]


async def test_a_placement_the_host_s_own_policy_blocks_is_refused_naming_the_rule(
    links_net: Net,
) -> None:
    # Douyin declares it blocks Taobao links in live carts from today: it may
    # not then place a Taobao offer in its own live cart (the switch would be
    # carrying a link the host itself says it blocks), nor may a creator.
    today = links_net.clock.now.date()
    await declare(
        links_net,
        link_rule("douyin", "taobao", Treatment.BLOCKED, today, surfaces={Surface.LIVE_CART}),
    )
    await links_net.client("dy-streamer", ("creator",))
    before = await row_counts(links_net.switch.services)
    for by in ("douyin", "dy-streamer"):
        refused = await place(links_net, by, "douyin.example", "live_cart", TB_TEA, "tea-1")
        sentence = assert_nack(refused, 409, "blocked_by_host_policy", by)["error"]["message"]
        assert f"blocked by douyin since {today.isoformat()}" in sentence
        assert "live_cart" in sentence and "taobao" in sentence
    after = await row_counts(links_net.switch.services)
    assert after["placements"] == before["placements"] == 0
    # Where the host lets the link through, the placement is made.
    chat = await placed(links_net, "douyin", "chat", TB_TEA, "tea-1")
    assert chat["surface"] == "chat"
    # Share-code-only is an answer, not a block: the offer still travels as a code.
    await declare(
        links_net,
        link_rule("douyin", "taobao", Treatment.SHARE_CODE_ONLY, today, surfaces={Surface.SEARCH}),
    )
    assert (await placed(links_net, "douyin", "search", TB_TEA, "tea-1"))["surface"] == "search"


async def test_a_share_code_of_a_link_the_host_blocks_is_refused_like_the_link(
    links_net: Net,
) -> None:
    placement = await placed(links_net, "douyin", "live_cart", TB_TEA, "tea-1")
    today = links_net.clock.now.date()
    await declare(
        links_net,
        link_rule("douyin", "taobao", Treatment.BLOCKED, today, surfaces={Surface.LIVE_CART}),
    )
    parsed = await parse(links_net, placement["share_text"], host="douyin", surface="live_cart")
    refusal = assert_nack(parsed, 403, "link_blocked", extra={"link"})
    link = refusal["link"]
    assert (link["kind"], link["outcome"], link["code"]) == ("placement", "blocked", link["code"])
    assert link["placement"]["id"] == placement["id"]
    assert link["code"] in placement["share_text"]
