"""The dashboard in a real browser (Debian's chromium driven by Playwright).

One served switch for the module (`dashboard`: the seed world's declared
link history and an audit finding) and one browser. The operator signs in
through the form, as a person would; each page must render without a
console error; the matrix must follow the declared history from day to day;
the public page must show nothing private. Screenshots of every page are
written to bench/results/screenshots/ at the end.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from hutong.protocol.signing import KeyPair, load_signing_key, new_key_pair
from tests.harness.dashboard import SCREENSHOTS, ServedDashboard
from tests.harness.switch import OPERATOR_TOKEN

#: Every operator page, by the name its screenshot gets.
PAGES = {
    "matrix": "/dashboard?day=2022-06-01",
    "timeline": "/dashboard/timeline?platform=wechat",
    "findings": "/dashboard/findings",
    "money": "/dashboard/money",
    "health": "/dashboard/health",
}
#: Words of participant-private or buyer data, none of which the public page may show.
PRIVATE = (
    "buyer",
    "storefront",
    "settlement",
    "latency",
    "finding",
    "evidence",
    "commission",
    "wallet",
    "carrier",
    "merchant",
    "jd-beauty",
    "tea-house",
    "af_",
)


class Browsing:
    """A signed-in page that records console errors and failed requests."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.errors: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("requestfailed", lambda r: self.errors.append(f"failed: {r.url}"))

    def open(self, url: str) -> Any:
        self.errors.clear()
        response = self.page.goto(url, wait_until="networkidle")
        assert response is not None and response.status == 200, url
        assert self.errors == [], f"{url}: {self.errors}"
        return response


@pytest.fixture(scope="module")
def operator(dashboard: ServedDashboard, browser: Any) -> Iterator[Browsing]:
    """A browser page signed in as the operator through the sign-in form."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(5000)
    page = context.new_page()
    page.goto(f"{dashboard.url}/dashboard")
    assert "/dashboard/sign-in" in page.url
    page.fill("#token", OPERATOR_TOKEN)
    page.click("button[type=submit]")
    page.wait_for_url(f"{dashboard.url}/dashboard")
    yield Browsing(page)
    context.close()


def cell(page: Any, host: str, source: str) -> str:
    status: str = page.get_attribute(
        f'#link-matrix td[data-host="{host}"][data-source="{source}"]', "data-status"
    )
    return status


@pytest.mark.parametrize("name", list(PAGES))
def test_each_operator_page_renders_without_console_errors(
    dashboard: ServedDashboard, operator: Browsing, name: str
) -> None:
    operator.open(f"{dashboard.url}{PAGES[name]}")
    assert operator.page.locator("h1").count() == 1


def test_moving_the_day_redraws_the_matrix_from_the_declared_history(
    dashboard: ServedDashboard, operator: Browsing
) -> None:
    page = operator.page
    operator.open(f"{dashboard.url}/dashboard?day=2019-06-01")
    assert cell(page, "wechat", "taobao") == "code_only"
    assert cell(page, "kuaishou", "taobao") == "undeclared"

    with page.expect_navigation():
        page.fill("#day", "2022-06-01")
        page.dispatch_event("#day", "change")

    assert page.get_attribute("#link-matrix", "data-day") == "2022-06-01"
    assert cell(page, "wechat", "taobao") == "open"
    assert cell(page, "kuaishou", "taobao") == "blocked"
    assert operator.errors == []
    label = page.inner_text('#link-matrix td[data-host="kuaishou"][data-source="taobao"]')
    assert label.startswith("blocked"), "the colour is never the only sign"


def test_a_cell_links_to_the_policy_versions_behind_it(
    dashboard: ServedDashboard, operator: Browsing
) -> None:
    page = operator.page
    operator.open(f"{dashboard.url}/dashboard?day=2022-06-01")
    with page.expect_navigation():
        page.click('#link-matrix td[data-host="wechat"][data-source="taobao"] a')
    rows = page.locator("#policy-versions tbody tr")
    assert rows.count() == 3
    assert "historical record" in rows.first.inner_text()
    assert "2021-11-29" in page.inner_text("#policy-versions")


def test_a_findings_page_lists_its_evidence_records(
    dashboard: ServedDashboard, operator: Browsing
) -> None:
    page = operator.page
    operator.open(f"{dashboard.url}/dashboard/findings")
    computed = page.inner_text("#computed")
    operator.open(f"{dashboard.url}/dashboard/findings?check=storefront_refusal")
    # The second visit reads the run the first stored: the same run, not computed again.
    again = page.inner_text("#computed")
    assert " for this page" not in again
    assert again.rstrip(".") == computed.split(" for this page")[0].rstrip(".")
    assert page.locator("#findings a").count() == 1
    with page.expect_navigation():
        page.click('#findings a[href^="/dashboard/findings/af_"]')
    assert operator.errors == []
    assert page.inner_text("#computed").startswith("From the auditor's stored run of")
    assert "E-Commerce Law Art. 35" in page.inner_text("#rule")
    assert page.inner_text("#threshold").strip() != ""
    assert page.locator("#evidence tr.record").count() >= 1
    assert "taobao.example" in page.inner_text("#evidence")


def test_the_public_page_shows_the_aggregate_matrix_and_nothing_private(
    dashboard: ServedDashboard, browser: Any
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        browsing = Browsing(page)
        browsing.open(f"{dashboard.url}/transparency?day=2022-06-01")
        assert cell(page, "kuaishou", "taobao") == "blocked"
        assert page.locator("#openness-chart svg").count() == 1
        text = page.content().lower()
        shown = [word for word in PRIVATE if word in text]
        assert shown == []
        assert page.locator("#link-matrix a").count() == 0, "no link into operator pages"
    finally:
        page.close()


def test_an_operator_page_is_refused_without_a_session(dashboard: ServedDashboard) -> None:
    for path in [*PAGES.values(), f"/dashboard/findings/{dashboard.finding}"]:
        answer = httpx.get(f"{dashboard.url}{path}", follow_redirects=False)
        assert answer.status_code == 303, path
        assert answer.headers["location"].startswith("/dashboard/sign-in?next=")
        assert "taobao" not in answer.text
    forged = httpx.get(
        f"{dashboard.url}/dashboard",
        cookies={"hutong_dashboard": "v1.99999999999.00"},
        follow_redirects=False,
    )
    assert forged.status_code == 303


def test_a_wrong_token_is_refused_and_a_right_one_sets_a_strict_http_only_cookie(
    dashboard: ServedDashboard,
) -> None:
    wrong = httpx.post(f"{dashboard.url}/dashboard/sign-in", data={"token": "guess"})
    assert wrong.status_code == 401
    assert "set-cookie" not in wrong.headers
    right = httpx.post(
        f"{dashboard.url}/dashboard/sign-in",
        data={"token": OPERATOR_TOKEN, "next": "https://elsewhere.example/"},
        follow_redirects=False,
    )
    assert right.status_code == 303
    assert right.headers["location"] == "/dashboard", "no open redirect"
    cookie = right.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "max-age=28800" in cookie


def test_the_matrix_works_at_a_phones_width(dashboard: ServedDashboard, operator: Browsing) -> None:
    page = operator.page
    page.set_viewport_size({"width": 390, "height": 844})
    try:
        operator.open(f"{dashboard.url}/dashboard?day=2022-06-01")
        body_width = page.evaluate("document.body.scrollWidth")
        assert body_width <= 390, "only the matrix scrolls sideways, not the page"
        page.screenshot(path=str(SCREENSHOTS / "matrix-phone.png"), full_page=True)
    finally:
        page.set_viewport_size({"width": 1280, "height": 900})


def test_network_health_shows_each_callees_latency_and_the_delivery_backlog(
    dashboard: ServedDashboard, operator: Browsing
) -> None:
    page = operator.page
    operator.open(f"{dashboard.url}/dashboard/health")
    rows = {
        r.split("\t")[0]: r.split("\t")[1:]
        for r in page.locator("#callees tbody tr").all_inner_texts()
    }
    # taobao.example: 7 calls, nearest-rank p50 = 22 ms, p95 = 80 ms, 1 of 7 failed.
    assert rows["taobao.example"] == ["7", "22", "80", "14.3%"]
    assert rows["jd.example"] == ["5", "14", "21", "0.0%"]
    assert page.inner_text("#deliveries tbody").split() == ["taobao.example", "1", "1"]
    # Availability over time: per month, the calls answered (a failed one is not).
    available = [r.split("\t") for r in page.locator("#availability tbody tr").all_inner_texts()]
    assert [(r[0], r[2], r[3], r[4]) for r in available] == [
        ("jd.example", "5", "0", "100.0%"),
        ("taobao.example", "7", "1", "85.7%"),
    ]
    assert page.locator("#availability-chart svg").count() == 1


def test_screenshots_of_every_page(dashboard: ServedDashboard, operator: Browsing) -> None:
    """Last in the module: one full-page screenshot per page, named after it."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shots = {**PAGES, "finding": f"/dashboard/findings/{dashboard.finding}"}
    for name, path in shots.items():
        operator.open(f"{dashboard.url}{path}")
        operator.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    public = operator.page.context.browser.new_page(viewport={"width": 1280, "height": 900})
    Browsing(public).open(f"{dashboard.url}/transparency?day=2022-06-01")
    public.screenshot(path=str(SCREENSHOTS / "transparency.png"), full_page=True)
    public.close()
    written = {p.name for p in SCREENSHOTS.glob("*.png")}
    assert {f"{n}.png" for n in [*shots, "transparency"]} <= written


def _register(dashboard: ServedDashboard, subscriber: str, role: str) -> KeyPair:
    pair = new_key_pair()
    answer = httpx.post(
        f"{dashboard.url}/operator/participants",
        headers={"authorization": f"Bearer {OPERATOR_TOKEN}"},
        json={
            "subscriber_id": subscriber,
            "name": subscriber,
            "roles": [role],
            "callback_url": f"http://127.0.0.1:9/cb/{subscriber}",
            "key_id": "k1",
            "public_key": pair.public_key,
        },
    )
    assert answer.status_code == 201, answer.text
    return pair


def _signed(pair: KeyPair, text: str) -> str:
    signature = load_signing_key(pair.private_key).sign(text.encode()).signature
    return base64.b64encode(signature).decode()


def _sign_in_with_key(
    dashboard: ServedDashboard, subscriber: str, challenge: str, signature: str
) -> httpx.Response:
    return httpx.post(
        f"{dashboard.url}/dashboard/sign-in/key",
        data={
            "subscriber_id": subscriber,
            "key_id": "k1",
            "challenge": challenge,
            "signature": signature,
            "next": "/dashboard/findings",
        },
        follow_redirects=False,
    )


def test_an_auditor_signs_in_by_signing_a_challenge_with_its_registered_key(
    dashboard: ServedDashboard,
) -> None:
    pair = _register(dashboard, "dashboard-auditor.example", "auditor")
    challenge = httpx.get(f"{dashboard.url}/dashboard/sign-in/challenge").json()["challenge"]
    signed_in = _sign_in_with_key(
        dashboard, "dashboard-auditor.example", challenge, _signed(pair, challenge)
    )
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/dashboard/findings"
    cookie = signed_in.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "max-age=28800" in cookie
    page = httpx.get(f"{dashboard.url}/dashboard/findings", cookies=signed_in.cookies)
    assert page.status_code == 200 and "<h1>" in page.text


def test_a_key_sign_in_is_refused_without_the_auditors_own_signature_on_a_live_challenge(
    dashboard: ServedDashboard,
) -> None:
    auditor = _register(dashboard, "second-auditor.example", "auditor")
    platform = _register(dashboard, "not-an-auditor.example", "platform")
    challenge = httpx.get(f"{dashboard.url}/dashboard/sign-in/challenge").json()["challenge"]
    refusals = {
        "signature_invalid": _sign_in_with_key(
            dashboard, "second-auditor.example", challenge, _signed(platform, challenge)
        ),
        "challenge_invalid": _sign_in_with_key(
            dashboard,
            "second-auditor.example",
            challenge[:-1] + ("0" if challenge[-1] != "0" else "1"),
            _signed(auditor, challenge[:-1] + ("0" if challenge[-1] != "0" else "1")),
        ),
        "not_an_auditor": _sign_in_with_key(
            dashboard, "not-an-auditor.example", challenge, _signed(platform, challenge)
        ),
    }
    for code, answer in refusals.items():
        assert answer.status_code == (403 if code == "not_an_auditor" else 401), code
        assert code in answer.text
        assert "set-cookie" not in answer.headers, code
