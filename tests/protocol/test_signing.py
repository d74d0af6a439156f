"""Beckn 1.1 request signatures, as `hutong.protocol.signing` implements them.

Every header here that is meant to be accepted is also checked against a second,
independent implementation: the `cryptography` package for ed25519 and `hashlib`
for BLAKE2b-512, with the signing string and the header text written out by
hand, the way another ONDC/Beckn participant would produce them.
"""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from hutong.protocol.signing import (
    KeyFormatError,
    MalformedHeader,
    SignatureError,
    Signer,
    body_digest,
    load_signing_key,
    load_verify_key,
    make_authorization,
    new_key_pair,
    parse_authorization,
    public_key_of,
    signing_string,
    verify_authorization,
    verify_with_digest_header,
)
from tests.harness.vectors import (
    BODY,
    GOLDEN_HEADER,
    GOLDEN_SIGNATURE,
)

# --------------------------------------------------------------------------
# The independent implementation (cryptography + hashlib, no hutong code).
# --------------------------------------------------------------------------


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def ref_digest(body: bytes) -> str:
    return b64(hashlib.blake2b(body, digest_size=64).digest())


def ref_signing_string(created: int | str, expires: int | str, body: bytes) -> bytes:
    return (
        f"(created): {created}\n(expires): {expires}\ndigest: BLAKE-512={ref_digest(body)}"
    ).encode()


def ref_public(seed: bytes) -> bytes:
    return (
        Ed25519PrivateKey.from_private_bytes(seed)
        .public_key()
        .public_bytes(Encoding.Raw, PublicFormat.Raw)
    )


def ref_sign(seed: bytes, body: bytes, created: int, expires: int) -> str:
    key = Ed25519PrivateKey.from_private_bytes(seed)
    return b64(key.sign(ref_signing_string(created, expires, body)))


def ref_header(subscriber: str, key_id: str, created: int, expires: int, signature: str) -> str:
    return (
        f'Signature keyId="{subscriber}|{key_id}|ed25519",algorithm="ed25519",'
        f'created="{created}",expires="{expires}",'
        f'headers="(created) (expires) digest",signature="{signature}"'
    )


def ref_verify(public: bytes, body: bytes, header: str) -> bool:
    """Check a header the way another participant would: regex out the fields."""
    fields = dict(re.findall(r'(\w+)="([^"]*)"', header))
    message = ref_signing_string(fields["created"], fields["expires"], body)
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(
            base64.b64decode(fields["signature"]), message
        )
    except InvalidSignature:
        return False
    return True


# RFC 8032 section 7.1, TEST 1: a published ed25519 key pair.
SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
PUBLIC = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
SEED_B64 = b64(SEED)
PUBLIC_B64 = b64(PUBLIC)

CREATED = 1_700_000_000
EXPIRES = 1_700_000_300
NOW = 1_700_000_100
SUBSCRIBER = "buyer.example.com"
KEY_ID = "k1"

# Computed once with `cryptography` + `hashlib` (see the helpers above) and
# written down, so a change of format anywhere shows up as a changed string.
GOLDEN_DIGEST = (
    "OWv6wUx87XcXymkahJJA+rBq88O58pcrd4Z8pwsM5YGY76r9eTBGat109SKCf/4L2DnVW2qYBi5SY47U2tYgIw=="
)


def hutong_header(body: bytes = BODY, created: int = CREATED, expires: int = EXPIRES) -> str:
    return make_authorization(
        body,
        private_key_b64=SEED_B64,
        subscriber_id=SUBSCRIBER,
        key_id=KEY_ID,
        created=created,
        expires=expires,
    )


def reason_of(header: str, body: bytes = BODY, *, now: int = NOW, **kwargs: int) -> str:
    """The reason `verify_authorization` refuses a header (fails if it accepts it)."""
    with pytest.raises(SignatureError) as info:
        verify_authorization(header, body, PUBLIC_B64, now=now, **kwargs)
    return info.value.reason


# --------------------------------------------------------------------------
# Known vectors and agreement with the independent implementation.
# --------------------------------------------------------------------------


class TestVectors:
    def test_rfc8032_key_pair_is_what_both_implementations_derive(self) -> None:
        assert ref_public(SEED) == PUBLIC
        assert public_key_of(SEED_B64) == PUBLIC_B64

    def test_digest_is_base64_of_blake2b_512_of_the_exact_body_bytes(self) -> None:
        # BLAKE2b-512 of the empty string is a published constant (RFC 7693 family).
        empty = bytes.fromhex(
            "786a02f742015903c6c6fd852552d272912f4740e15847618a86e217f71f5419"
            "d25e1031afee585313896444934eb04b903a685b1448b755d56f701afe9be2ce"
        )
        assert body_digest(b"") == b64(empty)
        assert body_digest(BODY) == ref_digest(BODY) == GOLDEN_DIGEST
        # Whitespace matters: the digest is of bytes, not of parsed JSON.
        assert body_digest(BODY + b" ") != GOLDEN_DIGEST

    def test_signing_string_has_three_lines_and_no_trailing_newline(self) -> None:
        text = signing_string(CREATED, EXPIRES, GOLDEN_DIGEST)
        assert text == (
            b"(created): 1700000000\n(expires): 1700000300\n"
            b"digest: BLAKE-512=" + GOLDEN_DIGEST.encode()
        )
        assert not text.endswith(b"\n")
        assert text == ref_signing_string(CREATED, EXPIRES, BODY)

    def test_hutong_writes_exactly_the_golden_header(self) -> None:
        assert ref_sign(SEED, BODY, CREATED, EXPIRES) == GOLDEN_SIGNATURE
        assert hutong_header() == GOLDEN_HEADER

    def test_golden_header_verifies_in_both_implementations(self) -> None:
        parsed = verify_authorization(GOLDEN_HEADER, BODY, PUBLIC_B64, now=NOW)
        assert (parsed.subscriber_id, parsed.key_id) == (SUBSCRIBER, KEY_ID)
        assert (parsed.created, parsed.expires) == (CREATED, EXPIRES)
        assert parsed.key_id_field == "buyer.example.com|k1|ed25519"
        assert ref_verify(PUBLIC, BODY, GOLDEN_HEADER)

    @pytest.mark.parametrize(
        "template",
        [
            pytest.param(
                'Signature keyId="{sub}|{kid}|ed25519",algorithm="ed25519",'
                'created="{c}",expires="{e}",headers="(created) (expires) digest",'
                'signature="{sig}"',
                id="canonical",
            ),
            pytest.param(
                'Signature signature="{sig}",headers="(created) (expires) digest",'
                'expires="{e}",created="{c}",algorithm="ed25519",keyId="{sub}|{kid}|ed25519"',
                id="parameters-reversed",
            ),
            pytest.param(
                'Signature created="{c}",keyId="{sub}|{kid}|ed25519",signature="{sig}",'
                'expires="{e}",algorithm="ed25519",headers="(created) (expires) digest"',
                id="parameters-shuffled",
            ),
            pytest.param(
                'Signature keyId="{sub}|{kid}|ed25519",algorithm="ed25519",'
                'created={c},expires={e},headers="(created) (expires) digest",'
                'signature="{sig}"',
                id="unquoted-numbers",
            ),
            pytest.param(
                '  Signature   keyId = "{sub}|{kid}|ed25519" ,  algorithm="ed25519",\t'
                'created="{c}",   expires = {e} , headers="(created)  (expires)   digest" ,'
                ' signature="{sig}"  ',
                id="extra-whitespace",
            ),
            pytest.param(
                'Signature keyId="{sub}|{kid}|ed25519", algorithm="ed25519", '
                'created="{c}", expires="{e}", headers="(created) (expires) digest", '
                'signature="{sig}"',
                id="space-after-each-comma",
            ),
            pytest.param(
                'signature keyId="{sub}|{kid}|ed25519",algorithm="ed25519",'
                'created="{c}",expires="{e}",headers="(created) (expires) digest",'
                'signature="{sig}"',
                id="lower-case-scheme",
            ),
            pytest.param(
                'Signature keyId="{sub}|{kid}|ed25519",created="{c}",expires="{e}",'
                'signature="{sig}"',
                id="algorithm-and-headers-left-to-their-defaults",
            ),
        ],
    )
    def test_headers_written_by_another_implementation_are_accepted(self, template: str) -> None:
        signature = ref_sign(SEED, BODY, CREATED, EXPIRES)
        header = template.format(sub=SUBSCRIBER, kid=KEY_ID, c=CREATED, e=EXPIRES, sig=signature)
        parsed = verify_authorization(header, BODY, PUBLIC_B64, now=NOW)
        assert (parsed.subscriber_id, parsed.key_id) == (SUBSCRIBER, KEY_ID)
        assert (parsed.created, parsed.expires) == (CREATED, EXPIRES)
        assert parsed.signature == base64.b64decode(signature)

    @settings(max_examples=50, deadline=None)
    @given(
        seed=st.binary(min_size=32, max_size=32),
        body=st.binary(max_size=512),
        created=st.integers(min_value=0, max_value=10**11),
        lifetime=st.integers(min_value=1, max_value=86_400),
    )
    def test_other_implementation_signs_hutong_verifies(
        self, seed: bytes, body: bytes, created: int, lifetime: int
    ) -> None:
        expires = created + lifetime
        header = ref_header(
            "bap.example.org", "key-7", created, expires, ref_sign(seed, body, created, expires)
        )
        verify_authorization(header, body, b64(ref_public(seed)), now=created)

    @settings(max_examples=50, deadline=None)
    @given(
        seed=st.binary(min_size=32, max_size=32),
        body=st.binary(max_size=512),
        created=st.integers(min_value=0, max_value=10**11),
        lifetime=st.integers(min_value=1, max_value=86_400),
    )
    def test_hutong_signs_other_implementation_verifies(
        self, seed: bytes, body: bytes, created: int, lifetime: int
    ) -> None:
        expires = created + lifetime
        header = Signer("bpp.example.net", "2024-01", b64(seed)).authorization(
            body, created, expires
        )
        assert ref_verify(ref_public(seed), body, header)
        assert not ref_verify(ref_public(seed), body + b"x", header)


# --------------------------------------------------------------------------
# Keys.
# --------------------------------------------------------------------------


class TestKeys:
    def test_private_key_may_be_the_32_byte_seed(self) -> None:
        assert bytes(load_signing_key(SEED_B64).verify_key) == PUBLIC

    def test_private_key_may_be_64_bytes_seed_then_public(self) -> None:
        # The form libsodium and many Beckn tools print as "private key".
        long_form = b64(SEED + PUBLIC)
        assert bytes(load_signing_key(long_form).verify_key) == PUBLIC
        header = make_authorization(
            BODY,
            private_key_b64=long_form,
            subscriber_id=SUBSCRIBER,
            key_id=KEY_ID,
            created=CREATED,
            expires=EXPIRES,
        )
        assert header == GOLDEN_HEADER

    def test_64_byte_key_whose_public_half_does_not_match_is_refused(self) -> None:
        other_public = ref_public(bytes(32))
        with pytest.raises(KeyFormatError, match="public half does not match"):
            load_signing_key(b64(SEED + other_public))
        with pytest.raises(KeyFormatError):
            Signer(SUBSCRIBER, KEY_ID, b64(SEED + other_public))

    @pytest.mark.parametrize("size", [0, 16, 31, 33, 48, 63, 65, 96])
    def test_private_key_of_any_other_length_is_refused(self, size: int) -> None:
        with pytest.raises(KeyFormatError, match=f"32 or 64 bytes, got {size}"):
            load_signing_key(b64(bytes(size)))

    @pytest.mark.parametrize("size", [0, 31, 33, 64])
    def test_public_key_must_be_32_bytes(self, size: int) -> None:
        with pytest.raises(KeyFormatError, match=f"32 bytes, got {size}"):
            load_verify_key(b64(bytes(size)))

    @pytest.mark.parametrize("text", ["not base64!", "AAA", "é" * 44])
    def test_keys_that_are_not_base64_are_refused(self, text: str) -> None:
        with pytest.raises(KeyFormatError, match="not valid base64"):
            load_signing_key(text)
        with pytest.raises(KeyFormatError, match="not valid base64"):
            load_verify_key(text)

    def test_surrounding_whitespace_in_a_key_is_ignored(self) -> None:
        assert bytes(load_signing_key(f"  {SEED_B64}\n").verify_key) == PUBLIC
        assert bytes(load_verify_key(f"{PUBLIC_B64}\n")) == PUBLIC

    def test_new_key_pair_is_a_32_byte_seed_and_its_public_key(self) -> None:
        pair = new_key_pair()
        seed = base64.b64decode(pair.private_key)
        assert len(seed) == 32
        assert base64.b64decode(pair.public_key) == ref_public(seed)
        assert new_key_pair() != pair

    def test_ids_containing_the_separator_cannot_be_signed_for(self) -> None:
        with pytest.raises(ValueError, match="must not contain"):
            Signer("a|b", KEY_ID, SEED_B64)
        with pytest.raises(ValueError, match="must not contain"):
            Signer(SUBSCRIBER, "k|1", SEED_B64)

    def test_a_different_public_key_gives_bad_signature(self) -> None:
        with pytest.raises(SignatureError, match="bad signature"):
            verify_authorization(GOLDEN_HEADER, BODY, b64(ref_public(bytes(32))), now=NOW)


# --------------------------------------------------------------------------
# Tampering: any one-byte change is refused.
# --------------------------------------------------------------------------


def _replace_char(text: str, index: int, char: str) -> str:
    return text[:index] + char + text[index + 1 :]


class TestTampering:
    @given(data=st.data())
    def test_any_one_byte_change_of_the_body_is_bad_signature(self, data: st.DataObject) -> None:
        position = data.draw(st.integers(min_value=0, max_value=len(BODY) - 1), label="position")
        new_byte = data.draw(
            st.integers(min_value=0, max_value=255).filter(lambda b: b != BODY[position]),
            label="new byte",
        )
        tampered = BODY[:position] + bytes([new_byte]) + BODY[position + 1 :]
        assert reason_of(GOLDEN_HEADER, tampered) == "bad signature"

    @given(data=st.data())
    def test_any_one_byte_change_of_the_signature_is_bad_signature(
        self, data: st.DataObject
    ) -> None:
        raw = bytearray(base64.b64decode(GOLDEN_SIGNATURE))
        position = data.draw(st.integers(min_value=0, max_value=63), label="position")
        raw[position] = data.draw(
            st.integers(min_value=0, max_value=255).filter(lambda b: b != raw[position]),
            label="new byte",
        )
        header = GOLDEN_HEADER.replace(GOLDEN_SIGNATURE, b64(bytes(raw)))
        assert reason_of(header) == "bad signature"

    @pytest.mark.parametrize("name", ["created", "expires"])
    @given(data=st.data())
    def test_any_one_digit_change_of_created_or_expires_is_bad_signature(
        self, name: str, data: st.DataObject
    ) -> None:
        # A wide window, so that most changed values still lie inside it and
        # the refusal comes from the signature, not from the clock.
        created, expires, now = 1_700_000_000, 1_799_999_999, 1_750_000_000
        signature = ref_sign(SEED, BODY, created, expires)
        header = ref_header(SUBSCRIBER, KEY_ID, created, expires, signature)
        digits = str(created if name == "created" else expires)
        start = header.index(f'{name}="') + len(name) + 2
        position = data.draw(st.integers(min_value=0, max_value=len(digits) - 1), label="digit")
        new_digit = data.draw(
            st.sampled_from("0123456789").filter(lambda d: d != digits[position]),
            label="new digit",
        )
        changed = int(_replace_char(digits, position, new_digit))
        new_created, new_expires = (changed, expires) if name == "created" else (created, changed)
        assume(new_created <= now <= new_expires)
        tampered = _replace_char(header, start + position, new_digit)
        assert tampered != header
        assert reason_of(tampered, now=now) == "bad signature"

    @settings(max_examples=300)
    @given(data=st.data())
    def test_any_one_character_change_anywhere_in_the_header_is_refused_cleanly(
        self, data: st.DataObject
    ) -> None:
        """Whatever character changes, the answer is a SignatureError, never a crash."""
        position = data.draw(st.integers(min_value=0, max_value=len(GOLDEN_HEADER) - 1))
        char = data.draw(st.characters().filter(lambda c: c != GOLDEN_HEADER[position]))
        tampered = _replace_char(GOLDEN_HEADER, position, char)
        try:
            parsed = verify_authorization(tampered, BODY, PUBLIC_B64, now=NOW)
        except SignatureError:
            return
        # Only changes that leave the signed content alone may pass: the
        # scheme's case, whitespace, or the subscriber/key id (which are not
        # signed; the registry lookup by keyId is what binds them).
        assert (parsed.created, parsed.expires) == (CREATED, EXPIRES)
        assert b64(parsed.signature) == GOLDEN_SIGNATURE


# --------------------------------------------------------------------------
# The created/expires window.
# --------------------------------------------------------------------------


class TestWindow:
    def test_valid_from_created_through_expires_inclusive(self) -> None:
        for now in (CREATED, NOW, EXPIRES):
            verify_authorization(GOLDEN_HEADER, BODY, PUBLIC_B64, now=now)

    def test_after_expires_is_expired(self) -> None:
        assert reason_of(GOLDEN_HEADER, now=EXPIRES + 1) == "expired"

    def test_before_created_is_not_yet_valid(self) -> None:
        assert reason_of(GOLDEN_HEADER, now=CREATED - 1) == "not yet valid"

    def test_skew_widens_the_window_on_both_sides(self) -> None:
        verify_authorization(GOLDEN_HEADER, BODY, PUBLIC_B64, now=EXPIRES + 5, skew=5)
        verify_authorization(GOLDEN_HEADER, BODY, PUBLIC_B64, now=CREATED - 5, skew=5)
        assert reason_of(GOLDEN_HEADER, now=EXPIRES + 6, skew=5) == "expired"
        assert reason_of(GOLDEN_HEADER, now=CREATED - 6, skew=5) == "not yet valid"

    def test_lifetime_longer_than_the_maximum_is_refused(self) -> None:
        verify_authorization(GOLDEN_HEADER, BODY, PUBLIC_B64, now=NOW, max_lifetime=300)
        assert reason_of(GOLDEN_HEADER, max_lifetime=299) == "lifetime too long"

    @pytest.mark.parametrize("expires", [CREATED, CREATED - 1, 0])
    def test_expires_must_be_after_created(self, expires: int) -> None:
        header = ref_header(
            SUBSCRIBER, KEY_ID, CREATED, expires, ref_sign(SEED, BODY, CREATED, expires)
        )
        assert reason_of(header, now=CREATED) == "expires must be after created"

    def test_window_is_checked_before_the_signature(self) -> None:
        # An expired header with a wrong body reports the clock, not the body.
        assert reason_of(GOLDEN_HEADER, b"other", now=EXPIRES + 1) == "expired"


# --------------------------------------------------------------------------
# Malformed headers: each refusal names the part at fault.
# --------------------------------------------------------------------------


def _without(name: str) -> str:
    return re.sub(rf',?{name}="[^"]*"', "", GOLDEN_HEADER).replace("Signature ,", "Signature ")


def _with(name: str, value: str) -> str:
    return re.sub(rf'{name}="[^"]*"', f'{name}="{value}"', GOLDEN_HEADER, count=1)


KEY_ID_SHAPE = 'malformed header: keyId must be "subscriber_id|key_id|algorithm"'
UNIX = "must be a unix time in seconds"
NOT_ED25519 = "malformed header: algorithm must be ed25519"
TWICE = "given twice"
HEADER_LISTS = (
    'malformed header: headers must be "(created) (expires) (request-target) digest"'
    ' or "(created) (expires) digest"'
)

MALFORMED = [
    ("empty", "", "malformed header: empty"),
    ("blank", "   ", "malformed header: empty"),
    ("bearer-scheme", "Bearer abc.def", "malformed header: scheme must be Signature"),
    (
        "no-scheme",
        GOLDEN_HEADER.removeprefix("Signature "),
        "malformed header: scheme must be Signature",
    ),
    ("missing-keyId", _without("keyId"), "malformed header: keyId missing"),
    ("missing-signature", _without("signature"), "malformed header: signature missing"),
    ("missing-created", _without("created"), "malformed header: created missing"),
    ("missing-expires", _without("expires"), "malformed header: expires missing"),
    ("only-scheme", "Signature", "malformed header: keyId missing"),
    ("keyId-one-part", _with("keyId", "buyer.example.com"), KEY_ID_SHAPE),
    ("keyId-two-parts", _with("keyId", "buyer.example.com|k1"), KEY_ID_SHAPE),
    ("keyId-four-parts", _with("keyId", "buyer.example.com|k1|ed25519|x"), KEY_ID_SHAPE),
    ("keyId-empty-subscriber", _with("keyId", "|k1|ed25519"), KEY_ID_SHAPE),
    ("keyId-empty-key-id", _with("keyId", "buyer.example.com||ed25519"), KEY_ID_SHAPE),
    ("algorithm-rsa", _with("algorithm", "rsa-sha256"), NOT_ED25519),
    ("algorithm-hs2019", _with("algorithm", "hs2019"), NOT_ED25519),
    (
        "keyId-algorithm-not-ed25519",
        _with("keyId", "buyer.example.com|k1|rsa"),
        "malformed header: algorithm must be ed25519",
    ),
    (
        "headers-without-expires",
        _with("headers", "(created) digest"),
        HEADER_LISTS,
    ),
    (
        "headers-reordered",
        _with("headers", "digest (created) (expires)"),
        HEADER_LISTS,
    ),
    (
        "headers-with-request-target-first",
        _with("headers", "(request-target) (created) (expires) digest"),
        HEADER_LISTS,
    ),
    ("created-word", _with("created", "yesterday"), f"malformed header: created {UNIX}"),
    ("created-negative", _with("created", "-1700000000"), f"malformed header: created {UNIX}"),
    ("created-fraction", _with("created", "1700000000.5"), f"malformed header: created {UNIX}"),
    ("created-empty", _with("created", ""), f"malformed header: created {UNIX}"),
    ("created-millis", _with("created", "1700000000000"), f"malformed header: created {UNIX}"),
    # Non-ASCII digits: str.isdigit() says yes, but they are not a unix time.
    ("created-arabic-indic", _with("created", "١٧٠٠٠٠٠٠٠٠"), f"malformed header: created {UNIX}"),
    ("created-superscript", _with("created", "²"), f"malformed header: created {UNIX}"),
    ("expires-word", _with("expires", "soon"), f"malformed header: expires {UNIX}"),
    (
        "signature-not-base64",
        _with("signature", "not*base64!"),
        "malformed header: signature is not valid base64",
    ),
    (
        "signature-bad-padding",
        _with("signature", GOLDEN_SIGNATURE.rstrip("=")),
        "malformed header: signature is not valid base64",
    ),
    (
        "signature-63-bytes",
        _with("signature", b64(bytes(63))),
        "malformed header: signature must be 64 bytes",
    ),
    (
        "signature-65-bytes",
        _with("signature", b64(bytes(65))),
        "malformed header: signature must be 64 bytes",
    ),
    ("duplicate-created", GOLDEN_HEADER + ',created="1"', f"malformed header: created {TWICE}"),
    ("duplicate-keyId", GOLDEN_HEADER + ',keyId="x|y|ed25519"', f"malformed header: keyId {TWICE}"),
]


class TestMalformed:
    @pytest.mark.parametrize(
        ("header", "reason"),
        [pytest.param(header, reason, id=name) for name, header, reason in MALFORMED],
    )
    def test_refused_with_a_precise_reason(self, header: str, reason: str) -> None:
        with pytest.raises(MalformedHeader) as info:
            verify_authorization(header, BODY, PUBLIC_B64, now=NOW)
        assert info.value.reason == reason
        assert str(info.value) == reason

    @pytest.mark.parametrize(
        "header",
        [
            "Signature !!!",
            "Signature keyId",
            'Signature keyId="unterminated',
            'Signature keyId="a|b|ed25519" created="1"',
            'Signature keyId="a|b|ed25519",,created="1"',
            'Signature keyId="a|b|ed25519"junk,created="1"',
            "Signature keyId=a|b|ed25519 created=1",
            "Signature \x00\x01\x02",
        ],
    )
    def test_garbage_cannot_be_parsed(self, header: str) -> None:
        with pytest.raises(MalformedHeader) as info:
            parse_authorization(header)
        assert info.value.reason.startswith("malformed header: cannot parse parameters at ")

    @given(st.text(max_size=300))
    def test_any_text_is_either_parsed_or_refused_as_malformed(self, text: str) -> None:
        try:
            parse_authorization(text)
        except MalformedHeader as exc:
            assert exc.reason.startswith("malformed header: ")

    @given(
        st.text(
            alphabet=st.sampled_from('Signature keyId="|,= ()\t0123456789abcAB+/'),
            max_size=200,
        ).map(lambda tail: "Signature " + tail)
    )
    def test_header_shaped_noise_is_either_parsed_or_refused_as_malformed(self, text: str) -> None:
        try:
            parse_authorization(text)
        except MalformedHeader as exc:
            assert exc.reason.startswith("malformed header: ")


# --------------------------------------------------------------------------
# The separate Digest header.
# --------------------------------------------------------------------------


class TestDigestHeader:
    def test_matching_digest_header_passes(self) -> None:
        verify_with_digest_header(f"BLAKE-512={ref_digest(BODY)}", BODY)
        verify_with_digest_header(f"  blake-512={ref_digest(BODY)} ", BODY)

    def test_absent_digest_header_is_not_checked(self) -> None:
        verify_with_digest_header(None, BODY)

    def test_digest_of_another_body_is_digest_mismatch(self) -> None:
        with pytest.raises(SignatureError) as info:
            verify_with_digest_header(f"BLAKE-512={ref_digest(BODY + b' ')}", BODY)
        assert info.value.reason == "digest mismatch"
        assert not isinstance(info.value, MalformedHeader)

    @given(data=st.data())
    def test_one_byte_change_of_the_body_is_digest_mismatch(self, data: st.DataObject) -> None:
        position = data.draw(st.integers(min_value=0, max_value=len(BODY) - 1))
        new_byte = data.draw(st.integers(0, 255).filter(lambda b: b != BODY[position]))
        tampered = BODY[:position] + bytes([new_byte]) + BODY[position + 1 :]
        with pytest.raises(SignatureError, match=r"^digest mismatch$"):
            verify_with_digest_header(f"BLAKE-512={GOLDEN_DIGEST}", tampered)

    @pytest.mark.parametrize("value", [f"SHA-256={GOLDEN_DIGEST}", "BLAKE-512=", "BLAKE-512", ""])
    def test_other_algorithms_or_empty_values_are_malformed(self, value: str) -> None:
        with pytest.raises(MalformedHeader) as info:
            verify_with_digest_header(value, BODY)
        assert info.value.reason == "malformed header: Digest header must be BLAKE-512=<base64>"
