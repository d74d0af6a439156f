"""Payee aliases for wallet-to-wallet transfers: normalizing, masking, keyed digests, the directory.

Pure code, no I/O. A payer finds a payee by an alias the payee's wallet
published into the switch's directory.

Kinds
-----
phone
    An 11-digit mainland China mobile number (``1[3-9]`` then 9 digits).
    Spaces, dashes, dots and brackets are ignored, full-width digits read as
    ASCII (NFKC), and a ``+86``/``0086``/``86`` country prefix dropped:
    ``+86 138-0013-5678`` -> ``13800135678``.
handle
    A chosen name: NFKC, lower-cased, an optional leading ``@`` dropped; 3 to
    32 characters of ``a-z 0-9 _ . -`` starting with a letter (so a handle can
    never look like a phone number).

Privacy
-------
A phone number is personal data. The directory stores only its keyed digest
(`alias_digest`: BLAKE2b keyed with the switch's secret, so a leaked table
cannot be reversed by hashing every mobile number) and its masked form
(`mask`: ``138****5678``). `Alias` prints masked (``str``, ``repr``), so
logging one never writes the full number, and refusals never echo the value
they refuse. Handles are public names their owners chose to share and are
shown as they are.

Directory
---------
Each wallet publishes its own users' aliases; the same phone number may be
registered by several wallets (one person, an account in each), so an entry
is keyed by (alias digest, wallet) and `AliasDirectory.lookup` returns every
wallet's entry. Only the owning wallet registers or removes its entry
(``alias_not_owned``); within one wallet an alias names one account
(``alias_taken`` when another account claims it); removing an entry that does
not exist is ``alias_not_found``.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from hutong.payments.rules import PaymentError

_PHONE = re.compile(r"^1[3-9][0-9]{9}$")
_HANDLE = re.compile(r"^[a-z][a-z0-9_.-]{2,31}$")
_SEPARATORS = re.compile(r"[\s\-.()]")
_PERSON = b"hutong-alias-v1"


class AliasKind(StrEnum):
    PHONE = "phone"
    HANDLE = "handle"


@dataclass(frozen=True, slots=True, repr=False)
class Alias:
    """A normalized alias. Prints masked: the full value is only in `value`."""

    kind: AliasKind
    value: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", AliasKind(self.kind))
        pattern = _PHONE if self.kind is AliasKind.PHONE else _HANDLE
        if not isinstance(self.value, str) or not pattern.match(self.value):
            raise PaymentError("invalid_alias", f"not a normalized {self.kind} alias")

    def __repr__(self) -> str:
        return f"Alias({self.kind}, {mask(self)})"

    def __str__(self) -> str:
        return mask(self)


def normalize_alias(kind: AliasKind | str, value: str) -> Alias:
    """The canonical alias, or `PaymentError` ``invalid_alias`` (without echoing `value`)."""
    try:
        kind = AliasKind(kind)
    except ValueError:
        raise PaymentError("invalid_alias", f"unknown alias kind {kind!r}") from None
    if not isinstance(value, str):
        raise PaymentError("invalid_alias", "an alias is text")
    text = unicodedata.normalize("NFKC", value).strip()
    if kind is AliasKind.PHONE:
        digits = _SEPARATORS.sub("", text)
        for prefix in ("+86", "0086", "86"):
            if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
                digits = digits[len(prefix) :]
                break
        if not _PHONE.match(digits):
            raise PaymentError("invalid_alias", "not an 11-digit mainland mobile number")
        return Alias(kind, digits)
    handle = text.lower().removeprefix("@")
    if not _HANDLE.match(handle):
        raise PaymentError(
            "invalid_alias",
            "a handle is 3 to 32 of a-z, 0-9, _ . - and starts with a letter",
        )
    return Alias(kind, handle)


def mask(alias: Alias) -> str:
    """The alias for display: ``138****5678`` for a phone number, a handle as it is."""
    if alias.kind is AliasKind.PHONE:
        return f"{alias.value[:3]}****{alias.value[-4:]}"
    return alias.value


def alias_digest(alias: Alias, key: bytes) -> str:
    """The keyed digest the directory stores instead of the alias (key: 16 to 64 bytes)."""
    if not isinstance(key, bytes) or not 16 <= len(key) <= 64:
        raise ValueError("the alias key is 16 to 64 bytes")
    material = f"{alias.kind}:{alias.value}".encode()
    return "b2:" + hashlib.blake2b(material, key=key, digest_size=32, person=_PERSON).hexdigest()


@dataclass(frozen=True, slots=True)
class AliasEntry:
    """What the directory keeps: no full phone number, only its digest and masked form."""

    digest: str
    kind: AliasKind
    masked: str
    wallet: str
    #: The wallet's own reference for the payee's account (opaque to the switch).
    account: str


class AliasDirectory:
    """The directory's rules over an in-memory table (storage mirrors them)."""

    __slots__ = ("_entries", "_key")

    def __init__(self, key: bytes) -> None:
        alias_digest(Alias(AliasKind.HANDLE, "key-check"), key)
        self._key = key
        self._entries: dict[tuple[str, str], AliasEntry] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def register(self, alias: Alias, *, wallet: str, account: str, acting: str) -> AliasEntry:
        """`acting` publishes `alias` for its user `account`; the same entry again is a no-op."""
        if acting != wallet:
            raise PaymentError("alias_not_owned", f"{acting} cannot publish aliases for {wallet}")
        if not wallet.strip() or not account.strip():
            raise PaymentError("invalid_alias", "wallet and account are required")
        digest = alias_digest(alias, self._key)
        existing = self._entries.get((digest, wallet))
        if existing is not None and existing.account != account:
            raise PaymentError("alias_taken", f"{alias} already names another account at {wallet}")
        entry = AliasEntry(digest, alias.kind, mask(alias), wallet, account)
        self._entries[(digest, wallet)] = entry
        return entry

    def remove(self, alias: Alias, *, wallet: str, acting: str) -> AliasEntry:
        """`acting` removes its own entry for `alias`."""
        if acting != wallet:
            raise PaymentError("alias_not_owned", f"{acting} cannot remove {wallet}'s aliases")
        entry = self._entries.pop((alias_digest(alias, self._key), wallet), None)
        if entry is None:
            raise PaymentError("alias_not_found", f"{wallet} has not published {alias}")
        return entry

    def lookup(self, alias: Alias) -> tuple[AliasEntry, ...]:
        """Every wallet's entry for `alias`, by wallet id (empty when none published it)."""
        digest = alias_digest(alias, self._key)
        return tuple(
            sorted(
                (e for (d, _), e in self._entries.items() if d == digest), key=lambda e: e.wallet
            )
        )
