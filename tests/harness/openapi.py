"""Does an answer fit the OpenAPI document the switch serves?

`problem(document, operation, answer)` says what the document gets wrong
about one answer (nothing: ""): its status must be documented for the
operation and a JSON body must validate against the documented schema (JSON
Schema 2020-12, the document's components in scope), and a refusal whose
status the route documents with its codes ("This route's codes: ...") must
carry one of them. `assert_documented` finds the operation of a sent request
by its method and path.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import jsonschema_rs

METHODS = ("get", "post", "put", "patch", "delete")
#: Codes of the request's envelope that every route may answer, whatever codes it lists:
#: a body not of the route's schema, a write without a message id, a message id reused.
ENVELOPE_CODES = frozenset(
    {"invalid_request", "missing_message_id", "message_id_conflict", "message_in_flight"}
)
#: How a status's description starts its route's list of codes (`hutong.api.documented`).
CODES_NAMED = "This route's codes: "


async def served_document(http: httpx.AsyncClient, base_url: str) -> dict[str, Any]:
    document: dict[str, Any] = (await http.get(f"{base_url}/openapi.json")).json()
    return document


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(METHOD, path template, operation) of every operation in `document`."""
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method.upper(), path, operation


def operation_of(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    """The operation that serves `method path` (a concrete path, its template matched)."""
    for declared_method, template, operation in operations(document):
        pattern = re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(template))
        if declared_method == method and re.fullmatch(pattern, path):
            return operation
    raise AssertionError(f"{method} {path} is not in the document")


def problem(document: dict[str, Any], operation: dict[str, Any], answer: httpx.Response) -> str:
    """What the document gets wrong about `answer` ("" when nothing)."""
    responses = operation["responses"]
    documented = responses.get(str(answer.status_code)) or responses.get("default")
    if documented is None:
        return f"{answer.status_code} is not documented ({sorted(responses)}): {answer.text[:200]}"
    if "json" not in answer.headers.get("content-type", ""):
        return ""  # HTML pages, CSV files: their own tests read them
    schema = (documented.get("content") or {}).get("application/json", {}).get("schema")
    if schema is None:
        return f"{answer.status_code} has a JSON body but no JSON schema"
    if schema == {}:  # any bytes at all (`/echo`)
        return ""
    validator = jsonschema_rs.validator_for({**schema, "components": document["components"]})
    errors = [str(error) for error in validator.iter_errors(answer.json())]
    if errors:
        return f"{answer.status_code} body does not fit: {errors[:2]}: {answer.text[:200]}"
    return undocumented_code(documented.get("description", ""), answer)


def documented_codes(description: str) -> set[str]:
    """The codes a status's description names for its route (none: the status's generic
    meaning only, see `hutong.api.documented`)."""
    _, listed, codes = description.partition(CODES_NAMED)
    return {code.strip() for code in codes.split(",")} if listed else set()


def undocumented_code(description: str, answer: httpx.Response) -> str:
    """A refusal's code not among those its status is documented with ("" when it is)."""
    codes = documented_codes(description)
    if answer.status_code < 400 or not codes:
        return ""
    error = answer.json().get("error") or {}
    code = error.get("code") if isinstance(error, dict) else None
    if code in codes or code in ENVELOPE_CODES or str(code).isdigit():  # digits: Beckn's
        return ""
    return f"{answer.status_code} {code} is not among its documented codes {sorted(codes)}"


def assert_documented(document: dict[str, Any], answer: httpx.Response) -> None:
    """`answer`'s status and body are as the document says for the request that got it."""
    request = answer.request
    operation = operation_of(document, request.method, request.url.path)
    found = problem(document, operation, answer)
    assert not found, f"{request.method} {request.url.path} -> {found}"
