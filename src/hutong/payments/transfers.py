"""Wallet-to-wallet transfers: quote, two-phase execute, expiry.

(The service arrives in the next commits; `expire_due` exists so the deadlines
loop can call it.)
"""

from __future__ import annotations

from hutong.api.services import Services


async def expire_due(services: Services, limit: int = 200) -> int:
    """Expire transfers past their deadline; returns how many changed."""
    del services, limit
    return 0
