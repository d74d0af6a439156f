"""`hutong demo` runs the whole seed-world story for real and says that every step passed.

It is run exactly as a user runs it, as a separate process: it starts the switch and
the reference participants on loopback, plays each step of `STORY`, prints a table,
and ends with `all N steps passed` (exit 0) or `K step(s) failed` (exit 1).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from hutong.audit import Window, audit
from hutong.config import sqlite_url
from hutong.ledger.settlement import parse_statement, reconcile
from hutong.store.db import Database
from hutong.world.demo import STORY
from hutong.world.demo_audit import HISTORY_FROM, summarize
from hutong.world.demo_payments import yuan
from hutong.world.demo_settlement import MONEY_FILE

#: The demo takes a few seconds; this is the most a user should ever wait.
BUDGET_SECONDS = 60
AUDIT_STEP = "The auditor's findings"
DENIAL_STEP = "Tencent Video denies 88VIP, 2022"


@pytest.mark.slow
def test_the_demo_passes_every_step_of_the_story(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUTONG_")}
    env["COLUMNS"] = "200"  # one table row per line, whatever the terminal
    started = time.monotonic()

    done = subprocess.run(
        [sys.executable, "-m", "hutong.cli.main", "demo", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )

    elapsed = time.monotonic() - started
    report = f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    assert done.returncode == 0, report
    lines = done.stdout.strip().splitlines()
    assert lines[-1] == f"all {len(STORY)} steps passed", report
    for title, _, _ in STORY:
        assert any(title in line and "✓" in line for line in lines), f"{title}\n{report}"
    assert "✗" not in done.stdout, report
    assert elapsed < BUDGET_SECONDS, f"the demo took {elapsed:.1f}s\n{report}"
    assert (tmp_path / "hutong.db").is_file(), "--data-dir keeps the demo's database"
    participants = _settlement_files_reconcile(tmp_path / "settlement")
    _money_adds_up(json.loads((tmp_path / MONEY_FILE).read_text()), participants, done.stdout)
    _the_auditor_finds_the_seed_policies(tmp_path, _cell_of(done.stdout, AUDIT_STEP))
    # Tencent Video's 2022 denial is its declared refusal, named in 88VIP's refused exchange.
    denial = _cell_of(done.stdout, DENIAL_STEP)
    assert "exchange_refused_by_program" in denial and "declaration" in denial, denial


def _settlement_files_reconcile(root: Path) -> set[str]:
    """Every file reconciles as its own statement; its JSON agrees; all of them sum to zero."""
    windows = sorted(root.iterdir())
    assert windows, "no settlement window folder"
    files = sorted(windows[-1].glob("*.csv"))
    assert len(files) >= 9, files
    everyone: defaultdict[str, int] = defaultdict(int)
    for path in files:
        statement = parse_statement(path.read_text(encoding="utf-8"))
        assert not statement.errors, (path.name, statement.errors)
        report = reconcile([s.entry for s in statement.lines], statement)
        assert report.ok and report.summary["matched"] == len(statement.lines), path.name
        nets: defaultdict[str, int] = defaultdict(int)
        for line in statement.lines:
            nets[line.entry.asset] += line.entry.signed
            everyone[line.entry.asset] += line.entry.signed
        document = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        assert document["participant"] == path.stem
        assert {n["asset"]: n["net"] for n in document["net"]} == dict(nets), path.name
    assert set(everyone.values()) == {0}, f"positions do not sum to zero: {dict(everyone)}"
    return {path.stem for path in files}


def _money_adds_up(money: dict[str, Any], participants: set[str], stdout: str) -> None:
    """Each party's parts add up to what it received; all of it to what buyers kept paid."""
    received = money["received"]
    assert {"jd-beauty.example", "tea-house.example", "ks-creator.example"} <= {
        r["participant"] for r in received
    }
    for row in received:
        assert row["fen"] == sum(part["fen"] for part in row["from"]) > 0, row
        assert row["participant"] in participants, f"no settlement file for {row}"
        assert f"{row['participant']} " in stdout and yuan(row["fen"]) in stdout, row
    total = sum(row["fen"] for row in received)
    assert total == money["paid"] - money["refunded"] and money["refunded"] > 0, money
    assert "Who received what" in stdout and yuan(total) in stdout


def _cell_of(stdout: str, title: str) -> str:
    """The step's "what happened" cell, its wrapped lines joined with spaces."""
    parts: list[str] = []
    inside = False
    for line in stdout.splitlines():
        columns = [c.strip() for c in line.split("│")]
        if len(columns) < 6:
            inside = inside and not line.startswith(("└", "├"))
            continue
        if columns[1]:  # a new step's first line (its mark)
            inside = columns[2] == title
        if inside and columns[4]:
            parts.append(columns[4])
    return " ".join(parts)


def _the_auditor_finds_the_seed_policies(data_dir: Path, printed: str) -> None:
    """Douyin's external-link fee and the seed link blocks: found, and printed in the table."""

    async def findings() -> list[dict[str, Any]]:
        db = Database(sqlite_url(data_dir))
        try:
            day = time.gmtime()
            today = date(day.tm_year, day.tm_mon, day.tm_mday)
            report = await audit(db, Window(HISTORY_FROM, today + timedelta(days=2)))
        finally:
            await db.dispose()
        return [f.to_dict() for f in report.findings]

    found = asyncio.run(findings())
    seen = {(f["check"], f["subject"], a, f["surface"]) for f in found for a in f["against"]}
    fee = [f for f in found if f["check"] == "fee_discrimination"]
    assert [(f["subject"], f["surface"]) for f in fee] == [
        ("douyin.example", "*/link_placement/declared")
    ], found
    assert (fee[0]["metric"]["value"], fee[0]["metric"]["baseline"]) == (0.2, 0.05)
    for blocked in (
        ("link_blocking", "douyin", "alibaba", "live_cart"),  # 2020: Taobao, Tmall
        ("link_blocking", "douyin", "jd", "live_cart"),
        ("link_blocking", "wechat", "alibaba", "chat"),  # 2013: share codes only
        ("link_blocking", "kuaishou", "youzan", None),  # 2021: every surface
        ("link_blocking", "kuaishou", "jd", "live_cart"),  # 2022
    ):
        assert blocked in seen, (blocked, found)
    # Each finding's records (the rules, the schedule version) are there to read.
    assert all(f["evidence"]["sample"] for f in found), found
    assert {s.split(":")[0] for f in found for s in f["evidence"]["sample"]} == {"rule", "schedule"}
    assert f"{len(found)} finding(s)" in printed, printed
    for line in summarize(found):
        assert line in printed, (line, printed)
