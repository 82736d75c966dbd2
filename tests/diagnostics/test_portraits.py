"""Portraits on the hand-made mini cluster (figures worked out in the comments)."""

from __future__ import annotations

import hashlib

import numpy as np
import orjson
import pandas as pd
import pytest

from diagnostics import portraits as portraits_mod
from diagnostics.canonical import dump_bytes
from diagnostics.portraits import (
    DATA_COLUMNS,
    LIGHT_COLUMNS,
    ROW_COLUMNS,
    _ordered_weaknesses,
    build_portraits,
    cross_tabs,
    data_texts,
    feed_map,
    from_records,
    item_sharer,
    one_of_each,
    percentile,
    rows_digest,
    shared_items,
    stored_form,
    summary,
    to_records,
    weakness_order,
)
from diagnostics.taxonomy import PortraitType
from diagnostics.text import Text
from tests.diagnostics.cluster_fixtures import (
    assessment,
    enterprise,
    frames,
    mini_cluster,
    portraits,
    questionnaire,
    taxonomy,
)


def test_one_portrait_per_assessed_enterprise():
    p = portraits()
    assert p["enterprise_id"].tolist() == [1, 2, 3, 4]  # E5 has no assessment


def test_weaknesses_with_severity_and_feeds():
    p = portraits().set_index("enterprise_id")
    w1 = p.loc[1, "weaknesses"]
    assert [(w["code"], w["severity"]) for w in w1] == [("i_quality", 0.5), ("i_market", 0.1667)]
    assert w1[0] == {"q": "mini-q", "code": "i_quality", "score": 3.0, "target": 6.0, "severity": 0.5}
    assert [s["code"] for s in p.loc[1, "strengths"]] == ["i_equipment"]
    assert p.loc[4, "weaknesses"] == []
    assert p.loc[1, "need"] == pytest.approx((0.5 + 0.1667) / 3, abs=1e-4)
    assert p.loc[3, "need"] == 1.0


def test_percentiles_in_cluster_and_industry():
    p = portraits().set_index("enterprise_id")
    # totals 18, 16, 0, 30 -> ranks 3, 2, 1, 4 of 4
    assert p["percentile_cluster"].to_dict() == {1: 66.67, 2: 33.33, 3: 0.0, 4: 100.0}
    # industry 3074 holds E1..E3 (ranks 3, 2, 1 of 3); E4 is alone in 3075
    assert p["percentile_industry"].to_dict() == {1: 100.0, 2: 50.0, 3: 0.0, 4: 100.0}


def test_percentile_ties_share_the_mid_rank():
    assert percentile(pd.Series([10.0, 20.0, 20.0, 40.0])).tolist() == [0.0, 50.0, 50.0, 100.0]


def test_types_come_from_taxonomy_rules_first_match_wins():
    p = portraits().set_index("enterprise_id")
    # E2 is level 2 but a chain leader: the 'leader' rule comes first
    assert p["type_code"].to_dict() == {1: "follower", 2: "leader", 3: "not_started", 4: "leader"}


def test_verified_and_profile_fields():
    p = portraits().set_index("enterprise_id")
    assert p.loc[4, "trusted"] and not p.loc[1, "trusted"]
    assert p.loc[1, "dimensions"]["foundation"] == {"score": 13.0, "max": 20.0, "share": 0.65}
    assert p.loc[2, "positions"] == ["midstream", "upstream"]
    assert p.loc[2, "chain_leader"] and p.loc[4, "srdi"]


def test_module_weaknesses_join_the_primary_portrait():
    ents, assess = mini_cluster()
    module = assessment(21, 1, (10, 0, 10), level=3, code="mini-module", version_id=2)
    assess = pd.concat([assess, pd.DataFrame([module])], ignore_index=True)
    module_q = questionnaire().model_copy(update={"code": "mini-module"})
    p = build_portraits(ents, assess, {1: questionnaire(), 2: module_q}, taxonomy(), primary="mini-q")
    e1 = p.set_index("enterprise_id").loc[1]
    assert e1["total"] == 18.0  # level and total stay the primary questionnaire's
    # merged in severity order: the module's unscored equipment (1) before the primary's quality gap (0.5)
    assert [(w["q"], w["code"]) for w in e1["weaknesses"]] == [
        ("mini-module", "i_equipment"), ("mini-q", "i_quality"), ("mini-q", "i_market")]
    assert e1["modules"] == {"mini-module": {"assessment_id": 21, "total": 20.0, "level": 3, "trusted": False}}
    assert e1["need"] == pytest.approx((0.5 + 0.1667 + 1.0) / 6, abs=1e-4)


def test_weakness_order_matches_a_plain_sort_with_ties():
    """The one lexsort over all rows gives each row's weaknesses exactly as sorting them by
    ``weakness_order`` would, ties included (equal severities, an indicator and a scenario sharing a code)."""
    rng = np.random.default_rng(7)
    names = ["b", "a", "c", "d", "a", "e"]  # 4 indicators, then 2 scenarios ("a" is both)
    rows = 40
    weak = rng.random((rows, 4)) < 0.6
    short = rng.random((rows, 2)) < 0.6
    severity = np.where(weak, rng.choice([0.25, 0.5, 1.0], size=(rows, 4)), 0.0)
    s_sev = np.where(short, rng.choice([0.25, 0.5], size=(rows, 2)), 0.0)
    ind = [{"q": "q", "code": names[j], "severity": float(severity[r, j]), "i": (r, j)}
           for r, j in zip(*np.nonzero(weak), strict=True)]
    scen = [{"q": "q", "kind": "scenario", "code": names[4 + k], "severity": float(s_sev[r, k]), "i": (r, k)}
            for r, k in zip(*np.nonzero(short), strict=True)]
    got = _ordered_weaknesses(rows, np.nonzero(weak), np.nonzero(short), severity, s_sev, ind, scen, names)
    for r in range(rows):
        plain = [w for w in ind if w["i"][0] == r] + [w for w in scen if w["i"][0] == r]
        assert got[r] == sorted(plain, key=weakness_order)
    assert any(len({w["severity"] for w in row}) < len(row) for row in got)  # ties did occur


def test_records_round_trip_and_summary():
    p = portraits()
    feeds = feed_map({1: questionnaire()})  # kept once per snapshot, not in every weakness
    assert feeds == {"mini-q:i_equipment": ["energy", "equipment"], "mini-q:i_market": ["marketing"],
                     "mini-q:i_quality": ["quality"]}
    back = from_records(to_records(p))
    assert back["weaknesses"].tolist() == p["weaknesses"].tolist()
    assert back["type_code"].tolist() == p["type_code"].tolist()
    s = summary(p, taxonomy(), enterprises_total=5, primary="mini-q", feeds=feeds)
    assert s["assessed"] == 4 and s["not_assessed"] == 1 and s["trusted"] == 1
    assert s["levels"] == {"0": 1, "1": 0, "2": 2, "3": 0, "4": 1}
    assert [(t["code"], t["count"]) for t in s["types"]] == [
        ("leader", 2), ("follower", 1), ("beginner", 0), ("not_started", 1), (None, 0)]
    assert s["rows_digest"] == summary(back, taxonomy(), enterprises_total=5, primary="mini-q",
                                     feeds=feeds)["rows_digest"]


def test_rows_kept_as_columns_read_as_the_rows_they_stand_for():
    """``to_records`` keeps the table's rows as their columns; each row, slice, the digest and the frame
    read back are what rows held as dicts give."""
    p = portraits()
    kept = to_records(p)
    rows = list(kept)
    assert len(kept) == len(rows) == 4 and kept == rows and kept == to_records(p)
    assert kept[-1] == rows[3] and kept[1:3] == rows[1:3] and kept[::-2] == rows[::-2]
    assert set(rows[0]) == {*ROW_COLUMNS, "data"} and set(rows[0]["data"]) == set(DATA_COLUMNS)
    with pytest.raises(IndexError):
        kept[4]
    texts = data_texts(rows)
    assert rows_digest(kept, texts) == rows_digest(rows, texts)
    links = kept.columns["chain_links"]
    pd.testing.assert_frame_equal(from_records(kept), from_records(rows))
    assert kept.columns["chain_links"] is links  # the frame's shared codes are its own: the rows are as they were


def test_the_rows_digest_is_made_a_run_of_rows_at_a_time_from_rows_or_their_light_frame(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The digest is SHA-256 of the rows' indexed columns as one canonical array, then each data text
    after a newline; hashed a few rows at a time it is the same, from the rows or from the light rows
    as they read back."""
    p = portraits()
    p.loc[1, "type_code"] = None  # an unclassified firm, and one without an industry class
    p.loc[2, "percentile_industry"] = np.nan
    rows = list(to_records(p))
    texts = data_texts(rows)
    whole = hashlib.sha256(dump_bytes([[r[c] for c in ROW_COLUMNS] for r in rows], plain=True)
                           + b"".join(b"\n" + t for t in texts)).hexdigest()
    monkeypatch.setattr(portraits_mod, "DIGEST_ROWS", 3)  # 4 rows: a run of 3, then 1
    light = stored_form(p[LIGHT_COLUMNS])
    assert rows_digest(rows, texts) == rows_digest(to_records(p), texts) == rows_digest(light, texts) == whole
    assert rows_digest(rows[:0], []) == hashlib.sha256(b"[]").hexdigest()
    assert rows_digest(rows, texts[:3] + [b"{}"]) != whole


def test_light_rows_in_stored_form_are_what_reading_them_back_gives() -> None:
    """``stored_form`` is the round trip through the stored rows, value for value and dtype for dtype,
    missing types and percentiles included; rows out of order are refused."""
    p = portraits()
    p.loc[1, "type_code"] = None
    p.loc[2, "percentile_industry"] = np.nan
    light = p[LIGHT_COLUMNS]
    back = from_records(to_records(light, LIGHT_COLUMNS), LIGHT_COLUMNS)
    assert light["type_code"].dtype == object and back["type_code"].dtype != object  # the round trip changes it
    pd.testing.assert_frame_equal(stored_form(light), back, check_exact=True)
    pd.testing.assert_frame_equal(stored_form(back), back, check_exact=True)
    pd.testing.assert_frame_equal(stored_form(light.iloc[:0]), from_records([], LIGHT_COLUMNS))
    with pytest.raises(ValueError, match="enterprise-id order"):
        stored_form(light.iloc[::-1])


def test_a_frame_holds_each_repeated_code_and_code_list_once():
    """Rows decoded one by one (from the store) each bring their own strings and lists; the frame a lane
    keeps for the later stages holds one object per distinct code and code list, with the same values."""
    decoded = [orjson.loads(orjson.dumps(r)) for r in list(to_records(portraits())) * 50]
    back = from_records(decoded)
    by_id = sorted(decoded, key=lambda r: r["enterprise_id"])
    for column in ("chain_links", "positions", "tags", "region"):
        values = back[column].tolist()
        assert values == [r["data"][column] for r in by_id]
        assert len({id(v) for v in values}) == len({repr(v) for v in values}) < len(values)
    assert back["size_class"].tolist() == [r["size_class"] for r in by_id]
    built = portraits()  # enterprises 1 and 4 are both at the firing link (midstream), neither has tags
    for column in ("chain_links", "positions"):
        assert built.loc[0, column] == built.loc[3, column] and built.loc[0, column] is built.loc[3, column]
    assert built.loc[0, "tags"] == built.loc[2, "tags"] == [] and built.loc[0, "tags"] is built.loc[2, "tags"]
    kept_apart = one_of_each([1, 1.0, True, None, ["a"], ["a"], [{"b": 1}]])
    assert [type(v) for v in kept_apart[:3]] == [int, float, bool] and kept_apart[4] is kept_apart[5]


def test_cross_tabs_classify_by_every_axis_and_grade_by_level():
    """分类分级: E1 small/firing L2, E2 medium/raw+forming leader L2, E3 small/sales L0, E4 large/firing srdi L4."""
    ct = cross_tabs(portraits(), taxonomy())
    assert set(ct) == {"industry_code", "chain_link", "position", "size_class", "tag", "region"}
    links = {r["value"]: r for r in ct["chain_link"]["rows"]}
    assert [r["value"] for r in ct["chain_link"]["rows"]] == ["raw", "forming", "firing", "sales"]  # map order
    assert links["firing"]["n"] == 2 and links["firing"]["levels"]["2"] == 1 and links["firing"]["levels"]["4"] == 1
    assert links["firing"]["name"]["zh"] == "烧成"
    sizes = {r["value"]: r["levels"] for r in ct["size_class"]["rows"]}
    assert sizes["small"] == {"0": 1, "1": 0, "2": 1, "3": 0, "4": 0}
    tags = {r["value"]: r["n"] for r in ct["tag"]["rows"]}
    assert tags == {"chain_leader": 1, "srdi": 1, "": 2}
    industry = {r["value"]: r for r in ct["industry_code"]["rows"]}
    assert industry["3074"]["n"] == 3 and "日用陶瓷" in industry["3074"]["name"]["zh"]
    positions = {r["value"]: r["n"] for r in ct["position"]["rows"]}
    assert positions == {"upstream": 1, "midstream": 3, "downstream": 1}  # E2 is up- and midstream


def test_portrait_types_read_the_dimension_profile():
    """A type rule may read share_<dimension>: types that mean more than the level."""
    tx = taxonomy()
    rules = [PortraitType(code="hardware_heavy", name=Text(zh="重硬轻软型"),
                          rule="share_foundation >= 0.6 and share_management < 0.4"),
             PortraitType(code="other", name=Text(zh="其他"), rule="true")]
    tx = tx.model_copy(update={"portrait_types": rules})
    ents, assess = mini_cluster()
    p = build_portraits(ents, assess, {1: questionnaire()}, tx, primary="mini-q").set_index("enterprise_id")
    # E1 foundation 13/20 = 0.65, management 5/10 = 0.5: not hardware-heavy; E2 6/20 = 0.3
    # E4 20/20 and 10/10; E3 0/0.  None qualifies except by construction below
    assert set(p["type_code"]) == {"other"}
    assess.loc[assess["enterprise_id"] == 1, "dimension_scores"] = [{"foundation": 16.0, "management": 2.0}]
    p = build_portraits(ents, assess, {1: questionnaire()}, tx, primary="mini-q").set_index("enterprise_id")
    assert p.loc[1, "type_code"] == "hardware_heavy"  # 16/20 = 0.8 foundation, 2/10 = 0.2 management


def test_shared_items_one_dict_per_distinct_combination_with_each_positions_values():
    """Positions equal in every column share one dict; every position's dict has exactly the values
    its own ``make`` would have built, so sharing changes memory and nothing a reader sees."""
    rng = np.random.default_rng(3)
    cols = (rng.integers(0, 4, 500), rng.choice([0.0, 0.5, 1.25], 500), rng.choice([0.1, 0.2], 500))

    def make(i: int) -> dict[str, object]:
        return {"c": int(cols[0][i]), "s": float(cols[1][i]), "v": float(cols[2][i])}

    got = shared_items(cols, make)
    assert got == [make(i) for i in range(500)]
    for i, j in [(a, b) for a in range(0, 500, 7) for b in range(0, 500, 11)]:
        same = all(c[i] == c[j] for c in cols)
        assert (got[i] is got[j]) == same
    assert len({id(d) for d in got}) == len({(a, b, c) for a, b, c in zip(*cols, strict=True)}) <= 24
    assert shared_items((np.zeros(0), np.zeros(0)), make) == []


def test_firms_with_the_same_profile_share_their_items_and_read_back_shared():
    """Two firms scored alike hold the same weakness, strength and dimension objects (a 60 000-firm
    cluster holds ~1.5 M weaknesses, a few thousand distinct), both as built and as read back."""
    ents = [enterprise(1), enterprise(2), enterprise(3, size="medium")]
    assess = [assessment(11, 1, (3, 10, 5), level=2, scenarios={"quality": 1}),
              assessment(12, 2, (3, 10, 5), level=2, scenarios={"quality": 1}),
              assessment(13, 3, (3, 0, 5), level=1, scenarios={"quality": 1})]
    p = build_portraits(*frames(ents, assess), {1: questionnaire()}, taxonomy(), primary="mini-q")
    one, two, three = (p.loc[p["enterprise_id"] == e].iloc[0] for e in (1, 2, 3))
    assert one["weaknesses"] == two["weaknesses"] and one["weaknesses"]
    assert all(a is b for a, b in zip(one["weaknesses"], two["weaknesses"], strict=True))
    assert all(a is b for a, b in zip(one["strengths"], two["strengths"], strict=True)) and one["strengths"]
    assert one["dimensions"]["management"] is two["dimensions"]["management"]
    # the quality weakness (score 3 of target 6) is the same for all three; the third firm's equipment
    # weakness is its own, and its dimension cell of another score is another object
    quality = [w for w in three["weaknesses"] if w["code"] == "i_quality"][0]
    assert quality is [w for w in one["weaknesses"] if w["code"] == "i_quality"][0]
    assert one["dimensions"]["foundation"] is not three["dimensions"]["foundation"]
    # read back from JSON: equal items become one object again, other values are left as decoded
    share = item_sharer()
    back = [share(orjson.loads(orjson.dumps(r["data"]))) for r in to_records(p)]
    assert [b["weaknesses"] for b in back] == p["weaknesses"].tolist()
    assert all(a is b for a, b in zip(back[0]["weaknesses"], back[1]["weaknesses"], strict=True))
    assert back[0]["dimensions"]["management"] is back[1]["dimensions"]["management"]
    odd = share({"weaknesses": [{"code": "x", "feeds": ["a"]}, "text"], "dimensions": {"d": {"score": 1}}})
    assert odd["weaknesses"] == [{"code": "x", "feeds": ["a"]}, "text"]
