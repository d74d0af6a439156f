"""The browser tests' fixtures: Debian's chromium reaches the real app served on loopback."""

from __future__ import annotations

from typing import Any

from tests.harness.dashboard import ServedDashboard


def test_the_browser_reaches_the_served_switch(dashboard: ServedDashboard, browser: Any) -> None:
    page = browser.new_page()
    response = page.goto(f"{dashboard.url}/healthz")
    assert response is not None and response.status == 200
    assert '"ok"' in page.content()
    assert dashboard.finding.startswith("af_")
    page.close()
