"""The one JSON reader of request bodies: strict, and bounded in depth."""

from __future__ import annotations

import msgspec
import pytest

from hutong.protocol.errors import JSONTooDeep, MalformedJSON, NulCharacter
from hutong.protocol.strict_json import MAX_DEPTH, check_depth, decode_json, parse_json


def nest(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def test_depth_up_to_the_limit_is_read_and_one_more_is_refused() -> None:
    assert parse_json(nest(MAX_DEPTH)) is not None
    with pytest.raises(JSONTooDeep):
        parse_json(nest(MAX_DEPTH + 1))
    mixed = b'{"a":' * MAX_DEPTH + b"1" + b"}" * MAX_DEPTH
    parse_json(mixed)
    with pytest.raises(JSONTooDeep):
        parse_json(b"[" + mixed + b"]")


def test_brackets_inside_strings_are_text_not_depth() -> None:
    text = b'"' + b"[" * 1000 + b'\\"{' * 500 + b'"'
    assert parse_json(b"[" + text + b"]") == ["[" * 1000 + '"{' * 500]


def test_an_unbalanced_body_is_malformed_not_too_deep() -> None:
    with pytest.raises(MalformedJSON):
        parse_json(b"[" * 10)
    with pytest.raises(MalformedJSON):
        parse_json(b"[}" * 200)
    check_depth(b"]" * 1000)  # left to the decoder


@pytest.mark.parametrize(
    "body",
    [
        b"NaN",
        b"[Infinity]",
        b"[-Infinity]",
        b"1e400",
        b'"\\ud800"',
        b'"\\udc00x"',
        '{"a":1}'.encode("utf-16"),
        b"\xef\xbb\xbf{}",
        b"[1,]",
        b'"\xff"',
    ],
)
def test_what_a_lax_reader_accepts_is_malformed(body: bytes) -> None:
    with pytest.raises(MalformedJSON):
        parse_json(body)
    with pytest.raises(MalformedJSON):
        decode_json(body, float | str | list[float] | dict[str, int])


def test_a_wrong_shape_is_left_to_the_caller_to_explain() -> None:
    with pytest.raises(msgspec.ValidationError):
        decode_json(b"{}", list[int])
    assert decode_json(b'"\\ud83d\\ude00"', str) == "😀"


@pytest.mark.parametrize("backslashes", [0, 2, 4])
def test_a_nul_escape_after_an_even_run_of_backslashes_is_a_nul_and_refused(
    backslashes: int,
) -> None:
    body = b'["' + b"\\" * backslashes + b'\\u0000"]'
    with pytest.raises(NulCharacter):
        parse_json(body)
    with pytest.raises(NulCharacter):
        decode_json(body, list[str])


@pytest.mark.parametrize("backslashes", [2, 4])
def test_u0000_after_escaped_backslashes_is_text(backslashes: int) -> None:
    body = b'["' + b"\\" * backslashes + b'u0000"]'
    assert parse_json(body) == ["\\" * (backslashes // 2) + "u0000"]
