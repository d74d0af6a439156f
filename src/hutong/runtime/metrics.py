"""Prometheus metrics of the switch, beside Litestar's per-route request metrics."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

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
DECISION_CALL_SECONDS = Histogram(
    "hutong_decision_call_seconds",
    "Decision calls to participants (reserve_stock, authorize, book...): seconds, by outcome",
    ["action", "outcome"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
