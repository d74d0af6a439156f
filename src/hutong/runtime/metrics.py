"""Prometheus metrics of the switch, beside Litestar's per-route request metrics."""

from __future__ import annotations

from prometheus_client import Counter

AUTH_REFUSALS = Counter(
    "hutong_auth_refusals_total", "Signed requests refused, by error code", ["code"]
)
IDEMPOTENT_REPLAYS = Counter(
    "hutong_idempotent_replays_total", "Requests answered from the message-id record"
)
EVENT_DELIVERIES = Counter(
    "hutong_event_deliveries_total", "Event delivery attempts, by outcome", ["outcome"]
)
ALIAS_LOOKUPS_LIMITED = Counter(
    "hutong_alias_lookups_limited_total",
    "Alias lookups refused because the wallet spent its allowance (rate_limited)",
)
