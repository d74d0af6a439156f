"""Asking a wallet or a program to decide a step: one signed call, retried as configured.

The message id is the step's own (derived from what it is about), so a retry
of the same request asks with the same id and the participant answers it the
same way: a wallet never holds or charges twice, a program never issues twice.
"""

from __future__ import annotations

from typing import Any

from hutong.net.calls import call
from hutong.net.transport import CallTransport
from hutong.runtime.services import Services

__all__ = ["ask_wallet"]


def _http_options(services: Services) -> dict[str, Any]:
    return {
        "timeout": services.settings.wallet_call_timeout,
        "attempts": services.settings.wallet_call_attempts,
    }


async def ask_wallet(
    services: Services,
    http: CallTransport,
    wallet: str,
    action: str,
    message: dict[str, Any],
    message_id: str,
    *,
    on_behalf_of: str = "",
) -> dict[str, Any]:
    """Ask `wallet` (or a program) to decide `action`, for the platform `on_behalf_of`."""
    return await call(
        services,
        http,
        wallet,
        action,
        message,
        message_id=message_id,
        on_behalf_of=on_behalf_of,
        **_http_options(services),
    )
