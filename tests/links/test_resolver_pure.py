"""The resolver's pure parts: which host app a request comes from, and what to answer.

`hosts` reads the host from `?host=` or the in-app browser's User-Agent;
`resolution.plan` turns a host's decision and an offer's targets into a
redirect, a JSON target for an app, or a page for a person.
"""

from __future__ import annotations

from datetime import date

import pytest

from hutong.links.hosts import (
    HostContext,
    alias,
    checked_alias,
    host_context,
    host_from_user_agent,
)
from hutong.links.policy import (
    Decision,
    ExtraStep,
    LinkRule,
    PolicyHistory,
    Surface,
    Treatment,
)
from hutong.links.resolution import Answer, Plan, Targets, plan
from hutong.protocol.errors import ValidationError

# -- hosts --------------------------------------------------------------------------

IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
ANDROID = (
    "Mozilla/5.0 (Linux; Android 13; V2227A Build/TP1A.220624.014; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36 "
)

USER_AGENTS: dict[str, str] = {
    "wechat": IPHONE
    + "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI "
    "Language/zh_CN",
    "wechat_work": IPHONE + "(KHTML, like Gecko) Mobile/15E148 wxwork/4.1.22 MicroMessenger/7.0.1",
    "douyin": ANDROID + "aweme_290100 JsSdk/1.0 NetType/WIFI Channel/douyin_tengxun_and "
    "AppName/aweme app_version/29.1.0 ByteLocale/zh-CN Region/CN BytedanceWebview/d8a21c6",
    "kuaishou": ANDROID + "Yoda/3.2.9-rc6 Kwai/11.10.40.6632 OS_PRO_BIT/64 MAX_PHY_MEM/7533",
    "kuaishou_lite": ANDROID + "Yoda/3.2.9 ksNebula/11.10.40.5411 OS_PRO_BIT/64",
    "taobao": IPHONE + "(KHTML, like Gecko) Mobile/15E148 AliApp(TB/10.38.10) WindVane/8.7.2 "
    "UT4Aplus/0.2.29 1170x2532 WK",
    # Tmall's in-app browser also names Taobao's engine: Tmall must win.
    "tmall": IPHONE + "(KHTML, like Gecko) Mobile/15E148 AliApp(TM/15.38.0) WindVane/8.7.2 "
    "TaobaoWebView 1170x2532 WK",
    # Alipay's names both its client and Taobao's engine: Alipay must win.
    "alipay": ANDROID + "UWS/3.22.2.61 UCBS/3.22.2.61_230817192305 NebulaSDK/1.8.100112 "
    "Nebula AlipayDefined(nt:WIFI,ws:393|0|2.75) AliApp(AP/10.5.36.8000) "
    "AlipayClient/10.5.36.8000 Language/zh-Hans useStatusBar/true isConcaveScreen/true "
    "Region/CN NebulaX/1.0.0 Ariver/1.0.0 taobao",
    "jd": "jdapp;iPhone;12.4.0;;;M/5.0;appBuild/169041;jdSupportDarkMode/0;ef/1;"
    + IPHONE
    + "(KHTML, like Gecko) Mobile/15E148;supportJDSHWK/1",
}

EXPECTED_HOST: dict[str, str] = {
    "wechat": "wechat",
    "wechat_work": "wechat",
    "douyin": "douyin",
    "kuaishou": "kuaishou",
    "kuaishou_lite": "kuaishou",
    "taobao": "taobao",
    "tmall": "tmall",
    "alipay": "alipay",
    "jd": "jd",
}

BROWSERS = (
    "",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36",
    IPHONE + "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "curl/8.5.0",
)


@pytest.mark.parametrize("app", sorted(USER_AGENTS))
def test_each_app_is_recognized_by_its_user_agent(app: str) -> None:
    user_agent = USER_AGENTS[app]
    assert host_from_user_agent(user_agent) == EXPECTED_HOST[app]
    # Markers are case-insensitive.
    assert host_from_user_agent(user_agent.upper()) == EXPECTED_HOST[app]
    assert host_from_user_agent(user_agent.lower()) == EXPECTED_HOST[app]
    assert host_context(None, user_agent, "*/*") == HostContext(
        EXPECTED_HOST[app], "user_agent", False
    )


@pytest.mark.parametrize(
    ("marker", "host"),
    [
        ("MicroMessenger/8.0", "wechat"),
        ("aweme_lite", "douyin"),
        ("Kwai/11.0", "kuaishou"),
        ("AliApp(TB/10.1)", "taobao"),
        ("AliApp(TM/15.1)", "tmall"),
        ("AlipayClient/10.5", "alipay"),
        ("jdapp;android;12.0", "jd"),
    ],
)
def test_the_bare_markers(marker: str, host: str) -> None:
    assert host_from_user_agent(f"Mozilla/5.0 {marker} Mobile") == host


@pytest.mark.parametrize("user_agent", BROWSERS)
def test_an_unknown_user_agent_names_no_host(user_agent: str) -> None:
    assert host_from_user_agent(user_agent) == ""
    assert host_context(None, user_agent, "text/html") == HostContext("", "unknown", False)
    assert host_context("", user_agent, "") == HostContext("", "unknown", False)


def test_an_explicit_host_parameter_wins_over_the_user_agent() -> None:
    wechat = USER_AGENTS["wechat"]
    assert host_context("douyin", wechat, "") == HostContext("douyin", "parameter", False)
    assert host_context("douyin.example", wechat, "") == HostContext("douyin", "parameter", False)
    assert host_context("Kuaishou", "", "") == HostContext("kuaishou", "parameter", False)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("wechat.example", "wechat"),
        ("wechat", "wechat"),
        ("WeChat.Example", "wechat"),
        (" jd.example ", "jd"),
        ("jd-logistics.example.cn", "jd-logistics"),
    ],
)
def test_alias_is_the_first_label(given: str, expected: str) -> None:
    assert alias(given) == expected


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("wechat.example", "wechat"),
        ("wechat", "wechat"),
        ("WeChat.Example", "wechat"),
        ("jd-logistics.example.cn", "jd-logistics"),
        ("x1", "x1"),
    ],
)
def test_a_host_from_outside_is_an_alias_or_a_subscriber_id(given: str, expected: str) -> None:
    assert checked_alias(given) == expected


@pytest.mark.parametrize(
    "given",
    [
        "",
        " ",
        "\x00",
        "we\x00chat",
        "wechat\n",
        " wechat",
        "a..b",
        ".x",
        "x.",
        "-x",
        "x-",
        "we chat",
        "wechat.example/",
        "微信",
        "a" * 64,
        "a_b",
        "x." + "b" * 250,
    ],
)
def test_anything_else_is_refused_as_an_invalid_host(given: str) -> None:
    with pytest.raises(ValidationError) as refused:
        checked_alias(given)
    assert refused.value.code == "invalid_host"


@pytest.mark.parametrize(
    ("accept", "wants_json"),
    [
        ("application/json", True),
        ("Application/JSON; charset=utf-8", True),
        ("application/json, text/plain, */*", True),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", False),
        ("*/*", False),
        ("", False),
    ],
)
def test_accept_json_means_an_app_wants_a_target(accept: str, wants_json: bool) -> None:
    assert host_context("wechat", "", accept).wants_json is wants_json
    assert host_context(None, USER_AGENTS["jd"], accept).wants_json is wants_json


# -- plan -----------------------------------------------------------------------------

H5 = "https://item.taobao.example/h5/sku-1"
DEEP = "taobao://item/sku-1"
APP_ID = "wx0123456789abcdef"
MP_PATH = "pages/item/index?sku=sku-1"
MP_URL = "https://wxaurl.example/t/abc"
SHARE = "【互通】₴8FK2MQX7RP₴ 复制这段话打开"
DAY = date(2022, 5, 1)

WITH_TARGETS = Targets(
    h5_url=H5,
    deep_link=DEEP,
    mini_program_app_id=APP_ID,
    mini_program_path=MP_PATH,
    mini_program_url=MP_URL,
)
H5_ONLY = Targets(h5_url=H5)
STEPS = (ExtraStep.WARNING_PAGE, ExtraStep.COPY_TO_BROWSER)


def decision(treatment: Treatment, steps: tuple[ExtraStep, ...] = ()) -> Decision:
    """A declared decision by kuaishou about taobao links in live carts, from 2022-03-01."""
    history = PolicyHistory("kuaishou")
    history.declare(
        LinkRule(
            host="kuaishou",
            source="taobao",
            surfaces=frozenset({Surface.LIVE_CART}),
            treatment=treatment,
            extra_steps=steps,
            valid_from=date(2022, 3, 1),
            note="test rule",
        )
    )
    return history.decide("taobao", Surface.LIVE_CART, DAY)


# (treatment, wants_json, has targets, has steps) -> (answer, outcome, url, page)
Expected = tuple[Answer, str, str | None, str]


def expected(treatment: Treatment, app: bool, targets: bool, steps: bool) -> Expected:
    if treatment is Treatment.BLOCKED:
        # A refusal: JSON for an app, a page for a browser (both link_blocked, 403).
        if app:
            return Answer.REFUSED, "blocked", None, ""
        return Answer.PAGE, "blocked", None, "blocked.html"
    if treatment is Treatment.SHARE_CODE_ONLY:
        # An answer: the code to copy, as JSON for an app.
        if app:
            return Answer.JSON, "share_code_only", None, ""
        return Answer.PAGE, "share_code_only", None, "share_code.html"
    if treatment is Treatment.MINI_PROGRAM and targets:
        if app:
            return Answer.JSON, "mini_program", None, ""
        return Answer.PAGE, "mini_program", None, "mini_program.html"
    if treatment is Treatment.DEEP_LINK and targets:
        if app:
            return Answer.JSON, "deep_link", DEEP, ""
        if steps:
            return Answer.PAGE, "deep_link", DEEP, "extra_steps.html"
        return Answer.REDIRECT, "deep_link", DEEP, ""
    outcome = "open" if treatment is Treatment.OPEN else f"{treatment.value}_fallback_open"
    if app:
        return Answer.JSON, outcome, H5, ""
    if steps:
        return Answer.PAGE, outcome, H5, "extra_steps.html"
    return Answer.REDIRECT, outcome, H5, ""


CASES = [
    (treatment, app, targets, steps)
    for treatment in Treatment
    for app in (False, True)
    for targets in (True, False)
    for steps in (False, True)
    # A blocked link has no extra steps (LinkRule refuses them).
    if not (treatment is Treatment.BLOCKED and steps)
]


def case_id(case: tuple[Treatment, bool, bool, bool]) -> str:
    treatment, app, targets, steps = case
    return "-".join(
        [
            treatment.value,
            "app" if app else "browser",
            "targets" if targets else "h5_only",
            "steps" if steps else "direct",
        ]
    )


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_plan_for_every_treatment_client_target_and_step(
    case: tuple[Treatment, bool, bool, bool],
) -> None:
    treatment, app, has_targets, has_steps = case
    steps = STEPS if has_steps else ()
    targets = WITH_TARGETS if has_targets else H5_ONLY
    result = plan(decision(treatment, steps), targets, SHARE, wants_json=app)

    answer, outcome, url, page = expected(treatment, app, has_targets, has_steps)
    assert (result.answer, result.outcome, result.url, result.page) == (answer, outcome, url, page)

    # Every plan carries the context of the decision, for the event and the page.
    assert result.data["host"] == "kuaishou"
    assert result.data["source"] == "taobao"
    assert result.data["surface"] == "live_cart"
    assert result.data["treatment"] == treatment.value
    assert result.data["extra_steps"] == [s.value for s in steps]
    assert result.data["since"] == "2022-03-01"
    assert str(result.data["rule"]).startswith(f"{treatment.value} by kuaishou since 2022-03-01")

    if result.answer is Answer.REDIRECT:
        assert result.url is not None
        assert not result.page
    if result.answer is Answer.PAGE:
        # Every page for a person offers the share code or the link to go on.
        assert result.data.get("share_text") == SHARE
        if result.url is not None:
            assert result.data["url"] == result.url
    refusal = result.refusal
    if outcome == "blocked":
        assert refusal is not None and refusal.code == "link_blocked"
        assert refusal.message.startswith("kuaishou blocks links to taobao on live_cart since")
        assert refusal.link["share_text"] == SHARE  # the offer is still reachable by its code
    else:
        assert refusal is None
    if outcome == "share_code_only":
        assert result.data["share_text"] == SHARE
    if app and (outcome == "open" or outcome.endswith("_fallback_open")):
        assert result.data["url"] == H5
    if outcome == "deep_link" and app:
        assert result.data["deep_link"] == DEEP
    if outcome == "mini_program":
        assert result.data["mini_program"] == {
            "app_id": APP_ID,
            "path": MP_PATH,
            "url_link": MP_URL,
        }


def test_a_mini_program_without_a_path_or_url_link_yet() -> None:
    targets = Targets(h5_url=H5, mini_program_app_id=APP_ID)
    for app in (False, True):
        result = plan(decision(Treatment.MINI_PROGRAM), targets, SHARE, wants_json=app)
        assert result.outcome == "mini_program"
        assert result.data["mini_program"] == {"app_id": APP_ID, "path": "", "url_link": None}


def test_a_deep_link_alone_does_not_make_a_mini_program() -> None:
    targets = Targets(h5_url=H5, deep_link=DEEP)
    result = plan(decision(Treatment.MINI_PROGRAM), targets, SHARE, wants_json=False)
    assert (result.answer, result.outcome, result.url) == (
        Answer.REDIRECT,
        "mini_program_fallback_open",
        H5,
    )
    result = plan(decision(Treatment.DEEP_LINK), targets, SHARE, wants_json=False)
    assert (result.answer, result.outcome, result.url) == (Answer.REDIRECT, "deep_link", DEEP)


def test_undeclared_and_own_links_open() -> None:
    history = PolicyHistory("wechat")
    undeclared = history.decide("taobao", Surface.GROUP_CHAT, DAY)
    own = history.decide("wechat", Surface.LIVE_CART, DAY)
    for chosen in (undeclared, own):
        result = plan(chosen, WITH_TARGETS, SHARE, wants_json=False)
        assert result == Plan(Answer.REDIRECT, "open", url=H5, data=result.data)
        assert result.data["since"] is None
        assert result.data["rule"] == ""
        assert result.data["treatment"] == "open"
