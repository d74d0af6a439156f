"""Signing test vectors shared by the protocol and CLI tests."""

from __future__ import annotations

from dataclasses import dataclass

GOLDEN_SIGNATURE = (
    "vqtLtKB/ghJq+KrP4nZ+D1e9OaPvzsZewYR0AdUE1ku4lTewGxnWg7tBOVLkERae5lIBgMcVs8vU57mJh46qDw=="
)


BODY = b'{"context":{"domain":"ONDC:RET10","action":"search"},"message":{}}'


GOLDEN_HEADER = (
    'Signature keyId="buyer.example.com|k1|ed25519",algorithm="ed25519",'
    'created="1700000000",expires="1700000300",'
    'headers="(created) (expires) digest",'
    f'signature="{GOLDEN_SIGNATURE}"'
)


@dataclass(frozen=True)
class Example:
    method: str
    path: str
    body: bytes
    signing_string: str
    header: str


EXAMPLES = {
    "get-with-query": Example(
        method="GET",
        path="/v1/orders/o-1?x=1",
        body=b"",
        signing_string=(
            "(created): 1700000000\n"
            "(expires): 1700000300\n"
            "(request-target): get /v1/orders/o-1?x=1\n"
            "digest: BLAKE-512=eGoC90IBWQPGxv2FJVLScpEvR0DhWEdhiobiF/cfVBnSXhAxr+5YUxOJZESTTrBLkDpo"
            "WxRIt1XVb3Aa/pvizg=="
        ),
        header=(
            'Signature keyId="buyer.example.com|k1|ed25519",algorithm="ed25519",'
            'created="1700000000",expires="1700000300",'
            'headers="(created) (expires) (request-target) digest",'
            'signature="uoZKOUM1XtJWwUeCdHUfiftXEnbEC8ItZA5aHciIYUB2oAYWfh3V0QKKnBLcHMU8kITKHAaD'
            'yYn86nteI/SoCQ=="'
        ),
    ),
    "post-with-body": Example(
        method="POST",
        path="/v1/shipments/shp_1/cancel",
        body=b'{"context":{"message_id":"cancel-1"},"message":{}}',
        signing_string=(
            "(created): 1700000000\n"
            "(expires): 1700000300\n"
            "(request-target): post /v1/shipments/shp_1/cancel\n"
            "digest: BLAKE-512=O8EEpF+nMM7kDBmrvQjHvTlrFiq55XjOAaiUFGeH2hfSMgLRz0EBipjQXf66ixYX"
            "va1xPPG826ar7kCQXQpHWg=="
        ),
        header=(
            'Signature keyId="buyer.example.com|k1|ed25519",algorithm="ed25519",'
            'created="1700000000",expires="1700000300",'
            'headers="(created) (expires) (request-target) digest",'
            'signature="xq5wj1/27ykYejccWcPfbXNjP8+Ru4Q1vlVgT/r6DWKSq0cP4YvYwSURgQ4EUIDn37PIAoO6'
            '1/5YwpQkH4jtBg=="'
        ),
    ),
}
