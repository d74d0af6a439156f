"""`hutong audit run|show`: the findings from the operator's terminal, as a table, JSON or HTML."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import create_engine, insert, update

from hutong.store.db import sync_url
from hutong.store.tables import (
    acceptance_policies,
    audit_runs,
    payment_refusals,
    wallet_profiles,
)
from tests.harness.cli import add, in_db

NOW = datetime(2025, 3, 1, tzinfo=UTC)
WINDOW = ("--from", "2025-03-01", "--to", "2025-04-01")


def refusals_on_record(database_url: str) -> None:
    """Taobao's checkout refused WeChat Pay three times in March (as checkout records them)."""
    engine = create_engine(sync_url(database_url))
    with engine.begin() as conn:
        conn.execute(
            insert(wallet_profiles),
            [
                {"subscriber_id": w, "currencies": '["CNY"]', "fees": "{}", "updated_at": NOW}
                for w in ("alipay.example", "wechatpay.example")
            ],
        )
        # The acceptance policy v1 those refusals follow (so they contradict nothing declared).
        conn.execute(
            insert(acceptance_policies),
            {
                "platform": "taobao.example",
                "version": 1,
                "rule": '{"accepts": null, "refused": {"wechatpay.example": "not accepted"}}',
                "valid_from": date(2011, 1, 1),
                "declared_at": NOW,
            },
        )
        conn.execute(
            insert(payment_refusals),
            [
                {
                    "by": "taobao.example",
                    "wallet": "wechatpay.example",
                    "subject": f"pay_{n}",
                    "reason": "not accepted",
                    "policy_version": 1,
                    "since": date(2011, 1, 1),
                    "created_at": datetime(2025, 3, 2 + n, tzinfo=UTC),
                }
                for n in range(3)
            ],
        )
    engine.dispose()


def test_run_shows_the_findings_as_a_table_json_and_a_self_contained_html_report(
    database_url: str, tmp_path: Path
) -> None:
    hutong = in_db(database_url)
    for member, role in [
        ("taobao.example", "platform"),
        ("alipay.example", "wallet"),
        ("wechat.example", "platform"),
        ("wechatpay.example", "wallet"),
    ]:
        add(hutong, member, role)
    for group in (
        ["alibaba", "taobao.example", "alipay.example"],
        ["tencent", "wechat.example", "wechatpay.example"],
    ):
        assert hutong("group", "set", *group, "--from", "2013-01-01").exit_code == 0
    refusals_on_record(database_url)

    table = hutong("audit", "run", *WINDOW)
    assert table.exit_code == 0, table.output
    assert "wallet_exclusion" in table.output and "wechatpay.example" in table.output

    shown = hutong("audit", "run", *WINDOW, "--json")
    assert shown.exit_code == 0, shown.output
    report = json.loads(shown.output)
    [finding] = report["findings"]
    assert finding["subject"] == "taobao.example" and finding["since"] == "2011-01-01"

    page = tmp_path / "audit.html"
    assert hutong("audit", "run", *WINDOW, "--html", str(page)).exit_code == 0
    html = page.read_text(encoding="utf-8")
    assert finding["id"] in html and "<script" not in html and "http" not in html.lower()

    detail = hutong("audit", "show", finding["id"], "--json")
    assert detail.exit_code == 0, detail.output
    records = json.loads(detail.output)
    assert records["total"] == 3
    assert [r["subject"] for r in records["records"]] == ["pay_0", "pay_1", "pay_2"]


def test_show_of_an_unknown_finding_exits_1_with_its_code(database_url: str) -> None:
    result = in_db(database_url)("audit", "show", "af_20250301_20250401_0123456789abcdef")
    assert result.exit_code == 1
    assert "unknown_finding" in result.output


def test_run_stores_its_run_and_refresh_recomputes_only_stale_runs(database_url: str) -> None:
    hutong = in_db(database_url)
    add(hutong, "taobao.example", "platform")
    add(hutong, "wechatpay.example", "wallet")
    assert hutong("audit", "run", *WINDOW, "--json").exit_code == 0

    quiet = hutong("audit", "refresh")
    refusals_on_record(database_url)
    stale = hutong("audit", "refresh")
    forced = hutong("audit", "refresh", *WINDOW, "--force")
    half = hutong("audit", "refresh", "--from", "2025-03-01")

    assert quiet.exit_code == stale.exit_code == forced.exit_code == 0, stale.output
    assert "2025-03-01 to 2025-04-01" in quiet.output and "(fresh)" in quiet.output
    assert "declarations changed" in stale.output
    assert "forced" in forced.output
    assert half.exit_code == 2 and "--from and --to" in half.output


def test_refresh_prunes_runs_past_their_retention_but_keeps_the_newest(database_url: str) -> None:
    hutong = in_db(database_url)
    add(hutong, "taobao.example", "platform")
    april = ("--from", "2025-04-01", "--to", "2025-05-01")
    assert hutong("audit", "run", *WINDOW, "--json").exit_code == 0
    assert hutong("audit", "run", *april, "--json").exit_code == 0
    engine = create_engine(sync_url(database_url))
    with engine.begin() as conn:  # both computed years ago, April's last
        for start, day in ((date(2025, 3, 1), 1), (date(2025, 4, 1), 2)):
            conn.execute(
                update(audit_runs)
                .where(audit_runs.c.window_from == start)
                .values(computed_at=datetime(2020, 1, day, tzinfo=UTC))
            )
    engine.dispose()

    refreshed = hutong("audit", "refresh")

    assert refreshed.exit_code == 0, refreshed.output
    assert "pruned 1 run(s) computed over 90 days ago" in refreshed.output
    assert "2025-04-01 to 2025-05-01" in refreshed.output
    assert "2025-03-01 to 2025-04-01" not in refreshed.output
