"""Event delivery helpers shared by the delivery tests: a registered participant, notes enqueued."""

from __future__ import annotations

from typing import Any

from hutong.client import Client
from hutong.events.outbox import enqueue
from hutong.net.delivery import DeliveryWorker
from hutong.runtime.services import Services
from hutong.world.reference import ReferenceWorld
from tests.harness.switch import Switch

#: The reference world and its base URL.
World = tuple[ReferenceWorld, str]


async def join(switch: Switch, world: World, subscriber_id: str) -> Client:
    """Register `subscriber_id` with its callback URL in the reference world."""
    _, base_url = world
    return await switch.register(subscriber_id, ["platform"], f"{base_url}/cb/{subscriber_id}")


async def enqueue_notes(switch: Switch, recipient: str, *notes: str) -> list[str]:
    """Enqueue `on_ping`-like events straight into the outbox, one transaction."""
    services = switch.services
    async with services.db.transaction() as conn:
        return [
            await enqueue(
                conn,
                recipient=recipient,
                action="on_note",
                message={"note": note},
                now=services.clock(),
            )
            for note in notes
        ]


def notes(events: list[dict[str, Any]]) -> list[str]:
    return [event["message"]["note"] for event in events]


async def deliver_due(services: Services) -> None:
    """Send every event that is due now (the switch's background loops are off in tests)."""
    worker = DeliveryWorker(services)
    try:
        await worker.drain()
    finally:
        await worker.close()
