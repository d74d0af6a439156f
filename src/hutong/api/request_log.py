"""One structured log line per request, with a request id and the message id."""

from __future__ import annotations

import logging
import time

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from hutong.api.auth import SIGNED_STATE_KEY
from hutong.protocol.ids import new_id

log = logging.getLogger("hutong.http")

REQUEST_ID_STATE_KEY = "hutong.request_id"


def _request_id_from(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            return value.decode("latin-1")[:64]
    return new_id("req")


async def tag_unrouted(message: Message, scope: Scope) -> None:
    """A `before_send` hook: answers that never reached a route (404, 405) get
    a request id and a log line too, since app middleware runs only on routes."""
    if message["type"] != "http.response.start" or scope.get("type") != ScopeType.HTTP:
        return
    state = scope.setdefault("state", {})
    if REQUEST_ID_STATE_KEY in state:
        return
    request_id = state[REQUEST_ID_STATE_KEY] = _request_id_from(scope)
    headers = list(message.get("headers", []))
    headers.append((b"x-request-id", request_id.encode()))
    message["headers"] = headers
    log.info(
        "request",
        extra={
            "request_id": request_id,
            "method": scope.get("method"),
            "path": scope.get("path"),
            "status": message["status"],
            "routed": False,
        },
    )


class RequestLogMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        started = time.perf_counter()
        request_id = _request_id_from(scope)
        scope.setdefault("state", {})[REQUEST_ID_STATE_KEY] = request_id
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await next_app(scope, receive, send_with_id)
        finally:
            if log.isEnabledFor(logging.INFO):
                signed = (scope.get("state") or {}).get(SIGNED_STATE_KEY)
                log.info(
                    "request",
                    extra={
                        "request_id": request_id,
                        "method": scope.get("method"),
                        "path": scope["path"],
                        "status": status,
                        "ms": round((time.perf_counter() - started) * 1000, 2),
                        "sender": getattr(signed, "subscriber_id", None),
                        "message_id": getattr(signed, "message_id", None),
                    },
                )
