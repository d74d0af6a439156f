"""The OpenAPI document the switch serves says what it really answers.

- Every refusal is documented as the NACK the switch sends (`Nack`, or Beckn's
  `BecknNack` on the Beckn registry routes), never Litestar's
  `{status_code, detail, extra}`; the components `Ack`, `Nack`, `Error` exist.
- No JSON success is documented as a bare string.
- Every operation of the served document (whatever router added it) is called
  with its failure cases: no credentials, a body that is not JSON, a signed
  envelope without a context, the wrong media type, a path naming nothing,
  the operator's token with a body of the wrong shape. Each answer's status is
  documented for that operation and its JSON body validates against the
  documented schema (HTML pages are left to their own tests).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from hutong.client import Client
from tests.harness.openapi import operations, problem, served_document
from tests.harness.switch import OPERATOR_TOKEN, Switch


def concrete(path: str) -> str:
    """`path` with each parameter naming nothing (0 suits a string and an integer alike)."""
    parts = [("0" if part.startswith("{") else part) for part in path.split("/")]
    return "/".join(parts)


def schemes(operation: dict[str, Any]) -> set[str]:
    return {name for requirement in operation.get("security") or [] for name in requirement}


@pytest.fixture
async def document(switch: Switch, http: httpx.AsyncClient) -> dict[str, Any]:
    return await served_document(http, switch.url)


async def test_refusals_are_documented_as_nacks_never_litestars_400(
    document: dict[str, Any],
) -> None:
    schemas = document["components"]["schemas"]
    assert {"Ack", "Nack", "Error", "BecknNack", "BecknError"} <= set(schemas)
    litestar_shaped = []
    for method, path, operation in operations(document):
        for status, response in operation["responses"].items():
            if int(status) < 400:
                continue
            schema = response["content"]["application/json"]["schema"]
            beckn = path in {"/v2.0/lookup", "/subscribe"} or path.startswith("/beckn/")
            wanted = "BecknNack" if beckn else "Nack"
            if schema != {"$ref": f"#/components/schemas/{wanted}"}:
                litestar_shaped.append(f"{method} {path} {status}: {schema}")
    assert litestar_shaped == []


async def test_no_json_success_is_documented_as_a_string(document: dict[str, Any]) -> None:
    strings = [
        f"{method} {path} {status}"
        for method, path, operation in operations(document)
        for status, response in operation["responses"].items()
        if status.startswith("2")
        and (response.get("content") or {}).get("application/json", {}).get("schema")
        == {"type": "string"}
        and "/file" not in path  # settlement files: CSV or JSON text, by `format`
    ]
    assert strings == []


async def test_every_operation_answers_its_failure_cases_as_documented(
    switch: Switch, http: httpx.AsyncClient, document: dict[str, Any]
) -> None:
    participant: Client = await switch.register("openapi-truth.example", ["platform"], http=http)
    wrong: list[str] = []
    called = 0
    for method, path, operation in operations(document):
        url = concrete(path)
        kinds = schemes(operation)
        answers = [
            await http.request(method, url, content=b"{", headers={"content-type": "text/plain"}),
            await http.request(method, url, content=b"{not json"),
        ]
        if "beckn" in kinds:
            answers.append(await participant.send(method, url, b'{"message": {}}'))
            answers.append(await participant.send(method, url))
        if "operatorToken" in kinds:
            bearer = {"authorization": f"Bearer {OPERATOR_TOKEN}"}
            answers.append(await http.request(method, url, content=b"[]", headers=bearer))
            answers.append(await http.request(method, url, content=b"{", headers=bearer))
        for answer in answers:
            called += 1
            found = problem(document, operation, answer)
            if found:
                wrong.append(f"{method} {path} -> {found}")
    assert called > 300
    assert wrong == [], "\n".join(wrong)
