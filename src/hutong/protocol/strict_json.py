"""Request bodies are JSON read one way, strictly, everywhere.

What is refused, as `malformed_json` (400): anything that is not RFC 8259
JSON in UTF-8: `NaN`, `Infinity`, numbers beyond a double, UTF-16 or any
other encoding, a byte-order mark, lone surrogates (`"\\ud800"`), trailing
commas. A string or key holding a NUL (`"\\u0000"`) is refused as
`nul_character` (400): PostgreSQL text cannot hold one (SQLite can, and the
two stores must answer alike). A body nested deeper than `MAX_DEPTH` arrays
and objects is refused as `json_too_deep` (400) before it is decoded: nothing
legitimate nests that deep, and a decoder (or what walks the result) would
otherwise recurse until the interpreter gives up.

The signature middleware, the routes' strict DTO and the plain JSON bodies
of the operator's routes all read bodies through this module (msgspec, which
has these rules), so they cannot disagree about what a body says.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

import msgspec

from hutong.protocol.errors import JSONTooDeep, MalformedJSON, NulCharacter

__all__ = ["MAX_DEPTH", "check_depth", "check_no_nul", "decode_json", "parse_json"]

#: How deep arrays and objects may nest in a request body.
MAX_DEPTH = 64

T = TypeVar("T")

#: A JSON string (its escapes included): brackets inside it are text, not nesting.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(rb"[^\[\]{}]+")
_INNERMOST = re.compile(rb"\[\]|\{\}")


def check_depth(body: bytes, limit: int = MAX_DEPTH) -> None:
    """Refuse `body` if its arrays and objects nest deeper than `limit`.

    Strings are dropped, then the innermost empty pairs of brackets are
    removed once per level: after `limit` rounds a body within the limit has
    none left. An unbalanced body stops shrinking and is left to the decoder.
    A body with no more than `limit` opening brackets in all (inside strings
    too) cannot nest deeper and is passed at once: most bodies, for the cost of
    two byte counts instead of three regular-expression passes.
    """
    if body.count(b"[") + body.count(b"{") <= limit:
        return
    brackets = _NOT_BRACKET.sub(b"", _STRING.sub(b"", body))
    for _ in range(limit):
        if not brackets:
            return
        shrunk = _INNERMOST.sub(b"", brackets)
        if shrunk == brackets:
            return
        brackets = shrunk
    if brackets and _INNERMOST.search(brackets):
        raise JSONTooDeep(f"the body nests arrays and objects deeper than {limit} levels")


#: The escape of a NUL: `\\u0000` after an even number (zero too) of backslashes.
_NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def check_no_nul(body: bytes) -> None:
    """Refuse `body` if a string or key of it holds a NUL character.

    Strict JSON has no raw control characters in strings, so a NUL can only
    be the escape `\\u0000`; one preceded by an odd number of backslashes is
    the text `\\u0000` (its backslash escaped), not a NUL.
    """
    if b"\\u0000" in body and _NUL_ESCAPE.search(body):
        raise NulCharacter("a NUL character (\\u0000) cannot be stored: remove it from the body")


def _malformed(exc: Exception) -> MalformedJSON:
    return MalformedJSON(
        f"the body is not valid JSON ({exc}): send UTF-8 JSON, without NaN, Infinity"
        " or lone surrogates"
    )


def parse_json(body: bytes) -> Any:
    """The JSON document of `body`, or `MalformedJSON` / `JSONTooDeep` / `NulCharacter` (400)."""
    check_depth(body)
    check_no_nul(body)
    try:
        return msgspec.json.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError) as exc:
        # Untyped, a ValidationError is only "Number out of range" (1e400).
        raise _malformed(exc) from None


def decode_json(body: bytes, shape: type[T]) -> T:
    """`body` decoded as `shape` (no coercion); not JSON is `MalformedJSON`.

    A body that is JSON but not of `shape` raises `msgspec.ValidationError`,
    for the caller to say where.
    """
    check_depth(body)
    check_no_nul(body)
    try:
        return msgspec.json.decode(body, type=shape)
    except msgspec.ValidationError as exc:  # a DecodeError too: this goes first
        if str(exc).startswith("Number out of range"):
            raise _malformed(exc) from None
        raise
    except (msgspec.DecodeError, RecursionError) as exc:
        raise _malformed(exc) from None
