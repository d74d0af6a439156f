"""The generator's side of the wire: the operator, each participant's signed client, a tally.

Every request the generator sends goes through `Network.act` or
`Network.operate`, which counts its answer by kind: `ok` (2xx), `refused`
(a 4xx whose code the caller expected: a policy or a desk said no) or
`unexpected` (anything else, kept with its text). A world is sound when
`unexpected` is empty.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from hutong.client import Client


@dataclass(slots=True)
class Tally:
    ok: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)

    def count(self, what: str, response: httpx.Response, expected: frozenset[str]) -> bool:
        """Count `response` to `what`; True when it is a 2xx."""
        if response.is_success:
            self.ok[what] += 1
            return True
        code = ""
        if response.headers.get("content-type", "").startswith("application/json"):
            error = response.json().get("error")
            code = str(error.get("code", "")) if isinstance(error, dict) else ""
        if 400 <= response.status_code < 500 and code in expected:
            self.refused[f"{what}:{code}"] += 1
        else:
            self.unexpected.append(f"{what}: {response.status_code} {response.text[:300]}")
        return False

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": dict(sorted(self.ok.items())),
            "refused": dict(sorted(self.refused.items())),
            "unexpected": len(self.unexpected),
        }


@dataclass(slots=True)
class Network:
    switch_url: str
    operator: httpx.AsyncClient
    clients: dict[str, Client] = field(default_factory=dict)
    tally: Tally = field(default_factory=Tally)

    async def operate(
        self, what: str, method: str, path: str, body: dict[str, Any] | None = None
    ) -> httpx.Response:
        response = await self.operator.request(
            method, f"{self.switch_url}{path}", json=body, follow_redirects=False
        )
        self.tally.count(what, response, frozenset())
        return response

    async def act(
        self,
        who: str,
        what: str,
        path: str,
        message: dict[str, Any],
        *,
        refusals: frozenset[str] = frozenset(),
    ) -> dict[str, Any] | None:
        """POST `message` signed by `who`; its answer, or None when refused."""
        response = await self.clients[who].post(path, message)
        if self.tally.count(what, response, refusals):
            answer: dict[str, Any] = response.json()
            return answer
        return None

    async def visit(self, what: str, path: str, params: dict[str, str]) -> int:
        """A buyer opens a public URL (a link) as a browser does: its status.

        Below 400 is a success; 403 is the page of a link its host blocks (a
        refusal the world's rules make, not a fault).
        """
        response = await self.operator.get(
            f"{self.switch_url}{path}", params=params, follow_redirects=False
        )
        if response.status_code < 400:
            self.tally.ok[what] += 1
        elif response.status_code == 403:
            self.tally.refused[f"{what}:link_blocked"] += 1
        else:
            self.tally.unexpected.append(f"{what}: {response.status_code} {response.text[:200]}")
        return response.status_code

    async def aclose(self) -> None:
        for client in self.clients.values():
            await client.aclose()
