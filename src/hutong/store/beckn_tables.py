"""The Beckn gateway's durable jobs (issue 17 §3), on the switch's one metadata.

A `/beckn/<action>` request is answered ACK at once; the work it asks for is
a job recorded in the same transaction as the ACK (exactly once per BAP and
message id), run after it by a worker (`hutong.beckn.queue`), whose result
goes to the outbox as `on_<action>`; an answered job is pruned once its
message id is no longer kept (`hutong.beckn.retention`). Defined on the one metadata
(`hutong.store.schema`) and re-exported by `hutong.store.tables`.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table, Text, UniqueConstraint

from hutong.store.schema import known, metadata, not_negative
from hutong.store.types import BigIntPK, UTCDateTime

__all__ = ["BECKN_JOB_STATUSES", "beckn_jobs"]

#: `hutong.beckn.queue.JobStatus`, written out (the store is below it).
BECKN_JOB_STATUSES = ("pending", "answered")

#: One row per request of a BAP: pending until its `on_<action>` is in the outbox.
beckn_jobs = Table(
    "beckn_jobs",
    metadata,
    Column("id", BigIntPK, primary_key=True, autoincrement=True),
    Column("bap", String(255), nullable=False),
    Column("message_id", String(128), nullable=False),
    Column("action", String(16), nullable=False),
    #: The checked request, `{context, message}`, as JSON.
    Column("request", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime(), nullable=False),
    #: The worker running it (`worker@process` while the process beats: taken
    #: over once that process's heartbeat stopped), until when (else the
    #: lease runs out).
    Column("lease_owner", String(64), nullable=True),
    Column("lease_until", UTCDateTime(), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("answered_at", UTCDateTime(), nullable=True),
    UniqueConstraint("bap", "message_id"),
    #: A worker's poll: the due jobs, oldest due first (`hutong.beckn.queue.claim`).
    Index("ix_beckn_jobs_status_next", "status", "next_attempt_at"),
    #: The leases in force, whose holders a poll names (`hutong.runtime.leases`).
    Index("ix_beckn_jobs_status_lease", "status", "lease_until"),
    #: The retention sweep's look-up (`hutong.beckn.retention`): answered before a cutoff.
    Index("ix_beckn_jobs_status_answered", "status", "answered_at"),
    known("status", BECKN_JOB_STATUSES),
    not_negative("attempts"),
)
