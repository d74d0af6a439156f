"""Distances, nearest pickup points, and networks' versioned pickup policies."""

from __future__ import annotations

import json
import math
from datetime import date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hutong.logistics.pickup import (
    EARTH_RADIUS_M,
    PickupPoint,
    PickupPolicy,
    PickupRule,
    bounding_box,
    distance_m,
    nearest,
)

WEST_LAKE = (30_259_000, 120_130_000)  # Hangzhou
BEIJING = (39_904_200, 116_407_400)
SHANGHAI = (31_230_400, 121_473_700)


def test_distance_of_known_pairs() -> None:
    one_degree = round(EARTH_RADIUS_M * math.pi / 180)
    assert distance_m(0, 0, 1_000_000, 0) == one_degree == 111_195
    assert distance_m(0, 0, 0, 1_000_000) == one_degree
    assert distance_m(*WEST_LAKE, *WEST_LAKE) == 0
    assert 1_060_000 < distance_m(*BEIJING, *SHANGHAI) < 1_075_000
    assert distance_m(*BEIJING, *SHANGHAI) == distance_m(*SHANGHAI, *BEIJING)
    # Half the globe, and across the antimeridian.
    assert distance_m(0, 0, 0, 180_000_000) == round(EARTH_RADIUS_M * math.pi)
    assert distance_m(0, 179_999_000, 0, -179_999_000) == 222
    # One micro-degree of latitude is about 11 cm.
    assert distance_m(0, 0, 10, 0) == 1


@pytest.mark.parametrize("bad", [(90_000_001, 0), (0, 180_000_001), (-90_000_001, 0)])
def test_distance_refuses_impossible_positions(bad: tuple[int, int]) -> None:
    with pytest.raises(ValueError):
        distance_m(*bad, 0, 0)


@settings(max_examples=300, deadline=None)
@given(
    lat=st.integers(-80_000_000, 80_000_000),
    lng=st.integers(-170_000_000, 170_000_000),
    radius=st.integers(0, 50_000),
    bearing=st.floats(0, 2 * math.pi),
    fraction=st.floats(0, 1),
)
def test_the_bounding_box_holds_every_point_of_the_circle(
    lat: int, lng: int, radius: int, bearing: float, fraction: float
) -> None:
    # A point at fraction * radius from the centre, in any direction.
    d = fraction * radius / EARTH_RADIUS_M
    phi1, lmb1 = math.radians(lat / 1e6), math.radians(lng / 1e6)
    phi2 = math.asin(
        math.sin(phi1) * math.cos(d) + math.cos(phi1) * math.sin(d) * math.cos(bearing)
    )
    lmb2 = lmb1 + math.atan2(
        math.sin(bearing) * math.sin(d) * math.cos(phi1),
        math.cos(d) - math.sin(phi1) * math.sin(phi2),
    )
    plat, plng = round(math.degrees(phi2) * 1e6), round(math.degrees(lmb2) * 1e6)
    assert distance_m(lat, lng, plat, plng) <= radius + 1
    min_lat, max_lat, min_lng, max_lng = bounding_box(lat, lng, radius)
    assert min_lat <= plat <= max_lat
    assert min_lng <= plng <= max_lng


def _point(pid: str, lat: int, lng: int, network: str = "cainiao.example") -> PickupPoint:
    return PickupPoint(
        id=pid,
        network=network,
        name=f"station {pid}",
        address="杭州市西湖区",
        province="330000",
        city="330100",
        lat_e6=lat,
        lng_e6=lng,
        opening_hours="08:00-21:00",
        capacity=300,
        held=120,
    )


def test_nearest_points_within_a_radius() -> None:
    lat, lng = WEST_LAKE
    points = [
        _point("far", lat + 100_000, lng),  # about 11 km north
        _point("b", lat + 4_000, lng),  # about 445 m
        _point("a", lat, lng + 4_600),  # about 442 m
        _point("same", lat + 1_000, lng),  # about 111 m
        _point("same2", lat - 1_000, lng),  # about 111 m
    ]
    found = nearest(points, lat, lng, radius_m=1_000)
    assert [p.id for _, p in found] == ["same", "same2", "a", "b"]
    assert [d for d, _ in found] == sorted(d for d, _ in found)
    assert [p.id for _, p in nearest(points, lat, lng, radius_m=1_000, limit=1)] == ["same"]
    assert nearest(points, lat, lng, radius_m=50) == []
    assert points[0].free == 180


def test_a_pickup_point_checks_itself() -> None:
    with pytest.raises(ValueError):
        _point("", 0, 0)
    with pytest.raises(ValueError):
        _point("x", 91_000_000, 0)


# -- policies -----------------------------------------------------------------


def test_a_rule_round_trips_through_json() -> None:
    rules = [
        PickupRule("cainiao.example", date(2024, 1, 1)),
        PickupRule(
            "cainiao.example",
            date(2024, 6, 1),
            refused=frozenset({"sf.example"}),
            version=2,
            reason="no agreement with SF",
        ),
        PickupRule("jd-stations.example", date(2024, 6, 1), allowed=frozenset({"a", "b"})),
        PickupRule("lockers.example", date(2024, 6, 1), allowed=frozenset()),
    ]
    for rule in rules:
        assert PickupRule.from_dict(json.loads(json.dumps(rule.to_dict()))) == rule
    assert rules[1].to_dict() == {
        "network": "cainiao.example",
        "valid_from": "2024-06-01",
        "allowed": None,
        "refused": ["sf.example"],
        "version": 2,
        "reason": "no agreement with SF",
    }


@pytest.mark.parametrize(
    "data",
    [
        {"valid_from": "2024-01-01"},
        {"network": "n"},
        {"network": "n", "valid_from": "2024-13-01"},
        {"network": "n", "valid_from": "2024-01-01", "allowed": "sf.example"},
        {"network": "n", "valid_from": "2024-01-01", "refused": [1]},
        {"network": "n", "valid_from": "2024-01-01", "allowed": ["a"], "refused": ["a"]},
        {"network": "", "valid_from": "2024-01-01"},
        {"network": "n", "valid_from": "2024-01-01", "version": -1},
    ],
)
def test_from_dict_refuses_a_broken_rule(data: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        PickupRule.from_dict(data)


def test_a_rule_refuses_a_datetime() -> None:
    with pytest.raises(ValueError):
        PickupRule("n", datetime(2024, 1, 1))


def test_no_rule_allows_every_carrier() -> None:
    policy = PickupPolicy("cainiao.example")
    assert policy.allows("jd-logistics.example", date(2024, 1, 1)) == (True, None)


def test_versions_are_numbered_and_never_rewritten() -> None:
    policy = PickupPolicy()
    first = PickupRule("cainiao.example", date(2023, 1, 1), refused=frozenset({"jd.example"}))
    v1 = policy.declare(first)
    v2 = policy.declare(PickupRule("cainiao.example", date(2024, 3, 1), reason="open to all"))
    assert (v1.version, v2.version) == (1, 2)
    assert first.version == 0  # the caller's rule is not edited
    assert policy.versions == (v1, v2)
    assert policy.network == "cainiao.example"
    with pytest.raises(ValueError):
        policy.declare(PickupRule("jd-stations.example", date(2024, 1, 1)))
    with pytest.raises(ValueError):
        policy.declare(PickupRule("cainiao.example", date(2024, 1, 1), version=7))
    assert policy.versions == (v1, v2)


def test_the_latest_version_in_force_wins() -> None:
    policy = PickupPolicy("cainiao.example")
    policy.declare(PickupRule("cainiao.example", date(2023, 1, 1), refused=frozenset({"jd"})))
    opened = policy.declare(PickupRule("cainiao.example", date(2024, 3, 1)))
    only = policy.declare(
        PickupRule("cainiao.example", date(2025, 1, 1), allowed=frozenset({"jd", "jt"}))
    )
    v1 = policy.versions[0]

    assert policy.allows("jd", date(2022, 12, 31)) == (True, None)
    assert policy.allows("jd", date(2023, 1, 1)) == (False, v1)
    assert policy.allows("jt", date(2023, 6, 1)) == (True, v1)
    assert policy.allows("jd", date(2024, 3, 1)) == (True, opened)
    assert policy.allows("sf", date(2024, 12, 31)) == (True, opened)
    assert policy.allows("sf", date(2025, 1, 1)) == (False, only)
    assert policy.allows("jt", date(2025, 1, 1)) == (True, only)


def test_a_later_version_with_an_earlier_date_supersedes() -> None:
    policy = PickupPolicy("lockers.example")
    policy.declare(PickupRule("lockers.example", date(2024, 6, 1), refused=frozenset({"x"})))
    fix = policy.declare(PickupRule("lockers.example", date(2024, 1, 1), reason="correction"))
    assert policy.allows("x", date(2024, 7, 1)) == (True, fix)
    assert policy.in_force(date(2023, 12, 31)) is None


def test_a_policy_reloads_stored_versions() -> None:
    stored = [
        PickupRule("n", date(2024, 1, 1), version=1),
        PickupRule("n", date(2024, 2, 1), refused=frozenset({"x"}), version=2),
    ]
    policy = PickupPolicy("n", stored)
    assert policy.allows("x", date(2024, 2, 1)) == (False, stored[1])
    assert policy.declare(PickupRule("n", date(2024, 3, 1))).version == 3
    # Stored rules declared back one by one keep their numbers too.
    again = PickupPolicy()
    for rule in stored:
        again.declare(rule)
    assert again.versions == tuple(stored)
    with pytest.raises(ValueError):
        PickupPolicy("n", [stored[1]])


def test_describe() -> None:
    assert (
        PickupRule("n", date(2024, 1, 1), refused=frozenset({"b", "a"}), version=3).describe()
        == "n v3 from 2024-01-01: any carrier except a, b"
    )
    assert (
        PickupRule("n", date(2024, 1, 1), allowed=frozenset({"jd"})).describe()
        == "n v0 from 2024-01-01: only jd"
    )
