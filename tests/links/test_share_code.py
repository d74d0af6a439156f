"""Share codes: made and verified by the switch, found in whatever people paste.

The examples read as the rules; the Hypothesis properties are the ones the
issue asks for: text without a valid code never yields one, a valid code
survives insertion into any text, tampering with any character is refused,
the first valid code of several wins, and expiry is honoured at its boundary.
"""

from __future__ import annotations

import sys
import unicodedata
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from hutong.api.errors import status_of
from hutong.links.share_code import (
    ALPHABET,
    CODE_LENGTHS,
    MAC_LENGTH,
    MAX_SERIAL,
    ParsedCode,
    Scan,
    ShareCodeError,
    check_expiry,
    find_candidates,
    first_live,
    make_code,
    normalize,
    parse,
    scan,
    verify_code,
    wrap,
)

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
NOW = datetime(2025, 6, 18, 12, 0, tzinfo=UTC)

MARKERS = [chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Sc"]
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u200e", "\ufe0f"]
CJK = "互通复制这段话打开淘宝京东抖音快手微信支付宝口令链接商品好物限时包邮【】「」，。！？：…"
EMOJI = ["😀", "🛒", "🔥", "👍🏻", "👨\u200d👩\u200d👧", "🇨🇳", "❤️", "✨", "🎁"]
DECOYS = ["tao bao", "淘寳", "taobA0", "復制", "打開", "J D", "掏宝", "t@obao", "douyln", "口⺋"]
BREAKS = ["", " ", "\n", "\r\n", "\u3000", "\n\n"]


def fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def refusal(text: str, key: bytes = KEY) -> ShareCodeError:
    with pytest.raises(ShareCodeError) as caught:
        parse(text, key)
    return caught.value


# -- strategies ---------------------------------------------------------------

serials = st.integers(min_value=0, max_value=MAX_SERIAL)
markers = st.sampled_from(MARKERS)
noise_chars = st.one_of(
    st.characters(),
    st.sampled_from(CJK),
    st.sampled_from(MARKERS),
    st.sampled_from(ZERO_WIDTH),
    st.sampled_from(ALPHABET + ALPHABET.lower()),
    st.sampled_from(" \n\t\u3000"),
)
code_like = st.text(alphabet=ALPHABET + ALPHABET.lower(), min_size=8, max_size=16)
fake_marked = st.builds(lambda m1, token, m2: m1 + token + m2, markers, code_like, markers)
noise = st.lists(
    st.one_of(
        st.text(max_size=12),
        st.text(alphabet=noise_chars, max_size=12),
        st.sampled_from(EMOJI),
        st.sampled_from(DECOYS),
        code_like,
        fake_marked,
    ),
    max_size=8,
).map("".join)
# Text that cannot touch a bare code: no character NFKC turns into a letter or digit.
plain_noise = st.lists(
    st.one_of(st.text(alphabet=CJK, max_size=8), st.sampled_from(EMOJI), st.sampled_from(BREAKS)),
    max_size=6,
).map("".join)


@st.composite
def disguised(draw: st.DrawFn, code: str) -> str:
    """The code as a chat app might mangle it: case, full width, invisible characters."""
    out = []
    for char in code:
        out.extend(draw(st.lists(st.sampled_from(ZERO_WIDTH), max_size=2)))
        char = draw(st.sampled_from([char, char.lower()]))
        out.append(fullwidth(char) if draw(st.booleans()) else char)
    out.extend(draw(st.lists(st.sampled_from(ZERO_WIDTH), max_size=2)))
    return "".join(out)


# -- the code itself ------------------------------------------------------------


def test_the_alphabet_has_no_look_alikes() -> None:
    assert len(ALPHABET) == len(set(ALPHABET)) == 27
    for look_alike in "0O1IL" + "ZSBV" + "abcdefghijklmnopqrstuvwxyz":
        assert look_alike not in ALPHABET


def test_a_code_is_a_serial_then_a_six_character_mac() -> None:
    code = make_code(1, KEY)
    assert code == make_code(1, KEY)
    assert len(code) == 10
    assert code[:4] == "2223"  # serial 1, padded to four characters
    assert set(code) <= set(ALPHABET)
    assert verify_code(code, KEY) == 1


def test_codes_grow_from_ten_to_fourteen_characters_with_the_serial() -> None:
    assert len(make_code(27**4 - 1, KEY)) == 10
    assert len(make_code(27**4, KEY)) == 11
    assert len(make_code(MAX_SERIAL, KEY)) == 14
    assert list(CODE_LENGTHS) == [10, 11, 12, 13, 14]
    assert MAC_LENGTH == 6


@given(serial=serials)
def test_every_serial_round_trips(serial: int) -> None:
    code = make_code(serial, KEY)
    assert len(code) in CODE_LENGTHS
    assert set(code) <= set(ALPHABET)
    assert verify_code(code, KEY) == serial


def test_codes_are_read_case_insensitively_and_full_width_forgiven() -> None:
    code = make_code(123_456, KEY)
    assert verify_code(code.lower(), KEY) == 123_456
    assert verify_code(fullwidth(code), KEY) == 123_456
    assert verify_code(f" {code[:5]}\u200b {code[5:]}\n", KEY) == 123_456


def test_a_code_made_with_another_key_is_forged() -> None:
    with pytest.raises(ShareCodeError) as caught:
        verify_code(make_code(42, OTHER_KEY), KEY)
    assert caught.value.reason == "forged"


def test_a_re_padded_serial_is_refused() -> None:
    code = make_code(42, KEY)
    with pytest.raises(ShareCodeError) as caught:
        verify_code(ALPHABET[0] + code, KEY)
    assert caught.value.reason == "forged"


@pytest.mark.parametrize(
    ("code", "detail"),
    [
        ("", "it is empty"),
        ("8FK2MQX7R", "not 9"),
        ("8FK2MQX7RPAAAAA", "not 15"),
        ("8FK2MQX7R0", "0 cannot appear"),
        ("8FK2-MQX7RP", "- cannot appear"),
    ],
)
def test_malformed_codes_are_refused_with_what_is_wrong(code: str, detail: str) -> None:
    with pytest.raises(ShareCodeError) as caught:
        verify_code(code, KEY)
    assert caught.value.reason == "malformed"
    assert detail in caught.value.message


def test_a_refusal_is_a_422_with_a_stable_code_and_a_sentence() -> None:
    error = refusal(wrap("8FK2MQX7RP"))
    assert (error.reason, error.token, status_of(error)) == ("forged", "8FK2MQX7RP", 422)
    assert error.code == "share_code_forged"
    assert error.message == "The share code 8FK2MQX7RP is refused: it is forged or altered."
    assert error.body()["error"] == {"code": "share_code_forged", "message": error.message}


def test_serials_and_keys_out_of_range_are_programming_errors() -> None:
    with pytest.raises(ValueError, match="serial"):
        make_code(-1, KEY)
    with pytest.raises(ValueError, match="serial"):
        make_code(MAX_SERIAL + 1, KEY)
    with pytest.raises(ValueError, match="key"):
        make_code(1, b"short")
    with pytest.raises(ValueError, match="key"):
        parse("anything", b"k" * 65)


# -- the sentence -----------------------------------------------------------------


def test_wrap_puts_the_code_between_markers_in_a_sentence() -> None:
    code = make_code(7, KEY)
    assert wrap(code) == f"【互通】₴{code}₴ 复制这段话打开"
    assert wrap(code.lower(), "€", "{marked} 打开互通") == f"€{code}€ 打开互通"


def test_wrap_refuses_a_marker_that_is_not_a_currency_symbol() -> None:
    with pytest.raises(ValueError, match="currency"):
        wrap(make_code(7, KEY), "#")
    with pytest.raises(ValueError, match="currency"):
        wrap(make_code(7, KEY), "₴₴")
    with pytest.raises(ValueError, match="placeholder"):
        wrap(make_code(7, KEY), "₴", "no place for it")
    with pytest.raises(ValueError, match="cannot appear"):
        wrap("NOT-A-CODE!")


# -- normalization ----------------------------------------------------------------


def test_normalize_turns_full_width_into_half_width() -> None:
    assert normalize("８ＦＫ２ｍｑｘ７ＲＰ") == "8FK2mqx7RP"


def test_normalize_strips_zero_width_characters() -> None:
    assert normalize("8\u200bF\u200cK\u200d2\u2060M\ufeffQ") == "8FK2MQ"


def test_normalize_keeps_currency_markers() -> None:
    assert normalize("￥＄€₴¢₤") == "¥$€₴¢₤"
    assert normalize("₨") == "₨"  # NFKC alone would spell it "Rs"


# -- finding codes ----------------------------------------------------------------


def test_the_issue_example_sentence_is_found() -> None:
    code = make_code(2024, KEY)
    pasted = f"【互通】₴{code[:4].lower()}{code[4:]}₴ 复制这段话打开…"
    assert parse(pasted, KEY) == ParsedCode(code, 2024)


@pytest.mark.parametrize("marker", ["€", "￥", "¢", "₤", "$", "₴", "₹"])
def test_any_currency_symbol_is_a_marker(marker: str) -> None:
    code = make_code(99, KEY)
    assert parse(wrap(code, marker), KEY) == ParsedCode(code, 99)


def test_different_markers_on_either_side_are_fine() -> None:
    code = make_code(99, KEY)
    assert parse(f"看看€{code}₤好物", KEY) == ParsedCode(code, 99)


def test_a_code_pasted_full_width_with_zero_width_characters_is_found() -> None:
    code = make_code(31_337, KEY)
    mangled = "\u200b".join(fullwidth(code.lower()))
    assert parse(f"🔥🔥 ￥{mangled}￥ 🛒", KEY) == ParsedCode(code, 31_337)


def test_a_line_break_inside_the_markers_is_forgiven() -> None:
    code = make_code(5, KEY)
    assert parse(f"复制\n₴{code[:6]}\n{code[6:]}₴\n打开", KEY) == ParsedCode(code, 5)


def test_decoy_words_and_prices_around_the_code_are_ignored() -> None:
    code = make_code(888, KEY)
    pasted = f"淘寳 tao bao 掏宝 ¥19.90 包邮!! ₴{code}₴ 復制这段话 打開 douyln ¥"
    assert parse(pasted, KEY) == ParsedCode(code, 888)


def test_a_code_whose_markers_were_lost_is_still_found() -> None:
    code = make_code(77, KEY)
    assert parse(f"复制这段话{code}打开", KEY) == ParsedCode(code, 77)
    assert parse(f"₴{code} 复制这段话打开", KEY) == ParsedCode(code, 77)


def test_text_without_a_code_yields_none() -> None:
    assert parse("", KEY) is None
    assert parse("今天买了什么？ ¥19.90 包邮 😀 WATERPARK", KEY) is None


def test_a_bare_word_that_looks_like_a_code_is_not_a_refusal() -> None:
    assert find_candidates("WATERMARKAGE") == ["WATERMARKAGE"]
    assert parse("WATERMARKAGE", KEY) is None


def test_a_forged_code_between_markers_is_refused() -> None:
    assert refusal("【互通】₴8FK2MQX7RP₴ 复制这段话打开").reason == "forged"


def test_a_mistyped_code_between_markers_is_refused_as_malformed() -> None:
    code = make_code(12, KEY)
    assert refusal(f"₴{code[:-1]}₴").reason == "malformed"
    assert refusal(f"₴{code[:-1]}O₴").reason == "malformed"


def test_candidates_are_listed_in_order_once_each_upper_cased() -> None:
    a, b = make_code(1, KEY), make_code(2, KEY)
    text = f"€{b.lower()}€ and ₴{a}₴ then {b} again ¥12.50¥"
    assert find_candidates(text) == [b, a]


def test_scan_reports_every_valid_code_and_every_refusal_in_order() -> None:
    a, b = make_code(1, KEY), make_code(2, KEY)
    found = scan(f"₴8FK2MQX7RP₴ ₴{a}₴ ₴{b}₴", KEY)
    assert found.codes == (ParsedCode(a, 1), ParsedCode(b, 2))
    assert [e.reason for e in found.refusals] == ["forged"]
    assert isinstance(found.outcomes[0], ShareCodeError)
    assert found.serials == (1, 2)


# -- the properties the issue asks for --------------------------------------------


@given(text=noise)
def test_text_without_a_valid_code_yields_no_code(text: str) -> None:
    """Whatever the text, no code comes out of it; at most a refusal."""
    try:
        assert parse(text, KEY) is None
    except ShareCodeError as error:
        assert error.reason in ("malformed", "forged")
    assert scan(text, KEY).codes == ()


@given(before=plain_noise, token=st.text(alphabet=ALPHABET, min_size=10, max_size=14))
def test_a_random_token_between_markers_is_refused_never_accepted(before: str, token: str) -> None:
    with pytest.raises(ShareCodeError):
        verify_code(token, KEY)  # not a valid code by chance (odds 1 in 27**6)
    assert refusal(f"{before}₴{token}₴{before}").reason == "forged"


@given(
    serial=serials,
    before=noise,
    after=noise,
    left=markers,
    right=markers,
    gap_before=st.sampled_from(BREAKS),
    gap_after=st.sampled_from(BREAKS),
    data=st.data(),
)
def test_a_valid_code_survives_insertion_into_any_text(
    serial: int,
    before: str,
    after: str,
    left: str,
    right: str,
    gap_before: str,
    gap_after: str,
    data: st.DataObject,
) -> None:
    code = make_code(serial, KEY)
    shown = data.draw(disguised(code))
    pasted = f"{before}{gap_before}{left}{shown}{right}{gap_after}{after}"
    assert parse(pasted, KEY) == ParsedCode(code, serial)


@given(serial=serials, before=plain_noise, after=plain_noise, data=st.data())
def test_a_valid_code_survives_without_its_markers(
    serial: int, before: str, after: str, data: st.DataObject
) -> None:
    code = make_code(serial, KEY)
    assert parse(before + data.draw(disguised(code)) + after, KEY) == ParsedCode(code, serial)


@given(serial=serials, data=st.data())
def test_changing_any_character_is_refused(serial: int, data: st.DataObject) -> None:
    code = make_code(serial, KEY)
    index = data.draw(st.integers(min_value=0, max_value=len(code) - 1))
    other = data.draw(st.sampled_from(ALPHABET.replace(code[index], "")))
    altered = code[:index] + other + code[index + 1 :]
    with pytest.raises(ShareCodeError) as caught:
        verify_code(altered, KEY)
    assert caught.value.reason == "forged"
    assert refusal(wrap(altered)).reason == "forged"


@given(serial=serials, data=st.data())
def test_deleting_inserting_or_swapping_a_character_is_refused(
    serial: int, data: st.DataObject
) -> None:
    code = make_code(serial, KEY)
    index = data.draw(st.integers(min_value=0, max_value=len(code) - 1))
    edit = data.draw(st.sampled_from(["delete", "insert", "swap"]))
    if edit == "delete":
        altered = code[:index] + code[index + 1 :]
    elif edit == "insert":
        altered = code[:index] + data.draw(st.sampled_from(ALPHABET)) + code[index:]
    else:
        assume(index + 1 < len(code) and code[index] != code[index + 1])
        altered = code[:index] + code[index + 1] + code[index] + code[index + 2 :]
    with pytest.raises(ShareCodeError):
        verify_code(altered, KEY)
    with pytest.raises(ShareCodeError):
        parse(f"【互通】₴{altered}₴ 复制这段话打开", KEY)


@given(
    decoys=st.lists(st.one_of(fake_marked, noise), max_size=5),
    valid=st.lists(serials, min_size=1, max_size=4),
    tail=st.lists(st.one_of(fake_marked, noise), max_size=5),
    marker=markers,
)
def test_the_first_valid_code_wins_after_any_invalid_ones(
    decoys: list[str], valid: list[int], tail: list[str], marker: str
) -> None:
    codes = [wrap(make_code(serial, KEY), marker, "{marked}") for serial in valid]
    forged = [wrap(make_code(serial, OTHER_KEY), marker) for serial in valid]
    pasted = "\n".join([*decoys, *forged, *codes, *tail])
    assert parse(pasted, KEY) == ParsedCode(make_code(valid[0], KEY), valid[0])


# -- expiry -----------------------------------------------------------------------


def test_a_code_is_live_until_its_expiry() -> None:
    expires_at = NOW + timedelta(days=7)
    check_expiry(expires_at, expires_at - timedelta(microseconds=1))


def test_a_code_expires_at_its_expiry_exactly() -> None:
    code = make_code(3, KEY)
    with pytest.raises(ShareCodeError) as caught:
        check_expiry(NOW, NOW, code)
    assert caught.value.reason == "expired"
    assert caught.value.code == "share_code_expired"
    assert caught.value.message == (
        f"The share code {code} is refused: it expired at 2025-06-18T12:00:00+00:00."
    )


@given(
    expires_at=st.datetimes(timezones=st.just(UTC)),
    now=st.datetimes(timezones=st.just(UTC)),
)
def test_expiry_is_honoured_at_the_boundary(expires_at: datetime, now: datetime) -> None:
    if now < expires_at:
        check_expiry(expires_at, now)
    else:
        with pytest.raises(ShareCodeError, match="expired"):
            check_expiry(expires_at, now)


def test_first_live_skips_an_expired_code_for_a_live_one() -> None:
    old, new = make_code(10, KEY), make_code(11, KEY)
    found = scan(f"₴{old}₴ ₴{new}₴", KEY)
    expiries = {10: NOW, 11: NOW + timedelta(seconds=1)}
    assert first_live(found, expiries, NOW) == ParsedCode(new, 11)


def test_first_live_refuses_with_the_first_reason_when_nothing_is_live() -> None:
    old, gone = make_code(10, KEY), make_code(12, KEY)
    found = scan(f"₴{old}₴ ₴8FK2MQX7RP₴ ₴{gone}₴", KEY)
    with pytest.raises(ShareCodeError) as caught:
        first_live(found, {10: NOW - timedelta(days=1)}, NOW)
    assert caught.value.reason == "expired"
    with pytest.raises(ShareCodeError) as caught:
        first_live(scan(f"₴{gone}₴", KEY), {}, NOW)
    assert caught.value.reason == "unknown"
    assert first_live(Scan(()), {}, NOW) is None


@settings(max_examples=50)
@given(
    lifetimes=st.lists(st.integers(min_value=-3, max_value=3), min_size=1, max_size=6),
)
def test_first_live_picks_the_first_code_not_yet_expired(lifetimes: list[int]) -> None:
    serials_ = list(range(100, 100 + len(lifetimes)))
    pasted = " ".join(wrap(make_code(s, KEY)) for s in serials_)
    expiries = {
        s: NOW + timedelta(seconds=life) for s, life in zip(serials_, lifetimes, strict=True)
    }
    live = [s for s, life in zip(serials_, lifetimes, strict=True) if life > 0]
    if live:
        found = first_live(scan(pasted, KEY), expiries, NOW)
        assert found is not None and found.serial == live[0]
    else:
        with pytest.raises(ShareCodeError, match="expired"):
            first_live(scan(pasted, KEY), expiries, NOW)
