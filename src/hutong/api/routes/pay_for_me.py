"""Pay-for-me API (代付): a buyer asks a friend to pay; the friend pays or the buyer cancels.

Every write is exactly once per message id; paying asks the friend's wallet
before its write (`run_decided`), as a payment's steps do.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, post
from litestar.params import FromPath, JSONBody

from hutong.api.auth import SignedRequestMiddleware
from hutong.api.declare import ServicesDep, SignedDep, StrictBody, base_url
from hutong.api.documented import CALLS_PARTICIPANTS
from hutong.api.idempotency import run_decided
from hutong.api.routes import pay_for_me_out
from hutong.api.routes.payments_presenters import paid_out, request_out
from hutong.api.routes.payments_schemas import SignedEmpty, SignedPay, SignedPayForMe
from hutong.net.transport import call_transport
from hutong.payments import pay_for_me


@post(
    "/payments/{payment_id:str}/pay-for-me",
    dto=StrictBody[SignedPayForMe],
    return_dto=None,
    status_code=201,
    summary="Ask someone else to pay (a link and a share code)",
    opt=pay_for_me_out.REQUEST_OPT,
)
async def request_pay_for_me(
    services: ServicesDep,
    signed: SignedDep,
    request: Request[Any, Any, Any],
    payment_id: FromPath[str],
    data: JSONBody[SignedPayForMe],
) -> Response[bytes]:
    body = data.message
    return await run_decided(
        services,
        signed,
        lambda: pay_for_me.create(
            services,
            signed.subscriber_id,
            payment_id,
            buyer=body.buyer,
            expires_in=body.expires_in,
            note=body.note,
        ),
        request_out(services, base_url(request), 201),
    )


@post(
    "/pay-for-me/{code:str}/pay",
    dto=StrictBody[SignedPay],
    return_dto=None,
    status_code=200,
    summary="Pay someone's pay-for-me request",
    opt=pay_for_me_out.PAY_OPT,
)
async def pay_pay_for_me(
    services: ServicesDep,
    signed: SignedDep,
    request: Request[Any, Any, Any],
    code: FromPath[str],
    data: JSONBody[SignedPay],
) -> Response[bytes]:
    body = data.message
    return await run_decided(
        services,
        signed,
        lambda: pay_for_me.pay(
            services,
            call_transport(),
            signed.subscriber_id,
            code,
            wallet=body.wallet,
            payer=body.payer,
            attempt=signed.message_id or "",
        ),
        paid_out(services, base_url(request)),
    )


@post(
    "/pay-for-me/{request_id:str}/cancel",
    dto=StrictBody[SignedEmpty],
    return_dto=None,
    status_code=200,
    summary="Withdraw a pay-for-me request",
    opt=pay_for_me_out.CANCEL_OPT,
)
async def cancel_pay_for_me(
    services: ServicesDep,
    signed: SignedDep,
    request: Request[Any, Any, Any],
    request_id: FromPath[str],
    data: JSONBody[SignedEmpty],
) -> Response[bytes]:
    # The body is checked (and documented) as `data`: its message is empty.
    return await run_decided(
        services,
        signed,
        lambda: pay_for_me.cancel(services, signed.subscriber_id, request_id),
        request_out(services, base_url(request), 200),
    )


router = Router(
    path="/v1",
    opt={CALLS_PARTICIPANTS: True},
    route_handlers=[request_pay_for_me, pay_pay_for_me, cancel_pay_for_me],
    middleware=[SignedRequestMiddleware()],
    tags=["payments"],
    security=[{"beckn": []}],
)
