"""Declaring policy history in tests: back-dated versions are corrections, said so.

A version takes effect on its declaration day or later
(`hutong.protocol.declared_time`); a test that needs rules in force years
ago declares them as corrections with a reason, as the seed world does.
"""

from __future__ import annotations

from datetime import date
from typing import Any

#: The reason the tests give for the history they declare back-dated.
TEST_HISTORY = "test history: the days this test needs, declared today"


def as_declared_on(today: date, message: dict[str, Any]) -> dict[str, Any]:
    """`message` as its owner may send it on `today`: a past valid_from is a correction."""
    if date.fromisoformat(str(message["valid_from"])) < today:
        return message | {"correction": {"reason": TEST_HISTORY}}
    return message


#: The member a back-dated test declaration adds to its body.
AS_HISTORY: dict[str, Any] = {"correction": {"reason": TEST_HISTORY}}
