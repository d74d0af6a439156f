"""The Beckn 1.1 `Context` of every message: its shape, how it is made, how it is checked.

Beckn (`schema/Context.yaml`, core-v1.1.0) wants `message_id` and
`transaction_id` as UUIDs, the sender and receiver by id and URL
(`bap_id`/`bap_uri`, `bpp_id`/`bpp_uri`), `domain`, `location`, `action`,
`version`, an RFC 3339 `timestamp` and an ISO 8601 `ttl`. Hutong's own ids
(`evt_…`, `ord_…`, `<exchange>.issue`) are not UUIDs, so a context carries
two of each:

- `message_id` / `transaction_id`: the Beckn id, `beckn_uuid(hutong id)`:
  the id itself when it already is a UUID, else the UUIDv5 of it under
  `HUTONG_NAMESPACE`. The same Hutong id always gives the same UUID, so a
  retried event or call keeps its Beckn id and a receiver deduplicating by
  it never acts twice;
- `hutong_message_id` / `hutong_transaction_id`: Hutong's id, present only
  when it differs from the Beckn one. Inside Hutong's API a message is known
  by its Hutong id (`message_id_of`): existing clients that send only a
  `message_id` of their own (`msg_…`) keep working unchanged.

A message is valid from `timestamp` until `timestamp + ttl`
(`expires_at`); `refusal` says why a received context cannot be acted on:
an `action` other than the route's, or a ttl already past. Everything here
is pure: the clock is an argument.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

__all__ = [
    "COUNTRY",
    "DOMAIN",
    "HUTONG_NAMESPACE",
    "PROTOCOL_VERSION",
    "Context",
    "ContextLocation",
    "ContextRefusal",
    "PlaceCode",
    "beckn_uuid",
    "duration",
    "expires_at",
    "make_context",
    "parse_duration",
    "parse_timestamp",
    "refusal",
    "route_action",
    "utc_timestamp",
]

DOMAIN = "hutong:interconnect"
PROTOCOL_VERSION = "1.1.0"
#: Where Hutong's transactions are fulfilled (ISO 3166-1 alpha-3), `context.location.country.code`.
COUNTRY = "CHN"
#: The namespace of the UUIDv5 a Hutong id maps to (fixed forever: changing it
#: would give every retried message a new Beckn id).
HUTONG_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:hutong:ids")


class PlaceCode(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A Beckn `Country` or `City` in a context: its code (its name is not read)."""

    code: str = ""
    name: str = ""


class ContextLocation(msgspec.Struct, kw_only=True, omit_defaults=True):
    """`context.location`: where the transaction is fulfilled (a country, maybe a city)."""

    country: PlaceCode | None = None
    city: PlaceCode | None = None


class Context(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A request's `context` as Hutong's routes decode it: only `message_id` is required.

    The Beckn fields a route does not use are read and kept in the OpenAPI
    document; the signature middleware checks `action` and `ttl` before any
    route runs (`refusal`).
    """

    message_id: str
    domain: str = DOMAIN
    action: str = ""
    version: str = PROTOCOL_VERSION
    transaction_id: str = ""
    timestamp: str = ""
    ttl: str = ""
    bap_id: str = ""
    bap_uri: str = ""
    bpp_id: str = ""
    bpp_uri: str = ""
    location: ContextLocation | None = None
    hutong_message_id: str = ""
    hutong_transaction_id: str = ""

    @property
    def own_message_id(self) -> str:
        """The id Hutong knows the message by: `hutong_message_id` if given, else `message_id`."""
        return self.hutong_message_id or self.message_id

    @property
    def own_transaction_id(self) -> str:
        """Hutong's transaction id: `hutong_transaction_id` if given, else `transaction_id`."""
        return self.hutong_transaction_id or self.transaction_id


def utc_timestamp(now: datetime) -> str:
    """RFC 3339 in UTC with milliseconds: `2026-12-06T13:45:28.123Z`."""
    return now.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def beckn_uuid(hutong_id: str) -> str:
    """The Beckn (UUID) id of a Hutong id: itself (lower case) if a UUID already, else
    `uuid5(HUTONG_NAMESPACE, hutong_id)`."""
    if _UUID.fullmatch(hutong_id):
        return str(uuid.UUID(hutong_id))
    return str(uuid.uuid5(HUTONG_NAMESPACE, hutong_id))


def duration(seconds: int) -> str:
    """`seconds` as an ISO 8601 duration: 60 -> `PT60S`, 604800 -> `P7D`."""
    days, rest = divmod(max(int(seconds), 0), 86_400)
    if days and not rest:
        return f"P{days}D"
    return f"P{days}DT{rest}S" if days else f"PT{rest}S"


#: ISO 8601 durations as Beckn peers send them (no years or months: their
#: length depends on the calendar): `PT30S`, `PT1H`, `P1DT2H3M4.5S`, `P2W`.
_DURATION = re.compile(
    r"P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?"
)


def parse_duration(text: str) -> timedelta | None:
    """An ISO 8601 duration of weeks, days, hours, minutes, seconds; None if it is not one."""
    found = _DURATION.fullmatch(text)
    if found is None or text in ("P", "PT") or text.endswith("T"):
        return None
    parts = {name: float(value) for name, value in found.groupdict().items() if value}
    if not parts:
        return None
    return timedelta(**parts)


def parse_timestamp(text: str) -> datetime | None:
    """An RFC 3339 date-time with its offset (`Z` or `+08:00`), None otherwise."""
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", text):
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(UTC)


def expires_at(context: dict[str, Any]) -> datetime | None:
    """`timestamp + ttl`, or None when the context has no ttl (or one that is no string).

    Raises `ValueError` when the ttl or the timestamp it counts from is not readable.
    """
    ttl = context.get("ttl")
    if not isinstance(ttl, str) or not ttl:
        return None
    length = parse_duration(ttl)
    if length is None:
        raise ValueError(f"context.ttl {ttl!r} is not an ISO 8601 duration (PT30S)")
    stamp = context.get("timestamp")
    start = parse_timestamp(stamp) if isinstance(stamp, str) else None
    if start is None:
        raise ValueError("context.ttl counts from context.timestamp: send an RFC 3339 timestamp")
    return start + length


def route_action(path: str) -> str:
    """The action of a Hutong route, from the path of its request.

    The last segment of the path that is a word (lower-case letters and
    hyphens; an id has a digit, a dot or an underscore), hyphens as
    underscores: `/v1/ping` -> `ping`, `/v1/orders/ord_1/cancel` -> `cancel`,
    `/v1/orders/ord_1/refund-request` -> `refund_request`, `/v1/apps/jd.example`
    -> `apps`. The SDK and the switch both read it from the path, so they agree.
    """
    segments = [part for part in path.split("?", 1)[0].split("/") if part]
    for part in reversed(segments):
        if re.fullmatch(r"[a-z][a-z-]*", part) and part != "v1":
            return part.replace("-", "_")
    return ""


def make_context(
    *,
    action: str,
    message_id: str,
    transaction_id: str,
    bap_id: str,
    bap_uri: str,
    bpp_id: str,
    bpp_uri: str,
    now: datetime,
    ttl_seconds: int,
    timestamp: str = "",
) -> dict[str, Any]:
    """A context that passes Beckn's `Context.yaml`, with Hutong's own ids alongside.

    `message_id` and `transaction_id` are Hutong's ids (any string); the
    context carries their `beckn_uuid` and, when different, the ids
    themselves as `hutong_message_id` / `hutong_transaction_id`. `timestamp`
    (default: `now`) is given only to send a retry's body again exactly.
    """
    beckn_message, beckn_transaction = beckn_uuid(message_id), beckn_uuid(transaction_id)
    context: dict[str, Any] = {
        "domain": DOMAIN,
        "location": {"country": {"code": COUNTRY}},
        "action": action,
        "version": PROTOCOL_VERSION,
        "bap_id": bap_id,
        "bap_uri": bap_uri,
        "bpp_id": bpp_id,
        "bpp_uri": bpp_uri,
        "transaction_id": beckn_transaction,
        "message_id": beckn_message,
        "timestamp": timestamp or utc_timestamp(now),
        "ttl": duration(ttl_seconds),
    }
    if beckn_message != message_id:
        context["hutong_message_id"] = message_id
    if beckn_transaction != transaction_id:
        context["hutong_transaction_id"] = transaction_id
    return context


class ContextRefusal(msgspec.Struct, frozen=True):
    """Why a received context cannot be acted on: a stable code and a sentence."""

    code: str
    message: str


def refusal(context: object, *, action: str, now: datetime, skew: int = 0) -> ContextRefusal | None:
    """Why `context` may not be acted on at the route of `action` at `now`, or None.

    - `context_action_mismatch`: it names an `action` and that is not the
      route's (a `search` posted to `/v1/ping`); no action says nothing;
    - `context_expired`: `now` is past `timestamp + ttl` (by more than `skew`
      seconds); no ttl, no limit;
    - `invalid_context`: a ttl that is not an ISO 8601 duration, or one
      without an RFC 3339 timestamp to count from.

    A field of the wrong JSON type (an action or ttl that is no string) is
    left to the route's schema (`invalid_request`).
    """
    if not isinstance(context, dict):
        return None
    given = context.get("action")
    if isinstance(given, str) and given and action and given != action:
        return ContextRefusal(
            "context_action_mismatch",
            f"context.action is {given!r} but this route is {action!r}",
        )
    try:
        ends = expires_at(context)
    except ValueError as exc:
        return ContextRefusal("invalid_context", str(exc))
    if ends is not None and now > ends + timedelta(seconds=skew):
        return ContextRefusal(
            "context_expired",
            f"the message expired at {utc_timestamp(ends)} (context.timestamp + context.ttl);"
            " send it again with a new timestamp and message id",
        )
    return None
