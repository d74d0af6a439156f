"""What the demo's steps share: the running world and the checks they make."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx

from hutong.client import Client
from hutong.protocol.declared_time import Correction
from hutong.runtime.services import Services
from hutong.world.reference import ReferenceWorld


class StepFailed(Exception):
    """A step of the story did not turn out as it says."""


@dataclass(slots=True)
class StepResult:
    title: str
    actor: str
    outcome: str
    ok: bool
    seconds: float


#: Why the seed world's dated history is declared back-dated.
HISTORICAL_RECORD = "historical record: the seed world's timeline (DESIGN.md section 1)"


def history_correction(valid_from: date, today: date) -> Correction | None:
    """The correction a seed version needs when declared on `today` (None: not back-dated)."""
    return Correction(HISTORICAL_RECORD) if valid_from < today else None


@dataclass(slots=True)
class Stage:
    """The running world the steps act on."""

    switch_url: str
    services: Services
    world: ReferenceWorld
    world_url: str
    operator: httpx.AsyncClient
    clients: dict[str, Client] = field(default_factory=dict)

    def client(self, subscriber_id: str) -> Client:
        return self.clients[subscriber_id]

    def callback(self, subscriber_id: str) -> str:
        return f"{self.world_url}/cb/{subscriber_id}"

    def as_history(self, body: dict[str, Any]) -> dict[str, Any]:
        """A policy declaration of the seed world's past, as the switch takes one today.

        A version takes effect from its declaration day on; the 2011-2025
        history is declared today, so each back-dated version is an explicit
        correction with the reason `HISTORICAL_RECORD`, visible in the history.
        """
        today = self.services.clock().date()
        if date.fromisoformat(str(body["valid_from"])) < today:
            return body | {"correction": {"reason": HISTORICAL_RECORD}}
        return body


Step = tuple[str, str, Callable[[Stage], Awaitable[str]]]


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise StepFailed(message)


def expect_status(response: httpx.Response, status: int, code: str | None = None) -> None:
    if response.status_code != status:
        raise StepFailed(
            f"expected HTTP {status}, got {response.status_code}: {response.text[:200]}"
        )
    if code is not None:
        got = response.json().get("error", {}).get("code")
        expect(got == code, f"expected error code {code}, got {got}")
