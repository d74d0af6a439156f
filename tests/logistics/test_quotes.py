"""Places, zones, service declarations and quotes."""

from __future__ import annotations

import json

import pytest

from hutong.logistics.quotes import (
    NEIGHBOURS,
    Place,
    PriceBand,
    Quote,
    ServiceDeclaration,
    Zone,
    by_zone,
    cheapest_first,
    quote,
    quote_all,
    zone,
)
from hutong_carriers import cainiao, jd_logistics, jtexpress

XIHU = Place.from_code("330106")  # Hangzhou, Zhejiang
BINJIANG = Place.from_code("330108")  # Hangzhou, Zhejiang
NINGBO = Place.from_code("330203")  # Ningbo, Zhejiang
NANJING = Place.from_code("320106")  # Jiangsu
PUDONG = Place.from_code("310115")  # Shanghai
HUANGPU = Place.from_code("310101")  # Shanghai
HEFEI = Place.from_code("340104")  # Anhui
CHAOYANG = Place.from_code("110105")  # Beijing
HEPING = Place.from_code("120101")  # Tianjin
SHIJIAZHUANG = Place.from_code("130102")  # Hebei
TIANHE = Place.from_code("440106")  # Guangzhou, Guangdong
XIAMEN = Place.from_code("350203")  # Fujian
HAIKOU = Place.from_code("460105")  # Hainan
CHENGDU = Place.from_code("510104")  # Sichuan
URUMQI = Place.from_code("650102")  # Xinjiang


def test_place_from_code() -> None:
    assert Place.from_code("330106") == Place(province="330000", city="330100")
    assert Place.from_code(" 310115 ") == Place("310000", "310100")
    assert Place.from_code("330100").city == "330100"
    province_only = Place.from_code("330000")
    assert province_only == Place("330000", "330000")
    assert not province_only.city_known
    assert XIHU.city_known


@pytest.mark.parametrize("bad", ["33010", "3301066", "abcdef", "", "33 106"])
def test_place_from_code_refuses_what_is_not_a_code(bad: str) -> None:
    with pytest.raises(ValueError):
        Place.from_code(bad)


@pytest.mark.parametrize(
    ("province", "city"),
    [("330100", "330100"), ("330000", "320100"), ("330000", "330106"), ("33", "3301")],
)
def test_place_refuses_inconsistent_codes(province: str, city: str) -> None:
    with pytest.raises(ValueError):
        Place(province, city)


@pytest.mark.parametrize(
    ("origin", "destination", "expected"),
    [
        (XIHU, BINJIANG, Zone.SAME_CITY),
        (PUDONG, HUANGPU, Zone.SAME_CITY),  # a municipality is one city
        (XIHU, NINGBO, Zone.SAME_PROVINCE),
        (Place.from_code("330000"), Place.from_code("330000"), Zone.SAME_PROVINCE),
        (XIHU, NANJING, Zone.NEARBY),
        (XIHU, PUDONG, Zone.NEARBY),
        (XIHU, HEFEI, Zone.NEARBY),
        (XIHU, XIAMEN, Zone.NEARBY),
        (NANJING, PUDONG, Zone.NEARBY),
        (NANJING, HEFEI, Zone.NEARBY),
        (CHAOYANG, HEPING, Zone.NEARBY),
        (CHAOYANG, SHIJIAZHUANG, Zone.NEARBY),
        (HEPING, SHIJIAZHUANG, Zone.NEARBY),
        (TIANHE, XIAMEN, Zone.NEARBY),
        (TIANHE, HAIKOU, Zone.NEARBY),  # across the Qiongzhou Strait
        (PUDONG, HEFEI, Zone.FAR),  # Shanghai and Anhui do not touch
        (XIHU, CHAOYANG, Zone.FAR),
        (XIHU, TIANHE, Zone.FAR),
        (CHAOYANG, TIANHE, Zone.FAR),
        (CHENGDU, URUMQI, Zone.FAR),
        (XIHU, Place.from_code("710000"), Zone.FAR),  # not in the table
    ],
)
def test_zone(origin: Place, destination: Place, expected: Zone) -> None:
    assert zone(origin, destination) is expected
    assert zone(destination, origin) is expected


def test_the_neighbour_table_is_symmetric_and_covers_the_demo_provinces() -> None:
    for province, neighbours in NEIGHBOURS.items():
        assert province not in neighbours
        for other in neighbours:
            assert province in NEIGHBOURS[other]
    for prefix in ["33", "32", "31", "34", "11", "12", "13", "44", "35"]:
        assert NEIGHBOURS[prefix]
    assert NEIGHBOURS["31"] == {"32", "33"}
    assert NEIGHBOURS["11"] == {"12", "13"}


SERVICE = ServiceDeclaration(
    name="standard",
    provinces=frozenset({"330000", "320000", "310000"}),
    price_table=(
        PriceBand(1_000, by_zone(500, 600, 700, 900)),
        PriceBand(5_000, by_zone(800, 1_000, 1_200, 1_600)),
    ),
    promised_days=by_zone(1, 1, 2, 3),
)


def test_quote_prices_by_band_and_zone() -> None:
    assert quote("c", SERVICE, XIHU, BINJIANG, 300) == Quote(
        "c", "standard", 500, 1, Zone.SAME_CITY
    )
    assert quote("c", SERVICE, XIHU, NINGBO, 1_000) == Quote(
        "c", "standard", 600, 1, Zone.SAME_PROVINCE
    )
    assert quote("c", SERVICE, XIHU, NANJING, 1_001) == Quote(
        "c", "standard", 1_200, 2, Zone.NEARBY
    )
    assert quote("c", SERVICE, XIHU, XIHU, 5_000) is not None


def test_quote_is_none_when_not_served_or_too_heavy() -> None:
    assert quote("c", SERVICE, XIHU, NANJING, 5_001) is None
    assert quote("c", SERVICE, XIHU, HEFEI, 500) is None  # destination not covered
    assert quote("c", SERVICE, HEFEI, XIHU, 500) is None  # origin not covered
    with pytest.raises(ValueError):
        quote("c", SERVICE, XIHU, NANJING, 0)


def test_a_far_route_is_priced_far() -> None:
    national = ServiceDeclaration("n", None, SERVICE.price_table, SERVICE.promised_days)
    assert quote("c", national, XIHU, URUMQI, 100) == Quote("c", "n", 900, 3, Zone.FAR)


def test_a_declaration_round_trips_through_json() -> None:
    for declaration in [
        SERVICE,
        jd_logistics.STANDARD,
        jd_logistics.NEXT_DAY,
        cainiao.ECONOMY,
        jtexpress.STANDARD,
    ]:
        data = json.loads(json.dumps(declaration.to_dict()))
        assert ServiceDeclaration.from_dict(data) == declaration
    assert SERVICE.to_dict()["provinces"] == ["310000", "320000", "330000"]
    assert jd_logistics.STANDARD.to_dict()["provinces"] is None
    assert SERVICE.to_dict()["price_table"][0] == {
        "max_weight_g": 1_000,
        "prices": {"same_city": 500, "same_province": 600, "nearby": 700, "far": 900},
    }


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.pop("name"),
        lambda d: d.pop("price_table"),
        lambda d: d.update(price_table=[]),
        lambda d: d.update(provinces="330000"),
        lambda d: d.update(provinces=["33"]),
        lambda d: d.update(provinces=[]),
        lambda d: d["price_table"][0]["prices"].pop("far"),
        lambda d: d["price_table"][0]["prices"].update(far=-1),
        lambda d: d["price_table"][0]["prices"].update(far=9.5),
        lambda d: d["price_table"][0]["prices"].update(moon=9),
        lambda d: d["price_table"][1].update(max_weight_g=1_000),
        lambda d: d["price_table"][0].update(max_weight_g=0),
        lambda d: d["promised_days"].pop("nearby"),
        lambda d: d.update(promised_days=None),
    ],
)
def test_from_dict_refuses_a_broken_declaration(mutate: object) -> None:
    data = json.loads(json.dumps(SERVICE.to_dict()))
    mutate(data)  # type: ignore[operator]
    with pytest.raises(ValueError):
        ServiceDeclaration.from_dict(data)


def test_cheapest_first_orders_by_price_then_days_then_carrier() -> None:
    quotes = [
        Quote("b", "s", 700, 2, Zone.NEARBY),
        Quote("a", "s", 700, 2, Zone.NEARBY),
        Quote("c", "s", 700, 1, Zone.NEARBY),
        Quote("d", "s", 500, 5, Zone.NEARBY),
    ]
    assert [q.carrier for q in cheapest_first(quotes)] == ["d", "c", "a", "b"]
    assert cheapest_first([]) == []


def test_quote_all_across_the_reference_carriers() -> None:
    services = [
        (plugin.subscriber_id, service)
        for plugin in (jd_logistics.PLUGIN, cainiao.PLUGIN, jtexpress.PLUGIN)
        for service in plugin.services
    ]
    hangzhou_to_nanjing = quote_all(services, XIHU, NANJING, 800)
    assert [(q.carrier, q.service, q.price, q.days) for q in hangzhou_to_nanjing] == [
        ("jtexpress.example", "standard", 650, 3),
        ("cainiao.example", "economy", 700, 3),
        ("jd-logistics.example", "standard", 1_200, 2),
        ("jd-logistics.example", "next_day", 2_200, 1),
    ]
    # Cainiao economy does not reach Xinjiang; JD next_day does not reach Sichuan.
    far = quote_all(services, CHENGDU, URUMQI, 800)
    assert [(q.carrier, q.service) for q in far] == [
        ("jtexpress.example", "standard"),
        ("jd-logistics.example", "standard"),
    ]
    # 25 kg: only the carriers whose last band takes it.
    heavy = quote_all(services, XIHU, NINGBO, 25_000)
    assert {q.carrier for q in heavy} == {"jtexpress.example", "jd-logistics.example"}
