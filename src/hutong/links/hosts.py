"""Which host app a request comes from, and platform names. Pure code.

A platform's *alias* is the first label of its subscriber id
(`wechat.example` -> `wechat`); link policies and the `?host=` parameter
use aliases, the registry uses subscriber ids.

Host apps announce themselves in their in-app browser's User-Agent; the
markers below are the ones these apps are known to send. An explicit
`?host=` always wins over the User-Agent.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    wants_json = "application/json" in accept.lower()
    if host_param:
        return HostContext(alias(host_param), "parameter", wants_json)
    found = host_from_user_agent(user_agent)
    return HostContext(found, "user_agent" if found else "unknown", wants_json)
