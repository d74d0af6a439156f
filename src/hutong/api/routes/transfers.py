"""Wallet-to-wallet transfers API: alias directory, quotes, two-phase transfers.

(Handlers arrive in the next commits; the router exists so the app can mount it.)
"""

from __future__ import annotations

from litestar import Router

from hutong.api.auth import SignedRequestMiddleware

router = Router(
    path="/v1",
    route_handlers=[],
    middleware=[SignedRequestMiddleware()],
    tags=["transfers"],
    security=[{"beckn": []}],
)
