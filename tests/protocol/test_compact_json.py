"""The JSON the switch writes is the standard library's compact text, from a faster encoder."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hutong.protocol import compact_json

_SCALARS = (
    st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**63 - 1) | st.text()
)
_FLOATS = st.floats(allow_nan=False, allow_infinity=False)


def _documents(scalars: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
        max_leaves=20,
    )


@given(_documents(_SCALARS))
def test_the_text_is_the_standard_librarys_compact_utf8_json(value: Any) -> None:
    expected = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    assert compact_json.dumps_text(value) == expected
    assert compact_json.dumps(value) == expected.encode()


@given(_documents(_SCALARS | _FLOATS))
def test_floats_read_back_as_written_though_an_exponent_may_be_spelled_without_its_plus(
    value: Any,
) -> None:
    assert json.loads(compact_json.dumps(value)) == value


def test_chinese_text_and_control_characters_are_written_as_the_standard_library_writes_them() -> (
    None
):
    value = {"商品": '淘口令\n\t"引号"\u2028', "n": [1, 2.5, None, True]}
    assert compact_json.dumps_text(value) == json.dumps(
        value, separators=(",", ":"), ensure_ascii=False
    )


def test_a_value_json_cannot_hold_is_refused() -> None:
    with pytest.raises(TypeError):
        compact_json.dumps({"key": object()})
