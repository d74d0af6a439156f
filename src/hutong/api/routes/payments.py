"""Payments API: wallets' profiles, acceptance policies, payments (pay-for-me: `pay_for_me`).

Every write is exactly once per message id; the steps that ask a wallet do so
before their write (`run_decided`), so a retried request never asks twice
once answered, and a wallet that did not answer can be asked again.
"""

from __future__ import annotations

from datetime import date
from typing import Any, cast

import msgspec
from litestar import Response, Router, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from hutong.api.auth import SignedRequestMiddleware
from hutong.api.declare import SenderDep, ServicesDep, SignedDep, StrictBody
from hutong.api.documented import CALLS_PARTICIPANTS, CODES, RESULT
from hutong.api.idempotency import run_decided, run_once
from hutong.api.routes import wallets_out
from hutong.api.routes.payments_out import (
    CREATE_OPT,
    PaymentAnswer,
    PaymentRefundOut,
    payment_step,
)
from hutong.api.routes.payments_presenters import (
    acceptance_out,
    created_out,
    payment_out,
    refund_out,
)
from hutong.api.routes.payments_schemas import (
    SignedAcceptance,
    SignedAuthorize,
    SignedCapture,
    SignedEmpty,
    SignedPayment,
    SignedRefund,
    SignedWalletProfile,
)
from hutong.api.schemas import admitted, correction_out
from hutong.net.transport import call_transport
from hutong.payments import checkout
from hutong.payments.checkout import AcceptancePolicy, store
from hutong.payments.checkout.states import PaymentEvent
from hutong.payments.fees import FeeRule, PaymentKind
from hutong.protocol.errors import ValidationError
from hutong.registry.models import Role
from hutong.registry.service import require_role

# -- wallets and acceptance -------------------------------------------------------------


@post(
    "/wallet/profile",
    dto=StrictBody[SignedWalletProfile],
    return_dto=None,
    status_code=200,
    summary="Declare your currencies and fees (wallets)",
    opt=wallets_out.PROFILE_OPT,
)
async def declare_wallet_profile(
    services: ServicesDep, signed: SignedDep, data: JSONBody[SignedWalletProfile]
) -> Response[bytes]:
    body = data.message
    await require_role(services.db, signed.subscriber_id, Role.WALLET)
    # FeeRule checks the kind itself (invalid_fee names an unknown one).
    rules = [FeeRule(cast(PaymentKind, f.kind), f.bps, f.fixed) for f in body.fees]
    if body.currencies != ["CNY"]:
        raise ValidationError("the switch settles CNY only", code="unsupported_currency")

    async def write(conn: Any) -> tuple[int, dict[str, Any]]:
        profile = await store.save_wallet_profile(
            conn, signed.subscriber_id, body.currencies, rules, services.clock()
        )
        return 200, {"profile": profile.to_dict()}

    return await run_once(services, signed, write)


@get(
    "/wallets",
    summary="Registered wallets and their declared fees",
    opt=wallets_out.WALLETS_OPT,
)
async def list_wallets(services: ServicesDep) -> dict[str, Any]:
    async with services.db.read() as conn:
        wallets = await store.registered_wallets(conn)
        profiles = [await store.wallet_profile(conn, wallet) for wallet in wallets]
    return {"wallets": [p.to_dict() for p in profiles if p is not None]}


@post(
    "/acceptance-policy",
    dto=StrictBody[SignedAcceptance],
    return_dto=None,
    status_code=201,
    summary="Declare which wallets you accept",
    opt=wallets_out.DECLARE_ACCEPTANCE_OPT,
)
async def declare_acceptance(
    services: ServicesDep, signed: SignedDep, data: JSONBody[SignedAcceptance]
) -> Response[bytes]:
    body = data.message
    await require_role(services.db, signed.subscriber_id, Role.PLATFORM)
    correction = admitted(body.correction, body.valid_from, services.clock())

    async def write(conn: Any) -> tuple[int, dict[str, Any]]:
        policy = AcceptancePolicy(
            platform=signed.subscriber_id,
            valid_from=body.valid_from,
            accepts=None if body.accepts is None else frozenset(body.accepts),
            refused=body.refused,
            declared_at=services.clock().date(),
            note=body.note,
        )
        stored = await store.declare_acceptance(
            conn, policy, services.clock(), correction=correction
        )
        return 201, {"policy": acceptance_out(stored)}

    return await run_once(services, signed, write)


@get(
    "/acceptance-policy/{platform:str}",
    summary="A platform's acceptance policy, on a day",
    opt=wallets_out.ACCEPTANCE_OPT,
)
async def show_acceptance(
    services: ServicesDep, platform: FromPath[str], at: FromQuery[date | None] = None
) -> dict[str, Any]:
    async with services.db.read() as conn:
        history = await store.acceptance_history(conn, platform)
        corrected = await store.acceptance_corrections(conn, platform)
    day = at or services.clock().date()
    policy = history.in_force(day)
    return {
        "platform": platform,
        "at": day.isoformat(),
        "in_force": None if policy is None else acceptance_out(policy),
        "versions": [
            acceptance_out(p) | {"correction": correction_out(corrected.get(p.version))}
            for p in history.versions
        ],
    }


@get(
    "/payments/options",
    summary="The wallets a buyer may choose, and every refusal",
    opt=wallets_out.OPTIONS_OPT,
)
async def payment_options(
    services: ServicesDep, merchant: FromQuery[str], host: FromQuery[str]
) -> dict[str, Any]:
    async with services.db.read() as conn:
        merchant_platform = await store.home_platform(conn, merchant)
    choice = await checkout.wallet_choice(services, host, merchant_platform)
    return {"host": host, "merchant": merchant} | checkout.choice_out(choice)


# -- payments --------------------------------------------------------------------------------


@post(
    "/payments",
    dto=StrictBody[SignedPayment],
    return_dto=None,
    status_code=201,
    summary="Create a payment (host or merchant's platform)",
    opt=CREATE_OPT,
)
async def create_payment(
    services: ServicesDep, signed: SignedDep, data: JSONBody[SignedPayment]
) -> Response[bytes]:
    body = data.message
    spec = checkout.NewPayment(**msgspec.structs.asdict(body))
    return await run_decided(
        services,
        signed,
        lambda: checkout.create(services, signed.subscriber_id, spec),
        created_out,
    )


@get(
    "/payments/{payment_id:str}",
    summary="A payment (its parties, its wallet, auditors)",
    opt={RESULT: PaymentAnswer, CODES: {403: ("not_a_party",), 404: ("unknown_payment",)}},
)
async def show_payment(
    services: ServicesDep, sender: SenderDep, payment_id: FromPath[str]
) -> dict[str, Any]:
    return {"payment": (await checkout.readable(services, sender, payment_id)).to_dict()}


@post(
    "/payments/{payment_id:str}/authorize",
    dto=StrictBody[SignedAuthorize],
    return_dto=None,
    status_code=200,
    summary="Authorize: hold funds",
    opt=payment_step(
        PaymentEvent.AUTHORIZE,
        s422=("invalid_payer", "unknown_wallet"),
        s409=("wallet_mismatch", "wallet_inactive", "wallet_does_not_serve", "wallet_not_accepted"),
    ),
)
async def authorize_payment(
    services: ServicesDep,
    signed: SignedDep,
    payment_id: FromPath[str],
    data: JSONBody[SignedAuthorize],
) -> Response[bytes]:
    body = data.message
    return await run_decided(
        services,
        signed,
        lambda: checkout.authorize(
            services,
            call_transport(),
            signed.subscriber_id,
            payment_id,
            wallet=body.wallet,
            payer=body.payer,
            attempt=signed.message_id or "",
        ),
        payment_out,
    )


@post(
    "/payments/{payment_id:str}/capture",
    dto=StrictBody[SignedCapture],
    return_dto=None,
    status_code=200,
    summary="Capture (all or part)",
    opt=payment_step(PaymentEvent.CAPTURE, s409=("payment_of_an_order",)),
)
async def capture_payment(
    services: ServicesDep,
    signed: SignedDep,
    payment_id: FromPath[str],
    data: JSONBody[SignedCapture],
) -> Response[bytes]:
    body = data.message
    return await run_decided(
        services,
        signed,
        lambda: checkout.capture(
            services, call_transport(), signed.subscriber_id, payment_id, body.amount
        ),
        payment_out,
    )


@post(
    "/payments/{payment_id:str}/void",
    dto=StrictBody[SignedEmpty],
    return_dto=None,
    status_code=200,
    summary="Void: release the hold",
    opt=payment_step(PaymentEvent.VOID, s409=("payment_of_an_order",)),
)
async def void_payment(
    services: ServicesDep, signed: SignedDep, payment_id: FromPath[str], data: JSONBody[SignedEmpty]
) -> Response[bytes]:
    # The body is checked (and documented) as `data`: its message is empty.
    return await run_decided(
        services,
        signed,
        lambda: checkout.void(services, call_transport(), signed.subscriber_id, payment_id),
        payment_out,
    )


@post(
    "/payments/{payment_id:str}/refunds",
    dto=StrictBody[SignedRefund],
    return_dto=None,
    status_code=200,
    summary="Refund part or all",
    opt=payment_step(
        PaymentEvent.REFUND,
        PaymentRefundOut,
        s422=("invalid_refund_id",),
        s409=("refund_id_reused", "payment_of_an_order"),
    ),
)
async def refund_payment(
    services: ServicesDep,
    signed: SignedDep,
    payment_id: FromPath[str],
    data: JSONBody[SignedRefund],
) -> Response[bytes]:
    body = data.message
    refund_id = body.refund_id or signed.message_id or ""
    return await run_decided(
        services,
        signed,
        lambda: checkout.refund(
            services, call_transport(), signed.subscriber_id, payment_id, body.amount, refund_id
        ),
        refund_out(refund_id),
    )


router = Router(
    path="/v1",
    opt={CALLS_PARTICIPANTS: True},
    route_handlers=[
        declare_wallet_profile,
        list_wallets,
        declare_acceptance,
        show_acceptance,
        payment_options,
        create_payment,
        show_payment,
        authorize_payment,
        capture_payment,
        void_payment,
        refund_payment,
    ],
    middleware=[SignedRequestMiddleware()],
    tags=["payments"],
    security=[{"beckn": []}],
)
