"""Carrier plugins: discovery through entry points, payload parsing, dedupe keys."""

from __future__ import annotations

import importlib.metadata
import json
import logging
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from importlib.metadata import EntryPoint
from typing import Any

import pytest

from hutong.logistics import plugins as plugins_module
from hutong.logistics.plugins import (
    ENTRY_POINT_GROUP,
    CarrierPlugin,
    RawEvent,
    clear_plugin_cache,
    dedupe_key,
    load_plugins,
    plugin_for,
)
from hutong.logistics.statuses import Status, settle
from hutong_carriers import cainiao, jd_logistics, jtexpress

REFERENCE = {
    "jd-logistics.example": jd_logistics,
    "cainiao.example": cainiao,
    "jtexpress.example": jtexpress,
}


@pytest.fixture(autouse=True)
def fresh_discovery() -> Iterator[None]:
    clear_plugin_cache()
    yield
    clear_plugin_cache()


@pytest.fixture
def errors_seen(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    logger = logging.getLogger("hutong.logistics.plugins")
    logger.addHandler(caplog.handler)
    propagate, logger.propagate = logger.propagate, False  # each record once
    caplog.set_level(logging.WARNING, logger="hutong.logistics.plugins")
    try:
        yield caplog
    finally:
        logger.removeHandler(caplog.handler)
        logger.propagate = propagate


# -- discovery ---------------------------------------------------------------------


def test_load_plugins_finds_the_three_reference_carriers_through_entry_points() -> None:
    found = load_plugins()
    assert set(found) == set(REFERENCE)
    for subscriber_id, module in REFERENCE.items():
        plugin = found[subscriber_id]
        assert plugin is module.PLUGIN
        assert isinstance(plugin, CarrierPlugin)
        assert plugin.subscriber_id == subscriber_id
        assert plugin.mapping.carrier == plugin.name
        assert plugin.services
        assert plugin.callback_url.startswith("https://")
    assert {p.name for p in found.values()} == {"jd-logistics", "cainiao", "jtexpress"}
    assert {p.tracking_prefix for p in found.values()} == {"JDV", "CN", "JT"}


def test_discovery_is_cached_and_callers_get_their_own_dict(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = []
    real = importlib.metadata.entry_points

    def counting(**kwargs: Any) -> Any:
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(plugins_module, "entry_points", counting)
    first = load_plugins()
    first.clear()
    assert set(load_plugins()) == set(REFERENCE)
    assert calls == [{"group": ENTRY_POINT_GROUP}]


def test_plugin_for_accepts_the_subscriber_id_or_the_alias() -> None:
    assert plugin_for("jd-logistics.example") is jd_logistics.PLUGIN
    assert plugin_for("cainiao") is cainiao.PLUGIN
    assert plugin_for("sf.example") is None


def test_a_broken_plugin_is_logged_and_skipped(
    monkeypatch: pytest.MonkeyPatch, errors_seen: pytest.LogCaptureFixture
) -> None:
    def entry(name: str, value: str) -> EntryPoint:
        return EntryPoint(name=name, value=value, group=ENTRY_POINT_GROUP)

    fake = [
        entry("jtexpress", "hutong_carriers.jtexpress:PLUGIN"),
        entry("missing-module", "hutong_carriers.no_such_carrier:PLUGIN"),
        entry("missing-name", "hutong_carriers.cainiao:NO_SUCH_PLUGIN"),
        entry("not-a-plugin", "hutong_carriers.cainiao:MAPPING"),
        entry("twin", "hutong_carriers.jtexpress:PLUGIN"),
    ]
    monkeypatch.setattr(plugins_module, "entry_points", lambda **_: fake)
    assert load_plugins() == {"jtexpress.example": jtexpress.PLUGIN}
    errors = [r for r in errors_seen.records if r.levelno == logging.ERROR]
    messages = " ".join(r.getMessage() for r in errors)
    assert len(errors) == 4
    for name in ["missing-module", "missing-name", "not-a-plugin", "twin"]:
        assert name in messages


# -- parsing -------------------------------------------------------------------------


@pytest.mark.parametrize("subscriber_id", REFERENCE)
def test_every_sample_payload_parses_and_maps(subscriber_id: str) -> None:
    module = REFERENCE[subscriber_id]
    plugin = module.PLUGIN
    events = [plugin.parse_event(payload) for payload in module.SAMPLES]
    assert len(events) >= 4
    for event in events:
        assert event.tracking_number.startswith(plugin.tracking_prefix)
        assert event.occurred_at.utcoffset() is not None
        assert plugin.normalize(event).mapped
        json.dumps(dict(event.raw), ensure_ascii=False)  # the raw payload stays JSON
    statuses = [plugin.normalize(e).status for e in events]
    assert Status.AVAILABLE_FOR_PICKUP in statuses
    assert statuses[-1] is Status.DELIVERED
    # In any order, twice over, the shipment ends delivered at the last event's time.
    story = [(plugin.normalize(e).status, e.occurred_at) for e in events]
    shuffled = story * 2
    random.Random(7).shuffle(shuffled)
    assert settle(shuffled) == (Status.DELIVERED, events[-1].occurred_at)


def test_jd_payload() -> None:
    event = jd_logistics.PLUGIN.parse_event(jd_logistics.SAMPLES[2])
    assert event == RawEvent(
        tracking_number="JDV000123456789",
        code="50",
        sub_code="5001",
        occurred_at=datetime(2024, 11, 2, 10, 30, tzinfo=UTC),
        event_id="OPE-20241102-0007",
        description="已交由合作驿站代收 菜鸟驿站 西溪店",
        raw=jd_logistics.SAMPLES[2],
    )
    last = jd_logistics.PLUGIN.parse_event(jd_logistics.SAMPLES[3])
    assert last.occurred_at == datetime(2024, 11, 2, 13, 0, 0, 123_000, tzinfo=UTC)
    # Codes may arrive as JSON numbers.
    numeric = dict(jd_logistics.SAMPLES[2], opeCode=50, opeSubCode=5001)
    assert jd_logistics.PLUGIN.parse_event(numeric).sub_code == "5001"


def test_cainiao_payload() -> None:
    event = cainiao.PLUGIN.parse_event(cainiao.SAMPLES[2])
    assert (event.tracking_number, event.code, event.sub_code) == (
        "CN4400012345678",
        "STA_INBOUND",
        "",
    )
    china = timezone(timedelta(hours=8))
    assert event.occurred_at == datetime(2024, 11, 2, 18, 20, 11, tzinfo=china)
    assert event.occurred_at.astimezone(UTC) == datetime(2024, 11, 2, 10, 20, 11, tzinfo=UTC)
    assert event.event_id == "TR-CN-0005"
    assert "菜鸟驿站" in event.description
    assert event.raw == cainiao.SAMPLES[2]
    # An already decoded logistics_interface is read too.
    decoded = dict(
        cainiao.SAMPLES[1],
        logistics_interface=json.loads(cainiao.SAMPLES[1]["logistics_interface"]),
    )
    assert cainiao.PLUGIN.parse_event(decoded).sub_code == "DEPART"


def test_jtexpress_payload() -> None:
    station = jtexpress.PLUGIN.parse_event(jtexpress.SAMPLES[2])
    assert (station.code, station.sub_code, station.event_id) == ("5", "501", "")
    assert station.occurred_at.astimezone(UTC) == datetime(2024, 11, 3, 1, 12, tzinfo=UTC)
    # statusCode equal to state means no finer code.
    transit = jtexpress.PLUGIN.parse_event(jtexpress.SAMPLES[1])
    assert (transit.code, transit.sub_code) == ("0", "")
    no_fine = {k: v for k, v in jtexpress.SAMPLES[1].items() if k != "statusCode"}
    assert jtexpress.PLUGIN.parse_event(no_fine).sub_code == ""


def _cainiao_with(**changes: Any) -> dict[str, Any]:
    body = json.loads(cainiao.SAMPLES[2]["logistics_interface"])
    body.update(changes)
    body = {k: v for k, v in body.items() if v is not None}
    return dict(cainiao.SAMPLES[2], logistics_interface=json.dumps(body))


MALFORMED: list[tuple[str, object]] = [
    ("jd-logistics.example", {}),
    ("jd-logistics.example", dict(jd_logistics.SAMPLES[0], waybillCode="")),
    ("jd-logistics.example", dict(jd_logistics.SAMPLES[0], opeCode=None)),
    ("jd-logistics.example", dict(jd_logistics.SAMPLES[0], opeCode=True)),
    ("jd-logistics.example", dict(jd_logistics.SAMPLES[0], opeCode=["20"])),
    ("jd-logistics.example", dict(jd_logistics.SAMPLES[0], opeTime="2024-11-02 10:00:00")),
    ("jd-logistics.example", dict(jd_logistics.SAMPLES[0], opeTime=-5)),
    ("jd-logistics.example", dict(jd_logistics.SAMPLES[0], opeTime=10**30)),
    ("jd-logistics.example", dict(jd_logistics.SAMPLES[2], opeSubCode="6001")),
    ("jd-logistics.example", ["not", "an", "object"]),
    ("cainiao.example", {}),
    ("cainiao.example", dict(cainiao.SAMPLES[0], msg_type="SOMETHING_ELSE")),
    ("cainiao.example", dict(cainiao.SAMPLES[0], logistics_interface="{not json")),
    ("cainiao.example", dict(cainiao.SAMPLES[0], logistics_interface="[1, 2]")),
    ("cainiao.example", dict(cainiao.SAMPLES[0], logistics_interface=None)),
    ("cainiao.example", _cainiao_with(mailNo=None)),
    ("cainiao.example", _cainiao_with(action="sta_inbound")),
    ("cainiao.example", _cainiao_with(time="02/11/2024 18:20")),
    ("cainiao.example", _cainiao_with(time=1730543400000)),
    ("jtexpress.example", {}),
    ("jtexpress.example", dict(jtexpress.SAMPLES[0], com="zto")),
    ("jtexpress.example", dict(jtexpress.SAMPLES[0], state="派件")),
    ("jtexpress.example", dict(jtexpress.SAMPLES[0], statusCode="5x")),
    ("jtexpress.example", dict(jtexpress.SAMPLES[0], nu=" ")),
    ("jtexpress.example", dict(jtexpress.SAMPLES[0], ftime="2024-11-31 09:00:00")),
    ("jtexpress.example", dict(jtexpress.SAMPLES[0], context={"nested": True})),
]


@pytest.mark.parametrize(("subscriber_id", "payload"), MALFORMED)
def test_a_malformed_payload_is_a_value_error_with_the_carrier_named(
    subscriber_id: str, payload: Any
) -> None:
    plugin = REFERENCE[subscriber_id].PLUGIN
    with pytest.raises(ValueError, match=plugin.name):
        plugin.parse_event(payload)


def test_a_parser_slip_is_still_a_value_error() -> None:
    def sloppy(payload: Any) -> RawEvent:
        return payload["missing"]  # type: ignore[no-any-return]

    plugin = CarrierPlugin(
        name="sloppy",
        subscriber_id="sloppy.example",
        mapping=jtexpress.MAPPING,
        services=(),
        tracking_prefix="S",
        parser=sloppy,
    )
    with pytest.raises(ValueError, match="sloppy: cannot read"):
        plugin.parse_event({})


def test_a_raw_event_needs_a_number_a_code_and_an_aware_time() -> None:
    good: dict[str, Any] = dict(
        tracking_number="JT1",
        code="5",
        sub_code="",
        occurred_at=datetime(2024, 1, 1, tzinfo=UTC),
        event_id="",
        description="",
        raw={},
    )
    RawEvent(**good)
    changes: list[dict[str, Any]] = [
        {"tracking_number": ""},
        {"code": " "},
        {"occurred_at": datetime(2024, 1, 1)},
    ]
    for change in changes:
        with pytest.raises(ValueError):
            RawEvent(**(good | change))


# -- dedupe keys -----------------------------------------------------------------------


def test_dedupe_keys_use_the_carriers_event_id_when_there_is_one() -> None:
    jd = jd_logistics.PLUGIN.parse_event(jd_logistics.SAMPLES[0])
    assert jd_logistics.PLUGIN.dedupe_key(jd) == "OPE-20241102-0001"
    cn = cainiao.PLUGIN.parse_event(cainiao.SAMPLES[0])
    assert cainiao.PLUGIN.dedupe_key(cn) == "TR-CN-0001"
    # A redelivered event with the same id is the same event, whatever else changed.
    again = dict(jd_logistics.SAMPLES[0], opeTitle="快递员已揽收（补推）")
    assert dedupe_key(jd_logistics.PLUGIN.parse_event(again)) == "OPE-20241102-0001"


def test_dedupe_keys_digest_the_event_without_an_id() -> None:
    plugin = jtexpress.PLUGIN
    events = [plugin.parse_event(p) for p in jtexpress.SAMPLES]
    keys = [plugin.dedupe_key(e) for e in events]
    assert len(set(keys)) == len(keys)  # distinct events, distinct keys
    assert all(k.startswith("b2:") and len(k) <= 128 for k in keys)
    # Stable: the same push parsed again (or with other text) has the same key.
    assert [plugin.dedupe_key(plugin.parse_event(p)) for p in jtexpress.SAMPLES] == keys
    retold = dict(jtexpress.SAMPLES[2], context="快件已到驿站", areaName="西湖区")
    assert plugin.dedupe_key(plugin.parse_event(retold)) == keys[2]
    # Anything the key covers changes it.
    for change in [
        {"nu": "JT0012345678902"},
        {"state": "2", "statusCode": "205"},
        {"statusCode": "5"},
        {"ftime": "2024-11-03 09:12:01"},
    ]:
        other = plugin.parse_event(dict(jtexpress.SAMPLES[2], **change))
        assert plugin.dedupe_key(other) != keys[2]


def test_the_digest_covers_the_instant_not_its_zone() -> None:
    base = RawEvent("JT1", "5", "501", datetime(2024, 11, 3, 1, 12, tzinfo=UTC), "", "", {})
    local = RawEvent(
        "JT1",
        "5",
        "501",
        datetime(2024, 11, 3, 9, 12, tzinfo=timezone(timedelta(hours=8))),
        "",
        "",
        {},
    )
    assert dedupe_key(base) == dedupe_key(local)


def test_a_very_long_event_id_is_digested_to_fit() -> None:
    long_id = "x" * 500
    event = RawEvent("JT1", "5", "", datetime(2024, 1, 1, tzinfo=UTC), long_id, "", {})
    key = dedupe_key(event)
    assert key.startswith("b2:") and len(key) <= 128
    assert key == dedupe_key(
        RawEvent("JT2", "3", "", datetime(2025, 1, 1, tzinfo=UTC), long_id, "", {})
    )
    assert key != dedupe_key(RawEvent("JT1", "5", "", datetime(2024, 1, 1, tzinfo=UTC), "", "", {}))
