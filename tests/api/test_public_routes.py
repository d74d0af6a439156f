"""The routes anyone may call, over real HTTP: health, echo, the API's own description,
metrics, and what every response carries.

- `GET /healthz` answers `{"status": "ok"}` while the process runs.
- `POST /echo` returns the request body byte for byte, unauthenticated.
- `GET /openapi.json` is the OpenAPI 3 document of every route, with the two security
  schemes (Beckn signatures for participants, a bearer token for the operator);
  `GET /docs` renders it as an HTML page.
- `GET /metrics` is Prometheus text; refused signed requests are counted in
  `hutong_auth_refusals_total` by error code.
- Every response carries `x-request-id`: the client's own (at most 64 characters)
  or a fresh one, so a report can be matched with the switch's log line.
- Anything the switch has no route for is a NACK with a stable code.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest

from hutong.client import encode_json
from hutong.protocol.envelope import request_envelope
from tests.harness.switch import Switch

NACK = {"ack": {"status": "NACK"}}


@pytest.fixture
async def http(switch: Switch) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=switch.url) as client:
        yield client


def refusals(metrics_text: str, code: str) -> float:
    """The value of `hutong_auth_refusals_total{code=...}`, 0 when the series is absent."""
    pattern = rf'^hutong_auth_refusals_total\{{code="{re.escape(code)}"\}} (\S+)$'
    found = re.search(pattern, metrics_text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


async def test_healthz_answers_ok(http: httpx.AsyncClient) -> None:
    response = await http.get("/healthz")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize(
    "body",
    [
        b'{"context":{"message_id":"m-1"},"message":{"note":"\xe4\xba\x92\xe9\x80\x9a"}}',
        b'{ "spacing" :  [1,2 ,3] }\n',
        b"\x00\xff not even JSON \r\n",
        b"",
    ],
    ids=["json", "odd-spacing", "binary", "empty"],
)
async def test_echo_returns_the_exact_bytes_without_a_signature(
    http: httpx.AsyncClient, body: bytes
) -> None:
    response = await http.post("/echo", content=body)

    assert response.status_code == 200
    assert response.content == body


async def test_openapi_document_describes_the_api_and_its_security_schemes(
    http: httpx.AsyncClient,
) -> None:
    response = await http.get("/openapi.json")

    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "Hutong switch"
    paths = document["paths"]
    assert "post" in paths["/v1/ping"]
    assert "post" in paths["/v1/keys"]
    assert "get" in paths["/v1/self"]
    assert "post" in paths["/lookup"]
    assert {"get", "post"} <= set(paths["/operator/participants"])
    assert "get" in paths["/healthz"]
    assert "/openapi.json" not in paths, "the document does not describe itself"
    schemes = document["components"]["securitySchemes"]
    assert schemes["beckn"]["type"] == "apiKey"
    assert schemes["beckn"]["in"] == "header"
    assert schemes["beckn"]["name"] == "Authorization"
    assert schemes["operatorToken"] == {"type": "http", "scheme": "bearer"}


async def test_every_operator_operation_declares_the_operator_token(
    http: httpx.AsyncClient,
) -> None:
    """A client (or a fuzzer) reading the document knows what to send: the bearer token."""
    document = (await http.get("/openapi.json")).json()

    undeclared = [
        f"{method.upper()} {path}"
        for path, item in document["paths"].items()
        if path.startswith("/operator/")
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
        and operation.get("security") != [{"operatorToken": []}]
    ]
    assert undeclared == []


async def test_docs_serve_an_html_page_of_the_api(http: httpx.AsyncClient) -> None:
    response = await http.get("/docs")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.text.lstrip().lower().startswith("<!doctype html>")
    assert "Hutong switch" in response.text


async def test_metrics_are_prometheus_text(http: httpx.AsyncClient) -> None:
    await http.get("/healthz")

    response = await http.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "# TYPE hutong_auth_refusals_total counter" in response.text
    samples = [line for line in response.text.splitlines() if line and not line.startswith("#")]
    assert samples
    for line in samples:
        assert re.fullmatch(r"[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? \S+", line), line


async def test_a_refused_signed_request_is_counted_by_its_error_code(
    switch: Switch, http: httpx.AsyncClient
) -> None:
    client = await switch.register("douyin.example", ["platform"])
    body = encode_json(request_envelope({"note": "genuine"}, message_id="m-1"))
    headers = client.sign("POST", "/v1/ping", body)
    before = await http.get("/metrics")

    refused = await http.post(
        "/v1/ping", content=body.replace(b"genuine", b"forged!"), headers=headers
    )

    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "bad_signature"
    after = await http.get("/metrics")
    assert refusals(after.text, "bad_signature") == refusals(before.text, "bad_signature") + 1
    assert refusals(after.text, "signature_missing") == refusals(before.text, "signature_missing")
    await client.aclose()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/healthz"),
        ("POST", "/echo"),
        ("GET", "/openapi.json"),
        ("GET", "/metrics"),
        ("GET", "/.well-known/hutong.json"),
        ("POST", "/v1/ping"),  # refused: not signed
        ("GET", "/operator/participants"),  # refused: no token
    ],
)
async def test_every_response_carries_a_request_id(
    http: httpx.AsyncClient, method: str, path: str
) -> None:
    fresh = await http.request(method, path)
    again = await http.request(method, path)
    given = await http.request(method, path, headers={"x-request-id": "trace-42"})

    assert fresh.headers["x-request-id"]
    assert again.headers["x-request-id"] != fresh.headers["x-request-id"]
    assert given.headers["x-request-id"] == "trace-42"


async def test_a_request_id_given_by_the_client_is_cut_to_64_characters(
    http: httpx.AsyncClient,
) -> None:
    long_id = "r" * 100

    response = await http.get("/healthz", headers={"x-request-id": long_id})

    assert response.headers["x-request-id"] == long_id[:64]


async def test_an_unknown_path_is_a_not_found_nack(http: httpx.AsyncClient) -> None:
    response = await http.get("/no/such/route")

    assert response.status_code == 404
    body = response.json()
    assert body["message"] == NACK
    assert body["error"]["code"] == "not_found"
    assert body["error"]["message"]


async def test_a_known_path_with_the_wrong_method_is_a_method_not_allowed_nack(
    http: httpx.AsyncClient,
) -> None:
    response = await http.post("/healthz", json={})

    assert response.status_code == 405
    assert response.json()["message"] == NACK
    assert response.json()["error"]["code"] == "method_not_allowed"


@pytest.mark.parametrize(("method", "path"), [("GET", "/no/such/route"), ("POST", "/healthz")])
async def test_routing_errors_carry_a_request_id_too(
    http: httpx.AsyncClient, method: str, path: str
) -> None:
    response = await http.request(method, path, headers={"x-request-id": "trace-404"})

    assert response.status_code in (404, 405)
    assert response.headers.get("x-request-id") == "trace-404"
