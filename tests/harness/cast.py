"""The reference participants, by name, and the casts the networks are drawn from.

Each cast says, for everyone who may take part, their role, who must have
joined first and how they set themselves up (see `tests.harness.network`).

- `PAYMENTS`: platforms, merchants, wallets (with declared fees), loyalty
  programs and an auditor; Taobao refuses WeChat Pay, so that the acceptance
  path has something to refuse.
- `LOGISTICS`: a merchant and its rival, a host, three carriers with their
  booking desks; Cainiao publishes one station, open to every carrier.
- `MARKET`: a merchant, three hosts and a creator; nobody answers calls.
- `SHOP` (see `tests.harness.shop`): everyone an order involves.
- `EVIDENCE`: the auditor's evidence (groups, impressions, merchant terms):
  platforms of several groups, a merchant at home on each side, an auditor.
"""

from __future__ import annotations

from typing import Any

import httpx

from hutong.client import Client
from hutong.world.demo_logistics import CARRIERS, STATION
from hutong.world.reference import CarrierDesk
from hutong.world.stock import StockDesk
from hutong.world.wallets import ProgramDesk, WalletDesk
from tests.harness.history import AS_HISTORY
from tests.harness.network import Network, Part, Setup

TAOBAO, JD, DOUYIN, WECHAT = "taobao.example", "jd.example", "douyin.example", "wechat.example"
KUAISHOU, TMALL = "kuaishou.example", "tmall.example"
TEA_HOUSE, JD_BEAUTY = "tea-house.example", "jd-beauty.example"
ALIPAY, WECHATPAY = "alipay.example", "wechatpay.example"
#: Bob's phone number, which WeChat Pay publishes for its user u-bob (the `bob` fixture).
BOB_PHONE = "13800135678"
VIP, VIDEO = "88vip.example", "tencent-video.example"
JDL, CAINIAO, JT = "jd-logistics.example", "cainiao.example", "jtexpress.example"
STREAMER, AUDITOR = "streamer.example", "regulator.example"
#: A Beckn gateway (BG): signs what it forwards in X-Gateway-Authorization.
GATEWAY = "gateway.example"


async def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    """The body of a response that must have succeeded with `status`."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


# -- how participants set themselves up ---------------------------------------------------------


def home(platform: str) -> Setup:
    """A merchant whose home platform is `platform` (set by the operator)."""

    async def setup(net: Network, client: Client) -> None:
        await ok(
            await net.switch.operator.put(
                f"/operator/merchants/{client.subscriber_id}/profile",
                json={"home_platform": platform},
            )
        )

    return setup


def wallet(balances: dict[str, int], fees: dict[str, tuple[int, int]]) -> Setup:
    """A wallet answering at its desk with these `balances`, declaring `fees`: (bps, fixed fen)."""

    async def setup(net: Network, client: Client) -> None:
        net.world.wallets[client.subscriber_id] = WalletDesk(
            signer=client.signer, balances=dict(balances)
        )
        declared = [{"kind": k, "bps": b, "fixed": f} for k, (b, f) in fees.items()]
        await ok(await client.post("/v1/wallet/profile", {"fees": declared}))

    return setup


def program(members: set[str]) -> Setup:
    async def setup(net: Network, client: Client) -> None:
        net.world.programs[client.subscriber_id] = ProgramDesk(
            signer=client.signer, members=set(members)
        )

    return setup


def carrier(*, station: bool = False) -> Setup:
    """A carrier booking at its desk, declaring its plugin's services (and publishing STATION)."""

    async def setup(net: Network, client: Client) -> None:
        name = client.subscriber_id
        net.world.carriers[name] = CarrierDesk(signer=client.signer, tracking_prefix=CARRIERS[name])
        await ok(await client.post("/v1/carrier/services", {"services": []}))
        if station:
            await ok(await client.post("/v1/pickup-points", {"points": [STATION]}))

    return setup


async def stock_desk(net: Network, client: Client) -> None:
    """A merchants' platform whose stock desk answers `reserve_stock`."""
    net.world.stores[client.subscriber_id] = StockDesk(signer=client.signer)


async def refuses_wechatpay(net: Network, client: Client) -> None:
    await ok(
        await client.post(
            "/v1/acceptance-policy",
            {
                "valid_from": "2021-10-01",
                "refused": {WECHATPAY: "Taobao does not offer WeChat Pay"},
            }
            | AS_HISTORY,
        ),
        201,
    )


# -- the casts ----------------------------------------------------------------------------------

#: Fees each payments wallet declares: (bps, fixed fen) per kind.
FEES: dict[str, dict[str, tuple[int, int]]] = {
    ALIPAY: {"order": (60, 0), "pay_for_me": (60, 0), "transfer": (10, 0)},
    WECHATPAY: {"order": (60, 0), "pay_for_me": (60, 0), "transfer": (0, 100)},
}
_PAYERS = {"u-alice": 100_000, "u-bob": 50_000, "u-poor": 100}

PAYMENTS: dict[str, Part] = {
    TAOBAO: Part("platform", needs=(WECHATPAY,), setup=refuses_wechatpay),
    JD: Part("platform"),
    DOUYIN: Part("platform"),
    WECHAT: Part("platform"),
    TEA_HOUSE: Part("merchant", setup=home(TAOBAO)),
    JD_BEAUTY: Part("merchant", setup=home(JD)),
    ALIPAY: Part("wallet", setup=wallet(_PAYERS, FEES[ALIPAY])),
    WECHATPAY: Part("wallet", setup=wallet(_PAYERS, FEES[WECHATPAY])),
    VIP: Part("program", setup=program({"m-alice"})),
    VIDEO: Part("program", setup=program({"m-alice"})),
    AUDITOR: Part("auditor"),
}

LOGISTICS: dict[str, Part] = {
    TEA_HOUSE: Part("merchant", needs=(TAOBAO,), setup=home(TAOBAO)),  # a Taobao merchant
    JD_BEAUTY: Part("merchant"),  # its rival
    TAOBAO: Part("platform"),  # the platform the orders come from
    JDL: Part("carrier", setup=carrier()),
    CAINIAO: Part("carrier", setup=carrier(station=True)),
    JT: Part("carrier", setup=carrier()),
}

#: The market's merchant (a JD merchant, not JD Beauty of the other casts).
MARKET_MERCHANT = "jdbeauty.example"
MARKET: dict[str, Part] = {
    MARKET_MERCHANT: Part("merchant", answers=False),
    DOUYIN: Part("platform", answers=False),
    KUAISHOU: Part("platform", answers=False),
    WECHAT: Part("platform", answers=False),
    STREAMER: Part("creator", answers=False),
    JD: Part("platform", answers=False),
    TAOBAO: Part("platform", answers=False),
}

_SHOPPERS = {"u-alice": 500_000, "u-bob": 200_000, "u-poor": 100}
SHOP: dict[str, Part] = {
    DOUYIN: Part("platform"),
    KUAISHOU: Part("platform"),
    JD: Part("platform", setup=stock_desk),
    TAOBAO: Part("platform", setup=stock_desk),
    JD_BEAUTY: Part("merchant", needs=(JD,), setup=home(JD)),
    TEA_HOUSE: Part("merchant", needs=(TAOBAO,), setup=home(TAOBAO)),
    ALIPAY: Part("wallet", setup=wallet(_SHOPPERS, {"order": (60, 0)})),
    WECHATPAY: Part("wallet", setup=wallet(_SHOPPERS, {"order": (60, 0)})),
    JDL: Part("carrier", setup=carrier()),
    CAINIAO: Part("carrier", setup=carrier(station=True)),
    STREAMER: Part("creator"),
    AUDITOR: Part("auditor"),
    GATEWAY: Part("gateway"),
}

EVIDENCE: dict[str, Part] = {
    TAOBAO: Part("platform", answers=False),
    TMALL: Part("platform", answers=False),
    ALIPAY: Part("wallet", answers=False),
    JD: Part("platform", answers=False),
    WECHAT: Part("platform", answers=False),
    KUAISHOU: Part("platform", answers=False),
    DOUYIN: Part("platform", answers=False),
    TEA_HOUSE: Part("merchant", needs=(TAOBAO,), setup=home(TAOBAO), answers=False),
    JD_BEAUTY: Part("merchant", needs=(JD,), setup=home(JD), answers=False),
    AUDITOR: Part("auditor", answers=False),
}
