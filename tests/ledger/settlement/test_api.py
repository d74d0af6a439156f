"""Settlement over real HTTP, on SQLite and PostgreSQL.

The operator moves money through the ledger API, closes the window, reads
its positions and pay instructions, fetches each participant's file and
reconciles statements; participants fetch and reconcile their own file with
signed requests. Every refusal has a stable code and writes nothing.
"""

from __future__ import annotations

import httpx

from tests.harness.assertions import assert_nack
from tests.harness.settlement import ALIPAY, JD, TAOBAO, WECHATPAY, a_day_of_trade, close
from tests.harness.switch import Clock, Switch, row_counts


async def test_the_operator_closes_a_window_and_reads_positions_payments_and_files(
    switch: Switch, clock: Clock
) -> None:
    await a_day_of_trade(switch, clock)
    closed = await close(switch)
    window = closed["window"]
    assert (window["id"], window["state"], window["transfer_count"]) == ("window-1", "closed", 5)
    overall = {(p["asset"], p["participant"]): p["net"] for p in closed["overall"]}
    assert overall == {
        ("CNY", JD): 10_000 - 60 + 500,
        ("CNY", TAOBAO): 7_000,
        ("CNY", WECHATPAY): -12_000 + 60,
        ("CNY", ALIPAY): -5_500,
    }
    pairs = {(p["participant"], p["counterparty"]): p["net"] for p in closed["positions"]}
    assert pairs[(JD, WECHATPAY)] == 9_940 and pairs[(WECHATPAY, JD)] == -9_940
    # Debtors pay the hub, the hub pays creditors: what is paid in is paid out.
    assert sum(i["amount"] for i in closed["instructions"] if i["payee"] == "hub") == 17_440
    assert sum(i["amount"] for i in closed["instructions"] if i["payer"] == "hub") == 17_440

    shown = await switch.operator.get("/operator/settlement/windows/window-1")
    assert shown.status_code == 200 and shown.json() == closed
    listed = (await switch.operator.get("/operator/settlement/windows")).json()
    assert [(w["number"], w["state"]) for w in listed] == [(1, "closed"), (2, "open")]
    assert listed[1]["from_seq"] == window["to_seq"]

    csv_file = await switch.operator.get("/operator/settlement/windows/window-1/files/jd.example")
    assert csv_file.status_code == 200
    assert csv_file.headers["content-type"].startswith("text/csv")
    assert csv_file.text.splitlines() == [
        "transfer_id,counterparty,asset,amount,direction",
        "fee-1,wechatpay.example,CNY,60,debit",
        "hold-1/post,alipay.example,CNY,500,credit",
        "pay-1,wechatpay.example,CNY,10000,credit",
    ]
    as_json = await switch.operator.get(
        "/operator/settlement/windows/1/files/jd.example", params={"format": "json"}
    )
    assert as_json.status_code == 200
    assert as_json.json()["net"] == [{"asset": "CNY", "net": 10_440}]
    assert as_json.json()["instructions"] == [
        {"asset": "CNY", "payer": "hub", "payee": JD, "amount": 10_440}
    ]

    settled = await switch.operator.post("/operator/settlement/windows/window-1/settle")
    assert settled.status_code == 200 and settled.json()["state"] == "settled"
    assert (await switch.operator.get("/operator/ledger/check")).json()["ok"] is True


async def test_reconciliation_finds_every_planted_discrepancy(switch: Switch, clock: Clock) -> None:
    await a_day_of_trade(switch, clock)
    await close(switch)
    path = "/operator/settlement/windows/window-1"
    lines = (await switch.operator.get(f"{path}/files/{JD}")).text.splitlines()
    header, fee, hold, pay = lines
    own = await switch.operator.post(
        f"{path}/reconcile/{JD}", content="\n".join(lines), headers={"content-type": "text/csv"}
    )
    assert own.status_code == 200 and own.json()["ok"] is True
    assert own.json()["summary"]["matched"] == 3

    statement = "\n".join(
        [
            header,
            # fee-1 is missing: the switch has it, the participant does not
            hold.replace(",500,", ",550,"),  # a different amount
            pay,
            pay,  # listed twice
            "refund-9,wechatpay.example,CNY,100,debit",  # the switch never saw it
        ]
    )
    report = await switch.operator.post(
        f"{path}/reconcile/{JD}", content=statement, headers={"content-type": "text/csv"}
    )
    assert report.status_code == 200, report.text
    body = report.json()
    assert body["ok"] is False
    assert body["summary"] == {
        "matched": 1,
        "amount_mismatches": 1,
        "detail_mismatches": 0,
        "missing_at_participant": 1,
        "missing_at_switch": 1,
        "duplicates": 1,
        "invalid_rows": 0,
    }
    assert body["missing_at_participant"][0]["transfer_id"] == "fee-1"
    assert body["missing_at_switch"][0]["transfer_id"] == "refund-9"
    [mismatch] = body["amount_mismatches"]
    assert (mismatch["switch_amount"], mismatch["participant_amount"]) == (500, 550)
    assert body["duplicates"][0]["transfer_id"] == "pay-1"
    assert fee not in statement


async def test_a_participant_reads_and_reconciles_only_its_own_file(
    switch: Switch, clock: Clock
) -> None:
    jd = await switch.register(JD, ["merchant"])
    auditor = await switch.register("audit.example", ["auditor"])
    await a_day_of_trade(switch, clock)
    await close(switch)
    async with jd, auditor:
        mine = await jd.get("/v1/settlement/windows/window-1/file")
        assert mine.status_code == 200, mine.text
        assert mine.text.splitlines()[1:] == [
            "fee-1,wechatpay.example,CNY,60,debit",
            "hold-1/post,alipay.example,CNY,500,credit",
            "pay-1,wechatpay.example,CNY,10000,credit",
        ]
        other = await jd.get(f"/v1/settlement/windows/window-1/file?participant={WECHATPAY}")
        assert_nack(other, 403, "not_your_file")
        audited = await auditor.get(
            f"/v1/settlement/windows/window-1/file?participant={WECHATPAY}&format=json"
        )
        assert audited.status_code == 200, audited.text
        assert audited.json()["participant"] == WECHATPAY

        report = await jd.post(
            "/v1/settlement/windows/window-1/reconcile", {"statement": mine.text}
        )
        assert report.status_code == 200, report.text
        assert report.json()["ok"] is True
        short = "\n".join(mine.text.splitlines()[:2])
        report = await jd.post("/v1/settlement/windows/window-1/reconcile", {"statement": short})
        assert report.json()["summary"]["missing_at_participant"] == 2

        unsigned = await jd.http.get("/v1/settlement/windows/window-1/file")
        assert_nack(unsigned, 401, "signature_missing")
        open_window = await jd.get("/v1/settlement/windows/window-2/file")
        assert_nack(open_window, 409, "window_open")
        wrong_shape = await jd.post("/v1/settlement/windows/window-1/reconcile", {"csv": "x"})
        assert wrong_shape.status_code == 422, wrong_shape.text


async def test_bad_requests_are_refused_with_a_code_and_write_nothing(
    switch: Switch, clock: Clock
) -> None:
    await a_day_of_trade(switch, clock)
    await close(switch)
    before = await row_counts(switch.services)
    op = switch.operator
    base = "/operator/settlement"
    future = clock.now.replace(year=clock.now.year + 1).isoformat()
    assert_nack(await op.post(f"{base}/close", json={"until": future}), 422, "until_in_future")
    assert_nack(await op.post(f"{base}/close", json={"until": "yesterday"}), 422, "invalid_request")
    assert_nack(
        await op.post(f"{base}/close", json={"until": "2024-01-01T00:00:00"}), 422, "invalid_until"
    )
    assert_nack(await op.post(f"{base}/close"), 409, "invalid_cutoff")  # window 2 has not begun
    assert_nack(await op.post(f"{base}/windows/window-2/settle"), 409, "window_open")
    assert_nack(await op.post(f"{base}/windows/window-7/settle"), 404, "unknown_window")
    assert_nack(await op.get(f"{base}/windows/window-7"), 404, "unknown_window")
    assert_nack(await op.get(f"{base}/windows/window-2/files/{JD}"), 409, "window_open")
    assert_nack(
        await op.get(f"{base}/windows/window-1/files/nobody.example"), 404, "unknown_participant"
    )
    assert_nack(
        await op.get(f"{base}/windows/window-1/files/{JD}", params={"format": "xml"}),
        422,
        "invalid_format",
    )
    reconcile = f"{base}/windows/window-1/reconcile/{JD}"
    assert_nack(await op.post(reconcile, json={"statement": "x"}), 415, "unsupported_media_type")
    assert_nack(
        await op.post(reconcile, content=b"\xff\xfe", headers={"content-type": "text/csv"}),
        422,
        "invalid_statement",
    )
    garbage = await op.post(
        reconcile, content="who,what\n1,2\n", headers={"content-type": "text/csv"}
    )
    assert garbage.status_code == 200
    assert garbage.json()["invalid_rows"][0]["code"] == "missing_column"
    async with httpx.AsyncClient(base_url=switch.url) as anonymous:
        assert_nack(await anonymous.get(f"{base}/windows"), 401, "operator_token")
    assert await row_counts(switch.services) == before
