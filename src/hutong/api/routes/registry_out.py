"""What the registry's lookups and listings answer, as documented shapes (issue 17 §6).

`registry.service.public_records` (Hutong's lookup), `registry.beckn.
records_of` and `switch_record` (Beckn's Subscription, `registry.yaml`) and
`beckn_store.list_subscriptions` make the answers; these structs only
document them. Beckn's optional fields are absent where the record has no
placement (`domain`, `location`, `encr_public_key`) or is the switch's own
(`created`, `updated`).
"""

from __future__ import annotations

import msgspec

__all__ = ["AssetLinkStatement", "LookupRecord", "SubscriptionOut", "SubscriptionRow"]


class LookupRecord(msgspec.Struct, kw_only=True):
    """Hutong's lookup: one record per key of a participant."""

    subscriber_id: str
    subscriber_url: str
    name: str
    type: str
    roles: list[str]
    status: str
    ukId: str
    signing_public_key: str
    valid_from: str
    valid_until: str
    revoked_at: str | None


class Code(msgspec.Struct, kw_only=True):
    code: str


class LocationOut(msgspec.Struct, kw_only=True):
    country: Code
    city: Code | None = None


class SubscriptionOut(msgspec.Struct, kw_only=True):
    """Beckn's Subscription: a participant as a BAP, BPP or BG in a domain, with one key."""

    subscriber_id: str
    url: str
    type: str
    key_id: str
    ukId: str
    signing_public_key: str
    valid_from: str
    valid_until: str
    #: INITIATED, UNDER_SUBSCRIPTION, SUBSCRIBED, EXPIRED, UNSUBSCRIBED or INVALID_SSL.
    status: str
    domain: str | None = None
    location: LocationOut | None = None
    encr_public_key: str | None = None
    created: str | None = None
    updated: str | None = None


class SubscriptionRow(msgspec.Struct, kw_only=True):
    """A self-registration waiting for (or past) the operator's approval."""

    subscriber_id: str
    type: str
    domain: str
    url: str
    country: str
    city: str
    ukId: str
    status: str
    created: str


class AssetLinkTarget(msgspec.Struct, kw_only=True):
    namespace: str
    package_name: str
    sha256_cert_fingerprints: list[str]


class AssetLinkStatement(msgspec.Struct, kw_only=True):
    """Google's Digital Asset Links statement (its field names): the app opens the links."""

    relation: list[str]
    target: AssetLinkTarget
