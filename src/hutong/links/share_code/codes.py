"""A share code itself: the alphabet, the serial and its MAC, verifying, expiry, wrapping.

``code = serial || mac`` (`hutong.links.share_code` describes the format);
`make_code` writes one, `verify_code` reads one back or refuses it, `wrap`
puts one inside the sentence people share.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

from hutong.links.share_code.normalize import is_marker, normalize
from hutong.protocol.errors import ValidationError

__all__ = [
    "ALPHABET",
    "BASE",
    "CODE_LENGTHS",
    "DEFAULT_SENTENCE",
    "MAC_LENGTH",
    "MAX_SERIAL",
    "ParsedCode",
    "Reason",
    "ShareCodeError",
    "check_expiry",
    "check_key",
    "make_code",
    "verify_code",
    "verify_token",
    "wrap",
]

ALPHABET: Final = "23456789ACDEFGHJKMNPQRTUWXY"
"""The 27 characters of a share code: no 0/O, 1/I/L, Z, S, B or V."""

BASE: Final = len(ALPHABET)
MAC_LENGTH: Final = 6
SERIAL_MIN_WIDTH: Final = 4
SERIAL_MAX_WIDTH: Final = 8
CODE_LENGTHS: Final = range(SERIAL_MIN_WIDTH + MAC_LENGTH, SERIAL_MAX_WIDTH + MAC_LENGTH + 1)
"""Lengths of a well-formed code: 10 to 14."""
MAX_SERIAL: Final = BASE**SERIAL_MAX_WIDTH - 1
DEFAULT_SENTENCE: Final = "【互通】{marked} 复制这段话打开"

_MAC_MODULUS: Final = BASE**MAC_LENGTH
_PERSON: Final = b"hutong-share-v1"
_VALUES: Final = {char: value for value, char in enumerate(ALPHABET)}
_MIN_KEY: Final = 16
_MAX_KEY: Final = 64

Reason = Literal["malformed", "forged", "unknown", "expired"]


class ShareCodeError(ValidationError):
    """A share code refused, with a stable ``reason`` the caller records.

    ``reason`` is one of ``malformed`` (not a code's shape), ``forged`` (forged
    or altered: the MAC does not match), ``unknown`` (a genuine code the switch
    no longer has) and ``expired``. The error code is ``share_code_<reason>``.
    """

    def __init__(self, reason: Reason, token: str, detail: str) -> None:
        named = f"The share code {token}" if token else "The share code"
        super().__init__(f"{named} is refused: {detail}.", code=f"share_code_{reason}")
        self.reason: Reason = reason
        self.token = token
        self.detail = detail


@dataclass(frozen=True, slots=True)
class ParsedCode:
    """A code whose MAC checked out: the caller looks up ``serial``."""

    code: str
    serial: int


def check_key(key: bytes) -> None:
    if not _MIN_KEY <= len(key) <= _MAX_KEY:
        raise ValueError(f"a share-code key has {_MIN_KEY} to {_MAX_KEY} bytes, not {len(key)}")


def _encode(value: int, width: int) -> str:
    chars = []
    for _ in range(width):
        value, digit = divmod(value, BASE)
        chars.append(ALPHABET[digit])
    return "".join(reversed(chars))


def _decode(chars: str) -> int:
    value = 0
    for char in chars:
        value = value * BASE + _VALUES[char]
    return value


def _mac(serial_chars: str, key: bytes) -> str:
    digest = hashlib.blake2b(
        serial_chars.encode("ascii"), key=key, digest_size=8, person=_PERSON
    ).digest()
    return _encode(int.from_bytes(digest, "big") % _MAC_MODULUS, MAC_LENGTH)


def make_code(serial: int, key: bytes) -> str:
    """The share code for ``serial`` under the switch's ``key`` (16-64 bytes)."""
    check_key(key)
    if not 0 <= serial <= MAX_SERIAL:
        raise ValueError(f"a share-code serial is 0 to {MAX_SERIAL}, not {serial}")
    width = SERIAL_MIN_WIDTH
    while serial >= BASE**width:
        width += 1
    serial_chars = _encode(serial, width)
    return serial_chars + _mac(serial_chars, key)


def _canonical(code: str) -> str:
    """Full-width, zero-width, spaces and case forgiven: ``８fk2 mqx7rp`` -> ``8FK2MQX7RP``."""
    text = "".join(normalize(code).split())
    return text.upper() if text.isascii() else text


def _malformed(token: str) -> ShareCodeError | None:
    if token == "":
        return ShareCodeError("malformed", token, "it is empty")
    strangers = sorted({char for char in token if char not in _VALUES})
    if strangers:
        listed = " ".join(strangers)
        return ShareCodeError("malformed", token, f"{listed} cannot appear in a share code")
    if len(token) not in CODE_LENGTHS:
        return ShareCodeError(
            "malformed",
            token,
            f"a share code has {CODE_LENGTHS.start} to {CODE_LENGTHS.stop - 1} characters, "
            f"not {len(token)}",
        )
    return None


def verify_token(token: str, key: bytes) -> int:
    error = _malformed(token)
    if error is not None:
        raise error
    serial = _decode(token[:-MAC_LENGTH])
    if not hmac.compare_digest(make_code(serial, key), token):
        raise ShareCodeError("forged", token, "it is forged or altered")
    return serial


def verify_code(code: str, key: bytes) -> int:
    """The serial of ``code``, or :class:`ShareCodeError` (``malformed``/``forged``).

    Case, full-width characters, zero-width characters and whitespace are
    forgiven; nothing else is.
    """
    check_key(key)
    return verify_token(_canonical(code), key)


def check_expiry(expires_at: datetime, now: datetime, code: str = "") -> None:
    """Refuse (``expired``) at and after ``expires_at``; both times timezone-aware."""
    if now >= expires_at:
        raise ShareCodeError("expired", code, f"it expired at {expires_at.isoformat()}")


def wrap(code: str, marker: str = "₴", text: str = DEFAULT_SENTENCE) -> str:
    """The human sentence to share: ``text`` with ``{marked}`` replaced by the marked code.

    ``marker`` is any one currency symbol (₴, ￥, €, ¢, ₤, $ ...).
    """
    if len(marker) != 1 or not is_marker(marker):
        raise ValueError(f"a share-code marker is one currency symbol, not {marker!r}")
    if "{marked}" not in text:
        raise ValueError("the sentence needs a {marked} placeholder for the code")
    token = _canonical(code)
    error = _malformed(token)
    if error is not None:
        raise ValueError(error.message)
    return text.replace("{marked}", f"{marker}{token}{marker}")
