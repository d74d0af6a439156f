"""Which host app a request comes from, and platform names. Pure code.

A platform's *alias* is the first label of its subscriber id
(`wechat.example` -> `wechat`); link policies and the `?host=` parameter
use aliases, the registry uses subscriber ids.

A host named from outside (a path, a query, a body) is read by
`checked_alias`, strictly: a lower-cased alias or subscriber id made of DNS
labels, or the refusal ``invalid_host``. Nothing is stripped or repaired:
``a..b`` is not ``a``, and a control character is not a host.

Host apps announce themselves in their in-app browser's User-Agent; the
markers below are the ones these apps are known to send. An explicit
`?host=` always wins over the User-Agent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from hutong.protocol.errors import ValidationError

#: One DNS label: 1-63 letters, digits and inner hyphens.
_LABEL: Final = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST: Final = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
#: A host name is at most 253 characters (RFC 1035, without the final dot).
MAX_HOST_LENGTH: Final = 253

#: (marker in the User-Agent, case-insensitive) -> platform alias. Checked in
#: order: the more specific markers first (Alipay's UA also names Taobao's
#: engine; Tmall's names Taobao).
APP_MARKERS: tuple[tuple[str, str], ...] = (
    ("micromessenger", "wechat"),
    ("wxwork", "wechat"),
    ("aweme", "douyin"),
    ("bytedancewebview", "douyin"),
    ("kwai", "kuaishou"),
    ("ksnebula", "kuaishou"),
    ("alipayclient", "alipay"),
    ("aliapp(tm", "tmall"),
    ("aliapp(tb", "taobao"),
    ("taobao", "taobao"),
    ("jdapp", "jd"),
    ("jdpay", "jd"),
)


def alias(subscriber_id: str) -> str:
    """`wechat.example` -> `wechat`; an alias is returned as it is."""
    return subscriber_id.split(".", 1)[0].strip().lower()


def checked_host(host: str) -> str:
    """``host`` as given when it is an alias or a subscriber id (see `checked_alias`), else
    ``invalid_host`` (422)."""
    lowered = host.lower()
    if len(lowered) > MAX_HOST_LENGTH or not lowered.isascii() or not _HOST.fullmatch(lowered):
        raise ValidationError(
            f"{host!r} is not a host: an alias or a subscriber id of DNS labels",
            code="invalid_host",
        )
    return host


def checked_alias(host: str) -> str:
    """The alias of a host named from outside, or ``invalid_host`` (422).

    Valid: an alias (``wechat``) or a subscriber id (``wechat.example``), in
    any case, made of DNS labels (letters, digits, inner hyphens; 1-63 each;
    253 in all) joined by single dots. Anything else (blank, control or
    other characters, an empty label as in ``a..b``, spaces around it) is
    refused as written, never repaired.
    """
    return alias(checked_host(host))


@dataclass(frozen=True, slots=True)
class HostContext:
    #: The platform alias of the app the buyer is in, or "" when unknown.
    host: str
    #: How it was learned: "parameter", "user_agent" or "unknown".
    source: str
    #: True when the caller is an app asking for JSON rather than a browser.
    wants_json: bool


def host_from_user_agent(user_agent: str) -> str:
    lowered = user_agent.lower()
    for marker, platform in APP_MARKERS:
        if marker in lowered:
            return platform
    return ""


def host_context(host_param: str | None, user_agent: str, accept: str) -> HostContext:
    """Who asks: ``host_param`` when given (checked: ``invalid_host``), else the User-Agent."""
    wants_json = "application/json" in accept.lower()
    if host_param is not None and host_param != "":
        return HostContext(checked_alias(host_param), "parameter", wants_json)
    found = host_from_user_agent(user_agent)
    return HostContext(found, "user_agent" if found else "unknown", wants_json)
