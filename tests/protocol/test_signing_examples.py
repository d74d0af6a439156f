"""The worked signing examples of the README, reproduced byte for byte.

Each example is a fixed key, a window, a request line and a body; from them
come the signing string and the header. Both are checked three ways: Hutong
makes exactly them, an independent implementation (`cryptography` and
`hashlib`, the string written out by hand) agrees, and the README shows
exactly these bytes.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hutong.protocol.signing import (
    SignatureError,
    Signer,
    body_digest,
    public_key_of,
    request_target,
    signing_string,
    verify_authorization,
)
from tests.harness.vectors import (
    EXAMPLES,
    Example,
)

README = Path(__file__).resolve().parents[2] / "README.md"

# RFC 8032 section 7.1, TEST 1.
SEED_B64 = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A="
PUBLIC_B64 = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
SUBSCRIBER, KEY_ID = "buyer.example.com", "k1"
CREATED, EXPIRES = 1_700_000_000, 1_700_000_300


CASES = pytest.mark.parametrize("example", EXAMPLES.values(), ids=EXAMPLES.keys())


def by_hand(example: Example) -> tuple[str, str]:
    """The signing string and signature as another implementation would make them."""
    digest = base64.b64encode(hashlib.blake2b(example.body, digest_size=64).digest()).decode()
    text = (
        f"(created): {CREATED}\n(expires): {EXPIRES}\n"
        f"(request-target): {example.method.lower()} {example.path}\n"
        f"digest: BLAKE-512={digest}"
    )
    key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(SEED_B64))
    return text, base64.b64encode(key.sign(text.encode())).decode()


def readme_blocks() -> list[str]:
    return re.findall(r"```text\n(.*?)\n```", README.read_text(encoding="utf-8"), re.S)


def test_the_example_key_is_the_rfc_8032_test_1_key() -> None:
    assert public_key_of(SEED_B64) == PUBLIC_B64


@CASES
def test_hutong_makes_exactly_the_documented_signing_string_and_header(example: Example) -> None:
    target = request_target(example.method, example.path)
    assert signing_string(CREATED, EXPIRES, body_digest(example.body), target) == (
        example.signing_string.encode()
    )
    signer = Signer(SUBSCRIBER, KEY_ID, SEED_B64)
    made = signer.for_request(example.method, example.path, example.body, CREATED, EXPIRES)
    assert made == example.header


@CASES
def test_an_independent_implementation_makes_the_same_bytes(example: Example) -> None:
    text, signature = by_hand(example)
    assert text == example.signing_string
    assert f'signature="{signature}"' in example.header


@CASES
def test_the_readme_shows_exactly_these_bytes(example: Example) -> None:
    blocks = readme_blocks()
    assert example.signing_string in blocks
    assert example.header in blocks
    readme = README.read_text(encoding="utf-8")
    assert f"`{example.method} {example.path}`" in readme
    assert f"`{SEED_B64}`" in readme and f"`{PUBLIC_B64}`" in readme


@CASES
def test_the_example_verifies_for_its_request_only(example: Example) -> None:
    target = request_target(example.method, example.path)
    verify_authorization(example.header, example.body, PUBLIC_B64, now=CREATED, target=target)
    for other in ("get /v1/orders/o-2?x=1", "get /v1/orders/o-1?x=2", "post /v1/orders/o-1?x=1"):
        with pytest.raises(SignatureError, match="bad signature"):
            verify_authorization(
                example.header, example.body, PUBLIC_B64, now=CREATED, target=other
            )
    with pytest.raises(SignatureError, match="request target unknown"):
        verify_authorization(example.header, example.body, PUBLIC_B64, now=CREATED)


def test_the_readme_documents_the_signing_string_format() -> None:
    assert (
        "(created): <unix seconds>\n"
        "(expires): <unix seconds>\n"
        "(request-target): <method in lower case> <path>[?<query>]\n"
        "digest: BLAKE-512=<base64 of the BLAKE2b-512 hash of the exact body bytes>"
    ) in readme_blocks()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/x\n(created): 1"),  # a second line in the signing string
        ("GET", "/v1/x y"),
        ("GET", "v1/x"),
        ("GET", "/v1/ключ"),
        ("GET", ""),
        ("G ET", "/v1/x"),
        ("", "/v1/x"),
    ],
)
def test_a_request_target_that_could_not_be_on_a_request_line_is_refused(
    method: str, path: str
) -> None:
    with pytest.raises(ValueError):
        request_target(method, path)
