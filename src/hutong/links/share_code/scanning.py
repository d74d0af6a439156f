"""Finding share codes in pasted text and picking the first live one.

`find_candidates` lists what may be a code (claimed between markers, or
bare); `scan` verifies every candidate; `parse` and `first_live` choose the
answer (`hutong.links.share_code` tells the rules).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from hutong.links.share_code.codes import (
    ALPHABET,
    CODE_LENGTHS,
    ParsedCode,
    ShareCodeError,
    check_expiry,
    check_key,
    verify_token,
)
from hutong.links.share_code.normalize import is_marker, normalize

__all__ = ["Scan", "find_candidates", "first_live", "parse", "scan"]

# Text between two markers this long (letters and digits only) is taken as a
# claimed code even when it is not well-formed, so a mistyped code is refused
# as "malformed" instead of silently not found.
_CLAIM_LENGTHS: Final = range(CODE_LENGTHS.start - 2, CODE_LENGTHS.stop + 2)
_RUN: Final = re.compile(f"[{ALPHABET}{ALPHABET.lower()}]+")


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


@dataclass(frozen=True, slots=True)
class _Candidate:
    position: int
    token: str
    claimed: bool


def _candidates(text: str) -> list[_Candidate]:
    normal = normalize(text)
    found: list[_Candidate] = []
    markers = [index for index, char in enumerate(normal) if is_marker(char)]
    for left, right in itertools.pairwise(markers):
        token = "".join(normal[left + 1 : right].split())
        if len(token) in _CLAIM_LENGTHS and token.isascii() and token.isalnum():
            found.append(_Candidate(left + 1, token.upper(), claimed=True))
    for run in _RUN.finditer(normal):
        if len(run.group()) in CODE_LENGTHS:
            touches = (run.start() > 0 and is_marker(normal[run.start() - 1])) or (
                run.end() < len(normal) and is_marker(normal[run.end()])
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
    check_key(key)
    outcomes: list[ParsedCode | ShareCodeError] = []
    for candidate in _candidates(text):
        try:
            outcomes.append(ParsedCode(candidate.token, verify_token(candidate.token, key)))
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
