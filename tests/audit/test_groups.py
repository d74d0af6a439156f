"""Corporate groups: who is own, allied or rival to whom, on which day.

The pure relation first (versions handed in), then the operator's routes,
the CLI-facing store rules and who may read a group's history.
"""

from __future__ import annotations

from datetime import date

import pytest

from hutong.protocol.errors import ValidationError
from hutong.registry.groups import (
    GroupVersion,
    Relation,
    check_no_overlap,
    group_of,
    relation,
)
from tests.harness.assertions import assert_nack
from tests.harness.cast import (
    ALIPAY,
    AUDITOR,
    DOUYIN,
    JD,
    JD_BEAUTY,
    KUAISHOU,
    TAOBAO,
    TEA_HOUSE,
    TMALL,
    WECHAT,
    ok,
)
from tests.harness.networks import Evidence
from tests.harness.openapi import assert_documented, served_document


def version(
    name: str, number: int, since: str, *members: str, allied: tuple[str, ...] = ()
) -> GroupVersion:
    return GroupVersion(
        name=name,
        version=number,
        valid_from=date.fromisoformat(since),
        members=frozenset(members),
        allied=frozenset(allied),
    )


ALIBABA = version("alibaba", 1, "2013-01-01", TAOBAO, TMALL, ALIPAY)
TENCENT = version("tencent", 1, "2014-03-01", WECHAT, allied=("jd", KUAISHOU))
JD_GROUP = version("jd", 1, "2013-01-01", JD)
BYTEDANCE = version("bytedance", 1, "2016-09-01", DOUYIN)
WORLD = [ALIBABA, TENCENT, JD_GROUP, BYTEDANCE]
DAY = date(2021, 6, 1)


# -- the pure relation ------------------------------------------------------------------------


def test_members_of_one_group_are_own_and_everyone_is_own_to_itself() -> None:
    assert relation(WORLD, TAOBAO, TMALL, DAY) is Relation.OWN
    assert relation(WORLD, TMALL, ALIPAY, DAY) is Relation.OWN
    assert relation(WORLD, DOUYIN, DOUYIN, DAY) is Relation.OWN
    assert relation(WORLD, "nobody.example", "nobody.example", DAY) is Relation.OWN


def test_different_groups_and_ungrouped_participants_are_rivals() -> None:
    assert relation(WORLD, TAOBAO, WECHAT, DAY) is Relation.RIVAL
    assert relation(WORLD, DOUYIN, TAOBAO, DAY) is Relation.RIVAL
    assert relation(WORLD, "nobody.example", "else.example", DAY) is Relation.RIVAL
    assert relation(WORLD, TAOBAO, "nobody.example", DAY) is Relation.RIVAL


def test_the_tencent_aligned_are_allied_to_tencent_and_to_each_other_never_own() -> None:
    # JD (a group named as an ally) and Kuaishou (a participant named as one).
    assert relation(WORLD, JD, WECHAT, DAY) is Relation.ALLIED
    assert relation(WORLD, WECHAT, KUAISHOU, DAY) is Relation.ALLIED
    assert relation(WORLD, JD, KUAISHOU, DAY) is Relation.ALLIED
    # An alliance is not a group: the aligned stay rivals of everyone else.
    assert relation(WORLD, JD, TAOBAO, DAY) is Relation.RIVAL
    assert relation(WORLD, KUAISHOU, DOUYIN, DAY) is Relation.RIVAL


def test_the_relation_follows_the_version_in_force_on_the_day() -> None:
    # Before Tencent's group (and its alliance) is declared, JD and WeChat are rivals.
    assert relation(WORLD, JD, WECHAT, date(2014, 2, 28)) is Relation.RIVAL
    assert relation(WORLD, JD, WECHAT, date(2014, 3, 1)) is Relation.ALLIED
    # Cainiao joins Alibaba in a second version: own from that day only.
    joined = version("alibaba", 2, "2017-09-26", TAOBAO, TMALL, ALIPAY, "cainiao.example")
    world = [*WORLD, joined]
    assert relation(world, TAOBAO, "cainiao.example", date(2017, 9, 25)) is Relation.RIVAL
    assert relation(world, TAOBAO, "cainiao.example", date(2017, 9, 26)) is Relation.OWN
    assert group_of(world, "cainiao.example", date(2020, 1, 1)) == "alibaba"
    # A later version that drops a member: rival again from its day.
    dropped = version("alibaba", 3, "2022-01-01", TAOBAO, TMALL, "cainiao.example")
    world = [*world, dropped]
    assert relation(world, TAOBAO, ALIPAY, date(2021, 12, 31)) is Relation.OWN
    assert relation(world, TAOBAO, ALIPAY, date(2022, 1, 1)) is Relation.RIVAL


def test_a_participant_is_in_one_group_at_a_time() -> None:
    with pytest.raises(ValidationError) as caught:
        check_no_overlap(version("jd", 2, "2020-01-01", JD, TAOBAO), WORLD)
    assert caught.value.code == "group_overlap"
    # Also against a later version of another group.
    later = version("tencent", 2, "2030-01-01", WECHAT, "newcomer.example")
    with pytest.raises(ValidationError):
        check_no_overlap(version("jd", 2, "2020-01-01", JD, "newcomer.example"), [*WORLD, later])
    check_no_overlap(version("alibaba", 2, "2020-01-01", TAOBAO, TMALL), WORLD)  # its own: fine


# -- the operator's routes -------------------------------------------------------------------


async def test_the_operator_declares_versions_and_reads_them_back(evidence: Evidence) -> None:
    first = await ok(await evidence.group("alibaba", TAOBAO, TMALL, ALIPAY), 201)
    assert first == {
        "name": "alibaba",
        "version": 1,
        "valid_from": "2013-01-01",
        "members": sorted([TAOBAO, TMALL, ALIPAY]),
        "allied": [],
    }
    second = await ok(await evidence.group("alibaba", TAOBAO, TMALL, valid_from="2022-01-01"), 201)
    assert second["version"] == 2
    history = await ok(await evidence.switch.operator.get("/operator/groups/alibaba"))
    assert [v["version"] for v in history] == [1, 2]
    assert [
        v["name"] for v in await ok(await evidence.switch.operator.get("/operator/groups"))
    ] == [
        "alibaba",
        "alibaba",
    ]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (
            {"name": "Ali Baba!", "members": [TAOBAO], "valid_from": "2013-01-01"},
            "invalid_group_name",
        ),
        ({"name": "alibaba", "members": [], "valid_from": "2013-01-01"}, "no_members"),
        (
            {"name": "alibaba", "members": ["ghost.example"], "valid_from": "2013-01-01"},
            "no_such_participant",
        ),
        (
            {"name": "alibaba", "members": ["Not An Id"], "valid_from": "2013-01-01"},
            "invalid_subscriber_id",
        ),
        (
            {
                "name": "alibaba",
                "members": [TAOBAO],
                "allied": ["nowhere"],
                "valid_from": "2013-01-01",
            },
            "unknown_ally",
        ),
        ({"name": "alibaba", "members": [TAOBAO], "valid_from": "01/01/2013"}, "invalid_request"),
        (
            {"name": "alibaba", "members": [TAOBAO], "valid_from": "2013-01-01", "extra": 1},
            "invalid_request",
        ),
    ],
)
async def test_a_bad_group_is_refused_and_nothing_is_written(
    evidence: Evidence, body: dict[str, object], code: str
) -> None:
    before = await evidence.evidence_rows()
    response = await evidence.switch.operator.post("/operator/groups", json=body)
    assert_nack(response, 422, code, str(body))
    assert await evidence.evidence_rows() == before
    assert_documented(await served_document(evidence.http, evidence.switch.url), response)


async def test_a_member_of_another_group_is_refused(evidence: Evidence) -> None:
    await ok(await evidence.group("alibaba", TAOBAO, TMALL), 201)
    before = await evidence.evidence_rows()
    assert_nack(await evidence.group("jd", JD, TMALL), 422, "group_overlap")
    assert await evidence.evidence_rows() == before


async def test_groups_need_the_operator_token(evidence: Evidence) -> None:
    response = await evidence.http.post(
        "/operator/groups",
        json={"name": "alibaba", "members": [TAOBAO], "valid_from": "2013-01-01"},
    )
    assert_nack(response, 401, "operator_token")


# -- who reads a group -----------------------------------------------------------------------


async def test_auditors_read_every_group_members_only_their_own(evidence: Evidence) -> None:
    await ok(await evidence.group("alibaba", TAOBAO, TMALL), 201)
    await ok(await evidence.group("jd", JD), 201)
    await ok(
        await evidence.group("tencent", WECHAT, valid_from="2014-03-01", allied=["jd", KUAISHOU]),
        201,
    )

    everything = await ok(await evidence.get(AUDITOR, "/v1/groups"))
    assert {v["name"] for v in everything} == {"alibaba", "jd", "tencent"}
    assert {v["name"] for v in await ok(await evidence.get(TAOBAO, "/v1/groups"))} == {"alibaba"}
    assert await ok(await evidence.get(KUAISHOU, "/v1/groups")) == []  # allied is not a member
    assert [v["version"] for v in await ok(await evidence.get(TMALL, "/v1/groups/alibaba"))] == [1]
    assert_nack(await evidence.get(JD, "/v1/groups/alibaba"), 403, "not_a_member")
    assert_nack(await evidence.get(TEA_HOUSE, "/v1/groups/alibaba"), 403, "not_a_member")
    assert_nack(await evidence.get(AUDITOR, "/v1/groups/nowhere"), 404, "unknown_group")


async def test_an_auditor_asks_how_two_participants_stand(evidence: Evidence) -> None:
    await ok(await evidence.group("alibaba", TAOBAO, TMALL), 201)
    await ok(await evidence.group("jd", JD), 201)
    await ok(
        await evidence.group("tencent", WECHAT, valid_from="2014-03-01", allied=["jd", KUAISHOU]),
        201,
    )

    async def asked(a: str, b: str, on: str) -> str:
        found = await ok(await evidence.get(AUDITOR, f"/v1/group-relation?a={a}&b={b}&on={on}"))
        return str(found["relation"])

    assert await asked(TAOBAO, TMALL, "2020-01-01") == "own"
    assert await asked(JD, WECHAT, "2020-01-01") == "allied"
    assert await asked(JD, WECHAT, "2014-01-01") == "rival"
    assert await asked(TAOBAO, JD_BEAUTY, "2020-01-01") == "rival"
    assert_nack(
        await evidence.get(TAOBAO, f"/v1/group-relation?a={JD}&b={WECHAT}&on=2020-01-01"),
        403,
        "wrong_role",
    )
