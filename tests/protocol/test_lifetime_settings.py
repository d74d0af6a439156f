"""The signature lifetime is a setting, and replay protection outlives it.

A request is accepted while `now <= expires + skew` with `created <= now + skew`
and `expires - created <= lifetime`, so a captured one can be replayed for up
to `lifetime + 2 * skew` after it first arrived. A repeat is answered from
the message-id record (`runtime/exactly_once.py`), kept `message_retention`
seconds from the first arrival: settings where the record could go first are
refused at start.
"""

from __future__ import annotations

import pytest

from hutong.config import load_settings


def test_the_default_lifetime_is_an_hour_as_the_beckn_and_ondc_sdks_sign() -> None:
    settings = load_settings({})
    assert settings.max_request_lifetime == 3600
    assert settings.message_retention >= settings.max_request_lifetime + 2 * settings.clock_skew


def test_the_lifetime_comes_from_the_environment() -> None:
    assert load_settings({"HUTONG_MAX_REQUEST_LIFETIME": "600"}).max_request_lifetime == 600


def test_a_retention_shorter_than_a_request_can_live_is_refused() -> None:
    env = {"HUTONG_MAX_REQUEST_LIFETIME": "3600", "HUTONG_CLOCK_SKEW": "30"}
    assert load_settings({**env, "HUTONG_MESSAGE_RETENTION": "3660"}).message_retention == 3660
    with pytest.raises(ValueError, match="HUTONG_MESSAGE_RETENTION must outlive"):
        load_settings({**env, "HUTONG_MESSAGE_RETENTION": "3659"})
    with pytest.raises(ValueError, match="HUTONG_MESSAGE_RETENTION must outlive"):
        load_settings({"HUTONG_MAX_REQUEST_LIFETIME": "90000"})
