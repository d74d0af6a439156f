"""The HTTP server's own refusals are NACKs with a code, like every other refusal.

A request uvicorn's parser cannot read (`Content-Length: -1`, a header line
that is not a header, a broken request line) never reaches the app: uvicorn
answers `400 Invalid HTTP request received.` in plain text. Clients read
`error.code` from every refusal, so the switch serves with these protocol
classes, which answer the same 400 as `{"message": {"ack": {"status":
"NACK"}}, "error": {"code": "malformed_http", ...}}`. The connection is
closed after it, as uvicorn does: nothing after a broken request is framed.
"""

from __future__ import annotations

import asyncio
import http
import json
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

from hutong.api.errors import status_of
from hutong.protocol.errors import HutongError, Kind

__all__ = ["HTTP_PROTOCOL", "MALFORMED_HTTP", "NackingH11Protocol", "refusal_bytes"]

MALFORMED_HTTP = HutongError(
    "the request is not readable HTTP/1.1: check the request line, the headers"
    " and Content-Length (a non-negative decimal number)",
    code="malformed_http",
    kind=Kind.MALFORMED,
)


def refusal_bytes(error: HutongError, default_headers: list[tuple[bytes, bytes]]) -> bytes:
    """A complete HTTP/1.1 response refusing with `error`, then closing."""
    status = status_of(error)
    payload = json.dumps(error.body(), ensure_ascii=False).encode()
    lines = [f"HTTP/1.1 {status} {http.HTTPStatus(status).phrase}\r\n".encode()]
    lines += [name + b": " + value + b"\r\n" for name, value in default_headers]
    lines += [
        b"content-type: application/json\r\n",
        b"content-length: " + str(len(payload)).encode() + b"\r\n",
        b"cache-control: no-store\r\n",
        b"connection: close\r\n",
        b"\r\n",
        payload,
    ]
    return b"".join(lines)


def _refuse(protocol: Any) -> None:
    protocol.transport.write(refusal_bytes(MALFORMED_HTTP, protocol.server_state.default_headers))
    protocol.transport.close()


class NackingH11Protocol(H11Protocol):
    def send_400_response(self, msg: str) -> None:
        _refuse(self)


HTTP_PROTOCOL: type[asyncio.Protocol] = NackingH11Protocol

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # pragma: no cover - uvicorn without httptools parses with h11
    pass
else:

    class NackingHttpToolsProtocol(HttpToolsProtocol):
        def send_400_response(self, msg: str) -> None:
            _refuse(self)

    HTTP_PROTOCOL = NackingHttpToolsProtocol
