"""A Beckn answer is a NACK only when its `message.ack.status` says so."""

from __future__ import annotations

import pytest

from hutong.protocol.ack import nack_of


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            b'{"message":{"ack":{"status":"NACK"}},"error":{"code":"30000","message":"no"}}',
            "30000 no",
        ),
        (b'{"message":{"ack":{"status":"NACK"}},"error":{"code":"30000"}}', "30000"),
        (b'{"message":{"ack":{"status":"NACK"}}}', "no error given"),
        (b'{"message":{"ack":{"status":"ACK"}}}', None),
        (b"", None),
        (b"OK", None),
        (b"[1]", None),
        (b'{"message":"NACK"}', None),
    ],
)
def test_what_reads_as_a_nack(body: bytes, expected: str | None) -> None:
    assert nack_of(body) == expected
