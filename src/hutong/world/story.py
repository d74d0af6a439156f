"""What the demo's steps share: the running world and the checks they make."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

from hutong.client import Client
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
