"""Settings, read once from the environment (`HUTONG_*`), with sane defaults.

The embedded default needs nothing set: SQLite in `./hutong-data/`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

DEFAULT_DATA_DIR = Path("hutong-data")
#: Seconds a PostgreSQL session of the switch may sit idle inside a transaction
#: before the server ends it (`HUTONG_DB_IDLE_IN_TRANSACTION_TIMEOUT`; see
#: `hutong.store.db.SessionLimits`, which applies it).
DB_IDLE_IN_TRANSACTION_TIMEOUT = 15.0
#: Seconds a PostgreSQL connection's network may be silent before the switch
#: gives the connection up (`HUTONG_DB_TCP_USER_TIMEOUT`; `SessionLimits`).
DB_TCP_USER_TIMEOUT = 30.0


def _int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from None


def _seconds(env: dict[str, str], name: str, default: float) -> float:
    """A duration in seconds: 0 turns it off, otherwise at least 1 (never negative)."""
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number of seconds, got {raw!r}") from None
    if not (value == 0 or 1 <= value < float("inf")):
        raise ValueError(f"{name} must be 0 (off) or at least 1 second, got {raw!r}")
    return value


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str
    data_dir: Path = DEFAULT_DATA_DIR
    #: Bearer token for the operator API; empty disables the operator API.
    operator_token: str = ""
    #: The switch's own subscriber id, used in the keyId of what it signs.
    switch_id: str = "hutong.switch"
    #: Seconds of clock difference tolerated on created/expires.
    clock_skew: int = 30
    #: Longest created->expires span accepted (`HUTONG_MAX_REQUEST_LIFETIME`).
    #: One hour, as the Beckn (BECKN-006) and ONDC signing utilities sign. A
    #: captured request is replayable for this long plus twice the skew, so
    #: the message-id record that answers a repeat (`message_retention`)
    #: must be kept longer: `load_settings` refuses settings where it is not.
    max_request_lifetime: int = 3600
    #: Largest request body accepted, in bytes.
    max_body_bytes: int = 4_194_304
    #: Message-id records are kept at least this long (must outlive requests).
    message_retention: int = 86_400
    #: Event delivery: HTTP timeout, first retry delay, cap (`HUTONG_DELIVERY_MAX_DELAY`),
    #: and maximum age.
    delivery_timeout: float = 5.0
    delivery_base_delay: float = 0.5
    delivery_max_delay: float = 300.0
    delivery_max_age: int = 86_400
    delivery_poll_interval: float = 0.2
    #: Run the outbox delivery loop inside `hutong serve`.
    run_delivery: bool = True
    #: Decision calls to wallets and programs: seconds per attempt, and attempts
    #: (each retry carries the same message id).
    wallet_call_timeout: float = 5.0
    wallet_call_attempts: int = 2
    #: Settlement: a window closes at most up to this many seconds ago, so a
    #: ledger transaction still committing is never skipped
    #: (`hutong.ledger.settlement.window_store`).
    settlement_grace: int = 5
    #: Alias lookups a wallet may make (``POST /v1/aliases/lookup``): this many
    #: a minute on average, up to `alias_lookup_burst` at once; 0 turns the
    #: limit off. Kept in the database, so shared by every worker.
    alias_lookups_per_minute: int = 60
    alias_lookup_burst: int = 20
    #: Decision calls (the auditor's evidence, `hutong.net.call_journal`) are
    #: kept this many days; 0 keeps them for ever.
    decision_call_retention_days: int = 400
    #: Stored audit runs (`hutong.audit.stored`) computed longer ago than this
    #: many days are pruned, the newest kept; 0 keeps them for ever.
    audit_run_retention_days: int = 90
    #: Outbox events delivered or given up (dead) longer ago than this many days
    #: are pruned (`hutong.events.retention`); pending ones never. 0 keeps them for ever.
    outbox_retention_days: int = 30
    #: The switch's base URL in its own registry entry (`HUTONG_PUBLIC_URL`);
    #: empty: the URL the lookup was asked at.
    public_url: str = ""
    #: The country the switch serves, as its registry entry's location
    #: (`HUTONG_COUNTRY`, ISO 3166-1 alpha-3 as Beckn networks write it).
    country: str = "CHN"
    #: Beckn self-registration (`POST /subscribe`) is open (`HUTONG_OPEN_SUBSCRIPTION=1`).
    #: Closed by default: a subscription makes the switch call a URL its
    #: sender chose, and anyone can make a key pair to sign one.
    open_subscription: bool = False
    #: The contact a Beckn `support` request is answered with (`HUTONG_SUPPORT_URL`,
    #: `HUTONG_SUPPORT_EMAIL`); without a URL, the switch's public URL.
    support_url: str = ""
    support_email: str = ""
    #: Group commits a process has in flight at once on PostgreSQL
    #: (`HUTONG_COMMITS_IN_FLIGHT`; SQLite always has one: one writer). One
    #: lets writes gather while a commit is out, so batches are large and the
    #: database commits (and, with a synchronous standby, replicates) less
    #: often: measured on 2 cores, one gave more orders and more signed
    #: writes per second than four, with one process and with three
    #: (docs/production.md, "Commits in flight").
    commits_in_flight: int = 1
    #: Seconds a switch process's heartbeat may be silent before a twin of a
    #: message it claimed takes the claim over (`HUTONG_CLAIM_TAKEOVER_AFTER`;
    #: a process beats every second: `hutong.runtime.heartbeat`). 0 turns the
    #: heartbeat off: a claim is then taken over only after its lease.
    claim_takeover_after: float = 5.0
    #: PostgreSQL: seconds a session may sit idle inside a transaction before
    #: the server ends it, rolling it back and freeing its row locks
    #: (`HUTONG_DB_IDLE_IN_TRANSACTION_TIMEOUT`, 0 off): what a process frozen
    #: inside a transaction holds up. Far above any gap between the statements
    #: of the switch's transactions, which ask no participant
    #: (docs/production.md, "A process frozen inside a transaction").
    db_idle_in_transaction_timeout: float = DB_IDLE_IN_TRANSACTION_TIMEOUT
    #: PostgreSQL: seconds a connection's network may be silent (what it sent
    #: not acknowledged, or no answer to keepalive probes) before the switch
    #: gives the connection up (`HUTONG_DB_TCP_USER_TIMEOUT`, 0: the operating
    #: system's, about 15 minutes). A shorter network cut is waited through.
    db_tcp_user_timeout: float = DB_TCP_USER_TIMEOUT
    extra: dict[str, str] = field(default_factory=dict)

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def sqlite_url(data_dir: Path) -> str:
    return f"sqlite+aiosqlite:///{data_dir / 'hutong.db'}"


def load_settings(env: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ) if env is None else env
    data_dir = Path(env.get("HUTONG_DATA_DIR", str(DEFAULT_DATA_DIR)))
    settings = Settings(
        database_url=env.get("HUTONG_DATABASE_URL") or sqlite_url(data_dir),
        data_dir=data_dir,
        operator_token=env.get("HUTONG_OPERATOR_TOKEN", ""),
        switch_id=env.get("HUTONG_SWITCH_ID", "hutong.switch"),
        clock_skew=_int(env, "HUTONG_CLOCK_SKEW", 30),
        max_request_lifetime=_int(env, "HUTONG_MAX_REQUEST_LIFETIME", 3600),
        max_body_bytes=_int(env, "HUTONG_MAX_BODY_BYTES", 4_194_304),
        message_retention=_int(env, "HUTONG_MESSAGE_RETENTION", 86_400),
        wallet_call_timeout=float(env.get("HUTONG_WALLET_CALL_TIMEOUT", "5")),
        wallet_call_attempts=_int(env, "HUTONG_WALLET_CALL_ATTEMPTS", 2),
        delivery_max_age=_int(env, "HUTONG_DELIVERY_MAX_AGE", 86_400),
        delivery_max_delay=float(env.get("HUTONG_DELIVERY_MAX_DELAY", "300")),
        run_delivery=env.get("HUTONG_RUN_DELIVERY", "1") not in ("0", "false", "no"),
        settlement_grace=_int(env, "HUTONG_SETTLEMENT_GRACE", 5),
        alias_lookups_per_minute=_int(env, "HUTONG_ALIAS_LOOKUPS_PER_MINUTE", 60),
        alias_lookup_burst=_int(env, "HUTONG_ALIAS_LOOKUP_BURST", 20),
        decision_call_retention_days=_int(env, "HUTONG_DECISION_CALL_RETENTION_DAYS", 400),
        audit_run_retention_days=_int(env, "HUTONG_AUDIT_RUN_RETENTION_DAYS", 90),
        outbox_retention_days=_int(env, "HUTONG_OUTBOX_RETENTION_DAYS", 30),
        public_url=env.get("HUTONG_PUBLIC_URL", ""),
        country=env.get("HUTONG_COUNTRY", "CHN") or "CHN",
        open_subscription=env.get("HUTONG_OPEN_SUBSCRIPTION", "0") in ("1", "true", "yes"),
        support_url=env.get("HUTONG_SUPPORT_URL", ""),
        support_email=env.get("HUTONG_SUPPORT_EMAIL", ""),
        commits_in_flight=_int(env, "HUTONG_COMMITS_IN_FLIGHT", 1),
        claim_takeover_after=float(env.get("HUTONG_CLAIM_TAKEOVER_AFTER", "5")),
        db_idle_in_transaction_timeout=_seconds(
            env, "HUTONG_DB_IDLE_IN_TRANSACTION_TIMEOUT", DB_IDLE_IN_TRANSACTION_TIMEOUT
        ),
        db_tcp_user_timeout=_seconds(env, "HUTONG_DB_TCP_USER_TIMEOUT", DB_TCP_USER_TIMEOUT),
    )
    if settings.alias_lookups_per_minute < 0 or settings.alias_lookup_burst < 1:
        raise ValueError(
            "HUTONG_ALIAS_LOOKUPS_PER_MINUTE must not be negative and"
            " HUTONG_ALIAS_LOOKUP_BURST must be at least 1"
        )
    if settings.commits_in_flight < 1:
        raise ValueError("HUTONG_COMMITS_IN_FLIGHT must be at least 1")
    if settings.claim_takeover_after != 0 and settings.claim_takeover_after < 2:
        raise ValueError(
            "HUTONG_CLAIM_TAKEOVER_AFTER must be 0 (off) or at least 2 seconds"
            " (a process beats every second)"
        )
    if settings.decision_call_retention_days < 0:
        raise ValueError("HUTONG_DECISION_CALL_RETENTION_DAYS must not be negative")
    if settings.audit_run_retention_days < 0:
        raise ValueError("HUTONG_AUDIT_RUN_RETENTION_DAYS must not be negative")
    if settings.outbox_retention_days < 0:
        raise ValueError("HUTONG_OUTBOX_RETENTION_DAYS must not be negative")
    if settings.settlement_grace < 0:
        raise ValueError("HUTONG_SETTLEMENT_GRACE must not be negative")
    if settings.message_retention < settings.max_request_lifetime + 2 * settings.clock_skew:
        raise ValueError(
            "HUTONG_MESSAGE_RETENTION must outlive the longest request "
            "(max lifetime plus twice the clock skew)"
        )
    return settings
