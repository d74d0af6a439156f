"""The Signature header as other Beckn implementations spell it reads as the canonical one.

Each header here is made by `tests.harness.ondc` (plain `cryptography`, the
ONDC utilities' conventions), never by Hutong's signer, and must verify
with Hutong's `verify_authorization` exactly as its canonical form would.
"""

from __future__ import annotations

import pytest

from hutong.protocol.signature_header import CURRENT_KEY, canonical_headers, split_key_id, unwrap
from hutong.protocol.signing import (
    SIGNED_HEADERS,
    MalformedHeader,
    SignatureError,
    parse_authorization,
    verify_authorization,
)
from tests.harness.ondc import ONE_HOUR, OndcKey, authorisation_header

BODY = b'{"context":{"action":"search","message_id":"m-1"},"message":{}}'
NOW = 1_700_000_000


@pytest.mark.parametrize("wrap", [True, False], ids=["quoted as ONDC emits it", "bare"])
@pytest.mark.parametrize(
    "headers",
    ["(created) (expires) digest", "(created)(expires)digest", " (created)  (expires) digest "],
)
def test_an_ondc_header_verifies_in_each_spelling(wrap: bool, headers: str) -> None:
    key = OndcKey()
    value = authorisation_header(
        key, BODY, NOW, key_id="bap.example|uk-1|ed25519", headers=headers, wrap=wrap
    )
    parsed = verify_authorization(value, BODY, key.public_key, now=NOW + 10, max_lifetime=ONE_HOUR)
    assert (parsed.subscriber_id, parsed.key_id) == ("bap.example", "uk-1")
    assert parsed.headers == SIGNED_HEADERS
    assert parsed.expires - parsed.created == ONE_HOUR


def test_a_key_id_without_its_key_part_names_the_current_key() -> None:
    key = OndcKey()
    value = authorisation_header(key, BODY, NOW, key_id="bap.example|ed25519")
    parsed = verify_authorization(value, BODY, key.public_key, now=NOW)
    assert (parsed.subscriber_id, parsed.key_id) == ("bap.example", CURRENT_KEY)


def test_an_hour_is_refused_where_the_limit_is_shorter() -> None:
    key = OndcKey()
    value = authorisation_header(key, BODY, NOW, key_id="bap.example|uk-1|ed25519")
    with pytest.raises(SignatureError, match="lifetime too long"):
        verify_authorization(value, BODY, key.public_key, now=NOW, max_lifetime=ONE_HOUR - 1)


@pytest.mark.parametrize(
    ("key_id", "expected"),
    [
        ("a.example|k1|ed25519", ("a.example", "k1", "ed25519")),
        ("a.example|ed25519", ("a.example", CURRENT_KEY, "ed25519")),
        ("a.example", None),
        ("a.example|k1", None),
        ("|k1|ed25519", None),
        ("a.example||ed25519", None),
        ("a.example|k1|ed25519|x", None),
    ],
)
def test_key_id_forms(key_id: str, expected: tuple[str, str, str] | None) -> None:
    assert split_key_id(key_id) == expected


def test_only_a_quote_around_the_whole_header_is_taken_off() -> None:
    assert unwrap('"Signature keyId="a|k|ed25519""') == 'Signature keyId="a|k|ed25519"'
    # A value that is not a Signature header inside quotes is left for the parser to refuse.
    assert unwrap('"Bearer x"') == '"Bearer x"'
    with pytest.raises(MalformedHeader, match="scheme"):
        parse_authorization('"Bearer x"')


def test_unknown_components_are_still_refused() -> None:
    assert canonical_headers("(created)(expires)host") == "(created)(expires)host"
    key = OndcKey()
    value = authorisation_header(
        key, BODY, NOW, key_id="a.example|k|ed25519", headers="(created)(expires)host"
    )
    with pytest.raises(MalformedHeader, match="headers must be"):
        parse_authorization(value)
