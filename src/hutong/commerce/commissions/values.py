"""The values a schedule is made of: channels, categories, rates and fen, each checked."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from hutong.ledger.models import MAX_AMOUNT
from hutong.ledger.splits import BPS_WHOLE
from hutong.protocol.errors import ValidationError

MAX_CATEGORY = 128


class CommissionError(ValidationError):
    """A refusal with a stable ``code``: invalid_rate, fees_exceed_amount, ..."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code)


class Channel(StrEnum):
    """How an order reached the merchant."""

    OWN_STORE = "own_store"  # the host's own merchants, in the host's own store
    STOREFRONT = "storefront"  # a cross-platform storefront (入驻) inside the host
    LINK_PLACEMENT = "link_placement"  # an external product link placed on the host
    CREATOR_PLACEMENT = "creator_placement"  # a creator's placement on the host


def as_channel(value: object) -> Channel:
    known = ", ".join(c.value for c in Channel)
    if not isinstance(value, str):
        raise CommissionError("invalid_channel", f"{value!r} is not a channel ({known})")
    try:
        return Channel(value)
    except ValueError:
        raise CommissionError("invalid_channel", f"{value!r} is not a channel ({known})") from None


def as_category(value: object) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_CATEGORY:
        raise CommissionError(
            "invalid_category", f"a category is a non-blank string of at most {MAX_CATEGORY}"
        )
    return value


def as_rate(name: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= BPS_WHOLE:
        raise CommissionError(
            "invalid_rate", f"{name} must be an integer from 0 to {BPS_WHOLE} (basis points)"
        )
    return value


def as_amount(name: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_AMOUNT:
        raise CommissionError("invalid_amount", f"{name} must be a non-negative integer of fen")
    return value


def as_day(name: str, value: object) -> date:
    # datetime is a date subclass but does not compare with date; refuse it early.
    if type(value) is not date:
        raise CommissionError("invalid_schedule", f"{name} must be a datetime.date")
    return value
