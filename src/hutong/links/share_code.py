"""Share codes (口令): short MAC-protected tokens that survive copy and paste.

Where a host app still blocks links, a placement travels as a share code
wrapped in marker characters inside a human sentence, the way 淘口令 did::

    【互通】₴8FK2MQX7RP₴ 复制这段话打开

Format
    ``code = serial || mac``, 10 to 14 characters in all.

    * ``serial`` is the number the switch assigned to this code when it stored
      it with its placement and expiry. It is written in :data:`ALPHABET`, most
      significant character first, in the fewest characters that hold it but at
      least 4 and at most 8 (so up to 27**8 - 1, about 2.8e11 codes).
    * ``mac`` is 6 characters: keyed BLAKE2b (personalised ``hutong-share-v1``)
      over the serial characters, reduced modulo 27**6. Without the switch's key
      a guessed or altered code passes with odds of 1 in 27**6 = 387,420,489
      per attempt, so forgeries are refused before any database lookup.

    Only the canonical spelling of a serial carries its MAC (the switch never
    pads a serial beyond what it needs), so a code cannot be lengthened or
    re-padded without being refused either.

Alphabet
    27 characters: the digits 2-9 and the upper-case letters without the
    letters people confuse with them or with each other (no 0/O, 1/I/L, Z
    (2), S (5), B (8), V (U)). Codes are written in upper case and read case
    insensitively: people retype codes they see in a chat, and lower case ``l``,
    ``g`` or ``q`` never have to be told apart because they are either outside
    the alphabet or mean the same as their capitals. The price is under one
    bit per character compared to a case-sensitive alphabet, bought back by
    the length.

Finding codes in pasted text
    :func:`normalize` strips invisible characters (format characters such as
    zero-width spaces and joiners, BOM, bidi marks, variation selectors, Hangul
    fillers) and applies NFKC, which turns full-width letters and digits into
    ASCII. Currency symbols (Unicode category Sc) are the markers; they are
    kept as they are (a full-width one becomes its ordinary form: ￥ -> ¥).

    :func:`find_candidates` then looks for

    * *claimed* candidates: the text between two consecutive markers with its
      whitespace removed (line breaks inside a code are forgiven), if it is 8 to
      16 ASCII letters and digits; and a well-formed run that touches a marker
      on one side (the other marker was lost);
    * *bare* candidates: maximal runs of alphabet characters, 10 to 14 long,
      with no marker (both markers were lost in copying).

    :func:`parse` verifies candidates in the order they appear: the first valid
    one wins. If none is valid, the first claimed candidate's refusal is raised
    (``malformed`` or ``forged``) so the caller can record it; bare candidates
    that fail are ordinary words and are ignored. With no claimed candidate at
    all :func:`parse` returns ``None``.

Expiry
    The switch stores the expiry with the serial; :func:`check_expiry` refuses a
    code at or after that instant, and :func:`first_live` picks the first code
    of a :class:`Scan` that is known and not expired, given the expiries the
    caller looked up for :attr:`Scan.serials`.

Everything here is pure: no I/O, no clock (``now`` is passed in).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

from hutong.protocol.errors import ValidationError

__all__ = [
    "ALPHABET",
    "CODE_LENGTHS",
    "DEFAULT_SENTENCE",
    "MAC_LENGTH",
    "MAX_SERIAL",
    "ParsedCode",
    "Reason",
    "Scan",
    "ShareCodeError",
    "check_expiry",
    "find_candidates",
    "first_live",
    "make_code",
    "normalize",
    "parse",
    "scan",
    "verify_code",
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

# Text between two markers this long (letters and digits only) is taken as a
# claimed code even when it is not well-formed, so a mistyped code is refused
# as "malformed" instead of silently not found.
_CLAIM_LENGTHS: Final = range(CODE_LENGTHS.start - 2, CODE_LENGTHS.stop + 2)

_MAC_MODULUS: Final = BASE**MAC_LENGTH
_PERSON: Final = b"hutong-share-v1"
_VALUES: Final = {char: value for value, char in enumerate(ALPHABET)}
_RUN: Final = re.compile(f"[{ALPHABET}{ALPHABET.lower()}]+")
_MIN_KEY: Final = 16
_MAX_KEY: Final = 64

# Invisible characters that are not format characters (category Cf, which are
# stripped as a whole): variation selectors, the combining grapheme joiner and
# the Hangul fillers that chat apps render as nothing.
_INVISIBLE_EXTRA: Final = frozenset(
    [chr(c) for c in range(0xFE00, 0xFE10)]
    + [chr(c) for c in range(0xE0100, 0xE01F0)]
    + ["\u034f", "\u115f", "\u1160", "\u3164", "\uffa0"]
)

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


@dataclass(frozen=True, slots=True)
class Scan:
    """Every candidate of a text, verified, in the order they appear.

    ``outcomes`` holds a :class:`ParsedCode` for each valid code and a
    :class:`ShareCodeError` for each refused claimed candidate.
    """

    outcomes: tuple[ParsedCode | ShareCodeError, ...]

    @property
    def codes(self) -> tuple[ParsedCode, ...]:
        return tuple(o for o in self.outcomes if isinstance(o, ParsedCode))

    @property
    def refusals(self) -> tuple[ShareCodeError, ...]:
        return tuple(o for o in self.outcomes if isinstance(o, ShareCodeError))

    @property
    def serials(self) -> tuple[int, ...]:
        """The serials to look up (placement and expiry) for :func:`first_live`."""
        return tuple(code.serial for code in self.codes)


# -- the code itself ---------------------------------------------------------


def _check_key(key: bytes) -> None:
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
    _check_key(key)
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


def _verify(token: str, key: bytes) -> int:
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
    _check_key(key)
    return _verify(_canonical(code), key)


def check_expiry(expires_at: datetime, now: datetime, code: str = "") -> None:
    """Refuse (``expired``) at and after ``expires_at``; both times timezone-aware."""
    if now >= expires_at:
        raise ShareCodeError("expired", code, f"it expired at {expires_at.isoformat()}")


def _is_marker(char: str) -> bool:
    return unicodedata.category(char) == "Sc"


def wrap(code: str, marker: str = "₴", text: str = DEFAULT_SENTENCE) -> str:
    """The human sentence to share: ``text`` with ``{marked}`` replaced by the marked code.

    ``marker`` is any one currency symbol (₴, ￥, €, ¢, ₤, $ ...).
    """
    if len(marker) != 1 or not _is_marker(marker):
        raise ValueError(f"a share-code marker is one currency symbol, not {marker!r}")
    if "{marked}" not in text:
        raise ValueError("the sentence needs a {marked} placeholder for the code")
    token = _canonical(code)
    error = _malformed(token)
    if error is not None:
        raise ValueError(error.message)
    return text.replace("{marked}", f"{marker}{token}{marker}")


# -- finding codes in pasted text -------------------------------------------


def _strip_invisible(text: str) -> str:
    return "".join(
        char for char in text if char not in _INVISIBLE_EXTRA and unicodedata.category(char) != "Cf"
    )


def _normal_marker(char: str) -> str:
    folded = unicodedata.normalize("NFKC", char)
    return folded if len(folded) == 1 and _is_marker(folded) else char


def normalize(text: str) -> str:
    """Pasted text as the parser reads it: invisible characters gone, NFKC applied.

    Currency symbols are kept as markers (₨ is not spelt out as ``Rs``) and
    NFKC is applied to the text between them, so nothing ever merges across a
    marker.
    """
    text = _strip_invisible(text)
    parts: list[str] = []
    start = 0
    for index, char in enumerate(text):
        if _is_marker(char):
            parts.append(unicodedata.normalize("NFKC", text[start:index]))
            parts.append(_normal_marker(char))
            start = index + 1
    parts.append(unicodedata.normalize("NFKC", text[start:]))
    return _strip_invisible("".join(parts))


@dataclass(frozen=True, slots=True)
class _Candidate:
    position: int
    token: str
    claimed: bool


def _candidates(text: str) -> list[_Candidate]:
    normal = normalize(text)
    found: list[_Candidate] = []
    markers = [index for index, char in enumerate(normal) if _is_marker(char)]
    for left, right in itertools.pairwise(markers):
        token = "".join(normal[left + 1 : right].split())
        if len(token) in _CLAIM_LENGTHS and token.isascii() and token.isalnum():
            found.append(_Candidate(left + 1, token.upper(), claimed=True))
    for run in _RUN.finditer(normal):
        if len(run.group()) in CODE_LENGTHS:
            touches = (run.start() > 0 and _is_marker(normal[run.start() - 1])) or (
                run.end() < len(normal) and _is_marker(normal[run.end()])
            )
            found.append(_Candidate(run.start(), run.group().upper(), claimed=touches))
    found.sort(key=lambda candidate: candidate.position)
    once: dict[str, _Candidate] = {}
    for candidate in found:
        earlier = once.get(candidate.token)
        if earlier is None:
            once[candidate.token] = candidate
        elif candidate.claimed and not earlier.claimed:
            once[candidate.token] = _Candidate(earlier.position, earlier.token, claimed=True)
    return list(once.values())


def find_candidates(text: str) -> list[str]:
    """Every token in ``text`` that may be a share code, upper-cased, in order, once each."""
    return [candidate.token for candidate in _candidates(text)]


def scan(text: str, key: bytes) -> Scan:
    """Verify every candidate of ``text``: valid codes and refused claimed candidates."""
    _check_key(key)
    outcomes: list[ParsedCode | ShareCodeError] = []
    for candidate in _candidates(text):
        try:
            outcomes.append(ParsedCode(candidate.token, _verify(candidate.token, key)))
        except ShareCodeError as error:
            if candidate.claimed:
                outcomes.append(error)
    return Scan(tuple(outcomes))


def parse(text: str, key: bytes) -> ParsedCode | None:
    """The first valid code in ``text``; else the first claimed candidate's refusal.

    Returns ``None`` when the text claims no code at all. Expiry is not checked
    here (the switch keeps it): use :func:`check_expiry` or :func:`first_live`.
    """
    found = scan(text, key)
    if found.codes:
        return found.codes[0]
    if found.refusals:
        raise found.refusals[0]
    return None


def first_live(found: Scan, expiries: Mapping[int, datetime], now: datetime) -> ParsedCode | None:
    """The first code of ``found`` that the switch knows and that has not expired.

    ``expiries`` maps the serials the switch found (out of ``found.serials``) to
    their expiry. If no code is live, the first refusal in text order is raised
    (``malformed``, ``forged``, ``unknown`` or ``expired``); with no candidate
    at all the answer is ``None``.
    """
    first_error: ShareCodeError | None = None
    for outcome in found.outcomes:
        if isinstance(outcome, ParsedCode):
            expires_at = expiries.get(outcome.serial)
            if expires_at is None:
                outcome_error = ShareCodeError(
                    "unknown", outcome.code, "this switch has no such code"
                )
            else:
                try:
                    check_expiry(expires_at, now, outcome.code)
                except ShareCodeError as error:
                    outcome_error = error
                else:
                    return outcome
        else:
            outcome_error = outcome
        if first_error is None:
            first_error = outcome_error
    if first_error is not None:
        raise first_error
    return None
