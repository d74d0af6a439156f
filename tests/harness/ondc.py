"""Signatures made the way ONDC's reference utilities make them, with nothing of Hutong.

Plain `cryptography` and `hashlib`, following ONDC's `cryptic_utils`
(`create_signing_string`, `sign_response`, `create_authorisation_header`)
and BECKN-006: BLAKE2b-512 digest of the body, the three-line signing
string, ed25519, one hour of lifetime, and the header wrapped in quotes.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
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
