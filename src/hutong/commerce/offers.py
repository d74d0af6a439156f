"""Offers: a merchant's sellable SKUs, and the rules an offer must follow.

Pure code, no I/O. `validate_offer` checks one item of a bulk upsert as it
was decoded from JSON (without any type coercion) and lists every problem
with a stable code, so one bad item never hides the others:

==================== =========================================================
code                 the item ...
==================== =========================================================
invalid_item         is not a JSON object
unknown_field        has a field this schema does not know (a typo would
                     otherwise silently drop an optional value)
invalid_sku_id       sku_id is not 1-128 of letters, digits, '.', '_', ':', '-'
                     (starting with a letter or digit)
invalid_title        title is not a non-blank string of at most 512 characters
invalid_price        price is not an integer number of fen > 0 (a bool, a float
                     such as 100.0 or a string such as "100" is refused)
invalid_stock        stock is not an integer >= 0
invalid_category     category is not a non-blank string of at most 128 characters
invalid_h5_url       h5_url is not an absolute http(s) URL
invalid_deep_link    deep_link is present but not a URL with a scheme
                     (javascript:, data:, vbscript: and file: are refused)
invalid_mini_program only one of mini_program_app_id and mini_program_path is
                     given, or one of them is malformed
==================== =========================================================

An upsert replaces the whole offer: an optional field left out means "none".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard
from urllib.parse import urlsplit

#: The largest amount the database holds (BIGINT), as in the ledger.
MAX_AMOUNT = 2**63 - 1
MAX_TITLE = 512
MAX_CATEGORY = 128
MAX_URL = 2048
MAX_MINI_PROGRAM_PATH = 1024

SKU_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
_APP_ID = re.compile(r"[A-Za-z0-9_.-]{1,128}")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")
_UNSAFE_SCHEMES = frozenset({"javascript", "data", "vbscript", "file"})

FIELDS = (
    "sku_id",
    "title",
    "price",
    "stock",
    "category",
    "h5_url",
    "deep_link",
    "mini_program_app_id",
    "mini_program_path",
)


@dataclass(frozen=True, slots=True)
class Problem:
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class OfferIn:
    """A valid offer, as the merchant published it."""

    sku_id: str
    title: str
    price: int  # fen
    stock: int
    category: str
    h5_url: str
    deep_link: str | None = None
    mini_program_app_id: str | None = None
    mini_program_path: str | None = None

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> OfferIn:
        """The offer of an item that `validate_offer` accepted."""
        problems = validate_offer(item)
        if problems:
            raise ValueError(f"not a valid offer: {problems[0].message}")
        values: dict[str, Any] = {name: item.get(name) for name in FIELDS}
        return cls(**values)

    def values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in FIELDS}


def is_integer(value: object) -> TypeGuard[int]:
    """A JSON integer: bool is an int subclass in Python but not a number here."""
    return isinstance(value, int) and not isinstance(value, bool)


def _text(value: object, limit: int) -> bool:
    return isinstance(value, str) and bool(value.strip()) and len(value) <= limit


def is_http_url(value: object) -> bool:
    if not isinstance(value, str) or len(value) > MAX_URL:
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _deep_link_ok(value: str) -> bool:
    scheme, colon, rest = value.partition(":")
    return (
        bool(colon)
        and _SCHEME.fullmatch(scheme) is not None
        and scheme.lower() not in _UNSAFE_SCHEMES
        and bool(rest.strip("/"))
        and len(value) <= MAX_URL
        and not any(c.isspace() for c in value)
    )


def _mini_program_problem(app_id: object, path: object) -> str | None:
    if app_id is None and path is None:
        return None
    if app_id is None or path is None:
        return "mini_program_app_id and mini_program_path go together: give both or neither"
    if not isinstance(app_id, str) or not _APP_ID.fullmatch(app_id):
        return "mini_program_app_id must be 1-128 letters, digits, '_', '.' or '-'"
    if not _text(path, MAX_MINI_PROGRAM_PATH) or any(c.isspace() for c in str(path)):
        return f"mini_program_path must be a page path of at most {MAX_MINI_PROGRAM_PATH} chars"
    return None


def validate_offer(item: object) -> list[Problem]:
    """Every problem of one offer item (decoded JSON); empty when it is valid."""
    if not isinstance(item, Mapping):
        return [Problem("invalid_item", "an offer must be a JSON object")]
    problems: list[Problem] = []
    unknown = sorted(str(k) for k in item if k not in FIELDS)
    if unknown:
        problems.append(Problem("unknown_field", f"unknown field(s): {', '.join(unknown)}"))
    sku_id = item.get("sku_id")
    if not isinstance(sku_id, str) or not SKU_ID.fullmatch(sku_id):
        problems.append(
            Problem(
                "invalid_sku_id",
                "sku_id must be 1-128 letters, digits, '.', '_', ':' or '-', "
                "starting with a letter or digit",
            )
        )
    if not _text(item.get("title"), MAX_TITLE):
        problems.append(
            Problem("invalid_title", f"title must be non-blank, at most {MAX_TITLE} characters")
        )
    price = item.get("price")
    if not is_integer(price) or not 0 < price <= MAX_AMOUNT:
        problems.append(
            Problem("invalid_price", "price must be a JSON integer number of fen, above 0")
        )
    stock = item.get("stock")
    if not is_integer(stock) or not 0 <= stock <= MAX_AMOUNT:
        problems.append(Problem("invalid_stock", "stock must be a JSON integer, 0 or more"))
    if not _text(item.get("category"), MAX_CATEGORY):
        problems.append(
            Problem(
                "invalid_category", f"category must be non-blank, at most {MAX_CATEGORY} characters"
            )
        )
    if not is_http_url(item.get("h5_url")):
        problems.append(Problem("invalid_h5_url", "h5_url must be an absolute http(s) URL"))
    deep_link = item.get("deep_link")
    if deep_link is not None and not (isinstance(deep_link, str) and _deep_link_ok(deep_link)):
        problems.append(
            Problem(
                "invalid_deep_link",
                "deep_link must be a URL with a scheme (such as taobao://item?id=1), or null",
            )
        )
    mini_program = _mini_program_problem(
        item.get("mini_program_app_id"), item.get("mini_program_path")
    )
    if mini_program is not None:
        problems.append(Problem("invalid_mini_program", mini_program))
    return problems
