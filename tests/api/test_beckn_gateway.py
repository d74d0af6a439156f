"""A Beckn buyer app (BAP) buys through the switch's transaction gateway, with nothing of Hutong.

The BAP is plain `httpx`, `cryptography` and a small ASGI receiver served by
uvicorn on loopback: it signs as ONDC's utilities do (Beckn's three-line
string, one hour of lifetime, the header in quotes), posts `search → select →
init → confirm → status` to `/beckn/<action>`, is answered ACK at once, and
receives each result as `on_<action>` at its own `/on_<action>`, signed by the
switch, whose key it finds through the switch's `/v2.0/lookup` entry. The
order is a Hutong order: paid through the wallet, shipped by its merchant,
and the ledger balances (the `shop` fixture checks it after the test).
Every ACK, NACK and answer context passes Beckn's own schemas.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import insert, select

from hutong.beckn import jobs as beckn_jobs_module
from hutong.beckn import run_due
from hutong.beckn.queue import JOB_ATTEMPTS, claim, lease_seconds
from hutong.runtime import message_records
from hutong.store.tables import beckn_jobs, outbox
from hutong.workers.deadlines import sweep_once
from tests.harness.beckn_schemas import (
    ack_errors,
    context_errors,
    error_errors,
    nack_errors,
    transaction_errors,
)
from tests.harness.cast import ALIPAY, JD, JD_BEAUTY, JDL, ok
from tests.harness.ondc import OndcKey, authorisation_header, verify_header
from tests.harness.shop import CREAM, HANGZHOU, PRICES, SERUM, Shop
from tests.harness.signed import now_unix
from tests.harness.switch import row_counts

BAP = "bap.example"
RETAIL = "ONDC:RET10"
#: The pickup station of the shop's carrier (`hutong.world.demo_logistics.STATION`).
STATION_ID = "cainiao-xixi-01"


class Receiver:
    """The BAP's callback server: every POST kept with its headers, answered ACK."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, str], bytes]] = []
        self.arrived = asyncio.Event()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            event = await receive()
            body += event.get("body", b"")
            if not event.get("more_body"):
                break
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        self.received.append((scope["path"], headers, body))
        self.arrived.set()
        answer = json.dumps({"message": {"ack": {"status": "ACK"}}}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": answer})


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    app = Receiver()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield app, f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


class Bap:
    """The buyer app: its key, its context, its requests."""

    def __init__(self, shop: Shop, key: OndcKey, uri: str) -> None:
        self.shop, self.key, self.uri = shop, key, uri
        self.transaction_id = str(uuid.uuid4())

    def context(self, action: str, **changes: Any) -> dict[str, Any]:
        now = self.shop.switch.services.clock().astimezone(UTC)
        stamp = now.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return {
            "domain": RETAIL,
            "location": {"country": {"code": "CHN"}},
            "action": action,
            "version": "1.1.0",
            "bap_id": BAP,
            "bap_uri": self.uri,
            "transaction_id": self.transaction_id,
            "message_id": str(uuid.uuid4()),
            "timestamp": stamp,
            "ttl": "PT30S",
        } | changes

    async def send(self, action: str, message: dict[str, Any], **context: Any) -> httpx.Response:
        document = {"context": self.context(action, **context), "message": message}
        if not context and message:
            # What the BAP sends is Beckn's own request body.
            assert transaction_errors(action, document) == []
        return await self.post(f"/beckn/{action}", json.dumps(document).encode())

    async def post(self, path: str, body: bytes) -> httpx.Response:
        header = authorisation_header(
            self.key, body, now_unix(self.shop.switch), key_id=f"{BAP}|uk-1|ed25519"
        )
        async with httpx.AsyncClient(base_url=self.shop.switch.url, timeout=30) as http:
            return await http.post(
                path,
                content=body,
                headers={"content-type": "application/json", "authorization": header},
            )


async def enrol(shop: Shop, callback: str) -> OndcKey:
    key = OndcKey()
    response = await shop.switch.operator.post(
        "/operator/participants",
        json={
            "subscriber_id": BAP,
            "roles": ["platform"],
            "callback_url": callback,
            "key_id": "uk-1",
            "public_key": key.public_key,
        },
    )
    assert response.status_code == 201, response.text
    return key


async def open_storefront_in(shop: Shop, bap: Bap) -> None:
    """JD Beauty opens a storefront in the BAP, which approves it (a /v1 call, signed with
    its request line as the switch asks of every non-Beckn route)."""
    storefront = await ok(
        await shop[JD_BEAUTY].post(
            "/v1/storefronts",
            {
                "host": BAP,
                "catalog": [{"sku_id": s, "price": PRICES[s]} for s in (SERUM, CREAM)],
                "commission_bps": 500,
            },
        ),
        201,
    )
    path = f"/v1/storefronts/{storefront['id']}/approve"
    body = json.dumps({"context": {"message_id": str(uuid.uuid4())}, "message": {}}).encode()
    created = now_unix(shop.switch)
    expires = created + 3600
    digest = base64.b64encode(hashlib.blake2b(body, digest_size=64).digest()).decode()
    text = (
        f"(created): {created}\n(expires): {expires}\n"
        f"(request-target): post {path}\ndigest: BLAKE-512={digest}"
    ).encode()
    header = (
        f'Signature keyId="{BAP}|uk-1|ed25519",algorithm="ed25519",created="{created}",'
        f'expires="{expires}",headers="(created) (expires) (request-target) digest",'
        f'signature="{bap.key.sign(text)}"'
    )
    async with httpx.AsyncClient(base_url=shop.switch.url, timeout=30) as http:
        response = await http.post(
            path,
            content=body,
            headers={"content-type": "application/json", "authorization": header},
        )
    assert response.status_code == 200, response.text


async def answer(shop: Shop, receiver: Receiver, action: str) -> dict[str, Any]:
    """The switch runs its due jobs and delivers its outbox; the one `on_<action>` the BAP
    received, verified."""
    await run_due(shop.switch.services)
    await shop.deliver_events()
    found = [r for r in receiver.received if r[0] == f"/beckn/on_{action}"]
    assert len(found) == 1, [r[0] for r in receiver.received]
    receiver.received.remove(found[0])
    _, headers, body = found[0]
    # As ONDC's utilities do: the signer's key is looked up by the keyId's parts.
    signer, key_id, _ = key_id_of(headers["authorization"]).split("|")
    async with httpx.AsyncClient(base_url=shop.switch.url) as http:
        found = await http.post(
            "/v2.0/lookup", json={"subscriber_id": signer, "ukId": key_id, "domain": RETAIL}
        )
    [entry] = found.json()
    assert entry["type"] == "BG"
    verify_header(
        headers["authorization"], body, entry["signing_public_key"], now_unix(shop.switch)
    )
    document: dict[str, Any] = json.loads(body)
    assert context_errors(document["context"]) == []
    assert transaction_errors(f"on_{action}", document) == []
    assert document["context"]["action"] == f"on_{action}"
    assert document["context"]["bpp_id"] == entry["subscriber_id"]
    return document


def key_id_of(header: str) -> str:
    return header.split('keyId="', 1)[1].split('"', 1)[0]


def acked(response: httpx.Response) -> None:
    assert response.status_code == 200, response.text
    assert ack_errors(response.json()) == []


async def test_a_beckn_buyer_app_searches_selects_inits_confirms_and_tracks_an_order(
    shop: Shop, receiver: tuple[Receiver, str]
) -> None:
    inbox, url = receiver
    bap = Bap(shop, await enrol(shop, f"{url}/beckn"), f"{url}/beckn")
    await open_storefront_in(shop, bap)

    search = await bap.send("search", {"intent": {"item": {"descriptor": {"name": "serum"}}}})
    acked(search)
    on_search = await answer(shop, inbox, "search")
    sent = json.loads(search.request.content)["context"]
    # Beckn pairs the answer with its request by message id, the transaction by its id.
    assert on_search["context"]["message_id"] == sent["message_id"]
    assert on_search["context"]["transaction_id"] == bap.transaction_id
    [provider] = on_search["message"]["catalog"]["providers"]
    assert provider["id"] == JD_BEAUTY
    assert [(i["id"], i["price"]) for i in provider["items"]] == [
        (SERUM, {"currency": "CNY", "value": "199.00"})
    ]

    order = {
        "provider": {"id": JD_BEAUTY},
        "items": [
            {"id": SERUM, "quantity": {"selected": {"count": 1}}},
            {"id": CREAM, "quantity": {"selected": {"count": 2}}},
        ],
    }
    acked(await bap.send("select", {"order": order}))
    quote = (await answer(shop, inbox, "select"))["message"]["order"]["quote"]
    assert quote["price"] == {"currency": "CNY", "value": "397.00"}

    order |= {
        "fulfillments": [{"id": JDL, "stops": [{"type": "end", "location": {"id": STATION_ID}}]}],
        "payments": [{"type": "PRE-ORDER", "tags": [wallet_tags()]}],
    }
    acked(await bap.send("init", {"order": order}))
    initialized = (await answer(shop, inbox, "init"))["message"]["order"]
    assert initialized["state"] == "Created"
    assert initialized["payments"][0]["status"] == "NOT-PAID"
    order_id = initialized["id"]

    acked(await bap.send("confirm", {"order": {"id": order_id}}))
    confirmed = (await answer(shop, inbox, "confirm"))["message"]["order"]
    assert (confirmed["state"], confirmed["payments"][0]["status"]) == ("Accepted", "PAID")
    assert (await shop.show(order_id, JD_BEAUTY))["paid"] == 39_700

    # The merchant ships; the carrier reports the parcel picked up.
    await shop.act(JD_BEAUTY, order_id, "ship", origin=HANGZHOU, weight_g=500)
    shipped = await shop.show(order_id, JD_BEAUTY)
    await shop.track(shipped, "20", "", shop.switch.services.clock())
    acked(await bap.send("status", {"order_id": order_id}))
    status = (await answer(shop, inbox, "status"))["message"]["order"]
    assert status["state"] == "In-progress"

    # Tracking is the shipment's: its number, active until the parcel arrives.
    acked(await bap.send("track", {"order_id": order_id}))
    tracking = (await answer(shop, inbox, "track"))["message"]["tracking"]
    assert tracking["id"] == await shop.tracking_number(shipped)
    assert (tracking["status"], tracking["hutong_status"]) == ("active", "picked_up")

    # An update of items is a return: Hutong's refund request, the merchant decides.
    returned = {"id": order_id, "items": [{"id": CREAM, "quantity": {"selected": {"count": 1}}}]}
    acked(await bap.send("update", {"update_target": "item", "order": returned}))
    updated = (await answer(shop, inbox, "update"))["message"]["order"]
    assert updated["state"] == "In-progress"
    assert (await shop.show(order_id, JD_BEAUTY))["state"] == "refund_requested"


async def test_a_repeated_request_is_acked_again_and_answered_once(
    shop: Shop, receiver: tuple[Receiver, str]
) -> None:
    inbox, url = receiver
    bap = Bap(shop, await enrol(shop, f"{url}/beckn"), f"{url}/beckn")
    body = json.dumps({"context": bap.context("search"), "message": {"intent": {}}}).encode()
    acked(await bap.post("/beckn/search", body))
    again = await bap.post("/beckn/search", body)
    acked(again)
    assert again.headers["x-hutong-replay"] == "true"
    await answer(shop, inbox, "search")  # exactly one on_search


async def test_a_retry_after_its_message_id_is_forgotten_is_refused_as_too_old_not_run(
    shop: Shop, receiver: tuple[Receiver, str]
) -> None:
    inbox, url = receiver
    bap = Bap(shop, await enrol(shop, f"{url}/beckn"), f"{url}/beckn")
    services = shop.switch.services
    body = json.dumps({"context": bap.context("search"), "message": {"intent": {}}}).encode()
    header = authorisation_header(
        bap.key, body, now_unix(shop.switch), key_id=f"{BAP}|uk-1|ed25519"
    )
    headers = {"content-type": "application/json", "authorization": header}
    async with httpx.AsyncClient(base_url=shop.switch.url, timeout=30) as http:
        acked(await http.post("/beckn/search", content=body, headers=headers))
        await answer(shop, inbox, "search")

        # The message id and its job are kept as long as a retry can be valid, then pruned.
        shop.clock.advance(services.settings.message_retention + 1)
        assert await message_records.prune(services) >= 1
        assert (await sweep_once(services))["answered beckn jobs past the message retention"] == 1
        assert await job_rows(shop) == []

        # Records outlive every request: the very request sent again is too old to be
        # believed, and one signed anew carries a context long expired. Nothing runs.
        again = await http.post("/beckn/search", content=body, headers=headers)
    nacked(again, 401, "request_expired")
    nacked(await bap.post("/beckn/search", body), 422, "context_expired")
    assert await job_rows(shop) == []
    assert await run_due(services) == 0


async def test_a_refusal_found_while_working_is_an_on_action_with_beckns_error(
    shop: Shop, receiver: tuple[Receiver, str]
) -> None:
    inbox, url = receiver
    bap = Bap(shop, await enrol(shop, f"{url}/beckn"), f"{url}/beckn")
    order = {"provider": {"id": JD_BEAUTY}, "items": [{"id": "nothing-1"}]}
    acked(await bap.send("select", {"order": order}))
    error = (await answer(shop, inbox, "select"))["error"]
    assert error_errors(error) == []
    assert error["hutong_code"] == "unknown_item"


async def queued_answers(shop: Shop) -> list[str]:
    """The `on_<action>`s in the switch's outbox (Beckn answers: they have a reply URL)."""
    async with shop.switch.services.db.read() as conn:
        found = await conn.execute(select(outbox.c.action).where(outbox.c.reply_url.is_not(None)))
    return [row.action for row in found]


async def job_rows(shop: Shop) -> list[tuple[str, str, int]]:
    """(action, status, attempts) of every gateway job."""
    async with shop.switch.services.db.read() as conn:
        found = await conn.execute(
            select(beckn_jobs.c.action, beckn_jobs.c.status, beckn_jobs.c.attempts)
        )
    return [(row.action, row.status, row.attempts) for row in found]


async def test_the_ack_comes_before_the_work_which_a_crashed_worker_does_not_lose(
    shop: Shop, receiver: tuple[Receiver, str]
) -> None:
    inbox, url = receiver
    bap = Bap(shop, await enrol(shop, f"{url}/beckn"), f"{url}/beckn")
    await open_storefront_in(shop, bap)
    acked(await bap.send("search", {"intent": {"item": {"descriptor": {"name": "serum"}}}}))
    # ACKed: the request is a job in the database, and no result exists yet.
    assert await queued_answers(shop) == []
    assert await job_rows(shop) == [("search", "pending", 0)]

    # A worker takes the job and dies before answering: nobody else runs it while its
    # lease lasts, and once the lease runs out another worker does, exactly once.
    services = shop.switch.services
    assert len(await claim(services, "bw_crashed")) == 1
    assert await run_due(services) == 0
    shop.clock.advance(lease_seconds(services) + 1)
    assert await run_due(services) == 1
    assert await run_due(services) == 0
    assert await job_rows(shop) == [("search", "answered", 1)]
    [provider] = (await answer(shop, inbox, "search"))["message"]["catalog"]["providers"]
    assert provider["id"] == JD_BEAUTY


async def test_a_job_whose_participant_does_not_answer_is_tried_again_then_answered_an_error(
    shop: Shop, receiver: tuple[Receiver, str]
) -> None:
    inbox, url = receiver
    bap = Bap(shop, await enrol(shop, f"{url}/beckn"), f"{url}/beckn")
    await open_storefront_in(shop, bap)
    services = shop.switch.services
    shop.world.stores[JD].fail["reserve_stock"] = "down"

    # JD's stock desk is down once: the job is tried again later, and then succeeds.
    acked(await bap.send("init", {"order": init_order()}))
    assert await run_due(services) == 1
    assert await job_rows(shop) == [("init", "pending", 1)]
    assert await queued_answers(shop) == []
    shop.world.stores[JD].fail.clear()
    shop.clock.advance(services.settings.delivery_max_delay + 1)
    assert (await answer(shop, inbox, "init"))["message"]["order"]["state"] == "Created"

    # Down for good: after JOB_ATTEMPTS runs the BAP is told, as on_init with Beckn's Error.
    shop.world.stores[JD].fail["reserve_stock"] = "down"
    acked(await bap.send("init", {"order": init_order()}))
    for _ in range(JOB_ATTEMPTS - 1):
        assert await run_due(services) == 1
        assert await queued_answers(shop) == ["on_init"]  # only the first order's
        shop.clock.advance(services.settings.delivery_max_delay + 1)
    error = (await answer(shop, inbox, "init"))["error"]
    assert error_errors(error) == []
    assert error["hutong_code"] == "merchant_platform_unavailable", error
    assert (await job_rows(shop))[-1] == ("init", "answered", JOB_ATTEMPTS)
    shop.world.stores[JD].fail.clear()


async def test_a_job_the_switch_fails_to_run_is_answered_internal_error_not_silence(
    shop: Shop, receiver: tuple[Receiver, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox, url = receiver
    bap = Bap(shop, await enrol(shop, f"{url}/beckn"), f"{url}/beckn")

    async def broken_discovery(*_: Any, **__: Any) -> Any:
        raise RuntimeError("discovery failed (a bug of the switch's)")

    # Discovery fails after the ACK (a bug of the switch's, logged): the BAP is told so,
    # as on_search with Beckn's Error.
    monkeypatch.setattr(beckn_jobs_module, "search", broken_discovery)
    acked(await bap.send("search", {"intent": {"item": {"descriptor": {"name": "serum"}}}}))
    error = (await answer(shop, inbox, "search"))["error"]
    assert error_errors(error) == []
    assert (error["hutong_code"], error["code"]) == ("internal_error", "31001")
    assert await job_rows(shop) == [("search", "answered", 1)]


async def test_a_job_that_cannot_even_be_answered_is_abandoned_and_blocks_no_other(
    shop: Shop, receiver: tuple[Receiver, str]
) -> None:
    inbox, url = receiver
    bap = Bap(shop, await enrol(shop, f"{url}/beckn"), f"{url}/beckn")
    services = shop.switch.services
    # A job whose stored request has lost its transaction id (no answer can be addressed).
    broken = {"context": bap.context("search"), "message": {"intent": {}}}
    del broken["context"]["transaction_id"]
    async with services.db.transaction() as conn:
        await conn.execute(
            insert(beckn_jobs).values(
                bap=BAP,
                message_id=broken["context"]["message_id"],
                action="search",
                request=json.dumps(broken),
                status="pending",
                attempts=0,
                next_attempt_at=services.clock(),
                created_at=services.clock(),
            )
        )
    acked(await bap.send("search", {"intent": {}}))
    assert await run_due(services) == 2
    assert sorted(await job_rows(shop)) == [("search", "answered", 1)] * 2
    await answer(shop, inbox, "search")  # the good one is answered, once


def nacked(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    document: dict[str, Any] = response.json()
    assert nack_errors(document) == []
    assert document["error"]["hutong_code"] == code
    return document


@pytest.mark.parametrize(
    ("changes", "status", "code"),
    [
        ({"bap_uri": "http://169.254.169.254/latest"}, 403, "bap_uri_not_registered"),
        ({"bap_id": "someone.example"}, 403, "bap_id_mismatch"),
        ({"transaction_id": "txn-1"}, 422, "invalid_context"),
        ({"domain": ""}, 422, "invalid_context"),
    ],
    ids=["bap_uri elsewhere (no SSRF)", "bap_id not the signer", "ids not UUIDs", "no domain"],
)
async def test_a_request_whose_context_cannot_be_answered_is_nacked_and_nothing_written(
    shop: Shop, receiver: tuple[Receiver, str], changes: dict[str, Any], status: int, code: str
) -> None:
    _, url = receiver
    bap = Bap(shop, await enrol(shop, f"{url}/beckn"), f"{url}/beckn")
    before = await row_counts(shop.switch.services)
    nacked(await bap.send("search", {"intent": {}}, **changes), status, code)
    assert await row_counts(shop.switch.services) == before


@pytest.mark.parametrize(
    ("action", "message", "code"),
    [
        ("rating", {"ratings": [{"rating_category": "Order", "id": "o", "value": "5"}]}, None),
        ("status", {}, "invalid_order"),
        ("track", {}, "invalid_order"),
        ("cancel", {"order_id": 7}, "invalid_order"),
        ("update", {"update_target": "billing", "order": {"id": "o-1"}}, None),
        ("update", {"update_target": "item", "order": {"id": "o-1", "items": []}}, None),
        ("update", {"update_target": "item", "order": {"id": "o-1", "items": [{"id": "x"}]}}, None),
        ("search", {"intent": {"item": {"descriptor": {"name": 5}}}}, "invalid_intent"),
        ("search", {"intent": {"category": {"id": ["shoes"]}}}, "invalid_intent"),
        ("search", {"intent": {"provider": {"id": 7}}}, "invalid_intent"),
        ("search", {"intent": "serum"}, "invalid_intent"),
    ],
    ids=[
        "rating (no ratings kept)",
        "status without order_id",
        "track without order_id",
        "cancel with an order_id not a string",
        "update of billing",
        "update without items",
        "update of an item without a count",
        "search for an item name that is a number",
        "search in a category id that is a list",
        "search of a provider id that is a number",
        "search with an intent that is not an object",
    ],
)
async def test_a_request_no_work_could_answer_is_nacked_at_once_and_nothing_written(
    shop: Shop,
    receiver: tuple[Receiver, str],
    action: str,
    message: dict[str, Any],
    code: str | None,
) -> None:
    _, url = receiver
    bap = Bap(shop, await enrol(shop, f"{url}/beckn"), f"{url}/beckn")
    before = await row_counts(shop.switch.services)
    expected = (
        code
        or {
            "rating": "action_not_supported",
            "update": "update_target_not_supported"
            if message.get("update_target") != "item"
            else "invalid_order",
        }[action]
    )
    body = json.dumps({"context": bap.context(action), "message": message}).encode()
    document = nacked(await bap.post(f"/beckn/{action}", body), 422, expected)
    if expected == "action_not_supported":
        assert document["error"]["code"] == "40000"
    if expected == "invalid_intent":  # the BAP's request does not fit Beckn's Intent schema
        assert (document["error"]["code"], document["error"]["type"]) == (
            "30000",
            "JSON-SCHEMA-ERROR",
        )
    assert await row_counts(shop.switch.services) == before


async def test_an_order_its_merchant_refuses_is_answered_on_init_with_the_refusal(
    shop: Shop, receiver: tuple[Receiver, str]
) -> None:
    inbox, url = receiver
    bap = Bap(shop, await enrol(shop, f"{url}/beckn"), f"{url}/beckn")
    await open_storefront_in(shop, bap)
    order = {
        "provider": {"id": JD_BEAUTY},
        # JD Beauty has 10 serums: JD's stock desk refuses 11.
        "items": [{"id": SERUM, "quantity": {"selected": {"count": 11}}}],
        "fulfillments": [{"id": JDL, "stops": [{"type": "end", "location": {"id": STATION_ID}}]}],
        "payments": [{"type": "PRE-ORDER", "tags": [wallet_tags()]}],
    }
    acked(await bap.send("init", {"order": order}))
    error = (await answer(shop, inbox, "init"))["error"]
    assert error_errors(error) == []
    assert error["hutong_code"] == "out_of_stock", error


def init_order(count: int = 1) -> dict[str, Any]:
    """Serums from JD Beauty, to JD Logistics' pickup station, paid by Alice's Alipay."""
    return {
        "provider": {"id": JD_BEAUTY},
        "items": [{"id": SERUM, "quantity": {"selected": {"count": count}}}],
        "fulfillments": [{"id": JDL, "stops": [{"type": "end", "location": {"id": STATION_ID}}]}],
        "payments": [{"type": "PRE-ORDER", "tags": [wallet_tags()]}],
    }


async def paid_order(shop: Shop, bap: Bap, inbox: Receiver) -> str:
    """A serum ordered (init) and paid (confirm) through the gateway; its Hutong order id."""
    acked(await bap.send("init", {"order": init_order()}))
    order_id: str = (await answer(shop, inbox, "init"))["message"]["order"]["id"]
    acked(await bap.send("confirm", {"order": {"id": order_id}}))
    assert (await answer(shop, inbox, "confirm"))["message"]["order"]["state"] == "Accepted"
    return order_id


async def test_a_paid_order_not_shipped_is_tracked_inactive_and_cancelled_with_its_refund(
    shop: Shop, receiver: tuple[Receiver, str]
) -> None:
    inbox, url = receiver
    bap = Bap(shop, await enrol(shop, f"{url}/beckn"), f"{url}/beckn")
    await open_storefront_in(shop, bap)
    stock = shop.stock(JD, JD_BEAUTY, SERUM)
    order_id = await paid_order(shop, bap, inbox)
    assert shop.stock(JD, JD_BEAUTY, SERUM) == stock - 1

    acked(await bap.send("track", {"order_id": order_id}))
    tracking = (await answer(shop, inbox, "track"))["message"]["tracking"]
    assert tracking == {"status": "inactive", "hutong_status": "not_shipped"}

    acked(await bap.send("cancel", {"order_id": order_id, "cancellation_reason_id": "001"}))
    cancelled = (await answer(shop, inbox, "cancel"))["message"]["order"]
    assert cancelled["state"] == "Cancelled"
    order = await shop.show(order_id, JD_BEAUTY)
    assert (order["state"], order["reason"]) == ("cancelled", "beckn:001")
    assert order["refunded"] == order["paid"] == 19_900  # the wallet gave it all back
    assert shop.stock(JD, JD_BEAUTY, SERUM) == stock  # and the stock is back

    # Cancelling again is answered with the order's refusal, as on_cancel.
    acked(await bap.send("cancel", {"order_id": order_id}))
    error = (await answer(shop, inbox, "cancel"))["error"]
    assert error_errors(error) == []
    assert error["hutong_code"] == "order_cancelled"


async def test_support_names_the_switchs_contact_and_only_for_the_baps_own_orders(
    shop: Shop, receiver: tuple[Receiver, str]
) -> None:
    inbox, url = receiver
    bap = Bap(shop, await enrol(shop, f"{url}/beckn"), f"{url}/beckn")
    await open_storefront_in(shop, bap)
    order_id = await paid_order(shop, bap, inbox)

    acked(await bap.send("support", {"support": {"ref_id": order_id}}))
    support = (await answer(shop, inbox, "support"))["message"]["support"]
    assert support["ref_id"] == order_id
    assert support["url"]  # the switch's (no merchant phone or email is kept)

    # An order of somebody else's (Douyin's) is not the BAP's to ask about, nor to track.
    theirs = await shop.placed()
    for action, message in (
        ("support", {"support": {"ref_id": theirs["id"]}}),
        ("track", {"order_id": theirs["id"]}),
        ("cancel", {"order_id": theirs["id"]}),
    ):
        acked(await bap.send(action, message))
        error = (await answer(shop, inbox, action))["error"]
        assert (error_errors(error), error["hutong_code"]) == ([], "not_a_party"), action
    assert (await shop.show(theirs["id"]))["state"] != "cancelled"


def wallet_tags() -> dict[str, Any]:
    return {
        "descriptor": {"code": "hutong"},
        "list": [
            {"descriptor": {"code": "wallet"}, "value": ALIPAY},
            {"descriptor": {"code": "payer"}, "value": "u-alice"},
        ],
    }
