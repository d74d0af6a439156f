"""The public page of a pay-for-me request: `/p/{code}`, openable in any app.

It shows what is asked (merchant, amount, note, deadline) and, for the app
that opened it (`?host=` or the User-Agent, as for product links), the
wallets that app and the merchant's platform accept, with every refusal.
It never shows who the buyer is beyond the requesting platform, nor any payer.
An app asking for JSON gets the same facts as JSON.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.params import FromPath, FromQuery
from sqlalchemy import select

from hutong.api.declare import ServicesDep
from hutong.links.hosts import alias, host_context
from hutong.payments import checkout, pay_for_me
from hutong.payments.checkout import store
from hutong.store.tables import participants
from hutong.web.pages import render

NO_STORE = {"cache-control": "no-store", "vary": "User-Agent"}


async def _platform_id(services: Any, host_alias: str) -> str | None:
    """The registered platform whose alias (`wechat` for `wechat.example`) is `host_alias`."""
    async with services.db.read() as conn:
        ids = (await conn.execute(select(participants.c.subscriber_id))).scalars().all()
    return next((i for i in ids if i == host_alias or alias(i) == host_alias), None)


@get("/p/{code:str}", tags=["payments"], summary="A pay-for-me request, for whoever opens it")
async def pay_page(
    services: ServicesDep,
    request: Request[Any, Any, Any],
    code: FromPath[str],
    host: FromQuery[str] = "",
) -> Response[Any]:
    context = host_context(
        host, request.headers.get("user-agent", ""), request.headers.get("accept", "")
    )
    async with services.db.read() as conn:
        found = await pay_for_me.find(conn, code=code)
        payment = None if found is None else await store.get_payment(conn, found.payment_id)
    if found is None or payment is None:
        if context.wants_json:
            return Response(
                {"error": {"code": "unknown_request", "message": "no such request"}},
                status_code=404,
                headers=NO_STORE,
            )
        page = render("not_found.html", message=f"No pay-for-me request {code} is known.")
        return Response(page, status_code=404, media_type="text/html; charset=utf-8")
    platform = await _platform_id(services, context.host) if context.host else None
    choice = (
        await checkout.wallet_choice(services, platform, payment.merchant_platform)
        if platform
        else None
    )
    facts: dict[str, Any] = {
        "request_id": found.id,
        "state": found.state.value,
        "requester": found.requester,
        "merchant": payment.merchant,
        "amount": payment.amount,
        "note": found.note,
        "expires_at": found.expires_at.isoformat(),
        "share_text": found.to_dict("", pay_for_me.share_key(services))["share_text"],
        "opened_in": platform,
        "wallets": None if choice is None else checkout.choice_out(choice),
    }
    if context.wants_json:
        return Response(facts, headers=NO_STORE)
    page = render(
        "pay_for_me.html",
        requester=found.requester,
        merchant=payment.merchant,
        amount=f"{payment.amount // 100}.{payment.amount % 100:02d}",
        note=found.note,
        state=found.state.value,
        expires_at=found.expires_at.strftime("%Y-%m-%d %H:%M"),
        share_text=facts["share_text"],
        wallets=[] if choice is None else choice.allowed,
        refused=[] if choice is None else [r.explain() for r in choice.refused],
    )
    return Response(page, media_type="text/html; charset=utf-8", headers=NO_STORE)


public_handlers = [pay_page]
