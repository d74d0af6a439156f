"""Links: hosts' link rules, placements and their share codes, every resolution, apps.

Defined on the one metadata (`hutong.store.schema`) and re-exported by
`hutong.store.tables`.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Date,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from hutong.store.schema import metadata
from hutong.store.types import BigIntPK, UTCDateTime

__all__ = [
    "app_links",
    "link_resolutions",
    "link_rules",
    "link_what_if_resolutions",
    "mini_program_links",
    "placements",
]

#: Link policies: one row per version of a host's rules (never updated).
link_rules = Table(
    "link_rules",
    metadata,
    Column("host", String(255), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("rule", Text, nullable=False),  # JSON, LinkRule.to_dict()
    Column("recorded_at", UTCDateTime(), nullable=False),
)

placements = Table(
    "placements",
    metadata,
    Column("id", String(64), primary_key=True),
    #: The short code of the universal link /l/{code}; reveals nothing.
    Column("code", String(16), nullable=False),
    #: The serial inside the share code (the code itself carries a MAC).
    Column("share_serial", BigIntPK, nullable=False),
    Column("host", String(255), nullable=False),
    Column("surface", String(32), nullable=False),
    Column("merchant", String(255), nullable=False),
    Column("sku_id", String(128), nullable=False),
    #: Who placed it: the host platform or a creator on it (attribution).
    Column("placed_by", String(255), nullable=False),
    Column("storefront_id", String(64), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("share_expires_at", UTCDateTime(), nullable=False),
    UniqueConstraint("code"),
    UniqueConstraint("share_serial"),
)

#: Mini-program URL links, which expire (WeChat's live at most 30 days).
mini_program_links = Table(
    "mini_program_links",
    metadata,
    Column("placement_id", String(64), primary_key=True),
    Column("url", String(2048), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
)


#: Every resolution of a link or share code: attribution and audit evidence.
def _resolution_table(name: str) -> Table:
    return Table(
        name,
        metadata,
        Column("id", BigIntPK, primary_key=True, autoincrement=True),
        Column("event_id", String(64), nullable=False),
        Column("placement_id", String(64), nullable=True),
        Column("host", String(255), nullable=False),
        Column("surface", String(32), nullable=False),
        Column("outcome", String(32), nullable=False),
        Column("rule", String(64), nullable=False),
        Column("policy_day", Date, nullable=False),
        Column("latency_us", Integer, nullable=False),
        Column("detail", Text, nullable=False),
        Column("created_at", UTCDateTime(), nullable=False),
        Index(f"ix_{name}_placement", "placement_id"),
        Index(f"ix_{name}_host", "host", "outcome"),
    )


link_resolutions = _resolution_table("link_resolutions")

#: What-if resolutions (``/l/{code}?at=...``): same shape, kept apart so that
#: nothing counting traffic in `link_resolutions` ever counts a question.
link_what_if_resolutions = _resolution_table("link_what_if_resolutions")

#: Apps registered with the switch, for universal links / app links files.
app_links = Table(
    "app_links",
    metadata,
    Column("subscriber_id", String(255), primary_key=True),
    Column("ios_app_ids", Text, nullable=False),  # JSON list of TEAMID.bundle.id
    Column("android_packages", Text, nullable=False),  # JSON list of {package, sha256}
    Column("updated_at", UTCDateTime(), nullable=False),
)
