"""The demo story: the seed world joins the switch and exchanges signed messages.

Everything runs for real on loopback: the switch (Litestar on uvicorn, SQLite
by default), the reference participants' endpoints, signed requests, signed
events delivered from the outbox. Each step checks what it claims and raises
`StepFailed` otherwise; the command prints the results and exits non-zero if
any step failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx

from hutong.api.app import create_app
from hutong.client import Client
from hutong.config import Settings
from hutong.protocol.signing import new_key_pair
from hutong.runtime.services import Services
from hutong.store.db import Database
from hutong.store.migrate import upgrade
from hutong.world import (
    demo_audit,
    demo_coupons,
    demo_history,
    demo_ledger,
    demo_links,
    demo_live,
    demo_logistics,
    demo_orders,
    demo_payments,
    demo_settlement,
)
from hutong.world.demo_keys import keep_key
from hutong.world.groups import SEED_GROUPS
from hutong.world.participants import SEED_PARTICIPANTS
from hutong.world.reference import ReferenceWorld, reference_app
from hutong.world.serving import serve_asgi
from hutong.world.story import Stage, Step, StepFailed, StepResult, expect, expect_status


async def publish_switch_key(stage: Stage) -> str:
    response = await stage.operator.get(f"{stage.switch_url}/.well-known/hutong.json")
    expect_status(response, 200)
    key = response.json()
    expect(key["signing_public_key"] == stage.services.switch_public_key, "published key differs")
    return f"switch key {key['key_id']} published at /.well-known/hutong.json"


async def register_world(stage: Stage) -> str:
    for seed in SEED_PARTICIPANTS:
        pair = new_key_pair()
        response = await stage.operator.post(
            f"{stage.switch_url}/operator/participants",
            json={
                "subscriber_id": seed.subscriber_id,
                "name": seed.name,
                "roles": list(seed.roles),
                "callback_url": stage.callback(seed.subscriber_id),
                "key_id": "k1",
                "public_key": pair.public_key,
            },
        )
        expect_status(response, 201)
        stage.clients[seed.subscriber_id] = Client(
            stage.switch_url, seed.subscriber_id, "k1", pair.private_key
        )
        keep_key(stage.services.settings.data_dir, seed.subscriber_id, "k1", pair.private_key)
    return f"{len(SEED_PARTICIPANTS)} participants registered by the operator"


async def declare_groups(stage: Stage) -> str:
    """The operator declares the corporate groups (own, allied, rival) the auditor reads."""
    for group in SEED_GROUPS:
        response = await stage.operator.post(
            f"{stage.switch_url}/operator/groups",
            json={
                "name": group.name,
                "members": list(group.members),
                "allied": list(group.allied),
                "valid_from": group.valid_from,
            },
        )
        expect_status(response, 201)
    names = sorted({g.name for g in SEED_GROUPS})
    return f"{len(names)} groups ({', '.join(names)}); JD and Kuaishou Tencent-aligned"


async def everyone_signs_in(stage: Stage) -> str:
    responses = await asyncio.gather(*(c.get("/v1/self") for c in stage.clients.values()))
    for client, response in zip(stage.clients.values(), responses, strict=True):
        expect_status(response, 200)
        expect(response.json()["subscriber_id"] == client.subscriber_id, "wrong identity")
    return f"{len(responses)} signed GET /v1/self verified"


async def events_reach_everyone(stage: Stage) -> str:
    responses = await asyncio.gather(
        *(c.post("/v1/ping", {"note": "hello from the demo"}) for c in stage.clients.values())
    )
    for response in responses:
        expect_status(response, 200)
    for subscriber_id in stage.clients:
        await stage.world.wait_for(subscriber_id, 1, timeout=15)
    refused = sum(inbox.refused for inbox in stage.world.inboxes.values())
    expect(refused == 0, f"{refused} events failed signature checks")
    return f"{len(responses)} on_ping events delivered, every signature checked by the receiver"


async def lookup_wallets(stage: Stage) -> str:
    response = await stage.operator.post(f"{stage.switch_url}/lookup", json={"type": "wallet"})
    expect_status(response, 200)
    wallets = sorted({record["subscriber_id"] for record in response.json()})
    expect(len(wallets) == 4, f"expected 4 wallets, found {wallets}")
    return "lookup(type=wallet): " + ", ".join(w.removesuffix(".example") for w in wallets)


async def douyin_rotates_its_key(stage: Stage) -> str:
    old = stage.client("douyin.example")
    pair = new_key_pair()
    response = await old.post("/v1/keys", {"key_id": "k2", "public_key": pair.public_key})
    expect_status(response, 200)
    new = Client(stage.switch_url, "douyin.example", "k2", pair.private_key)
    keep_key(stage.services.settings.data_dir, "douyin.example", "k2", pair.private_key)
    stage.clients["douyin.example"] = new
    expect_status(await new.get("/v1/self"), 200)
    expect_status(await old.get("/v1/self"), 200)
    await old.aclose()
    return "key k2 added by a signed request; k1 stays valid until its window ends"


async def retries_never_duplicate(stage: Stage) -> str:
    taobao = stage.client("taobao.example")
    before = len(stage.world.inbox("taobao.example").events)
    message_id = str(uuid.uuid4())
    body = taobao.envelope("/v1/ping", {"note": "retry me"}, message_id)
    first, second = [await taobao.send("POST", "/v1/ping", body) for _ in range(2)]
    expect_status(first, 200)
    expect_status(second, 200)
    expect(first.content == second.content, "a retry got a different answer")
    expect(second.headers.get("x-hutong-replay") == "true", "the retry was not marked as a replay")
    other = taobao.envelope("/v1/ping", {"note": "changed"}, message_id)
    expect_status(await taobao.send("POST", "/v1/ping", other), 409, "message_id_conflict")
    await stage.world.wait_for("taobao.example", before + 1, timeout=15)
    await asyncio.sleep(0.5)
    expect(len(stage.world.inbox("taobao.example").events) == before + 1, "retry sent twice")
    return "same message id answered twice with one effect; changed body refused (409)"


async def forgeries_are_refused(stage: Stage) -> str:
    jd = stage.client("jd.example")
    body = jd.envelope("/v1/ping", {"note": "genuine"})
    headers = jd.sign("POST", "/v1/ping", body)
    tampered = body.replace(b"genuine", b"forged!")
    response = await jd.http.post(f"{stage.switch_url}/v1/ping", content=tampered, headers=headers)
    expect_status(response, 401, "bad_signature")
    expect("signature" in response.headers.get("www-authenticate", "").lower(), "no challenge")
    stale = jd.sign("POST", "/v1/ping", body, created=int(time.time()) - 3600)
    response = await jd.http.post(f"{stage.switch_url}/v1/ping", content=body, headers=stale)
    expect_status(response, 401, "request_expired")
    return "tampered body → 401 bad_signature; hour-old request → 401 request_expired"


async def suspension_takes_effect(stage: Stage) -> str:
    url = f"{stage.switch_url}/operator/participants/kuaishou.example"
    expect_status(await stage.operator.post(f"{url}/suspend", json={"reason": "demo"}), 200)
    kuaishou = stage.client("kuaishou.example")
    expect_status(await kuaishou.get("/v1/self"), 401, "participant_suspended")
    expect_status(await stage.operator.post(f"{url}/reactivate", json={}), 200)
    expect_status(await kuaishou.get("/v1/self"), 200)
    return "suspended kuaishou refused at once (401), accepted again after reactivation"


async def outage_and_recovery(stage: Stage) -> str:
    subscriber = "jtexpress.example"
    inbox = stage.world.inbox(subscriber)
    before = len(inbox.events)
    inbox.mode = "down"
    client = stage.client(subscriber)
    notes = [f"parcel update {n}" for n in range(1, 4)]
    for note in notes:
        expect_status(await client.post("/v1/ping", {"note": note}), 200)
    healthy = stage.client("cainiao.example")
    healthy_before = len(stage.world.inbox("cainiao.example").events)
    expect_status(await healthy.post("/v1/ping", {"note": "not held up"}), 200)
    await stage.world.wait_for("cainiao.example", healthy_before + 1, timeout=10)
    await asyncio.sleep(1.0)
    expect(len(inbox.events) == before, "events reached an endpoint that was down")
    inbox.mode = "ok"
    events = await stage.world.wait_for(subscriber, before + len(notes), timeout=30)
    got = [e["message"]["note"] for e in events[before:]]
    expect(got == notes, f"delivered out of order: {got}")
    return "jtexpress down: cainiao still served; after recovery 3 events arrived in order"


STORY: tuple[Step, ...] = (
    ("Switch publishes its key", "hutong", publish_switch_key),
    ("The seed world registers", "operator", register_world),
    ("Corporate groups", "operator", declare_groups),
    ("Every participant signs a request", "all", everyone_signs_in),
    ("Signed events reach every callback", "all", events_reach_everyone),
    ("Registry lookup by role", "anyone", lookup_wallets),
    ("Key rotation", "douyin", douyin_rotates_its_key),
    ("Retries and replays", "taobao", retries_never_duplicate),
    ("Forged and stale requests", "jd", forgeries_are_refused),
    ("Suspension", "operator, kuaishou", suspension_takes_effect),
    ("An endpoint goes down and recovers", "jtexpress, cainiao", outage_and_recovery),
    ("Money moves exactly", "hutong ledger", demo_ledger.money_moves_exactly),
    ("Offers and link policies", "merchants, platforms", demo_links.catalog_and_policies),
    ("JD Beauty inside Douyin", "jd-beauty, douyin", demo_links.jd_beauty_inside_douyin),
    ("A Taobao link in WeChat", "wechat, tea-house", demo_links.taobao_link_in_wechat),
    ("Kuaishou's live cart", "ks-creator, kuaishou", demo_links.kuaishou_live_cart),
    ("Carriers and pickup points", "carriers, cainiao", demo_logistics.carriers_join),
    (
        "A Tmall merchant ships with JD",
        "tmall-flagship, jd-logistics",
        demo_logistics.tmall_ships_with_jd,
    ),
    (
        "A JD parcel at a Cainiao station",
        "jd-beauty, jd-logistics",
        demo_logistics.jd_parcel_at_cainiao_station,
    ),
    (
        "J&T picks up a Taobao parcel",
        "tea-house, jtexpress",
        demo_logistics.jt_picks_up_taobao_parcel,
    ),
    ("Wallets and acceptance policies", "wallets, platforms", demo_payments.wallets_join),
    (
        "A Taobao order paid with WeChat Pay",
        "taobao, wechatpay",
        demo_payments.taobao_order_with_wechat_pay,
    ),
    ("A JD order paid with Alipay", "jd, alipay", demo_payments.jd_order_with_alipay),
    (
        "A WeChat friend pays a Douyin order",
        "douyin, wechat, wechatpay",
        demo_payments.friend_pays_from_wechat,
    ),
    (
        "Alipay's WeChat friend transfer, 2022",
        "alipay, wechatpay",
        demo_history.alipay_qr_to_a_wechat_friend,
    ),
    (
        "Alipay to a WeChat Pay balance",
        "alipay, wechatpay",
        demo_payments.alipay_user_pays_wechat_pay_user,
    ),
    (
        "Tencent Video denies 88VIP, 2022",
        "88vip, tencent-video",
        demo_history.tencent_video_denies_88vip,
    ),
    (
        "88VIP points for Tencent Video",
        "88vip, tencent-video",
        demo_payments.vip_points_for_tencent_video,
    ),
    (
        "Commission schedules and stock desks",
        "douyin, kuaishou, jd, taobao",
        demo_orders.schedules_and_stock_desks,
    ),
    (
        "A Douyin buyer buys from JD Beauty",
        "douyin, jd-beauty, alipay, jd-logistics",
        demo_orders.douyin_buyer_buys_jd_beauty,
    ),
    (
        "A Kuaishou creator sells Taobao tea",
        "ks-creator, kuaishou, tea-house, jtexpress",
        demo_orders.kuaishou_creator_sells_taobao_tea,
    ),
    ("A crushed box is refunded", "kuaishou, tea-house", demo_orders.crushed_box_refunded),
    (
        "JD Services' coupons on Tmall",
        "jd-services, tmall, jd, alipay",
        demo_coupons.jd_services_coupons_on_tmall,
    ),
    ("A settlement window closes", "operator", demo_settlement.window_closes),
    ("Who received what", "everyone paid", demo_settlement.money_received),
    ("Tmall live in Douyin", "tmall, douyin, tmall-flagship", demo_live.tmall_live_on_douyin),
    ('Searching "JD" inside Taobao', "taobao", demo_live.searching_jd_inside_taobao),
    ("The auditor's findings", "regulator", demo_audit.regulator_reads_the_findings),
)


@contextlib.asynccontextmanager
async def running_world(settings: Settings) -> AsyncIterator[Stage]:
    """Start the switch and the reference participants on loopback."""
    upgrade(settings.database_url)
    services = Services(settings=settings, db=Database.of(settings))
    async with serve_asgi(create_app(services, run_background=True)) as switch_url:
        world = ReferenceWorld(switch_public_key=services.switch_public_key)
        async with serve_asgi(reference_app(world)) as world_url:
            operator = httpx.AsyncClient(
                headers={"authorization": f"Bearer {settings.operator_token}"}, timeout=10
            )
            stage = Stage(switch_url, services, world, world_url, operator)
            try:
                yield stage
            finally:
                for client in stage.clients.values():
                    await client.aclose()
                await operator.aclose()


def demo_settings(database_url: str, data_dir: Any) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=data_dir,
        operator_token=secrets.token_urlsafe(24),
        delivery_base_delay=0.2,
        delivery_max_delay=1.0,
        delivery_poll_interval=0.05,
        # The settlement window closes at most this long ago; the demo waits it out.
        settlement_grace=1,
    )


async def run_story(
    settings: Settings, on_step: Callable[[StepResult], None] | None = None
) -> list[StepResult]:
    results: list[StepResult] = []
    async with running_world(settings) as stage:
        for title, actor, step in STORY:
            started = time.perf_counter()
            try:
                outcome, ok = await asyncio.wait_for(step(stage), timeout=60), True
            except (StepFailed, TimeoutError, httpx.HTTPError) as exc:
                outcome, ok = f"{type(exc).__name__}: {exc}", False
            result = StepResult(title, actor, outcome, ok, time.perf_counter() - started)
            results.append(result)
            if on_step is not None:
                on_step(result)
            if not ok and title in ("The seed world registers", "Switch publishes its key"):
                break
    return results
