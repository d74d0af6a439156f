"""Schemathesis runs against the served switch, signed as a participant (or as the operator).

The OpenAPI document is read from the running switch (`/openapi.json`); each
operation gets `max_examples` generated requests, half that fit the document
(positive) and half that do not (negative), sent over real HTTP on loopback.

Every request is signed the way `hutong.client.Client.send` signs it: the
`(request-target)` is the method and the path and query of the request line
as it goes on the wire, the digest is over the exact body bytes. Operator
routes (`/operator/...`) carry the operator's bearer token instead; the
public ones nothing.

What must hold of every answer (`problem_with`):

- no status >= 500: the switch understood what happened, or it is a bug;
- a 4xx JSON answer is a NACK with a stable `error.code`;
- the answer is what the document says (schemathesis' `status_code_conformance`
  and `response_schema_conformance`): its status is documented for the
  operation and its JSON body fits the documented schema.

Path parameters are generated, so most name nothing and are answered 404;
`Fuzzing.known` gives real values by parameter name (an order, a
storefront, a participant), and a third of the examples of an operation
with such a parameter use them, so the bodies reach what those routes do.

Generation is derandomized (the seed follows the test, not the clock), so a
run is the same on every machine; the Hypothesis database is off. Findings
are collected, not raised, so one run lists every failing operation.

Schemathesis is synchronous (requests), the switch serves on the test's
event loop: call `fuzz` in a worker thread (`asyncio.to_thread`).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import strategies as st
from requests.auth import AuthBase
from schemathesis import GenerationMode
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.core.transport import Response
from schemathesis.schemas import APIOperation, BaseSchema
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from hutong.protocol.signing import Signer, request_target

#: How long a signature made for one request is good for, as the client's default.
LIFETIME = 60


class SignedAuth(AuthBase):
    """Signs each prepared request as `hutong.client.Client.send` does, at the switch's clock."""

    def __init__(self, signer: Signer, now: Callable[[], int]) -> None:
        self.signer = signer
        self.now = now

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        if not isinstance(body, bytes):  # a streamed body: nothing a client signs
            return request
        try:
            target = request_target(request.method or "GET", request.path_url)
        except ValueError:  # no request line a client could sign: sent unsigned (401)
            return request
        created = self.now()
        request.headers["authorization"] = self.signer.authorization(
            body, created, created + LIFETIME, target=target
        )
        return request


class BearerAuth(AuthBase):
    """The operator's token, set last (over any Authorization header that was generated)."""

    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["authorization"] = f"Bearer {self.token}"
        return request


@dataclass(frozen=True)
class Finding:
    """An answer that broke a rule, with what reproduces it."""

    who: str
    operation: str
    status: int
    problem: str
    request: str
    answer: str

    def __str__(self) -> str:
        return (
            f"[{self.who}] {self.operation} -> {self.status}: {self.problem}\n"
            f"    sent {self.request}\n    got {self.answer}"
        )


@dataclass
class Fuzzing:
    """What a run sent and what it found."""

    base_url: str
    max_examples: int
    #: Real values for path parameters, by name (`order_id`, `subscriber_id`, ...).
    known: dict[str, str] = field(default_factory=dict)
    requests: Counter[str] = field(default_factory=Counter)
    #: Answers by who sent them and status: a run whose signatures all fail proves nothing.
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    #: The first answer of each (who, status), to tell what a count is made of.
    samples: dict[tuple[str, int], str] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    def answered(self, who: str, statuses: range) -> int:
        """How many of `who`'s requests were answered with one of `statuses`."""
        return sum(
            n
            for (sender, status), n in self.statuses.items()
            if sender == who and status in statuses
        )


_PATH_PARAMETER = re.compile(r"\{(\w+)\}")


def load_schema(base_url: str) -> BaseSchema:
    """The OpenAPI document as the running switch serves it."""
    return schemathesis.openapi.from_url(f"{base_url}/openapi.json")


def operations(schema: BaseSchema, keep: Callable[[APIOperation], bool]) -> list[APIOperation]:
    """The operations of `schema` that `keep` chooses (an unreadable one fails the run)."""
    return [op for op in (result.ok() for result in schema.get_all_operations()) if keep(op)]


def is_operator(operation: APIOperation) -> bool:
    return operation.path.startswith("/operator/")


def is_public(operation: APIOperation) -> bool:
    """Neither the operator's nor signed: anyone may call it."""
    return not is_operator(operation) and not is_signed(operation)


def is_signed(operation: APIOperation) -> bool:
    """Declared as signed by a participant (the `beckn` security scheme)."""
    declared = operation.definition.raw.get("security") or []
    return any("beckn" in requirement for requirement in declared)


#: The document must tell the truth about each answer.
CONFORMANCE = [status_code_conformance, response_schema_conformance]
#: Operations whose success body is whatever was sent (JSON or not, empty too): status only.
ANY_BODY = {"POST /echo"}


def nonconformance(case: Any, response: Response) -> str | None:
    """How `response` differs from what the document says of `case`'s operation, or None."""
    operation = f"{case.operation.method.upper()} {case.operation.path}"
    checks = CONFORMANCE[:1] if operation in ANY_BODY else CONFORMANCE
    try:
        case.validate_response(response, checks=checks)
    except FailureGroup as group:
        return "; ".join(
            f"{failure.title}: {failure.message}"[:300] for failure in group.exceptions
        )
    except Failure as failure:
        return f"{failure.title}: {failure.message}"[:300]
    return None


def problem_with(response: Response) -> str | None:
    """What is wrong with an answer, or None: see the module's docstring."""
    if response.status_code >= 500:
        return "server error"
    if not 400 <= response.status_code < 500:
        return None
    content_type = ",".join(response.headers.get("content-type", []))
    if "json" not in content_type:
        return None
    try:
        document: Any = json.loads(response.content)
        code = document["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return "a 4xx JSON answer without error.code"
    return None if isinstance(code, str) and code else "an empty error.code"


def fuzz(run: Fuzzing, who: str, ops: Iterable[APIOperation], auth: AuthBase | None) -> None:
    """Send `run.max_examples` generated requests to each of `ops` as `who`; record findings."""
    with requests.Session() as session:
        for operation in ops:
            _fuzz_operation(run, who, operation, auth, session)


def _fuzz_operation(
    run: Fuzzing,
    who: str,
    operation: APIOperation,
    auth: AuthBase | None,
    session: requests.Session,
) -> None:
    strategies = [
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    ]
    names = _PATH_PARAMETER.findall(operation.path)
    known = {name: run.known[name] for name in names if name in run.known}
    if known:
        strategies.append(operation.as_strategy(path_parameters=known))
    strategy = st.one_of(strategies)

    @settings(
        max_examples=run.max_examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
    )
    @given(case=strategy)
    def send(case: Any) -> None:
        response: Response = case.call(
            base_url=run.base_url, session=session, auth=auth, timeout=30
        )
        run.requests[who] += 1
        run.statuses[who, response.status_code] += 1
        run.samples.setdefault(
            (who, response.status_code),
            f"{operation.method.upper()} {operation.path}: {response.content[:200]!r}",
        )
        problem = problem_with(response) or nonconformance(case, response)
        if problem is not None:
            request = response.request
            body = request.body if isinstance(request.body, bytes | str | None) else "<stream>"
            run.findings.append(
                Finding(
                    who=who,
                    operation=f"{operation.method.upper()} {operation.path}",
                    status=response.status_code,
                    problem=problem,
                    request=f"{request.method} {request.path_url} {body!r:.300}",
                    answer=f"{response.content[:300]!r}",
                )
            )

    send()
