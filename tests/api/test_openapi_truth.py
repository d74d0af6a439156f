"""The OpenAPI document the switch serves says what it really answers.

- Every refusal is documented as the NACK the switch sends (`Nack`, or Beckn's
  `BecknNack` on the Beckn registry routes, either on `/lookup`), never Litestar's
  `{status_code, detail, extra}`; the components `Ack`, `Nack`, `Error` exist.
- No JSON success is documented as a bare string; a settlement file is
  documented as what it is sent as, CSV text or the `SettlementFileOut` JSON.
- Every operation of the served document (whatever router added it) is called
  with its failure cases: no credentials, a body that is not JSON, a signed
  envelope without a context, the wrong media type, a path naming nothing,
  the operator's token with a body of the wrong shape. Each answer's status is
  documented for that operation and its JSON body validates against the
  documented schema (HTML pages are left to their own tests).
- Wherever a route lists its codes for a status, a refusal with that status
  carries one of them (`tests.harness.openapi.undocumented_code`; the
  envelope's own codes aside), and a code means one status: a reference a
  body names that does not exist is 422, what a path names 404.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from hutong.client import Client
from hutong.world.carriers import tracking_payload
from hutong.world.demo_logistics import STATION
from tests.harness.cast import (
    ALIPAY,
    AUDITOR,
    CAINIAO,
    DOUYIN,
    JD,
    JD_BEAUTY,
    JDL,
    JT,
    KUAISHOU,
    STREAMER,
    TAOBAO,
    TEA_HOUSE,
    TMALL,
    VIDEO,
    VIP,
    WECHAT,
    WECHATPAY,
)
from tests.harness.coupons import campaign_message, claim
from tests.harness.history import AS_HISTORY
from tests.harness.links import TB_TEA, Net, place
from tests.harness.networks import Evidence, Logistics, PayNet
from tests.harness.openapi import (
    assert_documented,
    documented_codes,
    operation_of,
    operations,
    problem,
    served_document,
)
from tests.harness.settlement import a_day_of_trade, close
from tests.harness.shop import CREAM, HANGZHOU, TEA, Shop, tea_order
from tests.harness.switch import OPERATOR_TOKEN, Clock, Switch

#: An Android signing certificate's SHA-256 fingerprint (32 upper-case hex pairs).
PRINT = ":".join(["AB"] * 32)


def concrete(path: str) -> str:
    """`path` with each parameter naming nothing (0 suits a string and an integer alike)."""
    parts = [("0" if part.startswith("{") else part) for part in path.split("/")]
    return "/".join(parts)


def schemes(operation: dict[str, Any]) -> set[str]:
    return {name for requirement in operation.get("security") or [] for name in requirement}


def nack_of(path: str) -> dict[str, Any]:
    """The NACK a refusal of `path` is: Beckn's on its registry and gateway routes.

    Either on `/lookup` (by the request's shape).
    """
    hutong, beckn = ({"$ref": f"#/components/schemas/{name}"} for name in ("Nack", "BecknNack"))
    if path == "/lookup":  # by the request's shape
        return {"anyOf": [hutong, beckn]}
    beckn_route = path in {"/v2.0/lookup", "/subscribe"} or path.startswith("/beckn/")
    return beckn if beckn_route else hutong


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
            if schema != nack_of(path):
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
    ]
    assert strings == []


def _untyped(schema: dict[str, Any]) -> bool:
    """A bare object (no properties, no reference), or an array of them."""
    if schema.get("type") == "array":
        return _untyped(schema.get("items") or {})
    return schema.get("type") == "object" and not schema.get("properties") and "$ref" not in schema


async def test_no_json_success_is_documented_as_a_bare_object(document: dict[str, Any]) -> None:
    """Every success says what it sends (`{}`, anything, is left to `/echo`-like routes)."""
    bare = [
        f"{method} {path} {status}"
        for method, path, operation in operations(document)
        for status, response in operation["responses"].items()
        if status.startswith("2")
        and _untyped((response.get("content") or {}).get("application/json", {}).get("schema", {}))
    ]
    assert bare == []


async def test_a_settlement_file_is_documented_as_csv_or_its_json_shape(
    switch: Switch, clock: Clock, document: dict[str, Any]
) -> None:
    await a_day_of_trade(switch, clock)
    await close(switch)
    url = f"/operator/settlement/windows/window-1/files/{JD}"
    for path in (
        "/operator/settlement/windows/{window_id}/files/{participant}",
        "/v1/settlement/windows/{window_id}/file",
    ):
        content = document["paths"][path]["get"]["responses"]["200"]["content"]
        assert content == {
            "text/csv": {"schema": {"type": "string"}},
            "application/json": {"schema": {"$ref": "#/components/schemas/SettlementFileOut"}},
        }
    as_csv = await switch.operator.get(url)
    assert as_csv.headers["content-type"].startswith("text/csv")
    as_json = await switch.operator.get(url, params={"format": "json"})
    assert as_json.status_code == 200 and as_json.json()["lines"]
    assert_documented(document, as_json)


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


async def test_an_orders_answers_fit_the_shapes_and_codes_documented_for_their_routes(
    shop: Shop, http: httpx.AsyncClient
) -> None:
    document = await served_document(http, shop.switch.url)
    taken = await shop.order()
    assert taken.status_code == 201, taken.text
    order = taken.json()["order"]
    path = f"/v1/orders/{order['id']}"
    answers = [
        taken,
        await shop.post(DOUYIN, f"{path}/pay", {}),
        await shop.get(DOUYIN, path),
        await shop.get(DOUYIN, "/v1/orders"),
        await shop.post(JD_BEAUTY, f"{path}/ship", {"origin": HANGZHOU, "weight_g": 500}),
        await shop.post(DOUYIN, f"{path}/refund-request", {"quantities": {CREAM: 1}}),
        await shop.post(JD_BEAUTY, f"{path}/refunds", {"quantities": {CREAM: 1}}),
    ]
    shipment = (await shop.show(order["id"], JD_BEAUTY))["shipment_id"]
    answers.append(await shop.get(JD_BEAUTY, f"/v1/shipments/{shipment}"))
    for answer in answers:
        assert answer.status_code < 300, answer.text
        assert_documented(document, answer)
    # The success is the documented struct, not any object.
    pay = document["paths"]["/v1/orders/{order_id}/pay"]["post"]["responses"]
    assert pay["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/OrderStepOut"
    }
    # A refusal's status is documented with the codes that route gives.
    again = await shop.post(DOUYIN, f"{path}/pay", {})
    assert again.status_code == 409
    assert_documented(document, again)
    assert again.json()["error"]["code"] in pay["409"]["description"]
    early = await shop.post(DOUYIN, f"{path}/confirm", {})  # not delivered yet
    assert early.status_code == 409
    assert_documented(document, early)
    confirm = document["paths"]["/v1/orders/{order_id}/confirm"]["post"]["responses"]
    assert early.json()["error"]["code"] in confirm["409"]["description"]
    # Booked but not picked up: it may still be cancelled, the payment refunded.
    cancelled = await shop.post(DOUYIN, f"{path}/cancel", {})
    assert cancelled.status_code == 200, cancelled.text
    assert_documented(document, cancelled)
    assert cancelled.json()["order"]["state"] == "cancelled"


async def test_an_unknown_pickup_point_is_documented_as_the_422_it_is_on_every_route(
    shop: Shop, http: httpx.AsyncClient
) -> None:
    """A point named in a body that nobody declared: one code, one status, wherever refused."""
    document = await served_document(http, shop.switch.url)
    parcel = {"origin": HANGZHOU, "pickup_point_id": "nowhere-01", "weight_g": 500}
    booking = parcel | {"carrier": JDL, "service": "standard", "address": {"name": "王女士"}}
    refused = [
        await shop.order(destination={"pickup_point_id": "nowhere-01"}),
        await shop.post(JD_BEAUTY, "/v1/shipments/quote", parcel),
        await shop.post(JD_BEAUTY, "/v1/shipments", booking),
    ]
    for answer in refused:
        assert (answer.status_code, answer.json()["error"]["code"]) == (422, "unknown_pickup_point")
        assert_documented(document, answer)
        operation = operation_of(document, answer.request.method, answer.request.url.path)
        assert "unknown_pickup_point" in operation["responses"]["422"]["description"]
    elsewhere = [
        f"{method} {path} {status}"
        for method, path, operation in operations(document)
        for status, response in operation["responses"].items()
        if status != "422" and "unknown_pickup_point" in response.get("description", "")
    ]
    assert elsewhere == []


async def test_an_orders_refusals_at_intake_are_documented_with_their_status_and_code(
    shop: Shop, http: httpx.AsyncClient
) -> None:
    """Each refusal `POST /v1/orders` gives is documented for its status, with its code
    (`assert_documented` checks the code against the status's list); a reference the body
    names that does not exist is 422, whatever it names."""
    document = await served_document(http, shop.switch.url)
    line = {"sku_id": CREAM, "quantity": 1, "unit_price": 9_900}
    refused = [
        await shop.order(lines=[line | {"unit_price": -5}]),
        await shop.order(wallet="nope.example"),
        await shop.order(wallet=JDL),
        await shop.order(carrier="nobody.example"),
        await shop.order(carrier=ALIPAY),
        await shop.order(merchant="nobody.example"),
        await shop.order(storefront_id="", placement_id="pl_nothing"),
        await shop.order(coupon="cpn_nobody"),
        await shop.order(storefront_id="sf_nothing"),
        await shop.order(host=JD_BEAUTY),
        await shop.order(host=KUAISHOU),
    ]
    stock = shop.world.stores[JD]
    stock.offer(JD_BEAUTY, CREAM, 10_900, 5)
    refused.append(await shop.order())  # price_changed
    stock.offer(JD_BEAUTY, CREAM, 9_900, 5)
    stock.reference_prefix = "R" * 128
    refused.append(await shop.order())  # bad_reservation
    stock.reference_prefix = ""
    stock.fail["reserve_stock"] = "down"
    refused.append(await shop.order())  # merchant_platform_unavailable
    body_codes = set()
    for answer in refused:
        assert answer.status_code >= 400, answer.text
        assert_documented(document, answer)
        if answer.status_code == 422:
            body_codes.add(answer.json()["error"]["code"])
    named_in_body = {
        "unknown_wallet",
        "unknown_carrier",
        "no_such_merchant",
        "no_such_placement",
        "no_such_storefront",
        "no_such_coupon",
    }
    assert named_in_body <= body_codes
    # One code, one status: the body's codes are never documented as anything but 422, and
    # the path's `unknown_*` never as anything but 404.
    statuses: dict[str, set[str]] = {}
    for _, _, operation in operations(document):
        for status, response in operation["responses"].items():
            for code in documented_codes(response.get("description", "")):
                statuses.setdefault(code, set()).add(status)
    for code in sorted(named_in_body):
        assert statuses[code] == {"422"}, code
    for code in ("unknown_placement", "unknown_storefront", "unknown_coupon"):
        assert statuses.get(code, set()) <= {"404"}, code


async def test_a_payments_answers_fit_the_shapes_and_codes_documented_for_their_routes(
    paynet: PayNet, http: httpx.AsyncClient
) -> None:
    document = await served_document(http, paynet.switch.url)
    new = {"merchant": TEA_HOUSE, "amount": 1_000, "wallet": ALIPAY, "payer": "u-alice"}
    created = await paynet.post(TAOBAO, "/v1/payments", new)
    payment = created.json()["payment"]["id"]
    path = f"/v1/payments/{payment}"
    answers = [
        created,
        await paynet.post(TAOBAO, f"{path}/authorize", {}),
        await paynet.get(TAOBAO, path),
        await paynet.post(TAOBAO, f"{path}/capture", {"amount": 1_000}),
        await paynet.post(TAOBAO, f"{path}/refunds", {"amount": 400}),
    ]
    voided = (await paynet.post(TAOBAO, "/v1/payments", new)).json()["payment"]["id"]
    answers.append(await paynet.post(TAOBAO, f"/v1/payments/{voided}/void", {}))
    for answer in answers:
        assert answer.status_code < 300, answer.text
        assert_documented(document, answer)
    # Refusals carry the codes their route documents, read from the payment state machine.
    for step, message in (("capture", {"amount": 1}), ("void", {}), ("authorize", {})):
        refused = await paynet.post(TAOBAO, f"{path}/{step}", message)
        assert refused.status_code == 409, refused.text
        assert_documented(document, refused)
        route = document["paths"][f"/v1/payments/{{payment_id}}/{step}"]["post"]["responses"]
        assert refused.json()["error"]["code"] in route["409"]["description"], step


async def test_a_party_a_payments_body_names_that_does_not_exist_is_documented_as_its_422(
    paynet: PayNet, http: httpx.AsyncClient
) -> None:
    """A merchant, wallet, host or points offer the body of a payment route names that does
    not exist is the body's mistake: 422 with order intake's code, documented for that
    route's 422 (404 is for what the path names, such as the payment itself)."""
    document = await served_document(http, paynet.switch.url)
    new = {"merchant": TEA_HOUSE, "amount": 1_000}
    payment = (await paynet.post(TAOBAO, "/v1/payments", new)).json()["payment"]["id"]
    handed = await paynet.post(
        TAOBAO, f"/v1/payments/{payment}/pay-for-me", {"buyer": "b-1", "expires_in": 3_600}
    )
    code = handed.json()["request"]["url"].rsplit("/p/", 1)[1]
    exchange = {"offer_id": "po_nothing", "member": "m-alice", "beneficiary": "m-alice"}
    nobody = {"wallet": "nobody.example", "payer": "u-alice"}
    refused = [
        (
            await paynet.post(TAOBAO, "/v1/payments", new | {"merchant": "x.example"}),
            "no_such_merchant",
        ),
        (await paynet.post(TAOBAO, "/v1/payments", new | nobody), "unknown_wallet"),
        (await paynet.post(TAOBAO, "/v1/payments", new | {"host": "x.example"}), "invalid_host"),
        (await paynet.post(TAOBAO, f"/v1/payments/{payment}/authorize", nobody), "unknown_wallet"),
        (await paynet.post(WECHAT, f"/v1/pay-for-me/{code}/pay", nobody), "unknown_wallet"),
        (await paynet.post(VIP, "/v1/points/exchanges", exchange), "no_such_offer"),
    ]
    for answer, expected in refused:
        assert (answer.status_code, answer.json()["error"]["code"]) == (422, expected)
        assert_documented(document, answer)
        operation = operation_of(document, answer.request.method, answer.request.url.path)
        assert expected in documented_codes(operation["responses"]["422"]["description"])
    # A wallet other than the one the payment was created with: a conflict with the payment
    # (409), not a malformed body.
    paid_with = new | {"wallet": ALIPAY, "payer": "u-alice"}
    named = (await paynet.post(TAOBAO, "/v1/payments", paid_with)).json()["payment"]["id"]
    other = {"wallet": WECHATPAY, "payer": "u-bob"}
    mismatch = await paynet.post(TAOBAO, f"/v1/payments/{named}/authorize", other)
    assert (mismatch.status_code, mismatch.json()["error"]["code"]) == (409, "wallet_mismatch")
    assert_documented(document, mismatch)
    # One code, one status, on every route: these are never documented but as 422 (the
    # shipment's `unknown_service` is refused in tests/logistics/test_logistics_api.py).
    statuses: dict[str, set[str]] = {}
    for _, _, operation in operations(document):
        for status, response in operation["responses"].items():
            for listed in documented_codes(response.get("description", "")):
                statuses.setdefault(listed, set()).add(status)
    for listed in ("no_such_merchant", "unknown_wallet", "invalid_host", "no_such_offer"):
        assert statuses[listed] == {"422"}, listed
    assert statuses["unknown_service"] == {"422"}  # booking a shipment
    for listed in ("wallet_not_accepted", "wallet_mismatch", "wallet_inactive"):
        assert statuses[listed] == {"409"}, listed  # the wallet exists: a conflict
    # The query's merchant is still the 404 it was: a query names what is asked about.
    asked = await paynet.get(TAOBAO, f"/v1/payments/options?merchant=x.example&host={TAOBAO}")
    assert (asked.status_code, asked.json()["error"]["code"]) == (404, "unknown_merchant")
    assert_documented(document, asked)


async def test_a_transfers_answers_fit_the_shapes_and_codes_documented_for_their_routes(
    paynet: PayNet, http: httpx.AsyncClient
) -> None:
    document = await served_document(http, paynet.switch.url)
    alias = {"kind": "phone", "value": "13800135678"}
    published = await paynet.post(WECHATPAY, "/v1/aliases", alias | {"account": "u-bob"})
    assert published.status_code == 201, published.text
    quoted = await paynet.post(
        ALIPAY, "/v1/transfers/quote", {"payer": "u-alice", "amount": 10_000, "alias": alias}
    )
    path = f"/v1/transfers/{quoted.json()['transfer']['id']}"
    answers = [
        quoted,
        await paynet.post(ALIPAY, f"{path}/execute", {}),
        await paynet.get(ALIPAY, path),
    ]
    for answer in answers:
        assert answer.status_code < 300, answer.text
        assert_documented(document, answer)
    assert answers[1].json()["transfer"]["state"] == "committed"
    again = await paynet.post(ALIPAY, f"{path}/execute", {})  # a new message: refused
    assert again.status_code == 409, again.text
    assert_documented(document, again)
    execute = document["paths"]["/v1/transfers/{transfer_id}/execute"]["post"]["responses"]
    assert again.json()["error"]["code"] in execute["409"]["description"]


async def test_an_aliass_answers_fit_the_shapes_and_codes_documented_for_their_routes(
    paynet: PayNet, http: httpx.AsyncClient
) -> None:
    document = await served_document(http, paynet.switch.url)
    alias = {"kind": "phone", "value": "13800135678"}
    answers = [
        await paynet.post(WECHATPAY, "/v1/aliases", alias | {"account": "u-bob"}),
        await paynet.post(WECHATPAY, "/v1/aliases", alias | {"account": "u-bob"}),  # already
        await paynet.post(ALIPAY, "/v1/aliases/lookup", alias),
        await paynet.post(WECHATPAY, "/v1/aliases/remove", alias),
    ]
    assert [a.status_code for a in answers] == [201, 200, 200, 200], answers[-1].text
    for answer in answers:
        assert_documented(document, answer)
    assert answers[2].json()["entries"][0]["payee_token"]
    paths = document["paths"]
    for refused, route, status in (
        (
            await paynet.post(WECHATPAY, "/v1/aliases/remove", alias),
            paths["/v1/aliases/remove"]["post"],
            404,
        ),
        (
            await paynet.post(TAOBAO, "/v1/aliases/lookup", alias),
            paths["/v1/aliases/lookup"]["post"],
            403,
        ),
    ):
        assert refused.status_code == status, refused.text
        assert_documented(document, refused)
        assert refused.json()["error"]["code"] in route["responses"][str(status)]["description"]


async def test_a_placements_answers_fit_the_shapes_and_codes_documented_for_their_routes(
    links_net: Net,
) -> None:
    document = await served_document(links_net.http, str(links_net.switch.url))
    placed = await place(links_net, "douyin", "douyin.example", "live_cart", TB_TEA, "tea-1")
    assert placed.status_code == 200, placed.text
    placement = placed.json()["message"]["placement"]
    client = await links_net.client("douyin")
    shown = await client.get(f"/v1/placements/{placement['id']}")
    for answer in (placed, shown):
        assert_documented(document, answer)
    route = document["paths"]["/v1/placements"]["post"]["responses"]
    assert route["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PlacementAck"
    }
    nowhere = await place(links_net, "douyin", "nowhere.example", "live_cart", TB_TEA, "tea-1")
    assert nowhere.status_code == 422
    assert_documented(document, nowhere)
    assert nowhere.json()["error"]["code"] in route["422"]["description"]


async def test_a_points_exchanges_answers_fit_the_shapes_and_codes_documented_for_their_routes(
    paynet: PayNet, http: httpx.AsyncClient
) -> None:
    document = await served_document(http, paynet.switch.url)
    offer = {
        "program_from": VIP,
        "points_price": 1_000,
        "benefit": "tencent-video-vip/1-month",
        "daily_cap_per_user": 1,
        "money_rate_fen": 1_500,
    }
    published = await paynet.post(VIDEO, "/v1/points/offers", offer)
    offer_id = published.json()["offer"]["id"]
    granted = await paynet.post(VIP, "/v1/points/grants", {"member": "m-alice", "points": 5_000})
    exchange = {"offer_id": offer_id, "member": "m-alice", "beneficiary": "m-alice"}
    exchanged = await paynet.post(VIP, "/v1/points/exchanges", exchange)
    declared = await paynet.post(
        VIDEO, "/v1/points/refusals", {"program": VIP, "refuses": False, "statement": "welcome"}
    )
    answers = [
        published,
        granted,
        exchanged,
        declared,
        await paynet.get(VIP, "/v1/points/members/m-alice/balance"),
        await paynet.get(VIP, f"/v1/points/offers?program_from={VIP}"),
        await paynet.get(VIP, f"/v1/points/exchanges/{exchanged.json()['exchange']['id']}"),
        await paynet.get(VIP, f"/v1/points/refusals?program={VIDEO}"),
        await paynet.post(VIDEO, f"/v1/points/offers/{offer_id}/withdraw", {}),
    ]
    for answer in answers:
        assert answer.status_code < 300, answer.text
        assert_documented(document, answer)
    assert exchanged.json()["exchange"]["state"] == "committed"
    route = document["paths"]["/v1/points/exchanges"]["post"]["responses"]
    assert route["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ExchangeAnswer"
    }
    # The offer is withdrawn now: a second exchange is refused with a documented code.
    withdrawn = await paynet.post(VIP, "/v1/points/exchanges", exchange)
    assert withdrawn.status_code == 409, withdrawn.text
    assert_documented(document, withdrawn)
    assert withdrawn.json()["error"]["code"] in route["409"]["description"]
    stranger = await paynet.post(TAOBAO, "/v1/points/grants", {"member": "m-a", "points": 1})
    assert stranger.status_code == 403, stranger.text
    assert_documented(document, stranger)
    grants = document["paths"]["/v1/points/grants"]["post"]["responses"]
    assert stranger.json()["error"]["code"] in grants["403"]["description"]


async def test_a_livestreams_answers_fit_the_shapes_and_codes_documented_for_their_routes(
    shop: Shop, clock: Clock, http: httpx.AsyncClient
) -> None:
    document = await served_document(http, shop.switch.url)
    scheduled = await shop.post(
        KUAISHOU,
        "/v1/livestreams",
        {
            "broadcaster": STREAMER,
            "title": "Double 11 tea night",
            "starts_at": (clock.now + timedelta(minutes=5)).isoformat(),
            "ends_at": (clock.now + timedelta(hours=2)).isoformat(),
        },
    )
    path = f"/v1/livestreams/{scheduled.json()['session']['id']}"
    carted = await shop.post(KUAISHOU, f"{path}/cart", {"merchant": TEA_HOUSE, "sku_id": TEA})
    # Viewers before the session is live: refused by the state machine, as documented.
    early = await shop.post(KUAISHOU, f"{path}/viewers", {"viewers": 1, "views": 1})
    answers = [
        scheduled,
        carted,
        await shop.post(KUAISHOU, f"{path}/start", {}),
        await shop.post(KUAISHOU, f"{path}/viewers", {"viewers": 800, "views": 1_000}),
    ]
    await shop.paid(**tea_order(carted.json()["placement"]["id"]))
    answers += [
        await shop.post(KUAISHOU, f"{path}/end", {}),
        await shop.get(STREAMER, path),
        await shop.get(KUAISHOU, f"{path}/report"),
    ]
    for answer in answers:
        assert answer.status_code < 300, answer.text
        assert_documented(document, answer)
    assert answers[-1].json()["by_home_platform"][TAOBAO]["orders"] == 1
    viewers = document["paths"]["/v1/livestreams/{session_id}/viewers"]["post"]["responses"]
    assert early.status_code == 409, early.text
    assert_documented(document, early)
    assert early.json()["error"]["code"] in viewers["409"]["description"]
    stranger = await shop.get(DOUYIN, f"{path}/report")
    assert stranger.status_code == 403, stranger.text
    assert_documented(document, stranger)
    report = document["paths"]["/v1/livestreams/{session_id}/report"]["get"]["responses"]
    assert stranger.json()["error"]["code"] in report["403"]["description"]


async def test_a_coupons_answers_fit_the_shapes_and_codes_documented_for_their_routes(
    shop: Shop, clock: Clock, http: httpx.AsyncClient
) -> None:
    document = await served_document(http, shop.switch.url)
    declared = await shop.post(JD, "/v1/coupons/campaigns", campaign_message(clock.now))
    campaign = declared.json()["campaign"]["id"]
    claimed = await claim(shop, campaign)
    # One coupon a buyer: a second claim is refused by the campaign's rule, as documented.
    again = await claim(shop, campaign)
    elsewhere = await claim(shop, campaign, host=KUAISHOU)
    order = await shop.order(coupon=claimed.json()["coupon"]["id"])
    answers = [
        declared,
        claimed,
        order,
        await shop.get(JD, f"/v1/coupons/campaigns?merchant={JD_BEAUTY}"),
        await shop.get(JD, f"/v1/coupons/campaigns/{campaign}"),
        await shop.get(DOUYIN, "/v1/coupons/buyers/b-1"),
        await shop.get(JD_BEAUTY, f"/v1/coupons/orders/{order.json()['order']['id']}"),
        await shop.get(JD, f"/v1/coupons/refusals?campaign_id={campaign}"),
    ]
    for answer in answers:
        assert answer.status_code < 300, answer.text
        assert_documented(document, answer)
    assert len(answers[-1].json()["refusals"]) == 2
    # A merchant or host the campaign names that nobody registered is the body's 422.
    declare = document["paths"]["/v1/coupons/campaigns"]["post"]["responses"]
    for changes in ({"merchant": "nobody.example"}, {"hosts": ["nobody.example"]}):
        named = await shop.post(JD, "/v1/coupons/campaigns", campaign_message(clock.now, **changes))
        assert named.status_code == 422, named.text
        assert_documented(document, named)
        assert named.json()["error"]["code"] in documented_codes(declare["422"]["description"])
    claims = document["paths"]["/v1/coupons/campaigns/{campaign_id}/claims"]["post"]["responses"]
    for refused, status in ((again, 409), (elsewhere, 403)):
        assert refused.status_code == status, refused.text
        assert_documented(document, refused)
        assert refused.json()["error"]["code"] in claims[str(status)]["description"]


async def test_a_settlements_answers_fit_the_shapes_and_codes_documented_for_their_routes(
    switch: Switch, clock: Clock, http: httpx.AsyncClient
) -> None:
    document = await served_document(http, switch.url)
    jd = await switch.register(JD, ["merchant"])
    await a_day_of_trade(switch, clock)
    await close(switch)
    window = "/v1/settlement/windows/window-1"
    lines = (await switch.operator.get(f"/operator/settlement/windows/window-1/files/{JD}")).text
    header, fee, hold, pay = lines.splitlines()
    # Every kind of finding: a different amount, a repeat, a line the switch never saw,
    # a line the participant lacks, a row that cannot be read; then another counterparty.
    planted = "\n".join(
        [header, hold.replace(",500,", ",550,"), pay, pay, "refund-9,x.example,CNY,100,debit"]
    )
    elsewhere = "\n".join([header, fee.replace(WECHATPAY, ALIPAY), hold, pay])
    reconcile = f"/operator/settlement/windows/window-1/reconcile/{JD}"
    csv = {"content-type": "text/csv"}
    async with jd:
        answers = [
            await switch.operator.post(reconcile, content=planted + "\nbad,row", headers=csv),
            await switch.operator.post(reconcile, content=elsewhere, headers=csv),
            await jd.post(f"{window}/reconcile", {"statement": lines}),
            await jd.post(f"{window}/dispute", {"reason": "pay-1 is 99.00 in our books"}),
            await jd.post(f"{window}/confirm", {}),
        ]
        again = await jd.post(f"{window}/confirm", {})
        still_open = await jd.post("/v1/settlement/windows/window-2/reconcile", {"statement": ""})
    for answer in answers:
        assert answer.status_code < 300, answer.text
        assert_documented(document, answer)
    found = [answers[0].json()["summary"], answers[1].json()["summary"]]
    assert all(a or b for a, b in zip(*(f.values() for f in found), strict=True)), found
    paths = document["paths"]
    for refused, route in (
        (again, paths["/v1/settlement/windows/{window_id}/confirm"]["post"]),
        (still_open, paths["/v1/settlement/windows/{window_id}/reconcile"]["post"]),
    ):
        assert refused.status_code == 409, refused.text
        assert_documented(document, refused)
        assert refused.json()["error"]["code"] in route["responses"]["409"]["description"]


async def test_an_audits_answers_fit_the_shapes_and_codes_documented_for_their_routes(
    evidence: Evidence, http: httpx.AsyncClient
) -> None:
    document = await served_document(http, evidence.switch.url)
    # Taobao refuses every storefront of merchants at home on JD: one finding.
    assert (await evidence.group("alibaba", TAOBAO, TMALL)).status_code == 201
    assert (await evidence.group("jd", JD)).status_code == 201
    today = evidence.switch.services.clock().date()
    window = f"from={today}&to={today + timedelta(days=1)}"
    rule = {
        "decision": "refuse",
        "home_platforms": [JD],
        "valid_from": today.isoformat(),
        "reason": "not hosted here",
    }
    assert (await evidence.post(TAOBAO, "/v1/storefront-policies", rule)).status_code == 201
    report = await evidence.get(AUDITOR, f"/v1/audit/findings?{window}")
    [finding] = report.json()["findings"]
    answers = [
        report,
        await evidence.get(AUDITOR, f"/v1/audit/evidence/{finding['id']}"),
        await evidence.switch.operator.get(f"/operator/audit/findings?{window}"),
        await evidence.switch.operator.get(f"/operator/audit/evidence/{finding['id']}"),
    ]
    for answer in answers:
        assert answer.status_code == 200, answer.text
        assert_documented(document, answer)
    assert answers[1].json()["records"][0]["evidence_id"] == "policy:1"
    route = document["paths"]["/v1/audit/findings"]["get"]["responses"]
    for refused, status in (
        (await evidence.get(TAOBAO, f"/v1/audit/findings?{window}"), 403),
        (await evidence.get(AUDITOR, f"/v1/audit/findings?{window}&check=nothing"), 422),
    ):
        assert refused.status_code == status, refused.text
        assert_documented(document, refused)
        assert refused.json()["error"]["code"] in route[str(status)]["description"]


async def test_a_shipments_answers_fit_the_shapes_and_codes_documented_for_their_routes(
    net: Logistics, clock: Clock
) -> None:
    document = await served_document(net.http, str(net.switch.url))
    parcel = {"origin": HANGZHOU, "destination": "310104", "weight_g": 800}
    booking = parcel | {"carrier": JDL, "service": "standard", "address": {"name": "王女士"}}
    quoted = await net.merchant.post("/v1/shipments/quote", parcel)
    picked_up = await net.book(booking)
    waiting = await net.book(booking)
    number = picked_up.json()["tracking_number"]
    pushed = tracking_payload(JDL, number, "20", "", clock.now, "ev-1")
    answers = [
        quoted,
        picked_up,
        waiting,
        await net.carriers[JDL].post("/v1/tracking", pushed),
        await net.carriers[JDL].post("/v1/tracking", pushed),  # a new message, the same event
        await net.merchant.post(f"/v1/shipments/{waiting.json()['id']}/cancel", {}),
    ]
    for answer in answers:
        assert answer.status_code < 300, answer.text
        assert_documented(document, answer)
    assert (answers[3].json()["applied"], answers[4].json()["duplicate"]) == (True, True)
    paths = document["paths"]
    for refused, route, status in (
        (
            await net.merchant.post(f"/v1/shipments/{picked_up.json()['id']}/cancel", {}),
            paths["/v1/shipments/{shipment_id}/cancel"]["post"],
            409,
        ),
        (
            await net.merchant.post("/v1/shipments/quote", parcel | {"weight_g": 0}),
            paths["/v1/shipments/quote"]["post"],
            422,
        ),
    ):
        assert refused.status_code == status, refused.text
        assert_documented(document, refused)
        assert refused.json()["error"]["code"] in route["responses"][str(status)]["description"]


async def test_wallets_and_pay_for_me_answers_fit_the_shapes_and_codes_documented(
    paynet: PayNet, http: httpx.AsyncClient
) -> None:
    document = await served_document(http, paynet.switch.url)
    today = paynet.switch.services.clock().date()
    fees = [{"kind": "order", "bps": 60, "fixed": 0}, {"kind": "transfer", "bps": 10, "fixed": 0}]
    policy = {"valid_from": today.isoformat(), "refused": {WECHATPAY: "a rival's wallet"}}
    created = await paynet.post(DOUYIN, "/v1/payments", {"merchant": JD_BEAUTY, "amount": 19_900})
    payment = created.json()["payment"]["id"]
    ask = {"buyer": "dy-buyer-7", "expires_in": 3_600, "note": "生日礼物"}
    asked = await paynet.post(DOUYIN, f"/v1/payments/{payment}/pay-for-me", ask)
    code = asked.json()["request"]["url"].rsplit("/p/", 1)[1]
    payer = {"wallet": WECHATPAY, "payer": "u-bob"}
    answers = [
        created,
        asked,
        await paynet.post(ALIPAY, "/v1/wallet/profile", {"fees": fees}),
        await paynet.get(DOUYIN, "/v1/wallets"),
        await paynet.post(DOUYIN, "/v1/acceptance-policy", policy),
        await paynet.get(DOUYIN, f"/v1/acceptance-policy/{TAOBAO}"),
        await paynet.get(DOUYIN, f"/v1/payments/options?merchant={JD_BEAUTY}&host={TAOBAO}"),
        await paynet.post(WECHAT, f"/v1/pay-for-me/{code}/pay", payer),
    ]
    asked_again = await paynet.post(DOUYIN, f"/v1/payments/{payment}/pay-for-me", ask)
    for answer in answers:
        assert answer.status_code < 300, answer.text
        assert_documented(document, answer)
    assert answers[-2].json()["refused"], answers[-2].text  # Taobao refuses WeChat Pay
    assert answers[-1].json()["request"]["state"] == "paid"
    paths = document["paths"]
    for refused, route in (
        (
            await paynet.post(WECHAT, f"/v1/pay-for-me/{code}/pay", payer),
            paths["/v1/pay-for-me/{code}/pay"]["post"],
        ),
        (asked_again, paths["/v1/payments/{payment_id}/pay-for-me"]["post"]),
    ):
        assert refused.status_code == 409, refused.text
        assert_documented(document, refused)
        assert refused.json()["error"]["code"] in route["responses"]["409"]["description"]


async def test_carriers_points_and_policies_answers_fit_the_shapes_and_codes_documented(
    net: Logistics,
) -> None:
    document = await served_document(net.http, str(net.switch.url))
    cainiao, host = net.carriers[CAINIAO], await net.client(TAOBAO)
    # A back-dated version, so each listing shows a correction's shape too.
    policy = {"valid_from": "2024-01-01", "refused": [JT], "reason": "no J&T parcels"}
    answers = [
        await net.carriers[JDL].post("/v1/carrier/services", {}),
        await cainiao.post("/v1/pickup-points", {"points": [STATION]}),
        await net.merchant.get(f"/v1/pickup-points?lat={STATION['lat']}&lng={STATION['lng']}"),
        await cainiao.post("/v1/pickup-policies", policy | AS_HISTORY),
        await host.post("/v1/carrier-policies", policy | AS_HISTORY),
        await net.merchant.get(f"/v1/pickup-policies/{CAINIAO}"),
        await net.merchant.get(f"/v1/carrier-policies/{TAOBAO}"),
    ]
    for answer in answers:
        assert answer.status_code == 200, answer.text
        assert_documented(document, answer)
    assert answers[2].json()["points"][0]["distance_m"] == 0
    assert answers[-1].json()["versions"][0]["correction"] is not None
    paths = document["paths"]
    for refused, route, status in (
        (
            await net.merchant.get("/v1/pickup-points?lat=0&lng=0&radius_m=0"),
            paths["/v1/pickup-points"]["get"],
            422,
        ),
        (
            await net.merchant.post("/v1/pickup-points", {"points": [STATION]}),
            paths["/v1/pickup-points"]["post"],
            403,
        ),
    ):
        assert refused.status_code == status, refused.text
        assert_documented(document, refused)
        assert refused.json()["error"]["code"] in route["responses"][str(status)]["description"]


async def test_a_commission_schedules_answers_fit_the_shapes_and_codes_documented(
    shop: Shop, http: httpx.AsyncClient
) -> None:
    document = await served_document(http, shop.switch.url)
    today = shop.switch.services.clock().date().isoformat()
    schedule = {
        "valid_from": today,
        "take_rates": [{"category": "beauty", "channel": "storefront", "bps": 600}],
        "channel_rates": {"storefront": 500},
    }
    answers = [
        await shop.post(DOUYIN, "/v1/commission-schedules", schedule),
        await shop.get(JD_BEAUTY, f"/v1/commission-schedules/{DOUYIN}"),
    ]
    for answer in answers:
        assert answer.status_code < 300, answer.text
        assert_documented(document, answer)
    versions = answers[1].json()["versions"]
    assert versions[0]["correction"] is not None and versions[-1]["take_rates"]
    refused = await shop.post(JD_BEAUTY, "/v1/commission-schedules", schedule)
    assert refused.status_code == 403, refused.text
    assert_documented(document, refused)
    route = document["paths"]["/v1/commission-schedules"]["post"]["responses"]
    assert refused.json()["error"]["code"] in route["403"]["description"]


async def test_discovery_impressions_and_link_policies_answers_fit_the_document(
    shop: Shop, clock: Clock, http: httpx.AsyncClient
) -> None:
    document = await served_document(http, shop.switch.url)
    today = clock.now.date().isoformat()
    plain = {"source": "jd", "surfaces": ["chat"], "treatment": "blocked", "valid_from": today}
    back_dated = {"source": "jd", "treatment": "share_code_only", "valid_from": "2024-01-01"}
    declared = [
        await shop.post(TAOBAO, "/v1/link-policies", plain),
        await shop.post(TAOBAO, "/v1/link-policies", back_dated | AS_HISTORY),
    ]
    page = await shop.get(TAOBAO, "/v1/discovery/offers?q=jd")
    results = page.json()["results"]
    shown = {
        "surface": page.json()["surface"],
        "query": page.json()["query"],
        "shown_at": page.json()["searched_at"],
        "items": [r["impression_item"] | {"position": n} for n, r in enumerate(results, 1)],
    }
    answers = [
        *declared,
        page,
        await shop.post(TAOBAO, "/v1/impressions", {"lists": [shown]}),
        await http.get(f"{shop.switch.url}/policies/{TAOBAO}"),
        await http.get(f"{shop.switch.url}/policies/{TAOBAO}/history"),
    ]
    for answer in answers:
        assert answer.status_code == 200, answer.text
        assert_documented(document, answer)
    assert results and answers[-1].json()["versions"][-1]["correction"] is not None
    paths = document["paths"]
    for refused, route in (
        (
            await shop.get(TAOBAO, "/v1/discovery/offers?limit=0"),
            paths["/v1/discovery/offers"]["get"],
        ),
        (
            await shop.post(TAOBAO, "/v1/impressions", {"lists": []}),
            paths["/v1/impressions"]["post"],
        ),
    ):
        assert refused.status_code == 422, refused.text
        assert_documented(document, refused)
        assert refused.json()["error"]["code"] in route["responses"]["422"]["description"]


async def test_health_and_app_links_answers_fit_the_document(
    switch: Switch, http: httpx.AsyncClient, document: dict[str, Any]
) -> None:
    await switch.register("douyin.example", ["platform"], http=http)
    apps = {
        "ios_app_ids": ["ABCDE12345.com.douyin.app"],
        "android": [{"package": "com.douyin.app", "sha256_cert_fingerprints": [PRINT]}],
    }
    registered = await switch.operator.put("/operator/apps/douyin.example", json=apps)
    answers = [
        registered,
        await http.get(f"{switch.url}/healthz"),
        await http.get(f"{switch.url}/.well-known/apple-app-site-association"),
        await http.get(f"{switch.url}/.well-known/assetlinks.json"),
        # Hutong's lookup records, and Beckn's Subscriptions (the switch's own among them).
        await http.post(f"{switch.url}/lookup", json={"subscriber_id": "douyin.example"}),
        await http.post(f"{switch.url}/lookup", json={"type": "BG"}),
        await http.post(f"{switch.url}/v2.0/lookup", json={"type": "BG", "country": "CHN"}),
        await switch.operator.get("/operator/subscriptions"),
    ]
    for answer in answers:
        assert answer.status_code == 200, answer.text
        assert_documented(document, answer)
    assert answers[2].json()["applinks"]["details"][0]["appIDs"] == apps["ios_app_ids"]
    assert answers[4].json() and answers[5].json() and answers[6].json()
    nobody = await switch.operator.put("/operator/apps/nobody.example", json=apps)
    assert nobody.status_code == 404, nobody.text
    assert_documented(document, nobody)
    route = document["paths"]["/operator/apps/{subscriber_id}"]["put"]["responses"]
    assert nobody.json()["error"]["code"] in route["404"]["description"]
