"""A refusal's code means one HTTP status, on every route and wherever it is raised.

A client may switch on the code alone. The convention: a thing the PATH
names that does not exist is 404 with an `unknown_*` code (the route names
nothing); a thing the BODY (or a write's query) names that does not exist is
422 with a `no_such_*` code (or a 422 code that is already nothing but 422:
`unknown_wallet`, `unknown_carrier`, `unknown_service`, `invalid_host`), the
message's mistake, not the route's.

Checked twice: in the OpenAPI document the switch serves (each code a route
lists under a status, `opt={CODES: ...}`), and in the source (each code a
`HutongError` is raised with, its status by `hutong.api.errors`,
`tests.harness.raised_codes`); the two together must name one status per code.
"""

from __future__ import annotations

from typing import Any

import httpx

from tests.harness.openapi import documented_codes, operations, served_document
from tests.harness.raised_codes import raised_codes
from tests.harness.switch import Switch


def documented_statuses(document: dict[str, Any]) -> dict[str, dict[int, list[str]]]:
    """Each code any route lists: its statuses, each with the routes that list it there."""
    found: dict[str, dict[int, list[str]]] = {}
    for method, path, operation in operations(document):
        for status, response in operation["responses"].items():
            for code in documented_codes(response.get("description", "")):
                found.setdefault(code, {}).setdefault(int(status), []).append(f"{method} {path}")
    return found


def with_two_statuses(statuses: dict[str, dict[int, list[str]]]) -> dict[str, dict[int, list[str]]]:
    return {code: by_status for code, by_status in statuses.items() if len(by_status) > 1}


async def test_a_code_is_documented_under_one_status_on_every_route(
    switch: Switch, http: httpx.AsyncClient
) -> None:
    documented = documented_statuses(await served_document(http, switch.url))
    assert len(documented) > 100  # the routes do list their codes
    assert with_two_statuses(documented) == {}


def test_a_code_is_raised_with_one_status_wherever_it_is_raised() -> None:
    raised = raised_codes()
    assert {"unknown_participant", "no_such_offer", "wallet_mismatch"} <= set(raised)
    assert with_two_statuses(raised) == {}


async def test_a_code_documented_means_the_status_it_is_raised_with(
    switch: Switch, http: httpx.AsyncClient
) -> None:
    documented = documented_statuses(await served_document(http, switch.url))
    raised = raised_codes()
    disagree = {
        code: {"documented": sorted(documented[code]), "raised": sorted(raised[code])}
        for code in sorted(set(documented) & set(raised))
        if set(documented[code]) != set(raised[code])
    }
    assert disagree == {}


def test_the_conventions_codes_have_the_status_the_convention_gives() -> None:
    """What a path names is 404, what a body names 422, and never the other way."""
    raised = raised_codes()
    for code in ("unknown_participant", "unknown_merchant", "unknown_offer", "unknown_finding"):
        assert set(raised[code]) == {404}, code
    for code in ("no_such_merchant", "no_such_offer", "no_such_participant", "unknown_wallet"):
        assert set(raised[code]) == {422}, code
