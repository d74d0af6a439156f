"""Types of query and path parameters that carry a rule of their own.

`Int64`: an integer from the query or the path that reaches the database (a
cursor such as `after`, an id). The database's integers are 64 bits (BIGINT
on PostgreSQL, INTEGER on SQLite); beyond them the driver fails (SQLite's
`OverflowError`, PostgreSQL's `NumericValueOutOfRange`) and the request would
be a 500. So the range is part of the parameter's type, checked at the edge
and shown in the OpenAPI document, and a number outside it is refused as 400
`integer_out_of_range` (see `out_of_range`, used by the app's handler of
parameter errors).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Annotated, Any

from litestar.params import Parameter

from hutong.protocol.errors import IntegerOutOfRange

__all__ = ["INT64_MAX", "INT64_MIN", "Int64", "out_of_range"]

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

Int64 = Annotated[int, Parameter(ge=INT64_MIN, le=INT64_MAX)]

#: How msgspec words a broken bound of `Int64` (the bounds themselves are the tell).
_BOUNDS = (f">= {INT64_MIN}", f"<= {INT64_MAX}")


def out_of_range(details: Iterable[Mapping[str, Any]]) -> IntegerOutOfRange | None:
    """The refusal of a parameter outside `Int64`'s range, if one of `details` is that."""
    for detail in details:
        message = str(detail.get("message", ""))
        if message.endswith(_BOUNDS):
            key = detail.get("key", "")
            return IntegerOutOfRange(f"{key} must be an integer from {INT64_MIN} to {INT64_MAX}")
    return None
