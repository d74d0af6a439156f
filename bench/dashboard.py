"""Each dashboard page's server time on a replayed decade (issue 16: under 300 ms on SQLite).

Replays 2011..UNTIL at VOLUME (`hutong.world.replay.replay`, the default of
`hutong replay` is volume 4 to 2025-12-31) into a folder, or reuses the
folder of an earlier replay (`--data-dir` holding a hutong.db), then asks
every dashboard page REPEAT times in-process (the app through
`httpx.ASGITransport`: the server's time, no socket) with an operator
session, after one warm-up request each::

    server time(page) = median and max of REPEAT wall-clock request times (ms)

The findings pages read the auditor's stored run of the asked period (a
year of the decade; the replay stores one per year); the finding page reads
one finding of it and its records. docs/dashboard.md says what each page
reads precomputed.

    .venv/bin/python -m bench.dashboard [--until 2025-12-31] [--volume 4]
        [--data-dir DIR] [--repeat 5]

Results go to bench/results/dashboard.json.

Measured once on the shared 2-core machine under load, a replay of
2011-2024 at volume 2 (8768 visits, 876 orders; 185 s), median of 5 (ms):
matrix 21, timeline 81 (416 before the openness series drew one matrix per
change day instead of per point), transparency 31 (364 before), money 12,
health 20, findings (the auditor over 2022) 268, one finding's records 196.
The findings pages ran the auditor on request then: they were the ones near
the issue's 300 ms, and would grow with a denser replay.

Measured once more on the same shared machine under load (load average about
8 on 2 cores), after findings were stored per window and the link traffic
folded (docs/dashboard.md), `python -m bench.dashboard` with its defaults:
a replay of 2011-2025 at volume 4 (19312 visits, 670 orders; 481 s), median
(max) of 5 (ms): matrix 16 (33), timeline 52 (71), findings of 2022 from the
stored run 26 (46), money 24 (28), health 29 (52), transparency 39 (77), one
finding's records 30 (44). The auditor's run of one replayed year alone takes
90-230 ms here: what the findings pages no longer pay per request.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import httpx

from bench._harness import machine, write_results
from hutong.api.app import create_app
from hutong.config import Settings, sqlite_url
from hutong.runtime.services import Services
from hutong.store.db import Database
from hutong.store.migrate import upgrade
from hutong.web.dashboard import session
from hutong.world.replay import replay

#: The pages asked, by name (a year of findings: the replay's audits are per year).
PAGES = {
    "matrix": "/dashboard?day=2022-06-01",
    "timeline": "/dashboard/timeline?platform=wechat",
    "findings": "/dashboard/findings?from=2022-01-01&to=2023-01-01",
    "money": "/dashboard/money",
    "health": "/dashboard/health",
    "transparency": "/transparency?day=2022-06-01",
}


async def measure(folder: Path, token: str, repeat: int) -> dict[str, dict[str, float]]:
    settings = Settings(database_url=sqlite_url(folder), data_dir=folder, operator_token=token)
    upgrade(settings.database_url)  # a reused folder may predate the newest tables
    services = Services(settings=settings, db=Database(settings.database_url))
    cookie = session.new_session(token, int(services.clock().timestamp()))
    timings: dict[str, dict[str, float]] = {}
    try:
        app = create_app(services, run_background=False)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://dashboard.test",
            cookies={session.COOKIE: cookie},
        ) as http:
            pages = dict(PAGES)
            findings = await http.get(
                "/operator/audit/findings",
                params={"from": "2022-01-01", "to": "2023-01-01"},
                headers={"authorization": f"Bearer {token}"},
            )
            found = findings.json().get("findings", []) if findings.status_code == 200 else []
            if found:
                pages["finding"] = f"/dashboard/findings/{found[0]['id']}"
            for name, path in pages.items():
                answer = await http.get(path)
                assert answer.status_code == 200, (path, answer.status_code, answer.text[:300])
                times = []
                for _ in range(repeat):
                    start = time.perf_counter()
                    await http.get(path)
                    times.append((time.perf_counter() - start) * 1000)
                timings[name] = {
                    "median_ms": round(statistics.median(times), 1),
                    "max_ms": round(max(times), 1),
                    "bytes": len(answer.content),
                }
                print(f"{name:14} {timings[name]}")
    finally:
        await services.db.dispose()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--until", type=date.fromisoformat, default=date(2025, 12, 31))
    parser.add_argument("--volume", type=int, default=4)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    token = secrets.token_urlsafe(16)
    folder = args.data_dir or Path(tempfile.mkdtemp(prefix="hutong-dashboard-bench-"))
    replayed: dict[str, Any] = {"reused": (folder / "hutong.db").exists()}
    if not replayed["reused"]:
        settings = Settings(database_url=sqlite_url(folder), data_dir=folder, operator_token=token)
        start = time.perf_counter()
        result = asyncio.run(replay(settings, until=args.until, volume=args.volume))
        replayed |= {"seconds": round(time.perf_counter() - start, 1), "counts": result.counts}
        print(f"replayed to {args.until} at volume {args.volume}: {replayed}")
    timings = asyncio.run(measure(folder, token, args.repeat))
    path = write_results(
        "dashboard",
        {
            "machine": machine(),
            "until": args.until.isoformat(),
            "volume": args.volume,
            "folder": str(folder),
            "replay": replayed,
            "pages": timings,
        },
    )
    print(f"written to {path}")


if __name__ == "__main__":
    main()
