"""The dashboard under test: the real app served on loopback from a thread, with a seeded world.

Browser tests are synchronous (Playwright's sync API runs its own loop), so
the switch runs in a thread with its own event loop, exactly as the suite
serves it elsewhere (`serve_asgi`, real HTTP, a migrated SQLite copy). One
served app per test module: seeding is paid once.

The seeded world, all through the signed API:

- the seed world's 2011-2025 link policy history (`SEED_LINK_RULES`),
  declared by WeChat, Douyin and Kuaishou as "historical record"
  corrections, as `hutong demo` declares it;
- a few journaled decision calls to Taobao and JD (one failed) and an
  undelivered and a dead event for Taobao: the health page's figures;
- groups (Alibaba: Taobao and Tmall; JD) and Taobao's standing policy
  refusing storefronts of JD merchants: the auditor's `storefront_refusal`
  finding, with its evidence record.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import insert

from hutong.api.app import create_app
from hutong.config import Settings
from hutong.events.outbox import EventStatus
from hutong.net import call_journal
from hutong.net.call_journal import DecisionCall, Outcome
from hutong.runtime.services import Services
from hutong.store.db import Database
from hutong.store.tables import outbox
from hutong.world.link_policies import SEED_LINK_RULES
from hutong.world.serving import serve_asgi
from hutong.world.story import HISTORICAL_RECORD
from tests.harness.cast import DOUYIN, EVIDENCE, JD, TAOBAO, TMALL, ok
from tests.harness.networks import Evidence
from tests.harness.switch import OPERATOR_TOKEN, Clock, Switch, sqlite_copy, sqlite_template

#: Where the browser tests write their screenshots (the repository's bench results).
SCREENSHOTS = Path(__file__).resolve().parents[2] / "bench" / "results" / "screenshots"


def chromium_path() -> str:
    """Debian's chromium (scripts/test.sh exports it): skip without one, fail in CI."""
    path = os.environ.get("HUTONG_TEST_CHROMIUM") or shutil.which("chromium") or ""
    if not path:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must run the browser tests: no chromium (see scripts/chromium.sh)")
        pytest.skip("chromium not available (scripts/test.sh installs it)")
    return path


@dataclass
class ServedDashboard:
    url: str
    #: The finding the seeded world must produce (its id), for the evidence page.
    finding: str


async def seed(switch: Switch) -> str:
    """Declare the seeded world (see the module docstring); the finding's id."""
    async with httpx.AsyncClient(timeout=30) as http:
        net = Evidence(switch, None, "", EVIDENCE, http)
        hosts = {rule.host for rule in SEED_LINK_RULES}
        for host in sorted(hosts):
            await net.join(f"{host}.example")
        for rule in SEED_LINK_RULES:
            body = {k: v for k, v in rule.to_dict().items() if k not in ("host", "version")}
            body["correction"] = {"reason": HISTORICAL_RECORD}
            await ok(await net.post(f"{rule.host}.example", "/v1/link-policies", body))
        await net.join(TAOBAO, TMALL, JD)
        await ok(await net.group("alibaba", TAOBAO, TMALL), 201)
        await ok(await net.group("jd", JD), 201)
        today = switch.services.clock().date().isoformat()
        refusal = {
            "decision": "refuse",
            "home_platforms": [JD],
            "valid_from": today,
            "reason": "not hosted here",
        }
        await ok(await net.post(TAOBAO, "/v1/storefront-policies", refusal), 201)
        report = await ok(
            await switch.operator.get(
                "/operator/audit/findings",
                params={"from": today, "to": _tomorrow(switch)},
            )
        )
        finding: str = report["findings"][0]["id"]
    await journal_calls(switch)
    return finding


#: Decision calls the switch made (journaled as it journals them): callee, latencies, failures.
CALLS = {TAOBAO: ([12, 15, 18, 22, 30, 45, 80], 1), JD: ([9, 11, 14, 16, 21], 0)}


async def journal_calls(switch: Switch) -> None:
    """A few journaled decision calls and two undelivered events, for the health page."""
    now = switch.services.clock()
    for callee, (latencies, failures) in CALLS.items():
        for i, latency in enumerate(latencies):
            failed = i < failures
            call_journal.record(
                switch.services,
                DecisionCall(
                    callee=callee,
                    on_behalf_of=DOUYIN,
                    action="reserve_stock",
                    message_id=f"msg-{callee}-{i}",
                    latency_ms=latency,
                    outcome=Outcome.FAILED if failed else Outcome.ANSWERED,
                    code="timeout" if failed else "",
                    called_at=now - timedelta(minutes=i),
                ),
            )
    await call_journal.settled(switch.services)
    async with switch.services.db.transaction() as conn:
        for n, status in enumerate((EventStatus.PENDING, EventStatus.DEAD)):
            await conn.execute(
                insert(outbox),
                {
                    "event_id": f"ev-dashboard-{n}",
                    "recipient": TAOBAO,
                    "action": "on_status",
                    "transaction_id": f"tx-{n}",
                    "payload": "{}",
                    "status": status,
                    "attempts": 3 * n,
                    "created_at": now,
                    "last_error": "connection refused" if status is EventStatus.DEAD else None,
                },
            )


def _tomorrow(switch: Switch) -> str:
    return (switch.services.clock().date() + timedelta(days=1)).isoformat()


@contextlib.contextmanager
def served_dashboard(directory: Path) -> Iterator[ServedDashboard]:
    """The app on loopback in a thread, seeded; stopped when the block ends."""
    ready = threading.Event()
    stop: asyncio.Event | None = None
    loop: asyncio.AbstractEventLoop | None = None
    served: list[ServedDashboard] = []
    failure: list[BaseException] = []

    async def main() -> None:
        nonlocal stop, loop
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        settings = Settings(
            database_url=sqlite_copy(sqlite_template(directory / "template"), directory),
            data_dir=directory,
            operator_token=OPERATOR_TOKEN,
            run_delivery=False,
        )
        services = Services(settings=settings, db=Database(settings.database_url), clock=Clock())
        app = create_app(services, run_background=False)
        async with serve_asgi(app) as url:
            operator = httpx.AsyncClient(
                base_url=url, headers={"authorization": f"Bearer {OPERATOR_TOKEN}"}, timeout=30
            )
            try:
                finding = await seed(Switch(url=url, services=services, operator=operator))
                served.append(ServedDashboard(url=url, finding=finding))
            except BaseException as exc:
                failure.append(exc)
            finally:
                await operator.aclose()
                ready.set()
            if not failure:
                await stop.wait()

    def run() -> None:
        try:
            asyncio.run(main())
        except BaseException as exc:  # reported to the test below
            failure.append(exc)
            ready.set()

    (directory / "template").mkdir(exist_ok=True)
    thread = threading.Thread(target=run, name="dashboard-switch", daemon=True)
    thread.start()
    ready.wait(timeout=60)
    try:
        if failure:
            raise failure[0]
        assert served, "the dashboard's switch did not come up"
        yield served[0]
    finally:
        if loop is not None and stop is not None:
            loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=30)
