"""Points exchange between membership programs (work in progress).

A program publishes exchange offers; an exchange debits a member's points at
program A, asks program B to issue the benefit, and commits both or neither.
"""

from __future__ import annotations

from hutong.api.services import Services


async def expire_due(services: Services, limit: int = 200) -> int:
    """Cancel exchanges left held past their deadline; how many."""
    return 0
