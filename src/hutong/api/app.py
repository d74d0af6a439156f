"""The Litestar application of the switch."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from litestar import Litestar, Request, Response
from litestar.datastructures import State
from litestar.exceptions import HTTPException, NotFoundException, ValidationException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController

from hutong import __version__
from hutong.api.declare import DEPENDENCIES, StrictRequest, services_of
from hutong.api.documented import document_refusals
from hutong.api.errors import status_of
from hutong.api.params import out_of_range
from hutong.api.request_line import NulFreeRequestLine
from hutong.api.request_log import REQUEST_ID_STATE_KEY, RequestLogMiddleware, tag_unrouted
from hutong.api.routes import (
    app_links,
    audit,
    beckn_gateway,
    beckn_registry,
    commerce,
    coupons,
    dashboard,
    discovery,
    evidence,
    groups,
    ledger,
    links,
    liquidity,
    livestreams,
    logistics,
    operator,
    orders,
    participant,
    pay_for_me,
    pay_pages,
    payments,
    points,
    public,
    resolver,
    settlement,
    shipments,
    transfers,
)
from hutong.beckn import run_jobs
from hutong.ledger.store import expire_pending
from hutong.net import call_journal
from hutong.net.delivery import DeliveryWorker
from hutong.net.transport import close_call_transport
from hutong.protocol.errors import AuthenticationError, HutongError, RateLimitedError, nack
from hutong.runtime import message_records
from hutong.runtime.heartbeat import Heartbeat
from hutong.runtime.services import Services
from hutong.store.failover import database_lost, database_unavailable
from hutong.workers.deadlines import run_deadlines

log = logging.getLogger("hutong.app")

#: How often expired message-id records are swept.
MAINTENANCE_INTERVAL = 60.0
#: How often timed-out ledger holds are released.
HOLD_EXPIRY_INTERVAL = 1.0


def _nack(status: int, code: str, message: str) -> Response[dict[str, Any]]:
    return Response(content=nack(code, message), status_code=status)


def on_hutong_error(_: Request[Any, Any, Any], exc: HutongError) -> Response[dict[str, Any]]:
    response = Response(content=exc.body(), status_code=status_of(exc))
    if isinstance(exc, AuthenticationError):
        response.headers["www-authenticate"] = exc.challenge
    if isinstance(exc, RateLimitedError):
        response.headers["retry-after"] = str(exc.retry_after)
    return response


def on_validation_error(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    detail = exc.extra if isinstance(exc.extra, list) else []
    too_big = out_of_range(d for d in detail if isinstance(d, dict))
    if too_big is not None:
        return on_hutong_error(request, too_big)
    parts = [f"{d.get('key', '')}: {d.get('message', '')}" for d in detail if isinstance(d, dict)]
    message = "; ".join(parts) or str(exc.detail)
    return _nack(422, "invalid_request", f"the request does not match the schema: {message}")


def on_http_error(_: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    code = {404: "not_found", 405: "method_not_allowed", 400: "bad_request"}.get(
        exc.status_code, "http_error"
    )
    return _nack(exc.status_code, code, str(exc.detail))


def on_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Anything but a `HutongError` reaching the edge is a bug: logged with the request's id.

    Except a lost database (a failover under way): that is 503
    `database_unavailable`, which the sender may send again as it was.
    """
    if database_lost(exc):
        log.warning("database unavailable", extra={"path": request.scope.get("path")})
        return on_hutong_error(request, database_unavailable())
    state = request.scope.get("state") or {}
    log.error(
        "unhandled error",
        exc_info=exc,
        extra={
            "request_id": state.get(REQUEST_ID_STATE_KEY),
            "method": request.scope.get("method"),
            "path": request.scope.get("path"),
        },
    )
    return _nack(500, "internal_error", "the switch failed to answer; the error was logged")


async def _sweep_messages(services: Services, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            await message_records.prune(services)
        except Exception:
            log.exception("sweeping expired message ids failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=MAINTENANCE_INTERVAL)


async def _expire_holds(services: Services, stop: asyncio.Event) -> None:
    """Release ledger holds whose timeout passed (posts after that are refused anyway)."""
    while not stop.is_set():
        try:
            async with services.db.transaction() as conn:
                await expire_pending(conn, services.clock())
        except Exception:
            log.exception("expiring ledger holds failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=HOLD_EXPIRY_INTERVAL)


def create_app(services: Services, *, run_background: bool | None = None) -> Litestar:
    """The switch as an ASGI app; background loops run when `run_background` (default: settings)."""
    background = services.settings.run_delivery if run_background is None else run_background

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        # The Services in the app's state, as every route reads them: a test harness
        # may serve one app for many Services in turn (tests/harness/switch.py).
        services = services_of(app.state)
        settings = services.settings
        await services.load_switch_key(
            private_key=settings.extra.get("switch_private_key", ""),
            key_id=settings.extra.get("switch_key_id", ""),
        )
        stop = asyncio.Event()
        tasks: list[asyncio.Task[None]] = []
        heartbeat: Heartbeat | None = None
        if settings.claim_takeover_after > 0:
            # Before any claim: a claim names a process whose row exists.
            heartbeat = Heartbeat(settings.database_url, services.db.limits)
            services.process_id = await heartbeat.start()
            tasks.append(asyncio.create_task(heartbeat.run(stop)))
        worker: DeliveryWorker | None = None
        if background:
            worker = DeliveryWorker(services)
            tasks.append(asyncio.create_task(worker.run(stop)))
            tasks.append(asyncio.create_task(_sweep_messages(services, stop)))
            tasks.append(asyncio.create_task(_expire_holds(services, stop)))
            tasks.append(asyncio.create_task(run_deadlines(services, stop)))
            tasks.append(asyncio.create_task(run_jobs(services, stop)))
        try:
            yield
        finally:
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            if worker is not None:
                await worker.close()
            await close_call_transport()
            await call_journal.settled(services)
            await services.batcher().close()
            await services.keys().close()
            await services.ledger().close()
            await services.resolver().close()
            if heartbeat is not None:
                services.process_id = None
                await heartbeat.stop()
            await services.db.dispose()

    prometheus = PrometheusConfig(app_name="hutong", prefix="hutong", group_path=True)

    app = Litestar(
        route_handlers=[
            public.healthz,
            public.echo,
            public.well_known,
            public.lookup_route,
            beckn_registry.router,
            beckn_registry.operator_router,
            beckn_gateway.router,
            public.openapi_json,
            operator.router,
            participant.router,
            ledger.operator_router,
            ledger.participant_router,
            links.participant_router,
            livestreams.participant_router,
            discovery.participant_router,
            *links.public_handlers,
            *resolver.public_handlers,
            logistics.router,
            shipments.router,
            payments.router,
            pay_for_me.router,
            orders.router,
            *pay_pages.public_handlers,
            transfers.router,
            points.router,
            coupons.router,
            app_links.operator_router,
            *app_links.public_handlers,
            commerce.participant_router,
            commerce.operator_router,
            groups.operator_router,
            groups.participant_router,
            evidence.participant_router,
            evidence.operator_router,
            audit.participant_router,
            audit.operator_router,
            settlement.operator_router,
            liquidity.operator_router,
            settlement.participant_router,
            dashboard.operator_router,
            *dashboard.public_handlers,
            PrometheusController,
        ],
        state=State({"services": services}),
        dependencies=DEPENDENCIES,
        request_class=StrictRequest,
        lifespan=[lifespan],
        middleware=[RequestLogMiddleware(), prometheus.middleware, NulFreeRequestLine()],
        before_send=[tag_unrouted],
        exception_handlers={
            HutongError: on_hutong_error,
            ValidationException: on_validation_error,
            NotFoundException: on_http_error,
            HTTPException: on_http_error,
            Exception: on_unexpected,
        },
        openapi_config=OpenAPIConfig(
            title="Hutong switch",
            version=__version__,
            description=(
                "Participants sign every request with Beckn 1.1 HTTP signatures; "
                "the operator uses a bearer token."
            ),
            path="/docs",
            render_plugins=[SwaggerRenderPlugin(path="/")],
            components=Components(
                security_schemes={
                    "beckn": SecurityScheme(
                        type="apiKey",
                        name="Authorization",
                        security_scheme_in="header",
                        description='Signature keyId="sub|kid|ed25519",algorithm="ed25519",...',
                    ),
                    "operatorToken": SecurityScheme(type="http", scheme="bearer"),
                }
            ),
        ),
        debug=False,
        # Logs are configured by `hutong.logs` (JSON lines), not by Litestar.
        logging_config=None,
    )
    return document_refusals(app)
