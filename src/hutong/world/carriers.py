"""The reference carriers' side: tracking pushes in each carrier's own format.

A real carrier sends its own payloads; these builders play that part for the
demo, tests and benchmarks. The switch reads them only through the carrier
plugins (`hutong_carriers`), never through this module.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

CHINA = timezone(timedelta(hours=8))


def _china(moment: datetime) -> str:
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S")


def tracking_payload(
    carrier: str,
    tracking_number: str,
    code: str,
    sub_code: str,
    when: datetime,
    event_id: str,
    text: str = "",
) -> dict[str, Any]:
    """One tracking push as `carrier` (a subscriber id) would send it."""
    if carrier.startswith("jd-logistics"):
        return {
            "waybillCode": tracking_number,
            "opeCode": code,
            "opeSubCode": sub_code,
            "opeTime": int(when.timestamp() * 1000),
            "opeNo": event_id,
            "opeTitle": text,
        }
    if carrier.startswith("cainiao"):
        event = {
            "mailNo": tracking_number,
            "action": code,
            "time": _china(when),
            "desc": text,
            "traceId": event_id,
        }
        if sub_code:
            event["subAction"] = sub_code
        return {
            "msg_type": "CN_TRACE_PUSH",
            "logistics_interface": json.dumps(event, ensure_ascii=False),
            "data_digest": "",
        }
    if carrier.startswith("jtexpress"):
        return {
            "nu": tracking_number,
            "com": "jtexpress",
            "state": code,
            "statusCode": sub_code or code,
            "ftime": _china(when),
            "context": text,
        }
    raise ValueError(f"no reference payload format for {carrier}")
