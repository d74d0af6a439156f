"""Signatures made the way ONDC's reference utilities make them, with nothing of Hutong.

Plain `cryptography` and `hashlib`, following ONDC's `cryptic_utils`
(`create_signing_string`, `sign_response`, `create_authorisation_header`)
and BECKN-006: BLAKE2b-512 digest of the body, the three-line signing
string, ed25519, one hour of lifetime, and the header wrapped in quotes.
"""

from __future__ import annotations

import base64
import hashlib
import re

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

#: What the ONDC utilities and the BECKN-006 example sign for.
ONE_HOUR = 3600


class OndcKey:
    """An ed25519 key as an ONDC participant holds it (base64 raw public key)."""

    def __init__(self) -> None:
        self._key = Ed25519PrivateKey.generate()
        raw = self._key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.public_key = base64.b64encode(raw).decode()

    def sign(self, text: bytes) -> str:
        return base64.b64encode(self._key.sign(text)).decode()


def signing_string(body: bytes, created: int, expires: int) -> bytes:
    digest = base64.b64encode(hashlib.blake2b(body, digest_size=64).digest()).decode()
    return f"(created): {created}\n(expires): {expires}\ndigest: BLAKE-512={digest}".encode()


def authorisation_header(
    key: OndcKey,
    body: bytes,
    created: int,
    *,
    key_id: str,
    lifetime: int = ONE_HOUR,
    headers: str = "(created) (expires) digest",
    wrap: bool = True,
) -> str:
    """`create_authorisation_header`: `key_id` is the keyId (`sub|ukid|ed25519` or less)."""
    expires = created + lifetime
    signature = key.sign(signing_string(body, created, expires))
    header = (
        f'Signature keyId="{key_id}",algorithm="ed25519",created="{created}",'
        f'expires="{expires}",headers="{headers}",signature="{signature}"'
    )
    return f'"{header}"' if wrap else header


def verify_header(header: str, body: bytes, public_key: str, now: int) -> str:
    """Check a Beckn `Authorization` header over `body` with a base64 raw ed25519 key, as
    ONDC's `verify_authorisation_header` does; returns the keyId. Raises on any failure
    (`cryptography`'s InvalidSignature, or AssertionError for the window or the shape)."""
    unwrapped = header[1:-1] if header.startswith('"') else header
    fields = dict(re.findall(r'(\w+)="([^"]*)"', unwrapped))
    created, expires = int(fields["created"]), int(fields["expires"])
    assert created <= now <= expires, f"outside its window: {created}..{expires} at {now}"
    assert fields["headers"].replace(" ", "") == "(created)(expires)digest", fields["headers"]
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key))
    key.verify(base64.b64decode(fields["signature"]), signing_string(body, created, expires))
    return fields["keyId"]
