"""Each reference carrier's vocabulary maps to the status set, as declared and as expected.

Two sources are checked against each other: the mapping data each plugin
declares, and a hand-written expectation table per carrier below. A change in
a plugin's data that is not also made here fails.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from hutong.logistics.mapping import UNMAPPED, CarrierMapping, Mapped, Rule
from hutong.logistics.plugins import CarrierPlugin
from hutong.logistics.statuses import Status
from hutong_carriers import cainiao, jd_logistics, jtexpress

S = Status

Expectation = dict[tuple[str, str], tuple[Status, str]]

JD: Expectation = {
    ("10", ""): (S.INFO_RECEIVED, "order_created"),
    ("20", ""): (S.PICKED_UP, "collected"),
    ("30", ""): (S.IN_TRANSIT, "arrived_at_sorting_center"),
    ("31", ""): (S.IN_TRANSIT, "departed_sorting_center"),
    ("40", ""): (S.IN_TRANSIT, "arrived_at_delivery_station"),
    ("50", ""): (S.OUT_FOR_DELIVERY, "with_courier"),
    ("50", "5001"): (S.AVAILABLE_FOR_PICKUP, "at_partner_station"),
    ("50", "5002"): (S.AVAILABLE_FOR_PICKUP, "in_locker"),
    ("60", ""): (S.DELIVERED, "signed"),
    ("60", "6001"): (S.DELIVERED, "signed_by_proxy"),
    ("60", "6002"): (S.DELIVERED, "collected_from_pickup_point"),
    ("70", ""): (S.ATTEMPT_FAILED, "refused"),
    ("80", ""): (S.ATTEMPT_FAILED, "delivery_failed"),
    ("80", "8001"): (S.ATTEMPT_FAILED, "recipient_unreachable"),
    ("80", "8002"): (S.ATTEMPT_FAILED, "address_problem"),
    ("90", ""): (S.EXCEPTION, "exception"),
    ("90", "9001"): (S.EXCEPTION, "damaged"),
    ("90", "9002"): (S.EXCEPTION, "lost"),
    ("90", "9003"): (S.EXCEPTION, "delayed_by_weather"),
    ("95", ""): (S.RETURNED, "returning_to_sender"),
    ("96", ""): (S.RETURNED, "returned_to_sender"),
    ("99", ""): (S.CANCELLED, "order_cancelled"),
}

CAINIAO: Expectation = {
    ("CREATE", ""): (S.INFO_RECEIVED, "order_created"),
    ("ACCEPT", ""): (S.PICKED_UP, "accepted"),
    ("TRANSPORT", ""): (S.IN_TRANSIT, "in_transit"),
    ("TRANSPORT", "DEPART"): (S.IN_TRANSIT, "departed_facility"),
    ("TRANSPORT", "ARRIVE"): (S.IN_TRANSIT, "arrived_at_facility"),
    ("DELIVERING", ""): (S.OUT_FOR_DELIVERY, "with_courier"),
    ("STA_INBOUND", ""): (S.AVAILABLE_FOR_PICKUP, "at_station"),
    ("CABINET_INBOUND", ""): (S.AVAILABLE_FOR_PICKUP, "in_locker"),
    ("STA_SIGN", ""): (S.DELIVERED, "collected_at_station"),
    ("SIGN", ""): (S.DELIVERED, "signed"),
    ("SIGN", "PROXY"): (S.DELIVERED, "signed_by_proxy"),
    ("SIGN", "CABINET"): (S.DELIVERED, "collected_from_locker"),
    ("FAILED", ""): (S.ATTEMPT_FAILED, "delivery_failed"),
    ("FAILED", "NOBODY_HOME"): (S.ATTEMPT_FAILED, "recipient_absent"),
    ("FAILED", "ADDRESS_ERROR"): (S.ATTEMPT_FAILED, "address_problem"),
    ("FAILED", "RESCHEDULED"): (S.ATTEMPT_FAILED, "rescheduled_by_recipient"),
    ("REJECT", ""): (S.ATTEMPT_FAILED, "refused"),
    ("ABNORMAL", ""): (S.EXCEPTION, "problem_parcel"),
    ("ABNORMAL", "DAMAGED"): (S.EXCEPTION, "damaged"),
    ("ABNORMAL", "LOST"): (S.EXCEPTION, "lost"),
    ("ABNORMAL", "DELAYED"): (S.EXCEPTION, "delayed"),
    ("RETURN", ""): (S.RETURNED, "returning_to_sender"),
    ("RETURN_SIGN", ""): (S.RETURNED, "returned_to_sender"),
    ("CANCEL", ""): (S.CANCELLED, "order_cancelled"),
}

JT: Expectation = {
    ("0", ""): (S.IN_TRANSIT, "in_transit"),
    ("0", "1001"): (S.IN_TRANSIT, "arrived_in_destination_city"),
    ("0", "1002"): (S.IN_TRANSIT, "linehaul"),
    ("0", "1003"): (S.IN_TRANSIT, "forwarded"),
    ("1", ""): (S.PICKED_UP, "collected"),
    ("1", "101"): (S.INFO_RECEIVED, "order_placed"),
    ("1", "102"): (S.INFO_RECEIVED, "awaiting_pickup"),
    ("1", "103"): (S.PICKED_UP, "collected"),
    ("2", ""): (S.EXCEPTION, "problem_parcel"),
    ("2", "201"): (S.EXCEPTION, "not_signed_in_time"),
    ("2", "202"): (S.EXCEPTION, "no_updates"),
    ("2", "203"): (S.ATTEMPT_FAILED, "refused"),
    ("2", "204"): (S.ATTEMPT_FAILED, "delivery_problem"),
    ("2", "205"): (S.AVAILABLE_FOR_PICKUP, "pickup_overdue"),
    ("2", "206"): (S.ATTEMPT_FAILED, "recipient_unreachable"),
    ("2", "207"): (S.EXCEPTION, "out_of_service_area"),
    ("2", "208"): (S.EXCEPTION, "held"),
    ("2", "209"): (S.EXCEPTION, "damaged"),
    ("2", "210"): (S.CANCELLED, "order_cancelled"),
    ("3", ""): (S.DELIVERED, "signed"),
    ("3", "301"): (S.DELIVERED, "signed_by_recipient"),
    ("3", "302"): (S.DELIVERED, "signed_after_exception"),
    ("3", "303"): (S.DELIVERED, "signed_by_proxy"),
    ("3", "304"): (S.DELIVERED, "collected_from_locker_or_station"),
    ("4", ""): (S.RETURNED, "returned_to_sender"),
    ("4", "401"): (S.CANCELLED, "order_cancelled"),
    ("5", ""): (S.OUT_FOR_DELIVERY, "with_courier"),
    ("5", "501"): (S.AVAILABLE_FOR_PICKUP, "in_locker_or_station"),
    ("6", ""): (S.RETURNED, "returning_to_sender"),
    ("7", ""): (S.IN_TRANSIT, "handed_to_other_carrier"),
    ("8", ""): (S.IN_TRANSIT, "customs_clearance"),
    ("14", ""): (S.ATTEMPT_FAILED, "refused"),
}

CARRIERS: dict[str, tuple[CarrierPlugin, Expectation]] = {
    "jd-logistics": (jd_logistics.PLUGIN, JD),
    "cainiao": (cainiao.PLUGIN, CAINIAO),
    "jtexpress": (jtexpress.PLUGIN, JT),
}


def _expected_cases() -> list[object]:
    return list(_expected())


def _declared_cases() -> list[object]:
    return list(_declared())


def _expected() -> Iterator[object]:
    for carrier, (_, table) in CARRIERS.items():
        for (code, sub), (status, sub_status) in table.items():
            yield pytest.param(carrier, code, sub, status, sub_status, id=f"{carrier}:{code}/{sub}")


def _declared() -> Iterator[object]:
    for carrier, (plugin, _) in CARRIERS.items():
        for code, sub, rule in plugin.mapping.entries():
            yield pytest.param(carrier, code, sub, rule, id=f"{carrier}:{code}/{sub}")


@pytest.fixture
def warnings_seen(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Capture the mapping's warnings even when the app's logging stops propagation."""
    logger = logging.getLogger("hutong.logistics.mapping")
    logger.addHandler(caplog.handler)
    propagate, logger.propagate = logger.propagate, False  # each record once
    caplog.set_level(logging.WARNING, logger="hutong.logistics.mapping")
    try:
        yield caplog
    finally:
        logger.removeHandler(caplog.handler)
        logger.propagate = propagate


@pytest.mark.parametrize("carrier", CARRIERS)
def test_the_declared_table_is_the_expected_table(carrier: str) -> None:
    plugin, expected = CARRIERS[carrier]
    declared = {(code, sub) for code, sub, _ in plugin.mapping.entries()}
    assert declared == set(expected)


@pytest.mark.parametrize(("carrier", "code", "sub", "status", "sub_status"), _expected_cases())
def test_every_code_maps_as_expected(
    carrier: str, code: str, sub: str, status: Status, sub_status: str
) -> None:
    plugin, _ = CARRIERS[carrier]
    mapped = plugin.mapping.map(code, sub)
    assert (mapped.status, mapped.sub_status) == (status, sub_status)
    assert mapped.mapped is True
    assert (mapped.raw_code, mapped.raw_sub_code) == (code, sub)


@pytest.mark.parametrize(("carrier", "code", "sub", "rule"), _declared_cases())
def test_every_declared_rule_is_what_map_returns(
    carrier: str, code: str, sub: str, rule: Rule
) -> None:
    plugin, expected = CARRIERS[carrier]
    mapped = plugin.mapping.map(code, sub)
    assert mapped == Mapped(rule.status, rule.sub_status, rule.reason, code, sub, True)
    assert expected[(code, sub)] == (rule.status, rule.sub_status)


@pytest.mark.parametrize("carrier", CARRIERS)
def test_each_reference_carrier_can_say_every_status_but_unknown(carrier: str) -> None:
    plugin, _ = CARRIERS[carrier]
    assert plugin.mapping.statuses() == frozenset(Status) - {Status.UNKNOWN}
    assert plugin.mapping.carrier == plugin.name


@pytest.mark.parametrize(
    ("carrier", "delivering", "station"),
    [
        ("jd-logistics", ("50", ""), ("50", "5001")),
        ("jd-logistics", ("50", ""), ("50", "5002")),
        ("jtexpress", ("5", ""), ("5", "501")),
        ("cainiao", ("DELIVERING", ""), ("STA_INBOUND", "")),
    ],
)
def test_a_station_arrival_is_available_for_pickup_even_under_a_delivering_code(
    carrier: str, delivering: tuple[str, str], station: tuple[str, str]
) -> None:
    mapping = CARRIERS[carrier][0].mapping
    assert mapping.map(*delivering).status is S.OUT_FOR_DELIVERY
    at_station = mapping.map(*station)
    assert at_station.status is S.AVAILABLE_FOR_PICKUP
    assert at_station.raw_code == station[0]
    assert at_station.raw_sub_code == station[1]


@pytest.mark.parametrize(
    ("carrier", "code", "unknown_sub", "status"),
    [
        ("jd-logistics", "50", "5999", S.OUT_FOR_DELIVERY),
        ("cainiao", "FAILED", "DOG_IN_YARD", S.ATTEMPT_FAILED),
        ("jtexpress", "3", "399", S.DELIVERED),
    ],
)
def test_an_unknown_sub_code_falls_back_to_its_code(
    carrier: str,
    code: str,
    unknown_sub: str,
    status: Status,
    warnings_seen: pytest.LogCaptureFixture,
) -> None:
    mapped = CARRIERS[carrier][0].mapping.map(code, unknown_sub)
    assert mapped.status is status
    assert mapped.mapped is True
    assert mapped.raw_sub_code == unknown_sub
    assert not warnings_seen.records


def test_a_sub_code_rule_needs_its_own_code() -> None:
    # J&T's 501 is "in a locker or station" under 5 (派件), not under any other code.
    assert jtexpress.MAPPING.map("0", "501").status is S.IN_TRANSIT


@pytest.mark.parametrize(
    ("carrier", "code", "sub"),
    [
        ("jd-logistics", "55", ""),
        ("jd-logistics", "77", "7701"),
        ("cainiao", "TELEPORT", ""),
        ("cainiao", "sign", ""),  # the vocabulary is case-sensitive
        ("jtexpress", "9", ""),
        ("jtexpress", "13", "1301"),
        ("jtexpress", "", ""),
    ],
)
def test_an_unmapped_code_is_unknown_with_the_raw_code_kept_and_a_warning(
    carrier: str, code: str, sub: str, warnings_seen: pytest.LogCaptureFixture
) -> None:
    mapped = CARRIERS[carrier][0].mapping.map(code, sub)
    assert mapped == Mapped(
        status=S.UNKNOWN,
        sub_status=UNMAPPED,
        reason=mapped.reason,
        raw_code=code,
        raw_sub_code=sub,
        mapped=False,
    )
    assert carrier in mapped.reason
    [record] = warnings_seen.records
    assert record.levelno == logging.WARNING
    assert carrier in record.getMessage()
    assert repr(code) in record.getMessage()


def test_map_never_raises_on_odd_input(warnings_seen: pytest.LogCaptureFixture) -> None:
    mapping = jd_logistics.MAPPING
    for code, sub in [(" 50 ", " 5001 "), ("\x00", ""), ("50", "\n"), ("💥", "💥")]:
        mapping.map(code, sub)
    odd = mapping.map(None, None)  # type: ignore[arg-type]
    assert odd.status is S.UNKNOWN
    # Surrounding whitespace does not hide a code; the raw code is kept as sent.
    padded = mapping.map(" 50 ", " 5001 ")
    assert padded.status is S.AVAILABLE_FOR_PICKUP
    assert padded.raw_code == " 50 "


def test_a_mapping_is_data_and_checks_itself() -> None:
    mapping = CarrierMapping(
        "tiny",
        {"A": Rule(S.PICKED_UP, "a")},
        {("A", "1"): Rule("delivered", "a1", "why")},  # type: ignore[arg-type]
    )
    assert mapping.map("A", "1") == Mapped(S.DELIVERED, "a1", "why", "A", "1", True)
    assert mapping.map("A").status is S.PICKED_UP
    assert list(mapping.entries()) == [
        ("A", "", Rule(S.PICKED_UP, "a")),
        ("A", "1", Rule(S.DELIVERED, "a1", "why")),
    ]
    assert CarrierMapping("no-subs", {"A": Rule(S.PICKED_UP, "a")}).sub_codes == {}
    with pytest.raises(ValueError):
        CarrierMapping("", {})
    with pytest.raises(ValueError):
        CarrierMapping("x", {" A": Rule(S.PICKED_UP, "a")})
    with pytest.raises(ValueError):
        CarrierMapping("x", {}, {("A", ""): Rule(S.PICKED_UP, "a")})
    with pytest.raises(ValueError):
        Rule(S.PICKED_UP, " ")
    with pytest.raises(ValueError):
        Rule("teleported", "x")  # type: ignore[arg-type]
