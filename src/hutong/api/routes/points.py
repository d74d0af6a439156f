"""Points API: programs' exchange offers, point grants and exchanges (work in progress)."""

from __future__ import annotations

from litestar import Router

from hutong.api.auth import SignedRequestMiddleware

router = Router(
    path="/v1",
    route_handlers=[],
    middleware=[SignedRequestMiddleware()],
    tags=["points"],
    security=[{"beckn": []}],
)
