"""Beckn 1.1 HTTP signatures: BLAKE2b-512 digest, ed25519, the `Signature` header.

Pure code: nothing here reads a clock, a file or the network. Callers pass
`now` in, so a verification is repeatable.

There are exactly two signing strings. Hutong's own, which names the request
it was made for (the `(request-target)` of draft-cavage HTTP signatures)::

    (created): <unix>
    (expires): <unix>
    (request-target): <method in lower case> <path>[?<query>]
    digest: BLAKE-512=<base64 of BLAKE2b-512 of the body bytes>

and Beckn's, the same without the `(request-target)` line. Each has no
trailing newline; the lines come in the order the header's `headers=` names
them, and `headers=` must be exactly one of::

    headers="(created) (expires) (request-target) digest"
    headers="(created) (expires) digest"

The path and query are the bytes of the request line as the client sent them
(percent-encoding and all, nothing decoded or re-encoded). The header is::

    Signature keyId="<subscriber>|<key_id>|ed25519",algorithm="ed25519",
    created="<unix>",expires="<unix>",headers="<one of the above>",
    signature="<base64>"

Which of the two a verifier accepts for which request is its policy
(`hutong.api.auth`); this module only makes and checks them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

import nacl.exceptions
import nacl.signing

from hutong.protocol.signature_header import canonical_headers, split_key_id, unwrap

ALGORITHM = "ed25519"
#: The Beckn 1.1 components: nothing names the request, only its body.
SIGNED_HEADERS = "(created) (expires) digest"
#: Hutong's components: the method, path and query are signed too.
TARGET_SIGNED_HEADERS = "(created) (expires) (request-target) digest"
_HEADER_LISTS = (TARGET_SIGNED_HEADERS, SIGNED_HEADERS)


class SignatureError(Exception):
    """A signature was refused. `reason` is a short, stable phrase."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class MalformedHeader(SignatureError):
    """The Authorization header cannot be parsed."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"malformed header: {detail}")
        self.detail = detail


class KeyFormatError(ValueError):
    """A key is not valid base64 of the expected length."""


@dataclass(frozen=True, slots=True)
class SignatureHeader:
    subscriber_id: str
    key_id: str
    algorithm: str
    created: int
    expires: int
    headers: str
    signature: bytes

    @property
    def key_id_field(self) -> str:
        return f"{self.subscriber_id}|{self.key_id}|{self.algorithm}"

    @property
    def covers_target(self) -> bool:
        """Whether the signature names the request's method, path and query."""
        return self.headers == TARGET_SIGNED_HEADERS


@dataclass(frozen=True, slots=True)
class KeyPair:
    public_key: str
    private_key: str


def body_digest(body: bytes) -> str:
    """Base64 of the BLAKE2b-512 hash of the exact body bytes."""
    return base64.b64encode(hashlib.blake2b(body, digest_size=64).digest()).decode("ascii")


_METHOD = re.compile(r"[A-Za-z]+")
#: A request target is printable ASCII without spaces (RFC 9112 request-target).
_TARGET = re.compile(r"/[\x21-\x7e]*")


def request_target(method: str, path: str) -> str:
    """The `(request-target)` value: `get /v1/orders/o-1?x=1`.

    `path` is the path with its raw query string, exactly as on the request
    line. Anything that cannot be on a request line (spaces, control
    characters, non-ASCII, no leading slash) is refused with ValueError, so a
    target can never add a line to the signing string.
    """
    if not _METHOD.fullmatch(method):
        raise ValueError(f"not an HTTP method: {method!r}")
    if not _TARGET.fullmatch(path):
        raise ValueError(f"not a request path: {path!r}")
    return f"{method.lower()} {path}"


def signing_string(created: int, expires: int, digest: str, target: str | None = None) -> bytes:
    """The exact bytes signed; with `target`, Hutong's four lines, else Beckn's three."""
    named = "" if target is None else f"(request-target): {target}\n"
    return f"(created): {created}\n(expires): {expires}\n{named}digest: BLAKE-512={digest}".encode()


def _b64decode(value: str, what: str) -> bytes:
    try:
        return base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise KeyFormatError(f"{what} is not valid base64") from exc


def load_signing_key(private_key_b64: str) -> nacl.signing.SigningKey:
    """Accept a 32-byte seed or the 64-byte seed||public form, base64."""
    raw = _b64decode(private_key_b64, "private key")
    if len(raw) == 32:
        return nacl.signing.SigningKey(raw)
    if len(raw) == 64:
        key = nacl.signing.SigningKey(raw[:32])
        if bytes(key.verify_key) != raw[32:]:
            raise KeyFormatError("private key: the public half does not match the seed")
        return key
    raise KeyFormatError(f"private key must be 32 or 64 bytes, got {len(raw)}")


def load_verify_key(public_key_b64: str) -> nacl.signing.VerifyKey:
    raw = _b64decode(public_key_b64, "public key")
    if len(raw) != 32:
        raise KeyFormatError(f"public key must be 32 bytes, got {len(raw)}")
    return nacl.signing.VerifyKey(raw)


def new_key_pair() -> KeyPair:
    """A fresh ed25519 key pair; the private key is given as the 32-byte seed."""
    key = nacl.signing.SigningKey.generate()
    return KeyPair(
        public_key=base64.b64encode(bytes(key.verify_key)).decode("ascii"),
        private_key=base64.b64encode(bytes(key)).decode("ascii"),
    )


def public_key_of(private_key_b64: str) -> str:
    return base64.b64encode(bytes(load_signing_key(private_key_b64).verify_key)).decode("ascii")


class Signer:
    """Signs bodies for one subscriber key. The key is decoded once."""

    __slots__ = ("_key", "key_id", "subscriber_id")

    def __init__(self, subscriber_id: str, key_id: str, private_key_b64: str) -> None:
        if "|" in subscriber_id or "|" in key_id:
            raise ValueError("subscriber id and key id must not contain '|'")
        self.subscriber_id = subscriber_id
        self.key_id = key_id
        self._key = load_signing_key(private_key_b64)

    def authorization(
        self, body: bytes, created: int, expires: int, *, target: str | None = None
    ) -> str:
        """The header value; `target` (see `request_target`) signs the request line too.

        Without a target this is a Beckn 1.1 signature, which the switch only
        takes for Beckn actions (`POST /v1/ping`); every other request needs one.
        """
        message = signing_string(created, expires, body_digest(body), target)
        signature = base64.b64encode(self._key.sign(message).signature).decode("ascii")
        headers = SIGNED_HEADERS if target is None else TARGET_SIGNED_HEADERS
        return (
            f'Signature keyId="{self.subscriber_id}|{self.key_id}|{ALGORITHM}",'
            f'algorithm="{ALGORITHM}",created="{created}",expires="{expires}",'
            f'headers="{headers}",signature="{signature}"'
        )

    def for_request(self, method: str, path: str, body: bytes, created: int, expires: int) -> str:
        """The header value for `method path` (raw path and query) with `body`."""
        return self.authorization(body, created, expires, target=request_target(method, path))


def make_authorization(
    body: bytes,
    *,
    private_key_b64: str,
    subscriber_id: str,
    key_id: str,
    created: int,
    expires: int,
    target: str | None = None,
) -> str:
    signer = Signer(subscriber_id, key_id, private_key_b64)
    return signer.authorization(body, created, expires, target=target)


_PARAM = re.compile(r'\s*([A-Za-z]+)\s*=\s*(?:"([^"]*)"|([^,\s"]*))\s*(?:,|$)')
_REQUIRED = ("keyId", "signature", "created", "expires")


def parse_authorization(header: str) -> SignatureHeader:
    """Parse a `Signature ...` header in any parameter order.

    Numbers may be quoted or not. The variants of other implementations
    (`hutong.protocol.signature_header`) read as the canonical header they
    stand for. Anything that is not exactly understood is refused with a
    reason naming the part at fault; a keyId without a key id gives
    `key_id == CURRENT_KEY`.
    """
    text = unwrap(header)
    if not text:
        raise MalformedHeader("empty")
    scheme, _, rest = text.partition(" ")
    if scheme.lower() != "signature":
        raise MalformedHeader("scheme must be Signature")
    params: dict[str, str] = {}
    position = 0
    rest = rest.strip()
    while position < len(rest):
        match = _PARAM.match(rest, position)
        if match is None or match.end() == position:
            raise MalformedHeader(f"cannot parse parameters at {rest[position : position + 20]!r}")
        name = match.group(1)
        value = match.group(2) if match.group(2) is not None else match.group(3)
        if name in params:
            raise MalformedHeader(f"{name} given twice")
        params[name] = value
        position = match.end()
    for name in _REQUIRED:
        if name not in params:
            raise MalformedHeader(f"{name} missing")
    parts = split_key_id(params["keyId"])
    if parts is None:
        raise MalformedHeader('keyId must be "subscriber_id|key_id|algorithm"')
    subscriber_id, key_id, key_algorithm = parts
    algorithm = params.get("algorithm", key_algorithm)
    if algorithm.lower() != ALGORITHM or key_algorithm.lower() != ALGORITHM:
        raise MalformedHeader(f"algorithm must be {ALGORITHM}")
    headers = canonical_headers(" ".join(params.get("headers", SIGNED_HEADERS).split()))
    if headers not in _HEADER_LISTS:
        raise MalformedHeader(f'headers must be "{TARGET_SIGNED_HEADERS}" or "{SIGNED_HEADERS}"')
    created = _parse_unix(params["created"], "created")
    expires = _parse_unix(params["expires"], "expires")
    try:
        signature = base64.b64decode(params["signature"], validate=True)
    except (binascii.Error, ValueError):
        raise MalformedHeader("signature is not valid base64") from None
    if len(signature) != 64:
        raise MalformedHeader("signature must be 64 bytes")
    return SignatureHeader(
        subscriber_id=subscriber_id,
        key_id=key_id,
        algorithm=ALGORITHM,
        created=created,
        expires=expires,
        headers=headers,
        signature=signature,
    )


def _parse_unix(value: str, name: str) -> int:
    # str.isdigit() also accepts non-ASCII digits ("١٢", "²"), which int()
    # either reads differently from what was signed or refuses with ValueError.
    if not (value.isascii() and value.isdigit()) or len(value) > 12:
        raise MalformedHeader(f"{name} must be a unix time in seconds")
    return int(value)


def check_window(
    header: SignatureHeader,
    now: int,
    *,
    skew: int = 0,
    max_lifetime: int | None = None,
) -> None:
    """Refuse a header whose created/expires window does not contain `now`."""
    if header.expires <= header.created:
        raise SignatureError("expires must be after created")
    if max_lifetime is not None and header.expires - header.created > max_lifetime:
        raise SignatureError("lifetime too long")
    if header.created > now + skew:
        raise SignatureError("not yet valid")
    if header.expires < now - skew:
        raise SignatureError("expired")


def verify_signature(
    header: SignatureHeader,
    body: bytes,
    verify_key: nacl.signing.VerifyKey,
    *,
    target: str | None = None,
) -> None:
    """Check the digest of `body` and the ed25519 signature; no clock involved.

    `target` is the `(request-target)` of the request that arrived; it is used
    when the header says the signature covers it, and then it must be given.
    Whether a signature that does not cover it is acceptable is the caller's
    decision (`header.covers_target`).
    """
    if header.covers_target and target is None:
        raise SignatureError("request target unknown")
    signed_target = target if header.covers_target else None
    message = signing_string(header.created, header.expires, body_digest(body), signed_target)
    try:
        verify_key.verify(message, header.signature)
    except nacl.exceptions.BadSignatureError:
        raise SignatureError("bad signature") from None


def verify_authorization(
    authorization: str,
    body: bytes,
    public_key_b64: str,
    *,
    now: int,
    skew: int = 0,
    max_lifetime: int | None = None,
    target: str | None = None,
) -> SignatureHeader:
    """Parse and verify a header against one public key. Returns the header.

    `target` is the `(request-target)` of the request (see `request_target`);
    a header covering it cannot be checked without it.

    The order of checks is fixed: parse, window, then signature. A tampered
    body and a tampered signature both fail as `bad signature`, because the
    digest travels only inside the signed string; `digest mismatch` is raised
    by `verify_with_digest_header` when a separate Digest header disagrees.
    """
    header = parse_authorization(authorization)
    check_window(header, now, skew=skew, max_lifetime=max_lifetime)
    verify_signature(header, body, load_verify_key(public_key_b64), target=target)
    return header


def verify_with_digest_header(digest_header: str | None, body: bytes) -> None:
    """Beckn senders may also send `Digest: BLAKE-512=<b64>`; it must match."""
    if digest_header is None:
        return
    name, _, value = digest_header.strip().partition("=")
    if name.strip().upper() != "BLAKE-512" or not value:
        raise MalformedHeader("Digest header must be BLAKE-512=<base64>")
    if value.strip() != body_digest(body):
        raise SignatureError("digest mismatch")
