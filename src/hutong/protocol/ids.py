"""Opaque identifiers: random, URL-safe, sortable by creation time."""

from __future__ import annotations

import os
import time

__all__ = ["new_id"]

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case
#: Every two-letter spelling of 10 bits, by value: an id is 13 lookups, not 26
#: steps of a loop (ids are made on every request of the resolver's hot path).
_PAIRS = tuple(high + low for high in _ALPHABET for low in _ALPHABET)
_SHIFTS = tuple(range(120, -1, -10))


def new_id(prefix: str = "") -> str:
    """A 26-character time-ordered random id (48 bits of ms, 80 random bits).

    The 130 bits (the top two zero) of milliseconds then randomness, in
    base 32, most significant digit first.
    """
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(os.urandom(10), "big")
    body = "".join([_PAIRS[(value >> shift) & 1023] for shift in _SHIFTS])
    return f"{prefix}_{body}" if prefix else body
