"""Ids: 26 letters of Crockford base 32 spelling the milliseconds, then 80 random bits."""

from __future__ import annotations

import pytest

from hutong.protocol import ids
from hutong.protocol.ids import new_id

CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"


def value_of(body: str) -> int:
    value = 0
    for letter in body:
        value = value * 32 + CROCKFORD.index(letter)
    return value


@pytest.mark.parametrize(
    ("millis", "random"),
    [(0, b"\0" * 10), (1_796_000_000_123, bytes(range(10))), (2**48 - 1, b"\xff" * 10)],
)
def test_an_id_spells_its_milliseconds_then_its_random_bits(
    monkeypatch: pytest.MonkeyPatch, millis: int, random: bytes
) -> None:
    monkeypatch.setattr(ids.time, "time_ns", lambda: millis * 1_000_000 + 999_999)
    monkeypatch.setattr(ids.os, "urandom", lambda n: random[:n])

    made = new_id("res")

    prefix, _, body = made.partition("_")
    assert (prefix, len(body)) == ("res", 26)
    assert value_of(body) == millis << 80 | int.from_bytes(random, "big")
    assert new_id() == body


def test_ids_sort_by_the_millisecond_they_were_made_in(monkeypatch: pytest.MonkeyPatch) -> None:
    made = []
    for millis in (1_000, 1_001, 1_024, 33_000, 2**40):
        monkeypatch.setattr(ids.time, "time_ns", lambda m=millis: m * 1_000_000)
        made.append(new_id())
    assert made == sorted(made)
