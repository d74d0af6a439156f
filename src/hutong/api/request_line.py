"""A request line with a NUL character in its path or query is refused before routing.

A NUL (U+0000, `%00` on the wire) in a path parameter or a query value would
reach the store, where PostgreSQL refuses it (SQLite takes it): it is
answered `nul_character` (400) here, for every route, signed or not, so the
two stores answer alike and nothing downstream sees one. Bodies are checked
by the one JSON reader (`hutong.protocol.strict_json`).
"""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from hutong.api.auth import send_error
from hutong.protocol.errors import NulCharacter

__all__ = ["NulFreeRequestLine", "nul_in_request_line"]


def nul_in_request_line(scope: Scope) -> bool:
    """Whether the decoded path, or the query as it will be decoded, holds a NUL."""
    path: str = scope.get("path", "")
    query: bytes = scope.get("query_string", b"")
    return "\x00" in path or b"\x00" in unquote_to_bytes(query)


class NulFreeRequestLine(ASGIMiddleware):
    """Answers a request whose path or query holds a NUL with `nul_character` (400)."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if nul_in_request_line(scope):
            error = NulCharacter("a NUL character (%00) cannot be stored: remove it from the URL")
            await send_error(send, error, str(scope.get("path", "")))
            return
        await next_app(scope, receive, send)
