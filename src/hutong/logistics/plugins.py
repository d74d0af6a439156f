"""Carrier plugins: what a carrier integration brings, and how the switch finds them.

A carrier integration is a plugin (one module or package) registered through
the ``hutong.carriers`` entry point group, the way karrio registers its
carriers: everything carrier-specific (its payload shape, its tracking
vocabulary and that vocabulary's mapping, its services and prices) lives in
the plugin; the core only knows `CarrierPlugin`. A project declares one in its
``pyproject.toml``::

    [project.entry-points."hutong.carriers"]
    jd-logistics = "hutong_carriers.jd_logistics:PLUGIN"

The only I/O here is reading the installed entry points (`load_plugins`,
cached). A plugin that fails to import, or is not a `CarrierPlugin`, is logged
as an error and skipped: one broken carrier never stops the switch.

Events
------
A carrier pushes tracking events in its own payload shape; its plugin's
``parser`` reads one payload into a `RawEvent` (the carrier's codes, as
sent) or raises `ValueError` saying what is wrong (the API answers 422). The
plugin's `CarrierMapping` then gives the event its normalized meaning.
Duplicates share a `dedupe_key`: the carrier's own event id when it sends
one, else a digest of what the event says.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from importlib.metadata import entry_points
from types import MappingProxyType
from typing import Any

from hutong.logistics.mapping import CarrierMapping, Mapped
from hutong.logistics.quotes import ServiceDeclaration

log = logging.getLogger("hutong.logistics.plugins")

#: The entry point group carrier plugins register in.
ENTRY_POINT_GROUP = "hutong.carriers"

#: China Standard Time (no daylight saving since 1991), for carriers that send local times.
CHINA_TIME = timezone(timedelta(hours=8), "CST")

#: Longest dedupe key (the tracking_events column holds 128 characters).
MAX_DEDUPE_KEY = 128


@dataclass(frozen=True, slots=True)
class RawEvent:
    """One tracking event as the carrier sent it, before normalization."""

    tracking_number: str
    code: str
    sub_code: str
    occurred_at: datetime
    event_id: str
    description: str
    raw: Mapping[str, Any]

    def __post_init__(self) -> None:
        if not self.tracking_number.strip():
            raise ValueError("a tracking event names its tracking number")
        if not self.code.strip():
            raise ValueError("a tracking event carries the carrier's code")
        if self.occurred_at.tzinfo is None or self.occurred_at.utcoffset() is None:
            raise ValueError("occurred_at must be timezone-aware")


def dedupe_key(event: RawEvent) -> str:
    """The carrier's event id when it sent one, else a BLAKE2b digest of the event's content.

    The digest covers tracking number, code, sub-code and the instant it
    occurred (in UTC), so a carrier re-sending the same event gets the same
    key and two different events get different keys. An event id longer than
    `MAX_DEDUPE_KEY` is digested too.
    """
    event_id = event.event_id.strip()
    if event_id and len(event_id) <= MAX_DEDUPE_KEY:
        return event_id
    if event_id:
        material = "id\x1f" + event_id
    else:
        material = "\x1f".join(
            (
                event.tracking_number.strip(),
                event.code.strip(),
                event.sub_code.strip(),
                event.occurred_at.astimezone(UTC).isoformat(),
            )
        )
    return "b2:" + hashlib.blake2b(material.encode("utf-8"), digest_size=32).hexdigest()


@dataclass(frozen=True, slots=True)
class CarrierPlugin:
    """A carrier integration.

    `name` is the carrier's short alias (``jd-logistics``), `subscriber_id`
    its participant id on the network (``jd-logistics.example``),
    `tracking_prefix` what its tracking numbers start with, `parser` reads one
    pushed payload into a `RawEvent`, `callback_url` where the switch calls
    it (book a shipment, events).
    """

    name: str
    subscriber_id: str
    mapping: CarrierMapping
    services: tuple[ServiceDeclaration, ...]
    tracking_prefix: str
    parser: Callable[[Mapping[str, Any]], RawEvent]
    display_name: str = ""
    callback_url: str = ""

    def __post_init__(self) -> None:
        if not self.name.strip() or not self.subscriber_id.strip():
            raise ValueError("a carrier plugin has a name and a subscriber id")
        names = [s.name for s in self.services]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.name}: a service name is declared twice")
        object.__setattr__(self, "services", tuple(self.services))

    def parse_event(self, payload: Mapping[str, Any]) -> RawEvent:
        """Read one pushed payload; ValueError (with what is wrong) when it cannot."""
        if not isinstance(payload, Mapping):
            raise ValueError(f"{self.name}: a tracking payload is a JSON object")
        try:
            return self.parser(payload)
        except ValueError as exc:
            raise ValueError(f"{self.name}: {exc}") from exc
        except (KeyError, TypeError, AttributeError, IndexError) as exc:
            raise ValueError(f"{self.name}: cannot read the tracking payload: {exc!r}") from exc

    def dedupe_key(self, event: RawEvent) -> str:
        return dedupe_key(event)

    def normalize(self, event: RawEvent) -> Mapped:
        """The event's meaning under this carrier's mapping (never raises)."""
        return self.mapping.map(event.code, event.sub_code)

    def service(self, name: str) -> ServiceDeclaration | None:
        return next((s for s in self.services if s.name == name), None)


# -- helpers for parsers -----------------------------------------------------


def text(payload: Mapping[str, Any], key: str, *, required: bool = True) -> str:
    """A string (or integer) field, stripped; ValueError when required and absent or empty."""
    value = payload.get(key)
    if value is None:
        if required:
            raise ValueError(f"field {key!r} is missing")
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"field {key!r} must be a string, not {type(value).__name__}")
    result = str(value).strip()
    if required and not result:
        raise ValueError(f"field {key!r} is empty")
    return result


def china_time(value: Any, key: str, fmt: str = "%Y-%m-%d %H:%M:%S") -> datetime:
    """A local China time such as ``2024-11-02 18:20:11``, as an aware datetime."""
    if not isinstance(value, str):
        raise ValueError(f"field {key!r} must be a time like '2024-11-02 18:20:11'")
    try:
        return datetime.strptime(value.strip(), fmt).replace(tzinfo=CHINA_TIME)
    except ValueError:
        raise ValueError(f"field {key!r} is not a time like '2024-11-02 18:20:11'") from None


def epoch_millis(value: Any, key: str) -> datetime:
    """Milliseconds since the Unix epoch, as an aware UTC datetime."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"field {key!r} must be epoch milliseconds (a non-negative integer)")
    try:
        return datetime.fromtimestamp(value // 1000, UTC) + timedelta(milliseconds=value % 1000)
    except (OverflowError, OSError, ValueError):
        raise ValueError(f"field {key!r} is out of range") from None


# -- discovery -----------------------------------------------------------------


@functools.cache
def _discover() -> Mapping[str, CarrierPlugin]:
    found: dict[str, CarrierPlugin] = {}
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        try:
            plugin = ep.load()
        except Exception:
            log.error(
                "carrier plugin %s (%s) failed to load; skipped", ep.name, ep.value, exc_info=True
            )
            continue
        if not isinstance(plugin, CarrierPlugin):
            log.error(
                "carrier plugin %s (%s) is a %s, not a CarrierPlugin; skipped",
                ep.name,
                ep.value,
                type(plugin).__name__,
            )
            continue
        if plugin.subscriber_id in found:
            log.error(
                "carrier plugin %s (%s) repeats subscriber id %s; skipped",
                ep.name,
                ep.value,
                plugin.subscriber_id,
            )
            continue
        if plugin.name != ep.name:
            log.warning("carrier plugin %s is registered as %s", plugin.name, ep.name)
        found[plugin.subscriber_id] = plugin
    return MappingProxyType(found)


def load_plugins() -> dict[str, CarrierPlugin]:
    """The installed carrier plugins by subscriber id (discovered once, then cached)."""
    return dict(_discover())


def clear_plugin_cache() -> None:
    """Forget the discovered plugins (tests, or after installing a plugin)."""
    _discover.cache_clear()


def plugin_for(carrier: str) -> CarrierPlugin | None:
    """The plugin whose subscriber id or alias is `carrier`."""
    plugins = _discover()
    if carrier in plugins:
        return plugins[carrier]
    return next((p for p in plugins.values() if p.name == carrier), None)
