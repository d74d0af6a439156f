"""`hutong keys new`, `hutong sign make` and `hutong sign verify`, run as commands.

The commands print machine output only: a JSON key pair, a bare header value,
and `valid` or the reason for refusal, so they compose in shell scripts.
"""

from __future__ import annotations

import base64
import json
import re
import time
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner, Result

from hutong.cli import keys, sign
from hutong.protocol.signing import body_digest
from tests.harness.vectors import BODY as BECKN_BODY
from tests.harness.vectors import EXAMPLES, GOLDEN_HEADER

try:
    from hutong.cli.main import app
except ImportError:  # pragma: no cover - only while sibling CLI modules are unwritten
    # main.py also imports demo/events/participant/serve; until they exist,
    # mount the two sub-apps under test the same way main.py does.
    app = typer.Typer()
    app.add_typer(keys.app, name="keys")
    app.add_typer(sign.app, name="sign")

CREATED = 1_700_000_000
EXPIRES = 1_700_000_300
BODY = b'{"context":{"action":"search"},"message":{"intent":{}}}'

runner = CliRunner()


def run(*args: str, input: bytes | None = None) -> Result:
    return runner.invoke(app, list(args), input=input)


@pytest.fixture
def pair() -> dict[str, str]:
    result = run("keys", "new")
    assert result.exit_code == 0, result.output
    loaded: dict[str, str] = json.loads(result.stdout)
    return loaded


@pytest.fixture
def body_file(tmp_path: Path) -> Path:
    path = tmp_path / "body.json"
    path.write_bytes(BODY)
    return path


def run_make(pair: dict[str, str], body_file: Path | str, *extra: str) -> Result:
    """`hutong sign make` as buyer.example.com, key k1, over the body in `body_file`."""
    return run(
        "sign",
        "make",
        "--private-key",
        pair["private_key"],
        "--subscriber",
        "buyer.example.com",
        "--key-id",
        "k1",
        "--body-file",
        str(body_file),
        *extra,
    )


def make(pair: dict[str, str], body_file: Path | str, *extra: str) -> str:
    result = run_make(pair, body_file, *extra)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    return result.stdout.rstrip("\n")


def verify(pair: dict[str, str], body_file: Path | str, header: str, *extra: str) -> Result:
    return run(
        "sign",
        "verify",
        "--public-key",
        pair["public_key"],
        "--body-file",
        str(body_file),
        "--authorization",
        header,
        *extra,
    )


def signed(pair: dict[str, str], body_file: Path) -> str:
    return make(pair, body_file, "--created", str(CREATED), "--expires", str(EXPIRES))


def test_keys_new_prints_a_json_key_pair(pair: dict[str, str]) -> None:
    assert set(pair) == {"public_key", "private_key"}
    assert len(base64.b64decode(pair["public_key"], validate=True)) == 32
    assert len(base64.b64decode(pair["private_key"], validate=True)) == 32
    assert run("keys", "new").stdout != run("keys", "new").stdout


def test_make_prints_only_the_header_value(pair: dict[str, str], body_file: Path) -> None:
    header = signed(pair, body_file)
    assert "\n" not in header
    assert header.startswith('Signature keyId="buyer.example.com|k1|ed25519",')
    assert f'created="{CREATED}",expires="{EXPIRES}"' in header


def test_keys_new_then_make_then_verify_is_valid(pair: dict[str, str], body_file: Path) -> None:
    header = signed(pair, body_file)
    result = verify(pair, body_file, header, "--now", str(CREATED + 10))
    assert (result.exit_code, result.stdout) == (0, "valid\n")


def test_make_defaults_to_now_and_five_minutes(pair: dict[str, str], body_file: Path) -> None:
    before = int(time.time())
    header = make(pair, body_file)
    after = int(time.time())
    match = re.search(r'created="(\d+)",expires="(\d+)"', header)
    assert match is not None
    created, expires = int(match[1]), int(match[2])
    assert before <= created <= after
    assert expires == created + 300
    # And verify's clock defaults to now as well.
    assert verify(pair, body_file, header).stdout == "valid\n"


def test_expires_defaults_to_created_plus_300(pair: dict[str, str], body_file: Path) -> None:
    header = make(pair, body_file, "--created", str(CREATED))
    assert f'created="{CREATED}",expires="{CREATED + 300}"' in header


def test_body_may_come_from_stdin(pair: dict[str, str], body_file: Path) -> None:
    from_stdin = run(
        "sign",
        "make",
        "--private-key",
        pair["private_key"],
        "--subscriber",
        "buyer.example.com",
        "--key-id",
        "k1",
        "--created",
        str(CREATED),
        "--expires",
        str(EXPIRES),
        "--body-file",
        "-",
        input=BODY,
    )
    assert from_stdin.exit_code == 0, from_stdin.output
    assert from_stdin.stdout.rstrip("\n") == signed(pair, body_file)
    result = run(
        "sign",
        "verify",
        "--public-key",
        pair["public_key"],
        "--body-file",
        "-",
        "--authorization",
        from_stdin.stdout.strip(),
        "--now",
        str(CREATED),
        input=BODY,
    )
    assert (result.exit_code, result.stdout) == (0, "valid\n")


def test_tampered_body_is_bad_signature(pair: dict[str, str], body_file: Path) -> None:
    header = signed(pair, body_file)
    body_file.write_bytes(BODY.replace(b"search", b"select"))
    result = verify(pair, body_file, header, "--now", str(CREATED))
    assert (result.exit_code, result.stdout) == (1, "bad signature\n")


def test_other_public_key_is_bad_signature(pair: dict[str, str], body_file: Path) -> None:
    header = signed(pair, body_file)
    other = json.loads(run("keys", "new").stdout)
    result = verify(other, body_file, header, "--now", str(CREATED))
    assert (result.exit_code, result.stdout) == (1, "bad signature\n")


def test_now_after_expires_is_expired(pair: dict[str, str], body_file: Path) -> None:
    header = signed(pair, body_file)
    result = verify(pair, body_file, header, "--now", str(EXPIRES + 1))
    assert (result.exit_code, result.stdout) == (1, "expired\n")


def test_now_before_created_is_not_yet_valid(pair: dict[str, str], body_file: Path) -> None:
    header = signed(pair, body_file)
    result = verify(pair, body_file, header, "--now", str(CREATED - 1))
    assert (result.exit_code, result.stdout) == (1, "not yet valid\n")


def test_skew_is_honoured(pair: dict[str, str], body_file: Path) -> None:
    header = signed(pair, body_file)
    late = ("--now", str(EXPIRES + 30))
    assert verify(pair, body_file, header, *late, "--skew", "30").stdout == "valid\n"
    assert verify(pair, body_file, header, *late, "--skew", "29").stdout == "expired\n"


@pytest.mark.parametrize(
    "header",
    [
        "Bearer token",
        'Signature keyId="buyer.example.com|k1",created="1",expires="2",signature="AA=="',
        "Signature !!!",
        "",
    ],
)
def test_malformed_header_names_the_problem(
    pair: dict[str, str], body_file: Path, header: str
) -> None:
    result = verify(pair, body_file, header, "--now", str(CREATED))
    assert result.exit_code == 1
    assert result.stdout.startswith("malformed header:")


def test_digest_header_mismatch(pair: dict[str, str], body_file: Path) -> None:
    header = signed(pair, body_file)
    wrong = f"BLAKE-512={body_digest(BODY + b' ')}"
    result = verify(pair, body_file, header, "--now", str(CREATED), "--digest", wrong)
    assert (result.exit_code, result.stdout) == (1, "digest mismatch\n")


def test_matching_digest_header_is_valid(pair: dict[str, str], body_file: Path) -> None:
    header = signed(pair, body_file)
    right = f"BLAKE-512={body_digest(BODY)}"
    result = verify(pair, body_file, header, "--now", str(CREATED), "--digest", right)
    assert (result.exit_code, result.stdout) == (0, "valid\n")


@pytest.mark.parametrize(
    ("private_key", "message"),
    [
        ("not base64!", "private key is not valid base64"),
        (base64.b64encode(bytes(16)).decode(), "private key must be 32 or 64 bytes, got 16"),
    ],
)
def test_make_with_a_bad_private_key_fails_with_exit_2(
    body_file: Path, private_key: str, message: str
) -> None:
    result = run(
        "sign",
        "make",
        "--private-key",
        private_key,
        "--subscriber",
        "buyer.example.com",
        "--key-id",
        "k1",
        "--body-file",
        str(body_file),
    )
    assert result.exit_code == 2
    assert result.stdout == ""
    assert message in result.stderr


def test_make_with_a_missing_body_file_fails_with_exit_2(
    pair: dict[str, str], tmp_path: Path
) -> None:
    result = run(
        "sign",
        "make",
        "--private-key",
        pair["private_key"],
        "--subscriber",
        "s",
        "--key-id",
        "k",
        "--body-file",
        str(tmp_path / "absent.json"),
    )
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "cannot read body file" in result.stderr


@pytest.mark.parametrize(
    ("public_key", "reason"),
    [
        ("not base64!", "public key is not valid base64\n"),
        (base64.b64encode(bytes(31)).decode(), "public key must be 32 bytes, got 31\n"),
    ],
)
def test_verify_with_a_bad_public_key_fails_with_exit_1(
    pair: dict[str, str], body_file: Path, public_key: str, reason: str
) -> None:
    header = signed(pair, body_file)
    result = verify({"public_key": public_key}, body_file, header, "--now", str(CREATED))
    assert (result.exit_code, result.stdout) == (1, reason)


# --------------------------------------------------------------------------
# Both signing strings: Beckn's (the body only) and Hutong's (the request too).
# --------------------------------------------------------------------------

RFC8032_KEY = {
    "private_key": "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=",
    "public_key": "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
}
WINDOW = ("--created", str(CREATED), "--expires", str(EXPIRES))


def test_make_without_a_request_line_makes_the_beckn_vector(tmp_path: Path) -> None:
    beckn_body = tmp_path / "beckn.json"
    beckn_body.write_bytes(BECKN_BODY)
    assert make(RFC8032_KEY, beckn_body, *WINDOW) == GOLDEN_HEADER
    assert verify(RFC8032_KEY, beckn_body, GOLDEN_HEADER, "--now", str(CREATED)).stdout == (
        "valid\n"
    )


@pytest.mark.parametrize("name", ["get-with-query", "post-with-body"])
def test_make_with_method_and_path_makes_the_readme_example(tmp_path: Path, name: str) -> None:
    example = EXAMPLES[name]
    body = tmp_path / "body.json"
    body.write_bytes(example.body)
    request = ("--method", example.method, "--path", example.path)
    header = make(RFC8032_KEY, body, *WINDOW, *request)
    assert header == example.header
    now = ("--now", str(CREATED))
    assert verify(RFC8032_KEY, body, header, *now, *request).stdout == "valid\n"
    # Checked for another request line, or for none, it is refused.
    other = ("--method", example.method, "--path", example.path + "x")
    assert verify(RFC8032_KEY, body, header, *now, *other).stdout == "bad signature\n"
    assert verify(RFC8032_KEY, body, header, *now).stdout == "request target unknown\n"


@pytest.mark.parametrize(
    "options",
    [("--method", "GET"), ("--path", "/v1/self"), ("--method", "GET", "--path", "v1/no-slash")],
)
def test_make_refuses_half_or_a_bad_request_line(
    pair: dict[str, str], body_file: Path, options: tuple[str, ...]
) -> None:
    result = run_make(pair, body_file, *options)
    assert result.exit_code == 2
    assert result.stdout == ""
