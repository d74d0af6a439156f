"""What the switch's answers look like: a NACK, an ACK, a balanced ledger.

`assert_nack` is the one refusal check of the suite: the exact status, the
stable code, a human sentence and nothing else in the document.
"""

from __future__ import annotations

from collections.abc import Awaitable, Collection, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import httpx
import pytest

from hutong.ledger.check import check_ledger
from hutong.protocol.errors import HutongError
from hutong.runtime.services import Services
from tests.harness.switch import Switch, row_counts


def assert_nack(
    response: httpx.Response,
    status: int,
    code: str,
    what: str = "",
    *,
    extra: Collection[str] = (),
) -> dict[str, Any]:
    """`response` is a NACK with exactly this status and code, and a human sentence.

    Nothing else is in the document but the members named in `extra` (a
    refused order also shows the order it kept as cancelled). Returns the
    document (for tests that read more of it).
    """
    assert response.status_code == status, f"{what}: {response.text}"
    document: dict[str, Any] = response.json()
    message = document["error"]["message"]
    assert isinstance(message, str) and message, f"{what}: {response.text}"
    assert set(extra) <= set(document), f"{what}: {response.text}"
    assert {k: v for k, v in document.items() if k not in extra} == {
        "message": {"ack": {"status": "NACK"}},
        "error": {"code": code, "message": message},
    }, f"{what}: {response.text}"
    if status == 401:  # a challenge: the signature scheme's, or the operator's bearer token
        assert response.headers["www-authenticate"], what
    else:
        assert "www-authenticate" not in response.headers, what
    return document


def assert_acked(response: httpx.Response) -> None:
    assert response.status_code == 200, response.text
    assert response.json()["message"]["ack"]["status"] == "ACK"


async def refused_without_writes(
    switch: Switch, request: Awaitable[httpx.Response], status: int, code: str, what: str = ""
) -> httpx.Response:
    """Send `request`, check it is this NACK, and that no table gained or lost a row."""
    return await _refused_changing(switch, request, status, code, what, {})


async def refused_keeping_only_its_answer(
    switch: Switch, request: Awaitable[httpx.Response], status: int, code: str, what: str = ""
) -> httpx.Response:
    """`refused_without_writes` for a step decided before it writes (`run_decided`): the
    refusal is kept as the message's answer (one `messages` row, so a resend meets it),
    and nothing else gained or lost a row."""
    return await _refused_changing(switch, request, status, code, what, {"messages": 1})


async def _refused_changing(
    switch: Switch,
    request: Awaitable[httpx.Response],
    status: int,
    code: str,
    what: str,
    changed: dict[str, int],
) -> httpx.Response:
    """Send `request`, check it is this NACK and that the row counts changed by `changed` only."""
    before = await row_counts(switch.services)
    response = await request
    assert_nack(response, status, code, what)
    after = await row_counts(switch.services)
    assert {t: after[t] - before[t] for t in after if after[t] != before[t]} == changed, what
    return response


async def assert_ledger_balances(services: Services) -> None:
    """The ledger passes its check: the money a test moved balances."""
    async with services.db.read() as conn:
        report = await check_ledger(conn)
    assert report.ok, report.problems


def error_code(response: httpx.Response) -> str:
    """The error code of a NACK (for tests that compare codes across many answers)."""
    code: str = response.json()["error"]["code"]
    return code


E = TypeVar("E", bound=HutongError)


@contextmanager
def rule_refuses(error: type[E], code: str) -> Iterator[pytest.ExceptionInfo[E]]:
    """The block raises `error` with exactly this stable code (and a human sentence)."""
    with pytest.raises(error) as caught:
        yield caught
    assert caught.value.code == code, f"{caught.value.code}: {caught.value.message}"
    assert caught.value.message, code
